/**
 * The encrypted form of an OBO result in the shared store (and, through
 * `sealBytes` / `openBytes`, of the facade's refresh-token ledger records).
 *
 * Layout: `0x01 ‖ iv (12 bytes) ‖ AES-256-GCM ciphertext ‖ tag (16 bytes)`.
 * The key comes from the assertion (see keys.ts); the additional
 * authenticated data is the entry's lookup id, so a value copied under
 * another id fails to open even by someone who could derive that id's key.
 * The plaintext is a small JSON object; its `until` is authoritative: the
 * expiry stored beside the value in plain (for the store's own expiry and
 * clean-up) could be altered by whoever can write to the store, this one
 * cannot.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

const FORMAT_VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const AAD_PREFIX = "mcp-functions-kit/obo-cache/v1/value\0";

/** What is sealed: the token and the instants that bound its use. */
export interface EnvelopePayload {
  readonly accessToken: string;
  /** Token expiry, ms since the epoch. */
  readonly expiresOn: number;
  /** End of the entry's use, ms since the epoch (already includes margin and assertion expiry). */
  readonly until: number;
  readonly scopes?: readonly string[];
  readonly tokenType?: string;
}

/** A stored value that is not a value this code sealed under this key and id. */
export class EnvelopeRejectedError extends Error {
  readonly code = "OBO_CACHE_VALUE_REJECTED";
  constructor(reason: string) {
    super(`Stored value rejected: ${reason}`);
    this.name = "EnvelopeRejectedError";
  }
}

/**
 * Encrypts `payload` under `key` (32 bytes), bound to `lookupId`.
 *
 * @example
 * const sealed = sealEnvelope(key, id, { accessToken, expiresOn, until });
 * openEnvelope(key, id, sealed).accessToken === accessToken; // true
 */
export function sealEnvelope(key: Uint8Array, lookupId: string, payload: EnvelopePayload): Uint8Array {
  const plaintext = Buffer.from(
    JSON.stringify({
      t: payload.accessToken,
      e: payload.expiresOn,
      u: payload.until,
      ...(payload.scopes === undefined ? {} : { s: payload.scopes }),
      ...(payload.tokenType === undefined ? {} : { k: payload.tokenType }),
    }),
  );
  return sealBytes(key, aad(lookupId), plaintext);
}

/**
 * The envelope format for any plaintext: `0x01 ‖ iv ‖ AES-256-GCM ciphertext ‖ tag`
 * under `key` (32 bytes), bound to `additionalData`. Other stored values of
 * the kit (the facade's refresh-token ledger) use it with their own
 * additional data, so a value of one kind never opens as another.
 *
 * @example
 * const sealed = sealBytes(key, Buffer.from("label\0" + id), Buffer.from("{}"));
 * openBytes(key, Buffer.from("label\0" + id), sealed).toString(); // "{}"
 */
export function sealBytes(key: Uint8Array, additionalData: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(additionalData);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Buffer.of(FORMAT_VERSION), iv, ciphertext, cipher.getAuthTag()]);
}

/**
 * Decrypts what {@link sealBytes} sealed under the same key and additional data.
 * @throws EnvelopeRejectedError when the version or the tag is wrong.
 */
export function openBytes(key: Uint8Array, additionalData: Uint8Array, sealed: Uint8Array): Buffer {
  if (sealed.length < 1 + IV_BYTES + TAG_BYTES + 2) throw new EnvelopeRejectedError("too short");
  if (sealed[0] !== FORMAT_VERSION) throw new EnvelopeRejectedError(`unknown format ${sealed[0]}`);
  const bytes = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  const iv = bytes.subarray(1, 1 + IV_BYTES);
  const tag = bytes.subarray(bytes.length - TAG_BYTES);
  const ciphertext = bytes.subarray(1 + IV_BYTES, bytes.length - TAG_BYTES);
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(additionalData);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    throw new EnvelopeRejectedError("authentication failed");
  }
}

/**
 * Decrypts a value sealed by {@link sealEnvelope} under the same key and id.
 * @throws EnvelopeRejectedError when the version, the tag or the shape is wrong.
 */
export function openEnvelope(key: Uint8Array, lookupId: string, sealed: Uint8Array): EnvelopePayload {
  const plaintext = openBytes(key, aad(lookupId), sealed);
  let parsed: unknown;
  try {
    parsed = JSON.parse(plaintext.toString("utf8"));
  } catch {
    throw new EnvelopeRejectedError("not JSON");
  }
  return toPayload(parsed);
}

function toPayload(value: unknown): EnvelopePayload {
  if (typeof value !== "object" || value === null) throw new EnvelopeRejectedError("not an object");
  const { t, e, u, s, k } = value as Record<string, unknown>;
  if (typeof t !== "string" || t === "") throw new EnvelopeRejectedError("no token");
  if (typeof e !== "number" || !Number.isFinite(e) || typeof u !== "number" || !Number.isFinite(u)) {
    throw new EnvelopeRejectedError("no expiry");
  }
  if (s !== undefined && !(Array.isArray(s) && s.every((scope) => typeof scope === "string"))) {
    throw new EnvelopeRejectedError("bad scopes");
  }
  if (k !== undefined && typeof k !== "string") throw new EnvelopeRejectedError("bad token type");
  return {
    accessToken: t,
    expiresOn: e,
    until: u,
    ...(s === undefined ? {} : { scopes: s as string[] }),
    ...(k === undefined ? {} : { tokenType: k }),
  };
}

function aad(lookupId: string): Buffer {
  return Buffer.from(AAD_PREFIX + lookupId, "utf8");
}
