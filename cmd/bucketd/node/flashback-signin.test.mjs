// Signing in through Flashback's own client: userLogin, userRefresh, userLogout, getTokens and
// revokeToken, each answer checked against the type its method declares.
import assert from "node:assert/strict";
import { test } from "node:test";
import { assertIsA, call, flashback, refusal } from "./flashbacktypes.mjs";
import { assertRefused, client, member, person, server } from "./bucketd.mjs";

test("a person signs in, refreshes and signs out through Flashback's client", async (t) => {
  const api = new flashback.ApiClient(server.url);
  /** @type {any} */
  let session;

  await t.test("userLogin answers tokens the client then sends", async () => {
    session = await call(api, "userLogin", { email: person.email, password: person.password });
    assert.equal(session.success, true);
    assert.ok(session.accessToken && session.refreshToken, JSON.stringify(Object.keys(session)));
    api.setAuthToken(session.accessToken);
    const { buckets } = await call(api, "getStorageBuckets", server.workspaceId);
    assert.ok(Array.isArray(buckets));
  });

  await t.test("userRefresh rotates the refresh token; the used one then revokes the family", async () => {
    assert.ok(session, "userLogin failed");
    const rotated = await call(api, "userRefresh", session.refreshToken);
    assertIsA("platform/auth", "RefreshTokenResponse", rotated);
    assert.notEqual(rotated.refreshToken, session.refreshToken);
    await refusal(api, 401, "userRefresh", session.refreshToken);
    await refusal(client(rotated.accessToken), 401, "getStorageBuckets", server.workspaceId);
    await refusal(api, 401, "userRefresh", rotated.refreshToken);
  });

  await t.test("refreshToken with the LOCAL provider is userRefresh", async () => {
    const fresh = await call(api, "userLogin", { email: person.email, password: person.password });
    const rotated = await call(api, "refreshToken", fresh.refreshToken, flashback.ApiInterfaces.ProviderType.LOCAL);
    assertIsA("platform/auth", "RefreshTokenResponse", rotated);
    await call(client(rotated.accessToken), "getStorageBuckets", server.workspaceId);
  });

  await t.test("userLogout ends the session", async () => {
    const fresh = await call(api, "userLogin", { email: person.email, password: person.password });
    assert.equal((await call(api, "userLogout", fresh.refreshToken)).success, true);
    await refusal(client(fresh.accessToken), 401, "getStorageBuckets", server.workspaceId);
  });

  await t.test("a wrong password and an unknown email get the same refusal", async () => {
    const wrong = await refusal(api, 401, "userLogin", { email: person.email, password: "not the password" });
    const unknown = await refusal(api, 401, "userLogin", { email: "nobody@bucketd.test", password: "not the password" });
    assertIsA("platform/auth", "LoginResponse", wrong);
    assert.deepEqual(wrong, unknown);
  });
});

test("getTokens and revokeToken through Flashback's client see the caller's own API tokens", async () => {
  const api = client();
  const state = async () => (await call(api, "getTokens")).tokens.find((/** @type {any} */ t) => t.id === person.spareTokenId)?.state;
  assert.equal(await state(), "ACTIVE");
  assert.ok(!JSON.stringify(await call(api, "getTokens")).includes(server.token), "getTokens answers a token");
  assert.equal((await call(api, "revokeToken", person.spareTokenId)).success, true);
  assert.equal(await state(), "REVOKED");
  assertRefused(await refusal(api, 404, "revokeToken", "0192f7a5-0e1f-7a2b-8c3d-4e5f60718293"), "NOT_FOUND");
  assertRefused(await refusal(client(member.token), 404, "revokeToken", person.spareTokenId), "NOT_FOUND");
});
