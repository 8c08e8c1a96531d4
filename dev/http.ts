/**
 * The few HTTP helpers the local stand-ins share (node:http is enough;
 * nothing here is meant for production traffic).
 */
import type { IncomingMessage, ServerResponse } from "node:http";

const MAX_BODY_BYTES = 1_000_000;

/** Reads the request body as text (at most 1 MB; a larger body rejects). */
export async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new Error("request body too large");
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** Reads an `application/x-www-form-urlencoded` body (other types yield no parameters). */
export async function readForm(request: IncomingMessage): Promise<URLSearchParams> {
  const body = await readBody(request);
  const type = (request.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  return type === "application/x-www-form-urlencoded" ? new URLSearchParams(body) : new URLSearchParams();
}

/**
 * Sends JSON with the no-store headers Entra puts on token responses.
 * `headers` add to or replace those; an empty value removes one.
 */
export function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  const merged: Record<string, string | number> = {
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": Buffer.byteLength(text),
    "Cache-Control": "no-store, no-cache",
    Pragma: "no-cache",
    ...headers,
  };
  response.writeHead(status, Object.fromEntries(Object.entries(merged).filter(([, value]) => value !== "")));
  response.end(text);
}

/** Sends an HTML page that cannot be framed and runs no script unless `allowInlineScript`. */
export function sendHtml(response: ServerResponse, status: number, html: string, allowInlineScript = false): void {
  response.writeHead(status, {
    "Content-Type": "text/html; charset=utf-8",
    "Content-Length": Buffer.byteLength(html),
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": `default-src 'none'; style-src 'unsafe-inline'; ${allowInlineScript ? "script-src 'unsafe-inline'; " : ""}form-action *; frame-ancestors 'none'`,
  });
  response.end(html);
}

/** 302 to `location`. */
export function redirect(response: ServerResponse, location: string): void {
  response.writeHead(302, { Location: location, "Cache-Control": "no-store", "Content-Length": 0 });
  response.end();
}

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[char]!);
}

/** Ends a response by destroying the connection: what a client sees when a server vanishes mid-request. */
export function dropConnection(request: IncomingMessage, response: ServerResponse): void {
  response.socket?.destroy();
  request.socket.destroy();
}

/** Resolves after `ms`, or at once when `ms` is 0. */
export function sleep(ms: number): Promise<void> {
  return ms <= 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, ms));
}
