/**
 * The stand-in's failure switches and Conditional Access: each switch makes
 * the answer Entra gives in that situation, only for the requests it
 * matches, only as often as told.
 */
import assert from "node:assert/strict";
import { ConfidentialClientApplication, ServerError } from "@azure/msal-node";
import { decodeJwt } from "jose";
import { GRAPH_USER_READ, KIT_CLIENT_ID, KIT_DEV_CLIENT_SECRET, KIT_SCOPE_URI, ORDERS_IDENTIFIER_URI, ORDERS_SCOPE_URI } from "../../dev/defaults.js";
import { msalAuthorityOptions, type EntraStandIn } from "../../dev/entra/index.js";
import { authorizeUrl, kitAuthorizeParams, kitCode, kitTokenByPassword, oboAsKit, pkcePair, redeemKitCode, requireDevTlsTrust, signInHeadless, startDefaultStandIn } from "../support/entra.js";

describe("Entra stand-in: failure switches", () => {
  let entra: EntraStandIn;
  let aliceToken: string;
  let bobToken: string;
  before(async () => {
    requireDevTlsTrust();
    entra = await startDefaultStandIn();
    aliceToken = String((await kitTokenByPassword(entra, "alice")).access_token);
    bobToken = String((await kitTokenByPassword(entra, "bob")).access_token);
  });
  after(() => entra.close());
  afterEach(() => entra.clearFaults());

  it("answers consent required (AADSTS65001, suberror consent_required) for the next N matching requests", async () => {
    const handle = entra.fail("consent_required", { grantType: "obo", times: 2 });
    for (let i = 0; i < 2; i++) {
      const result = await oboAsKit(entra, aliceToken, GRAPH_USER_READ);
      assert.equal(result.status, 400);
      assert.equal(result.body.error, "invalid_grant");
      assert.equal(result.body.suberror, "consent_required");
      assert.match(String(result.body.error_description), /^AADSTS65001: The user or administrator has not consented/);
    }
    assert.equal(handle.hits, 2);
    assert.equal((await oboAsKit(entra, aliceToken, GRAPH_USER_READ)).status, 200);
  });

  it("answers MFA required (AADSTS50076) and MFA enrollment required (AADSTS50079) with a claims challenge", async () => {
    for (const code of [50076, 50079] as const) {
      entra.fail({ kind: "mfa_required", code }, { grantType: "obo", times: 1 });
      const result = await oboAsKit(entra, aliceToken, GRAPH_USER_READ);
      assert.equal(result.body.error, "interaction_required");
      assert.deepEqual(result.body.error_codes, [code]);
      const claims = JSON.parse(String(result.body.claims)) as { access_token: { capolids: { essential: boolean; values: string[] } } };
      assert.equal(claims.access_token.capolids.essential, true);
    }
  });

  it("throttles with HTTP 429 and Retry-After", async () => {
    entra.fail({ kind: "throttled", retryAfterSeconds: 7 }, { grantType: "obo", times: 1 });
    const result = await oboAsKit(entra, aliceToken, GRAPH_USER_READ);
    assert.equal(result.status, 429);
    assert.equal(result.headers.get("retry-after"), "7");
    assert.equal(result.body.error, "temporarily_unavailable");
  });

  it("fails with 500 or 503 (with Retry-After when given)", async () => {
    entra.fail("server_error", { grantType: "obo", times: 1 });
    const five = await oboAsKit(entra, aliceToken, GRAPH_USER_READ);
    assert.equal(five.status, 500);
    assert.equal(five.body.error, "server_error");
    entra.fail({ kind: "server_error", status: 503, retryAfterSeconds: 3 }, { grantType: "obo", times: 1 });
    const unavailable = await oboAsKit(entra, aliceToken, GRAPH_USER_READ);
    assert.equal(unavailable.status, 503);
    assert.equal(unavailable.headers.get("retry-after"), "3");
  });

  it("slows responses down, then answers normally", async () => {
    entra.delay(400, { grantType: "obo", times: 1 });
    const started = Date.now();
    const result = await oboAsKit(entra, aliceToken, GRAPH_USER_READ);
    assert.ok(Date.now() - started >= 390, `took ${Date.now() - started} ms`);
    assert.equal(result.status, 200);
  });

  it("can drop the connection without an answer", async () => {
    entra.fail("drop", { grantType: "obo", times: 1 });
    await assert.rejects(oboAsKit(entra, aliceToken, GRAPH_USER_READ), TypeError);
    assert.equal(entra.activity.records({ grantType: "obo" }).at(-1)?.status, 0);
  });

  it("strikes only the user, scope and client it names", async () => {
    entra.fail("consent_required", { grantType: "obo", user: "bob" });
    entra.fail("server_error", { scope: ORDERS_IDENTIFIER_URI });
    entra.fail("server_error", { clientId: "aebc6443-996d-45c2-90f0-388ff96faa56" });
    assert.equal((await oboAsKit(entra, aliceToken, GRAPH_USER_READ)).status, 200, "alice, Graph, kit client: untouched");
    assert.deepEqual((await oboAsKit(entra, bobToken, GRAPH_USER_READ)).body.error_codes, [65001]);
    assert.equal((await oboAsKit(entra, aliceToken, ORDERS_SCOPE_URI)).status, 500);
    assert.equal((await kitTokenByPassword(entra, "alice")).token_type, "Bearer", "a password grant is not an OBO request");
  });

  it("keeps a code unused when a transport fault struck its redemption", async () => {
    const { code, pkce } = await kitCode(entra, "alice");
    entra.fail({ kind: "server_error", status: 503 }, { grantType: "authorization_code", times: 1 });
    assert.equal((await redeemKitCode(entra, code, pkce.verifier)).status, 503);
    assert.equal((await redeemKitCode(entra, code, pkce.verifier)).status, 200);
  });

  it("makes discovery and JWKS fail or slow", async () => {
    entra.fail({ kind: "server_error", status: 503 }, { endpoint: "discovery", times: 1 });
    assert.equal((await fetch(entra.endpoints().discovery)).status, 503);
    assert.equal((await fetch(entra.endpoints().discovery)).status, 200);
    entra.fail("server_error", { endpoint: "jwks", times: 1 });
    assert.equal((await fetch(entra.endpoints().jwks)).status, 500);
    entra.fail("drop", { endpoint: "jwks", times: 1 });
    await assert.rejects(fetch(entra.endpoints().jwks), TypeError);
    entra.delay(300, { endpoint: "jwks", times: 1 });
    const started = Date.now();
    assert.equal((await fetch(entra.endpoints().jwks)).status, 200);
    assert.ok(Date.now() - started >= 290);
  });

  it("can refuse at /authorize too (consent required redirected to the client)", async () => {
    entra.fail("consent_required", { endpoint: "authorize", times: 1 });
    const result = await signInHeadless(authorizeUrl(entra, kitAuthorizeParams(pkcePair())), "alice");
    assert.equal(result.error, "invalid_grant");
    assert.match(result.errorDescription ?? "", /^AADSTS65001:/);
  });

  it("counts requests per endpoint and grant, failed ones included", async () => {
    entra.activity.reset();
    entra.fail("server_error", { grantType: "obo", times: 1 });
    await oboAsKit(entra, aliceToken, GRAPH_USER_READ);
    await oboAsKit(entra, aliceToken, GRAPH_USER_READ);
    await fetch(entra.endpoints().jwks);
    const counts = entra.activity.counts();
    assert.equal(counts.obo, 2);
    assert.equal(counts.jwks, 1);
    assert.deepEqual(
      entra.activity.records({ grantType: "obo" }).map((record) => [record.status, record.fault ?? null]),
      [
        [500, "server_error"],
        [200, null],
      ],
    );
  });

  it("shows msal-node neither retries a 5xx nor sends that OBO request again, for any user, until Retry-After", async () => {
    const app = new ConfidentialClientApplication({ auth: { clientId: KIT_CLIENT_ID, clientSecret: KIT_DEV_CLIENT_SECRET, ...msalAuthorityOptions(entra) } });
    entra.fail({ kind: "server_error", status: 503, retryAfterSeconds: 1 }, { grantType: "obo", times: 1 });
    const before = entra.activity.counts().obo;
    await assert.rejects(app.acquireTokenOnBehalfOf({ oboAssertion: aliceToken, scopes: [GRAPH_USER_READ] }), (error: unknown) => {
      assert.ok(error instanceof ServerError);
      assert.equal(error.errorCode, "temporarily_unavailable");
      return true;
    });
    assert.equal(entra.activity.counts().obo - before, 1, "no retry inside msal");
    // msal's throttle entry is keyed by client, authority and scopes, not by the user assertion.
    await assert.rejects(app.acquireTokenOnBehalfOf({ oboAssertion: bobToken, scopes: [GRAPH_USER_READ] }), ServerError);
    assert.equal(entra.activity.counts().obo - before, 1, "bob's request never left msal");
    await new Promise((resolve) => setTimeout(resolve, 1100));
    assert.ok(await app.acquireTokenOnBehalfOf({ oboAssertion: bobToken, scopes: [GRAPH_USER_READ] }));
    assert.equal(entra.activity.counts().obo - before, 2);
  });

  it("lets msal-node see a 429 as a ServerError and keep its hands off until Retry-After", async () => {
    const app = new ConfidentialClientApplication({ auth: { clientId: KIT_CLIENT_ID, clientSecret: KIT_DEV_CLIENT_SECRET, ...msalAuthorityOptions(entra) } });
    entra.fail({ kind: "throttled", retryAfterSeconds: 60 }, { grantType: "client_credentials", times: 1 });
    const before = entra.activity.counts().grants.client_credentials;
    const request = { scopes: [`${ORDERS_IDENTIFIER_URI}/.default`] };
    await assert.rejects(app.acquireTokenByClientCredential(request), ServerError);
    // msal remembers the throttle for this exact request and refuses it locally.
    await assert.rejects(app.acquireTokenByClientCredential(request));
    assert.equal(entra.activity.counts().grants.client_credentials - before, 1);
  });
});

describe("Entra stand-in: Conditional Access (MFA) step-up", () => {
  let entra: EntraStandIn;
  before(async () => {
    requireDevTlsTrust();
    entra = await startDefaultStandIn();
  });
  after(() => entra.close());

  it("refuses OBO to a protected resource without MFA, and allows it after a sign-in answering the claims challenge", async () => {
    const remove = entra.requireMfa("https://graph.microsoft.com", { policyId: "11111111-2222-3333-4444-555555555555" });
    try {
      const first = await kitCode(entra, "alice");
      const kit = await redeemKitCode(entra, first.code, first.pkce.verifier);
      const refused = await oboAsKit(entra, String(kit.body.access_token), GRAPH_USER_READ);
      assert.deepEqual(refused.body.error_codes, [50076]);
      const claims = String(refused.body.claims);
      assert.deepEqual(JSON.parse(claims), { access_token: { capolids: { essential: true, values: ["11111111-2222-3333-4444-555555555555"] } } });

      const again = await kitCode(entra, "alice", { claims });
      const stepped = await redeemKitCode(entra, again.code, again.pkce.verifier);
      const allowed = await oboAsKit(entra, String(stepped.body.access_token), GRAPH_USER_READ);
      assert.equal(allowed.status, 200);
      assert.deepEqual(decodeJwt(String(allowed.body.access_token)).amr, ["pwd", "mfa"]);
    } finally {
      remove();
    }
    const kit = await kitTokenByPassword(entra, "bob");
    assert.equal((await oboAsKit(entra, String(kit.access_token), GRAPH_USER_READ)).status, 200, "policy removed");
  });

  it("defeats the password grant for a protected resource, as Conditional Access does", async () => {
    const remove = entra.requireMfa(KIT_SCOPE_URI.replace(/\/mcp\.access$/, ""), { code: 50079 });
    try {
      await assert.rejects(kitTokenByPassword(entra, "alice"), /50079/);
    } finally {
      remove();
    }
    assert.equal((await kitTokenByPassword(entra, "alice")).token_type, "Bearer");
  });
});
