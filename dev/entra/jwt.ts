/**
 * Signing and verifying the stand-in's JWTs, including Microsoft Graph's
 * peculiar ones.
 *
 * Graph access tokens carry a `nonce` in the JWS header, and the signature
 * covers a header whose nonce is the SHA-256 of the one transmitted (here:
 * base64url of the digest). Anyone verifying the token as a normal JWS fails;
 * only Graph, which knows the trick, succeeds. That is why the kit must never
 * try to validate a Graph token, and why the fake Graph can.
 */
import { createHash } from "node:crypto";
import { CompactSign, compactVerify, decodeJwt, decodeProtectedHeader, errors as joseErrors } from "jose";
import type { SigningKey, SigningKeyring } from "./keys.js";

export type JwtClaims = Record<string, unknown>;
export type JwtHeader = Record<string, unknown>;

const encoder = new TextEncoder();

function b64urlJson(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

/** The nonce the signature covers for a transmitted Graph header nonce. */
export function hashedGraphNonce(nonce: string): string {
  return createHash("sha256").update(nonce).digest("base64url");
}

/**
 * Signs `claims` with `key` (RS256). `header` adds fields after `typ`/`alg`;
 * a `nonce` field makes a Graph-style token whose signature covers the hashed nonce.
 */
export async function signJwt(key: SigningKey, claims: JwtClaims, header: JwtHeader = {}): Promise<string> {
  const { nonce, ...rest } = header;
  const transmitted: JwtHeader = { typ: "JWT", ...(typeof nonce === "string" ? { nonce } : {}), alg: "RS256", ...rest };
  const signed: JwtHeader = typeof nonce === "string" ? { ...transmitted, nonce: hashedGraphNonce(nonce) } : transmitted;
  // jose serialises the protected header with JSON.stringify, so key order is ours.
  const jws = await new CompactSign(encoder.encode(JSON.stringify(claims)))
    .setProtectedHeader(signed as { alg: string })
    .sign(key.privateKey);
  if (typeof nonce !== "string") return jws;
  const [, payload, signature] = jws.split(".");
  return `${b64urlJson(transmitted)}.${payload}.${signature}`;
}

/** Why a token was not accepted. `reason` is meant for humans and test assertions. */
export class TokenRejected extends Error {
  constructor(
    readonly code: "malformed" | "unknown_key" | "bad_signature" | "expired" | "not_yet_valid",
    readonly reason: string,
  ) {
    super(reason);
    this.name = "TokenRejected";
  }
}

export interface VerifiedToken {
  readonly header: JwtHeader;
  readonly claims: JwtClaims;
  /** True when the header carried a Graph `nonce`. */
  readonly graphStyle: boolean;
}

export interface VerifyOptions {
  /** Epoch ms. */
  readonly now: number;
  /** Seconds of clock skew tolerated on `exp`/`nbf`; default 0 (the stand-in shares the clock). */
  readonly skewSeconds?: number;
}

/**
 * Verifies a token the stand-in issued: RS256 signature by a key still in
 * the JWKS (Graph-style nonce headers included), then `exp` and `nbf`.
 * Audience and issuer are the caller's business.
 */
export async function verifyIssuedToken(token: string, keyring: SigningKeyring, options: VerifyOptions): Promise<VerifiedToken> {
  const parts = token.split(".");
  if (parts.length !== 3) throw new TokenRejected("malformed", "not a compact JWS");
  let header: JwtHeader;
  let claims: JwtClaims;
  try {
    header = decodeProtectedHeader(token) as JwtHeader;
    claims = decodeJwt(token) as JwtClaims;
  } catch {
    throw new TokenRejected("malformed", "header or payload is not base64url JSON");
  }
  if (header.alg !== "RS256") throw new TokenRejected("bad_signature", `alg '${String(header.alg)}' is not RS256`);
  const key = typeof header.kid === "string" ? keyring.find(header.kid) : undefined;
  if (key === undefined) throw new TokenRejected("unknown_key", `kid '${String(header.kid)}' is not a published signing key`);

  const graphStyle = typeof header.nonce === "string";
  const signedHeader = graphStyle ? b64urlJson({ ...header, nonce: hashedGraphNonce(header.nonce as string) }) : parts[0];
  try {
    await compactVerify(`${signedHeader}.${parts[1]}.${parts[2]}`, key.publicKey, { algorithms: ["RS256"] });
  } catch (error) {
    if (error instanceof joseErrors.JOSEError) throw new TokenRejected("bad_signature", "signature does not verify");
    throw error;
  }

  const nowSeconds = Math.floor(options.now / 1000);
  const skew = options.skewSeconds ?? 0;
  if (typeof claims.exp !== "number" || claims.exp + skew <= nowSeconds) throw new TokenRejected("expired", "token has expired");
  if (typeof claims.nbf === "number" && claims.nbf - skew > nowSeconds) throw new TokenRejected("not_yet_valid", "token is not valid yet (nbf)");
  return { header, claims, graphStyle };
}
