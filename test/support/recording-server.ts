/**
 * An HTTP server on loopback that records every request exactly as it
 * arrived (method, raw target, headers, body bytes) and answers as a test
 * tells it to: the peer for tests of what a client puts on the wire.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** One request as received. */
export interface RecordedRequest {
  readonly method: string;
  /** The request target as sent: path and query, nothing decoded. */
  readonly target: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** How to answer a request; default: 200 with `{"ok":true}`. */
export type Responder = (request: RecordedRequest, response: ServerResponse) => void;

export interface RecordingServer {
  /** `http://127.0.0.1:<port>`. */
  readonly origin: string;
  readonly requests: RecordedRequest[];
  /** Replaces how requests are answered (until the next call). */
  respond(responder: Responder): void;
  /** Forgets the recorded requests and goes back to the default answer. */
  reset(): void;
  close(): Promise<void>;
}

const answerOk: Responder = (_request, response) => {
  response.writeHead(200, { "content-type": "application/json" });
  response.end('{"ok":true}');
};

/** Starts a recording server on a free loopback port. */
export async function startRecordingServer(): Promise<RecordingServer> {
  const requests: RecordedRequest[] = [];
  let responder = answerOk;
  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const recorded = { method: request.method ?? "", target: request.url ?? "", headers: request.headers, body: Buffer.concat(chunks) };
      requests.push(recorded);
      responder(recorded, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    respond(next) {
      responder = next;
    },
    reset() {
      requests.length = 0;
      responder = answerOk;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
