/**
 * The gate in front of /mcp against hostile tokens, with keys from the local
 * Entra stand-in (real HTTPS, real JWKS).
 */
import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { base64url, decodeJwt, SignJWT, importJWK, exportJWK } from "jose";
import { z } from "zod";
import { DEV_TENANT_ID, KIT_CLIENT_ID, KIT_IDENTIFIER_URI, KIT_SCOPE_URI, OTHER_TENANT_ID } from "../../dev/defaults.js";
import type { EntraStandIn } from "../../dev/entra/index.js";
import { defineTool } from "../../lib/mcp/index.js";
import { accessToken, claim, user } from "../../lib/mcp/needs.js";
import { requireDevTlsTrust, startDefaultStandIn } from "../support/entra.js";
import { startKit, type RunningKit } from "../support/kit.js";

const MODERN_META = {
  "io.modelcontextprotocol/protocolVersion": "2026-07-28",
  "io.modelcontextprotocol/clientInfo": { name: "gate-test", version: "1" },
  "io.modelcontextprotocol/clientCapabilities": {},
};

const whoami = defineTool({
  name: "whoami",
  description: "The signed-in user",
  input: {},
  output: { oid: z.string(), name: z.string().optional() },
  needs: { me: user() },
  async run(_args, { me }) {
    return { oid: me.oid, ...(me.name === undefined ? {} : { name: me.name }) };
  },
});
const adminOnly = defineTool({
  name: "admin_only",
  description: "Needs the Tools.Admin app role",
  input: {},
  requires: { roles: ["Tools.Admin"] },
  async run() {
    return "admin ok";
  },
});
const writer = defineTool({
  name: "write_orders",
  description: "Needs the orders.write scope",
  input: {},
  requires: { scopes: ["orders.write"] },
  async run() {
    return "written";
  },
});

const adminWriter = defineTool({
  name: "admin_writer",
  description: "Needs the orders.write scope and the Tools.Admin app role",
  input: {},
  requires: { scopes: ["orders.write"], roles: ["Tools.Admin"] },
  async run() {
    return "admin written";
  },
});

const claimsProbe = defineTool({
  name: "claims_probe",
  description: "Reports what its claim() and accessToken() needs received",
  input: {},
  needs: { groups: claim<string[]>("groups"), scp: claim<string>("scp"), raw: accessToken() },
  async run(_args, { groups, scp, raw }) {
    return { groupsIsArray: Array.isArray(groups), groups, scp, rawLength: raw.length, rawParts: raw.split(".").length };
  },
});
const needsMissingClaim = defineTool({
  name: "needs_missing_claim",
  description: "Needs a claim no token carries",
  input: {},
  needs: { department: claim("extension_department") },
  async run() {
    return "unreachable";
  },
});

function callTool(name: string, id = 1): string {
  return JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: {}, _meta: MODERN_META } });
}

interface Answer {
  readonly status: number;
  readonly challenge: string | null;
  readonly retryAfter: string | null;
  readonly body: string;
}

/** POSTs a tools/call with raw Authorization headers (fetch would merge repeated ones). */
function post(kit: RunningKit, authorization: string | readonly string[] | undefined, tool = "whoami"): Promise<Answer> {
  const headers: Record<string, string | string[]> = {
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
    "mcp-protocol-version": "2026-07-28",
    "mcp-method": "tools/call",
    "mcp-name": tool,
  };
  if (authorization !== undefined) headers["authorization"] = typeof authorization === "string" ? authorization : [...authorization];
  return new Promise((resolve, reject) => {
    const request = httpRequest(kit.mcpUrl, { method: "POST", headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () =>
        resolve({
          status: response.statusCode ?? 0,
          challenge: (response.headers["www-authenticate"] as string | undefined) ?? null,
          retryAfter: (response.headers["retry-after"] as string | undefined) ?? null,
          body: Buffer.concat(chunks).toString("utf8"),
        }),
      );
    });
    request.on("error", reject);
    request.end(callTool(tool));
  });
}

function assertInvalidToken(answer: Answer, kit: RunningKit, description?: RegExp): void {
  assert.equal(answer.status, 401, answer.body);
  assert.ok(answer.challenge?.startsWith("Bearer "), `challenge: ${answer.challenge}`);
  assert.match(answer.challenge!, /error="invalid_token"/);
  assert.ok(answer.challenge!.includes(`resource_metadata="${new URL("/.well-known/oauth-protected-resource/mcp", kit.baseUrl).href}"`));
  if (description !== undefined) assert.match(answer.challenge!, description);
}

async function startDirectKit(standIn: EntraStandIn, env: Record<string, string> = {}): Promise<RunningKit> {
  return startKit({
    env: {
      AUTH_MODE: "direct",
      ENTRA_TENANT_ID: DEV_TENANT_ID,
      ENTRA_CLIENT_ID: KIT_CLIENT_ID,
      ENTRA_AUTHORITY_HOST: standIn.origin,
      ENTRA_API_SCOPES: "mcp.access orders.write",
      ENTRA_JWKS_COOLDOWN_SECONDS: "0.3",
      ...env,
    },
    server: { name: "gate-test", version: "1", tools: [whoami, adminOnly, writer, adminWriter, claimsProbe, needsMissingClaim] },
  });
}

describe("the token gate at /mcp", function () {
  this.timeout(30_000);
  let standIn: EntraStandIn;
  let kit: RunningKit;

  before(async () => {
    requireDevTlsTrust();
    standIn = await startDefaultStandIn();
    kit = await startDirectKit(standIn);
  });
  after(async () => {
    await kit?.close();
    await standIn?.close();
  });
  beforeEach(() => standIn.clearFaults());

  it("challenges a request without a token with the metadata URL and the scope, and no error code", async () => {
    const answer = await post(kit, undefined);
    assert.equal(answer.status, 401);
    assert.equal(
      answer.challenge,
      `Bearer resource_metadata="${new URL("/.well-known/oauth-protected-resource/mcp", kit.baseUrl).href}", scope="${KIT_SCOPE_URI}"`,
    );
  });

  it("accepts a valid token and hands the tool the signed-in user", async () => {
    const answer = await post(kit, `Bearer ${await standIn.mintAccessToken({ user: "alice" })}`);
    assert.equal(answer.status, 200, answer.body);
    const result = (JSON.parse(answer.body) as { result: { structuredContent: { oid: string; name: string } } }).result;
    assert.deepEqual(result.structuredContent, { oid: "a11ce000-0000-4000-8000-000000000001", name: "Alice Example" });
  });

  it("accepts the identifier URI as audience as well as the client id", async () => {
    const token = await standIn.mintAccessToken({ user: "bob", claims: { aud: KIT_IDENTIFIER_URI } });
    assert.equal((await post(kit, `Bearer ${token}`)).status, 200);
  });

  describe("refuses with 401 invalid_token", () => {
    const cases: Array<[string, (standIn: EntraStandIn) => Promise<string | readonly string[]>, RegExp?]> = [
      ["the Basic scheme", async () => "Basic YWxpY2U6cGFzc3dvcmQ=", /Basic scheme/],
      ["an empty Bearer token", async () => "Bearer ", /empty/],
      ["two tokens in one header", async (s) => `Bearer ${await s.mintAccessToken()}, Bearer ${await s.mintAccessToken()}`],
      ["two Authorization headers", async (s) => [`Bearer ${await s.mintAccessToken()}`, `Bearer ${await s.mintAccessToken()}`]],
      ["garbage", async () => "Bearer not.a-token", /not a JWT/],
      [
        "alg none",
        async (s) => {
          const [, payload] = (await s.mintAccessToken()).split(".");
          return `Bearer ${base64url.encode(JSON.stringify({ alg: "none", typ: "JWT" }))}.${payload}.`;
        },
        /RS256/,
      ],
      [
        "HS256 signed with the published public key",
        async (s) => {
          const token = await s.mintAccessToken();
          const header = JSON.parse(Buffer.from(token.split(".")[0]!, "base64url").toString()) as { kid: string };
          const jwks = (await (await fetch(s.endpoints().jwks)).json()) as { keys: Array<Record<string, string>> };
          const publicJwk = jwks.keys.find((key) => key["kid"] === header.kid)!;
          const publicKey = await importJWK({ ...publicJwk, alg: "RS256" } as Parameters<typeof importJWK>[0], "RS256");
          const secret = new TextEncoder().encode(JSON.stringify(await exportJWK(publicKey)));
          const claims = JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()) as Record<string, unknown>;
          return `Bearer ${await new SignJWT(claims).setProtectedHeader({ alg: "HS256", kid: header.kid }).sign(secret)}`;
        },
        /RS256/,
      ],
      ["a token for another audience", async (s) => `Bearer ${await s.mintAccessToken({ claims: { aud: "api://someone-else" } })}`, /another audience/],
      [
        "a token from another issuer",
        async (s) => `Bearer ${await s.mintAccessToken({ claims: { iss: `https://login.example.org/${DEV_TENANT_ID}/v2.0` } })}`,
        /expected Entra tenant/,
      ],
      ["a tid that is not a GUID", async (s) => `Bearer ${await s.mintAccessToken({ claims: { tid: "contoso" } })}`, /tenant id/],
      ["a tenant that is not allowed", async (s) => `Bearer ${await s.mintAccessToken({ tenant: OTHER_TENANT_ID, user: "carol" })}`, /not allowed/],
      ["an expired token", async (s) => `Bearer ${await s.mintAccessToken({ claims: { exp: Math.floor(Date.now() / 1000) - 600 } })}`, /expired/],
      ["a token not valid yet", async (s) => `Bearer ${await s.mintAccessToken({ claims: { nbf: Math.floor(Date.now() / 1000) + 600 } })}`, /not valid yet/],
      [
        "a v1 token",
        async (s) => `Bearer ${await s.mintAccessToken({ claims: { iss: `https://sts.windows.net/${DEV_TENANT_ID}/`, ver: "1.0" } })}`,
        /requestedAccessTokenVersion to 2/,
      ],
      ["a Graph-style token with a nonce header", async (s) => `Bearer ${await s.mintAccessToken({ header: { nonce: "abc123" } })}`, /Microsoft Graph/],
      ["a token without ver 2.0", async (s) => `Bearer ${await s.mintAccessToken({ claims: { ver: undefined } })}`, /v2/],
      ["a token without oid", async (s) => `Bearer ${await s.mintAccessToken({ claims: { oid: undefined } })}`, /oid/],
      ["a token whose signature was altered", async (s) => `Bearer ${(await s.mintAccessToken()).slice(0, -4)}AAAA`, /signature/],
    ];
    for (const [label, makeAuthorization, description] of cases) {
      it(label, async () => {
        assertInvalidToken(await post(kit, await makeAuthorization(standIn)), kit, description);
      });
    }
  });

  describe("never echoes a credential (WWW-Authenticate, the JSON body, the log)", () => {
    const secretAlg = "sk-live-Hq7Fz0Lm3Xc9";
    const cases: Array<[string, (standIn: EntraStandIn) => Promise<string>, string[]]> = [
      ["a token sent without a scheme", (s) => s.mintAccessToken({ user: "alice" }), []],
      ["an API key sent without a scheme", async () => "sk-live-51HqLyjF8c2Xc0nTzQ9wRk", []],
      ["an API key after a scheme nobody registered", async () => "Token 9f8e7d6c5b4a39281706aa", []],
      ["a credential with a blank in it", async () => "sk-live-4kq2Jd9s ghp_Zx81Qm0Lr5Tt", []],
      ["a JWT whose alg is a secret", async (s) => `Bearer ${base64url.encode(JSON.stringify({ alg: secretAlg, typ: "JWT" }))}.${(await s.mintAccessToken()).split(".")[1]}.`, [secretAlg]],
    ];
    for (const [label, makeAuthorization, hidden] of cases) {
      it(label, async () => {
        const authorization = await makeAuthorization(standIn);
        const answer = await post(kit, authorization);
        assertInvalidToken(answer, kit);
        // Every piece of the header that could identify the credential: its words, its JWT segments.
        const pieces = [...authorization.split(/[\s.]+/).filter((piece) => piece.length >= 6 && piece !== "Bearer"), ...hidden];
        assert.ok(pieces.length > 0);
        const logs = kit.logs.text();
        for (const piece of pieces) {
          assert.ok(!answer.challenge!.includes(piece), `WWW-Authenticate repeats ${piece}: ${answer.challenge}`);
          assert.ok(!answer.body.includes(piece), `the body repeats ${piece}: ${answer.body}`);
          assert.ok(!logs.includes(piece), `the log repeats ${piece}`);
        }
      });
    }
  });

  it("refuses a token whose tid differs from its issuer's tenant, even with both tenants allowed", async () => {
    const multi = await startDirectKit(standIn, { ENTRA_TENANT_ID: "organizations", ENTRA_ALLOWED_TENANTS: `${DEV_TENANT_ID},${OTHER_TENANT_ID}` });
    try {
      const token = await standIn.mintAccessToken({ user: "alice", claims: { tid: OTHER_TENANT_ID } });
      assertInvalidToken(await post(multi, `Bearer ${token}`), multi, /expected Entra tenant/);
      assert.equal((await post(multi, `Bearer ${await standIn.mintAccessToken({ user: "alice" })}`)).status, 200, "a consistent token of an allowed tenant passes");
    } finally {
      await multi.close();
    }
  });

  it("refetches the key set at most once for 100 tokens with an unknown key id", async () => {
    // A cooldown longer than the 100 requests take, so that every one of them falls inside it.
    const patient = await startDirectKit(standIn, { ENTRA_JWKS_COOLDOWN_SECONDS: "3" });
    try {
      await post(patient, `Bearer ${await standIn.mintAccessToken()}`);
      await new Promise((resolve) => setTimeout(resolve, 3100));
      const before = standIn.activity.counts().jwks;
      const forged = await standIn.mintAccessToken({ signingKey: "unpublished" });
      const answers = await Promise.all(Array.from({ length: 100 }, () => post(patient, `Bearer ${forged}`)));
      for (const answer of answers) assertInvalidToken(answer, patient, /key Entra does not publish/);
      assert.equal(standIn.activity.counts().jwks - before, 1);
    } finally {
      await patient.close();
    }
  });

  it("accepts tokens signed with a rotated key after one refetch", async () => {
    await new Promise((resolve) => setTimeout(resolve, 400));
    await standIn.rotateSigningKey();
    const before = standIn.activity.counts().jwks;
    const token = await standIn.mintAccessToken({ user: "bob" });
    assert.equal((await post(kit, `Bearer ${token}`)).status, 200);
    assert.equal((await post(kit, `Bearer ${token}`)).status, 200);
    assert.equal(standIn.activity.counts().jwks - before, 1);
  });

  it("answers GET and DELETE with 405 and Allow: POST, signed in or not", async () => {
    const token = await standIn.mintAccessToken({ user: "alice" });
    for (const method of ["GET", "DELETE"]) {
      for (const headers of [{}, { authorization: `Bearer ${token}` }] as Array<Record<string, string>>) {
        const response = await fetch(kit.mcpUrl, { method, headers });
        assert.equal(response.status, 405, `${method} ${JSON.stringify(Object.keys(headers))}`);
        assert.equal(response.headers.get("allow"), "POST");
        assert.equal(response.headers.get("www-authenticate"), null);
      }
    }
  });

  describe("what tools can ask for", () => {
    it("hands claim() a list claim as an array, claim() a string claim as the token has it, and accessToken() the caller's token", async () => {
      const token = await standIn.mintAccessToken({ user: "alice" });
      const answer = await post(kit, `Bearer ${token}`, "claims_probe");
      assert.equal(answer.status, 200, answer.body);
      const result = (JSON.parse(answer.body) as { result: { isError?: boolean; content: Array<{ text: string }> } }).result;
      assert.notEqual(result.isError, true, answer.body);
      const seen = JSON.parse(result.content[0]!.text) as Record<string, unknown>;
      assert.equal(seen["groupsIsArray"], true);
      assert.deepEqual(seen["groups"], decodeJwt(token)["groups"]);
      assert.equal(seen["scp"], decodeJwt(token)["scp"]);
      assert.equal(seen["rawLength"], token.length, "the very token the client sent");
      assert.equal(seen["rawParts"], 3);
    });

    it("answers a missing claim with a tool error naming it and listing the claims present", async () => {
      const answer = await post(kit, `Bearer ${await standIn.mintAccessToken({ user: "alice" })}`, "needs_missing_claim");
      assert.equal(answer.status, 200, answer.body);
      const result = (JSON.parse(answer.body) as { result: { isError?: boolean; content: Array<{ text: string }> } }).result;
      assert.equal(result.isError, true);
      assert.match(result.content[0]!.text, /no "extension_department" claim/);
      assert.match(result.content[0]!.text, /Claims present: .*\boid\b.*\btid\b/);
    });
  });

  describe("the API's base scope", () => {
    const refusals: Array<[string, () => Promise<string>, RegExp]> = [
      ["a delegated token without scp", () => standIn.mintAccessToken({ user: "alice", scopes: [] }), /lacks the mcp\.access scope/],
      ["a delegated token with another of the API's scopes only", () => standIn.mintAccessToken({ user: "alice", scopes: ["orders.write"] }), /lacks the mcp\.access scope/],
      ["an app-only token (client credentials)", () => standIn.mintAccessToken({ appOnly: true }), /App-only tokens are not accepted/],
      ["an app-only token with an app role", () => standIn.mintAccessToken({ appOnly: true, roles: ["Tools.Admin"] }), /App-only tokens are not accepted/],
    ];
    for (const [label, mint, description] of refusals) {
      it(`answers 403 insufficient_scope naming the base scope for ${label}`, async () => {
        const answer = await post(kit, `Bearer ${await mint()}`);
        assert.equal(answer.status, 403, answer.body);
        assert.match(answer.challenge ?? "", /^Bearer error="insufficient_scope"/);
        assert.match(answer.challenge ?? "", new RegExp(`scope="${KIT_SCOPE_URI}"`));
        assert.match(answer.challenge ?? "", /resource_metadata="/);
        assert.match(answer.body, description);
        assert.doesNotMatch(answer.body, /"result"/, "no tool ran");
      });
    }
  });

  describe("per-tool requirements", () => {
    it("answers 403 insufficient_scope naming every scope the tool needs", async () => {
      const answer = await post(kit, `Bearer ${await standIn.mintAccessToken({ user: "alice", scopes: ["mcp.access"] })}`, "write_orders");
      assert.equal(answer.status, 403, answer.body);
      assert.match(answer.challenge ?? "", /error="insufficient_scope"/);
      assert.match(answer.challenge ?? "", new RegExp(`scope="${KIT_SCOPE_URI} ${KIT_IDENTIFIER_URI}/orders.write"`));
      assert.match(answer.challenge ?? "", /resource_metadata="/);
      const granted = await post(kit, `Bearer ${await standIn.mintAccessToken({ user: "alice", scopes: ["mcp.access", "orders.write"] })}`, "write_orders");
      assert.equal(granted.status, 200);
    });

    it("answers a user without the required app role with a tool error naming the role, not a scope challenge, and serves one who has it", async () => {
      const bob = await post(kit, `Bearer ${await standIn.mintAccessToken({ user: "bob" })}`, "admin_only");
      assert.equal(bob.status, 200, bob.body);
      assert.equal(bob.challenge, null, "no WWW-Authenticate: asking for scopes again would not give bob the role");
      const result = (JSON.parse(bob.body) as { result: { isError?: boolean; content: Array<{ text: string }> } }).result;
      assert.equal(result.isError, true);
      assert.match(result.content[0]!.text, /^This tool needs the app role Tools\.Admin, which your account does not have\. An administrator assigns app roles/);
      assert.doesNotMatch(bob.body, /mcp\.access|insufficient_scope|admin ok/);
      const alice = await post(kit, `Bearer ${await standIn.mintAccessToken({ user: "alice" })}`, "admin_only");
      assert.equal(alice.status, 200, alice.body);
      assert.match(alice.body, /admin ok/);
    });

    it("keeps the scope challenge for a tool that needs a scope and a role, naming only scopes", async () => {
      const token = await standIn.mintAccessToken({ user: "bob", scopes: ["mcp.access"] });
      const answer = await post(kit, `Bearer ${token}`, "admin_writer");
      assert.equal(answer.status, 403, answer.body);
      assert.match(answer.challenge ?? "", new RegExp(`error="insufficient_scope", error_description="This tool needs the scope orders\\.write\\."`));
      assert.doesNotMatch(answer.challenge ?? "", /role/);
      const withScope = await post(kit, `Bearer ${await standIn.mintAccessToken({ user: "bob", scopes: ["mcp.access", "orders.write"] })}`, "admin_writer");
      assert.equal(withScope.status, 200, withScope.body);
      assert.match(withScope.body, /needs the app role Tools\.Admin/);
    });
  });

  it("answers 503 with Retry-After, not 401, when no signing key was ever fetched and Entra is unreachable", async () => {
    const fresh = await startDirectKit(standIn);
    try {
      const token = await standIn.mintAccessToken();
      standIn.fail("server_error", { endpoint: "jwks" });
      const answer = await post(fresh, `Bearer ${token}`);
      assert.equal(answer.status, 503, answer.body);
      assert.equal(answer.retryAfter, "5");
      standIn.clearFaults();
      await new Promise((resolve) => setTimeout(resolve, 1100));
      assert.equal((await post(fresh, `Bearer ${token}`)).status, 200, "recovers without a restart");
    } finally {
      await fresh.close();
    }
  });

  it("answers 503, not 401, for a token signed with a new key while Entra's key set cannot be fetched, and accepts it once it can", async () => {
    const fresh = await startDirectKit(standIn);
    try {
      assert.equal((await post(fresh, `Bearer ${await standIn.mintAccessToken()}`)).status, 200, "keys fetched once");
      await new Promise((resolve) => setTimeout(resolve, 400));
      standIn.fail("server_error", { endpoint: "jwks" });
      await standIn.rotateSigningKey();
      const signedWithNewKey = await standIn.mintAccessToken({ user: "bob" });
      const first = await post(fresh, `Bearer ${signedWithNewKey}`);
      assert.equal(first.status, 503, first.body);
      assert.equal(first.retryAfter, "5");
      const withinCooldown = await post(fresh, `Bearer ${signedWithNewKey}`);
      assert.equal(withinCooldown.status, 503, "still unjudgeable inside the cooldown, not refused");
      standIn.clearFaults();
      await new Promise((resolve) => setTimeout(resolve, 400));
      assert.equal((await post(fresh, `Bearer ${signedWithNewKey}`)).status, 200, "recovers without a restart");
      const forged = await standIn.mintAccessToken({ signingKey: "unpublished" });
      await new Promise((resolve) => setTimeout(resolve, 400));
      assertInvalidToken(await post(fresh, `Bearer ${forged}`), fresh, /key Entra does not publish/);
    } finally {
      await fresh.close();
    }
  });

  it("never logs a token", async () => {
    const token = await standIn.mintAccessToken({ user: "alice" });
    await post(kit, `Bearer ${token}`);
    await post(kit, `Bearer ${token.slice(0, -3)}xyz`);
    const text = kit.logs.text();
    assert.ok(!text.includes(token.slice(0, 40)), "no token prefix in the logs");
    assert.ok(!text.includes(token.split(".")[2]!.slice(0, 20)), "no signature in the logs");
  });
});
