/**
 * Redirect URI rules of the facade (OAuth 2.1 section 7.5, RFC 8252 sections 7.1-7.3).
 *
 * - Registered URIs are `https`, or `http` on a loopback address; a native
 *   application (application-type.ts) may also register a private-use scheme
 *   (`com.example.app:/callback`). Every other scheme (`javascript:`,
 *   `data:`, `file:`, schemes without a reverse domain name) is refused, after
 *   the URL parser has normalised case and stripped what browsers strip, and
 *   any value that needed such normalising is refused outright.
 * - No fragment, no user info.
 * - A redirect URI presented at /authorize must equal a registered one
 *   character for character, except that a loopback URI may use any port
 *   (native apps pick a free port at run time).
 */

/** Why a redirect URI is unusable; safe to show on the error page. */
export class RedirectUriError extends Error {
  readonly code = "REDIRECT_URI_INVALID";
  constructor(message: string) {
    super(message);
    this.name = "RedirectUriError";
  }
}

const LOOPBACK = new Set(["127.0.0.1", "[::1]", "localhost"]);
const MAX_LENGTH = 2000;

/** Whether a parsed URL points at a loopback address. */
export function isLoopbackUrl(url: URL): boolean {
  return LOOPBACK.has(url.hostname) || /^127(\.\d{1,3}){3}$/.test(url.hostname);
}

/**
 * Checks a redirect URI a client registers (or a metadata document lists).
 * @returns the URI as given (never a rewritten form)
 * @throws RedirectUriError
 */
export function checkRedirectUri(raw: string): string {
  const url = parseRedirectUri(raw);
  if (url.protocol === "https:") {
    // fine
  } else if (url.protocol === "http:") {
    if (!isLoopbackUrl(url)) throw new RedirectUriError("An http redirect URI must point at a loopback address (127.0.0.1, [::1] or localhost); use https otherwise.");
  } else {
    throw new RedirectUriError(`The ${url.protocol} scheme is not allowed for redirect URIs; use https, or http on a loopback address.`);
  }
  // The parser repairs "https:/host", "https:host" and backslashes into "https://host/"; parsers elsewhere may not.
  if (!raw.toLowerCase().startsWith(`${url.protocol}//`) || raw.includes("\\")) {
    throw new RedirectUriError("A redirect URI must be written in full, as https://host/path (no backslashes).");
  }
  return withoutFragmentOrUserInfo(raw, url);
}

/** Parses a redirect URI, refusing what the URL parser would have to repair. */
function parseRedirectUri(raw: string): URL {
  if (raw.length === 0 || raw.length > MAX_LENGTH) throw new RedirectUriError(`A redirect URI must be 1-${MAX_LENGTH} characters.`);
  // Anything the URL parser would strip or fold (spaces, control characters, tabs, newlines) is refused, not repaired.
  if (/[\u0000-\u0020\u007f-\u009f]/.test(raw)) throw new RedirectUriError("A redirect URI must not contain spaces or control characters.");
  try {
    return new URL(raw);
  } catch {
    throw new RedirectUriError(`${JSON.stringify(raw)} is not an absolute URI.`);
  }
}

function withoutFragmentOrUserInfo(raw: string, url: URL): string {
  if (url.hash !== "" || raw.includes("#")) throw new RedirectUriError("A redirect URI must not contain a fragment.");
  if (url.username !== "" || url.password !== "") throw new RedirectUriError("A redirect URI must not contain user info.");
  return raw;
}

/**
 * A private-use URI scheme of a native app (RFC 8252 section 7.1): written
 * in lower case and based on a domain name in reverse order, so it contains
 * a period (`com.example.app:/oauth/callback`). That leaves out every scheme
 * a browser or an operating system gives a meaning of its own (`javascript:`,
 * `data:`, `file:`, `ms-settings:`...).
 */
const PRIVATE_USE_SCHEME = /^[a-z][a-z0-9+-]*(\.[a-z0-9+-]+)+:/;

/** Whether `raw` uses a private-use scheme (see {@link checkNativeRedirectUri}); it says nothing about the rest of the URI. */
export function hasPrivateUseScheme(raw: string): boolean {
  return PRIVATE_USE_SCHEME.test(raw);
}

/**
 * Checks a redirect URI a native application registers: what
 * {@link checkRedirectUri} accepts, or a private-use scheme (RFC 8252
 * section 7.1) with no fragment and no user info, written in full.
 * @returns the URI as given
 * @throws RedirectUriError
 */
export function checkNativeRedirectUri(raw: string): string {
  if (!hasPrivateUseScheme(raw)) return checkRedirectUri(raw);
  const url = parseRedirectUri(raw);
  if (!raw.startsWith(url.protocol) || raw.includes("\\") || raw.length === url.protocol.length) {
    throw new RedirectUriError("A private-use redirect URI must be written in full, as com.example.app:/callback (no backslashes).");
  }
  return withoutFragmentOrUserInfo(raw, url);
}

/**
 * Finds the registered URI a requested redirect URI matches.
 * @returns the requested URI when it matches, else undefined
 */
export function matchRedirectUri(requested: string, registered: readonly string[]): string | undefined {
  if (registered.includes(requested)) return requested;
  let asked: URL;
  try {
    asked = new URL(checkRedirectUri(requested));
  } catch {
    return undefined;
  }
  if (asked.protocol !== "http:" || !isLoopbackUrl(asked)) return undefined;
  for (const candidate of registered) {
    let known: URL;
    try {
      known = new URL(candidate);
    } catch {
      continue;
    }
    if (
      known.protocol === asked.protocol &&
      known.hostname === asked.hostname &&
      known.pathname === asked.pathname &&
      known.search === asked.search &&
      // The port is the only part that may differ; the rest of the text must be identical.
      withoutPort(candidate, known) === withoutPort(requested, asked)
    ) {
      return requested;
    }
  }
  return undefined;
}

function withoutPort(raw: string, url: URL): string {
  return url.port === "" ? raw : withoutAuthorityPort(raw, url.port);
}

/**
 * `raw` without `:<port>` at the end of its authority. Only there: an IPv6
 * host such as `[::1]` also contains `:1`, so replacing the first occurrence
 * of the text would cut the host instead. `raw` is a checked redirect URI
 * (`scheme://authority...`, no user info), so the authority runs from `//`
 * to the first `/`, `?` or `#`.
 */
export function withoutAuthorityPort(raw: string, port: string): string {
  const start = raw.indexOf("//") + 2;
  const length = raw.slice(start).search(/[/?#]/);
  const end = length === -1 ? raw.length : start + length;
  const suffix = `:${port}`;
  return raw.slice(start, end).endsWith(suffix) ? raw.slice(0, end - suffix.length) + raw.slice(end) : raw;
}
