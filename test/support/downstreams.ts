/**
 * Real downstream MCP servers for the gateway tests, each protected by the
 * Entra stand-in with an app registration (audience and scope) of its own,
 * each recording the tokens it accepted (claims and a fingerprint, never the
 * token): the demo server built on the SDK v2 (dev/demo-mcp), a server built
 * on the v1 SDK (`@modelcontextprotocol/sdk`, Streamable HTTP with sessions,
 * as most 2025-era servers run), and a second kit instance in direct mode.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { McpServer as V1McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport as V1ServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { z } from "zod";
import { DEMO_MCP_APP, DEV_APPLICATIONS, DEV_TENANT_ID, DEV_TENANTS } from "../../dev/defaults.js";
import { tokenFingerprint, type DemoCaller, type SeenToken } from "../../dev/demo-mcp/index.js";
import type { EntraStandIn } from "../../dev/entra/index.js";
import type { AppRegistrationConfig, TenantConfig } from "../../dev/entra/types.js";
import { TokenRejected } from "../../dev/entra/jwt.js";
import { readBody, sendJson } from "../../dev/http.js";
import { createLoopbackListener, type LoopbackListener } from "../../dev/listener.js";
import { ensureDevTls } from "../../dev/tls.js";
import { accessToken, claim, defineTool } from "../../lib/mcp/index.js";
import type { McpServerDefinition } from "../../lib/mcp/index.js";
import { startKit, type RunningKit } from "./kit.js";

/** The v1 downstream's app registration. */
export const V1_APP: AppRegistrationConfig = {
  clientId: "d0c50000-0000-4000-8000-0000000000d1",
  displayName: "Contoso tickets (v1 SDK MCP server)",
  homeTenant: DEV_TENANT_ID,
  identifierUris: ["api://contoso-tickets"],
  scopes: ["Tickets.Read"],
  accessTokenVersion: 2,
};

/** The inner kit's app registration (kit behind kit). */
export const INNER_KIT_APP: AppRegistrationConfig = {
  clientId: "1a2e0000-0000-4000-8000-0000000000a2",
  displayName: "Inner MCP Functions Kit",
  homeTenant: DEV_TENANT_ID,
  identifierUris: ["api://1a2e0000-0000-4000-8000-0000000000a2"],
  scopes: ["mcp.access"],
  secrets: ["inner-kit-dev-secret"],
  accessTokenVersion: 2,
};

/** The default directory plus the test downstreams' registrations. */
export const GATEWAY_APPLICATIONS: readonly AppRegistrationConfig[] = [...DEV_APPLICATIONS, V1_APP, INNER_KIT_APP];

/** More users of the dev tenant, whose caches start cold in the tests that need it. */
export const GATEWAY_USERS = ["dave", "erin", "frank", "grace", "heidi"].map((alias, index) => ({
  alias,
  displayName: `${alias[0]!.toUpperCase()}${alias.slice(1)} Example`,
  upn: `${alias}@contoso.example`,
  oid: `0e${index}00000-0000-4000-8000-00000000000${index}`,
  password: `${alias}-dev-password`,
}));

/** The default tenants with {@link GATEWAY_USERS} added to the dev tenant. */
export const GATEWAY_TENANTS: readonly TenantConfig[] = DEV_TENANTS.map((tenant) => (tenant.id === DEV_TENANT_ID ? { ...tenant, users: [...tenant.users, ...GATEWAY_USERS] } : tenant));

/** What a recording downstream saw. */
export interface RecordingDownstream {
  readonly url: URL;
  /** Tokens accepted, with the JSON-RPC method they came with. */
  readonly seen: SeenToken[];
  close(): Promise<void>;
}

/** Checks a bearer token for `app` the way the demo server does; undefined when refused. */
async function checkToken(entra: EntraStandIn, app: AppRegistrationConfig, scope: string, header: string | undefined): Promise<{ caller: DemoCaller; token: string; azp: unknown } | undefined> {
  const token = /^Bearer\s+(\S+)$/i.exec(header ?? "")?.[1];
  if (token === undefined) return undefined;
  let claims: Record<string, unknown>;
  try {
    claims = (await entra.verifyToken(token)).claims;
  } catch (error) {
    if (error instanceof TokenRejected) return undefined;
    throw error;
  }
  const registration = entra.directory.application(app.clientId)!;
  const scopes = typeof claims["scp"] === "string" ? claims["scp"].split(" ") : [];
  const tid = String(claims["tid"]);
  if (typeof claims["aud"] !== "string" || !entra.directory.names(registration, claims["aud"]) || claims["iss"] !== entra.issuer(tid) || !scopes.includes(scope)) return undefined;
  return { token, azp: claims["azp"], caller: { oid: String(claims["oid"]), tid, aud: claims["aud"], name: undefined, scopes, roles: [] } };
}

/**
 * A downstream on the v1 SDK: Streamable HTTP with sessions (a 2025-era
 * server that answers only `initialize`), HTTPS, scope `Tickets.Read`, a
 * `whoami` and an `echo` tool; its metadata names the stand-in tenant.
 */
export async function startV1Downstream(entra: EntraStandIn): Promise<
  RecordingDownstream & {
    readonly sessions: ReadonlyMap<string, unknown>;
    readonly endedSessions: string[];
    /** The HTTP method of every request with an accepted token (GET opens the standalone stream, DELETE ends a session). */
    readonly httpMethods: string[];
    /** Forgets every session without telling its client, as a restarted server would. */
    forgetSessions(): void;
  }
> {
  const seen: SeenToken[] = [];
  const httpMethods: string[] = [];
  const sessions = new Map<string, V1ServerTransport>();
  const endedSessions: string[] = [];
  const tls = await ensureDevTls();
  let listener: LoopbackListener | undefined;
  const origin = (): string => listener!.origin;
  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const path = new URL(request.url ?? "/", origin()).pathname;
    if (request.method === "GET" && path.startsWith("/.well-known/oauth-protected-resource")) {
      sendJson(response, 200, { resource: `${origin()}/mcp`, authorization_servers: [entra.issuer(DEV_TENANT_ID)], scopes_supported: ["api://contoso-tickets/Tickets.Read"] });
      return;
    }
    const checked = await checkToken(entra, V1_APP, "Tickets.Read", request.headers.authorization);
    if (checked === undefined) {
      sendJson(response, 401, { error: "invalid_token" }, { "WWW-Authenticate": `Bearer resource_metadata="${origin()}/.well-known/oauth-protected-resource/mcp"` });
      return;
    }
    const body = request.method === "POST" ? (JSON.parse(await readBody(request)) as unknown) : undefined;
    const method = (body as { method?: string } | undefined)?.method;
    seen.push({ ...checked.caller, at: Date.now(), method, fingerprint: tokenFingerprint(checked.token), azp: checked.azp });
    httpMethods.push(request.method ?? "");
    const sessionId = request.headers["mcp-session-id"];
    let transport = typeof sessionId === "string" ? sessions.get(sessionId) : undefined;
    if (transport === undefined) {
      if (method !== "initialize") {
        sendJson(response, 400, { jsonrpc: "2.0", error: { code: -32000, message: "Bad Request: no valid session ID" }, id: null });
        return;
      }
      const created = new V1ServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => void sessions.set(id, created),
        onsessionclosed: (id) => {
          sessions.delete(id);
          endedSessions.push(id);
        },
      });
      transport = created;
      const server = new V1McpServer({ name: "contoso-tickets", version: "1.0.0" });
      server.registerTool("whoami", { description: "Who the tickets server sees", outputSchema: { oid: z.string(), aud: z.string() } }, async (extra) => {
        const caller = (extra.authInfo?.extra as { caller?: DemoCaller } | undefined)?.caller;
        const structured = { oid: caller?.oid ?? "", aud: caller?.aud ?? "" };
        return { content: [{ type: "text", text: JSON.stringify(structured) }], structuredContent: structured };
      });
      server.registerTool("echo", { description: "Echoes a message", inputSchema: { message: z.string() } }, async ({ message }) => ({ content: [{ type: "text", text: `tickets: ${message}` }] }));
      await server.connect(created);
    }
    const authed = request as IncomingMessage & { auth?: { token: string; clientId: string; scopes: string[]; extra: Record<string, unknown> } };
    authed.auth = { token: checked.token, clientId: String(checked.azp), scopes: [...checked.caller.scopes], extra: { caller: checked.caller } };
    await transport.handleRequest(authed, response, body);
  };
  listener = createLoopbackListener({
    tls: { cert: tls.cert, key: tls.key },
    handler: (request, response) => {
      handle(request, response).catch((error: unknown) => {
        if (!response.headersSent) sendJson(response, 500, { error: String(error) });
      });
    },
  });
  await listener.start();
  return {
    url: new URL("/mcp", listener.origin),
    seen,
    sessions,
    endedSessions,
    httpMethods,
    forgetSessions: () => sessions.clear(),
    close: async () => {
      for (const transport of sessions.values()) await transport.close().catch(() => undefined);
      await listener!.stop();
    },
  };
}

/**
 * A second kit in direct mode as a downstream (kit behind kit): its own app
 * registration (INNER_KIT_APP), and one tool, `whoami`, that records the
 * token it received.
 */
export async function startInnerKit(standIn: EntraStandIn): Promise<RecordingDownstream & { readonly kit: RunningKit }> {
  const seen: SeenToken[] = [];
  const innerWhoami = defineTool({
    name: "whoami",
    description: "Who the inner kit sees",
    input: {},
    output: { oid: z.string(), aud: z.string(), scopes: z.string() },
    needs: { token: accessToken(), oid: claim<string>("oid"), aud: claim<string>("aud"), scp: claim<string>("scp"), tid: claim<string>("tid") },
    async run(_args, { token, oid, aud, scp, tid }) {
      seen.push({ oid, tid, aud, name: undefined, scopes: scp.split(" "), roles: [], at: Date.now(), method: "tools/call", fingerprint: tokenFingerprint(token), azp: undefined });
      return { oid, aud, scopes: scp };
    },
  });
  const definition: McpServerDefinition = { name: "inner-kit", version: "1.0.0", tools: [innerWhoami] };
  const kit = await startKit({
    env: {
      AUTH_MODE: "direct",
      ENTRA_TENANT_ID: DEV_TENANT_ID,
      ENTRA_CLIENT_ID: INNER_KIT_APP.clientId,
      ENTRA_AUTHORITY_HOST: standIn.origin,
      ENTRA_CLIENT_SECRET: INNER_KIT_APP.secrets![0]!,
      LOG_LEVEL: "warn",
    },
    server: definition,
  });
  return { url: kit.config.mcpUrl, seen, kit, close: () => kit.close() };
}

/** The demo app's client id: the `aud` of tokens for the demo server (v2 tokens carry the client id). */
export const DEMO_AUDIENCE = DEMO_MCP_APP.clientId;
