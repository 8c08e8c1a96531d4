/**
 * Sealed values: how the authorization-server facade keeps state without a
 * database. Client registrations, pending authorizations, authorization codes
 * and refresh tokens travel inside the protocol's own fields, encrypted and
 * authenticated, so any instance can read what another instance wrote and a
 * client can neither read nor alter them.
 *
 * A sealed value is a compact JWE (jose): `dir` + `A256GCM` under a key of the
 * keyring, the key id in the protected header, a `typ` naming the purpose, and
 * an `exp` claim. The header is authenticated data of the encryption, so a
 * value sealed for one purpose (a code) cannot be replayed as another (a
 * refresh token). See lib/oauth/SEALED-FORMATS.md for every format.
 */
import { randomBytes } from "node:crypto";
import { base64url, decodeProtectedHeader, EncryptJWT, errors, jwtDecrypt } from "jose";

/** What a sealed value is for. Each purpose has its own `typ`, checked on unsealing. */
export type SealPurpose = "client" | "consent" | "authorization" | "code" | "refresh" | "approvals";

/** Why a sealed value was refused. */
export type UnsealFailure = "malformed" | "unknown_key" | "tampered" | "expired" | "wrong_purpose";

export class UnsealError extends Error {
  readonly code = "UNSEAL_FAILED";
  constructor(
    readonly reason: UnsealFailure,
    readonly purpose: SealPurpose,
  ) {
    super(`Sealed ${purpose} refused: ${reason}`);
    this.name = "UnsealError";
  }
}

/** The sealing keys: the current one seals, every one listed unseals (rotation without breaking anyone). */
export interface Keyring {
  readonly current: string;
  /** Key id → 32-byte key. */
  readonly keys: ReadonlyMap<string, Uint8Array>;
}

/** Thrown for a keyring that cannot be used. Never includes key material. */
export class KeyringError extends Error {
  readonly code = "KEYRING_INVALID";
  constructor(problem: string) {
    super(`Sealing keyring: ${problem}`);
    this.name = "KeyringError";
  }
}

const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * Parses a keyring document: `{"current":"2026-11","keys":{"2026-11":"<base64url of 32 bytes>","2026-05":"..."}}`.
 * @throws KeyringError
 */
export function parseKeyring(json: string): Keyring {
  let document: unknown;
  try {
    document = JSON.parse(json);
  } catch {
    throw new KeyringError('not JSON; expected {"current":"<key id>","keys":{"<key id>":"<base64url of 32 random bytes>"}}');
  }
  const { current, keys } = (document ?? {}) as { current?: unknown; keys?: unknown };
  if (typeof current !== "string" || typeof keys !== "object" || keys === null) {
    throw new KeyringError('expected {"current":"<key id>","keys":{"<key id>":"<base64url of 32 random bytes>"}}');
  }
  const parsed = new Map<string, Uint8Array>();
  for (const [kid, encoded] of Object.entries(keys)) {
    if (!KEY_ID.test(kid)) throw new KeyringError(`key id ${JSON.stringify(kid)} must be 1-64 characters of A-Z a-z 0-9 . _ -`);
    let key: Uint8Array;
    try {
      key = typeof encoded === "string" ? base64url.decode(encoded) : new Uint8Array();
    } catch {
      key = new Uint8Array();
    }
    if (key.byteLength !== 32) throw new KeyringError(`key ${kid} must be 32 bytes, base64url-encoded`);
    parsed.set(kid, key);
  }
  if (!parsed.has(current)) throw new KeyringError(`the current key ${JSON.stringify(current)} is not among the keys`);
  return { current, keys: parsed };
}

/** A fresh keyring with one random key, as JSON: for development and for the deployment hook. */
export function generateKeyringJson(kid = `k${new Date().toISOString().slice(0, 10)}`): string {
  return JSON.stringify({ current: kid, keys: { [kid]: base64url.encode(randomBytes(32)) } });
}

/**
 * Seals and unseals values for the facade.
 *
 * @example
 * const sealer = new Sealer(keyring);
 * const code = await sealer.seal("code", { client: clientId }, 300);
 * const { client } = await sealer.unseal<{ client: string }>("code", code);
 */
export class Sealer {
  constructor(private readonly keyring: Keyring) {}

  /** Encrypts `payload` for `purpose`, valid for `ttlSeconds`. */
  async seal(purpose: SealPurpose, payload: Record<string, unknown>, ttlSeconds: number): Promise<string> {
    const kid = this.keyring.current;
    const now = Math.floor(Date.now() / 1000);
    return new EncryptJWT(payload)
      .setProtectedHeader({ alg: "dir", enc: "A256GCM", kid, typ: typeOf(purpose) })
      .setIssuedAt(now)
      .setExpirationTime(now + ttlSeconds)
      .encrypt(this.keyring.keys.get(kid)!);
  }

  /**
   * Decrypts a value sealed for `purpose`.
   * @throws UnsealError naming why (malformed, unknown key, tampered, expired, wrong purpose).
   */
  async unseal<T extends object>(purpose: SealPurpose, sealed: string): Promise<T & { iat: number; exp: number }> {
    if (!isCanonical(sealed)) throw new UnsealError("malformed", purpose);
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(sealed);
    } catch {
      throw new UnsealError("malformed", purpose);
    }
    if (header.alg !== "dir" || header.enc !== "A256GCM" || typeof header.kid !== "string") throw new UnsealError("malformed", purpose);
    if (header.typ !== typeOf(purpose)) throw new UnsealError("wrong_purpose", purpose);
    const key = this.keyring.keys.get(header.kid);
    if (key === undefined) throw new UnsealError("unknown_key", purpose);
    try {
      const { payload } = await jwtDecrypt(sealed, key, {
        keyManagementAlgorithms: ["dir"],
        contentEncryptionAlgorithms: ["A256GCM"],
        typ: typeOf(purpose),
        requiredClaims: ["exp", "iat"],
        clockTolerance: 0,
      });
      return payload as T & { iat: number; exp: number };
    } catch (error) {
      if (error instanceof errors.JWTExpired) throw new UnsealError("expired", purpose);
      if (error instanceof errors.JWEDecryptionFailed) throw new UnsealError("tampered", purpose);
      throw new UnsealError("malformed", purpose);
    }
  }
}

const SEGMENT = /^[A-Za-z0-9_-]*$/;

/**
 * Whether `sealed` is five base64url segments, each in its one canonical
 * spelling. Base64url leaves spare bits in a segment's last character, which
 * decoders ignore; without this check a few altered spellings of a sealed
 * value would unseal to the same content, so "any change is refused" would
 * hold for the content but not for the string.
 */
function isCanonical(sealed: string): boolean {
  const segments = sealed.split(".");
  try {
    return segments.length === 5 && segments.every((segment) => SEGMENT.test(segment) && base64url.encode(base64url.decode(segment)) === segment);
  } catch {
    return false;
  }
}

function typeOf(purpose: SealPurpose): string {
  return `mcpkit-${purpose}+jwt`;
}
