/**
 * The load driver: `tools/call` requests over loopback HTTP/1.1 with
 * keep-alive, `concurrency` at a time, each one timed from the moment it is
 * written until its last byte is read.
 */
import { Agent, request as httpRequest } from "node:http";
import { performance } from "node:perf_hooks";
import type { ToolCallRequest } from "./protocol.js";

/** Where the requests go and how an answer is judged. */
export interface LoadTarget {
  readonly url: URL;
  readonly request: ToolCallRequest;
  /** Extra headers for call number `index` (the signed-in case rotates users' tokens). */
  readonly headersFor?: (index: number) => Readonly<Record<string, string>>;
  readonly isSuccess: (status: number, body: string) => boolean;
}

/** What one burst of requests measured. */
export interface LoadResult {
  /** Milliseconds per request, in completion order. */
  readonly latenciesMs: Float64Array;
  /** Wall-clock time of the whole burst. */
  readonly elapsedMs: number;
}

/** A keep-alive agent for one target and concurrency; reuse it so that connections stay warm. */
export function keepAliveAgent(concurrency: number): Agent {
  return new Agent({ keepAlive: true, maxSockets: concurrency, maxFreeSockets: concurrency, scheduling: "fifo" });
}

/** Thrown when the server answers anything but the expected result: a benchmark of failures means nothing. */
export class UnexpectedAnswerError extends Error {
  constructor(target: URL, status: number, body: string) {
    super(`${target.href} answered ${status}: ${body.slice(0, 300)}`);
    this.name = "UnexpectedAnswerError";
  }
}

/**
 * Sends `count` requests, `concurrency` in flight at any time.
 * @throws UnexpectedAnswerError on the first answer that is not a success.
 */
export async function drive(target: LoadTarget, agent: Agent, count: number, concurrency: number, firstIndex = 0): Promise<LoadResult> {
  const latencies = new Float64Array(count);
  let issued = 0;
  let done = 0;
  const started = performance.now();
  const worker = async (): Promise<void> => {
    while (issued < count) {
      const index = issued++;
      const sent = performance.now();
      const { status, body } = await send(target, agent, firstIndex + index);
      latencies[done++] = performance.now() - sent;
      if (!target.isSuccess(status, body)) throw new UnexpectedAnswerError(target.url, status, body);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return { latenciesMs: latencies, elapsedMs: performance.now() - started };
}

function send(target: LoadTarget, agent: Agent, index: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers = target.headersFor === undefined ? target.request.headers : { ...target.request.headers, ...target.headersFor(index) };
    const outgoing = httpRequest(
      { agent, method: "POST", host: target.url.hostname, port: target.url.port, path: target.url.pathname, headers },
      (incoming) => {
        const chunks: Buffer[] = [];
        incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
        incoming.on("end", () => resolve({ status: incoming.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
        incoming.on("error", reject);
      },
    );
    outgoing.on("error", reject);
    outgoing.end(target.request.body);
  });
}
