/**
 * Dependencies that hang: servers that accept connections and requests and
 * then never answer, recording when each client gave up. Point a dependency's
 * URL at one to prove that a call to it ends within its deadline, and (from
 * `closedAfterMs`) that the kit actually dropped the connection rather than
 * abandoning it open.
 */
import { createServer, type Server, type Socket } from "node:net";
import { createLoopbackListener, type LoopbackListener } from "../../dev/listener.js";
import { ensureDevTls } from "../../dev/tls.js";

/** One request the hung server received. */
export interface HungRequest {
  readonly method: string;
  readonly path: string;
  /** Epoch ms of arrival. */
  readonly at: number;
  /** Milliseconds from arrival until the client closed the connection; undefined while it is open. */
  closedAfterMs: number | undefined;
}

/** An HTTP(S) server that never answers. */
export interface HungHttpServer {
  /** `https://localhost:<port>` (or http), no trailing slash. */
  readonly origin: string;
  readonly port: number;
  readonly requests: readonly HungRequest[];
  /** Resolves once `count` requests arrived (or rejects after `ms`). */
  waitForRequests(count: number, ms?: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts a server that reads each request's headers and never answers.
 *
 * @example
 * const hung = await startHungHttpServer({ https: true });
 * // ... ENTRA_AUTHORITY_HOST: hung.origin ...
 * assert.ok(hung.requests[0]!.closedAfterMs! < 6000);
 */
export async function startHungHttpServer(options: { readonly https?: boolean } = {}): Promise<HungHttpServer> {
  const requests: HungRequest[] = [];
  const tls = options.https === false ? undefined : await ensureDevTls();
  const listener: LoopbackListener = createLoopbackListener({
    ...(tls === undefined ? {} : { tls: { cert: tls.cert, key: tls.key } }),
    handler: (request) => {
      const record: HungRequest = { method: request.method ?? "GET", path: new URL(request.url ?? "/", "http://x").pathname, at: Date.now(), closedAfterMs: undefined };
      requests.push(record);
      // Reading the body keeps the request flowing; the answer simply never comes.
      request.resume();
      request.socket.once("close", () => {
        record.closedAfterMs = Date.now() - record.at;
      });
    },
  });
  await listener.start();
  return {
    get origin() {
      return listener.origin;
    },
    get port() {
      return listener.port;
    },
    requests,
    async waitForRequests(count, ms = 10_000) {
      const deadline = Date.now() + ms;
      while (requests.length < count) {
        if (Date.now() > deadline) throw new Error(`the hung server saw ${requests.length} of ${count} requests within ${ms} ms`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    close: () => listener.stop(),
  };
}

/** A TCP server that accepts connections and never sends a byte (a Redis, a database... that hangs). */
export interface HungTcpServer {
  readonly port: number;
  /** Connections accepted so far. */
  readonly connections: number;
  /** Connections the client has closed. */
  readonly closed: number;
  close(): Promise<void>;
}

/** Starts a TCP black hole on a loopback port. */
export async function startHungTcpServer(): Promise<HungTcpServer> {
  const sockets = new Set<Socket>();
  let connections = 0;
  let closed = 0;
  const server: Server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on("data", () => undefined);
    socket.on("error", () => undefined);
    socket.on("close", () => {
      closed++;
      sockets.delete(socket);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (typeof address !== "object" || address === null) throw new Error("no port");
  return {
    port: address.port,
    get connections() {
      return connections;
    },
    get closed() {
      return closed;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
