// Workspaces through Flashback's own client (getWorkspaces and its siblings), each answer checked
// against the type its method declares.
import assert from "node:assert/strict";
import { test } from "node:test";
import { call, refusal } from "./flashbacktypes.mjs";
import { assertRefused, client, member, s3Request, server, uniqueName } from "./bucketd.mjs";

test("an admin manages workspaces and their members through Flashback's client", async (t) => {
  const admin = client();
  const asMember = client(member.token);
  let id = "";
  const created = () => {
    assert.ok(id, "createWorkspace failed");
    return id;
  };

  await t.test("getWorkspaces lists the organization's workspace with its users", async () => {
    const { workspaces } = await call(admin, "getWorkspaces");
    const home = workspaces.find((/** @type {any} */ w) => w.id === server.workspaceId);
    assert.ok(home, `getWorkspaces: ${JSON.stringify(workspaces)} misses ${server.workspaceId}`);
    assert.ok(home.users.some((/** @type {any} */ u) => u.userId === member.id), "the member is not among the workspace's users");
  });

  await t.test("createWorkspace, getWorkspace, updateWorkspace", async () => {
    const name = uniqueName("Flashback workspace");
    const answer = await call(admin, "createWorkspace", { name });
    assert.equal(answer.workspace.name, name);
    id = answer.workspace.id;
    assert.equal((await call(admin, "getWorkspace", id)).workspace.name, name);
    const renamed = uniqueName("Renamed workspace");
    assert.equal((await call(admin, "updateWorkspace", id, { name: renamed })).workspace.name, renamed);
  });

  await t.test("a member sees only their workspaces, is refused the others by name, and manages none", async () => {
    const ws = created();
    const seen = (await call(asMember, "getWorkspaces")).workspaces.map((/** @type {any} */ w) => w.id);
    assert.ok(seen.includes(server.workspaceId) && !seen.includes(ws), `the member sees ${JSON.stringify(seen)}`);
    assertRefused(await refusal(asMember, 403, "getWorkspace", ws), "FORBIDDEN");
    assertRefused(await refusal(asMember, 403, "createWorkspace", { name: uniqueName("Not allowed") }), "FORBIDDEN");
  });

  await t.test("addUserToWorkspace, updateWorkspaceUserRole, removeUserFromWorkspace", async () => {
    const ws = created();
    assert.equal((await call(admin, "addUserToWorkspace", ws, { userId: member.id, role: "READ" })).success, true);
    const users = (await call(asMember, "getWorkspace", ws)).workspace.users;
    assert.equal(users.find((/** @type {any} */ u) => u.userId === member.id)?.role, "READ");
    assert.equal((await call(admin, "updateWorkspaceUserRole", ws, member.id, { role: "WRITE" })).success, true);
    const after = (await call(admin, "getWorkspace", ws)).workspace.users;
    assert.equal(after.find((/** @type {any} */ u) => u.userId === member.id)?.role, "WRITE");
    assert.equal((await call(admin, "removeUserFromWorkspace", ws, member.id)).success, true);
    assertRefused(await refusal(asMember, 403, "getWorkspace", ws), "FORBIDDEN");
  });

  await t.test("deleteWorkspace refuses a workspace with live buckets, naming how many", async () => {
    const ws = created();
    const bucket = await call(admin, "createStorageBucket", { ...s3Request(uniqueName("In a workspace")), workspaceId: ws });
    const refused = await refusal(admin, 409, "deleteWorkspace", ws);
    assert.match(refused.message, /\b1 live bucket/, refused.message);
    await call(admin, "deleteStorageBucket", bucket.bucketId);
    assert.equal((await call(admin, "deleteWorkspace", ws)).success, true);
    assertRefused(await refusal(admin, 404, "getWorkspace", ws), "NOT_FOUND");
  });
});
