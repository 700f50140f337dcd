// What the Node tests share: the bucketd server and the storage peers they run against, as
// cmd/bucketd/node_test.go passes them in the environment, and the checks of the shapes every
// answer must have.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { required } from "./env.mjs";
import { assertIsA, flashback } from "./flashbacktypes.mjs";

/** @typedef {import("../../../gen/ts/schema.js").components["schemas"]} Schemas */

/** The server under test and the organization the Go test bootstrapped for these tests. */
export const server = {
  url: required("BUCKETD_URL"),
  token: required("BUCKETD_TOKEN"),
  workspaceId: required("BUCKETD_WORKSPACE_ID"),
};

/** The admin as a person who signs in with a password. */
export const person = {
  email: required("BUCKETD_EMAIL"),
  password: required("BUCKETD_PASSWORD"),
  /** The id of an API token of theirs that no test uses, for a test to revoke. */
  spareTokenId: required("BUCKETD_SPARE_TOKEN_ID"),
};

/** A MEMBER of the same organization and workspace, with an API token. */
export const member = {
  id: required("BUCKETD_MEMBER_ID"),
  token: required("BUCKETD_MEMBER_TOKEN"),
};

/** An S3 gateway (versitygw) with a bucket its root account owns. */
export const s3 = {
  endpoint: required("BUCKETD_S3_ENDPOINT"),
  region: required("BUCKETD_S3_REGION"),
  bucket: required("BUCKETD_S3_BUCKET"),
  key: required("BUCKETD_S3_KEY"),
  secret: required("BUCKETD_S3_SECRET"),
};

/** An Azure Blob Storage emulator (Azurite) with a container of its built-in account. */
export const azure = {
  endpoint: required("BUCKETD_AZURE_ENDPOINT"),
  account: required("BUCKETD_AZURE_ACCOUNT"),
  key: required("BUCKETD_AZURE_KEY"),
  container: required("BUCKETD_AZURE_CONTAINER"),
};

/** An Entra application with a role on a container of the HTTPS emulator, whose tokens come from the server's authority. */
export const azureServicePrincipal = {
  endpoint: required("BUCKETD_AZURE_SP_ENDPOINT"),
  tenantId: required("BUCKETD_AZURE_SP_TENANT"),
  clientId: required("BUCKETD_AZURE_SP_CLIENT_ID"),
  secret: required("BUCKETD_AZURE_SP_SECRET"),
  container: required("BUCKETD_AZURE_SP_CONTAINER"),
};

/**
 * A bucket name no other test of the run uses.
 * @param {string} prefix
 */
export function uniqueName(prefix) {
  return `${prefix} ${randomUUID().slice(0, 8)}`;
}

/**
 * A create request for the gateway's bucket that passes validation.
 * @param {string} name
 * @returns {Schemas["CreateBucketRequest"]}
 */
export function s3Request(name) {
  return {
    name,
    bucket: s3.bucket,
    storageType: "S3",
    key: s3.key,
    secret: s3.secret,
    region: s3.region,
    endpoint: s3.endpoint,
    workspaceId: server.workspaceId,
  };
}

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Asserts value is a UUID, as every id bucketd answers is.
 * @param {unknown} value
 * @param {string} what
 */
export function assertID(value, what) {
  assert.ok(typeof value === "string" && uuid.test(value), `${what} = ${JSON.stringify(value)}, want a UUID`);
}

// The fields of a Bucket in answers (openapi.yaml components.schemas.Bucket): never `key`,
// never `secret`.
const bucketRequired = ["id", "name", "bucket", "storageType", "region", "workspaceId", "status", "keyHint", "secretVersion", "createdAt", "updatedAt"];
const bucketOptional = ["endpoint", "statusMessage", "lastStatusAt", "secretFingerprint", "credentialsUpdatedAt"];

/**
 * Asserts b has exactly the fields of a Bucket, with a key hint that is not the key, and that
 * no credential appears anywhere in it.
 * @param {unknown} b
 * @param {{ key: string, secret: string }} credentials the ones the bucket was registered with
 */
export function assertBucketShape(b, credentials) {
  assert.ok(b && typeof b === "object", `bucket = ${JSON.stringify(b)}, want an object`);
  const fields = Object.keys(b);
  for (const field of bucketRequired) {
    assert.ok(fields.includes(field), `bucket ${JSON.stringify(b)} has no ${field}`);
  }
  for (const field of fields) {
    assert.ok(bucketRequired.includes(field) || bucketOptional.includes(field), `bucket has a field ${field} that openapi.yaml does not list`);
  }
  const { endpoint, ...rest } = /** @type {Schemas["Bucket"]} */ (b);
  assertID(rest.id, "bucket.id");
  assert.notEqual(rest.keyHint, credentials.key, "keyHint is the whole key");
  assert.notEqual(rest.secretFingerprint, credentials.secret, "secretFingerprint is the secret");
  // The endpoint is answered as the caller gave it, and an Azure one may name the account,
  // which is the key; the secret must not appear even there.
  assertNoCredential(rest, credentials);
  assert.ok(!(endpoint ?? "").includes(credentials.secret), "the endpoint holds the secret");
}

/**
 * Asserts that neither the key nor the secret appears anywhere in value.
 * @param {unknown} value
 * @param {{ key: string, secret: string }} credentials
 */
export function assertNoCredential(value, credentials) {
  const text = JSON.stringify(value);
  assert.ok(!text.includes(credentials.secret), "an answer holds the secret");
  assert.ok(!text.includes(credentials.key), "an answer holds the whole key");
}

/**
 * Asserts an error answer: the status, a JSON content type (Flashback's client reads error
 * bodies only then) and the body {success: false, message, code}.
 * @param {Response} response
 * @param {unknown} body the parsed body
 * @param {number} status
 * @param {string} code
 */
export function assertErrorAnswer(response, body, status, code) {
  const where = `${response.url} answered ${response.status} ${JSON.stringify(body)}`;
  assert.equal(response.status, status, `${where}, want ${status} ${code}`);
  assert.match(response.headers.get("content-type") ?? "", /^application\/json\b/, `${where} with content type ${response.headers.get("content-type")}, want application/json`);
  assert.ok(body && typeof body === "object", `${where}: the body is not a JSON object`);
  const e = /** @type {Schemas["Error"]} */ (body);
  assert.equal(e.success, false, `${where}: success must be false`);
  assert.ok(typeof e.message === "string" && e.message.length > 0, `${where}: no message`);
  assert.equal(e.code, code, `${where}, want code ${code}`);
}

/**
 * Flashback's ApiClient pointed at bucketd, sending token when one is given.
 * @param {string} [token]
 * @returns {any}
 */
export function client(token = server.token) {
  const c = new flashback.ApiClient(server.url);
  c.setAuthToken(token);
  return c;
}

/**
 * Asserts a refusal's body, as Flashback's client hands it over in HttpError.data, is what the
 * client reads from a failed action, plus the code bucketd adds.
 * @param {any} body
 * @param {string} code
 */
export function assertRefused(body, code) {
  assertIsA("storage/storage", "ActionResponse", body);
  assert.equal(body.success, false);
  assert.ok(body.message, "a refusal without a message");
  assert.equal(body.code, code, `refused with ${JSON.stringify(body)}, want code ${code}`);
}
