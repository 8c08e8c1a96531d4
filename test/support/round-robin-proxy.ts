/**
 * A round-robin reverse proxy on node:http, standing in for the front end of
 * a scaled-out Function App: each request goes to the next backend in turn,
 * bodies stream both ways, and the Host header reaches the backend exactly as
 * the client sent it (the kit checks it against PUBLIC_BASE_URL, which is the
 * proxy's URL).
 *
 * Every request is recorded with the backend that served it, and every answer
 * carries that backend's name in `x-served-by`, so a test can prove that the
 * steps of a flow crossed instances.
 *
 * A backend that refuses a connection is taken out of rotation and the
 * request goes whole to the next one: nothing of it was sent yet, so nothing
 * can be applied twice. A backend that fails once the request is on its way
 * (killed mid-request) costs that request a 502 from the proxy; the request is
 * not replayed, as a real load balancer does not replay a non-idempotent POST.
 */
import { createServer, request as forward, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** The response header naming the backend that served a request. */
export const SERVED_BY_HEADER = "x-served-by";

/** A backend the proxy forwards to, on 127.0.0.1. */
export interface ProxyBackend {
  /** Name used in records and in `x-served-by`, e.g. "instance-1". */
  readonly name: string;
  readonly port: number;
}

/** One request as the proxy saw it. */
export interface ServedRequest {
  /** Position in arrival order, from 0. */
  readonly seq: number;
  readonly method: string;
  /** Path only: queries carry codes and state, which stay out of records. */
  readonly path: string;
  /** `Mcp-Method` header of an MCP request, when the client sent one. */
  readonly mcpMethod: string | undefined;
  /** Epoch ms when the request arrived. */
  readonly startedAt: number;
  /** The backend the request went to ("" when none was available). */
  instance: string;
  /** Backends that refused the connection before this request found one. */
  readonly skipped: string[];
  /** Status the client got; 0 until the answer started. */
  status: number;
  /** Why the proxy answered 502 itself, when it did. */
  failure?: string;
}

/** A running proxy. */
export interface RoundRobinProxy {
  /** `http://localhost:<port>`: what PUBLIC_BASE_URL must be. */
  readonly url: URL;
  readonly port: number;
  /** Every request so far, in arrival order. */
  readonly served: readonly ServedRequest[];
  /** Backends taken out of rotation because they refused a connection. */
  readonly down: ReadonlySet<string>;
  /** Adds a backend at the end of the rotation. */
  add(backend: ProxyBackend): void;
  close(): Promise<void>;
}

/** Connection-level headers, which describe one hop and are never forwarded. */
const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"]);

function endToEnd(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const listed = new Set(
    String(headers["connection"] ?? "")
      .split(",")
      .map((name) => name.trim().toLowerCase()),
  );
  const result: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || listed.has(name)) continue;
    result[name] = value;
  }
  return result;
}

/**
 * Starts a proxy on a free loopback port, with no backend yet (the backends
 * need its URL in their settings before they start; `add` them afterwards).
 *
 * @example
 * const proxy = await startRoundRobinProxy();
 * proxy.add({ name: "instance-1", port: 7071 });
 * await fetch(new URL("/health", proxy.url)); // x-served-by: instance-1
 */
export async function startRoundRobinProxy(): Promise<RoundRobinProxy> {
  const backends: ProxyBackend[] = [];
  const down = new Set<string>();
  const served: ServedRequest[] = [];
  let turn = 0;

  /** The next backend in turn that is up and not yet tried for this request. */
  const pick = (tried: ReadonlySet<string>): ProxyBackend | undefined => {
    for (let step = 0; step < backends.length; step++) {
      const candidate = backends[(turn + step) % backends.length]!;
      if (down.has(candidate.name) || tried.has(candidate.name)) continue;
      turn = (turn + step + 1) % backends.length;
      return candidate;
    }
    return undefined;
  };

  const answerItself = (outgoing: ServerResponse, record: ServedRequest, failure: string): void => {
    record.failure = failure;
    record.status = 502;
    if (outgoing.headersSent) {
      outgoing.destroy();
      return;
    }
    outgoing.writeHead(502, { "content-type": "text/plain", [SERVED_BY_HEADER]: record.instance === "" ? "proxy" : record.instance }).end(`bad gateway: ${failure}`);
  };

  const attempt = (incoming: IncomingMessage, outgoing: ServerResponse, record: ServedRequest, tried: Set<string>): void => {
    const backend = pick(tried);
    if (backend === undefined) {
      incoming.resume();
      answerItself(outgoing, record, "no backend is up");
      return;
    }
    tried.add(backend.name);
    record.instance = backend.name;
    let sent = false;
    // A fresh connection per request (no agent): a refused connection then
    // always means nothing was sent, and a killed backend leaves no pooled
    // socket behind to fail a later request.
    const upstream = forward(
      { host: "127.0.0.1", port: backend.port, method: incoming.method, path: incoming.url, headers: endToEnd(incoming.headers), agent: false },
      (response) => {
        record.status = response.statusCode ?? 502;
        outgoing.writeHead(record.status, { ...endToEnd(response.headers), [SERVED_BY_HEADER]: backend.name });
        response.pipe(outgoing);
        response.once("aborted", () => outgoing.destroy());
        response.once("error", () => outgoing.destroy());
      },
    );
    upstream.once("socket", (socket) => {
      const send = (): void => {
        sent = true;
        incoming.pipe(upstream);
      };
      if (socket.connecting) socket.once("connect", send);
      else send();
    });
    upstream.once("error", (error: NodeJS.ErrnoException) => {
      if (!sent) {
        // Refused: the backend is gone; the whole request can still go elsewhere.
        down.add(backend.name);
        record.skipped.push(backend.name);
        attempt(incoming, outgoing, record, tried);
        return;
      }
      answerItself(outgoing, record, error.code ?? error.message);
    });
    outgoing.once("close", () => {
      if (!outgoing.writableFinished) upstream.destroy();
    });
  };

  const server = createServer((incoming, outgoing) => {
    const record: ServedRequest = {
      seq: served.length,
      method: incoming.method ?? "GET",
      path: (incoming.url ?? "/").split("?")[0]!,
      mcpMethod: typeof incoming.headers["mcp-method"] === "string" ? incoming.headers["mcp-method"] : undefined,
      startedAt: Date.now(),
      instance: "",
      skipped: [],
      status: 0,
    };
    served.push(record);
    attempt(incoming, outgoing, record, new Set());
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: new URL(`http://localhost:${port}`),
    port,
    served,
    down,
    add: (backend) => {
      backends.push(backend);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
