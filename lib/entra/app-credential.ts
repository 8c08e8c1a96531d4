/**
 * How this app proves its identity to Entra when it redeems codes, refreshes
 * tokens and exchanges them On-Behalf-Of.
 *
 * One interface, three credentials, in the design's order of preference:
 *
 * 1. A managed identity federated credential: the app registration trusts a
 *    user-assigned managed identity, whose token for `api://AzureADTokenExchange`
 *    is the client assertion. No secret exists anywhere.
 * 2. A certificate (from Key Vault): a signed client assertion.
 * 3. A client secret (from Key Vault, or the environment locally).
 *
 * Callers see only the form fields to add to a token request.
 */
import { createHash, createPrivateKey, randomUUID, X509Certificate } from "node:crypto";
import type { TokenCredential } from "@azure/core-auth";
import type { CryptoKey } from "jose";
import { untilAborted, withDeadline } from "../abort.js";
import type { Logger } from "../log.js";
import { SecretUnavailableError } from "../secrets/source.js";
import { loadJose } from "./jose.js";

export interface AppCredential {
  /** For logs and errors. */
  readonly kind: "secret" | "certificate" | "managed-identity";
  /** The form fields that authenticate the app at `tokenEndpoint` (`client_secret`, or `client_assertion` + its type). */
  tokenRequestFields(tokenEndpoint: URL, signal?: AbortSignal): Promise<Record<string, string>>;
}

const ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/** A client secret. Locally from the environment; in Azure prefer the managed identity credential. */
export class ClientSecretCredential implements AppCredential {
  readonly kind = "secret";
  constructor(private readonly secret: () => Promise<string>) {}

  async tokenRequestFields(): Promise<Record<string, string>> {
    return { client_secret: await this.secret() };
  }
}

/**
 * A certificate: a client assertion signed with its private key (PS256,
 * `x5t#S256`). `pem` yields the PEM holding the private key and the
 * certificate, as Key Vault exposes a PEM certificate through its secret.
 */
export class CertificateCredential implements AppCredential {
  readonly kind = "certificate";
  private loaded: { pem: string; key: CryptoKey; thumbprint: string } | undefined;

  constructor(
    private readonly clientId: string,
    private readonly pem: () => Promise<string>,
    private readonly secretName: string,
  ) {}

  async tokenRequestFields(tokenEndpoint: URL): Promise<Record<string, string>> {
    const { key, thumbprint } = await this.load();
    const { SignJWT } = await loadJose();
    const now = Math.floor(Date.now() / 1000);
    const assertion = await new SignJWT({ jti: randomUUID() })
      .setProtectedHeader({ alg: "PS256", typ: "JWT", "x5t#S256": thumbprint })
      .setIssuer(this.clientId)
      .setSubject(this.clientId)
      .setAudience(tokenEndpoint.href)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + 600)
      .sign(key);
    return { client_assertion_type: ASSERTION_TYPE, client_assertion: assertion };
  }

  private async load(): Promise<{ key: CryptoKey; thumbprint: string }> {
    const pem = await this.pem();
    if (this.loaded?.pem === pem) return this.loaded;
    const certificate = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)?.[0];
    if (certificate === undefined) throw new SecretUnavailableError(this.secretName, "holds no PEM certificate");
    let privateKeyPem: string;
    try {
      privateKeyPem = createPrivateKey(pem).export({ type: "pkcs8", format: "pem" }).toString();
    } catch (cause) {
      throw new SecretUnavailableError(this.secretName, "holds no usable private key", { cause });
    }
    const thumbprint = createHash("sha256").update(new X509Certificate(certificate).raw).digest("base64url");
    this.loaded = { pem, key: await (await loadJose()).importPKCS8(privateKeyPem, "PS256"), thumbprint };
    return this.loaded;
  }
}

/** The audience of federated credential tokens, per cloud. */
export function tokenExchangeAudience(authorityHost: URL): string {
  if (authorityHost.hostname.endsWith("microsoftonline.us")) return "api://AzureADTokenExchangeUSGov";
  if (authorityHost.hostname.endsWith("chinacloudapi.cn")) return "api://AzureADTokenExchangeChina";
  return "api://AzureADTokenExchange";
}

/** Refresh the managed identity's token this long before it expires. */
const ASSERTION_REFRESH_MARGIN_MS = 5 * 60 * 1000;
/** A cached token this close to its expiry is no longer handed out, even while the identity endpoint is down. */
const ASSERTION_EXPIRY_SKEW_MS = 60 * 1000;
/** Default deadline of one identity token request. */
const DEFAULT_ASSERTION_TIMEOUT_MS = 10_000;

/**
 * The managed identity federated credential: the user-assigned identity's
 * token for the token-exchange audience is the client assertion. The token is
 * cached until shortly before it expires and fetched once under concurrency,
 * so a burst of OBO exchanges costs one identity request.
 *
 * Every fetch has a deadline enforced here: `@azure/identity`'s
 * ManagedIdentityCredential does not pass the abort signal on to MSAL, so a
 * hung identity endpoint would otherwise hang every OBO exchange sharing the
 * fetch. While the endpoint fails, a cached token that has not expired keeps
 * serving.
 */
export class ManagedIdentityCredential implements AppCredential {
  readonly kind = "managed-identity";
  private cached: { token: string; refreshAt: number; usableUntil: number } | undefined;
  private pending: Promise<string> | undefined;
  private credential: TokenCredential | undefined;

  /**
   * @param identityClientId client id of the user-assigned identity trusted by the app registration
   * @param audience the token-exchange audience (see {@link tokenExchangeAudience})
   * @param createCredential makes the identity credential; default `@azure/identity`'s ManagedIdentityCredential, loaded on first use
   * @param timeoutMs deadline of one identity token request (default 10 seconds)
   */
  constructor(
    private readonly identityClientId: string,
    private readonly audience: string,
    private readonly log: Logger,
    private readonly createCredential: (clientId: string) => Promise<TokenCredential> = defaultManagedIdentity,
    private readonly timeoutMs: number = DEFAULT_ASSERTION_TIMEOUT_MS,
  ) {}

  async tokenRequestFields(_tokenEndpoint?: URL, signal?: AbortSignal): Promise<Record<string, string>> {
    return { client_assertion_type: ASSERTION_TYPE, client_assertion: await this.assertion(signal) };
  }

  private async assertion(signal: AbortSignal | undefined): Promise<string> {
    const cached = this.cached;
    if (cached !== undefined && Date.now() < cached.refreshAt) return cached.token;
    this.pending ??= this.fetchAssertion().finally(() => {
      this.pending = undefined;
    });
    try {
      // The fetch is shared: one caller giving up stops its own wait, not the fetch.
      return await untilAborted(this.pending, signal);
    } catch (error) {
      if (signal?.aborted !== true && cached !== undefined && Date.now() < cached.usableUntil) return cached.token;
      throw error;
    }
  }

  private async fetchAssertion(): Promise<string> {
    let token: Awaited<ReturnType<TokenCredential["getToken"]>>;
    try {
      this.credential ??= await this.createCredential(this.identityClientId);
      const credential = this.credential;
      token = await withDeadline(this.timeoutMs, () => new IdentityTimeoutError(this.timeoutMs), (abortSignal) => credential.getToken(`${this.audience}/.default`, { abortSignal }));
    } catch (error) {
      this.log.error("entra.managed_identity_failed", { identityClientId: this.identityClientId, error, servingCached: this.cached !== undefined && Date.now() < this.cached.usableUntil });
      throw new SecretUnavailableError("managed-identity-assertion", "the managed identity endpoint did not issue a token", { cause: error });
    }
    if (token === null) throw new SecretUnavailableError("managed-identity-assertion", "the managed identity endpoint returned no token");
    this.cached = {
      token: token.token,
      refreshAt: Math.max(Date.now(), token.expiresOnTimestamp - ASSERTION_REFRESH_MARGIN_MS),
      usableUntil: token.expiresOnTimestamp - ASSERTION_EXPIRY_SKEW_MS,
    };
    return token.token;
  }
}

/** Thrown when a call to the identity endpoint outlives its deadline. */
export class IdentityTimeoutError extends Error {
  readonly code = "IDENTITY_TIMEOUT";
  constructor(readonly timeoutMs: number) {
    super(`The managed identity endpoint did not answer within ${timeoutMs} ms`);
    this.name = "IdentityTimeoutError";
  }
}

async function defaultManagedIdentity(clientId: string): Promise<TokenCredential> {
  // Loaded on first use: @azure/identity is heavy and most requests never need it.
  const identity = await import("@azure/identity");
  return new identity.ManagedIdentityCredential({ clientId });
}
