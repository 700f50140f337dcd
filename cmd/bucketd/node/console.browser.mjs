// The console (/console) in a real browser: Debian's Chromium driven by playwright-core,
// against the real binary that cmd/bucketd/console_test.go starts. Each page is scanned with
// axe-core, injected by the test, and must break no rule of serious or critical impact; no
// page may trip its Content-Security-Policy.
import assert from "node:assert/strict";
import { test } from "node:test";
import { api, checkAccessible, checkFits, checkPolicy, liveRegion, narrow, open, person, s3, signIn, signOut, token, url, visit, wide, workspaceId } from "./console.mjs";

/** @typedef {import("playwright-core").Page} Page */

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
  /** @type {{ message: string, code: string }} */
  const body = await (await refused).json();
  const alert = page.getByRole("alert");
  await alert.waitFor();
  assert.equal(await alert.locator(".problem-message").textContent(), body.message);
  assert.equal(await alert.locator(".problem-code code").textContent(), body.code);
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

test("a wrong password shows the API's message and code", async (t) => {
  const { page, messages } = await open(t);
  await visit(page, "/console/sign-in");
  await page.getByLabel("Email", { exact: true }).fill(person.email);
  await page.getByLabel("Password", { exact: true }).fill(`${person.password} but wrong`);
  const login = page.waitForResponse((r) => r.url() === `${url}/user/login`);
  await page.getByRole("button", { name: "Sign in" }).click();
  const response = await login;
  assert.equal(response.status(), 401);
  /** @type {{ message: string, code: string }} */
  const body = await response.json();
  const alert = page.getByRole("alert");
  await alert.waitFor();
  assert.equal(await alert.locator(".problem-message").textContent(), body.message);
  assert.equal(await alert.locator(".problem-code code").textContent(), "UNAUTHENTICATED");
  assert.equal(await page.getByRole("heading", { level: 1, name: "Sign in to bucketd" }).count(), 1, "a wrong password left the sign-in page");
  await checkPolicy(page, messages, [401]);
});
