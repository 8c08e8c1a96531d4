/**
 * A fake Application Insights ingestion endpoint (the `IngestionEndpoint` of
 * a connection string): `POST /v2.1/track` with a JSON array of envelopes,
 * gzip-compressed or not, as the Azure Monitor exporter sends them. Served
 * over HTTPS with the development certificate, as the real one is over TLS.
 *
 * It records each batch: the envelopes, the raw text (for searching it for
 * credentials) and the `Authorization` header (Entra authentication sends a
 * bearer token for `https://monitor.azure.com`). Everything is accepted.
 * With `{ keepBatches: false }` (the benchmark, which sends tens of thousands
 * of spans) it only counts the envelopes.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { gunzipSync } from "node:zlib";
import { sendJson } from "../http.js";
import { createLoopbackListener, type LoopbackListener } from "../listener.js";
import { ensureDevTls } from "../tls.js";

/** One telemetry item as the exporter sends it (the fields tests read). */
export interface Envelope {
  readonly name: string;
  readonly time: string;
  readonly iKey?: string;
  readonly tags?: Readonly<Record<string, string>>;
  readonly data?: { readonly baseType?: string; readonly baseData?: Readonly<Record<string, unknown>> };
}

/** One POST the endpoint received. */
export interface IngestionBatch {
  readonly at: number;
  readonly path: string;
  /** The Authorization header, as sent. */
  readonly authorization: string | undefined;
  /** The decompressed body. */
  readonly text: string;
  readonly envelopes: readonly Envelope[];
}

const MAX_BODY_BYTES = 8 * 1024 * 1024;

/** A running fake ingestion endpoint. Create with {@link startFakeIngestion}. */
export class FakeIngestion {
  readonly batches: IngestionBatch[] = [];
  /** Envelopes received so far, kept or not. */
  envelopeCount = 0;
  readonly #listener: LoopbackListener;
  readonly #keepBatches: boolean;

  /** @internal Use {@link startFakeIngestion}. */
  constructor(tls: { cert: string; key: string }, keepBatches: boolean) {
    this.#keepBatches = keepBatches;
    this.#listener = createLoopbackListener({
      handler: (request, response) => {
        this.#handle(request, response).catch((error: unknown) => {
          if (!response.headersSent) sendJson(response, 400, { itemsReceived: 0, itemsAccepted: 0, errors: [{ index: 0, statusCode: 400, message: String(error) }] });
        });
      },
      tls,
    });
  }

  /** `https://localhost:<port>`: the connection string's IngestionEndpoint. */
  get origin(): string {
    return this.#listener.origin;
  }

  /** A connection string pointing at this endpoint. */
  connectionString(instrumentationKey: string): string {
    return `InstrumentationKey=${instrumentationKey};IngestionEndpoint=${this.origin}/;LiveEndpoint=${this.origin}/`;
  }

  /** Every envelope received so far. */
  get envelopes(): Envelope[] {
    return this.batches.flatMap((batch) => batch.envelopes);
  }

  async start(): Promise<void> {
    await this.#listener.start();
  }

  async close(): Promise<void> {
    await this.#listener.stop();
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of request) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY_BYTES) throw new Error("body too large");
      chunks.push(chunk as Buffer);
    }
    const raw = Buffer.concat(chunks);
    const gzipped = (request.headers["content-encoding"] ?? "").toLowerCase() === "gzip" || (raw[0] === 0x1f && raw[1] === 0x8b);
    const text = (gzipped ? gunzipSync(raw) : raw).toString("utf8");
    const path = new URL(request.url ?? "/", this.origin).pathname;
    if (request.method !== "POST" || !path.endsWith("/track")) {
      sendJson(response, 404, { error: `no ${request.method} ${path} here` });
      return;
    }
    const parsed = text.trim().startsWith("[") ? (JSON.parse(text) as Envelope[]) : text.split("\n").filter((line) => line.trim() !== "").map((line) => JSON.parse(line) as Envelope);
    this.envelopeCount += parsed.length;
    if (this.#keepBatches) this.batches.push({ at: Date.now(), path, authorization: request.headers.authorization, text, envelopes: parsed });
    sendJson(response, 200, { itemsReceived: parsed.length, itemsAccepted: parsed.length, errors: [] });
  }
}

/**
 * Starts the fake ingestion endpoint on a free loopback port.
 *
 * @example
 * const ingestion = await startFakeIngestion();
 * env.APPLICATIONINSIGHTS_CONNECTION_STRING = ingestion.connectionString(randomUUID());
 */
export async function startFakeIngestion(options: { readonly keepBatches?: boolean } = {}): Promise<FakeIngestion> {
  const tls = await ensureDevTls();
  const ingestion = new FakeIngestion({ cert: tls.cert, key: tls.key }, options.keepBatches ?? true);
  await ingestion.start();
  return ingestion;
}
