/**
 * Event streams through the local host: the status reaches the client at once
 * when the first event is late, and travels with the first event when it is
 * ready straight away (one write instead of two).
 */
import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { createLocalHost, type HostedEndpoint, type LocalHost } from "../../lib/host/server.js";

function eventStream(firstEventAfterMs: number): HostedEndpoint["handler"] {
  return async () => {
    const encoder = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        if (firstEventAfterMs > 0) await new Promise((resolve) => setTimeout(resolve, firstEventAfterMs));
        controller.enqueue(encoder.encode("event: message\ndata: {\"n\":1}\n\n"));
        controller.close();
      },
    });
    return { status: 200, headers: { "Content-Type": "text/event-stream" }, body };
  };
}

/** Milliseconds until the status line arrived, and the whole body. */
function timedGet(url: URL): Promise<{ headersAfterMs: number; body: string }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    httpRequest(url, (response) => {
      const headersAfterMs = Date.now() - started;
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (body += chunk));
      response.on("end", () => resolve({ headersAfterMs, body }));
    })
      .on("error", reject)
      .end();
  });
}

describe("local host event streams", () => {
  let host: LocalHost;
  let baseUrl: URL;
  before(async () => {
    host = createLocalHost({
      endpoints: [
        { name: "late", route: "late", methods: ["GET"], handler: eventStream(800) },
        { name: "ready", route: "ready", methods: ["GET"], handler: eventStream(0) },
      ],
      log: () => undefined,
      invocationLog: () => undefined,
    });
    baseUrl = await host.listen(0, "127.0.0.1");
  });
  after(async () => host.close(100));

  it("sends the status at once when the first event is late", async () => {
    const { headersAfterMs, body } = await timedGet(new URL("/late", baseUrl));
    assert.ok(headersAfterMs < 500, `status after ${headersAfterMs} ms`);
    assert.match(body, /data: \{"n":1\}/);
  });

  it("sends a ready first event with the status", async () => {
    const { body } = await timedGet(new URL("/ready", baseUrl));
    assert.equal(body, 'event: message\ndata: {"n":1}\n\n');
  });
});
