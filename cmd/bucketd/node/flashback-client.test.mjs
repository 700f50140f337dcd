// Flashback's own TypeScript client (ApiClient from its dist/api, unchanged) pointed at bucketd:
// every call is the client's method itself, and every answer is checked against the type the
// method declares (flashbacktypes.mjs reads it with the TypeScript compiler API).
import assert from "node:assert/strict";
import { test } from "node:test";
import { call, flashback, refusal, sourceDeclarationDrift } from "./flashbacktypes.mjs";
import { assertNoCredential, assertRefused, client, s3, s3Request, server, uniqueName } from "./bucketd.mjs";

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
