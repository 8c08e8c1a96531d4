/**
 * The local host: serves the function app's endpoints on `node:http`, the way
 * the Azure Functions host does, for `npm start` and the tests.
 *
 * It serves exactly the endpoint objects that `functions/index.ts` registers
 * with `app.http`. Requests become `HttpRequest`s with a streaming body, the
 * handler runs with a real `InvocationContext`, and the `HttpResponse` is
 * written the way the worker's HTTP streaming proxy writes it (same hop-by-hop
 * header filter, same cookie serializer). Like the Functions host, it answers
 * 404 with an empty body both for unknown paths and for methods an endpoint
 * does not declare; endpoints that must answer 405 declare the method and
 * answer it themselves.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import azureFunctions, { type HttpHandler, type HttpMethod, type HttpResponseInit } from "@azure/functions";
import { serialize as serializeCookie } from "cookie";
import { mayHaveBody, StreamingHttpRequest, requestUrl, toNativeRequest } from "./request.js";
import { RequestBody } from "./request-body.js";
import { compileRoute, type CompiledRoute, type RouteParams } from "./routes.js";

/** One HTTP-triggered function: what `app.http` registers and the local host serves. */
export interface HostedEndpoint {
  /** Function name (unique). */
  readonly name: string;
  /** Route template, without the (empty) route prefix. */
  readonly route: string;
  /** Methods the function accepts; other methods get the host's 404. */
  readonly methods: readonly HttpMethod[];
  readonly handler: HttpHandler;
}

export interface LocalHostOptions {
  readonly endpoints: readonly HostedEndpoint[];
  /** Receives one line per request (`POST /mcp 200 3.1ms`) and the host's own messages. Default: console. */
  readonly log?: (line: string) => void;
  /** Receives what handlers log through their `InvocationContext`. Default: console. */
  readonly invocationLog?: (level: string, message: string) => void;
}

export interface LocalHost {
  /** The server on the first (or only) address; `localhost` adds a second one for ::1, serving the same handlers. */
  readonly server: Server;
  /**
   * Starts listening; resolves with the base URL (`http://localhost:7071`).
   * `hostname` "localhost" means both loopback addresses, 127.0.0.1 and ::1
   * (::1 only where the machine has IPv6), on one port: clients resolve the
   * name to either. Without a hostname, Node's default: every interface.
   */
  listen(port: number, hostname?: string): Promise<URL>;
  /** Stops accepting connections, waits up to `graceMs` for in-flight requests, then closes the rest. */
  close(graceMs?: number): Promise<void>;
}

// @azure/functions is CommonJS without statically detectable named exports.
const { HttpResponse, InvocationContext } = azureFunctions;
type HttpResponse = InstanceType<typeof HttpResponse>;

/** Headers the worker's streaming proxy never copies to the client. */
const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer", "trailers", "transfer-encoding", "upgrade"]);

interface Route {
  readonly endpoint: HostedEndpoint;
  readonly compiled: CompiledRoute;
  readonly methods: ReadonlySet<string>;
}

/**
 * Creates a local host for `endpoints`.
 *
 * @example
 * const host = createLocalHost({ endpoints });
 * const baseUrl = await host.listen(7071);
 */
export function createLocalHost(options: LocalHostOptions): LocalHost {
  const log = options.log ?? ((line: string) => console.log(line));
  const invocationLog = options.invocationLog ?? ((level: string, message: string) => (level === "error" || level === "warning" ? console.error(message) : console.log(message)));
  const names = new Set<string>();
  const routes: Route[] = options.endpoints.map((endpoint) => {
    if (names.has(endpoint.name)) throw new Error(`Two endpoints are named ${endpoint.name}`);
    names.add(endpoint.name);
    return { endpoint, compiled: compileRoute(endpoint.route), methods: new Set(endpoint.methods.map((method) => method.toUpperCase())) };
  });

  const handle = (incoming: IncomingMessage, outgoing: ServerResponse): void => {
    const started = performance.now();
    outgoing.on("finish", () => {
      log(`${incoming.method} ${withoutQueryValues(incoming.url)} ${outgoing.statusCode} ${(performance.now() - started).toFixed(1)}ms`);
    });
    serve(routes, incoming, outgoing, invocationLog).catch((error: unknown) => {
      log(`host error: ${error instanceof Error ? error.message : String(error)}`);
      if (!outgoing.headersSent) outgoing.writeHead(500).end();
      else outgoing.destroy();
    });
  };
  const server = createServer(handle);
  const servers: Server[] = [server];

  return {
    server,
    async listen(port, hostname) {
      const bound = await listenOn(server, port, hostname === "localhost" ? "127.0.0.1" : hostname);
      if (hostname === "localhost") {
        const ipv6 = createServer(handle);
        ipv6.keepAliveTimeout = server.keepAliveTimeout;
        try {
          await listenOn(ipv6, bound, "::1");
          servers.push(ipv6);
        } catch (error) {
          // A machine (or container) without IPv6 has no ::1; 127.0.0.1 alone serves it.
          const code = (error as NodeJS.ErrnoException).code;
          if (code !== "EADDRNOTAVAIL" && code !== "EAFNOSUPPORT") {
            await new Promise<void>((done) => server.close(() => done()));
            throw error;
          }
        }
      }
      return new URL(`http://localhost:${bound}`);
    },
    async close(graceMs = 2000) {
      await Promise.all(servers.map((each) => closeGracefully(each, graceMs)));
    },
  };
}

/** Listens on `port` (0: any) at `hostname`; resolves with the port bound. */
function listenOn(server: Server, port: number, hostname: string | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, hostname, () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Stops accepting connections, waits up to `graceMs` for in-flight requests, then closes the rest. */
function closeGracefully(server: Server, graceMs: number): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => server.closeAllConnections(), graceMs);
    timer.unref();
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    server.closeIdleConnections();
  });
}

async function serve(
  routes: readonly Route[],
  incoming: IncomingMessage,
  outgoing: ServerResponse,
  invocationLog: (level: string, message: string) => void,
): Promise<void> {
  let url: URL;
  try {
    url = requestUrl(incoming, "http");
  } catch {
    outgoing.writeHead(400).end();
    return;
  }
  const method = (incoming.method ?? "GET").toUpperCase();
  let matched: { route: Route; params: RouteParams } | undefined;
  for (const route of routes) {
    if (!route.methods.has(method)) continue;
    const params = route.compiled.match(url.pathname);
    if (params !== undefined) {
      matched = { route, params };
      break;
    }
  }
  if (matched === undefined) {
    incoming.resume();
    outgoing.writeHead(404, { "Content-Length": "0" }).end();
    return;
  }

  const aborted = new AbortController();
  outgoing.on("close", () => {
    if (!outgoing.writableFinished) aborted.abort();
  });
  const body = mayHaveBody(incoming) ? new RequestBody(incoming) : undefined;
  const request = new StreamingHttpRequest(toNativeRequest(incoming, url, aborted.signal, body), matched.params, url);
  const invocation = new InvocationContext({
    invocationId: randomUUID(),
    functionName: matched.route.endpoint.name,
    // As the Functions host does, the invocation carries the caller's W3C trace context (lib/telemetry joins it).
    ...(typeof incoming.headers.traceparent === "string" ? { traceContext: { traceParent: incoming.headers.traceparent, traceState: String(incoming.headers.tracestate ?? "") } } : {}),
    logHandler: (level, ...args) => invocationLog(level, args.map((arg) => (typeof arg === "string" ? arg : JSON.stringify(arg))).join(" ")),
  });

  let result: HttpResponseInit | HttpResponse | void;
  try {
    result = await matched.route.endpoint.handler(request, invocation);
  } catch (error) {
    // The Functions host answers an unhandled exception with an empty 500.
    invocation.error(`Unhandled exception in ${matched.route.endpoint.name}: ${error instanceof Error ? error.message : String(error)}`);
    body?.settle(outgoing);
    outgoing.writeHead(500, { "Content-Length": "0" }).end();
    return;
  }
  body?.settle(outgoing);
  await writeResponse(result instanceof HttpResponse ? result : (asWritten(result) ?? new HttpResponse(result ?? {})), outgoing, aborted.signal);
}

/** What writeResponse reads of a response. */
type WrittenResponse = Pick<HttpResponse, "status" | "headers" | "cookies" | "body">;

/** HTTP statuses whose response has no body (HttpResponse drops one). */
const NULL_BODY_STATUSES: ReadonlySet<number> = new Set([101, 204, 205, 304]);

/**
 * A response init that is web-shaped already (Headers, a stream or no body:
 * what lib/adapter returns), as written; `undefined` for anything else,
 * which the library's HttpResponse normalizes as the worker does. Building an
 * HttpResponse copies the headers into a second Response only to read them
 * back (bench/README.md).
 */
function asWritten(init: HttpResponseInit | void): WrittenResponse | undefined {
  if (init === undefined || !(init.headers instanceof Headers) || init.jsonBody !== undefined || init.status === undefined || NULL_BODY_STATUSES.has(init.status)) return undefined;
  if (init.body !== undefined && init.body !== null && !(init.body instanceof ReadableStream)) return undefined;
  return { status: init.status, headers: init.headers, cookies: init.cookies ?? [], body: (init.body ?? null) as WrittenResponse["body"] };
}

async function writeResponse(response: WrittenResponse, outgoing: ServerResponse, aborted: AbortSignal): Promise<void> {
  const connectionHeader = response.headers.get("connection");
  const listedByConnection = new Set((connectionHeader ?? "").split(",").map((name) => name.trim().toLowerCase()).filter((name) => name !== ""));
  for (const [name, value] of response.headers) {
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || listedByConnection.has(lower)) continue;
    outgoing.setHeader(name, value);
  }
  if (response.cookies.length > 0) {
    outgoing.setHeader(
      "Set-Cookie",
      response.cookies.map((cookie) =>
        serializeCookie(cookie.name, cookie.value, {
          ...(cookie.domain === undefined ? {} : { domain: cookie.domain }),
          ...(cookie.path === undefined ? {} : { path: cookie.path }),
          ...(cookie.expires === undefined ? {} : { expires: typeof cookie.expires === "number" ? new Date(cookie.expires) : cookie.expires }),
          ...(cookie.secure === undefined ? {} : { secure: cookie.secure }),
          ...(cookie.httpOnly === undefined ? {} : { httpOnly: cookie.httpOnly }),
          ...(cookie.sameSite === undefined ? {} : { sameSite: cookie.sameSite.toLowerCase() as "lax" | "strict" | "none" }),
          ...(cookie.maxAge === undefined ? {} : { maxAge: cookie.maxAge }),
        }),
      ),
    );
  }
  outgoing.statusCode = response.status;
  const body = response.body;
  if (body === null) {
    outgoing.end();
    return;
  }
  const reader = body.getReader();
  const stop = (): void => void reader.cancel().catch(() => undefined);
  aborted.addEventListener("abort", stop, { once: true });
  try {
    // An event stream's first event may come much later; the client should see the status now.
    let first = response.headers.get("content-type")?.startsWith("text/event-stream") === true ? await readOrFlush(reader, outgoing) : undefined;
    for (;;) {
      const { done, value } = first ?? (await reader.read());
      first = undefined;
      if (done) break;
      if (!outgoing.write(value)) await drainedOrClosed(outgoing);
    }
    outgoing.end();
  } catch (error) {
    if (!aborted.aborted) throw error;
  } finally {
    aborted.removeEventListener("abort", stop);
  }
}

/**
 * The first chunk, when it is ready by the next turn of the event loop (a
 * stateless 2025-era exchange answers with one event, usually at once), so
 * that the headers go out with it in one write; otherwise the headers are
 * flushed on their own and the read goes on. Flushing every event stream's
 * headers at once cost a write per call, the local host's largest cost.
 */
async function readOrFlush(reader: ReadableStreamDefaultReader<Uint8Array>, outgoing: ServerResponse): Promise<Awaited<ReturnType<typeof reader.read>>> {
  const read = reader.read();
  let turn: NodeJS.Immediate | undefined;
  const later = new Promise<undefined>((resolve) => {
    turn = setImmediate(resolve, undefined);
  });
  const ready = await Promise.race([read, later]);
  clearImmediate(turn);
  if (ready !== undefined) return ready;
  outgoing.flushHeaders();
  return read;
}

/**
 * The request target for the access log: the path, with any query string
 * reduced to a marker. Query strings carry credentials here (Entra's
 * authorization code and the sealed state at /auth/callback), and a log line
 * must never hold one.
 */
function withoutQueryValues(target: string | undefined): string {
  const path = target ?? "/";
  const query = path.indexOf("?");
  return query === -1 ? path : `${path.slice(0, query)}?…`;
}

function drainedOrClosed(outgoing: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      outgoing.off("drain", done);
      outgoing.off("close", done);
      resolve();
    };
    outgoing.once("drain", done);
    outgoing.once("close", done);
  });
}
