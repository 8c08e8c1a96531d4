/**
 * The stand-in's token signing keys: RS256 keys published at
 * `/{tenant}/discovery/v2.0/keys` in Entra's JWKS shape (`kid` = `x5t`, an
 * `x5c` certificate, `issuer`).
 *
 * Rotation works as in Entra: a new key becomes current and signs from then
 * on; older keys stay published so tokens they signed keep validating, until
 * they are retired (explicitly, or a configured time after the rotation).
 * A retired key is gone from the JWKS and the stand-in's own verifiers
 * (OBO assertions, the fake Graph) stop accepting its tokens too.
 */
import { X509Certificate, createHash, generateKeyPair as generateRsaKeyPair, type KeyObject } from "node:crypto";
import { promisify } from "node:util";
import { exportJWK } from "jose";
import { generate } from "selfsigned";

const generateRsa = promisify(generateRsaKeyPair);

export interface SigningKey {
  /** Equal to `x5t`, like Entra's keys. */
  readonly kid: string;
  readonly x5t: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** Base64 DER certificate (`x5c[0]`). */
  readonly certificate: string;
  readonly createdAt: number;
}

/** One JWKS entry as Entra publishes it. */
export interface EntraJwk {
  readonly kty: "RSA";
  readonly use: "sig";
  readonly kid: string;
  readonly x5t: string;
  readonly n: string;
  readonly e: string;
  readonly x5c: readonly string[];
  readonly issuer: string;
}

/** Status of a key, for tests and the CLI. */
export interface SigningKeyInfo {
  readonly kid: string;
  readonly current: boolean;
  readonly published: boolean;
  readonly createdAt: Date;
  readonly retiresAt?: Date;
}

/** Creates an RS256 key with a self-signed certificate around it (for `x5c`/`x5t`). */
export async function createSigningKey(now: number): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateRsa("rsa", { modulusLength: 2048 });
  const pems = await generate([{ name: "commonName", value: "Local Entra stand-in token signing" }], {
    keyPair: {
      privateKey: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
      publicKey: publicKey.export({ type: "spki", format: "pem" }).toString(),
    },
    algorithm: "sha256",
    notBeforeDate: new Date(now - 86_400_000),
    notAfterDate: new Date(now + 5 * 365 * 86_400_000),
  });
  const der = new X509Certificate(pems.cert).raw;
  const x5t = createHash("sha1").update(der).digest("base64url");
  return { kid: x5t, x5t, privateKey, publicKey, certificate: der.toString("base64"), createdAt: now };
}

/** The current signing key and the older ones still published. */
export class SigningKeyring {
  #keys: SigningKey[];
  #retireAt = new Map<string, number>();
  #retired = new Set<string>();

  private constructor(
    first: SigningKey,
    private readonly clock: () => number,
  ) {
    this.#keys = [first];
  }

  /** A keyring with one current key. */
  static async create(clock: () => number): Promise<SigningKeyring> {
    return new SigningKeyring(await createSigningKey(clock()), clock);
  }

  /** The key that signs new tokens. */
  get current(): SigningKey {
    return this.#keys[this.#keys.length - 1]!;
  }

  /** Keys in the JWKS now: not retired, and not past a scheduled retirement. */
  published(): SigningKey[] {
    const now = this.clock();
    return this.#keys.filter((key) => !this.#retired.has(key.kid) && !((this.#retireAt.get(key.kid) ?? Infinity) <= now)).reverse();
  }

  /** A published key by `kid`; undefined when unknown or retired. */
  find(kid: string): SigningKey | undefined {
    return this.published().find((key) => key.kid === kid);
  }

  /**
   * Adds a new current key. The previous keys stay published; with
   * `retirePreviousAfterMs` they leave the JWKS that long after now.
   */
  async rotate(retirePreviousAfterMs?: number): Promise<SigningKey> {
    const key = await createSigningKey(this.clock());
    if (retirePreviousAfterMs !== undefined) {
      const at = this.clock() + retirePreviousAfterMs;
      for (const old of this.#keys) if (!this.#retireAt.has(old.kid)) this.#retireAt.set(old.kid, at);
    }
    this.#keys.push(key);
    return key;
  }

  /** Removes a key from the JWKS at once. Retiring the current key is refused: rotate first. */
  retire(kid: string): void {
    if (kid === this.current.kid) throw new Error("Refusing to retire the current signing key; rotate first.");
    if (!this.#keys.some((key) => key.kid === kid)) throw new Error(`No signing key with kid '${kid}'.`);
    this.#retired.add(kid);
  }

  /** Every key ever created here, newest first, with its state. */
  info(): SigningKeyInfo[] {
    const published = new Set(this.published().map((key) => key.kid));
    return [...this.#keys].reverse().map((key) => {
      const retiresAt = this.#retireAt.get(key.kid);
      return {
        kid: key.kid,
        current: key === this.current,
        published: published.has(key.kid),
        createdAt: new Date(key.createdAt),
        ...(retiresAt === undefined ? {} : { retiresAt: new Date(retiresAt) }),
      };
    });
  }

  /** The JWKS document, each key naming `issuer` as Entra does. */
  async jwks(issuer: string): Promise<{ keys: EntraJwk[] }> {
    const keys = await Promise.all(
      this.published().map(async (key): Promise<EntraJwk> => {
        const jwk = await exportJWK(key.publicKey);
        return { kty: "RSA", use: "sig", kid: key.kid, x5t: key.x5t, n: jwk.n!, e: jwk.e!, x5c: [key.certificate], issuer };
      }),
    );
    return { keys };
  }
}
