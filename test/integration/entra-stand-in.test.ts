/**
 * The Entra stand-in at the protocol level: discovery, keys, /authorize and
 * /token behave like the Microsoft identity platform v2 endpoint, including
 * its errors. msal-node against the stand-in is in entra-msal.test.ts.
 */
import assert from "node:assert/strict";
import { get as httpsGet } from "node:https";
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from "jose";
import {
  DEV_TENANT_ID,
  DEV_USERS,
  GRAPH_USER_READ,
  KIT_CLIENT_ID,
  KIT_DEV_CLIENT_SECRET,
  KIT_IDENTIFIER_URI,
  KIT_REDIRECT_URI,
  KIT_SCOPE_URI,
  ORDERS_CLIENT_ID,
  ORDERS_IDENTIFIER_URI,
  OTHER_TENANT_ID,
  VSCODE_CLIENT_ID,
} from "../../dev/defaults.js";
import type { EntraStandIn } from "../../dev/entra/index.js";
import {
  authorizeUrl,
  kitAuthorizeParams,
  kitCode,
  kitTokenByPassword,
  oboAsKit,
  pkcePair,
  postToken,
  redeemKitCode,
  requireDevTlsTrust,
  signInHeadless,
  startDefaultStandIn,
} from "../support/entra.js";

async function jwksOf(entra: EntraStandIn, tenant?: string): Promise<JSONWebKeySet> {
  return (await (await fetch(entra.endpoints(tenant).jwks)).json()) as JSONWebKeySet;
}

describe("Entra stand-in: discovery and keys", () => {
  let entra: EntraStandIn;
  before(async () => {
    requireDevTlsTrust();
    entra = await startDefaultStandIn();
  });
  after(() => entra.close());

  it("serves a tenant's v2 openid-configuration with its own issuer and endpoints", async () => {
    const response = await fetch(entra.endpoints().discovery);
    assert.equal(response.status, 200);
    const doc = (await response.json()) as Record<string, unknown>;
    assert.equal(doc.issuer, `${entra.origin}/${DEV_TENANT_ID}/v2.0`);
    assert.equal(doc.token_endpoint, `${entra.origin}/${DEV_TENANT_ID}/oauth2/v2.0/token`);
    assert.equal(doc.authorization_endpoint, `${entra.origin}/${DEV_TENANT_ID}/oauth2/v2.0/authorize`);
    assert.equal(doc.jwks_uri, `${entra.origin}/${DEV_TENANT_ID}/discovery/v2.0/keys`);
    assert.deepEqual(doc.id_token_signing_alg_values_supported, ["RS256"]);
    assert.equal("code_challenge_methods_supported" in doc, false, "Entra does not advertise PKCE methods; neither does the stand-in");
  });

  for (const alias of ["common", "organizations"]) {
    it(`gives ${alias} the {tenantid} issuer template, as Entra does`, async () => {
      const doc = (await (await fetch(entra.endpoints(alias).discovery)).json()) as Record<string, unknown>;
      assert.equal(doc.issuer, `${entra.origin}/{tenantid}/v2.0`);
      assert.equal(doc.token_endpoint, `${entra.origin}/${alias}/oauth2/v2.0/token`);
    });
  }

  it("accepts a tenant's domain in place of its id", async () => {
    const doc = (await (await fetch(`${entra.origin}/contoso.example/v2.0/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    assert.equal(doc.issuer, `${entra.origin}/${DEV_TENANT_ID}/v2.0`);
  });

  it("answers an unknown tenant with AADSTS90002", async () => {
    const response = await fetch(`${entra.origin}/99999999-9999-9999-9999-999999999999/v2.0/.well-known/openid-configuration`);
    assert.equal(response.status, 400);
    const body = (await response.json()) as Record<string, unknown>;
    assert.match(String(body.error_description), /^AADSTS90002:/);
  });

  it("publishes RS256 keys shaped like Entra's (kid = x5t, x5c, issuer)", async () => {
    const jwks = await jwksOf(entra);
    assert.equal(jwks.keys.length, 1);
    const key = jwks.keys[0]!;
    assert.equal(key.kty, "RSA");
    assert.equal(key.use, "sig");
    assert.equal(key.kid, key.x5t);
    assert.equal(key.x5c?.length, 1);
    assert.equal((key as Record<string, unknown>).issuer, `${entra.origin}/${DEV_TENANT_ID}/v2.0`);
  });

  it("rotates: the new key signs, the old one stays published until retired", async () => {
    const before = await kitTokenByPassword(entra, "alice");
    const oldKid = String(decodeProtectedHeader(String(before.access_token)).kid);
    const newKid = await entra.rotateSigningKey();
    assert.notEqual(newKid, oldKid);
    const after = await kitTokenByPassword(entra, "alice");
    assert.equal(decodeProtectedHeader(String(after.access_token)).kid, newKid);
    const published = (await jwksOf(entra)).keys.map((key) => key.kid);
    assert.deepEqual(published.sort(), [oldKid, newKid].sort());
    await jwtVerify(String(before.access_token), createLocalJWKSet(await jwksOf(entra)));

    entra.retireSigningKey(oldKid);
    const jwks = await jwksOf(entra);
    assert.deepEqual(jwks.keys.map((key) => key.kid), [newKid]);
    await assert.rejects(jwtVerify(String(before.access_token), createLocalJWKSet(jwks)), { code: "ERR_JWKS_NO_MATCHING_KEY" });
    await assert.rejects(entra.verifyToken(String(before.access_token)), { name: "TokenRejected", code: "unknown_key" });
    assert.throws(() => entra.retireSigningKey(newKid), /current signing key/);
  });

  it("retires rotated-out keys on schedule when told to", async () => {
    let now = Date.now();
    const timed = await startDefaultStandIn({ clock: () => now });
    try {
      const oldKid = timed.signingKeys()[0]!.kid;
      await timed.rotateSigningKey({ retirePreviousAfterMs: 60_000 });
      assert.equal((await jwksOf(timed)).keys.length, 2);
      now += 61_000;
      const kids = (await jwksOf(timed)).keys.map((key) => key.kid);
      assert.equal(kids.includes(oldKid), false);
      assert.equal(kids.length, 1);
    } finally {
      await timed.close();
    }
  });

  it("listens on both IPv4 and IPv6 loopback", async () => {
    const path = `/${DEV_TENANT_ID}/v2.0/.well-known/openid-configuration`;
    assert.equal((await fetch(`https://127.0.0.1:${entra.port}${path}`)).status, 200, "IPv4");
    // Connected to ::1 but verified as localhost (also in the certificate): Node 22.23 and 24.17+ no
    // longer match an IPv6 host against an IP Address SAN (nodejs/node#64144, fixed by #64145).
    const statusOverIpv6 = await new Promise<number | undefined>((resolve, reject) => {
      httpsGet({ host: "::1", servername: "localhost", port: entra.port, path }, (response) => {
        response.resume();
        resolve(response.statusCode);
      }).on("error", reject);
    });
    assert.equal(statusOverIpv6, 200, "IPv6");
  });
});

describe("Entra stand-in: /authorize", () => {
  let entra: EntraStandIn;
  before(async () => {
    requireDevTlsTrust();
    entra = await startDefaultStandIn();
  });
  after(() => entra.close());

  it("shows a sign-in page listing the tenant's dev users, one form each", async () => {
    const response = await fetch(authorizeUrl(entra, kitAuthorizeParams(pkcePair())));
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("x-frame-options"), "DENY");
    const html = await response.text();
    assert.match(html, /data-alias="alice"/);
    assert.match(html, /data-alias="bob"/);
    assert.doesNotMatch(html, /carol/, "users of another tenant are not offered");
  });

  it("signs in by POSTing the page's form and redirects with code, state and session_state but no iss", async () => {
    const pkce = pkcePair();
    const form = new URLSearchParams({ ...kitAuthorizeParams(pkce), dev_user: DEV_USERS.bob.upn });
    const response = await fetch(entra.endpoints().authorization, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: form.toString(),
      redirect: "manual",
    });
    assert.equal(response.status, 302);
    const location = new URL(response.headers.get("location")!);
    assert.equal(`${location.origin}${location.pathname}`, KIT_REDIRECT_URI);
    assert.ok(location.searchParams.get("code"));
    assert.equal(location.searchParams.get("state"), "state-123");
    assert.ok(location.searchParams.get("session_state"));
    assert.equal(location.searchParams.has("iss"), false);
    const redeemed = await redeemKitCode(entra, location.searchParams.get("code")!, pkce.verifier);
    assert.equal(decodeJwt(String(redeemed.body.access_token)).oid, DEV_USERS.bob.oid);
  });

  it("signs in headlessly with dev_auto=1 and login_hint (alias or upn)", async () => {
    for (const hint of ["alice", DEV_USERS.alice.upn]) {
      const result = await signInHeadless(authorizeUrl(entra, kitAuthorizeParams(pkcePair())), hint);
      assert.ok(result.code, hint);
    }
  });

  it("signs in the auto sign-in user when switched on, for URLs a library builds", async () => {
    entra.setAutoSignIn("bob");
    try {
      const response = await fetch(authorizeUrl(entra, kitAuthorizeParams(pkcePair())), { redirect: "manual" });
      assert.equal(response.status, 302);
    } finally {
      entra.setAutoSignIn(undefined);
    }
    const response = await fetch(authorizeUrl(entra, kitAuthorizeParams(pkcePair())), { redirect: "manual" });
    assert.equal(response.status, 200, "the page is back once the switch is off");
  });

  it("shows an unknown client on its own page instead of redirecting (AADSTS700016)", async () => {
    const response = await fetch(authorizeUrl(entra, kitAuthorizeParams(pkcePair(), { client_id: "0badc0de-0000-4000-8000-000000000000" })), { redirect: "manual" });
    assert.equal(response.status, 400);
    assert.match(await response.text(), /AADSTS700016/);
  });

  it("refuses an unregistered redirect URI on its own page (AADSTS50011)", async () => {
    const response = await fetch(authorizeUrl(entra, kitAuthorizeParams(pkcePair(), { redirect_uri: "https://evil.example/callback" })), { redirect: "manual" });
    assert.equal(response.status, 400);
    assert.equal(response.headers.get("location"), null);
    assert.match(await response.text(), /AADSTS50011/);
  });

  it("matches redirect URIs exactly, except the port of loopback http ones", async () => {
    const vscode = (redirect: string): URL =>
      authorizeUrl(entra, kitAuthorizeParams(pkcePair(), { client_id: VSCODE_CLIENT_ID, redirect_uri: redirect }));
    const ok = await signInHeadless(vscode("http://127.0.0.1:53123/"), "alice");
    assert.equal(ok.location.port, "53123");
    for (const bad of ["http://127.0.0.1:53123/other", "https://127.0.0.1:53123/", "http://127.0.0.2:53123/"]) {
      const response = await fetch(vscode(bad), { redirect: "manual" });
      assert.equal(response.status, 400, bad);
    }
  });

  it("requires PKCE and refuses the plain method", async () => {
    const missing = await signInHeadless(authorizeUrl(entra, kitAuthorizeParams(pkcePair(), { code_challenge: undefined, code_challenge_method: undefined })), "alice");
    assert.equal(missing.error, "invalid_request");
    assert.equal(missing.state, "state-123");
    const plain = await signInHeadless(authorizeUrl(entra, kitAuthorizeParams(pkcePair(), { code_challenge_method: "plain" })), "alice");
    assert.equal(plain.error, "invalid_request");
    assert.match(plain.errorDescription ?? "", /^AADSTS90100:/);
  });

  it("refuses a resource parameter that is not the target app's identifier URI (AADSTS9010010)", async () => {
    const refused = await signInHeadless(authorizeUrl(entra, kitAuthorizeParams(pkcePair(), { resource: "http://localhost:7071/mcp" })), "alice");
    assert.equal(refused.code, null);
    assert.match(refused.errorDescription ?? "", /^AADSTS9010010:/);
    const accepted = await signInHeadless(authorizeUrl(entra, kitAuthorizeParams(pkcePair(), { resource: KIT_IDENTIFIER_URI })), "alice");
    assert.ok(accepted.code);
    assert.equal(entra.activity.records({ endpoint: "authorize" }).filter((record) => record.resourceParameter).length, 2);
  });

  it("answers prompt=none without a user with login_required", async () => {
    const response = await fetch(authorizeUrl(entra, kitAuthorizeParams(pkcePair(), { prompt: "none" })), { redirect: "manual" });
    assert.equal(response.status, 302);
    assert.equal(new URL(response.headers.get("location")!).searchParams.get("error"), "login_required");
  });

  it("posts the answer back with response_mode=form_post", async () => {
    const url = authorizeUrl(entra, kitAuthorizeParams(pkcePair(), { response_mode: "form_post", dev_auto: "1", login_hint: "alice" }));
    const response = await fetch(url);
    assert.equal(response.status, 200);
    const html = await response.text();
    assert.match(html, new RegExp(`action="${KIT_REDIRECT_URI}"`));
    assert.match(html, /name="code"/);
  });

  it("refuses unknown scopes and unknown resources", async () => {
    const scope = await signInHeadless(authorizeUrl(entra, kitAuthorizeParams(pkcePair(), { scope: `${KIT_IDENTIFIER_URI}/nope` })), "alice");
    assert.match(scope.errorDescription ?? "", /^AADSTS650053:/);
    const resource = await signInHeadless(authorizeUrl(entra, kitAuthorizeParams(pkcePair(), { scope: "api://nobody/x" })), "alice");
    assert.equal(resource.error, "invalid_resource");
  });
});

describe("Entra stand-in: /token", () => {
  let entra: EntraStandIn;
  before(async () => {
    requireDevTlsTrust();
    entra = await startDefaultStandIn();
  });
  after(() => entra.close());

  it("issues v2 access tokens shaped like Entra's, verifiable against the JWKS", async () => {
    const { code, pkce } = await kitCode(entra, "alice");
    const { status, headers, body } = await redeemKitCode(entra, code, pkce.verifier);
    assert.equal(status, 200);
    assert.equal(headers.get("cache-control"), "no-store, no-cache");
    assert.equal(body.token_type, "Bearer");
    assert.equal(body.scope, KIT_SCOPE_URI);
    assert.ok(body.refresh_token);
    assert.ok(body.id_token);

    const token = String(body.access_token);
    const header = decodeProtectedHeader(token);
    assert.deepEqual(Object.keys(header), ["typ", "alg", "kid"]);
    const { payload } = await jwtVerify(token, createLocalJWKSet(await jwksOf(entra)), {
      issuer: `${entra.origin}/${DEV_TENANT_ID}/v2.0`,
      audience: KIT_CLIENT_ID,
      algorithms: ["RS256"],
    });
    assert.equal(payload.ver, "2.0");
    assert.equal(payload.tid, DEV_TENANT_ID);
    assert.equal(payload.oid, DEV_USERS.alice.oid);
    assert.equal(payload.scp, "mcp.access");
    assert.equal(payload.azp, KIT_CLIENT_ID);
    assert.equal(payload.azpacr, "1");
    assert.equal(payload.name, "Alice Example");
    assert.equal(payload.preferred_username, DEV_USERS.alice.upn);
    assert.deepEqual(payload.roles, ["Tools.Admin"]);
    assert.deepEqual(payload.groups, DEV_USERS.alice.groups);
    assert.equal(typeof payload.uti, "string");
    assert.ok(payload.exp! - payload.iat! > 3000);

    const idToken = decodeJwt(String(body.id_token));
    assert.equal(idToken.aud, KIT_CLIENT_ID);
    assert.equal(idToken.nonce, "nonce-456");
  });

  it("gives a user a stable sub per application and a different one across applications", async () => {
    const first = decodeJwt(String((await kitTokenByPassword(entra, "alice")).access_token));
    const again = decodeJwt(String((await kitTokenByPassword(entra, "alice")).access_token));
    const orders = await oboAsKit(entra, String((await kitTokenByPassword(entra, "alice")).access_token), `${ORDERS_IDENTIFIER_URI}/Orders.Read`);
    assert.equal(first.sub, again.sub);
    assert.notEqual(decodeJwt(String(orders.body.access_token)).sub, first.sub);
    assert.notEqual(first.sub, first.oid);
  });

  it("expands <resource>/.default to the declared permissions and returns refresh and ID tokens only when asked", async () => {
    const kit = await kitTokenByPassword(entra, "alice", `${KIT_IDENTIFIER_URI}/.default`);
    assert.equal(decodeJwt(String(kit.access_token)).scp, "mcp.access");
    assert.equal(kit.refresh_token, undefined, "no offline_access, no refresh token");
    assert.equal(kit.id_token, undefined, "no openid, no ID token");
    const graph = await oboAsKit(entra, String(kit.access_token), "https://graph.microsoft.com/.default");
    assert.equal(decodeJwt(String(graph.body.access_token)).scp, "User.Read", "the kit registration declares User.Read");
    assert.equal(graph.body.scope, "https://graph.microsoft.com/User.Read");
  });

  it("redeems a code once; a replay is AADSTS54005", async () => {
    const { code, pkce } = await kitCode(entra, "alice");
    assert.equal((await redeemKitCode(entra, code, pkce.verifier)).status, 200);
    const replay = await redeemKitCode(entra, code, pkce.verifier);
    assert.equal(replay.status, 400);
    assert.equal(replay.body.error, "invalid_grant");
    assert.deepEqual(replay.body.error_codes, [54005]);
  });

  it("binds a code to its PKCE verifier, redirect URI and client", async () => {
    const wrongVerifier = await kitCode(entra, "alice");
    assert.deepEqual((await redeemKitCode(entra, wrongVerifier.code, pkcePair().verifier)).body.error_codes, [501481]);
    const wrongRedirect = await kitCode(entra, "alice");
    assert.deepEqual((await redeemKitCode(entra, wrongRedirect.code, wrongRedirect.pkce.verifier, { redirect_uri: "http://localhost:7071/other" })).body.error_codes, [500112]);
    const noVerifier = await kitCode(entra, "alice");
    assert.deepEqual((await redeemKitCode(entra, noVerifier.code, "", { code_verifier: undefined })).body.error_codes, [900144]);
    const otherClient = await kitCode(entra, "alice");
    const stolen = await postToken(entra.endpoints().token, {
      grant_type: "authorization_code",
      client_id: VSCODE_CLIENT_ID,
      code: otherClient.code,
      code_verifier: otherClient.pkce.verifier,
      redirect_uri: KIT_REDIRECT_URI,
      scope: KIT_SCOPE_URI,
    });
    assert.deepEqual(stolen.body.error_codes, [70000]);
  });

  it("lets a refresh token be redeemed again and again (Entra's are not single-use)", async () => {
    const first = await kitTokenByPassword(entra, "bob");
    const refresh = (): ReturnType<typeof postToken> =>
      postToken(entra.endpoints().token, {
        grant_type: "refresh_token",
        client_id: KIT_CLIENT_ID,
        client_secret: KIT_DEV_CLIENT_SECRET,
        refresh_token: String(first.refresh_token),
        scope: `${KIT_SCOPE_URI} offline_access`,
      });
    const [a, b] = await Promise.all([refresh(), refresh()]);
    const c = await refresh();
    for (const result of [a, b, c]) assert.equal(result.status, 200);
    assert.equal(decodeJwt(String(c.body.access_token)).oid, DEV_USERS.bob.oid);
    assert.equal(entra.revokeRefreshTokens("bob") > 0, true);
    assert.deepEqual((await refresh()).body.error_codes, [70008]);
  });

  it("authenticates clients by secret in the body or HTTP Basic, and refuses bad ones", async () => {
    const base = { grant_type: "client_credentials", scope: `${ORDERS_IDENTIFIER_URI}/.default` };
    const basic = Buffer.from(`${KIT_CLIENT_ID}:${KIT_DEV_CLIENT_SECRET}`).toString("base64");
    assert.equal((await postToken(entra.endpoints().token, base, { Authorization: `Basic ${basic}` })).status, 200);
    const wrong = await postToken(entra.endpoints().token, { ...base, client_id: KIT_CLIENT_ID, client_secret: "nope" });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body.error, "invalid_client");
    assert.deepEqual(wrong.body.error_codes, [7000215]);
    const none = await postToken(entra.endpoints().token, { ...base, client_id: KIT_CLIENT_ID });
    assert.deepEqual(none.body.error_codes, [7000218]);
    const publicWithSecret = await postToken(entra.endpoints().token, { ...base, client_id: VSCODE_CLIENT_ID, client_secret: "x" });
    assert.deepEqual(publicWithSecret.body.error_codes, [700025]);
  });

  it("issues app-only tokens for <resource>/.default only", async () => {
    const bad = await postToken(entra.endpoints().token, {
      grant_type: "client_credentials",
      client_id: KIT_CLIENT_ID,
      client_secret: KIT_DEV_CLIENT_SECRET,
      scope: `${ORDERS_IDENTIFIER_URI}/Orders.Read`,
    });
    assert.deepEqual(bad.body.error_codes, [1002012]);
    const good = await postToken(entra.endpoints().token, {
      grant_type: "client_credentials",
      client_id: KIT_CLIENT_ID,
      client_secret: KIT_DEV_CLIENT_SECRET,
      scope: `${ORDERS_CLIENT_ID}/.default`,
    });
    const claims = decodeJwt(String(good.body.access_token));
    assert.equal(claims.aud, ORDERS_CLIENT_ID);
    assert.equal(claims.scp, undefined);
    assert.equal(claims.sub, claims.oid);
    assert.equal(good.body.refresh_token, undefined);
  });

  it("refuses a token request for two resources (AADSTS28000) and a mismatched resource parameter (AADSTS9010010)", async () => {
    const { code, pkce } = await kitCode(entra, "alice");
    const two = await redeemKitCode(entra, code, pkce.verifier, { scope: `${KIT_SCOPE_URI} ${GRAPH_USER_READ}` });
    assert.deepEqual(two.body.error_codes, [28000]);
    const again = await kitCode(entra, "alice");
    const resource = await redeemKitCode(entra, again.code, again.pkce.verifier, { resource: "http://localhost:7071/mcp" });
    assert.equal(resource.body.error, "invalid_target");
    assert.deepEqual(resource.body.error_codes, [9010010]);
  });

  it("gives the password grant to dev users with the right password only", async () => {
    const bad = await postToken(entra.endpoints().token, {
      grant_type: "password",
      client_id: VSCODE_CLIENT_ID,
      username: "alice",
      password: "wrong",
      scope: KIT_SCOPE_URI,
    });
    assert.deepEqual(bad.body.error_codes, [50126]);
    const unknown = await postToken(entra.endpoints().token, { grant_type: "password", client_id: VSCODE_CLIENT_ID, username: "mallory", password: "x", scope: KIT_SCOPE_URI });
    assert.deepEqual(unknown.body.error_codes, [50034]);
    const ok = await postToken(entra.endpoints().token, {
      grant_type: "password",
      client_id: VSCODE_CLIENT_ID,
      username: "alice",
      password: DEV_USERS.alice.password,
      scope: KIT_SCOPE_URI,
    });
    const claims = decodeJwt(String(ok.body.access_token));
    assert.equal(claims.azp, VSCODE_CLIENT_ID);
    assert.equal(claims.azpacr, "0");
  });

  it("exchanges a token for its audience's app on behalf of the user", async () => {
    const user = await kitTokenByPassword(entra, "alice");
    const obo = await oboAsKit(entra, String(user.access_token), `${ORDERS_IDENTIFIER_URI}/Orders.Read`);
    assert.equal(obo.status, 200);
    const claims = decodeJwt(String(obo.body.access_token));
    assert.equal(claims.aud, ORDERS_CLIENT_ID);
    assert.equal(claims.azp, KIT_CLIENT_ID);
    assert.equal(claims.scp, "Orders.Read");
    assert.equal(claims.oid, DEV_USERS.alice.oid);
    assert.equal(claims.name, "Alice Example");
    const record = entra.activity.records({ grantType: "obo" }).at(-1)!;
    assert.deepEqual(record.user, { oid: DEV_USERS.alice.oid, upn: DEV_USERS.alice.upn });
  });

  it("refuses OBO assertions meant for another app, app-only, expired or badly signed", async () => {
    const ordersToken = String((await oboAsKit(entra, String((await kitTokenByPassword(entra, "alice")).access_token), `${ORDERS_IDENTIFIER_URI}/Orders.Read`)).body.access_token);
    assert.deepEqual((await oboAsKit(entra, ordersToken, GRAPH_USER_READ)).body.error_codes, [500131]);
    const appOnly = await entra.mintAccessToken({ audience: KIT_CLIENT_ID, appOnly: true });
    assert.deepEqual((await oboAsKit(entra, appOnly, GRAPH_USER_READ)).body.error_codes, [50013]);
    const expired = await entra.mintAccessToken({ audience: KIT_CLIENT_ID, claims: { exp: Math.floor(Date.now() / 1000) - 60 } });
    assert.deepEqual((await oboAsKit(entra, expired, GRAPH_USER_READ)).body.error_codes, [500133]);
    const forged = await entra.mintAccessToken({ audience: KIT_CLIENT_ID, signingKey: "unpublished" });
    assert.deepEqual((await oboAsKit(entra, forged, GRAPH_USER_READ)).body.error_codes, [50013]);
  });

  it("issues Graph tokens the way Graph's look: v1 issuer, Graph audience, a header nonce nobody else can verify", async () => {
    const user = await kitTokenByPassword(entra, "alice");
    const obo = await oboAsKit(entra, String(user.access_token), GRAPH_USER_READ);
    const token = String(obo.body.access_token);
    const header = decodeProtectedHeader(token);
    assert.equal(typeof header.nonce, "string");
    assert.equal(typeof header.x5t, "string");
    const claims = decodeJwt(token);
    assert.equal(claims.iss, `https://sts.windows.net/${DEV_TENANT_ID}/`);
    assert.equal(claims.aud, "https://graph.microsoft.com");
    assert.equal(claims.ver, "1.0");
    assert.equal(claims.appid, KIT_CLIENT_ID);
    assert.equal(claims.scp, "User.Read");
    await assert.rejects(jwtVerify(token, createLocalJWKSet(await jwksOf(entra))), { code: "ERR_JWS_SIGNATURE_VERIFICATION_FAILED" });
    assert.equal((await entra.verifyToken(token)).graphStyle, true);
  });

  it("issues v1 tokens for an API left at requestedAccessTokenVersion 1", async () => {
    const legacy = await startDefaultStandIn({
      applications: [
        { clientId: "1e6ac700-0000-4000-8000-000000000001", displayName: "Legacy API", identifierUris: ["api://legacy"], scopes: ["read"], accessTokenVersion: 1 },
        { clientId: VSCODE_CLIENT_ID, displayName: "Visual Studio Code", publicClient: true, multiTenant: true, redirectUris: ["http://127.0.0.1/"] },
      ],
    });
    try {
      const result = await postToken(legacy.endpoints().token, { grant_type: "password", client_id: VSCODE_CLIENT_ID, username: "alice", password: DEV_USERS.alice.password, scope: "api://legacy/read" });
      const claims = decodeJwt(String(result.body.access_token));
      assert.equal(claims.iss, `https://sts.windows.net/${DEV_TENANT_ID}/`);
      assert.equal(claims.aud, "api://legacy");
      assert.equal(claims.ver, "1.0");
      assert.equal(claims.upn, DEV_USERS.alice.upn);
      assert.equal(decodeProtectedHeader(String(result.body.access_token)).nonce, undefined);
    } finally {
      await legacy.close();
    }
  });

  it("shapes errors like Entra: AADSTS code first, error_codes, trace and correlation ids, timestamp", async () => {
    const response = await fetch(entra.endpoints().token, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", "client-request-id": "11112222-3333-4444-5555-666677778888" },
      body: new URLSearchParams({ grant_type: "authorization_code", client_id: KIT_CLIENT_ID, client_secret: KIT_DEV_CLIENT_SECRET, code: "bogus", redirect_uri: KIT_REDIRECT_URI, code_verifier: "x", scope: KIT_SCOPE_URI }),
    });
    const body = (await response.json()) as Record<string, unknown>;
    assert.equal(response.status, 400);
    assert.match(String(body.error_description), /^AADSTS\d+: .*\r\nTrace ID: [0-9a-f-]{36}\r\nCorrelation ID: 11112222-3333-4444-5555-666677778888\r\nTimestamp: \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/s);
    assert.equal(body.correlation_id, "11112222-3333-4444-5555-666677778888");
    assert.match(String(body.timestamp), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
    assert.ok(Array.isArray(body.error_codes));
  });

  it("answers another tenant's user only where the app is registered", async () => {
    const carol = await postToken(`${entra.origin}/${OTHER_TENANT_ID}/oauth2/v2.0/token`, {
      grant_type: "password",
      client_id: KIT_CLIENT_ID,
      client_secret: KIT_DEV_CLIENT_SECRET,
      username: DEV_USERS.carol.upn,
      password: DEV_USERS.carol.password,
      scope: KIT_SCOPE_URI,
    });
    assert.deepEqual(carol.body.error_codes, [700016]);
    const viaVsCode = await postToken(`${entra.origin}/organizations/oauth2/v2.0/token`, {
      grant_type: "password",
      client_id: VSCODE_CLIENT_ID,
      username: DEV_USERS.carol.upn,
      password: DEV_USERS.carol.password,
      scope: `${GRAPH_USER_READ}`,
    });
    const claims = decodeJwt(String(viaVsCode.body.access_token));
    assert.equal(claims.tid, OTHER_TENANT_ID);
    assert.equal(claims.iss, `https://sts.windows.net/${OTHER_TENANT_ID}/`);
  });

  it("records who and what, never a secret, code, token or password", async () => {
    entra.activity.reset();
    const { code, pkce } = await kitCode(entra, "alice");
    const tokens = await redeemKitCode(entra, code, pkce.verifier);
    await oboAsKit(entra, String(tokens.body.access_token), GRAPH_USER_READ);
    const counts = entra.activity.counts();
    assert.equal(counts.authorize, 1);
    assert.equal(counts.grants.authorization_code, 1);
    assert.equal(counts.obo, 1);
    const dump = JSON.stringify(entra.activity.records());
    for (const secret of [KIT_DEV_CLIENT_SECRET, code, pkce.verifier, String(tokens.body.access_token), String(tokens.body.refresh_token), DEV_USERS.alice.password]) {
      assert.equal(dump.includes(secret), false);
    }
    const obo = entra.activity.records({ grantType: "obo" })[0]!;
    assert.equal(obo.clientId, KIT_CLIENT_ID);
    assert.equal(obo.clientAuth, "client_secret_post");
    assert.deepEqual(obo.scopes, [GRAPH_USER_READ]);
    assert.equal(obo.resourceParameter, false);
    assert.equal(obo.status, 200);
  });
});

describe("Entra stand-in: explicit consent", () => {
  let entra: EntraStandIn;
  before(async () => {
    requireDevTlsTrust();
    entra = await startDefaultStandIn({ consent: "explicit" });
  });
  after(() => entra.close());

  it("refuses OBO for a downstream scope the user never consented to (AADSTS65001)", async () => {
    const { code, pkce } = await kitCode(entra, "alice");
    const kit = await redeemKitCode(entra, code, pkce.verifier);
    const obo = await oboAsKit(entra, String(kit.body.access_token), GRAPH_USER_READ);
    assert.equal(obo.body.error, "invalid_grant");
    assert.equal(obo.body.suberror, "consent_required");
    assert.deepEqual(obo.body.error_codes, [65001]);
  });

  it("allows it once the sign-in asked for the downstream scope too (consent once)", async () => {
    const { code, pkce } = await kitCode(entra, "bob", { scope: `${KIT_SCOPE_URI} ${GRAPH_USER_READ} openid profile offline_access` });
    const kit = await redeemKitCode(entra, code, pkce.verifier);
    assert.equal(kit.status, 200);
    const obo = await oboAsKit(entra, String(kit.body.access_token), GRAPH_USER_READ);
    assert.equal(obo.status, 200);
  });

  it("refuses the password grant without prior consent, as Entra does", async () => {
    entra.revokeConsent();
    const result = await postToken(entra.endpoints().token, {
      grant_type: "password",
      client_id: KIT_CLIENT_ID,
      client_secret: KIT_DEV_CLIENT_SECRET,
      username: "alice",
      password: DEV_USERS.alice.password,
      scope: KIT_SCOPE_URI,
    });
    assert.deepEqual(result.body.error_codes, [65001]);
    entra.grantConsent("alice", KIT_CLIENT_ID, [KIT_SCOPE_URI]);
    assert.equal((await kitTokenByPassword(entra, "alice", KIT_SCOPE_URI)).token_type, "Bearer");
  });

  it("needs no consent from a pre-authorized client (VS Code on the kit API)", async () => {
    entra.revokeConsent();
    const result = await postToken(entra.endpoints().token, { grant_type: "password", client_id: VSCODE_CLIENT_ID, username: "bob", password: DEV_USERS.bob.password, scope: KIT_SCOPE_URI });
    assert.equal(result.status, 200);
  });

  it("offers a Cancel button that answers access_denied (AADSTS65004)", async () => {
    const pkce = pkcePair();
    const form = new URLSearchParams({ ...kitAuthorizeParams(pkce), dev_user: DEV_USERS.alice.upn, dev_consent: "deny" });
    const response = await fetch(entra.endpoints().authorization, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: form.toString(),
      redirect: "manual",
    });
    const location = new URL(response.headers.get("location")!);
    assert.equal(location.searchParams.get("error"), "access_denied");
    assert.match(location.searchParams.get("error_description") ?? "", /^AADSTS65004:/);
  });
});

describe("Entra stand-in: minted tokens for validator tests", () => {
  let entra: EntraStandIn;
  before(async () => {
    requireDevTlsTrust();
    entra = await startDefaultStandIn();
  });
  after(() => entra.close());

  it("mints realistic tokens and applies claim and header overrides", async () => {
    const plain = decodeJwt(await entra.mintAccessToken({ user: "bob" }));
    assert.equal(plain.aud, KIT_CLIENT_ID);
    assert.equal(plain.oid, DEV_USERS.bob.oid);
    assert.equal(plain.scp, "mcp.access");
    const changed = await entra.mintAccessToken({ claims: { aud: "someone-else", tid: "not-a-guid", scp: undefined }, header: { nonce: "abc" } });
    const claims = decodeJwt(changed);
    assert.equal(claims.aud, "someone-else");
    assert.equal(claims.tid, "not-a-guid");
    assert.equal("scp" in claims, false);
    assert.equal(decodeProtectedHeader(changed).nonce, "abc");
    const unknownKid = await entra.mintAccessToken({ signingKey: "unpublished" });
    const kids = (await jwksOf(entra)).keys.map((key) => key.kid);
    assert.equal(kids.includes(decodeProtectedHeader(unknownKid).kid), false);
  });
});
