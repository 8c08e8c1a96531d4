/**
 * Node requests as Azure Functions `HttpRequest`s, with the body streaming.
 *
 * `@azure/functions` offers a test constructor for `HttpRequest`, but it takes
 * the body as one buffer. To hand the handlers a streaming body, as the
 * Functions worker does with `enableHttpStream`, this class implements the
 * package's public `HttpRequest` interface over a web `Request`. No private
 * part of `@azure/functions` is used.
 */
import type { IncomingMessage } from "node:http";
import type { HttpRequest, HttpRequestParams, HttpRequestUser } from "@azure/functions";
import { WEB_REQUEST } from "../adapter/web-request.js";
import type { RequestBody } from "./request-body.js";

/** An `HttpRequest` backed by a web `Request`. */
export class StreamingHttpRequest implements HttpRequest {
  readonly query: URLSearchParams;
  /** App Service authentication is not emulated; the kit does its own. */
  readonly user: HttpRequestUser | null = null;

  /** `url` is the request's URL already parsed (the host has it), so that it is not parsed twice. */
  constructor(
    private readonly native: Request,
    readonly params: HttpRequestParams,
    url: URL = new URL(native.url),
  ) {
    this.query = url.searchParams;
  }

  get method(): string {
    return this.native.method;
  }
  get url(): string {
    return this.native.url;
  }
  get headers(): Headers {
    return this.native.headers;
  }
  get body(): HttpRequest["body"] {
    return this.native.body as HttpRequest["body"];
  }
  get bodyUsed(): boolean {
    return this.native.bodyUsed;
  }
  /** Aborted when the client disconnects before the response is written (beyond `HttpRequest`: the adapter reads it when present). */
  get signal(): AbortSignal {
    return this.native.signal;
  }
  /** The web `Request` itself, which the adapter hands to the handler as it is (lib/adapter). */
  get [WEB_REQUEST](): Request {
    return this.native;
  }
  readonly arrayBuffer = (): Promise<ArrayBuffer> => this.native.arrayBuffer();
  readonly blob = (): ReturnType<HttpRequest["blob"]> => this.native.blob() as ReturnType<HttpRequest["blob"]>;
  readonly formData = (): ReturnType<HttpRequest["formData"]> => this.native.formData() as ReturnType<HttpRequest["formData"]>;
  readonly json = (): Promise<unknown> => this.native.json();
  readonly text = (): Promise<string> => this.native.text();
  readonly clone = (): HttpRequest => new StreamingHttpRequest(this.native.clone(), { ...this.params });
}

/**
 * The URL a Functions handler would see: scheme and host as the client sent
 * them, path and query unchanged.
 * @throws TypeError when the Host header cannot form a URL.
 */
export function requestUrl(incoming: IncomingMessage, scheme: "http" | "https"): URL {
  const host = incoming.headers.host ?? "localhost";
  return new URL(incoming.url ?? "/", `${scheme}://${host}`);
}

/** Builds the web `Request` for a node request; the body streams from the socket through `body`. */
export function toNativeRequest(incoming: IncomingMessage, url: URL, signal: AbortSignal, body: RequestBody | undefined): Request {
  const headers = new Headers();
  for (let index = 0; index < incoming.rawHeaders.length; index += 2) {
    const name = incoming.rawHeaders[index]!;
    // HTTP/2 pseudo-headers and connection-level headers never reach a Function.
    if (name.startsWith(":")) continue;
    headers.append(name, incoming.rawHeaders[index + 1]!);
  }
  return new Request(url, {
    method: incoming.method ?? "GET",
    headers,
    signal,
    ...(body === undefined ? {} : { body: body.stream, duplex: "half" }),
  } as RequestInit);
}

/** Whether a request of this method carries a body a handler may read. */
export function mayHaveBody(incoming: IncomingMessage): boolean {
  return incoming.method !== "GET" && incoming.method !== "HEAD";
}
