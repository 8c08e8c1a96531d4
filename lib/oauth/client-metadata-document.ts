/**
 * The rules of Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document)
 * that need no network: which `client_id` values are metadata URLs, which of
 * those may be fetched at all, and which fetched documents the facade accepts.
 *
 * The facade supports public clients only (PKCE, no client authentication),
 * so a document must not ask for any token endpoint authentication, and,
 * as the draft requires of every document, must carry no shared secret.
 */
import { disguisingCharacterIn } from "./display-text.js";
import { ApplicationTypeError, checkRedirectUrisFor } from "./application-type.js";
import { RedirectUriError } from "./redirect-uris.js";

/** Why a metadata URL or document was refused. */
export type ClientMetadataFailure =
  /** The client_id breaks the URL rules (https, path, no fragment, user info or dot segments). */
  | "invalid_url"
  /** The host resolves to a loopback, private or otherwise non-public address. */
  | "private_address"
  /** The host name does not resolve. */
  | "dns_failed"
  /** Connection, TLS or HTTP failure, or a status other than 200. */
  | "fetch_failed"
  /** The server answered with a redirect; redirects are never followed. */
  | "redirect"
  /** No complete answer within the time limit. */
  | "timeout"
  /** The document is larger than the size limit. */
  | "too_large"
  /** Not `application/json`, not UTF-8, or not parseable JSON. */
  | "not_json"
  /** JSON, but not an acceptable metadata document. */
  | "invalid_document"
  /** A redirect URI in the document is not allowed. */
  | "invalid_redirect_uri"
  /** The document's `client_id` is not the URL it was fetched from. */
  | "client_id_mismatch"
  /** The document asks for client authentication the facade does not offer. */
  | "unsupported_auth_method"
  /** The caller cancelled the resolution. */
  | "aborted";

/**
 * A Client ID Metadata Document was refused. The message is written for the
 * facade's error page: it names the host at most, never an internal address
 * or the document's content beyond the offending field.
 */
export class ClientMetadataError extends Error {
  readonly code = "CLIENT_METADATA_REFUSED";
  constructor(
    readonly reason: ClientMetadataFailure,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "ClientMetadataError";
  }
}

/** A client known from its metadata document. */
export interface ClientMetadata {
  /** The client_id, exactly as the client sent it (the document's URL). */
  readonly clientId: string;
  /** Registered redirect URIs, each accepted for the document's application type (application-type.ts). */
  readonly redirectUris: readonly string[];
  /** Display name, as the client claims it (unverified). */
  readonly clientName?: string;
  /** The client's home page (https). */
  readonly clientUri?: string;
  /** The client's logo (https); not fetched by the facade. */
  readonly logoUri?: string;
  /** The client_id URL's host (with port if any): the one thing the fetch proved, shown on the consent page. */
  readonly verifiedHost: string;
}

const MAX_URL_LENGTH = 2000;
const MAX_NAME_LENGTH = 200;
const MAX_REDIRECT_URIS = 20;

/**
 * Whether a `client_id` is meant as a Client ID Metadata Document URL (it
 * starts with `https:`). Sealed client ids issued by the facade never do.
 * It says nothing about whether the URL is acceptable; {@link checkClientMetadataUrl} does.
 *
 * @example
 * isClientMetadataUrl("https://app.example.com/oauth/client.json"); // true
 * isClientMetadataUrl("eyJhbGciOiJkaXIi..."); // false
 */
export function isClientMetadataUrl(clientId: string): boolean {
  return /^https:/i.test(clientId);
}

/**
 * Checks a Client Identifier URL against the draft's rules, on the raw text,
 * before any network traffic: `https`, a host, a path, no user info, no
 * fragment, no `.` or `..` path segments (also percent-encoded). A bare `/`
 * path is refused too (the draft advises against it; the MCP SDKs treat it as
 * no path). Text the URL parser would silently repair (spaces, control
 * characters, backslashes, an upper-case scheme, extra slashes) is refused,
 * because the document must later name this exact string.
 *
 * @returns the parsed URL to fetch
 * @throws ClientMetadataError with reason `invalid_url`
 */
export function checkClientMetadataUrl(clientId: string): URL {
  const refuse = (why: string): never => {
    throw new ClientMetadataError("invalid_url", `The client_id is not a usable client metadata URL: ${why}.`);
  };
  if (clientId.length > MAX_URL_LENGTH) refuse(`longer than ${MAX_URL_LENGTH} characters`);
  if (!clientId.startsWith("https://")) refuse("it must start with https://");
  if (/[\u0000-\u0020\u007f-\u009f\\]/.test(clientId)) refuse("it contains spaces, control characters or backslashes");
  if (clientId.includes("#")) refuse("it must not contain a fragment");
  const afterScheme = clientId.slice("https://".length);
  const authority = afterScheme.split(/[/?]/, 1)[0] ?? "";
  if (authority === "") refuse("it has no host");
  if (authority.includes("@")) refuse("it must not contain user info");
  const rest = afterScheme.slice(authority.length);
  if (!rest.startsWith("/") || rest.startsWith("/?") || rest === "/") refuse("it must contain a path, such as https://example.com/client.json");
  const path = rest.split("?", 1)[0] ?? "";
  // The URL parser treats %2e like a dot when it removes dot segments, so the encoded forms count too.
  if (path.split("/").some((segment) => /^(\.|%2e){1,2}$/i.test(segment))) refuse("it must not contain . or .. path segments");
  let url: URL;
  try {
    url = new URL(clientId);
  } catch {
    return refuse("it is not a valid URL");
  }
  if (url.username !== "" || url.password !== "") refuse("it must not contain user info");
  return url;
}

/**
 * Validates a fetched document for `clientId` (already checked by
 * {@link checkClientMetadataUrl}).
 *
 * @param body the response body, at most the size limit
 * @param contentType the response's Content-Type header
 * @throws ClientMetadataError (`not_json`, `invalid_document`, `invalid_redirect_uri`, `client_id_mismatch`, `unsupported_auth_method`)
 */
export function parseClientMetadataDocument(clientId: string, url: URL, body: Uint8Array, contentType: string | undefined): ClientMetadata {
  // application/json with parameters (charset) only; the draft lets an AS define others, this one does not.
  if (contentType === undefined || !/^application\/json\s*(;|$)/i.test(contentType.trim())) {
    throw new ClientMetadataError("not_json", "The client metadata document is not served as application/json.");
  }
  let document: unknown;
  try {
    document = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(body));
  } catch {
    throw new ClientMetadataError("not_json", "The client metadata document is not valid JSON in UTF-8.");
  }
  if (typeof document !== "object" || document === null || Array.isArray(document)) {
    throw new ClientMetadataError("invalid_document", "The client metadata document must be a JSON object.");
  }
  const fields = document as Record<string, unknown>;
  const invalid = (why: string): never => {
    throw new ClientMetadataError("invalid_document", `The client metadata document is not acceptable: ${why}.`);
  };

  if (typeof fields.client_id !== "string") invalid("client_id is missing");
  // Simple string comparison (RFC 3986 section 6.2.1): no normalising on either side.
  if (fields.client_id !== clientId) {
    throw new ClientMetadataError("client_id_mismatch", "The client metadata document names a different client_id than the URL it was fetched from.");
  }

  // The draft forbids shared secrets and private keys in a public document.
  if ("client_secret" in fields || "client_secret_expires_at" in fields) invalid("it must not contain client_secret or client_secret_expires_at");
  if (containsPrivateKey(fields.jwks)) invalid("jwks must not contain private key material");
  const authMethod = fields.token_endpoint_auth_method;
  if (authMethod !== undefined && typeof authMethod !== "string") invalid("token_endpoint_auth_method must be a string");
  if (authMethod !== undefined && authMethod !== "none") {
    throw new ClientMetadataError(
      "unsupported_auth_method",
      `This server accepts public clients only (token_endpoint_auth_method "none"); the client asks for ${JSON.stringify(String(authMethod).slice(0, 40))}.`,
    );
  }
  const grantTypes = optionalStringArray(fields, "grant_types", invalid);
  if (grantTypes !== undefined && !grantTypes.includes("authorization_code")) invalid("grant_types must include authorization_code");
  const responseTypes = optionalStringArray(fields, "response_types", invalid);
  if (responseTypes !== undefined && !responseTypes.includes("code")) invalid("response_types must include code");

  const redirectUris = fields.redirect_uris;
  if (!Array.isArray(redirectUris) || redirectUris.length === 0) invalid("redirect_uris must be a non-empty array");
  const uris = redirectUris as unknown[];
  if (uris.length > MAX_REDIRECT_URIS) invalid(`redirect_uris lists more than ${MAX_REDIRECT_URIS} URIs`);
  if (uris.some((uri) => typeof uri !== "string")) invalid("every redirect URI must be a string");
  let checkedUris: string[];
  try {
    checkedUris = checkRedirectUrisFor(fields.application_type, uris as string[]).redirectUris;
  } catch (error) {
    if (error instanceof ApplicationTypeError) return invalid('application_type must be "native" or "web"');
    if (error instanceof RedirectUriError) throw new ClientMetadataError("invalid_redirect_uri", `The client metadata document lists a redirect URI this server refuses: ${error.message}`, { cause: error });
    throw error;
  }

  const clientName = optionalText(fields, "client_name", invalid);
  const clientUri = optionalHttpsUrl(fields, "client_uri", invalid);
  const logoUri = optionalHttpsUrl(fields, "logo_uri", invalid);
  return {
    clientId,
    redirectUris: [...new Set(checkedUris)],
    ...(clientName === undefined ? {} : { clientName }),
    ...(clientUri === undefined ? {} : { clientUri }),
    ...(logoUri === undefined ? {} : { logoUri }),
    verifiedHost: url.host,
  };
}

type Refuse = (why: string) => never;

function optionalStringArray(fields: Record<string, unknown>, name: string, invalid: Refuse): string[] | undefined {
  const value = fields[name];
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((item) => typeof item === "string")) return invalid(`${name} must be an array of strings`);
  return value as string[];
}

function optionalText(fields: Record<string, unknown>, name: string, invalid: Refuse): string | undefined {
  const value = fields[name];
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value.trim() === "" || value.length > MAX_NAME_LENGTH) return invalid(`${name} must be a string of 1-${MAX_NAME_LENGTH} characters`);
  const disguising = disguisingCharacterIn(value);
  if (disguising !== undefined) return invalid(`${name} contains ${disguising}, an invisible, control or text-direction character`);
  return value;
}

function optionalHttpsUrl(fields: Record<string, unknown>, name: string, invalid: Refuse): string | undefined {
  const value = fields[name];
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value.length > MAX_URL_LENGTH || !value.startsWith("https://") || /[\u0000-\u0020\u007f-\u009f\\]/.test(value)) {
    return invalid(`${name} must be an https URL of at most ${MAX_URL_LENGTH} characters`);
  }
  try {
    const url = new URL(value);
    if (url.username !== "" || url.password !== "") return invalid(`${name} must not contain user info`);
  } catch {
    return invalid(`${name} must be an https URL`);
  }
  return value;
}

function containsPrivateKey(jwks: unknown): boolean {
  if (typeof jwks !== "object" || jwks === null) return false;
  const keys = (jwks as { keys?: unknown }).keys;
  if (!Array.isArray(keys)) return false;
  // d (RSA/EC/OKP private exponent or scalar), p/q (RSA primes), k (symmetric key).
  return keys.some((key) => typeof key === "object" && key !== null && ["d", "p", "q", "k"].some((member) => member in key));
}
