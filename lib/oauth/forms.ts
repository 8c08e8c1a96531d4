/**
 * Parameters of OAuth requests, read strictly: RFC 6749 section 3.1 forbids
 * repeating a parameter, and every value and body has an upper bound so one
 * request cannot make the server do unbounded work.
 */
import { BodyTooLargeError, mediaType, readBodyLimited } from "../http.js";

/** Largest accepted form body of /token, /consent and /register. */
export const MAX_FORM_BYTES = 16 * 1024;
/** Largest accepted single parameter value. */
export const MAX_PARAMETER_LENGTH = 4096;
/**
 * Largest accepted value of a parameter that carries a value the facade
 * sealed (`code`, `refresh_token`, the `state` Entra returns, the consent
 * form's `request`, the `token` presented for revocation). Those wrap a client id, a redirect URI and Entra's own
 * code or refresh token, so they outgrow {@link MAX_PARAMETER_LENGTH}; the
 * facade must never issue a value it would then refuse.
 */
export const MAX_SEALED_PARAMETER_LENGTH = 12 * 1024;

/** The parameters allowed {@link MAX_SEALED_PARAMETER_LENGTH}. Each endpoint still checks its own values (the client's `state` at /authorize, for one). */
const SEALED_PARAMETERS: ReadonlySet<string> = new Set(["code", "refresh_token", "state", "request", "token"]);

/** A request whose parameters cannot be used; `message` is safe to show. */
export class ParameterError extends Error {
  readonly code = "PARAMETER_INVALID";
  constructor(message: string) {
    super(message);
    this.name = "ParameterError";
  }
}

/** Parameters by name, each present at most once. */
export type Parameters = ReadonlyMap<string, string>;

/**
 * Reads parameters from a query string or form body.
 * @throws ParameterError for a repeated parameter or an oversized value
 */
export function readParameters(search: URLSearchParams): Parameters {
  const parameters = new Map<string, string>();
  for (const [name, value] of search) {
    if (parameters.has(name)) throw new ParameterError(`The ${name} parameter is repeated; send it once.`);
    if (value.length > (SEALED_PARAMETERS.has(name) ? MAX_SEALED_PARAMETER_LENGTH : MAX_PARAMETER_LENGTH)) throw new ParameterError(`The ${name} parameter is too long.`);
    parameters.set(name, value);
  }
  return parameters;
}

/**
 * Reads an `application/x-www-form-urlencoded` body.
 * @throws ParameterError for another media type, an oversized body, invalid UTF-8 or repeated parameters
 */
export async function readForm(request: Request): Promise<Parameters> {
  if (mediaType(request) !== "application/x-www-form-urlencoded") {
    throw new ParameterError("The body must be application/x-www-form-urlencoded.");
  }
  let bytes: Uint8Array;
  try {
    bytes = await readBodyLimited(request, MAX_FORM_BYTES);
  } catch (error) {
    if (error instanceof BodyTooLargeError) throw new ParameterError(`The body exceeds ${MAX_FORM_BYTES} bytes.`);
    throw error;
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new ParameterError("The body is not valid UTF-8.");
  }
  return readParameters(new URLSearchParams(text));
}
