/**
 * Client authentication at the token endpoint, as Entra does it:
 *
 * - public clients present no credential (and are refused if they do);
 * - confidential clients present one of: `client_secret` in the body, HTTP
 *   Basic, or a `client_assertion` JWT, which is either signed by a registered
 *   certificate (header `x5t` or `x5t#S256`, `iss` = `sub` = client id,
 *   `aud` = the token endpoint) or issued by a trusted issuer and matching a
 *   federated identity credential (issuer, subject, audience) — the
 *   secretless credential the kit uses with a managed identity.
 *
 * Federated assertions are verified only when their issuer is this
 * stand-in (a tenant's v2 issuer), which covers managed identity tokens from
 * the fake identity endpoint; other issuers cannot be checked offline.
 */
import { X509Certificate, timingSafeEqual } from "node:crypto";
import { compactVerify, decodeJwt, decodeProtectedHeader } from "jose";
import { aadsts } from "./errors.js";
import type { Application, Directory } from "./directory.js";
import { TokenRejected, verifyIssuedToken } from "./jwt.js";
import type { SigningKeyring } from "./keys.js";
import type { ClientAuthMethod } from "./tokens.js";

export const CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

export interface ClientAuthContext {
  readonly directory: Directory;
  readonly keyring: SigningKeyring;
  readonly now: number;
  /** Tenant the request is for, when known (GUID); undefined on `common`/`organizations`. */
  readonly tenant?: string;
  /** Values accepted as a certificate assertion's `aud`. */
  readonly assertionAudiences: readonly string[];
  /** Issuers whose tokens this stand-in signed (its tenants' v2 issuers). */
  readonly ownIssuers: ReadonlySet<string>;
  /** The stand-in origin, substituted for `{origin}` in federated credential issuers. */
  readonly origin: string;
}

export interface AuthenticatedClient {
  readonly client: Application;
  readonly method: ClientAuthMethod;
}

/** The client id the request names, from the body, Basic auth or an assertion (for records and faults). */
export function claimedClientId(params: URLSearchParams, authorization: string | undefined): string | undefined {
  const fromBody = params.get("client_id");
  if (fromBody !== null && fromBody !== "") return fromBody;
  const basic = parseBasic(authorization);
  if (basic !== undefined) return basic.clientId;
  const assertion = params.get("client_assertion");
  if (assertion !== null) {
    try {
      const sub = decodeJwt(assertion).sub;
      return typeof sub === "string" ? sub : undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function parseBasic(authorization: string | undefined): { clientId: string; secret: string } | undefined {
  const match = /^Basic\s+(\S+)$/i.exec(authorization ?? "");
  if (match === null) return undefined;
  const decoded = Buffer.from(match[1]!, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon === -1) return undefined;
  // RFC 6749 2.3.1: both parts are form-urlencoded before being joined.
  return { clientId: decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, " ")), secret: decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, " ")) };
}

function sameSecret(given: string, registered: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(registered);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Authenticates the client of a token request; throws an {@link EntraError}
 * (AADSTS7000215, 7000218, 700025, 700016, 7000xx for assertions) otherwise.
 */
export async function authenticateClient(params: URLSearchParams, authorization: string | undefined, context: ClientAuthContext): Promise<AuthenticatedClient> {
  const basic = parseBasic(authorization);
  const clientId = claimedClientId(params, authorization);
  if (clientId === undefined) throw aadsts.missingParameter("client_id");
  if (basic !== undefined && params.has("client_id") && params.get("client_id") !== basic.clientId) {
    throw aadsts.invalidParameter("client_id", "differs from the client id of the Authorization header");
  }
  const client = context.directory.application(clientId);
  if (client === undefined || client.isGraph || (context.tenant !== undefined && !context.directory.visibleIn(client, context.tenant))) {
    throw aadsts.unknownApplication(clientId, context.tenant ?? "common");
  }

  const secret = params.get("client_secret") ?? basic?.secret;
  const assertion = params.get("client_assertion");
  if (client.publicClient) {
    if (secret !== undefined || assertion !== null) throw aadsts.publicClientWithCredential();
    return { client, method: "none" };
  }
  if (secret !== undefined && assertion !== null) throw aadsts.invalidParameter("client_assertion", "send either a client secret or a client assertion, not both");
  if (secret !== undefined) {
    if (!client.secrets.some((registered) => sameSecret(secret, registered))) throw aadsts.invalidClientSecret(client.clientId);
    return { client, method: params.has("client_secret") ? "client_secret_post" : "client_secret_basic" };
  }
  if (assertion !== null) {
    if (params.get("client_assertion_type") !== CLIENT_ASSERTION_TYPE) throw aadsts.invalidParameter("client_assertion_type", `must be ${CLIENT_ASSERTION_TYPE}`);
    return { client, method: await verifyClientAssertion(assertion, client, context) };
  }
  throw aadsts.clientCredentialMissing();
}

async function verifyClientAssertion(assertion: string, client: Application, context: ClientAuthContext): Promise<ClientAuthMethod> {
  let header: Record<string, unknown>;
  let claims: Record<string, unknown>;
  try {
    header = decodeProtectedHeader(assertion) as Record<string, unknown>;
    claims = decodeJwt(assertion) as Record<string, unknown>;
  } catch {
    throw aadsts.clientAssertionMalformed("not a JWT");
  }
  const thumbprint = header["x5t#S256"] ?? header.x5t;
  if (typeof thumbprint === "string") {
    await verifyCertificateAssertion(assertion, header, claims, client, context);
    return "certificate";
  }
  await verifyFederatedAssertion(assertion, claims, client, context);
  return "federated";
}

function thumbprints(pem: string): { sha1: string; sha256: string; certificate: X509Certificate } {
  const certificate = new X509Certificate(pem);
  const toBase64Url = (colonHex: string): string => Buffer.from(colonHex.replace(/:/g, ""), "hex").toString("base64url");
  return { sha1: toBase64Url(certificate.fingerprint), sha256: toBase64Url(certificate.fingerprint256), certificate };
}

async function verifyCertificateAssertion(
  assertion: string,
  header: Record<string, unknown>,
  claims: Record<string, unknown>,
  client: Application,
  context: ClientAuthContext,
): Promise<void> {
  const wanted256 = header["x5t#S256"];
  const wanted1 = header.x5t;
  const registered = client.certificates.map(thumbprints).find((entry) => entry.sha256 === wanted256 || entry.sha1 === wanted1);
  if (registered === undefined) throw aadsts.certificateNotRegistered(client.clientId);
  if (claims.iss !== client.clientId || claims.sub !== client.clientId) throw aadsts.clientAssertionClientMismatch();
  const audiences = typeof claims.aud === "string" ? [claims.aud] : Array.isArray(claims.aud) ? claims.aud.filter((item): item is string => typeof item === "string") : [];
  if (!audiences.some((audience) => context.assertionAudiences.includes(audience))) throw aadsts.clientAssertionAudience(audiences.join(", "));
  const nowSeconds = Math.floor(context.now / 1000);
  if (typeof claims.exp !== "number" || claims.exp <= nowSeconds) throw aadsts.clientAssertionExpired();
  if (typeof claims.nbf === "number" && claims.nbf > nowSeconds + 300) throw aadsts.clientAssertionExpired();
  try {
    await compactVerify(assertion, registered.certificate.publicKey, { algorithms: ["RS256", "PS256"] });
  } catch {
    throw aadsts.clientAssertionSignature();
  }
}

async function verifyFederatedAssertion(assertion: string, claims: Record<string, unknown>, client: Application, context: ClientAuthContext): Promise<void> {
  const issuer = typeof claims.iss === "string" ? claims.iss : "";
  const subject = typeof claims.sub === "string" ? claims.sub : "";
  const audiences = typeof claims.aud === "string" ? [claims.aud] : Array.isArray(claims.aud) ? claims.aud.filter((item): item is string => typeof item === "string") : [];
  const resolve = (configured: string): string => configured.replace("{origin}", context.origin);
  const byIssuer = client.federatedCredentials.filter((credential) => resolve(credential.issuer) === issuer);
  if (byIssuer.length === 0) throw aadsts.federatedIssuer(issuer);
  const bySubject = byIssuer.filter((credential) => credential.subject === subject);
  if (bySubject.length === 0) throw aadsts.federatedSubject(subject);
  if (!bySubject.some((credential) => credential.audiences.some((audience) => audiences.includes(audience)))) throw aadsts.federatedAudience(audiences.join(", "));
  if (!context.ownIssuers.has(issuer)) throw aadsts.federatedIssuer(`${issuer} (the local stand-in can only verify assertions it issued itself)`);
  try {
    await verifyIssuedToken(assertion, context.keyring, { now: context.now });
  } catch (error) {
    if (error instanceof TokenRejected && (error.code === "expired" || error.code === "not_yet_valid")) throw aadsts.clientAssertionExpired();
    if (error instanceof TokenRejected) throw aadsts.clientAssertionSignature();
    throw error;
  }
}
