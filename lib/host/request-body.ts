/**
 * A request's body for the handler, and what happens to the part of it the
 * handler did not read.
 *
 * Handlers read bodies as web streams and stop at their size limit by
 * cancelling the stream (lib/http.ts `readBodyLimited`); some refuse a request
 * without reading its body at all (a 401 at /mcp, a Content-Length over the
 * limit). Node's own `Readable.toWeb` destroys the socket on cancel, which
 * reset the client's keep-alive connection right after (or before) the 413
 * it had been sent. Here cancelling only stops the reading, and once the
 * response is ready the host settles the rest of the body:
 *
 * - read to its end: nothing to do;
 * - at most {@link DRAIN_LIMIT_BYTES} announced by Content-Length: read and
 *   dropped, so the connection stays open for the client's next request;
 * - more, or of unknown length (chunked): the response says
 *   `Connection: close`, and the connection closes cleanly after it (a
 *   lingering close: the host stops writing, goes on dropping what the client
 *   still sends for up to {@link LINGER_MS}, then closes), so that no reset
 *   can destroy the response before the client has read it.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";

/** Most unread body bytes (by Content-Length) the host reads and drops to keep a connection. */
export const DRAIN_LIMIT_BYTES = 1024 * 1024;
/** Longest time a connection closed over an unread body keeps dropping what the client still sends. */
export const LINGER_MS = 2000;

/** A request body as a web stream, fed from the socket until the handler has enough. */
export class RequestBody {
  readonly stream: ReadableStream<Uint8Array>;
  #detach: () => void = () => undefined;

  constructor(private readonly incoming: IncomingMessage) {
    this.stream = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          const onData = (chunk: Buffer): void => {
            controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
            // Backpressure: the socket waits until the handler asks for more.
            if ((controller.desiredSize ?? 0) <= 0) incoming.pause();
          };
          const onEnd = (): void => {
            this.#detach();
            controller.close();
          };
          const onError = (error: Error): void => {
            this.#detach();
            controller.error(error);
          };
          incoming.on("data", onData);
          incoming.once("end", onEnd);
          incoming.once("error", onError);
          incoming.pause();
          this.#detach = () => {
            incoming.off("data", onData);
            incoming.off("end", onEnd);
            incoming.off("error", onError);
            this.#detach = () => undefined;
          };
        },
        pull: () => {
          incoming.resume();
        },
        cancel: () => {
          // The handler has read enough; the rest of the body is settled with the response.
          this.#detach();
          incoming.pause();
        },
      },
      { highWaterMark: 64 * 1024, size: (chunk) => chunk.byteLength },
    );
  }

  /**
   * Called once the response is ready, before its headers are written:
   * drains a small unread rest, or marks the response `Connection: close`
   * and closes the connection cleanly after it.
   */
  settle(outgoing: ServerResponse): void {
    const incoming = this.incoming;
    if (incoming.complete) return;
    this.#detach();
    const declared = Number(incoming.headers["content-length"]);
    if (Number.isFinite(declared) && declared <= DRAIN_LIMIT_BYTES) {
      incoming.resume();
      return;
    }
    outgoing.setHeader("Connection", "close");
    const socket = incoming.socket;
    // Node closes a `Connection: close` response's socket with destroySoon once the response is
    // written; for this socket, closing means a lingering close.
    socket.destroySoon = () => lingeringClose(socket);
    incoming.resume();
  }
}

/** Ends our side, drops whatever the client still sends, and closes when it stops or after LINGER_MS. */
function lingeringClose(socket: Socket): void {
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  timer.unref();
  socket.once("close", () => clearTimeout(timer));
  socket.once("end", () => socket.destroy());
  socket.end();
  socket.resume();
}
