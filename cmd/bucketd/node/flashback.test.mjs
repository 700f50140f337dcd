// Flashback's TypeScript client (@flashbacktech/flashbackclient, ApiClient in
// src/api/client.ts) pointed at bucketd: every call below is made exactly as that client makes
// it, quirks included, and every answer must be one the client
// can read.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { test } from "node:test";
import { assertBucketShape, assertErrorAnswer, assertID, azure, s3, s3Request, server, uniqueName } from "./bucketd.mjs";

/** @typedef {import("../../../gen/ts/schema.js").components["schemas"]} Schemas */

/** What Flashback's client sends as walletAddress; bucketd accepts and ignores it. */
const walletAddress = "GCFXHS4GXL6BVUCXBWXGTITROWLVYXQKQLF4YH5O5JT3YZXCYPAFBJZB";

/**
 * One call as ApiClient.makeRequest makes it: the bearer token when the client has one, a
 * JSON body with its content type only when there is data, and the path joined to the base
 * URL without its leading slash. The body is parsed as the client parses it: JSON unless
 * empty; a body that is not JSON fails the test, as it breaks the client.
 * @param {string} path
 * @param {string} method
 * @param {unknown} [data]
 * @param {string} [token] the client's token; "" for a client that has none
 * @returns {Promise<{ response: Response, body: any }>}
 */
async function flashback(path, method, data = null, token = server.token) {
  /** @type {Record<string, string>} */
  let headers = token ? { Authorization: `Bearer ${token}` } : {};
  if (data) {
    headers = { ...headers, "Content-Type": "application/json" };
  }
  const cleanPath = path.startsWith("/") ? path.substring(1) : path;
  const response = await fetch(`${server.url}/${cleanPath}`, { method, headers, body: data ? JSON.stringify(data) : null });
  const text = await response.text();
  try {
    return { response, body: text ? JSON.parse(text) : null };
  } catch {
    assert.fail(`${method} ${cleanPath} answered ${response.status} with a body that is not JSON: ${text.slice(0, 200)}`);
  }
}

/**
 * Asserts a 200 answer in JSON, as the client needs to read it, and returns its body.
 * @param {{ response: Response, body: any }} answer
 */
function ok({ response, body }) {
  assert.equal(response.status, 200, `${response.url} answered ${response.status} ${JSON.stringify(body)}`);
  assert.match(response.headers.get("content-type") ?? "", /^application\/json\b/, `${response.url}: content type ${response.headers.get("content-type")}`);
  return body;
}

/** getStorageBuckets(workspaceId?, walletAddress?): both go into the query unchecked. */
const getStorageBuckets = (/** @type {string | undefined} */ workspaceId, /** @type {string | undefined} */ wallet) =>
  flashback("bucket?workspaceId=" + workspaceId + "&walletAddress=" + wallet, "GET", null);

/** getAvailableStorageBuckets(workspaceId?): the parameter only when given. */
const getAvailableStorageBuckets = (/** @type {string | undefined} */ workspaceId) => {
  const queryParams = new URLSearchParams();
  if (workspaceId) {
    queryParams.append("workspaceId", workspaceId);
  }
  return flashback("bucket/available?" + queryParams.toString(), "GET", null);
};

/** getUserQuota() */
const getUserQuota = () => flashback("user/quota", "GET", null);

/**
 * The organization's bucket usage from GET /user/quota, checked against Flashback's shape.
 * @returns {Promise<Schemas["QuotaUsage"]["usage"]>}
 */
async function bucketUsage() {
  const body = ok(await getUserQuota());
  assert.equal(body.success, true);
  assert.deepEqual(Object.keys(body.subscription).sort(), ["description", "id", "name"]);
  for (const field of ["id", "name", "description"]) {
    assert.equal(typeof body.subscription[field], "string", `subscription.${field}`);
  }
  /** @type {Schemas["QuotaUsage"][]} */
  const usage = body.quotaUsage;
  const buckets = usage.filter((u) => u.capability.code === "BUCKETS");
  assert.equal(buckets.length, 1, `quotaUsage = ${JSON.stringify(usage)}, want one BUCKETS capability`);
  const [{ capability, usage: u }] = buckets;
  for (const field of ["id", "code", "description", "type", "periodType"]) {
    assert.equal(typeof capability[/** @type {keyof typeof capability} */ (field)], "string", `capability.${field}`);
  }
  assert.equal(capability.periodType, "ALL_TIME", "a bucket count is no rate: Flashback's PeriodType.ALL_TIME");
  assert.ok(Number.isInteger(u.current) && Number.isInteger(u.max), `usage = ${JSON.stringify(u)}`);
  assert.equal(u.percentage, Math.round((u.current / u.max) * 10000) / 100, `usage = ${JSON.stringify(u)}: percentage is current / max in percent, to two decimals`);
  return u;
}

/**
 * The short entry of a bucket in GET /bucket/available (openapi.yaml AvailableBucket): these
 * fields always, region and endpoint when the bucket has them (optional in Flashback's
 * StorageBucket).
 */
const availableFields = ["bucket", "createdAt", "id", "name", "status", "storageType", "workspaceId"];
const availableOptional = ["endpoint", "region"];

test("Flashback's client's bucket calls, replayed verbatim", async (t) => {
  const s3Name = uniqueName("Flashback S3");
  const blobName = uniqueName("Flashback BLOB");
  const ids = { s3: "", blob: "" };
  const both = () => {
    assert.ok(ids.s3 && ids.blob, "the creates did not both succeed");
    return ids;
  };

  await t.test("createStorageBucket with walletAddress answers {success, bucketId}", async () => {
    const body = ok(await flashback("bucket", "POST", { ...s3Request(s3Name), walletAddress }));
    assert.deepEqual(Object.keys(body).sort(), ["bucketId", "success"]);
    assert.equal(body.success, true);
    assertID(body.bucketId, "bucketId");
    ids.s3 = body.bucketId;
  });

  await t.test('createStorageBucket with storageType "BLOB" registers an Azure container', async () => {
    const body = ok(await flashback("bucket", "POST", {
      name: blobName,
      bucket: azure.container,
      storageType: "BLOB",
      key: azure.account,
      secret: azure.key,
      region: "eastus",
      endpoint: azure.endpoint,
      workspaceId: server.workspaceId,
      walletAddress,
    }));
    assert.equal(body.success, true);
    assertID(body.bucketId, "bucketId");
    ids.blob = body.bucketId;
  });

  await t.test("getStorageBuckets() sends workspaceId=undefined&walletAddress=undefined and gets every bucket", async () => {
    const { s3: s3ID, blob } = both();
    const body = ok(await getStorageBuckets(undefined, undefined));
    assert.equal(body.success, true);
    /** @type {Schemas["Bucket"][]} */
    const buckets = body.buckets;
    const s3Bucket = buckets.find((b) => b.id === s3ID);
    const blobBucket = buckets.find((b) => b.id === blob);
    assert.ok(s3Bucket && blobBucket, `the list ${JSON.stringify(buckets.map((b) => b.id))} misses ${s3ID} or ${blob}`);
    assertBucketShape(s3Bucket, s3);
    assertBucketShape(blobBucket, { key: azure.account, secret: azure.key });
    assert.equal(blobBucket.storageType, "BLOB", "a bucket registered as BLOB answers BLOB, as Flashback's StorageType knows it");
    assert.equal(s3Bucket.storageType, "S3");
    assert.equal(blobBucket.bucket, azure.container);
    assert.equal(blobBucket.name, blobName);
  });

  await t.test("getStorageBuckets(workspaceId) filters by the workspace", async () => {
    const { s3: s3ID, blob } = both();
    const body = ok(await getStorageBuckets(server.workspaceId, undefined));
    /** @type {Schemas["Bucket"][]} */
    const buckets = body.buckets;
    const listed = buckets.map((b) => b.id);
    assert.ok(listed.includes(s3ID) && listed.includes(blob), `the list ${JSON.stringify(listed)} misses ${s3ID} or ${blob}`);
    assert.ok(buckets.every((b) => b.workspaceId === server.workspaceId), "the list holds a bucket of another workspace");
  });

  await t.test("getAvailableStorageBuckets answers a bare array of short entries, with and without workspaceId", async () => {
    const { s3: s3ID, blob } = both();
    for (const workspaceId of [server.workspaceId, undefined]) {
      const body = ok(await getAvailableStorageBuckets(workspaceId));
      assert.ok(Array.isArray(body), `GET bucket/available answered ${JSON.stringify(body)}, want a bare array`);
      for (const entry of body) {
        const keys = Object.keys(entry);
        assert.deepEqual(keys.filter((k) => !availableOptional.includes(k)).sort(), availableFields, `entry ${JSON.stringify(entry)}`);
        for (const field of availableOptional.filter((f) => keys.includes(f))) {
          assert.ok(typeof entry[field] === "string" && entry[field] !== "", `entry ${JSON.stringify(entry)}: ${field} is present but empty`);
        }
      }
      const listed = body.map((/** @type {Schemas["AvailableBucket"]} */ b) => b.id);
      assert.ok(listed.includes(s3ID) && listed.includes(blob), `workspaceId ${workspaceId}: ${JSON.stringify(listed)} misses ${s3ID} or ${blob}`);
      const s3Entry = body.find((/** @type {Schemas["AvailableBucket"]} */ b) => b.id === s3ID);
      assert.equal(s3Entry.region, s3.region);
      assert.equal(s3Entry.endpoint, s3.endpoint);
      const blobEntry = body.find((/** @type {Schemas["AvailableBucket"]} */ b) => b.id === blob);
      assert.equal(blobEntry.storageType, "BLOB");
      assert.equal(blobEntry.region, "eastus");
    }
  });

  await t.test("updateStorageBucket renames and answers {success, bucketId, status, latency_ms}", async () => {
    const { s3: id } = both();
    const renamed = uniqueName("Flashback renamed");
    const body = ok(await flashback(`bucket/${id}`, "PUT", { name: renamed }));
    assert.equal(body.success, true);
    assert.equal(body.bucketId, id);
    assert.equal(body.status, "ONLINE");
    assert.ok(Number.isInteger(body.latency_ms) && body.latency_ms >= 0, `latency_ms = ${body.latency_ms}`);
    const listed = ok(await getStorageBuckets(undefined, undefined)).buckets.find((/** @type {Schemas["Bucket"]} */ b) => b.id === id);
    assert.equal(listed?.name, renamed);
  });

  await t.test("validateStorageBucket with {bucket} answers {success, message, latency_ms, status}", async () => {
    const { s3: id } = both();
    const body = ok(await flashback(`bucket/${id}/validate`, "POST", { bucket: s3.bucket }));
    assert.equal(body.success, true, `the validation failed: ${JSON.stringify(body)}`);
    assert.equal(typeof body.message, "string");
    assert.ok(Number.isInteger(body.latency_ms) && body.latency_ms >= 0, `latency_ms = ${body.latency_ms}`);
    assert.equal(body.status, "ONLINE");
    assert.ok(Array.isArray(body.checks) && body.checks.length > 0, "no checks in the report");
  });

  await t.test("validateStorageBucket with a wrong secret answers its own verdict OFFLINE and leaves the stored status", async () => {
    const { s3: id } = both();
    const body = ok(await flashback(`bucket/${id}/validate`, "POST", { bucket: s3.bucket, key: s3.key, secret: "wrong-secret" }));
    assert.equal(body.success, false, `the validation passed: ${JSON.stringify(body)}`);
    assert.equal(body.status, "OFFLINE", "a failed dry run answers its own verdict, not the stored ONLINE");
    const stored = ok(await flashback(`bucket/${id}`, "GET", null)).bucket;
    assert.equal(stored.status, "ONLINE", "a dry run changed the stored status");
  });

  await t.test("createStorageBucket without region stores the region the provider reports", async () => {
    const { region: _, ...request } = s3Request(uniqueName("Flashback no region"));
    const created = ok(await flashback("bucket", "POST", { ...request, walletAddress }));
    const stored = ok(await flashback(`bucket/${created.bucketId}`, "GET", null)).bucket;
    assert.equal(stored.region, s3.region, "the region is the gateway's");
    assert.deepEqual(ok(await flashback(`bucket/${created.bucketId}`, "DELETE", null)), { success: true });
  });

  await t.test("getUserQuota counts the live buckets; deleteStorageBucket frees one; a second delete is 404", async () => {
    const { blob } = both();
    const before = await bucketUsage();
    const live = ok(await getStorageBuckets(undefined, undefined)).buckets.length;
    assert.equal(before.current, live, `quota says ${before.current} buckets, the list holds ${live}`);
    assert.equal(before.max, 10, "a bootstrapped organization is on the free trial");

    assert.deepEqual(ok(await flashback(`bucket/${blob}`, "DELETE", null)), { success: true });
    assert.equal((await bucketUsage()).current, before.current - 1, "the delete did not free quota");

    const again = await flashback(`bucket/${blob}`, "DELETE", null);
    assertErrorAnswer(again.response, again.body, 404, "NOT_FOUND");
  });
});

test("every error the client can meet is JSON {success: false, message, code}", async (t) => {
  const unknown = randomUUID();
  const wrongToken = `bkd_not_a_token_${randomUUID()}`;
  const { name: _, ...noName } = s3Request("unused");
  const cases = [
    { call: "getStorageBuckets without a token", path: "bucket?workspaceId=undefined&walletAddress=undefined", method: "GET", token: "", status: 401, code: "UNAUTHENTICATED" },
    { call: "getStorageBuckets with a wrong token", path: "bucket?workspaceId=undefined&walletAddress=undefined", method: "GET", token: wrongToken, status: 401, code: "UNAUTHENTICATED" },
    { call: "createStorageBucket without a name", path: "bucket", method: "POST", data: { ...noName, walletAddress }, status: 400, code: "INVALID_REQUEST" },
    {
      call: "createStorageBucket of a BLOB container that does not exist",
      path: "bucket",
      method: "POST",
      data: { name: uniqueName("No container"), bucket: "no-such-container", storageType: "BLOB", key: azure.account, secret: azure.key, region: "eastus", endpoint: azure.endpoint, workspaceId: server.workspaceId },
      status: 400,
      code: "BUCKET_NOT_FOUND",
    },
    { call: "updateStorageBucket of an unknown id", path: `bucket/${unknown}`, method: "PUT", data: { name: "x" }, status: 404, code: "NOT_FOUND" },
    { call: "deleteStorageBucket of an unknown id", path: `bucket/${unknown}`, method: "DELETE", status: 404, code: "NOT_FOUND" },
    { call: "validateStorageBucket of an unknown id", path: `bucket/${unknown}/validate`, method: "POST", data: { bucket: s3.bucket }, status: 404, code: "NOT_FOUND" },
    { call: "getBucketNodeStats, a Flashback relay route bucketd does not have", path: `bucket/${unknown}/stats`, method: "POST", data: {}, status: 501, code: "NOT_IMPLEMENTED" },
  ];
  for (const c of cases) {
    await t.test(`${c.call}: ${c.status} ${c.code}`, async () => {
      const { response, body } = await flashback(c.path, c.method, c.data ?? null, c.token ?? server.token);
      assertErrorAnswer(response, body, c.status, c.code);
    });
  }
});
