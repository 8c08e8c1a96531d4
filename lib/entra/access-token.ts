/**
 * Validation of the bearer token at `/mcp`: an Entra v2 access token issued
 * for this app, checked locally against the tenant's signing keys.
 *
 * The checks, each answering one way a token can be wrong:
 * - RS256 only (no `none`, no HMAC signed with the public key).
 * - No `nonce` in the header: Microsoft Graph tokens carry one and are not
 *   meant for anyone but Graph.
 * - Issuer `{authority host}/{tid}/v2.0`, built from the token's own `tid`,
 *   which must be a GUID and an allowed tenant; `ver` 2.0. A v1 token
 *   (`sts.windows.net` issuer) gets a message telling the operator how to
 *   switch the app registration to v2 tokens.
 * - Audience: this app's client id or identifier URI, nothing else.
 * - `exp` and `nbf` with a small clock skew; `oid` and `tid` present.
 */
import type { JWTPayload } from "jose";
import { isGuid, type EntraSettings } from "../config.js";
import type { EntraAuthority } from "./authority.js";
import { markCachedValidation } from "../telemetry/index.js";
import { loadJose } from "./jose.js";
import type { SigningKeys } from "./signing-keys.js";
import { ValidatedTokenCache } from "./validated-tokens.js";

type JoseErrors = Awaited<ReturnType<typeof loadJose>>["errors"];

/** Signature algorithm names of the JOSE registry (RFC 7518, RFC 8037), the only header values a refusal repeats. */
const JOSE_ALGORITHM = /^(?:none|[HRPE]S(?:256|384|512)|ES256K|EdDSA|Ed25519|Ed448)$/;

/** Clock skew tolerated on `exp` and `nbf`. */
const CLOCK_SKEW_SECONDS = 60;

/** Why a token was refused. `description` is safe to send to the client. */
export class InvalidTokenError extends Error {
  readonly code = "INVALID_TOKEN";
  constructor(
    readonly description: string,
    options?: { cause?: unknown },
  ) {
    super(description, options);
    this.name = "InvalidTokenError";
  }
}

/** A token that passed every check. */
export interface ValidatedToken {
  /** The raw token, for On-Behalf-Of; never logged, never sent to a client. */
  readonly token: string;
  /** Every claim, arrays kept as arrays. */
  readonly claims: Readonly<Record<string, unknown>>;
  readonly tenantId: string;
  readonly objectId: string;
  /** Delegated scope names (`scp`), e.g. ["mcp.access"]. */
  readonly scopes: readonly string[];
  /** App roles (`roles`). */
  readonly roles: readonly string[];
  /** Client application that requested the token (`azp`). */
  readonly clientId: string | undefined;
  /** Expiry, seconds since the epoch. */
  readonly expiresAt: number;
}

export interface AccessTokenValidatorOptions {
  readonly settings: EntraSettings;
  readonly authority: EntraAuthority;
  readonly keys: SigningKeys;
  /** Where tokens that passed are remembered, so that a token seen again skips the signature check (default: a new cache; see validated-tokens.ts). */
  readonly validatedTokens?: ValidatedTokenCache;
}

/**
 * Checks Entra v2 access tokens for this app.
 *
 * @example
 * const validator = new AccessTokenValidator({ settings, authority, keys });
 * const token = await validator.validate(bearer); // throws InvalidTokenError or SigningKeysUnavailableError
 */
export class AccessTokenValidator {
  private readonly audiences: string[];
  private readonly validatedTokens: ValidatedTokenCache;

  constructor(private readonly options: AccessTokenValidatorOptions) {
    this.audiences = [options.settings.clientId, options.settings.identifierUri];
    this.validatedTokens = options.validatedTokens ?? new ValidatedTokenCache();
  }

  /**
   * Validates `token`.
   * @throws InvalidTokenError for any token that must be refused (401).
   * @throws SigningKeysUnavailableError when the keys cannot be fetched at all (503).
   */
  async validate(token: string): Promise<ValidatedToken> {
    const remembered = this.validatedTokens.get(token, this.options.keys.version);
    if (remembered !== undefined) return markCachedValidation(remembered);
    const { decodeJwt, decodeProtectedHeader, errors, jwtVerify } = await loadJose();
    let header: ReturnType<typeof decodeProtectedHeader>;
    let unverified: JWTPayload;
    try {
      header = decodeProtectedHeader(token);
      unverified = decodeJwt(token);
    } catch (cause) {
      throw new InvalidTokenError("The token is not a JWT.", { cause });
    }
    if (header.alg !== "RS256") {
      // The header is the caller's: only an algorithm name of the JOSE registry is repeated back.
      const named = typeof header.alg === "string" && JOSE_ALGORITHM.test(header.alg) ? `, not ${header.alg}` : "";
      throw new InvalidTokenError(`Tokens must be signed with RS256${named}.`);
    }
    if ("nonce" in header) {
      throw new InvalidTokenError("This is a token for Microsoft Graph (or another API), not for this server. Request a token for this server's scope.");
    }
    const issuer = typeof unverified.iss === "string" ? unverified.iss : "";
    if (issuer.startsWith("https://sts.windows.net/") || unverified["ver"] === "1.0") {
      throw new InvalidTokenError(
        "This is an Entra v1 token. The app registration must issue v2 tokens: set api.requestedAccessTokenVersion to 2 in its manifest.",
      );
    }
    const tid = typeof unverified["tid"] === "string" ? unverified["tid"].toLowerCase() : "";
    if (!isGuid(tid)) throw new InvalidTokenError("The token has no valid tenant id (tid).");
    if (!this.options.authority.allowsTenant(tid)) throw new InvalidTokenError("The token's tenant is not allowed to use this server.");

    let payload: JWTPayload;
    // The key set the signature was checked against: read when the key is resolved, as resolving it may
    // fetch a new set (the first token of an instance always does). Read before, it would file the first
    // validation under the set before the fetch, and the next request would check the same token in full.
    let keysVersion = this.options.keys.version;
    const keyFor: typeof this.options.keys.getKey = async (protectedHeader, flattened) => {
      const key = await this.options.keys.getKey(protectedHeader, flattened);
      keysVersion = this.options.keys.version;
      return key;
    };
    try {
      ({ payload } = await jwtVerify(token, keyFor, {
        algorithms: ["RS256"],
        issuer: this.options.authority.issuerFor(tid),
        audience: this.audiences,
        clockTolerance: CLOCK_SKEW_SECONDS,
        requiredClaims: ["exp", "iss", "aud", "tid", "oid"],
      }));
    } catch (error) {
      if (error instanceof errors.JOSEError) throw new InvalidTokenError(describeJoseError(error, errors), { cause: error });
      throw error;
    }
    if (payload["ver"] !== "2.0") throw new InvalidTokenError("The token is not an Entra v2 access token (ver must be 2.0).");
    const objectId = payload["oid"];
    if (typeof objectId !== "string" || objectId === "") throw new InvalidTokenError("The token has no object id (oid).");

    const validated: ValidatedToken = {
      token,
      claims: payload,
      tenantId: tid,
      objectId,
      scopes: typeof payload["scp"] === "string" ? payload["scp"].split(" ").filter((scope) => scope !== "") : [],
      roles: Array.isArray(payload["roles"]) ? payload["roles"].filter((role): role is string => typeof role === "string") : [],
      clientId: typeof payload["azp"] === "string" ? payload["azp"] : typeof payload["appid"] === "string" ? payload["appid"] : undefined,
      expiresAt: payload.exp!,
    };
    return this.validatedTokens.remember(validated, keysVersion, CLOCK_SKEW_SECONDS);
  }
}

function describeJoseError(error: InstanceType<JoseErrors["JOSEError"]>, errors: JoseErrors): string {
  if (error instanceof errors.JWTExpired) return "The token has expired.";
  if (error instanceof errors.JWTClaimValidationFailed) {
    switch (error.claim) {
      case "aud":
        return "The token is for another audience, not this server.";
      case "iss":
        return "The token was not issued by the expected Entra tenant.";
      case "nbf":
        return "The token is not valid yet.";
      default:
        return `The token's ${error.claim} claim is missing or invalid.`;
    }
  }
  if (error instanceof errors.JWKSNoMatchingKey) return "The token was signed with a key Entra does not publish.";
  if (error instanceof errors.JWSSignatureVerificationFailed) return "The token's signature is invalid.";
  if (error instanceof errors.JOSEAlgNotAllowed) return "Tokens must be signed with RS256.";
  return "The token is malformed.";
}
