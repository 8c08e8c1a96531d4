/**
 * Startup checks of remote servers and RFC 9728 discovery of their scopes,
 * against real metadata servers over HTTPS: what is read, and every reason
 * the app refuses to start, each naming the server.
 */
import { appEntry } from "../support/app-entry.js";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { DEV_TENANT_ID, KIT_CLIENT_ID, KIT_DEV_CLIENT_SECRET, OTHER_TENANT_ID } from "../../dev/defaults.js";
import { sendJson } from "../../dev/http.js";
import { createLoopbackListener, type LoopbackListener } from "../../dev/listener.js";
import { ensureDevTls } from "../../dev/tls.js";
import { loadConfig, type EntraSettings } from "../../lib/config.js";
import { remoteServer, RemoteServerError, resolveRemoteServers } from "../../lib/gateway/index.js";
import { requireDevTlsTrust } from "../support/entra.js";

const AUTHORITY = "https://login.microsoftonline.com";

/** Entra settings of a kit in the dev tenant (or a multi-tenant one). */
function entraSettings(overrides: Record<string, string> = {}): EntraSettings {
  return loadConfig({ AUTH_MODE: "direct", ENTRA_TENANT_ID: DEV_TENANT_ID, ENTRA_CLIENT_ID: KIT_CLIENT_ID, ...overrides }).entra!;
}

/** A metadata server whose answers the tests set, counting what it is asked. */
class MetadataServer {
  readonly requests: string[] = [];
  answers = new Map<string, { status: number; body?: unknown; headers?: Record<string, string> }>();
  #listener: LoopbackListener | undefined;

  async start(): Promise<void> {
    const tls = await ensureDevTls();
    this.#listener = createLoopbackListener({
      tls: { cert: tls.cert, key: tls.key },
      handler: (request, response) => {
        const path = new URL(request.url ?? "/", this.origin).pathname;
        this.requests.push(path);
        const answer = this.answers.get(path) ?? { status: 404, body: { error: "not_found" } };
        if (typeof answer.body === "string") {
          response.writeHead(answer.status, { "content-type": "application/json", ...answer.headers });
          response.end(answer.body);
        } else sendJson(response, answer.status, answer.body ?? {}, answer.headers ?? {});
      },
    });
    await this.#listener.start();
  }

  get origin(): string {
    return this.#listener!.origin;
  }

  get mcpUrl(): string {
    return `${this.origin}/mcp`;
  }

  document(overrides: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      resource: this.mcpUrl,
      authorization_servers: [`${AUTHORITY}/${DEV_TENANT_ID}/v2.0`],
      scopes_supported: ["api://contoso-crm/Crm.Read", "api://contoso-crm/Crm.Write", "openid", "offline_access"],
      ...overrides,
    };
  }

  stop(): Promise<void> {
    return this.#listener!.stop();
  }
}

describe("gateway: remote servers at startup", function () {
  this.timeout(30_000);
  const metadata = new MetadataServer();
  const resolve = (url: string, entra: EntraSettings | undefined = entraSettings(), runningInAzure = false) =>
    resolveRemoteServers([remoteServer({ name: "crm", url })], { entra, runningInAzure, timeoutMs: 2000 });

  before(async () => {
    requireDevTlsTrust();
    await metadata.start();
  });
  after(() => metadata.stop());
  beforeEach(() => {
    metadata.answers.clear();
    metadata.requests.length = 0;
  });

  it("reads the scopes from the server's protected resource metadata (path-insertion form), leaving out OpenID scopes", async () => {
    metadata.answers.set("/.well-known/oauth-protected-resource/mcp", { status: 200, body: metadata.document() });
    const [server] = await resolve(metadata.mcpUrl);
    assert.deepEqual(server!.scopes, ["api://contoso-crm/Crm.Read", "api://contoso-crm/Crm.Write"]);
    assert.deepEqual(metadata.requests, ["/.well-known/oauth-protected-resource/mcp"]);
  });

  it("falls back to the root metadata document, as MCP clients do", async () => {
    metadata.answers.set("/.well-known/oauth-protected-resource", { status: 200, body: metadata.document() });
    const [server] = await resolve(metadata.mcpUrl);
    assert.deepEqual(server!.scopes, ["api://contoso-crm/Crm.Read", "api://contoso-crm/Crm.Write"]);
    assert.deepEqual(metadata.requests, ["/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"]);
  });

  it("fetches nothing for a server that declares its scopes", async () => {
    const [server] = await resolveRemoteServers([remoteServer({ name: "crm", url: metadata.mcpUrl, scopes: ["api://contoso-crm/Crm.Read"] })], { entra: entraSettings(), runningInAzure: false });
    assert.deepEqual(server!.scopes, ["api://contoso-crm/Crm.Read"]);
    assert.deepEqual(metadata.requests, []);
  });

  it("accepts the issuer of an allowed tenant for a multi-tenant app", async () => {
    metadata.answers.set("/.well-known/oauth-protected-resource/mcp", { status: 200, body: metadata.document({ authorization_servers: [`${AUTHORITY}/${OTHER_TENANT_ID}/v2.0`] }) });
    const entra = entraSettings({ ENTRA_TENANT_ID: "organizations", ENTRA_ALLOWED_TENANTS: `${DEV_TENANT_ID},${OTHER_TENANT_ID}` });
    const [server] = await resolve(metadata.mcpUrl, entra);
    assert.equal(server!.scopes?.length, 2);
  });

  const refusals: Array<[string, () => void, RegExp]> = [
    [
      "an authorization server other than this tenant's Entra",
      () => metadata.answers.set("/.well-known/oauth-protected-resource/mcp", { status: 200, body: metadata.document({ authorization_servers: ["https://auth.example.com"] }) }),
      /Remote server "crm": its authorization servers are \["https:\/\/auth\.example\.com"\], not this tenant's Microsoft Entra \(https:\/\/login\.microsoftonline\.com\/11111111-1111-1111-1111-111111111111\/v2\.0\)/,
    ],
    [
      "another tenant of Entra",
      () => metadata.answers.set("/.well-known/oauth-protected-resource/mcp", { status: 200, body: metadata.document({ authorization_servers: [`${AUTHORITY}/${OTHER_TENANT_ID}/v2.0`] }) }),
      /Remote server "crm": its authorization servers are .*22222222-2222-2222-2222-222222222222.*not this tenant's Microsoft Entra/,
    ],
    [
      "metadata that describes another resource",
      () => metadata.answers.set("/.well-known/oauth-protected-resource/mcp", { status: 200, body: metadata.document({ resource: "https://elsewhere.example/mcp" }) }),
      /Remote server "crm": names the resource "https:\/\/elsewhere\.example\/mcp", not https:\/\/localhost:\d+\/mcp/,
    ],
    [
      "metadata without scopes",
      () => metadata.answers.set("/.well-known/oauth-protected-resource/mcp", { status: 200, body: metadata.document({ scopes_supported: ["openid"] }) }),
      /Remote server "crm": lists no scopes_supported; declare the server's scopes/,
    ],
    [
      "scopes in short form",
      () => metadata.answers.set("/.well-known/oauth-protected-resource/mcp", { status: 200, body: metadata.document({ scopes_supported: ["Crm.Read"] }) }),
      /Remote server "crm": scope "Crm\.Read" must be in full form/,
    ],
    ["no metadata at all", () => undefined, /Remote server "crm": declares no scopes and publishes no protected resource metadata .*answered 404.*declare the scopes/],
    [
      "a redirect (never followed)",
      () => metadata.answers.set("/.well-known/oauth-protected-resource/mcp", { status: 302, body: {}, headers: { location: "https://169.254.169.254/" } }),
      /Remote server "crm": declares no scopes and its protected resource metadata at .* answered HTTP 302/,
    ],
    [
      "a metadata document over 64 KiB",
      () => metadata.answers.set("/.well-known/oauth-protected-resource/mcp", { status: 200, body: JSON.stringify(metadata.document({ padding: "x".repeat(70_000) })) }),
      /Remote server "crm": declares no scopes and its protected resource metadata .* could not be read: The response is larger than 65536 bytes/,
    ],
    [
      "a document that is not JSON",
      () => metadata.answers.set("/.well-known/oauth-protected-resource/mcp", { status: 200, body: "<html>" }),
      /Remote server "crm": its protected resource metadata at .* is not a JSON object/,
    ],
  ];
  for (const [label, arrange, expected] of refusals) {
    it(`refuses to start, naming the server, for ${label}`, async () => {
      arrange();
      await assert.rejects(resolve(metadata.mcpUrl), (error: unknown) => {
        assert.ok(error instanceof RemoteServerError, String(error));
        assert.match(error.message, expected);
        return true;
      });
    });
  }

  it("refuses an unreachable server that declares no scopes, saying how to start without it", async () => {
    await assert.rejects(resolve("https://localhost:1/mcp"), /Remote server "crm": declares no scopes and its protected resource metadata at https:\/\/localhost:1\/.* could not be read: .*declare the scopes/);
  });

  it("refuses http but for loopback outside Azure, and sign-in turned off", async () => {
    await assert.rejects(resolve("http://crm.contoso.example/mcp"), /Remote server "crm": url http:\/\/crm\.contoso\.example\/mcp must be https/);
    await assert.rejects(resolve("http://localhost:9/mcp", entraSettings(), true), /Remote server "crm": url http:\/\/localhost:9\/mcp must be https \(http is accepted for loopback addresses outside Azure only\)/);
    await assert.rejects(resolveRemoteServers([remoteServer({ name: "crm", url: metadata.mcpUrl })], { entra: undefined, runningInAzure: false }), /Remote server "crm": is called On-Behalf-Of the signed-in user, which needs sign-in: set AUTH_MODE to proxy or direct/);
  });

  it("stops the function app at startup (functions/index.ts, as bundled for Azure) with the server's name when its authorization server is not this tenant's Entra", async () => {
    metadata.answers.set("/.well-known/oauth-protected-resource/mcp", { status: 200, body: metadata.document({ authorization_servers: ["https://auth.example.com"] }) });
    const entry = appEntry();
    const child = spawn(process.execPath, ["--input-type=module", "-e", `await import(${JSON.stringify(entry)});`], {
      env: {
        ...process.env,
        AUTH_MODE: "proxy",
        ENTRA_TENANT_ID: DEV_TENANT_ID,
        ENTRA_CLIENT_ID: KIT_CLIENT_ID,
        ENTRA_CLIENT_SECRET: KIT_DEV_CLIENT_SECRET,
        DEMO_MCP_URL: metadata.mcpUrl,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const [code] = (await once(child, "exit")) as [number | null];
    assert.notEqual(code, 0, output);
    assert.match(output, /Remote server "demo": its authorization servers are \["https:\/\/auth\.example\.com"\], not this tenant's Microsoft Entra/);
  });
});
