// What the console's browser test files share: the server and the person TestConsole
// (cmd/bucketd/console_test.go) hands them, the browser, and the checks every page must pass:
// its Content-Security-Policy, axe-core with no serious or critical violation, and no sideways
// scrolling. Importing it launches Chromium before the file's tests and closes it after them.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { after, before } from "node:test";
import createClient from "openapi-fetch";
import { chromium } from "playwright-core";
import { required } from "./env.mjs";

/** @typedef {import("../../../gen/ts/schema.js").paths} paths */
/** @typedef {import("playwright-core").Page} Page */

export const url = required("BUCKETD_URL");
export const person = { email: required("BUCKETD_EMAIL"), password: required("BUCKETD_PASSWORD") };
export const token = required("BUCKETD_TOKEN");
export const workspaceId = required("BUCKETD_WORKSPACE_ID");
/** The gateway's bucket and its owner's keys. */
export const s3 = {
  endpoint: required("BUCKETD_S3_ENDPOINT"),
  region: required("BUCKETD_S3_REGION"),
  bucket: required("BUCKETD_S3_BUCKET"),
  key: required("BUCKETD_S3_KEY"),
  secret: required("BUCKETD_S3_SECRET"),
};

export const api = /** @type {import("openapi-fetch").Client<paths>} */ (
  createClient({ baseUrl: url, headers: { Authorization: `Bearer ${token}` } })
);

const axeSource = await readFile(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/** The widths the console must be readable at: a laptop, and a phone. */
export const wide = { width: 1280, height: 800 };
export const narrow = { width: 390, height: 844 };

/** @type {import("playwright-core").Browser} */
let browser;

before(async () => {
  browser = await chromium.launch({
    executablePath: required("BUCKETD_CHROMIUM"),
    // As root, as in CI, Chromium runs only without its sandbox.
    args: ["--no-sandbox"],
  });
});

after(async () => {
  await browser?.close();
});

/**
 * A fresh browser tab, recording every console message and every CSP violation the page
 * reports, for checkPolicy.
 * @param {import("node:test").TestContext} t
 */
export async function open(t) {
  const context = await browser.newContext({ viewport: wide });
  t.after(() => context.close());
  const page = await context.newPage();
  /** @type {string[]} */
  const messages = [];
  page.on("console", (m) => {
    if (m.type() === "error") messages.push(m.text());
  });
  page.on("pageerror", (e) => messages.push(`uncaught: ${e.message}`));
  // The init script is the browser's own instrumentation, which the policy does not govern.
  await page.addInitScript(() => {
    /** @type {string[]} */
    const seen = [];
    Object.defineProperty(window, "cspViolations", { value: seen });
    document.addEventListener("securitypolicyviolation", (e) => seen.push(`${e.violatedDirective} blocked ${e.blockedURI}`));
  });
  return { page, messages };
}

/**
 * Loads path and checks the answer carries the console's policy.
 * @param {Page} page
 * @param {string} path
 */
export async function visit(page, path) {
  const response = await page.goto(url + path);
  assert.ok(response, `no answer for ${path}`);
  assert.equal(response.status(), 200, `${path} answered ${response.status()}`);
  const policy = response.headers()["content-security-policy"] ?? "";
  assert.match(policy, /(^|;\s*)default-src 'self'(;|$)/, `${path}: Content-Security-Policy ${JSON.stringify(policy)}`);
  assert.match(policy, /frame-ancestors 'none'/);
  assert.equal(response.headers()["x-content-type-options"], "nosniff");
}

/**
 * Fails unless the page reported no CSP violation and logged no error. A failed API call the
 * test made on purpose logs its status (Chromium's "Failed to load resource"); allowed lists
 * those statuses.
 * @param {Page} page
 * @param {string[]} messages
 * @param {number[]} [allowed]
 */
export async function checkPolicy(page, messages, allowed = []) {
  const violations = await page.evaluate(() => /** @type {any} */ (window).cspViolations);
  assert.deepEqual(violations, [], "the page tripped its Content-Security-Policy");
  const unexpected = messages.filter((m) => !allowed.some((status) => m.includes(`status of ${status}`)));
  assert.deepEqual(unexpected, [], "the page logged errors");
}

/**
 * Runs axe-core on the page as it is and fails on any serious or critical violation.
 * @param {Page} page
 * @param {string} what
 */
export async function checkAccessible(page, what) {
  // Evaluated by the browser's debugging protocol, which the page's policy does not govern.
  await page.evaluate(axeSource);
  const results = await page.evaluate(() => /** @type {any} */ (window).axe.run(document, { resultTypes: ["violations"] }));
  /** @type {{ id: string, impact: string, help: string, nodes: { target: string[] }[] }[]} */
  const violations = results.violations;
  const grave = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  assert.deepEqual(
    grave.map((v) => `${v.impact} ${v.id}: ${v.help} at ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`),
    [],
    `axe-core on ${what}`,
  );
}

/**
 * Fails when the page is wider than its viewport, so that a person would scroll sideways.
 * @param {Page} page
 * @param {string} what
 */
export async function checkFits(page, what) {
  const { scroll, viewport } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, viewport: window.innerWidth }));
  assert.ok(scroll <= viewport, `${what} is ${scroll} px wide in a ${viewport} px window`);
}

/**
 * The text of the live region that announces what changed.
 * @param {Page} page
 */
export function liveRegion(page) {
  return page.locator('[role="status"][aria-live="polite"]');
}

/**
 * Signs in on the sign-in page with the person's email and password.
 * @param {Page} page
 */
export async function signIn(page) {
  await page.getByLabel("Email", { exact: true }).fill(person.email);
  await page.getByLabel("Password", { exact: true }).fill(person.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { level: 1, name: "Buckets" }).waitFor();
}

/**
 * Signs out and waits for the sign-in page.
 * @param {Page} page
 */
export async function signOut(page) {
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByRole("heading", { level: 1, name: "Sign in to bucketd" }).waitFor();
}

/**
 * Scans the page with axe-core at both widths and checks it fits the narrow one.
 * @param {Page} page
 * @param {string} what
 */
export async function checkBothWidths(page, what) {
  await checkAccessible(page, `${what} at 1280 px`);
  await page.setViewportSize(narrow);
  await checkAccessible(page, `${what} at 390 px`);
  await checkFits(page, what);
  await page.setViewportSize(wide);
}

/**
 * The page's next answer to method on path, skipping the 401s of an expired access token,
 * which the page renews and asks again.
 * @param {Page} page
 * @param {string} method
 * @param {string} path
 */
export function answer(page, method, path) {
  return page.waitForResponse((r) => r.url() === url + path && r.request().method() === method && r.status() !== 401);
}
