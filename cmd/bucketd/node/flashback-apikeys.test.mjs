// API keys through Flashback's own client (getApiKeys, createApiKey, updateApiKey,
// deleteApiKey) and a bucket that uses one (createStorageBucket with apiKeyUuid), each answer
// checked against the type its method declares.
import assert from "node:assert/strict";
import { test } from "node:test";
import { call, refusal } from "./flashbacktypes.mjs";
import { assertRefused, azure, azureServicePrincipal, client, s3, s3Request, server, uniqueName } from "./bucketd.mjs";

test("an API key is registered once, used by a bucket, changed and deleted through Flashback's client", async (t) => {
  const admin = client();
  const { apiKeyId } = await call(admin, "createApiKey", {
    provider: "AWS",
    key: s3.key,
    secret: s3.secret,
    endpoint: s3.endpoint,
    region: s3.region,
    description: "the gateway's root",
    workspaceId: server.workspaceId,
  });
  const { key: _key, secret: _secret, endpoint: _endpoint, ...byReference } = s3Request(uniqueName("By reference"));
  let bucketId = "";

  await t.test("createStorageBucket with apiKeyUuid uses the key, and the bucket answers apiKeyId", async () => {
    bucketId = (await call(admin, "createStorageBucket", { ...byReference, apiKeyUuid: apiKeyId })).bucketId;
    const { buckets } = await call(admin, "getStorageBuckets", server.workspaceId);
    const bucket = buckets.find((/** @type {any} */ b) => b.id === bucketId);
    assert.equal(bucket?.apiKeyId, apiKeyId, `getStorageBuckets: ${JSON.stringify(bucket)}`);
  });

  await t.test("getApiKeys lists it by workspace and provider, its key as a hint and its buckets counted", async () => {
    const { apiKeys } = await call(admin, "getApiKeys", { workspaceId: server.workspaceId, provider: "AWS" });
    const mine = apiKeys.find((/** @type {any} */ k) => k.id === apiKeyId);
    assert.ok(mine, `getApiKeys: ${JSON.stringify(apiKeys)} misses ${apiKeyId}`);
    assert.equal(mine.bucket_count, 1);
    assert.notEqual(mine.key, s3.key);
    assert.ok(!JSON.stringify(apiKeys).includes(s3.secret), "getApiKeys shows a secret");
    const none = await call(admin, "getApiKeys", { workspaceId: server.workspaceId, provider: "GCP" });
    assert.ok(!none.apiKeys.some((/** @type {any} */ k) => k.id === apiKeyId), "a GCP filter lists an AWS key");
  });

  await t.test("updateApiKey changes the description, and refuses a secret the provider refuses", async () => {
    assert.equal((await call(admin, "updateApiKey", apiKeyId, { description: "renamed" })).success, true);
    assertRefused(await refusal(admin, 400, "updateApiKey", apiKeyId, { secret: "not-the-secret-" + apiKeyId }), "INVALID_CREDENTIALS");
  });

  await t.test("deleteApiKey refuses a key in use, then deletes it once unused", async () => {
    const refused = await refusal(admin, 409, "deleteApiKey", apiKeyId);
    assertRefused(refused, "CREDENTIAL_IN_USE");
    assert.match(refused.message, /\b1 bucket/, refused.message);
    await call(admin, "deleteStorageBucket", bucketId);
    assert.equal((await call(admin, "deleteApiKey", apiKeyId)).success, true);
    assertRefused(await refusal(admin, 404, "deleteApiKey", apiKeyId), "NOT_FOUND");
  });

  await t.test("createStorageBucket with an unknown apiKeyUuid is refused", async () => {
    assertRefused(await refusal(admin, 400, "createStorageBucket", { ...byReference, apiKeyUuid: apiKeyId }), "INVALID_REQUEST");
  });
});

test("an Azure account key is proved at Azurite when it is registered", async () => {
  const admin = client();
  const { apiKeyId } = await call(admin, "createApiKey", {
    provider: "AZURE",
    key: azure.account,
    secret: azure.key,
    endpoint: azure.endpoint,
    workspaceId: server.workspaceId,
  });
  assert.equal((await call(admin, "deleteApiKey", apiKeyId)).success, true);
  assertRefused(
    await refusal(admin, 400, "createApiKey", {
      provider: "BLOB",
      key: azure.account,
      secret: Buffer.from("not the account key").toString("base64"),
      endpoint: azure.endpoint,
      workspaceId: server.workspaceId,
    }),
    "INVALID_CREDENTIALS",
  );
});

test("an Azure service principal (provider AZURE with a tenantId) is proved through the server's Entra authority and used by a bucket", async () => {
  const admin = client();
  const sp = azureServicePrincipal;
  const request = { provider: "AZURE", key: sp.clientId, secret: sp.secret, tenantId: sp.tenantId, endpoint: sp.endpoint, workspaceId: server.workspaceId };
  assertRefused(await refusal(admin, 400, "createApiKey", { ...request, secret: "not-the-client-secret" }), "INVALID_CREDENTIALS");
  const { apiKeyId } = await call(admin, "createApiKey", request);
  const { apiKeys } = await call(admin, "getApiKeys", { workspaceId: server.workspaceId, provider: "AZURE" });
  const mine = apiKeys.find((/** @type {any} */ k) => k.id === apiKeyId);
  assert.equal(mine?.tenantId, sp.tenantId, `getApiKeys: ${JSON.stringify(mine)}`);
  assert.ok(!JSON.stringify(apiKeys).includes(sp.secret), "getApiKeys shows the client secret");
  // BLOB is Flashback's name for Azure storage; the bucket answers it as given.
  const { bucketId } = await call(admin, "createStorageBucket", {
    name: uniqueName("Service principal"),
    bucket: sp.container,
    storageType: "BLOB",
    apiKeyUuid: apiKeyId,
    workspaceId: server.workspaceId,
  });
  try {
    const { buckets } = await call(admin, "getStorageBuckets", server.workspaceId);
    const bucket = buckets.find((/** @type {any} */ b) => b.id === bucketId);
    assert.equal(bucket?.apiKeyId, apiKeyId, `getStorageBuckets: ${JSON.stringify(bucket)}`);
    assert.equal(bucket?.status, "ONLINE", `getStorageBuckets: ${JSON.stringify(bucket)}`);
  } finally {
    await call(admin, "deleteStorageBucket", bucketId);
  }
  assert.equal((await call(admin, "deleteApiKey", apiKeyId)).success, true);
});
