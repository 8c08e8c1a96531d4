/**
 * The facade's rules under attack: every request below must be refused
 * without a code or token being issued, and errors must stay on our own page
 * until the client and its redirect URI are validated.
 */
import assert from "node:assert/strict";
import { DEV_USERS } from "../../dev/defaults.js";
import type { EntraStandIn } from "../../dev/entra/index.js";
import { generateKeyringJson, parseKeyring, Sealer } from "../../lib/oauth/sealing.js";
import { newPkcePair } from "../../lib/oauth/pkce.js";
import { CimdServer, validDocument } from "../support/cimd-server.js";
import { requireDevTlsTrust, startDefaultStandIn } from "../support/entra.js";
import { facadeBrowser, hiddenInput, startProxyKit } from "../support/facade.js";
import type { RunningKit } from "../support/kit.js";
import { CookieJar } from "../support/oauth.js";

const REDIRECT = "http://127.0.0.1:45678/callback";
const KEYRING = generateKeyringJson("test-key");

async function register(kit: RunningKit, metadata: Record<string, unknown>): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(new URL("/register", kit.baseUrl), { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(metadata) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

function authorizeUrl(kit: RunningKit, params: Record<string, string | undefined>): URL {
  const url = new URL("/authorize", kit.baseUrl);
  for (const [name, value] of Object.entries(params)) if (value !== undefined) url.searchParams.set(name, value);
  return url;
}

async function token(kit: RunningKit, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const response = await fetch(new URL("/token", kit.baseUrl), { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", ...headers }, body: new URLSearchParams(fields) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown>, headers: response.headers };
}

/** A full, legitimate sign-in up to the code; returns what a client holds. */
async function obtainCode(kit: RunningKit, clientId: string, user = "alice"): Promise<{ code: string; verifier: string }> {
  const pkce = newPkcePair();
  const url = authorizeUrl(kit, { response_type: "code", client_id: clientId, redirect_uri: REDIRECT, code_challenge: pkce.challenge, code_challenge_method: "S256", state: "s1" });
  const redirect = await facadeBrowser(kit, { user })(url);
  const code = redirect.searchParams.get("code");
  assert.ok(code, `no code: ${redirect.href}`);
  return { code, verifier: pkce.verifier };
}

describe("the facade refuses attacks", function () {
  this.timeout(60_000);
  let standIn: EntraStandIn;
  let kit: RunningKit;
  let documents: CimdServer;
  let clientId: string;
  const challenge = newPkcePair().challenge;

  before(async () => {
    requireDevTlsTrust();
    standIn = await startDefaultStandIn();
    documents = await CimdServer.start();
    kit = await startProxyKit(standIn, { env: { SEALING_KEYRING: KEYRING, OAUTH_CIMD_ALLOWED_PRIVATE_HOSTS: documents.hostPort } });
    const registered = await register(kit, { client_name: "Attack target", redirect_uris: [REDIRECT, "https://app.example/cb"] });
    assert.equal(registered.status, 201, JSON.stringify(registered.body));
    clientId = String(registered.body["client_id"]);
  });
  after(async () => {
    await kit?.close();
    await standIn?.close();
    await documents?.close();
  });
  beforeEach(() => standIn.clearFaults());

  describe("Client ID Metadata Documents", () => {
    async function authorizeWith(documentUrl: string): Promise<Response> {
      return fetch(authorizeUrl(kit, { response_type: "code", client_id: documentUrl, redirect_uri: REDIRECT, code_challenge: challenge, code_challenge_method: "S256" }), { redirect: "manual" });
    }
    async function assertRefusedOnOurPage(response: Response, reason: RegExp): Promise<void> {
      assert.equal(response.status, 400);
      assert.equal(response.headers.get("location"), null);
      assert.match(await response.text(), reason);
    }

    it("accepts a good document (the control case)", async () => {
      documents.document("/good.json", (self) => validDocument(self, { redirect_uris: [REDIRECT] }));
      const response = await authorizeWith(documents.url("/good.json"));
      assert.equal(response.status, 200, await response.clone().text());
    });

    it("refuses a document at a private address (a host that is not on the allow-list)", async () => {
      documents.document("/private.json", (self) => validDocument(self, { redirect_uris: [REDIRECT] }));
      const before = documents.requests("/private.json");
      await assertRefusedOnOurPage(await authorizeWith(documents.url("/private.json", "localhost")), /private|not allowed|public/i);
      assert.equal(documents.requests("/private.json"), before, "no request reached the private address");
    });

    it("refuses an oversized document", async () => {
      documents.document("/huge.json", (self) => validDocument(self, { redirect_uris: [REDIRECT], client_name: "x", padding: "y".repeat(10_000) }));
      await assertRefusedOnOurPage(await authorizeWith(documents.url("/huge.json")), /large|size|bytes/i);
    });

    it("refuses a document that names another client_id", async () => {
      documents.document("/impostor.json", () => validDocument("https://claude.ai/oauth/mcp-client.json", { redirect_uris: [REDIRECT] }));
      await assertRefusedOnOurPage(await authorizeWith(documents.url("/impostor.json")), /client_id/i);
    });

    it("gives up on a slow document within the time limit", async function () {
      this.timeout(15_000);
      documents.route("/slow.json", () => undefined);
      const started = Date.now();
      await assertRefusedOnOurPage(await authorizeWith(documents.url("/slow.json")), /did not arrive within/i);
      assert.ok(Date.now() - started < 8000);
    });
  });

  it("allows cross-origin calls only where browser-based clients need them: metadata, /register, /token", async () => {
    const corsOrigin = "https://inspector.example";
    const allowed: Array<[string, string, RequestInit]> = [
      ["GET", "/.well-known/oauth-authorization-server", {}],
      ["GET", "/.well-known/oauth-protected-resource/mcp", {}],
      ["OPTIONS", "/register", { headers: { "access-control-request-method": "POST" } }],
      ["OPTIONS", "/token", { headers: { "access-control-request-method": "POST" } }],
      ["POST", "/token", { headers: { "content-type": "application/x-www-form-urlencoded" }, body: "grant_type=refresh_token&refresh_token=x&client_id=y" }],
    ];
    for (const [method, path, init] of allowed) {
      const response = await fetch(new URL(path, kit.baseUrl), { ...init, method, headers: { origin: corsOrigin, ...(init.headers as Record<string, string> | undefined) } });
      assert.equal(response.headers.get("access-control-allow-origin"), "*", `${method} ${path}`);
      await response.body?.cancel();
    }
    const refused: Array<[string, string]> = [
      ["GET", `/authorize?client_id=${encodeURIComponent(clientId)}`],
      ["POST", "/consent"],
      ["GET", "/auth/callback?state=x&code=y"],
    ];
    for (const [method, path] of refused) {
      const response = await fetch(new URL(path, kit.baseUrl), { method, redirect: "manual", headers: { origin: corsOrigin } });
      assert.equal(response.headers.get("access-control-allow-origin"), null, `${method} ${path}`);
      await response.body?.cancel();
    }
  });

  describe("registration", () => {
    for (const uri of ["javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:alert(1)", "data:text/html,x", "http://evil.example/cb", "https://ok.example/cb#frag", "file:///etc/passwd"]) {
      it(`refuses the redirect URI ${JSON.stringify(uri)}`, async () => {
        const answer = await register(kit, { redirect_uris: [uri] });
        assert.equal(answer.status, 400);
        assert.equal(answer.body["error"], "invalid_redirect_uri");
      });
    }

    it("refuses confidential clients, other grants and oversized bodies", async () => {
      assert.equal((await register(kit, { redirect_uris: [REDIRECT], token_endpoint_auth_method: "client_secret_basic" })).body["error"], "invalid_client_metadata");
      assert.equal((await register(kit, { redirect_uris: [REDIRECT], grant_types: ["client_credentials"] })).body["error"], "invalid_client_metadata");
      assert.equal((await register(kit, { redirect_uris: Array.from({ length: 11 }, (_, i) => `https://a.example/${i}`) })).status, 400);
      const huge = await fetch(new URL("/register", kit.baseUrl), { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ redirect_uris: [REDIRECT], client_name: "x".repeat(20_000) }) });
      assert.equal(huge.status, 400);
    });

    for (const [label, name, shown] of [
      ["a right-to-left override", "Contoso \u202Eexe.lanretni", "U+202E"],
      ["a first-strong isolate", "Contoso\u2068 Admin", "U+2068"],
      ["a C1 control", "Contoso\u0085", "U+0085"],
      ["the Arabic letter mark (a bidi control)", "Micro\u061Csoft", "U+061C"],
      ["a zero-width space", "Micro\u200Bsoft", "U+200B"],
      ["a zero-width non-joiner", "Micro\u200Csoft", "U+200C"],
      ["a zero-width joiner", "Micro\u200Dsoft", "U+200D"],
      ["a word joiner", "Micro\u2060soft", "U+2060"],
      ["a byte-order mark", "\uFEFFMicrosoft", "U+FEFF"],
      ["a soft hyphen", "Micro\u00ADsoft", "U+00AD"],
      ["an invisible tag character", "Microsoft\u{E0041}", "U+E0041"],
      ["a Hangul filler (drawn as nothing)", "Micro\u3164soft", "U+3164"],
      ["a line separator", "Microsoft\u2028Admin", "U+2028"],
      ["a private-use character", "Microsoft \uE000", "U+E000"],
    ] as const) {
      it(`refuses a client_name with ${label}, which could disguise it on the consent page`, async () => {
        const answer = await register(kit, { client_name: name, redirect_uris: [REDIRECT] });
        assert.equal(answer.status, 400);
        assert.equal(answer.body["error"], "invalid_client_metadata");
        assert.match(String(answer.body["error_description"]), new RegExp(`^client_name contains ${shown.replace("+", "\\+")}, an invisible, control or text-direction character`));
      });
    }

    it("accepts names in any script, accents and emoji presentation included", async () => {
      for (const name of ["Contoso Café", "Müller & Söhne", "東京ツール", "مايكروسوفت", "עברית", "Notes ❤️", "Ünïcödé 2.0"]) {
        const answer = await register(kit, { client_name: name, redirect_uris: [REDIRECT] });
        assert.equal(answer.status, 201, `${name}: ${JSON.stringify(answer.body)}`);
        assert.equal(answer.body["client_name"], name);
      }
    });
  });

  describe("/authorize before the client and redirect URI are validated: errors stay on our page", () => {
    const cases: Array<[string, () => Record<string, string | undefined>]> = [
      ["an unknown client", () => ({ client_id: "not-a-client" })],
      ["a tampered client_id", () => ({ client_id: `${clientId.slice(0, -6)}AAAAAA` })],
      ["a redirect URI that is not registered", () => ({ redirect_uri: "https://evil.example/cb" })],
      ["a registered URI with an extra path", () => ({ redirect_uri: "https://app.example/cb/extra" })],
      ["a registered URI with a query", () => ({ redirect_uri: "https://app.example/cb?x=1" })],
      ["a registered URI with a trailing slash", () => ({ redirect_uri: "https://app.example/cb/" })],
      ["a mixed-case variant", () => ({ redirect_uri: "HTTPS://APP.EXAMPLE/cb" })],
      ["javascript:", () => ({ redirect_uri: "javascript:alert(1)//https://app.example/cb" })],
      ["data:", () => ({ redirect_uri: "data:text/html,https://app.example/cb" })],
      ["a whitespace variant", () => ({ redirect_uri: " https://app.example/cb" })],
      ["remote http", () => ({ redirect_uri: "http://app.example/cb" })],
      ["a repeated parameter", () => ({})],
    ];
    for (const [label, params] of cases) {
      it(`shows ${label} on an error page, never redirecting`, async () => {
        const url = authorizeUrl(kit, {
          response_type: "code",
          client_id: clientId,
          redirect_uri: "https://app.example/cb",
          code_challenge: challenge,
          code_challenge_method: "S256",
          ...params(),
        });
        if (label === "a repeated parameter") url.searchParams.append("client_id", clientId);
        const response = await fetch(url, { redirect: "manual" });
        assert.equal(response.status, 400);
        assert.equal(response.headers.get("location"), null);
        assert.match(response.headers.get("content-type") ?? "", /text\/html/);
        assert.match(response.headers.get("content-security-policy") ?? "", /frame-ancestors 'none'/);
      });
    }
  });

  describe("/authorize after validation: errors go back to the client, and nothing is issued", () => {
    const cases: Array<[string, Record<string, string | undefined>, string]> = [
      ["missing PKCE", { code_challenge: undefined, code_challenge_method: undefined }, "invalid_request"],
      ["plain PKCE", { code_challenge_method: "plain" }, "invalid_request"],
      ["a malformed challenge", { code_challenge: "short" }, "invalid_request"],
      ["a resource for another server", { resource: "https://other.example/mcp" }, "invalid_target"],
      ["an unknown scope", { scope: "https://graph.microsoft.com/Mail.Read" }, "invalid_scope"],
      ["another response type", { response_type: "token" }, "unsupported_response_type"],
    ];
    for (const [label, params, error] of cases) {
      it(`redirects ${label} as ${error}`, async () => {
        const url = authorizeUrl(kit, {
          response_type: "code",
          client_id: clientId,
          redirect_uri: REDIRECT,
          code_challenge: challenge,
          code_challenge_method: "S256",
          state: "xyz",
          ...params,
        });
        const response = await fetch(url, { redirect: "manual" });
        assert.equal(response.status, 303);
        const location = new URL(response.headers.get("location")!);
        assert.equal(location.origin + location.pathname, REDIRECT);
        assert.equal(location.searchParams.get("error"), error);
        assert.equal(location.searchParams.get("state"), "xyz");
        assert.equal(location.searchParams.get("iss"), kit.baseUrl.origin);
        assert.equal(location.searchParams.get("code"), null);
      });
    }
  });

  describe("the consent page", () => {
    it("cannot be framed and names the client, its redirect host and what is shared", async () => {
      let html = "";
      const url = authorizeUrl(kit, { response_type: "code", client_id: clientId, redirect_uri: "https://app.example/cb", code_challenge: challenge, code_challenge_method: "S256" });
      const response = await fetch(url, { redirect: "manual" });
      html = await response.text();
      assert.equal(response.status, 200);
      assert.match(response.headers.get("content-security-policy") ?? "", /frame-ancestors 'none'/);
      assert.equal(response.headers.get("x-frame-options"), "DENY");
      assert.match(html, /Attack target/);
      assert.match(html, /app\.example/);
      assert.match(html, /not verified/);
      assert.match(html, /mcp\.access/);
    });

    it("names this server by its display name, not its package name, and downstream APIs in words", async () => {
      const url = authorizeUrl(kit, { response_type: "code", client_id: clientId, redirect_uri: REDIRECT, code_challenge: challenge, code_challenge_method: "S256" });
      const html = await (await fetch(url)).text();
      assert.match(html, /<h1>Allow access to MCP Functions Kit\?<\/h1>/, "serverInfo.title by default");
      assert.doesNotMatch(html, /mcp-functions-kit/);
      assert.match(html, /Let its tools use Microsoft Graph as you, to read your profile \(User\.Read\)/);
      assert.doesNotMatch(html, /graph\.microsoft\.com/);

      const named = await startProxyKit(standIn, { env: { SEALING_KEYRING: KEYRING, SERVER_DISPLAY_NAME: "Contoso HR & Payroll tools" } });
      try {
        const renamed = await (await fetch(authorizeUrl(named, { response_type: "code", client_id: clientId, redirect_uri: REDIRECT, code_challenge: challenge, code_challenge_method: "S256" }))).text();
        assert.match(renamed, /<h1>Allow access to Contoso HR &#38; Payroll tools\?<\/h1>/, "SERVER_DISPLAY_NAME, escaped");
        assert.match(renamed, /wants to use Contoso HR &#38; Payroll tools as you/);
      } finally {
        await named.close();
      }
    });

    for (const [label, headers] of [
      ["a foreign Origin", { origin: "https://evil.example" }],
      ["Sec-Fetch-Site: cross-site", { origin: "null", "sec-fetch-site": "cross-site" }],
      ["no Origin and no Sec-Fetch-Site", {}],
    ] as const) {
      it(`refuses an approval posted with ${label}`, async () => {
        const url = authorizeUrl(kit, { response_type: "code", client_id: clientId, redirect_uri: REDIRECT, code_challenge: challenge, code_challenge_method: "S256" });
        const request = hiddenInput(await (await fetch(url)).text(), "request")!;
        const response = await fetch(new URL("/consent", kit.baseUrl), {
          method: "POST",
          redirect: "manual",
          headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
          body: new URLSearchParams({ request, decision: "approve" }),
        });
        assert.equal(response.status, 403);
        assert.equal(response.headers.get("location"), null);
        assert.equal(response.headers.getSetCookie().length, 0, "no binding cookie for a refused approval");
      });
    }

    it("sends a denial back to the client as access_denied", async () => {
      const url = authorizeUrl(kit, { response_type: "code", client_id: clientId, redirect_uri: REDIRECT, code_challenge: challenge, code_challenge_method: "S256", state: "d" });
      const redirect = await facadeBrowser(kit, { user: "alice", decision: "deny" })(url);
      assert.equal(redirect.searchParams.get("error"), "access_denied");
      assert.equal(redirect.searchParams.get("state"), "d");
    });

    it("sets a host-only, HttpOnly, SameSite=Lax binding cookie (not Secure on http://localhost)", async () => {
      const jar = new CookieJar();
      await obtainCodeWithJar(kit, clientId, jar);
      const binding = jar.seen.find((header) => header.startsWith("mcpkit-binding="));
      assert.ok(binding, jar.seen.join("\n"));
      assert.match(binding, /HttpOnly/);
      assert.match(binding, /SameSite=Lax/);
      assert.match(binding, /Path=\//);
      assert.doesNotMatch(binding, /Domain=/i);
    });

    it("skips the consent page only for the exact client and redirect URI this browser approved with 'remember'", async () => {
      const jar = new CookieJar();
      let pages = 0;
      const browser = (redirectUri: string) =>
        facadeBrowser(kit, { user: "alice", jar, remember: true, onConsentPage: () => pages++ })(
          authorizeUrl(kit, { response_type: "code", client_id: clientId, redirect_uri: redirectUri, code_challenge: challenge, code_challenge_method: "S256" }),
        );
      await browser(REDIRECT);
      await browser(REDIRECT);
      assert.equal(pages, 1, "remembered for the same client + redirect");
      await browser("http://127.0.0.1:9999/callback");
      assert.equal(pages, 1, "a loopback redirect differing only in port is the same registered URI");
      await browser("https://app.example/cb");
      assert.equal(pages, 2, "another redirect URI shows the page again");
      const other = await register(kit, { client_name: "Other", redirect_uris: [REDIRECT] });
      await facadeBrowser(kit, { user: "alice", jar, onConsentPage: () => pages++ })(
        authorizeUrl(kit, { response_type: "code", client_id: String(other.body["client_id"]), redirect_uri: REDIRECT, code_challenge: challenge, code_challenge_method: "S256" }),
      );
      assert.equal(pages, 3, "another client shows the page again");
    });
  });

  describe("/auth/callback", () => {
    async function approvedEntraRedirect(jar: CookieJar): Promise<URL> {
      const url = authorizeUrl(kit, { response_type: "code", client_id: clientId, redirect_uri: REDIRECT, code_challenge: challenge, code_challenge_method: "S256" });
      const page = await fetch(url);
      const request = hiddenInput(await page.text(), "request")!;
      const approved = await fetch(new URL("/consent", kit.baseUrl), {
        method: "POST",
        redirect: "manual",
        headers: { "content-type": "application/x-www-form-urlencoded", origin: kit.baseUrl.origin },
        body: new URLSearchParams({ request, decision: "approve" }),
      });
      jar.store(approved);
      const entra = new URL(approved.headers.get("location")!);
      entra.searchParams.set("dev_auto", "1");
      entra.searchParams.set("login_hint", DEV_USERS.alice.upn);
      return new URL((await fetch(entra, { redirect: "manual" })).headers.get("location")!);
    }

    it("refuses a state without the binding cookie", async () => {
      const callback = await approvedEntraRedirect(new CookieJar());
      const response = await fetch(callback, { redirect: "manual" });
      assert.equal(response.status, 403);
      assert.equal(response.headers.get("location"), null);
    });

    it("refuses a state carried to another browser (with that browser's own binding cookie)", async () => {
      const victim = new CookieJar();
      const attacker = new CookieJar();
      await approvedEntraRedirect(victim);
      const attackersCallback = await approvedEntraRedirect(attacker);
      const response = await fetch(attackersCallback, { redirect: "manual", headers: { cookie: victim.header() } });
      assert.equal(response.status, 403);
    });

    it("refuses a tampered or forged state", async () => {
      const jar = new CookieJar();
      const callback = await approvedEntraRedirect(jar);
      const state = callback.searchParams.get("state")!;
      callback.searchParams.set("state", `${state.slice(0, -5)}AAAAA`);
      assert.equal((await fetch(callback, { redirect: "manual", headers: { cookie: jar.header() } })).status, 400);
    });

    it("maps Entra's interaction_required at the callback to interaction_required for the client, without Entra's text", async () => {
      const jar = new CookieJar();
      const callback = await approvedEntraRedirect(jar);
      callback.searchParams.delete("code");
      callback.searchParams.set("error", "interaction_required");
      callback.searchParams.set("error_description", "AADSTS50076: Due to a configuration change made by your administrator, you must use multi-factor authentication");
      const response = await fetch(callback, { redirect: "manual", headers: { cookie: jar.header() } });
      const location = new URL(response.headers.get("location")!);
      assert.equal(location.searchParams.get("error"), "interaction_required");
      assert.doesNotMatch(location.href, /AADSTS|multi-factor/);
    });

    it("maps Entra's consent error to access_denied for the client without Entra's text", async () => {
      const jar = new CookieJar();
      const callback = await approvedEntraRedirect(jar);
      callback.searchParams.delete("code");
      callback.searchParams.set("error", "consent_required");
      callback.searchParams.set("error_description", "AADSTS65001: The user or administrator has not consented");
      const response = await fetch(callback, { redirect: "manual", headers: { cookie: jar.header() } });
      const location = new URL(response.headers.get("location")!);
      assert.equal(location.searchParams.get("error"), "access_denied");
      assert.doesNotMatch(location.href, /AADSTS/);
    });
  });

  describe("/token", () => {
    it("redeems without redirect_uri a code whose authorization request omitted it (one registered URI), and with it only if it matches", async () => {
      const single = String((await register(kit, { redirect_uris: [REDIRECT] })).body["client_id"]);
      const obtain = async (): Promise<{ code: string; verifier: string }> => {
        const pkce = newPkcePair();
        const redirect = await facadeBrowser(kit, { user: "alice" })(
          authorizeUrl(kit, { response_type: "code", client_id: single, code_challenge: pkce.challenge, code_challenge_method: "S256", state: "s2" }),
        );
        assert.equal(`${redirect.origin}${redirect.pathname}`, REDIRECT, "sent to the one registered URI");
        return { code: redirect.searchParams.get("code")!, verifier: pkce.verifier };
      };
      const first = await obtain();
      const other = await token(kit, { grant_type: "authorization_code", code: first.code, code_verifier: first.verifier, client_id: single, redirect_uri: "https://app.example/cb" });
      assert.equal(other.body["error"], "invalid_grant", "a redirect_uri, if sent, must still match");
      const without = await token(kit, { grant_type: "authorization_code", code: first.code, code_verifier: first.verifier, client_id: single });
      assert.equal(without.status, 200, JSON.stringify(without.body));
      const second = await obtain();
      const withIt = await token(kit, { grant_type: "authorization_code", code: second.code, code_verifier: second.verifier, client_id: single, redirect_uri: REDIRECT });
      assert.equal(withIt.status, 200, JSON.stringify(withIt.body));
    });

    it("refuses a replayed code, and revokes the refresh token its first redemption issued (RFC 6749 section 4.1.2)", async () => {
      const { code, verifier } = await obtainCode(kit, clientId);
      const first = await token(kit, { grant_type: "authorization_code", code, code_verifier: verifier, client_id: clientId, redirect_uri: REDIRECT });
      assert.equal(first.status, 200, JSON.stringify(first.body));
      const replay = await token(kit, { grant_type: "authorization_code", code, code_verifier: verifier, client_id: clientId, redirect_uri: REDIRECT });
      assert.equal(replay.status, 400);
      assert.equal(replay.body["error"], "invalid_grant");
      assert.doesNotMatch(JSON.stringify(replay.body), /AADSTS/);
      const refreshed = await token(kit, { grant_type: "refresh_token", refresh_token: String(first.body["refresh_token"]), client_id: clientId });
      assert.equal(refreshed.body["error"], "invalid_grant", "the sign-in the code started is revoked");
    });

    it("refuses a code presented by another client or with another redirect URI, or with a wrong or missing verifier", async () => {
      const other = String((await register(kit, { redirect_uris: [REDIRECT] })).body["client_id"]);
      const { code, verifier } = await obtainCode(kit, clientId);
      const attempts: Array<[Record<string, string>, string]> = [
        [{ client_id: other, redirect_uri: REDIRECT, code_verifier: verifier }, "invalid_grant"],
        [{ client_id: clientId, redirect_uri: "https://app.example/cb", code_verifier: verifier }, "invalid_grant"],
        [{ client_id: clientId, redirect_uri: REDIRECT, code_verifier: newPkcePair().verifier }, "invalid_grant"],
        [{ client_id: clientId, redirect_uri: REDIRECT, code_verifier: "plain-verifier-is-not-a-challenge" }, "invalid_grant"],
        [{ client_id: clientId, redirect_uri: REDIRECT }, "invalid_request"],
        [{ client_id: clientId, code_verifier: verifier }, "invalid_request"],
      ];
      for (const [fields, error] of attempts) {
        const answer = await token(kit, { grant_type: "authorization_code", code, ...fields });
        assert.equal(answer.body["error"], error, JSON.stringify(fields));
        assert.equal(answer.body["access_token"], undefined);
      }
      const legit = await token(kit, { grant_type: "authorization_code", code, code_verifier: verifier, client_id: clientId, redirect_uri: REDIRECT });
      assert.equal(legit.status, 200, "the refused attempts did not consume the code");
    });

    it("refuses tampered, expired and unknown-key codes and refresh tokens", async () => {
      const sealer = new Sealer(parseKeyring(KEYRING));
      const stranger = new Sealer(parseKeyring(generateKeyringJson("other-key")));
      const { code } = await obtainCode(kit, clientId);
      const forged = {
        tampered: `${code.slice(0, -6)}AAAAAA`,
        expired: await sealer.seal("code", { c: clientId, r: REDIRECT, cc: challenge, s: ["mcp.access"], ec: "x", ev: "y" }, -10),
        unknownKey: await stranger.seal("code", { c: clientId, r: REDIRECT, cc: challenge, s: ["mcp.access"], ec: "x", ev: "y" }, 300),
        wrongPurpose: await sealer.seal("refresh", { c: clientId, s: ["mcp.access"], rt: "x" }, 300),
      };
      for (const [label, value] of Object.entries(forged)) {
        const answer = await token(kit, { grant_type: "authorization_code", code: value, code_verifier: newPkcePair().verifier, client_id: clientId, redirect_uri: REDIRECT });
        assert.equal(answer.body["error"], "invalid_grant", label);
      }
      const refresh = {
        expired: await sealer.seal("refresh", { c: clientId, s: ["mcp.access"], rt: "x" }, -10),
        unknownKey: await stranger.seal("refresh", { c: clientId, s: ["mcp.access"], rt: "x" }, 300),
        wrongPurpose: code,
      };
      for (const [label, value] of Object.entries(refresh)) {
        const answer = await token(kit, { grant_type: "refresh_token", refresh_token: value, client_id: clientId });
        assert.equal(answer.body["error"], "invalid_grant", label);
      }
    });

    it("refuses a replayed refresh token and revokes every refresh token of its sign-in", async () => {
      const strict = await startProxyKit(standIn, { env: { SEALING_KEYRING: KEYRING, OAUTH_REFRESH_REUSE_GRACE_SECONDS: "0" } });
      try {
        const { code, verifier } = await obtainCode(strict, clientId);
        const tokens = await token(strict, { grant_type: "authorization_code", code, code_verifier: verifier, client_id: clientId, redirect_uri: REDIRECT });
        const stolen = String(tokens.body["refresh_token"]);
        const legit = await token(strict, { grant_type: "refresh_token", refresh_token: stolen, client_id: clientId });
        assert.equal(legit.status, 200, "the user refreshes first");
        const replay = await token(strict, { grant_type: "refresh_token", refresh_token: stolen, client_id: clientId });
        assert.equal(replay.status, 400);
        assert.equal(replay.body["error"], "invalid_grant");
        assert.equal(replay.body["access_token"], undefined, "the thief gets nothing");
        const successor = await token(strict, { grant_type: "refresh_token", refresh_token: String(legit.body["refresh_token"]), client_id: clientId });
        assert.equal(successor.body["error"], "invalid_grant", "the family is revoked: whoever holds its newest token must sign in again");
      } finally {
        await strict.close();
      }
    });

    it("refuses to revoke a refresh token presented by another client, and the token keeps working", async () => {
      const other = String((await register(kit, { redirect_uris: [REDIRECT] })).body["client_id"]);
      const { code, verifier } = await obtainCode(kit, clientId);
      const tokens = await token(kit, { grant_type: "authorization_code", code, code_verifier: verifier, client_id: clientId, redirect_uri: REDIRECT });
      const refreshToken = String(tokens.body["refresh_token"]);
      const revoke = await fetch(new URL("/revoke", kit.baseUrl), {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ token: refreshToken, client_id: other }),
      });
      assert.equal(revoke.status, 400);
      assert.equal(((await revoke.json()) as { error: string }).error, "unauthorized_client");
      assert.equal((await token(kit, { grant_type: "refresh_token", refresh_token: refreshToken, client_id: clientId })).status, 200, "the victim's sign-in was not revoked");
    });

    it("refuses a refresh token used by another client, or asking for more scope", async () => {
      const { code, verifier } = await obtainCode(kit, clientId);
      const tokens = await token(kit, { grant_type: "authorization_code", code, code_verifier: verifier, client_id: clientId, redirect_uri: REDIRECT });
      const refreshToken = String(tokens.body["refresh_token"]);
      assert.equal((await token(kit, { grant_type: "refresh_token", refresh_token: refreshToken, client_id: "someone-else" })).body["error"], "invalid_grant");
      assert.equal((await token(kit, { grant_type: "refresh_token", refresh_token: refreshToken, client_id: clientId, scope: "mcp.access orders.write" })).body["error"], "invalid_scope");
    });

    it("answers Entra's MFA / Conditional Access demand at refresh with invalid_grant, so the client signs in again, without Entra's text", async () => {
      const { code, verifier } = await obtainCode(kit, clientId);
      const tokens = await token(kit, { grant_type: "authorization_code", code, code_verifier: verifier, client_id: clientId, redirect_uri: REDIRECT });
      standIn.fail({ kind: "mfa_required" }, { grantType: "refresh_token", times: 1 });
      const refused = await token(kit, { grant_type: "refresh_token", refresh_token: String(tokens.body["refresh_token"]), client_id: clientId });
      assert.equal(refused.status, 400);
      assert.equal(refused.body["error"], "invalid_grant");
      assert.match(String(refused.body["error_description"]), /sign-in must be repeated/);
      assert.doesNotMatch(JSON.stringify(refused.body), /AADSTS|50076|Trace ID/);
    });

    it("refuses resource for another server, unknown grants, repeated parameters and client secrets", async () => {
      assert.equal((await token(kit, { grant_type: "refresh_token", refresh_token: "x", client_id: clientId, resource: "https://other.example/mcp" })).body["error"], "invalid_target");
      assert.equal((await token(kit, { grant_type: "client_credentials", client_id: clientId })).body["error"], "unsupported_grant_type");
      assert.equal((await token(kit, { grant_type: "refresh_token", client_id: clientId }, { authorization: "Basic eDp5" })).status, 401);
      const repeated = await fetch(new URL("/token", kit.baseUrl), {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: "grant_type=refresh_token&grant_type=authorization_code&client_id=x",
      });
      assert.equal(((await repeated.json()) as { error: string }).error, "invalid_request");
    });

    it("answers Entra throttling and outages with temporarily_unavailable and Retry-After, never AADSTS text", async () => {
      const { code, verifier } = await obtainCode(kit, clientId);
      standIn.fail({ kind: "throttled", retryAfterSeconds: 7 }, { grantType: "authorization_code", times: 1 });
      const throttled = await token(kit, { grant_type: "authorization_code", code, code_verifier: verifier, client_id: clientId, redirect_uri: REDIRECT });
      assert.equal(throttled.status, 503);
      assert.equal(throttled.body["error"], "temporarily_unavailable");
      assert.equal(throttled.headers.get("retry-after"), "7");
      assert.doesNotMatch(JSON.stringify(throttled.body), /AADSTS/);
      standIn.fail({ kind: "server_error", status: 500 }, { grantType: "authorization_code", times: 1 });
      const outage = await token(kit, { grant_type: "authorization_code", code, code_verifier: verifier, client_id: clientId, redirect_uri: REDIRECT });
      assert.equal(outage.status, 503);
      assert.equal(outage.body["error"], "temporarily_unavailable");
      const recovered = await token(kit, { grant_type: "authorization_code", code, code_verifier: verifier, client_id: clientId, redirect_uri: REDIRECT });
      assert.equal(recovered.status, 200, "the code is still good after the outage");
    });

    it("answers with Cache-Control: no-store", async () => {
      const answer = await token(kit, { grant_type: "refresh_token", refresh_token: "x", client_id: clientId });
      assert.equal(answer.headers.get("cache-control"), "no-store");
    });
  });
});

async function obtainCodeWithJar(kit: RunningKit, clientId: string, jar: CookieJar): Promise<URL> {
  const pkce = newPkcePair();
  return facadeBrowser(kit, { user: "alice", jar })(
    authorizeUrl(kit, { response_type: "code", client_id: clientId, redirect_uri: REDIRECT, code_challenge: pkce.challenge, code_challenge_method: "S256" }),
  );
}
