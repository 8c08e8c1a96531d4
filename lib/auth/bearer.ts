/**
 * The Authorization header, read strictly (RFC 6750 section 2.1): exactly one
 * `Bearer` credential in token68 syntax. Anything else is refused rather than
 * guessed at.
 *
 * A refusal's reason goes back to the client (WWW-Authenticate, the JSON
 * body) and into the log, so it never repeats any part of the header: a
 * credential sent without a scheme (`Authorization: sk-live-…`) parses as a
 * scheme name, so only the names of registered schemes are ever echoed.
 */

/** What the header holds. */
export type BearerCredential =
  | { readonly kind: "token"; readonly token: string }
  | { readonly kind: "missing" }
  /** A header is present but is not exactly one bearer token; `reason` is safe to show. */
  | { readonly kind: "malformed"; readonly reason: string };

const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*$/;

/**
 * Schemes of the IANA HTTP Authentication Scheme Registry (and NTLM): names a
 * refusal may repeat, because they are words, not credentials.
 */
const REGISTERED_SCHEMES = new Map(
  ["Basic", "Concealed", "Digest", "DPoP", "GNAP", "HOBA", "Mutual", "Negotiate", "NTLM", "OAuth", "PrivateToken", "SCRAM-SHA-1", "SCRAM-SHA-256", "vapid"].map(
    (name) => [name.toLowerCase(), name],
  ),
);

/** Longest token accepted; Entra access tokens are a few kilobytes. */
const MAX_TOKEN_LENGTH = 16 * 1024;

/**
 * Reads the bearer token of a request.
 *
 * @example
 * readBearer(request.headers) // { kind: "token", token: "eyJ..." }
 */
export function readBearer(headers: Headers): BearerCredential {
  const header = headers.get("authorization");
  if (header === null || trimOws(header) === "") return { kind: "missing" };
  // Headers joins repeated Authorization headers with ", ", which also makes them fail here.
  const match = /^([A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*)(?: +(.*))?$/.exec(trimOws(header));
  if (match === null) return { kind: "malformed", reason: "The Authorization header is malformed." };
  const [, scheme, credentials] = match;
  if (scheme!.toLowerCase() !== "bearer") {
    const known = REGISTERED_SCHEMES.get(scheme!.toLowerCase());
    return { kind: "malformed", reason: known === undefined ? "Send Authorization: Bearer <token>; no other form is accepted." : `The ${known} scheme is not accepted; send a Bearer token.` };
  }
  // RFC 6750: the scheme, spaces, the token; a tab is not a separator there.
  const token = credentials ?? "";
  if (token === "") return { kind: "malformed", reason: "The Bearer token is empty." };
  if (token.length > MAX_TOKEN_LENGTH) return { kind: "malformed", reason: "The Bearer token is too long." };
  if (!TOKEN68.test(token)) return { kind: "malformed", reason: "Send exactly one Bearer token." };
  return { kind: "token", token };
}

/** `text` without leading and trailing spaces and tabs: HTTP's optional whitespace, and nothing else (`trim()` would also take a no-break space as a separator). */
function trimOws(text: string): string {
  return text.replace(/^[ \t]+|[ \t]+$/g, "");
}
