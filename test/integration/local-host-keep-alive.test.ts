/**
 * A keep-alive connection survives a refused body: after the local host
 * answers 413 at /mcp or 400 at /token and /register for a body over the
 * limit, every later request from the same keep-alive agent gets an answer,
 * whether the refused body was announced by Content-Length or chunked, small
 * enough to drain or too large to.
 */
import assert from "node:assert/strict";
import { Agent, request, type IncomingHttpHeaders } from "node:http";
import type { EntraStandIn } from "../../dev/entra/index.js";
import { requireDevTlsTrust, startDefaultStandIn } from "../support/entra.js";
import { startProxyKit } from "../support/facade.js";
import type { RunningKit } from "../support/kit.js";

interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** Which connection answered (its local port on the client side). */
  readonly connection: number;
}

/** One request on `agent`; a body is sent in `chunks` (chunked encoding) unless `contentLength`. */
function send(agent: Agent, url: URL, options: { method?: string; headers?: Record<string, string>; body?: Buffer; chunked?: boolean } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...options.headers };
    if (options.body !== undefined && options.chunked !== true) headers["content-length"] = options.body.length;
    const outgoing = request(url, { method: options.method ?? "GET", agent, headers }, (response) => {
      const connection = response.socket.localPort ?? 0;
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString("utf8"), connection }),
      );
      response.on("error", reject);
    });
    // A server that answers before the upload ends may stop reading it; the answer is what counts.
    outgoing.on("error", reject);
    if (options.body === undefined) outgoing.end();
    else if (options.chunked === true) {
      for (let offset = 0; offset < options.body.length; offset += 16 * 1024) outgoing.write(options.body.subarray(offset, offset + 16 * 1024));
      outgoing.end();
    } else outgoing.end(options.body);
  });
}

describe("the local host keeps a keep-alive connection usable after refusing a body", function () {
  this.timeout(60_000);
  let standIn: EntraStandIn;
  let kit: RunningKit;
  const mcpHeaders: Record<string, string> = { "content-type": "application/json", accept: "application/json, text/event-stream" };
  before(async () => {
    requireDevTlsTrust();
    standIn = await startDefaultStandIn();
    kit = await startProxyKit(standIn, { env: { MCP_MAX_BODY_BYTES: "4096" } });
    mcpHeaders["authorization"] = `Bearer ${await standIn.mintAccessToken({ user: "alice" })}`;
  });
  after(async () => {
    await kit?.close();
    await standIn?.close();
  });

  const refusals: Array<[string, string, Record<string, string>, number]> = [
    ["/mcp", "413", mcpHeaders, 413],
    ["/mcp", "401 (refused before its body is read)", { "content-type": "application/json" }, 401],
    ["/token", "400", { "content-type": "application/x-www-form-urlencoded" }, 400],
    ["/register", "400", { "content-type": "application/json" }, 400],
  ];
  for (const [path, expected, headers, status] of refusals) {
    for (const [size, label] of [
      [64 * 1024, "small enough to drain"],
      [8 * 1024 * 1024, "too large to drain"],
    ] as const) {
      for (const chunked of [false, true]) {
        it(`answers every request after a ${expected} at ${path} for a ${chunked ? "chunked" : "Content-Length"} body ${label}`, async () => {
          const agent = new Agent({ keepAlive: true, maxSockets: 1 });
          try {
            const first = await send(agent, new URL("/health", kit.baseUrl));
            assert.equal(first.status, 200);
            const refused = await send(agent, new URL(path, kit.baseUrl), { method: "POST", headers, body: Buffer.alloc(size, "a"), chunked });
            assert.equal(refused.status, status, refused.body);
            for (let index = 0; index < 3; index += 1) {
              const next = await send(agent, new URL("/health", kit.baseUrl));
              assert.equal(next.status, 200, `request ${index + 1} after the refusal`);
              assert.equal(next.body, '{"status":"ok"}');
            }
            // Kept when the host drained the body (announced and small: always); closed, and said so, when it is too
            // large to drain. A small chunked body may have arrived whole before the refusal, and then is kept too.
            if (size > 1024 * 1024) assert.equal(refused.headers["connection"], "close");
            else if (!chunked) assert.equal(refused.headers["connection"], "keep-alive");
          } finally {
            agent.destroy();
          }
        });
      }
    }
  }

  it("drains a small refused body and keeps the very same connection", async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const refused = await send(agent, kit.mcpUrl, { method: "POST", headers: mcpHeaders, body: Buffer.alloc(64 * 1024, "a") });
      assert.equal(refused.status, 413);
      assert.equal(refused.headers["connection"], "keep-alive");
      const next = await send(agent, new URL("/health", kit.baseUrl));
      assert.equal(next.connection, refused.connection, "the same socket answered");
    } finally {
      agent.destroy();
    }
  });

  it("says Connection: close before closing when a refused body is too large to drain", async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const refused = await send(agent, kit.mcpUrl, { method: "POST", headers: mcpHeaders, body: Buffer.alloc(8 * 1024 * 1024, "a") });
      assert.equal(refused.status, 413);
      assert.equal(refused.headers["connection"], "close");
      assert.equal((await send(agent, new URL("/health", kit.baseUrl))).status, 200, "a new connection is answered");
    } finally {
      agent.destroy();
    }
  });
});
