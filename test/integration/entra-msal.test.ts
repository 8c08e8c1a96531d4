/**
 * @azure/msal-node (the client library the kit uses) against the Entra
 * stand-in, configured with `msalAuthorityOptions`: every flow the kit and its
 * tests need, tokens checked with jose against the stand-in's JWKS.
 */
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import {
  ConfidentialClientApplication,
  InteractionRequiredAuthError,
  PublicClientApplication,
  ServerError,
  type Configuration,
  type INetworkModule,
} from "@azure/msal-node";
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from "jose";
import { generate } from "selfsigned";
import {
  DEV_APPLICATIONS,
  DEV_TENANT_ID,
  DEV_USERS,
  GRAPH_USER_READ,
  KIT_APP,
  KIT_CLIENT_ID,
  KIT_DEV_CLIENT_SECRET,
  KIT_REDIRECT_URI,
  KIT_SCOPE_URI,
  ORDERS_CLIENT_ID,
  ORDERS_IDENTIFIER_URI,
  ORDERS_SCOPE_URI,
  VSCODE_CLIENT_ID,
} from "../../dev/defaults.js";
import { msalAuthorityOptions, type EntraStandIn } from "../../dev/entra/index.js";
import { pkcePair, requireDevTlsTrust, signInHeadless, startDefaultStandIn } from "../support/entra.js";

function kitApp(entra: EntraStandIn, auth: Partial<Configuration["auth"]> = {}): ConfidentialClientApplication {
  return new ConfidentialClientApplication({ auth: { clientId: KIT_CLIENT_ID, clientSecret: KIT_DEV_CLIENT_SECRET, ...msalAuthorityOptions(entra), ...auth } });
}

/** The authorization code flow as a web app runs it: URL, headless sign-in, redemption. */
async function signInWithMsal(app: ConfidentialClientApplication | PublicClientApplication, user: string, redirectUri: string, scopes: string[]) {
  const pkce = pkcePair();
  const url = await app.getAuthCodeUrl({ scopes, redirectUri, codeChallenge: pkce.challenge, codeChallengeMethod: "S256", state: "s1", nonce: "n1" });
  const redirect = await signInHeadless(url, user);
  assert.ok(redirect.code, `no code: ${redirect.errorDescription ?? ""}`);
  // msal checks the ID token's nonce against the request's, and the returned state against the request's.
  return app.acquireTokenByCode({ code: redirect.code, scopes, redirectUri, codeVerifier: pkce.verifier, nonce: "n1", state: "s1" }, { code: redirect.code, state: redirect.state ?? "" });
}

describe("msal-node against the Entra stand-in", () => {
  let entra: EntraStandIn;
  let jwks: ReturnType<typeof createRemoteJWKSet>;
  before(async () => {
    requireDevTlsTrust();
    entra = await startDefaultStandIn();
    jwks = createRemoteJWKSet(new URL(entra.endpoints().jwks));
  });
  after(() => entra.close());
  afterEach(() => entra.clearFaults());

  it("is configured by msalAuthorityOptions: the https authority and knownAuthorities with the port", () => {
    const options = msalAuthorityOptions(entra);
    assert.equal(options.authority, `${entra.origin}/${DEV_TENANT_ID}`);
    assert.deepEqual(options.knownAuthorities, [`localhost:${entra.port}`]);
    assert.equal(msalAuthorityOptions(entra, "organizations").authority, `${entra.origin}/organizations`);
  });

  it("fails without knownAuthorities, because msal first asks login.microsoftonline.com about the host", async () => {
    const attempted: string[] = [];
    // A network module that records and refuses everything, so no request leaves the machine.
    const refuseAll: INetworkModule = {
      sendGetRequestAsync: (url: string) => {
        attempted.push(url);
        return Promise.reject(new Error("offline"));
      },
      sendPostRequestAsync: (url: string) => {
        attempted.push(url);
        return Promise.reject(new Error("offline"));
      },
    };
    const app = new ConfidentialClientApplication({
      auth: { clientId: KIT_CLIENT_ID, clientSecret: KIT_DEV_CLIENT_SECRET, authority: entra.authority() },
      system: { networkClient: refuseAll },
    });
    await assert.rejects(app.acquireTokenByClientCredential({ scopes: [`${ORDERS_IDENTIFIER_URI}/.default`] }));
    assert.match(attempted[0] ?? "", /^https:\/\/login\.microsoftonline\.com\/common\/discovery\/instance/);
  });

  it("acquireTokenByCode: authorization code + PKCE, signed in headlessly", async () => {
    const result = await signInWithMsal(kitApp(entra), "alice", KIT_REDIRECT_URI, [KIT_SCOPE_URI]);
    assert.deepEqual(result.scopes, [KIT_SCOPE_URI]);
    assert.equal(result.account?.username, DEV_USERS.alice.upn);
    assert.equal(result.account?.homeAccountId, `${DEV_USERS.alice.oid}.${DEV_TENANT_ID}`);
    assert.equal(result.idTokenClaims && (result.idTokenClaims as Record<string, unknown>).nonce, "n1");
    const { payload } = await jwtVerify(result.accessToken, jwks, { issuer: entra.issuer(), audience: KIT_CLIENT_ID, algorithms: ["RS256"] });
    assert.equal(payload.oid, DEV_USERS.alice.oid);
    assert.equal(payload.scp, "mcp.access");
  });

  it("acquireTokenByCode as a public client (VS Code's client id, loopback redirect on any port)", async () => {
    const app = new PublicClientApplication({ auth: { clientId: VSCODE_CLIENT_ID, ...msalAuthorityOptions(entra, "organizations") } });
    const result = await signInWithMsal(app, "bob", "http://127.0.0.1:61234/", [KIT_SCOPE_URI]);
    const { payload } = await jwtVerify(result.accessToken, jwks, { issuer: entra.issuer(), audience: KIT_CLIENT_ID });
    assert.equal(payload.azp, VSCODE_CLIENT_ID);
    assert.equal(payload.azpacr, "0");
    assert.equal(entra.activity.records({ grantType: "authorization_code" }).at(-1)?.clientAuth, "none");
  });

  it("acquireTokenByRefreshToken: the same refresh token works twice", async () => {
    const app = kitApp(entra);
    await signInWithMsal(app, "alice", KIT_REDIRECT_URI, [KIT_SCOPE_URI]);
    const cache = JSON.parse(app.getTokenCache().serialize()) as { RefreshToken: Record<string, { secret: string }> };
    const refreshToken = Object.values(cache.RefreshToken)[0]!.secret;
    const first = await kitApp(entra).acquireTokenByRefreshToken({ refreshToken, scopes: [KIT_SCOPE_URI] });
    const second = await kitApp(entra).acquireTokenByRefreshToken({ refreshToken, scopes: [KIT_SCOPE_URI] });
    assert.ok(first?.accessToken);
    assert.ok(second?.accessToken);
    assert.notEqual(first.accessToken, second.accessToken);
  });

  it("acquireTokenOnBehalfOf: a Graph token for the same user, refused by the kit's own validation rules", async () => {
    const app = kitApp(entra);
    const user = await signInWithMsal(app, "alice", KIT_REDIRECT_URI, [KIT_SCOPE_URI]);
    const obo = await app.acquireTokenOnBehalfOf({ oboAssertion: user.accessToken, scopes: [GRAPH_USER_READ] });
    assert.ok(obo);
    const claims = decodeJwt(obo.accessToken);
    assert.equal(claims.aud, "https://graph.microsoft.com");
    assert.equal(claims.oid, DEV_USERS.alice.oid);
    assert.equal(claims.tid, DEV_TENANT_ID);
    assert.equal(claims.appid, KIT_CLIENT_ID);
    assert.equal(claims.scp, "User.Read");
    assert.equal(typeof decodeProtectedHeader(obo.accessToken).nonce, "string");
    await assert.rejects(jwtVerify(obo.accessToken, jwks));
    assert.equal(entra.activity.counts().obo >= 1, true);
  });

  it("acquireTokenOnBehalfOf: a v2 token for a custom API with azp = the kit", async () => {
    const app = kitApp(entra);
    const user = await signInWithMsal(app, "bob", KIT_REDIRECT_URI, [KIT_SCOPE_URI]);
    const obo = await app.acquireTokenOnBehalfOf({ oboAssertion: user.accessToken, scopes: [ORDERS_SCOPE_URI] });
    assert.ok(obo);
    const { payload } = await jwtVerify(obo.accessToken, jwks, { issuer: entra.issuer(), audience: ORDERS_CLIENT_ID });
    assert.equal(payload.azp, KIT_CLIENT_ID);
    assert.equal(payload.scp, "Orders.Read");
    assert.equal(payload.oid, DEV_USERS.bob.oid);
    const record = entra.activity.records({ grantType: "obo" }).at(-1)!;
    assert.deepEqual(record.user, { oid: DEV_USERS.bob.oid, upn: DEV_USERS.bob.upn });
    assert.equal(record.resourceParameter, false);
  });

  it("acquireTokenByClientCredential: an app-only token with the app's roles", async () => {
    const roles = await startDefaultStandIn({
      applications: DEV_APPLICATIONS.map((app) => (app.clientId === KIT_CLIENT_ID ? { ...app, appRoleAssignments: { [ORDERS_IDENTIFIER_URI]: ["Orders.Read.All"] } } : app)),
    });
    try {
      const result = await kitApp(roles).acquireTokenByClientCredential({ scopes: [`${ORDERS_IDENTIFIER_URI}/.default`] });
      assert.ok(result);
      const claims = decodeJwt(result.accessToken);
      assert.deepEqual(claims.roles, ["Orders.Read.All"]);
      assert.equal(claims.aud, ORDERS_CLIENT_ID);
      assert.equal(claims.azp, KIT_CLIENT_ID);
    } finally {
      await roles.close();
    }
  });

  it("acquireTokenByUsernamePassword (still in msal 7)", async () => {
    const result = await kitApp(entra).acquireTokenByUsernamePassword({ username: DEV_USERS.bob.upn, password: DEV_USERS.bob.password, scopes: [KIT_SCOPE_URI] });
    assert.ok(result);
    assert.equal(decodeJwt(result.accessToken).preferred_username, DEV_USERS.bob.upn);
  });

  it("authenticates with a certificate (x5t#S256 client assertion)", async () => {
    const pems = await generate([{ name: "commonName", value: "kit client certificate" }], { keyType: "rsa", keySize: 2048, algorithm: "sha256" });
    const withCert = await startDefaultStandIn({ applications: DEV_APPLICATIONS.map((app) => (app.clientId === KIT_CLIENT_ID ? { ...KIT_APP, certificates: [pems.cert] } : app)) });
    try {
      const thumbprintSha256 = new X509Certificate(pems.cert).fingerprint256.replace(/:/g, "");
      const app = new ConfidentialClientApplication({ auth: { clientId: KIT_CLIENT_ID, clientCertificate: { thumbprintSha256, privateKey: pems.private }, ...msalAuthorityOptions(withCert) } });
      const result = await app.acquireTokenByClientCredential({ scopes: [`${ORDERS_IDENTIFIER_URI}/.default`] });
      assert.equal(decodeJwt(result!.accessToken).azpacr, "2");
      assert.equal(withCert.activity.records({ grantType: "client_credentials" })[0]?.clientAuth, "certificate");

      const other = await generate([{ name: "commonName", value: "unregistered" }], { keyType: "rsa", keySize: 2048, algorithm: "sha256" });
      const stranger = new ConfidentialClientApplication({
        auth: { clientId: KIT_CLIENT_ID, clientCertificate: { thumbprintSha256: new X509Certificate(other.cert).fingerprint256.replace(/:/g, ""), privateKey: other.private }, ...msalAuthorityOptions(withCert) },
      });
      await assert.rejects(stranger.acquireTokenByClientCredential({ scopes: [`${ORDERS_IDENTIFIER_URI}/.default`] }), (error: unknown) => {
        assert.ok(error instanceof ServerError);
        assert.match(error.errorMessage, /AADSTS700027/);
        return true;
      });
    } finally {
      await withCert.close();
    }
  });

  it("surfaces consent required as InteractionRequiredAuthError with suberror consent_required", async () => {
    const app = kitApp(entra);
    const user = await signInWithMsal(app, "alice", KIT_REDIRECT_URI, [KIT_SCOPE_URI]);
    entra.fail("consent_required", { grantType: "obo", times: 1 });
    await assert.rejects(app.acquireTokenOnBehalfOf({ oboAssertion: user.accessToken, scopes: [GRAPH_USER_READ] }), (error: unknown) => {
      assert.ok(error instanceof InteractionRequiredAuthError);
      assert.equal(error.errorCode, "invalid_grant");
      assert.equal(error.subError, "consent_required");
      assert.match(error.errorMessage, /AADSTS65001/);
      return true;
    });
    assert.ok(await app.acquireTokenOnBehalfOf({ oboAssertion: user.accessToken, scopes: [GRAPH_USER_READ] }), "the switch fired once");
  });

  it("surfaces an MFA claims challenge as InteractionRequiredAuthError carrying the claims", async () => {
    const app = kitApp(entra);
    const user = await signInWithMsal(app, "alice", KIT_REDIRECT_URI, [KIT_SCOPE_URI]);
    entra.fail({ kind: "mfa_required", code: 50079 }, { grantType: "obo", times: 1 });
    await assert.rejects(app.acquireTokenOnBehalfOf({ oboAssertion: user.accessToken, scopes: [GRAPH_USER_READ] }), (error: unknown) => {
      assert.ok(error instanceof InteractionRequiredAuthError);
      assert.equal(error.errorCode, "interaction_required");
      assert.match(error.errorMessage, /AADSTS50079/);
      assert.ok(JSON.parse(error.claims).access_token.capolids);
      return true;
    });
  });

  it("keeps working after an outage: stop() refuses connections, start() serves the same port and keys", async () => {
    const app = kitApp(entra);
    const before = await app.acquireTokenByClientCredential({ scopes: [`${ORDERS_IDENTIFIER_URI}/.default`] });
    await entra.stop();
    await assert.rejects(kitApp(entra).acquireTokenByClientCredential({ scopes: [`${ORDERS_IDENTIFIER_URI}/.default`] }));
    await entra.start();
    const after = await kitApp(entra).acquireTokenByClientCredential({ scopes: [`${ORDERS_IDENTIFIER_URI}/.default`] });
    assert.equal(decodeProtectedHeader(before!.accessToken).kid, decodeProtectedHeader(after!.accessToken).kid);
    await jwtVerify(before!.accessToken, jwks, { audience: ORDERS_CLIENT_ID });
  });
});
