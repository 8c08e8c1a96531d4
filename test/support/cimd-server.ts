/**
 * A local HTTPS server that plays client metadata publishers, well-behaved
 * and hostile, on 127.0.0.1 with the development certificate. It counts TCP
 * connections and requests per path, so tests can prove that a refused URL
 * caused no traffic and that a cached document caused no second request.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer, type Server } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { ensureDevTls } from "../../dev/tls.js";

export type CimdHandler = (request: IncomingMessage, response: ServerResponse, url: string) => void;

export class CimdServer {
  /** TCP connections accepted so far. */
  connections = 0;
  private readonly hits = new Map<string, number>();
  private readonly routes = new Map<string, CimdHandler>();
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();

  private constructor(private readonly server: Server) {
    server.on("connection", (socket: Socket) => {
      this.connections++;
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
    });
    server.on("request", (request: IncomingMessage, response: ServerResponse) => {
      const path = (request.url ?? "/").split("?")[0] ?? "/";
      this.hits.set(path, (this.hits.get(path) ?? 0) + 1);
      const handler = this.routes.get(path);
      if (handler === undefined) {
        response.writeHead(404, { "content-type": "text/plain" }).end("not found");
        return;
      }
      handler(request, response, this.url(path));
    });
  }

  /** Starts a server on 127.0.0.1 on a free port. */
  static async start(): Promise<CimdServer> {
    const tls = await ensureDevTls();
    // The fetcher verifies certificates like any client; without the dev CA every test would fail with an opaque TLS error.
    if (process.env.NODE_EXTRA_CA_CERTS !== tls.certPath) {
      throw new Error(
        "NODE_EXTRA_CA_CERTS does not name the development certificate: run the tests through `node dist/scripts/with-dev-tls.js npx mocha ...`.",
      );
    }
    const server = createServer({ cert: tls.cert, key: tls.key });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return new CimdServer(server);
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** `127.0.0.1:<port>`, the allow-list entry for this server. */
  get hostPort(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** `https://<host>:<port><path>`; the host defaults to 127.0.0.1. */
  url(path: string, host = "127.0.0.1"): string {
    return `https://${host}:${this.port}${path}`;
  }

  /** Requests received for `path`. */
  requests(path: string): number {
    return this.hits.get(path) ?? 0;
  }

  /** Serves `path` with `handler`. */
  route(path: string, handler: CimdHandler): void {
    this.routes.set(path, handler);
  }

  /**
   * Serves a JSON document at `path`. `document` gets the URL it is served
   * at, so it can name itself; `headers` are added to the response.
   */
  document(path: string, document: (selfUrl: string) => unknown, headers: Record<string, string> = {}): void {
    this.route(path, (_request, response, selfUrl) => {
      const body = JSON.stringify(document(selfUrl));
      response.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body), ...headers }).end(body);
    });
  }

  /** Repeats `action` every `ms` until the server closes. */
  every(ms: number, action: () => void): void {
    const timer = setInterval(action, ms);
    this.timers.add(timer);
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A minimal acceptable document for `clientId`. */
export function validDocument(clientId: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    client_id: clientId,
    client_name: "Example MCP Client",
    redirect_uris: ["http://127.0.0.1:33418/callback", "https://app.example.com/oauth/callback"],
    grant_types: ["authorization_code", "refresh_token"],
    response_types: ["code"],
    token_endpoint_auth_method: "none",
    ...extra,
  };
}
