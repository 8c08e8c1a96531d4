/**
 * The stand-in's side of step-up: consent a user withdrew (switchable at run
 * time, in-process, over HTTP and from the CLI), its consent page, and a
 * Conditional Access policy demanding MFA once, with the `claims` parameter
 * recorded as it arrives at /authorize.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { decodeJwt } from "jose";
import { GRAPH_USER_READ, KIT_CLIENT_ID, KIT_SCOPE_URI } from "../../dev/defaults.js";
import type { EntraStandIn } from "../../dev/entra/index.js";
import { authorizeUrl, kitAuthorizeParams, kitCode, kitTokenByPassword, oboAsKit, pkcePair, redeemKitCode, requireDevTlsTrust, startDefaultStandIn } from "../support/entra.js";
import { permissionsOnPage, signInThroughPages } from "../support/entra-pages.js";

const CLI = fileURLToPath(new URL("../../dev/cli.js", import.meta.url));
const WITH_GRAPH = `${KIT_SCOPE_URI} ${GRAPH_USER_READ} openid profile offline_access`;

async function switchOverHttp(standIn: EntraStandIn, name: string, body: unknown, contentType = "application/json"): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(new URL(`/_dev/${name}`, standIn.origin), { method: "POST", headers: { "content-type": contentType }, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe("Entra stand-in: step-up switches", function () {
  this.timeout(30_000);
  let standIn: EntraStandIn;

  before(async () => {
    requireDevTlsTrust();
    standIn = await startDefaultStandIn();
  });
  after(() => standIn.close());
  beforeEach(() => standIn.activity.reset());

  it("refuses On-Behalf-Of for a withdrawn consent, asks for it on the consent page, and allows it once accepted", async () => {
    const before = String((await kitTokenByPassword(standIn, "alice")).access_token);
    assert.equal((await oboAsKit(standIn, before, GRAPH_USER_READ)).status, 200, "automatic consent");

    standIn.withdrawConsent("alice", KIT_CLIENT_ID, [GRAPH_USER_READ]);
    const refused = await oboAsKit(standIn, before, GRAPH_USER_READ);
    assert.deepEqual(refused.body.error_codes, [65001]);
    assert.equal(refused.body.suberror, "consent_required");
    assert.equal((await oboAsKit(standIn, String((await kitTokenByPassword(standIn, "bob")).access_token), GRAPH_USER_READ)).status, 200, "only alice withdrew");

    let consentPage = "";
    const pkce = pkcePair();
    const redirect = await signInThroughPages(authorizeUrl(standIn, kitAuthorizeParams(pkce, { scope: WITH_GRAPH })), { user: "alice", onConsentPage: (html) => (consentPage = html) });
    assert.deepEqual(permissionsOnPage(consentPage), [GRAPH_USER_READ], "the page asks for exactly what is missing");
    assert.match(consentPage, /Microsoft Graph: <strong>User\.Read<\/strong>/);
    const record = standIn.activity.records({ endpoint: "authorize" }).at(-1)!;
    assert.deepEqual(record.consented, [GRAPH_USER_READ]);

    const kit = await redeemKitCode(standIn, redirect.searchParams.get("code")!, pkce.verifier);
    assert.equal((await oboAsKit(standIn, String(kit.body.access_token), GRAPH_USER_READ)).status, 200, "consented again");
  });

  it("answers access_denied when the user cancels the consent page, and keeps the consent withdrawn", async () => {
    standIn.withdrawConsent("bob", KIT_CLIENT_ID, ["User.Read"]);
    const redirect = await signInThroughPages(authorizeUrl(standIn, kitAuthorizeParams(pkcePair(), { scope: WITH_GRAPH })), { user: "bob", consent: "deny" });
    assert.equal(redirect.searchParams.get("error"), "access_denied");
    assert.deepEqual((await oboAsKit(standIn, String((await kitTokenByPassword(standIn, "bob")).access_token), GRAPH_USER_READ)).body.error_codes, [65001]);
    standIn.grantConsent("bob", KIT_CLIENT_ID, [GRAPH_USER_READ]);
  });

  it("shows no consent page for what the user already consented to", async () => {
    let shown = false;
    const redirect = await signInThroughPages(authorizeUrl(standIn, kitAuthorizeParams(pkcePair(), { scope: WITH_GRAPH })), { user: "alice", onConsentPage: () => (shown = true) });
    assert.ok(redirect.searchParams.get("code"));
    assert.equal(shown, false);
  });

  it("demands MFA once: a claims challenge, a sign-in carrying it (recorded as it arrived), then no more", async () => {
    standIn.requireMfa("https://graph.microsoft.com", { once: true, policyId: "9e5f4b8a-0000-4000-8000-00000000ca01" });
    const first = await kitCode(standIn, "alice");
    const refused = await oboAsKit(standIn, String((await redeemKitCode(standIn, first.code, first.pkce.verifier)).body.access_token), GRAPH_USER_READ);
    assert.deepEqual(refused.body.error_codes, [50076]);
    const claims = String(refused.body.claims);

    const again = await kitCode(standIn, "alice", { claims });
    assert.equal(standIn.activity.records({ endpoint: "authorize" }).at(-1)!.claims, claims, "the claims parameter arrived as sent");
    const stepped = await oboAsKit(standIn, String((await redeemKitCode(standIn, again.code, again.pkce.verifier)).body.access_token), GRAPH_USER_READ);
    assert.equal(stepped.status, 200);
    assert.deepEqual(decodeJwt(String(stepped.body.access_token)).amr, ["pwd", "mfa"]);

    const later = await kitTokenByPassword(standIn, "bob");
    assert.equal((await oboAsKit(standIn, String(later.access_token), GRAPH_USER_READ)).status, 200, "the policy was met once and applies no more");
  });

  it("flips the same switches over HTTP, JSON only", async () => {
    const token = String((await kitTokenByPassword(standIn, "alice")).access_token);
    const withdrawn = await switchOverHttp(standIn, "consent", { user: "alice", client: KIT_CLIENT_ID, scopes: [GRAPH_USER_READ], consent: "withdraw" });
    assert.equal(withdrawn.status, 200, JSON.stringify(withdrawn.body));
    assert.deepEqual((await oboAsKit(standIn, token, GRAPH_USER_READ)).body.error_codes, [65001]);
    assert.equal((await switchOverHttp(standIn, "consent", { user: "alice", client: KIT_CLIENT_ID, scopes: [GRAPH_USER_READ], consent: "grant" })).status, 200);
    assert.equal((await oboAsKit(standIn, token, GRAPH_USER_READ)).status, 200);

    assert.equal((await switchOverHttp(standIn, "mfa", { resource: "https://graph.microsoft.com", require: "always" })).status, 200);
    assert.deepEqual((await oboAsKit(standIn, token, GRAPH_USER_READ)).body.error_codes, [50076]);
    assert.equal((await switchOverHttp(standIn, "mfa", { resource: "https://graph.microsoft.com", require: "off" })).status, 200);
    assert.equal((await oboAsKit(standIn, token, GRAPH_USER_READ)).status, 200);

    assert.equal((await switchOverHttp(standIn, "consent", { user: "alice" }, "text/plain")).status, 405, "a cross-site form cannot send JSON");
    const unknownScope = await switchOverHttp(standIn, "consent", { user: "alice", client: KIT_CLIENT_ID, scopes: ["Nope.Read"], consent: "withdraw" });
    assert.equal(unknownScope.status, 400);
    assert.match(String(unknownScope.body["error_description"]), /Unknown scope 'Nope\.Read'/);
    assert.equal((await switchOverHttp(standIn, "mfa", { resource: "https://graph.microsoft.com", require: "sometimes" })).status, 400);
  });

  it("flips consent from the command line (what npm start users run)", async () => {
    const run = (args: string[]): Promise<{ stdout: string }> => promisify(execFile)(process.execPath, [CLI, ...args, "--entra", standIn.origin]);
    const { stdout } = await run(["consent", "withdraw", "bob", "User.Read"]);
    assert.match(stdout, /consent: .*"withdraw"/);
    const token = String((await kitTokenByPassword(standIn, "bob")).access_token);
    assert.deepEqual((await oboAsKit(standIn, token, GRAPH_USER_READ)).body.error_codes, [65001]);
    await run(["consent", "grant", "bob", "User.Read"]);
    assert.equal((await oboAsKit(standIn, token, GRAPH_USER_READ)).status, 200);
    await assert.rejects(run(["consent", "withdraw", "bob"]), /usage: cli\.js consent/);
  });
});
