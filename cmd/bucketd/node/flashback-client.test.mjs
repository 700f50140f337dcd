// Flashback's own TypeScript client (ApiClient from its dist/api, unchanged) pointed at bucketd:
// every call is the client's method itself, and every answer is checked against the type the
// method declares (flashbacktypes.mjs reads it with the TypeScript compiler API).
import assert from "node:assert/strict";
import { test } from "node:test";
import { call, flashback, refusal, sourceDeclarationDrift } from "./flashbacktypes.mjs";
import { assertNoCredential, assertRefused, azure, client, s3, s3Request, server, uniqueName } from "./bucketd.mjs";

test("a bucket's life through Flashback's client", async (t) => {
  const api = client();
  let id = "";

  await t.test("createStorageBucket", async () => {
    const created = await call(api, "createStorageBucket", s3Request(uniqueName("Flashback client")));
    assert.equal(created.success, true);
    id = created.bucketId;
  });

  await t.test("updateStorageBucket renames it", async () => {
    assert.ok(id, "the create failed");
    const updated = await call(api, "updateStorageBucket", id, { name: uniqueName("Flashback client renamed") });
    assert.equal(updated.bucketId, id);
    assert.equal(updated.status, "ONLINE");
  });

  await t.test("validateStorageBucket checks it again", async () => {
    assert.ok(id, "the create failed");
    const report = await call(api, "validateStorageBucket", id, { bucket: s3.bucket });
    assert.equal(report.success, true, JSON.stringify(report));
    assertNoCredential(report, s3);
  });

  await t.test("deleteStorageBucket, twice", async () => {
    assert.ok(id, "the create failed");
    assert.equal((await call(api, "deleteStorageBucket", id)).success, true);
    assertRefused(await refusal(api, 404, "deleteStorageBucket", id), "NOT_FOUND");
  });
});

test("an Azure container and a bucket without a region, listed and counted through Flashback's client", async (t) => {
  const api = client();
  const { region: _, ...noRegion } = s3Request(uniqueName("No region"));
  const ids = {
    blob: (await call(api, "createStorageBucket", {
      name: uniqueName("Flashback BLOB"), bucket: azure.container, storageType: "BLOB", key: azure.account, secret: azure.key,
      endpoint: azure.endpoint, workspaceId: server.workspaceId,
    })).bucketId,
    s3: (await call(api, "createStorageBucket", noRegion)).bucketId,
  };

  await t.test("getStorageBuckets, with and without a workspace", async () => {
    for (const workspaceId of [undefined, server.workspaceId]) {
      const { buckets } = await call(api, "getStorageBuckets", workspaceId);
      const blob = buckets.find((/** @type {any} */ b) => b.id === ids.blob);
      const s3Bucket = buckets.find((/** @type {any} */ b) => b.id === ids.s3);
      assert.equal(blob?.storageType, "BLOB", "a container registered as BLOB is answered as BLOB");
      assert.equal(s3Bucket?.region, s3.region, "the region bucketd detected");
      // The account is the key, and an Azure endpoint names it; the secret must appear nowhere.
      assert.ok(!JSON.stringify(buckets).includes(azure.key), "a listed bucket holds the account key");
    }
  });

  await t.test("getAvailableStorageBuckets, with and without a workspace", async () => {
    for (const workspaceId of [undefined, server.workspaceId]) {
      const entries = await call(api, "getAvailableStorageBuckets", workspaceId);
      const s3Entry = entries.find((/** @type {any} */ b) => b.id === ids.s3);
      assert.equal(s3Entry?.region, s3.region);
      assert.equal(s3Entry?.endpoint, s3.endpoint);
      assert.ok(entries.some((/** @type {any} */ b) => b.id === ids.blob && b.storageType === "BLOB"));
    }
  });

  await t.test("getUserQuota counts them", async () => {
    const before = await call(api, "getUserQuota");
    const buckets = before.quotaUsage.find((/** @type {any} */ q) => q.capability.code === "BUCKETS");
    assert.equal(buckets?.capability.periodType, "ALL_TIME");
    await call(api, "deleteStorageBucket", ids.blob);
    const after = (await call(api, "getUserQuota")).quotaUsage.find((/** @type {any} */ q) => q.capability.code === "BUCKETS");
    assert.equal(after.usage.current, buckets.usage.current - 1);
  });

  await t.test("a failed dry run of validateStorageBucket is OFFLINE, its own verdict", async () => {
    const report = await call(api, "validateStorageBucket", ids.s3, { bucket: s3.bucket, key: s3.key, secret: "not the secret" });
    assert.equal(report.success, false);
    assert.equal(report.status, "OFFLINE");
    await call(api, "deleteStorageBucket", ids.s3);
  });
});

test("Flashback's client without a valid token is refused with 401", async () => {
  const anonymous = new flashback.ApiClient(server.url);
  assertRefused(await refusal(anonymous, 401, "getStorageBuckets"), "UNAUTHENTICATED");
  assertRefused(await refusal(client("bkd_not_a_token"), 401, "createStorageBucket", s3Request("unused")), "UNAUTHENTICATED");
});

test("Flashback's routes outside bucketd's job answer 501 NOT_IMPLEMENTED naming the route", async (t) => {
  const api = client();
  const bucketId = "0192f7a5-0e1f-7a2b-8c3d-4e5f60718293";
  /** @type {[string, string, ...unknown[]][]} */
  const calls = [
    ["GET /bucket/stats", "getBucketStats"],
    ["GET /bucket/stats", "getBucketStats", { bucketId: [bucketId] }],
    [`GET /bucket/${bucketId}/status`, "getStorageBucketStatus", bucketId],
    [`POST /bucket/${bucketId}/stats`, "getBucketNodeStats", bucketId, { startDate: "2026-01-01", endDate: "2026-01-02" }],
    ["GET /repo", "getStorageRepos"],
    ["GET /stats/daily", "getDailyStats", { startDate: new Date(Date.now() - 86400000), endDate: new Date() }],
  ];
  for (const [route, method, ...args] of calls) {
    await t.test(`${method}: ${route}`, async () => {
      const body = await refusal(api, 501, method, ...args);
      assertRefused(body, "NOT_IMPLEMENTED");
      const [verb, path] = route.split(" ");
      assert.ok(body.message.startsWith(`${verb} "${path}" is a Flashback route outside bucketd's job`), body.message);
    });
  }
});

test("the client's built declarations, which the answers are checked against, say what its source types say", () => {
  assert.deepEqual(sourceDeclarationDrift(), []);
});
