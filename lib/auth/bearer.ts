/**
 * The Authorization header, read strictly (RFC 6750 section 2.1): exactly one
 * `Bearer` credential in token68 syntax. Anything else is refused rather than
 * guessed at.
 */

/** What the header holds. */
export type BearerCredential =
  | { readonly kind: "token"; readonly token: string }
  | { readonly kind: "missing" }
  /** A header is present but is not exactly one bearer token; `reason` is safe to show. */
  | { readonly kind: "malformed"; readonly reason: string };

const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*$/;

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
  if (scheme!.toLowerCase() !== "bearer") return { kind: "malformed", reason: `The ${scheme} scheme is not accepted; send a Bearer token.` };
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
