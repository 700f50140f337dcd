// The console's credentials, quota and API token pages in a real browser, against the real
// binary and Azurite that cmd/bucketd/console_test.go starts. The person signs in with an API
// token: console.browser.mjs tries a wrong password, which counts against the password sign-in.
import assert from "node:assert/strict";
import { test } from "node:test";
import { required } from "./env.mjs";
import { answer, api, checkAccessible, checkBothWidths, checkPolicy, liveRegion, open, s3, token, url, visit, workspaceId } from "./console.mjs";

/** @typedef {import("playwright-core").Page} Page */

const azure = {
  endpoint: required("BUCKETD_AZURE_ENDPOINT"),
  account: required("BUCKETD_AZURE_ACCOUNT"),
  key: required("BUCKETD_AZURE_KEY"),
  wrongKey: required("BUCKETD_AZURE_WRONG_KEY"),
};
/** A user of the gateway whose keys are good but who may not read the bucket. */
const other = { key: required("BUCKETD_S3_OTHER_KEY"), secret: required("BUCKETD_S3_OTHER_SECRET") };
const spare = { token: required("BUCKETD_SPARE_TOKEN"), id: required("BUCKETD_SPARE_TOKEN_ID") };

/**
 * Signs in with the admin's API token and opens the page named in the navigation.
 * @param {Page} page
 * @param {string} name
 */
async function signInTo(page, name) {
  await visit(page, "/console/sign-in");
  await page.getByLabel("API token", { exact: true }).fill(token);
  await page.getByRole("button", { name: "Use token" }).click();
  await page.getByRole("heading", { level: 1, name: "Buckets" }).waitFor();
  await page.getByRole("navigation", { name: "Pages" }).getByRole("link", { name }).click();
  await page.getByRole("heading", { level: 1, name }).waitFor();
  assert.equal(await page.evaluate(() => document.activeElement?.id), "page-title", "focus did not move to the new page's heading");
}

/**
 * Fails unless the page's alert shows the API's message and code.
 * @param {Page} page
 * @param {{ message: string, code: string }} body
 */
async function checkAlert(page, body) {
  const alert = page.getByRole("alert");
  await alert.waitFor();
  assert.equal(await alert.locator(".problem-message").textContent(), body.message);
  assert.equal(await alert.locator(".problem-code code").textContent(), body.code);
}

test("a person adds an Azure account-key credential, sees it listed, a wrong secret is refused, and deletes it", async (t) => {
  const { page, messages } = await open(t);
  await signInTo(page, "Credentials");

  const description = `Console Azure ${Date.now().toString(36)}`;
  await page.getByLabel("Workspace", { exact: true }).selectOption(workspaceId);
  await page.getByLabel("Provider", { exact: true }).selectOption("AZURE");
  await page.getByLabel("Kind", { exact: true }).selectOption("KEY_SECRET");
  await page.getByLabel("Storage account name", { exact: true }).fill(azure.account);
  await page.getByLabel("Account key", { exact: true }).fill(azure.key);
  await page.getByLabel("Endpoint (optional)", { exact: true }).fill(azure.endpoint);
  await page.getByLabel("Description (optional)", { exact: true }).fill(description);
  await checkBothWidths(page, "the credentials page with the add form filled in");
  const created = answer(page, "POST", "/apikeys");
  await page.getByRole("button", { name: "Add credential" }).click();
  const creation = await created;
  assert.equal(creation.status(), 200, `POST /apikeys answered ${creation.status()} ${await creation.text()}`);
  /** @type {{ apiKeyId: string }} */
  const { apiKeyId } = await creation.json();
  assert.equal(await page.getByLabel("Account key", { exact: true }).inputValue(), "", "the secret stayed in its field after it was sent");

  const item = page.getByRole("listitem", { name: description });
  await item.waitFor();
  const listed = await api.GET("/apikeys", { params: { query: { workspaceId } } });
  const stored = listed.data?.apiKeys.find((k) => k.id === apiKeyId);
  assert.ok(stored, `GET /apikeys does not list ${apiKeyId}`);
  /** @param {string} term */
  const fact = (term) => item.locator(`dt:text-is("${term}") + dd`);
  assert.equal(await fact("Provider").textContent(), "AZURE");
  assert.equal(await fact("Kind").textContent(), "Storage account key");
  assert.equal(await fact("Key hint").textContent(), stored.keyHint);
  assert.equal(await fact("Secret fingerprint").textContent(), stored.secretFingerprint);
  assert.equal(await fact("Buckets").textContent(), "0");
  const shown = (await page.locator("main").textContent()) ?? "";
  assert.ok(!shown.includes(azure.key), "the page shows the account key");
  assert.equal(await liveRegion(page).textContent(), "The credential was proved and registered.");

  // A wrong secret is proved at Azurite before anything changes, and refused with the API's words.
  await item.getByRole("button", { name: "Rotate" }).click();
  await item.getByLabel("New account key", { exact: true }).fill(azure.wrongKey);
  await checkBothWidths(page, "the credentials page with a rotation form");
  const rotated = answer(page, "PUT", `/apikeys/${apiKeyId}`);
  await item.getByRole("button", { name: "Rotate", exact: true }).last().click();
  const rotation = await rotated;
  assert.ok(rotation.status() >= 400, `a wrong secret's rotation answered ${rotation.status()}`);
  await checkAlert(page, await rotation.json());
  assert.equal(await item.getByLabel("New account key", { exact: true }).inputValue(), "", "the wrong secret stayed in its field");
  const after = await api.GET("/apikeys", { params: { query: { workspaceId } } });
  assert.equal(after.data?.apiKeys.find((k) => k.id === apiKeyId)?.secretFingerprint, stored.secretFingerprint, "a refused rotation changed the secret");
  await checkAccessible(page, "the credentials page with a refused rotation");

  await item.getByRole("button", { name: "Delete", exact: true }).click();
  const deleted = answer(page, "DELETE", `/apikeys/${apiKeyId}`);
  await item.getByRole("button", { name: "Delete for good" }).click();
  assert.equal((await deleted).status(), 200);
  await page.getByRole("listitem", { name: description }).waitFor({ state: "detached" });
  assert.equal(await liveRegion(page).textContent(), `The credential ${description} was deleted.`);
  const gone = await api.GET("/apikeys", { params: { query: { workspaceId } } });
  assert.ok(!gone.data?.apiKeys.some((k) => k.id === apiKeyId), "the deleted credential is still listed");

  const kept = await page.evaluate(() => ({ local: localStorage.length, session: sessionStorage.length, cookie: document.cookie }));
  assert.deepEqual(kept, { local: 0, session: 0, cookie: "" }, "the console stored something in the browser");
  // The refused rotation's answer is the one error the page logs.
  await checkPolicy(page, messages, [rotation.status()]);
});

test("a credential that a bucket uses cannot be deleted, and the page says how many use it", async (t) => {
  const key = await api.POST("/apikeys", {
    body: { provider: "AZURE", key: azure.account, secret: azure.key, endpoint: azure.endpoint, workspaceId, description: `Console in use ${Date.now().toString(36)}` },
  });
  assert.equal(key.response.status, 200, JSON.stringify(key.error));
  const apiKeyId = key.data?.apiKeyId ?? "";
  const bucket = await api.POST("/bucket", {
    body: { name: `Console Azure bucket ${Date.now().toString(36)}`, bucket: "e2e-container", storageType: "AZURE", apiKeyUuid: apiKeyId, workspaceId },
  });
  assert.equal(bucket.response.status, 200, JSON.stringify(bucket.error));
  t.after(async () => {
    await api.DELETE("/bucket/{bucketId}", { params: { path: { bucketId: bucket.data?.bucketId ?? "" } } });
    await api.DELETE("/apikeys/{apiKeyId}", { params: { path: { apiKeyId } } });
  });

  const { page, messages } = await open(t);
  await signInTo(page, "Credentials");
  const named = page.getByRole("listitem", { name: /^Console in use / });
  await named.waitFor();
  assert.equal(await named.locator('dt:text-is("Buckets") + dd').textContent(), "1");
  await named.getByRole("button", { name: "Delete", exact: true }).click();
  assert.match((await named.getByRole("group").textContent()) ?? "", /1 bucket uses it\./);
  const refused = answer(page, "DELETE", `/apikeys/${apiKeyId}`);
  await named.getByRole("button", { name: "Delete for good" }).click();
  const refusal = await refused;
  assert.equal(refusal.status(), 409);
  /** @type {{ message: string, code: string }} */
  const body = await refusal.json();
  assert.equal(body.code, "CREDENTIAL_IN_USE");
  await checkAlert(page, body);
  await checkPolicy(page, messages, [409]);
});

test("a rotation that fails for a bucket using the credential lists that bucket and why", async (t) => {
  const description = `Console S3 ${Date.now().toString(36)}`;
  const key = await api.POST("/apikeys", {
    body: { provider: "AWS", key: s3.key, secret: s3.secret, endpoint: s3.endpoint, region: s3.region, workspaceId, description },
  });
  assert.equal(key.response.status, 200, JSON.stringify(key.error));
  const apiKeyId = key.data?.apiKeyId ?? "";
  const name = `Console S3 bucket ${Date.now().toString(36)}`;
  const bucket = await api.POST("/bucket", {
    body: { name, bucket: s3.bucket, storageType: "S3", apiKeyUuid: apiKeyId, region: s3.region, workspaceId },
  });
  assert.equal(bucket.response.status, 200, JSON.stringify(bucket.error));
  const bucketId = bucket.data?.bucketId ?? "";
  t.after(async () => {
    await api.DELETE("/bucket/{bucketId}", { params: { path: { bucketId } } });
    await api.DELETE("/apikeys/{apiKeyId}", { params: { path: { apiKeyId } } });
  });

  const { page, messages } = await open(t);
  await signInTo(page, "Credentials");
  const item = page.getByRole("listitem", { name: description });
  await item.getByRole("button", { name: "Rotate" }).click();
  await item.getByLabel("New access key id (empty to keep it)", { exact: true }).fill(other.key);
  await item.getByLabel("New secret access key", { exact: true }).fill(other.secret);
  const rotated = answer(page, "PUT", `/apikeys/${apiKeyId}`);
  await item.getByRole("button", { name: "Rotate", exact: true }).last().click();
  const rotation = await rotated;
  assert.equal(rotation.status(), 409);
  /** @type {{ message: string, code: string, failedBuckets: { bucketId: string, name: string, code: string, message: string }[] }} */
  const body = await rotation.json();
  assert.equal(body.code, "ROTATION_REFUSED");
  await checkAlert(page, body);
  const report = item.getByRole("table", { name: "Buckets the new secret failed for" });
  const row = report.getByRole("row").filter({ has: page.getByRole("rowheader", { name }) });
  const failure = body.failedBuckets.find((f) => f.bucketId === bucketId);
  assert.ok(failure, `failedBuckets ${JSON.stringify(body.failedBuckets)} does not name the bucket`);
  assert.equal(await row.locator("td").nth(0).textContent(), failure.code);
  assert.equal(await row.locator("td").nth(1).textContent(), failure.message);
  assert.equal(await item.getByLabel("New secret access key", { exact: true }).inputValue(), "", "the new secret stayed in its field");
  assert.ok(!((await page.locator("main").textContent()) ?? "").includes(other.secret), "the page shows the new secret");
  await checkBothWidths(page, "the credentials page with a rotation report");
  await checkPolicy(page, messages, [409]);
});

test("the quota meter shows what the organization uses out of its plan", async (t) => {
  // A bucket of its own, so that the meter has something to count whichever test ran before.
  const bucket = await api.POST("/bucket", {
    body: { name: `Console quota ${Date.now().toString(36)}`, bucket: "e2e-container", storageType: "AZURE", key: azure.account, secret: azure.key, endpoint: azure.endpoint, workspaceId },
  });
  assert.equal(bucket.response.status, 200, JSON.stringify(bucket.error));
  t.after(() => api.DELETE("/bucket/{bucketId}", { params: { path: { bucketId: bucket.data?.bucketId ?? "" } } }));

  const { page, messages } = await open(t);
  await signInTo(page, "Quota");
  const quota = await api.GET("/user/quota");
  const usage = quota.data?.quotaUsage.find((q) => q.capability.code === "BUCKETS");
  assert.ok(usage, `GET /user/quota has no BUCKETS entry: ${JSON.stringify(quota.data)}`);
  // The meter counts the live buckets, which the admin's list shows across every workspace.
  const buckets = await api.GET("/bucket", { params: { query: { workspaceId: "" } } });
  assert.ok(usage.usage.current >= 1, "the quota does not count the test's bucket");
  assert.equal(usage.usage.current, buckets.data?.buckets.length, "the quota does not count the live buckets");
  const meter = page.getByRole("meter", { name: usage.capability.description });
  assert.deepEqual(await meter.evaluate((m) => [/** @type {HTMLMeterElement} */ (m).value, /** @type {HTMLMeterElement} */ (m).max]), [usage.usage.current, usage.usage.max]);
  assert.equal(
    await page.locator(".quota-text").textContent(),
    `${usage.usage.current} of ${usage.usage.max} used (${usage.usage.percentage}%)`,
  );
  assert.equal(await page.locator(".plan").textContent(), quota.data?.subscription.name);
  await checkBothWidths(page, "the quota page");
  await checkPolicy(page, messages);
});

test("the API tokens page lists the person's tokens and revokes one", async (t) => {
  /** The answer to a request made with the spare token. */
  const withSpare = () => fetch(`${url}/token`, { headers: { Authorization: `Bearer ${spare.token}` } });
  assert.equal((await withSpare()).status, 200, "the spare token does not work before it is revoked");
  const spareId = spare.id;

  const { page, messages } = await open(t);
  await signInTo(page, "API tokens");
  const row = page.getByRole("row").filter({ has: page.getByRole("rowheader", { name: spareId }) });
  await row.waitFor();
  assert.equal(await row.locator('td[data-label="State"]').textContent(), "ACTIVE");
  const shown = (await page.locator("main").textContent()) ?? "";
  assert.ok(!shown.includes(token) && !shown.includes(spare.token), "the page shows a token");
  await checkBothWidths(page, "the API tokens page");

  await row.getByRole("button", { name: `Revoke token ${spareId}` }).click();
  await page.waitForFunction((id) => document.querySelector('[role="status"]')?.textContent === `The token ${id} was revoked.`, spareId);
  assert.equal(await row.locator('td[data-label="State"]').textContent(), "REVOKED");
  assert.equal((await withSpare()).status, 401, "the revoked token still works");
  await checkPolicy(page, messages);
});
