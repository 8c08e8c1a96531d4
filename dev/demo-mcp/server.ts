/**
 * The demo downstream MCP server: another team's Entra-protected MCP server,
 * as the kit's gateway meets it. `npm start` runs one on https://localhost:7446
 * (`DEV_DEMO_PORT`) and lists its `whoami` tool through the kit as
 * `demo_whoami`; tests start their own, with more tools and with faults.
 *
 * Built on the MCP SDK v2 (`createMcpHandler`, both protocol eras), it
 * checks tokens the way a real resource server does: a stand-in signature,
 * its own audience (the demo app registration, `api://contoso-demo-mcp`),
 * the v2 issuer, its scope (`Demo.Read`). It publishes RFC 9728 metadata
 * naming the stand-in tenant as its authorization server, so the kit reads
 * its scopes from there. Every token it accepts is recorded, claims and a
 * fingerprint only, so tests can prove whose token arrived and that it was
 * never the MCP client's own.
 */
import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createMcpHandler, McpServer, type AuthInfo } from "@modelcontextprotocol/server";
import { z } from "zod";
import { DEMO_MCP_IDENTIFIER_URI, DEMO_MCP_SCOPE } from "../defaults.js";
import { TokenRejected } from "../entra/jwt.js";
import { FaultSwitches } from "../fault-switches.js";
import type { TokenAuthority } from "../graph/fake-graph.js";
import { dropConnection, readBody, sendJson, sleep } from "../http.js";
import { createLoopbackListener, type LoopbackListener } from "../listener.js";
import { ensureDevTls } from "../tls.js";
import { serveWeb } from "../web-handler.js";

/** Who called, as the demo server's token check saw it. */
export interface DemoCaller {
  readonly oid: string;
  readonly tid: string;
  readonly aud: string;
  readonly name: string | undefined;
  /** The token's `scp`, split. */
  readonly scopes: readonly string[];
  readonly roles: readonly string[];
}

/** A token the server accepted: its claims that matter, and a fingerprint instead of the token. */
export interface SeenToken extends DemoCaller {
  readonly at: number;
  /** The JSON-RPC method of the request that carried it. */
  readonly method: string | undefined;
  /** SHA-256 of the token (base64url): compare with {@link tokenFingerprint} of a token you hold. */
  readonly fingerprint: string;
  /** The `azp` claim: the app that obtained the token (the kit, for On-Behalf-Of). */
  readonly azp: unknown;
}

export type DemoFault =
  /** Answer 401 invalid_token whatever the token (as after a revocation). */
  | { readonly kind: "unauthorized" }
  /** Wait before answering. */
  | { readonly kind: "delay"; readonly ms: number }
  /** A 200 whose body is not JSON-RPC. */
  | { readonly kind: "garbage" }
  /** A 200 JSON body of `bytes` bytes, streamed (no Content-Length), until the client stops reading. */
  | { readonly kind: "huge"; readonly bytes: number }
  | { readonly kind: "server_error" }
  /** Drop the connection without an answer. */
  | { readonly kind: "drop" };

export interface DemoFaultFilter {
  /** Only requests with this JSON-RPC method (default: every POST). */
  readonly method?: string;
  /** Default: until removed. */
  readonly times?: number;
}

export interface DemoMcpServerOptions {
  readonly entra: TokenAuthority;
  /** Default 0 (a free port). */
  readonly port?: number;
  /** Serve HTTPS with the development certificate (default) or plain HTTP. */
  readonly https?: boolean;
  /** The app registration the server is (identifier URI or client id); default the demo app. */
  readonly resource?: string;
  /** The delegated scope every request needs; default `Demo.Read`. */
  readonly scope?: string;
  /** The tenant whose Entra the metadata names; default the stand-in's first. */
  readonly tenant?: string;
  /** Registers more on each request's server (tests add tools, resources, prompts). */
  readonly extend?: (server: McpServer, caller: DemoCaller) => void;
}

/** SHA-256 of a token, base64url: how {@link SeenToken.fingerprint} names the token the server saw. */
export function tokenFingerprint(token: string): string {
  return createHash("sha256").update(token).digest("base64url");
}

/** A running demo server. Create with {@link startDemoMcpServer}. */
export class DemoMcpServer {
  /** Tokens accepted, oldest first (at most 10,000; a long `npm start` must not grow). */
  readonly seen: SeenToken[] = [];
  /** Bytes written by the last `huge` fault before the client stopped reading. */
  hugeBytesWritten = 0;
  readonly #listener: LoopbackListener;
  readonly #options: DemoMcpServerOptions;
  readonly #faults = new FaultSwitches<DemoFault, string | undefined>();
  readonly #handler;

  /** @internal Use {@link startDemoMcpServer}. */
  constructor(options: DemoMcpServerOptions, tls: { cert: string; key: string } | undefined) {
    this.#options = options;
    this.#handler = createMcpHandler(({ authInfo }) => this.#server(authInfo), { legacy: "stateless", onerror: () => undefined });
    this.#listener = createLoopbackListener({
      handler: (request, response) => {
        this.#handle(request, response).catch((error: unknown) => {
          console.error("demo MCP server: unexpected error", error);
          if (!response.headersSent) sendJson(response, 500, { error: "server_error" });
          else response.destroy();
        });
      },
      ...(tls === undefined ? {} : { tls }),
      ...(options.port === undefined ? {} : { port: options.port }),
    });
  }

  get origin(): string {
    return this.#listener.origin;
  }

  /** The MCP endpoint: `<origin>/mcp`. */
  get url(): URL {
    return new URL("/mcp", this.origin);
  }

  /** Makes matching requests fail or slow down; returns the remover. */
  fail(fault: DemoFault, filter: DemoFaultFilter = {}): () => void {
    return this.#faults.add(fault, filter.times, (method) => filter.method === undefined || filter.method === method);
  }

  clearFaults(): void {
    this.#faults.clear();
  }

  /** Forgets the tokens seen. */
  reset(): void {
    this.seen.length = 0;
    this.hugeBytesWritten = 0;
  }

  /** The tokens seen on requests with this JSON-RPC method. */
  seenFor(method: string): SeenToken[] {
    return this.seen.filter((entry) => entry.method === method);
  }

  start(): Promise<void> {
    return this.#listener.start();
  }

  /** Stops listening (an outage); `start()` brings it back on the same port. */
  stop(): Promise<void> {
    return this.#listener.stop();
  }

  close(): Promise<void> {
    return this.#listener.stop();
  }

  get #resource(): string {
    return this.#options.resource ?? DEMO_MCP_IDENTIFIER_URI;
  }

  get #scope(): string {
    return this.#options.scope ?? DEMO_MCP_SCOPE;
  }

  #metadata(): Record<string, unknown> {
    const tenant = this.#options.tenant ?? this.#options.entra.directory.tenants.keys().next().value!;
    return {
      resource: this.url.href,
      authorization_servers: [this.#options.entra.issuer(tenant)],
      scopes_supported: [`${this.#resource}/${this.#scope}`],
      bearer_methods_supported: ["header"],
      resource_name: "Contoso demo MCP server",
    };
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? "/", this.origin).pathname;
    if (request.method === "GET" && (path === "/.well-known/oauth-protected-resource/mcp" || path === "/.well-known/oauth-protected-resource")) {
      sendJson(response, 200, this.#metadata());
      return;
    }
    if (path !== "/mcp") {
      sendJson(response, 404, { error: "not_found" });
      return;
    }
    const body = request.method === "POST" ? await readBody(request) : "";
    const method = methodOf(body);
    const faults = request.method === "POST" ? this.#faults.take(method) : [];
    for (const fault of faults) if (fault.kind === "delay") await sleep(fault.ms);
    const terminal = faults.find((fault) => fault.kind !== "delay");
    if (terminal !== undefined && terminal.kind !== "unauthorized") {
      await this.#answerWithFault(terminal, request, response, body);
      return;
    }
    const caller = terminal?.kind === "unauthorized" ? undefined : await this.#check(request.headers.authorization);
    if (caller === undefined || "refused" in caller) {
      const description = caller === undefined ? "The token was revoked." : caller.refused;
      sendJson(response, 401, { error: "invalid_token", error_description: description }, {
        "WWW-Authenticate": `Bearer resource_metadata="${new URL("/.well-known/oauth-protected-resource/mcp", this.origin).href}", error="invalid_token"`,
      });
      return;
    }
    this.seen.push({ ...caller.caller, at: Date.now(), method, fingerprint: tokenFingerprint(caller.token), azp: caller.azp });
    if (this.seen.length > 10_000) this.seen.splice(0, this.seen.length - 10_000);
    const authInfo: AuthInfo = { token: caller.token, clientId: String(caller.azp ?? ""), scopes: [...caller.caller.scopes], extra: { caller: caller.caller } };
    await serveWeb(request, response, (web) => this.#handler.fetch(web, { authInfo }), this.origin, body);
  }

  async #check(header: string | undefined): Promise<{ caller: DemoCaller; token: string; azp: unknown } | { refused: string }> {
    const token = /^Bearer\s+(\S+)$/i.exec(header ?? "")?.[1];
    if (token === undefined) return { refused: "No bearer token." };
    let claims: Record<string, unknown>;
    try {
      claims = (await this.#options.entra.verifyToken(token)).claims;
    } catch (error) {
      if (error instanceof TokenRejected) return { refused: `The token was refused: ${error.code}.` };
      throw error;
    }
    const app = this.#options.entra.directory.resource(this.#resource);
    if (app === undefined) throw new Error(`The demo server's app registration '${this.#resource}' is not registered at the Entra stand-in.`);
    if (typeof claims["aud"] !== "string" || !this.#options.entra.directory.names(app, claims["aud"])) return { refused: "The token is for another audience." };
    const tid = typeof claims["tid"] === "string" ? claims["tid"] : "";
    if (claims["iss"] !== this.#options.entra.issuer(tid)) return { refused: "The token's issuer is not trusted." };
    const scopes = typeof claims["scp"] === "string" ? claims["scp"].split(" ") : [];
    if (!scopes.includes(this.#scope)) return { refused: `The token lacks the scope ${this.#scope}.` };
    return {
      token,
      azp: claims["azp"],
      caller: {
        oid: String(claims["oid"]),
        tid,
        aud: claims["aud"],
        name: typeof claims["name"] === "string" ? claims["name"] : undefined,
        scopes,
        roles: Array.isArray(claims["roles"]) ? claims["roles"].map(String) : [],
      },
    };
  }

  #server(authInfo: AuthInfo | undefined): McpServer {
    const caller = (authInfo?.extra as { caller?: DemoCaller } | undefined)?.caller;
    const server = new McpServer({ name: "contoso-demo-mcp", version: "1.0.0" }, { capabilities: { tools: { listChanged: false } } });
    server.registerTool(
      "whoami",
      {
        title: "Who the demo server sees",
        description: "Reports the oid and aud of the token the demo MCP server received: the signed-in user, and the demo server's own audience.",
        inputSchema: z.object({}),
        outputSchema: z.object({ oid: z.string(), aud: z.string(), tid: z.string(), scopes: z.array(z.string()), name: z.string().optional() }),
        annotations: { readOnlyHint: true },
      },
      async () => {
        const structured = { oid: caller?.oid ?? "", aud: caller?.aud ?? "", tid: caller?.tid ?? "", scopes: [...(caller?.scopes ?? [])], ...(caller?.name === undefined ? {} : { name: caller.name }) };
        return { content: [{ type: "text", text: JSON.stringify(structured) }], structuredContent: structured };
      },
    );
    if (caller !== undefined) this.#options.extend?.(server, caller);
    return server;
  }

  async #answerWithFault(fault: Exclude<DemoFault, { kind: "delay" | "unauthorized" }>, request: IncomingMessage, response: ServerResponse, body: string): Promise<void> {
    switch (fault.kind) {
      case "drop":
        dropConnection(request, response);
        return;
      case "server_error":
        sendJson(response, 500, { error: "server_error" });
        return;
      case "garbage":
        response.writeHead(200, { "Content-Type": "application/json" });
        response.end("<html>this is not JSON-RPC</html>");
        return;
      case "huge": {
        const id = (parseOrUndefined(body) as { id?: unknown } | undefined)?.id ?? null;
        response.writeHead(200, { "Content-Type": "application/json" });
        const chunk = Buffer.alloc(64 * 1024, "a");
        this.hugeBytesWritten = 0;
        const write = (text: string | Buffer): Promise<void> =>
          new Promise((resolve) => {
            this.hugeBytesWritten += Buffer.byteLength(text);
            if (response.write(text)) resolve();
            else response.once("drain", resolve);
          });
        const closed = new Promise<void>((resolve) => response.once("close", resolve));
        await write(`{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":{"content":[{"type":"text","text":"`);
        while (this.hugeBytesWritten < fault.bytes && !response.destroyed) await Promise.race([write(chunk), closed]);
        if (!response.destroyed) response.end(`"}]}}`);
        return;
      }
    }
  }
}

function methodOf(body: string): string | undefined {
  const message = parseOrUndefined(body);
  const first = Array.isArray(message) ? message[0] : message;
  const method = (first as { method?: unknown } | undefined)?.method;
  return typeof method === "string" ? method : undefined;
}

function parseOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Starts a demo MCP server.
 *
 * @example
 * const demo = await startDemoMcpServer({ entra });
 * remoteServer({ name: "demo", url: demo.url }); // scopes come from its metadata
 */
export async function startDemoMcpServer(options: DemoMcpServerOptions): Promise<DemoMcpServer> {
  const tls = options.https === false ? undefined : await ensureDevTls();
  const server = new DemoMcpServer(options, tls === undefined ? undefined : { cert: tls.cert, key: tls.key });
  await server.start();
  return server;
}
