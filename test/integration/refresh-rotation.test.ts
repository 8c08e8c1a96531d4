/**
 * The facade's refresh tokens over real HTTP: single use with rotation, the
 * grace window for repeats, replay detection that revokes the family, idle
 * expiry, and revocation (RFC 7009), with the real MCP SDK clients' own
 * refresh where they have one and direct requests otherwise. Every kit here
 * is one process with no shared store (the ledger in memory); the same rules
 * across instances sharing Redis or a Table are in test/e2e/scale-out.test.ts.
 */
import assert from "node:assert/strict";
import type { EntraStandIn } from "../../dev/entra/index.js";
import { generateKeyringJson, parseKeyring, Sealer } from "../../lib/oauth/sealing.js";
import { requireDevTlsTrust, startDefaultStandIn } from "../support/entra.js";
import { facadeBrowser, postFacadeForm, registerPublicClient, signInForTokens, startProxyKit } from "../support/facade.js";
import type { RunningKit } from "../support/kit.js";
import { connectWithOAuth, HeadlessOAuthProvider } from "../support/oauth.js";

const REDIRECT = "http://127.0.0.1:45679/callback";
const KEYRING = generateKeyringJson("rotation-test");
const IDLE_SECONDS = 3600;

interface SealedRefresh {
  readonly c: string;
  readonly f: string;
  readonly iat: number;
  readonly exp: number;
}

function refreshWith(kit: RunningKit, clientId: string, refreshToken: string): ReturnType<typeof postFacadeForm> {
  return postFacadeForm(kit, "/token", { grant_type: "refresh_token", refresh_token: refreshToken, client_id: clientId });
}

describe("the facade's refresh tokens: rotation, replay detection, revocation", function () {
  this.timeout(60_000);
  let standIn: EntraStandIn;
  /** Default grace window (30 s). */
  let kit: RunningKit;
  /** No grace window: every second use is a replay at once. */
  let strict: RunningKit;
  const sealer = new Sealer(parseKeyring(KEYRING));

  before(async () => {
    requireDevTlsTrust();
    standIn = await startDefaultStandIn();
    kit = await startProxyKit(standIn, { env: { SEALING_KEYRING: KEYRING, OAUTH_REFRESH_IDLE_SECONDS: String(IDLE_SECONDS) } });
    strict = await startProxyKit(standIn, { env: { SEALING_KEYRING: KEYRING, OAUTH_REFRESH_REUSE_GRACE_SECONDS: "0" } });
  });
  after(async () => {
    await kit?.close();
    await strict?.close();
    await standIn?.close();
  });
  beforeEach(() => standIn.clearFaults());

  async function signedIn(on: RunningKit, user = "alice"): Promise<{ clientId: string; refreshToken: string; accessToken: string }> {
    const clientId = await registerPublicClient(on, REDIRECT);
    const tokens = await signInForTokens(on, clientId, REDIRECT, user);
    return { clientId, refreshToken: String(tokens["refresh_token"]), accessToken: String(tokens["access_token"]) };
  }

  describe("rotation", () => {
    it("returns a new refresh token on every refresh, of the same family, valid OAUTH_REFRESH_IDLE_SECONDS from that refresh", async () => {
      const { clientId, refreshToken } = await signedIn(kit);
      const first = await sealer.unseal<SealedRefresh>("refresh", refreshToken);
      assert.equal(first.exp - first.iat, IDLE_SECONDS, "the code redemption's token has the idle period");
      const answer = await refreshWith(kit, clientId, refreshToken);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      const next = String(answer.body["refresh_token"]);
      assert.notEqual(next, refreshToken);
      const second = await sealer.unseal<SealedRefresh>("refresh", next);
      assert.equal(second.f, first.f, "the same family");
      assert.equal(second.c, clientId);
      assert.equal(second.exp - second.iat, IDLE_SECONDS, "a new idle period from the refresh");
      assert.ok(second.iat >= first.iat);
    });

    it("answers a repeat within the grace window (a retry after a lost response) with the same tokens, asking Entra once", async () => {
      const { clientId, refreshToken } = await signedIn(kit);
      const before = standIn.activity.counts().grants.refresh_token;
      const first = await refreshWith(kit, clientId, refreshToken);
      const retry = await refreshWith(kit, clientId, refreshToken);
      assert.equal(retry.status, 200, JSON.stringify(retry.body));
      assert.equal(retry.body["refresh_token"], first.body["refresh_token"], "the same next refresh token: the family stays one chain");
      assert.equal(retry.body["access_token"], first.body["access_token"]);
      assert.ok(Number(retry.body["expires_in"]) <= Number(first.body["expires_in"]));
      assert.equal(standIn.activity.counts().grants.refresh_token - before, 1);
      assert.equal((await refreshWith(kit, clientId, String(first.body["refresh_token"]))).status, 200, "and the next token works once");
    });

    it("does not use a token up when Entra fails the refresh: the client retries with the same one", async () => {
      const { clientId, refreshToken } = await signedIn(strict);
      standIn.fail({ kind: "server_error", status: 503 }, { grantType: "refresh_token", times: 1 });
      const outage = await refreshWith(strict, clientId, refreshToken);
      assert.equal(outage.status, 503);
      assert.equal(outage.body["error"], "temporarily_unavailable");
      const retry = await refreshWith(strict, clientId, refreshToken);
      assert.equal(retry.status, 200, `not a replay: ${JSON.stringify(retry.body)}`);
    });
  });

  describe("replay", () => {
    it("refuses a refresh token used twice and revokes its family: the successor is refused too, a new sign-in works", async () => {
      const { clientId, refreshToken } = await signedIn(strict, "bob");
      const rotated = await refreshWith(strict, clientId, refreshToken);
      assert.equal(rotated.status, 200);
      const successor = String(rotated.body["refresh_token"]);

      const replay = await refreshWith(strict, clientId, refreshToken);
      assert.equal(replay.status, 400);
      assert.equal(replay.body["error"], "invalid_grant");
      assert.match(String(replay.body["error_description"]), /already used/);
      assert.equal(replay.body["access_token"], undefined);
      const afterwards = await refreshWith(strict, clientId, successor);
      assert.equal(afterwards.body["error"], "invalid_grant", "the legitimate successor belongs to the revoked family");
      assert.match(String(afterwards.body["error_description"]), /revoked/);
      assert.equal(strict.logs.matching("oauth.refresh_replayed").length >= 1, true);

      const again = await signedIn(strict, "bob");
      assert.equal((await refreshWith(strict, again.clientId, again.refreshToken)).status, 200, "a new sign-in is a new family");
    });

    for (const kind of ["v2-auto", "v1"] as const) {
      it(`sends the ${kind} client to sign in again when its refresh token's family was revoked by a replay, after its own refreshes worked`, async () => {
        const provider = new HeadlessOAuthProvider({
          redirectUrl: REDIRECT,
          clientMetadata: { client_name: "Rotating client", redirect_uris: [REDIRECT], token_endpoint_auth_method: "none", grant_types: ["authorization_code", "refresh_token"], response_types: ["code"] },
          signIn: facadeBrowser(strict, { user: "alice" }),
          forgetsOnInvalidation: true,
        });
        const client = await connectWithOAuth(kind, strict.mcpUrl, provider);
        try {
          const stolen = provider.tokens()!.refresh_token!;
          // The client refreshes twice by itself, storing each new refresh token.
          for (let round = 0; round < 2; round++) {
            provider.forgetAccessToken();
            assert.equal((await client.callTool("whoami", {})).structuredContent?.["name"], "Alice Example");
          }
          assert.notEqual(provider.tokens()!.refresh_token, stolen, "the client holds a rotated token");

          // A thief replays the token the client held first.
          const clientId = provider.clientInformation()!.client_id;
          assert.equal((await refreshWith(strict, clientId, stolen)).body["error"], "invalid_grant");

          // The client's next refresh is refused; the SDK forgets its tokens and opens a new sign-in.
          const signInsBefore = provider.authorizationUrls.length;
          provider.forgetAccessToken();
          await assert.rejects(client.callTool("whoami", {}));
          assert.ok(provider.invalidated.includes("tokens"), `the SDK dropped the dead tokens: ${JSON.stringify(provider.invalidated)}`);
          assert.equal(provider.authorizationUrls.length, signInsBefore + 1, "and sent the user to sign in again");
        } finally {
          await client.close();
        }
      });
    }
  });

  describe("revocation (RFC 7009)", () => {
    it("is advertised in the metadata, with public-client authentication", async () => {
      const metadata = (await (await fetch(new URL("/.well-known/oauth-authorization-server", kit.baseUrl))).json()) as Record<string, unknown>;
      assert.equal(metadata["revocation_endpoint"], `${kit.baseUrl.origin}/revoke`);
      assert.deepEqual(metadata["revocation_endpoint_auth_methods_supported"], ["none"]);
    });

    it("revokes a refresh token and its whole family: neither it nor the token it was rotated from refreshes again", async () => {
      const { clientId, refreshToken } = await signedIn(kit);
      const rotated = String((await refreshWith(kit, clientId, refreshToken)).body["refresh_token"]);
      const revoked = await postFacadeForm(kit, "/revoke", { token: rotated, token_type_hint: "refresh_token", client_id: clientId });
      assert.equal(revoked.status, 200, JSON.stringify(revoked.body));
      assert.deepEqual(revoked.body, {});
      assert.equal(revoked.headers.get("cache-control"), "no-store");
      for (const token of [rotated, refreshToken]) {
        const refused = await refreshWith(kit, clientId, token);
        assert.equal(refused.status, 400);
        assert.equal(refused.body["error"], "invalid_grant");
      }
      const twice = await postFacadeForm(kit, "/revoke", { token: rotated, client_id: clientId });
      assert.equal(twice.status, 200, "revoking again is no error");
    });

    it("answers 200, doing nothing, for tokens it does not know: garbage, tampered, expired, an authorization code", async () => {
      const { clientId, refreshToken } = await signedIn(kit);
      const expired = await sealer.seal("refresh", { c: clientId, s: ["mcp.access"], rt: "x", f: "AAAAAAAAAAAAAAAAAAAAAA" }, -10);
      for (const token of ["not-a-token", `${refreshToken.slice(0, -6)}AAAAAA`, expired, await sealer.seal("code", { c: clientId }, 60)]) {
        const answer = await postFacadeForm(kit, "/revoke", { token, client_id: clientId });
        assert.equal(answer.status, 200, JSON.stringify(answer.body));
      }
      assert.equal((await refreshWith(kit, clientId, refreshToken)).status, 200, "the real token was not touched");
    });

    it("says it cannot revoke access tokens, which are Entra's and expire by themselves", async () => {
      const { clientId, accessToken } = await signedIn(kit);
      const answer = await postFacadeForm(kit, "/revoke", { token: accessToken, token_type_hint: "access_token", client_id: clientId });
      assert.equal(answer.status, 400);
      assert.equal(answer.body["error"], "unsupported_token_type");
    });

    it("requires the client_id and the token, refuses client secrets, and answers CORS preflights", async () => {
      const { clientId, refreshToken } = await signedIn(kit);
      assert.equal((await postFacadeForm(kit, "/revoke", { token: refreshToken })).body["error"], "invalid_request");
      assert.equal((await postFacadeForm(kit, "/revoke", { client_id: clientId })).body["error"], "invalid_request");
      const secret = await postFacadeForm(kit, "/revoke", { token: refreshToken, client_id: clientId }, { authorization: "Basic eDp5" });
      assert.equal(secret.status, 401);
      assert.equal(secret.body["error"], "invalid_client");
      const preflight = await fetch(new URL("/revoke", kit.baseUrl), { method: "OPTIONS", headers: { origin: "https://inspector.example", "access-control-request-method": "POST" } });
      assert.equal(preflight.headers.get("access-control-allow-origin"), "*");
      assert.equal((await refreshWith(kit, clientId, refreshToken)).status, 200, "none of the refused requests revoked anything");
    });
  });
});
