/**
 * `fetch` for downstream MCP servers with every response body counted while
 * it streams: a server that answers with 100 MB (by mistake or on purpose)
 * costs the kit at most the limit in memory, and the connection is dropped
 * as soon as the limit is passed, whatever Content-Length said.
 *
 * The MCP client reads bodies itself (JSON at once, SSE as a stream), so the
 * limit is one stream transform between the network and the client. The
 * client wraps errors of its own, so the refusal is also reported through
 * `onRefused`, which lets the caller end the call at once and say why.
 */

/** A downstream response bigger than the kit accepts. */
export class ResponseTooLargeError extends Error {
  readonly code = "DOWNSTREAM_RESPONSE_TOO_LARGE";
  constructor(readonly limitBytes: number) {
    super(`The response is larger than ${limitBytes} bytes.`);
    this.name = "ResponseTooLargeError";
  }
}

/**
 * `fetch`, with each response body limited to `limitBytes` (counted over the
 * whole body: an SSE stream of many small events counts as one body).
 */
export function boundedFetch(limitBytes: number, onRefused: (error: ResponseTooLargeError) => void, base: typeof fetch = fetch): typeof fetch {
  return async (input, init) => {
    const response = await base(input, init);
    const declared = Number(response.headers.get("content-length"));
    if (Number.isFinite(declared) && declared > limitBytes) {
      const error = new ResponseTooLargeError(limitBytes);
      onRefused(error);
      await response.body?.cancel(error).catch(() => undefined);
      throw error;
    }
    if (response.body === null) return response;
    let received = 0;
    const counted = response.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          received += chunk.byteLength;
          if (received > limitBytes) {
            const error = new ResponseTooLargeError(limitBytes);
            onRefused(error);
            // Erroring the transform cancels the network body: the rest is never read.
            controller.error(error);
            return;
          }
          controller.enqueue(chunk);
        },
      }),
    );
    return new Response(counted, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
}
