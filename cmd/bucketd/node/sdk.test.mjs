// A bucket's life through the TypeScript SDK generated from openapi.yaml: the types in
// gen/ts/schema.d.ts used with openapi-fetch, as a TypeScript user of bucketd would.
import assert from "node:assert/strict";
import { test } from "node:test";
import createClient from "openapi-fetch";
import { assertBucketShape, assertErrorAnswer, assertID, s3, s3Request, server, uniqueName } from "./bucketd.mjs";

/** @typedef {import("../../../gen/ts/schema.js").paths} paths */

const client = /** @type {import("openapi-fetch").Client<paths>} */ (
  createClient({ baseUrl: server.url, headers: { Authorization: `Bearer ${server.token}` } })
);

/**
 * The bucket with id in a GET /bucket list of the test's workspace, if it is there.
 * @param {string} id
 */
async function listed(id) {
  const { data, response } = await client.GET("/bucket", { params: { query: { workspaceId: server.workspaceId } } });
  assert.equal(response.status, 200, `GET /bucket answered ${response.status}`);
  assert.ok(data, "GET /bucket answered no body");
  assert.equal(data.success, true);
  return data.buckets.find((b) => b.id === id);
}

test("create, list, get and delete a bucket through the generated SDK", async (t) => {
  const request = s3Request(uniqueName("SDK bucket"));
  /** @type {string} */
  let id = "";
  // Each step after the first needs the bucket; without it the step fails saying so.
  const created = () => {
    assert.ok(id, "no bucket was created");
    return id;
  };

  await t.test("create answers the new bucket's id", async () => {
    const { data, error, response } = await client.POST("/bucket", { body: request });
    assert.equal(response.status, 200, `POST /bucket answered ${response.status} ${JSON.stringify(error)}`);
    assert.ok(data, "POST /bucket answered no body");
    assert.equal(data.success, true);
    assertID(data.bucketId, "bucketId");
    id = data.bucketId;
  });

  await t.test("the list holds it, validated, with a key hint and no credential", async () => {
    const b = await listed(created());
    assert.ok(b, `GET /bucket does not list bucket ${id}`);
    assertBucketShape(b, s3);
    assert.equal(b.name, request.name);
    assert.equal(b.bucket, s3.bucket);
    assert.equal(b.storageType, "S3");
    assert.equal(b.region, s3.region);
    assert.equal(b.endpoint, s3.endpoint);
    assert.equal(b.workspaceId, server.workspaceId);
    assert.equal(b.status, "ONLINE", "a bucket whose credentials just passed validation is ONLINE");
    assert.ok(b.keyHint.length > 0, "keyHint is empty");
  });

  await t.test("get answers the same bucket as the list", async () => {
    const { data, response } = await client.GET("/bucket/{bucketId}", { params: { path: { bucketId: created() } } });
    assert.equal(response.status, 200, `GET /bucket/${id} answered ${response.status}`);
    assert.ok(data, `GET /bucket/${id} answered no body`);
    assert.equal(data.success, true);
    assertBucketShape(data.bucket, s3);
    assert.deepEqual(data.bucket, await listed(id));
  });

  await t.test("delete answers success", async () => {
    const { data, response } = await client.DELETE("/bucket/{bucketId}", { params: { path: { bucketId: created() } } });
    assert.equal(response.status, 200, `DELETE /bucket/${id} answered ${response.status}`);
    assert.deepEqual(data, { success: true });
  });

  await t.test("after the delete, get answers 404 NOT_FOUND and the list no longer holds it", async () => {
    const { data, error, response } = await client.GET("/bucket/{bucketId}", { params: { path: { bucketId: created() } } });
    assert.equal(data, undefined, "a deleted bucket still has a body of success");
    assertErrorAnswer(response, error, 404, "NOT_FOUND");
    assert.equal(await listed(id), undefined, `GET /bucket still lists deleted bucket ${id}`);
  });
});
