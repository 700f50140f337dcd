// The console (/console) in a real browser: Debian's Chromium driven by playwright-core,
// against the real binary that cmd/bucketd/console_test.go starts. Each page is scanned with
// axe-core, injected by the test, and must break no rule of serious or critical impact; no
// page may trip its Content-Security-Policy.
import assert from "node:assert/strict";
import { test } from "node:test";
import { answer, api, checkAccessible, checkBothWidths, checkFits, checkPolicy, liveRegion, narrow, open, person, s3, signIn, signOut, token, url, visit, wide, workspaceId } from "./console.mjs";

/** @typedef {import("playwright-core").Page} Page */

/**
 * Fails unless response has status and the page shows its error as an alert with the API's
 * exact message and code; returns the error.
 * @param {Page} page
 * @param {import("playwright-core").Response} response
 * @param {number} status
 * @returns {Promise<{ message: string, code: string }>}
 */
async function checkShownError(page, response, status) {
  assert.equal(response.status(), status);
  const body = await response.json();
  const alert = page.getByRole("alert");
  await alert.waitFor();
  assert.equal(await alert.locator(".problem-message").textContent(), body.message);
  assert.equal(await alert.locator(".problem-code code").textContent(), body.code);
  return body;
}

/**
 * The latest tokens of the page's session, as the server hands them to it (sign-in, renewals),
 * and how many renewals the page asked for.
 * @param {Page} page
 */
function sessionTokens(page) {
  const tokens = { access: "", refresh: "", renewals: 0 };
  page.on("request", (r) => {
    if (r.url() === `${url}/user/refresh`) tokens.renewals++;
  });
  page.on("response", async (r) => {
    if (r.request().method() !== "POST" || r.status() !== 200) return;
    if (r.url() !== `${url}/user/login` && r.url() !== `${url}/user/refresh`) return;
    const body = await r.json();
    tokens.access = body.accessToken;
    tokens.refresh = body.refreshToken;
  });
  return tokens;
}

test("a person signs in, sees a bucket registered through the API with its status, and signs out", async (t) => {
  const name = `Console bucket ${Date.now().toString(36)}`;
  const created = await api.POST("/bucket", {
    body: { name, bucket: s3.bucket, storageType: "S3", key: s3.key, secret: s3.secret, region: s3.region, endpoint: s3.endpoint, workspaceId },
  });
  assert.equal(created.response.status, 200, `POST /bucket answered ${created.response.status} ${JSON.stringify(created.error)}`);
  const bucketId = created.data?.bucketId ?? "";
  const read = await api.GET("/bucket/{bucketId}", { params: { path: { bucketId } } });
  const bucket = read.data?.bucket;
  assert.ok(bucket && bucket.lastStatusAt && bucket.secretFingerprint, `the created bucket ${JSON.stringify(bucket)} has no status time or fingerprint`);

  const { page, messages } = await open(t);
  await visit(page, "/console/");
  await page.waitForURL(`${url}/console/sign-in`);
  await assert.doesNotReject(page.getByRole("heading", { level: 1, name: "Sign in to bucketd" }).waitFor());
  await checkAccessible(page, "the sign-in page at 1280 px");
  await page.setViewportSize(narrow);
  await checkAccessible(page, "the sign-in page at 390 px");
  await checkFits(page, "the sign-in page");
  await page.setViewportSize(wide);

  const tokens = sessionTokens(page);
  await signIn(page);
  await page.waitForURL(`${url}/console/buckets`);
  assert.equal(await page.getByText(`Signed in as ${person.email}`, { exact: true }).count(), 1);
  assert.equal(await page.evaluate(() => document.activeElement?.id), "page-title", "focus did not move to the new page's heading");

  const row = page.getByRole("row").filter({ has: page.getByRole("rowheader", { name }) });
  await row.waitFor();
  /** @param {string} label */
  const cell = (label) => row.locator(`td[data-label="${label}"]`);
  assert.equal(await cell("Provider").textContent(), "S3");
  assert.equal(await cell("Bucket").textContent(), s3.bucket);
  assert.equal(await cell("Region").textContent(), s3.region);
  assert.equal(await cell("Key hint").textContent(), bucket.keyHint);
  assert.equal(await cell("Secret fingerprint").textContent(), bucket.secretFingerprint);
  assert.equal(await cell("Status").locator(".badge").textContent(), "ONLINE");
  assert.equal(await cell("Status").locator("time").getAttribute("datetime"), bucket.lastStatusAt);
  const shown = await row.textContent();
  assert.ok(!shown?.includes(s3.secret) && !shown?.includes(s3.key), "the list shows a credential");
  assert.match(await liveRegion(page).textContent() ?? "", /^\d+ buckets? shown\.$/);

  // The workspace switcher filters the list by the workspace chosen.
  await page.getByLabel("Workspace", { exact: true }).selectOption(workspaceId);
  await page.waitForResponse((r) => r.url().startsWith(`${url}/bucket?`) && r.url().includes(workspaceId));
  await row.waitFor();

  await checkAccessible(page, "the bucket list at 1280 px");
  await page.setViewportSize(narrow);
  await checkAccessible(page, "the bucket list at 390 px");
  await checkFits(page, "the bucket list");
  assert.ok(await cell("Key hint").isVisible(), "at 390 px the bucket's key hint is not shown");

  // No token or secret is kept where it would outlive the tab.
  const stored = await page.evaluate(() => ({ local: localStorage.length, session: sessionStorage.length, cookie: document.cookie }));
  assert.deepEqual(stored, { local: 0, session: 0, cookie: "" }, "the console stored something in the browser");

  await signOut(page);
  await page.waitForURL(`${url}/console/sign-in`);
  assert.equal(await liveRegion(page).textContent(), "Signed out.");
  // Signing out ended the session on the server, not only in the tab: its last refresh token,
  // good for 30 days, is refused.
  assert.ok(tokens.refresh, "the console never signed in");
  const afterSignOut = await fetch(`${url}/user/refresh`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ refresh_token: tokens.refresh }),
  });
  assert.equal(afterSignOut.status, 401, "the session's refresh token still works after signing out");
  // Access tokens expire during the test (TestConsole shortens them), and each refusal before
  // a renewal is logged.
  await checkPolicy(page, messages, [401]);
});

test("an API token pasted in signs in; a refused one shows the API's message and code", async (t) => {
  const { page, messages } = await open(t);
  await visit(page, "/console/sign-in");
  await page.getByLabel("API token", { exact: true }).fill("bkd_not-a-token");
  const refused = page.waitForResponse((r) => r.url() === `${url}/workspace`);
  await page.getByRole("button", { name: "Use token" }).click();
  const body = await checkShownError(page, await refused, 401);
  assert.equal(body.code, "UNAUTHENTICATED");
  await checkAccessible(page, "the sign-in page with an error");

  await page.getByLabel("API token", { exact: true }).fill(token);
  await page.getByRole("button", { name: "Use token" }).click();
  await page.getByRole("heading", { level: 1, name: "Buckets" }).waitFor();
  assert.equal(await page.getByText("Signed in as an API token").count(), 1);
  await signOut(page);
  await checkPolicy(page, messages, [401]);
});

test("an expired access token is renewed with the refresh token, and the page goes on", async (t) => {
  const { page, messages } = await open(t);
  await visit(page, "/console/sign-in");
  const tokens = sessionTokens(page);
  await signIn(page);
  // The server was started with short-lived access tokens: wait until the page's is refused.
  const expired = tokens.access;
  for (;;) {
    const r = await fetch(`${url}/workspace`, { headers: { Authorization: `Bearer ${expired}` } });
    if (r.status === 401) break;
    assert.equal(r.status, 200);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const renewals = tokens.renewals;
  const renewed = page.waitForResponse((r) => r.url() === `${url}/user/refresh`);
  const listed = page.waitForResponse((r) => r.url().startsWith(`${url}/bucket?`) && r.status() === 200);
  await page.getByRole("button", { name: "Refresh" }).click();
  const renewal = await renewed;
  assert.equal(renewal.status(), 200, "the renewal was refused");
  assert.notEqual((await renewal.json()).accessToken, expired);
  await listed;
  assert.equal(tokens.renewals, renewals + 1, "the console did not renew the session exactly once");
  assert.equal(await page.getByRole("alert").count(), 0, "the renewal showed an error");
  assert.equal(await page.getByRole("heading", { level: 1, name: "Buckets" }).count(), 1);
  await signOut(page);
  // The expired token's 401 is the one error the page logs.
  await checkPolicy(page, messages, [401]);
});

/**
 * Fails unless the page's heading is the one named and holds the focus, as after each move
 * from page to page.
 * @param {Page} page
 * @param {string} name
 */
async function checkArrived(page, name) {
  await page.getByRole("heading", { level: 1, name, exact: true }).waitFor();
  assert.equal(await page.evaluate(() => document.activeElement?.id), "page-title", `focus did not move to the heading of ${name}`);
}

/**
 * The report the page shows under title, as check name and verdict pairs.
 * @param {Page} page
 * @param {string} title
 */
async function shownChecks(page, title) {
  const report = page.locator('[aria-live="polite"] .report').filter({ has: page.getByRole("heading", { name: title, exact: true }) });
  await report.waitFor();
  return report.locator("li.check").evaluateAll((items) => items.map((li) => [li.getAttribute("data-check"), li.querySelector(".check-verdict")?.textContent]));
}

test("a person registers an S3 bucket after its dry run, edits it, has a wrong secret refused, re-validates it and deletes it", async (t) => {
  const { page, messages } = await open(t);
  await visit(page, "/console/sign-in");
  await signIn(page);

  await page.getByRole("link", { name: "Register a bucket" }).click();
  await page.waitForURL(`${url}/console/buckets/new`);
  await checkArrived(page, "Register a bucket");
  // Back and Forward move between the pages without a reload.
  await page.goBack();
  await checkArrived(page, "Buckets");
  await page.goForward();
  await checkArrived(page, "Register a bucket");
  await checkBothWidths(page, "the register page");

  // The other providers' fields, and a stored credential instead of a key and secret.
  const credential = await api.POST("/apikeys", {
    body: { provider: "S3", key: s3.key, secret: s3.secret, endpoint: s3.endpoint, region: s3.region, description: "Console credential", workspaceId },
  });
  assert.equal(credential.response.status, 200, `POST /apikeys answered ${JSON.stringify(credential.error)}`);
  await page.getByRole("radio", { name: "Google Cloud Storage" }).check();
  await page.getByLabel("Service account key file (JSON)", { exact: true }).waitFor();
  await page.getByRole("radio", { name: "Azure Blob Storage" }).check();
  await page.getByLabel("Storage account name", { exact: true }).waitFor();
  await checkBothWidths(page, "the register page for Azure");
  await page.getByRole("radio", { name: "Amazon S3 or S3-compatible" }).check();
  await page.getByRole("radio", { name: "A stored credential" }).check();
  const stored = page.getByLabel("Stored credential", { exact: true });
  await stored.locator(`option[value="${credential.data?.apiKeyId}"]`).waitFor({ state: "attached" });
  assert.match(await stored.locator(`option[value="${credential.data?.apiKeyId}"]`).textContent() ?? "", /^Console credential: /);
  await checkBothWidths(page, "the register page with a stored credential");
  await page.getByRole("radio", { name: "This bucket's own" }).check();

  const name = `Registered ${Date.now().toString(36)}`;
  await page.getByLabel("Name", { exact: true }).fill(name);
  await page.getByLabel("Workspace", { exact: true }).selectOption(workspaceId);
  await page.getByRole("radio", { name: "Amazon S3 or S3-compatible" }).check();
  await page.getByLabel("Provider bucket", { exact: true }).fill(s3.bucket);
  await page.getByLabel("Region (optional)", { exact: true }).fill(s3.region);
  await page.getByLabel("Endpoint (optional)", { exact: true }).fill(s3.endpoint);
  await page.getByLabel("Access key id", { exact: true }).fill(s3.key);
  await page.getByLabel("Secret access key", { exact: true }).fill(s3.secret);
  const register = page.getByRole("button", { name: "Register", exact: true });
  assert.ok(await register.isDisabled(), "Register is offered before a dry run");

  // The dry run is held until the page has shown it running for a second.
  /** @type {() => void} */
  let release = () => {};
  const held = new Promise((resolve) => { release = () => resolve(undefined); });
  await page.route(`${url}/bucket/validate`, async (route) => {
    await held;
    await route.continue();
  });
  const dryRun = answer(page, "POST", "/bucket/validate");
  await page.getByRole("button", { name: "Check", exact: true }).click();
  await page.getByRole("timer").filter({ hasText: /^[1-9]\d* s$/ }).waitFor();
  assert.equal(await liveRegion(page).textContent(), "Checking the credentials with the provider.");
  release();
  const validated = await dryRun;
  assert.equal(validated.status(), 200);
  /** @type {import("../../../gen/ts/schema.js").components["schemas"]["ValidationResult"]} */
  const report = await validated.json();
  assert.equal(report.success, true, `the dry run failed: ${report.message}`);
  await page.unroute(`${url}/bucket/validate`);
  assert.deepEqual(await shownChecks(page, "Dry-run report"), report.checks.map((c) => [c.name, "passed"]));
  assert.equal(await page.locator(".report .addressing-style").textContent(), report.addressingStyle);
  assert.equal(await page.getByRole("timer").count(), 0, "the dry run still shows as running");
  await checkBothWidths(page, "the register page with its dry-run report");

  const saving = page.waitForRequest((r) => r.url() === `${url}/bucket` && r.method() === "POST");
  const saved = answer(page, "POST", "/bucket");
  await register.click();
  assert.match((await saving).headers()["idempotency-key"] ?? "", /^[0-9a-f]{32}$/, "the save has no Idempotency-Key");
  const created = await saved;
  assert.equal(created.status(), 200);
  const { bucketId } = await created.json();
  await page.waitForURL(`${url}/console/buckets/${bucketId}`);
  await checkArrived(page, name);
  await liveRegion(page).filter({ hasText: `Bucket ${name} registered. Status: ONLINE.` }).waitFor();

  /** @param {string} label */
  const detail = (label) => page.locator(`.details .fact[data-label="${label}"] dd`);
  const registered = (await api.GET("/bucket/{bucketId}", { params: { path: { bucketId } } })).data?.bucket;
  assert.ok(registered?.secretFingerprint, "the registered bucket has no fingerprint");
  assert.equal(await detail("Status").locator(".badge").textContent(), "ONLINE");
  assert.equal(await detail("Status").locator("time").getAttribute("datetime"), registered.lastStatusAt);
  assert.equal(await detail("Key hint").textContent(), registered.keyHint);
  assert.equal(await detail("Secret fingerprint").textContent(), registered.secretFingerprint);
  assert.equal(await detail("Endpoint").textContent(), s3.endpoint);
  await checkBothWidths(page, "the bucket's page");

  // Edit: a new name.
  const renamed = `${name} renamed`;
  const editForm = page.locator("form").filter({ has: page.getByRole("heading", { name: "Edit" }) });
  await editForm.getByLabel("Name", { exact: true }).fill(renamed);
  const put = answer(page, "PUT", `/bucket/${bucketId}`);
  await editForm.getByRole("button", { name: "Save changes" }).click();
  assert.equal((await put).status(), 200);
  await page.getByRole("heading", { level: 1, name: renamed, exact: true }).waitFor();

  // A wrong secret is refused: the API's message and code, and the report of the tried values.
  const wrong = `${s3.secret}-wrong`;
  const rotateForm = page.locator("form").filter({ has: page.getByRole("heading", { name: "Rotate the secret" }) });
  await rotateForm.getByLabel("Secret access key", { exact: true }).fill(wrong);
  const refusal = answer(page, "PUT", `/bucket/${bucketId}`);
  await rotateForm.getByRole("button", { name: "Rotate" }).click();
  const body = await checkShownError(page, await refusal, 400);
  const refusedChecks = await shownChecks(page, "Report of the refused secret (tried, not stored)");
  assert.ok(refusedChecks.some(([, verdict]) => verdict === "failed"), `the refused secret's report has no failed check: ${JSON.stringify(refusedChecks)}`);
  assert.equal(await page.locator(".report .report-code").textContent(), body.code, "the report names another cause than the refusal");
  assert.equal(await rotateForm.getByLabel("Secret access key", { exact: true }).inputValue(), "", "the secret field was not emptied");
  assert.equal(await detail("Secret fingerprint").textContent(), registered.secretFingerprint, "a refused rotation changed the secret");
  assert.equal(await detail("Status").locator(".badge").textContent(), "ONLINE");
  await checkBothWidths(page, "the bucket's page with a refused rotation");

  const revalidation = answer(page, "POST", `/bucket/${bucketId}/validate`);
  await page.getByRole("button", { name: "Re-validate" }).click();
  /** @type {import("../../../gen/ts/schema.js").components["schemas"]["ValidationResult"]} */
  const revalidated = await (await revalidation).json();
  assert.equal(revalidated.success, true, revalidated.message);
  assert.deepEqual(await shownChecks(page, "Re-validation report"), revalidated.checks.map((c) => [c.name, "passed"]));
  assert.equal(await page.getByRole("alert").count(), 0, "the refusal is still shown after a re-validation");

  // Delete: the confirmation holds the focus; Escape cancels and gives the focus back.
  const opener = page.getByRole("button", { name: "Delete bucket" });
  await opener.click();
  const dialog = page.getByRole("dialog", { name: `Delete ${renamed}?` });
  await dialog.waitFor();
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), "Cancel", "the dialog did not take the focus");
  await checkBothWidths(page, "the delete confirmation");
  for (const key of ["Tab", "Tab", "Tab", "Shift+Tab", "Shift+Tab", "Shift+Tab"]) {
    await page.keyboard.press(key);
    assert.ok(await dialog.evaluate((d) => d.contains(document.activeElement)), `${key} left the dialog`);
  }
  await page.keyboard.press("Escape");
  await dialog.waitFor({ state: "hidden" });
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), "Delete bucket", "the focus did not return to the delete button");
  await opener.click();
  await dialog.getByRole("button", { name: "Delete", exact: true }).click();
  await page.waitForURL(`${url}/console/buckets`);
  await checkArrived(page, "Buckets");
  await liveRegion(page).filter({ hasText: new RegExp(`^Bucket ${renamed} deleted\\. \\d+ buckets? shown\\.$`) }).waitFor();
  assert.equal((await api.GET("/bucket/{bucketId}", { params: { path: { bucketId } } })).response.status, 404, "the bucket is still there");

  const shown = await page.evaluate(() => document.body.innerText);
  assert.ok(!shown.includes(s3.secret) && !shown.includes(wrong), "the page shows a secret");
  const kept = await page.evaluate(() => ({ local: localStorage.length, session: sessionStorage.length, cookie: document.cookie }));
  assert.deepEqual(kept, { local: 0, session: 0, cookie: "" }, "the console stored something in the browser");
  // The refused rotation is the 400; access tokens expire during the test (401, then renewed).
  await checkPolicy(page, messages, [400, 401]);
});

test("a wrong password shows the API's message and code", async (t) => {
  const { page, messages } = await open(t);
  await visit(page, "/console/sign-in");
  await page.getByLabel("Email", { exact: true }).fill(person.email);
  await page.getByLabel("Password", { exact: true }).fill(`${person.password} but wrong`);
  const login = page.waitForResponse((r) => r.url() === `${url}/user/login`);
  await page.getByRole("button", { name: "Sign in" }).click();
  const body = await checkShownError(page, await login, 401);
  assert.equal(body.code, "UNAUTHENTICATED");
  assert.equal(await page.getByRole("heading", { level: 1, name: "Sign in to bucketd" }).count(), 1, "a wrong password left the sign-in page");
  await checkPolicy(page, messages, [401]);
});
