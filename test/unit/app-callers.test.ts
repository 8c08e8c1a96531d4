/** Which app-only callers come in, how a caller is named in audit lines, and what appToken() accepts. */
import assert from "node:assert/strict";
import { AppCallerPolicy } from "../../lib/auth/app-callers.js";
import { callerOf, isAppOnly } from "../../lib/auth/caller.js";
import type { ValidatedToken } from "../../lib/entra/access-token.js";
import { appToken, ToolDefinitionError } from "../../lib/mcp/index.js";

const DAEMON = "dae70000-0000-4000-8000-0000000000da";
const TENANT = "11111111-1111-1111-1111-111111111111";

function token(claims: Record<string, unknown>, fields: Partial<ValidatedToken> = {}): ValidatedToken {
  return { token: "t", claims, tenantId: TENANT, objectId: "sp-or-user", scopes: [], roles: [], clientId: DAEMON, expiresAt: 0, ...fields };
}

describe("app-only callers", () => {
  const appOnly = token({ roles: ["Tools.Read"] }, { roles: ["Tools.Read"], objectId: "9e0ebeef-0000-4000-8000-0000000000e1" });
  const noRoles = token({});
  const user = token({ scp: "mcp.access" }, { scopes: ["mcp.access"], objectId: "a11ce000-0000-4000-8000-000000000001", clientId: "aebc6443-996d-45c2-90f0-388ff96faa56" });

  it("tells an app-only token from a user's by its missing scp (or idtyp app)", () => {
    assert.equal(isAppOnly(appOnly), true);
    assert.equal(isAppOnly(noRoles), true);
    assert.equal(isAppOnly(user), false);
    assert.equal(isAppOnly(token({ scp: "x", idtyp: "app" })), true);
  });

  it("names the caller by the user's object id or the app's client id", () => {
    assert.deepEqual(callerOf(user), { kind: "user", oid: "a11ce000-0000-4000-8000-000000000001", tid: TENANT });
    assert.deepEqual(callerOf(appOnly), { kind: "app", appId: DAEMON, tid: TENANT });
  });

  it("admits nobody by default", () => {
    const policy = new AppCallerPolicy([], []);
    assert.equal(policy.admits(appOnly), false);
    assert.equal(policy.admits(noRoles), false);
  });

  it("admits a listed app to every tool, and an unlisted one holding a role some tool requires to those tools only", () => {
    const listed = new AppCallerPolicy([DAEMON], []);
    assert.equal(listed.admits(noRoles), true);
    assert.equal(listed.mayCall(noRoles, []), true);

    const byRole = new AppCallerPolicy([], ["Tools.Read"]);
    assert.equal(byRole.admits(appOnly), true);
    assert.equal(byRole.admits(noRoles), false);
    assert.equal(byRole.mayCall(appOnly, ["Tools.Read"]), true);
    assert.equal(byRole.mayCall(appOnly, []), false, "a tool requiring no role is not for unlisted apps");
    assert.equal(new AppCallerPolicy([], ["Tools.Admin"]).admits(appOnly), false, "a role no tool requires opens nothing");
  });
});

describe("appToken()", () => {
  it("takes exactly one <resource>/.default scope", () => {
    assert.deepEqual(appToken(["api://contoso-orders/.default"]).describe, 'appToken(["api://contoso-orders/.default"])');
    for (const scopes of [[], ["api://contoso-orders/Orders.Read"], ["api://contoso-orders/.default", "https://graph.microsoft.com/.default"], [".default"]]) {
      assert.throws(() => appToken(scopes), ToolDefinitionError, JSON.stringify(scopes));
    }
  });

  it("declares no downstream scope for users to consent to", () => {
    assert.equal(appToken(["api://contoso-orders/.default"]).downstreamScopes, undefined);
  });
});
