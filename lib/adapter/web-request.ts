/**
 * Where a host that builds `HttpRequest`s over a web `Request` (the local
 * host, lib/host) keeps that `Request`, so that the adapter hands it on
 * instead of building a second one with the same method, URL, headers, body
 * and signal. The Functions worker gives no access to its own.
 */
export const WEB_REQUEST: unique symbol = Symbol.for("mcp-functions-kit.webRequest");
