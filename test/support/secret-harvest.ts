/**
 * Collects the actual secrets of a test run, so a log check can look for
 * them rather than for what secrets usually look like: it wraps the global
 * `fetch` (which the kit's Entra client, its key fetcher, `obo().fetch`, the
 * scripted browser and the test's own requests all use) and keeps every
 * credential that crosses it, sent or received: tokens, codes, verifiers,
 * client secrets and assertions, sealed values, cookies. Tests add what
 * never crosses `fetch` (the sealing keys, the client's stored tokens).
 */

/** What kind of secret a value is, for the failure message. */
export type SecretKind =
  | "access token"
  | "refresh token"
  | "id token"
  | "authorization code"
  | "PKCE verifier"
  | "client secret"
  | "client assertion"
  | "OBO assertion"
  | "sealed state or form"
  | "cookie"
  | "bearer credential"
  | "sealing key"
  | "vault token";

/** Form and query parameters that carry secrets, by name. */
const PARAMETERS: Readonly<Record<string, SecretKind>> = {
  access_token: "access token",
  refresh_token: "refresh token",
  id_token: "id token",
  code: "authorization code",
  code_verifier: "PKCE verifier",
  client_secret: "client secret",
  client_assertion: "client assertion",
  assertion: "OBO assertion",
  state: "sealed state or form",
  request: "sealed state or form",
};

/** A secret found in a log line. */
export interface Leak {
  readonly kind: SecretKind;
  /** The part of the secret that was found (the whole value, or a distinctive piece of at least 16 characters). */
  readonly fragment: string;
  readonly line: string;
}

/** Shorter values are not secrets worth the name here (state values like "s1", short test strings). */
const MIN_SECRET_LENGTH = 16;

export class SecretHarvest {
  /** Value → kind. */
  readonly secrets = new Map<string, SecretKind>();
  readonly #pending = new Set<Promise<void>>();
  #original: typeof fetch | undefined;

  /** Records `value` as a secret of `kind` (ignored when short or not a string). */
  add(kind: SecretKind, value: unknown): void {
    if (typeof value === "string" && value.length >= MIN_SECRET_LENGTH && !this.secrets.has(value)) this.secrets.set(value, kind);
  }

  /** The kinds collected so far. */
  kinds(): Set<SecretKind> {
    return new Set(this.secrets.values());
  }

  /** Wraps global fetch; returns the function that unwraps it. */
  install(): () => void {
    if (this.#original !== undefined) throw new Error("already installed");
    const original = globalThis.fetch;
    this.#original = original;
    globalThis.fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
      this.#inspectRequest(input, init);
      const response = await original(input, init);
      this.#track(this.#inspectResponse(response.clone()));
      return response;
    };
    return () => {
      globalThis.fetch = original;
      this.#original = undefined;
    };
  }

  /** Waits until every response seen so far has been read. */
  async settle(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  /**
   * Every secret, or distinctive piece of one, that occurs in `lines`. Pieces:
   * the whole value; its first 16 characters; for dotted tokens (JWT, JWE),
   * the first 16 characters of each segment but the header, which is public
   * and the same for every token of an issuer.
   */
  leaksIn(lines: readonly string[]): Leak[] {
    const leaks: Leak[] = [];
    for (const [secret, kind] of this.secrets) {
      for (const fragment of fragmentsOf(secret)) {
        const line = lines.find((candidate) => candidate.includes(fragment));
        if (line !== undefined) {
          leaks.push({ kind, fragment, line });
          break;
        }
      }
    }
    return leaks;
  }

  #track(work: Promise<void>): void {
    const tracked = work.catch(() => undefined).finally(() => this.#pending.delete(tracked));
    this.#pending.add(tracked);
  }

  #inspectRequest(input: string | URL | Request, init: RequestInit | undefined): void {
    const url = new URL(input instanceof Request ? input.url : String(input));
    this.#fromParameters(url.searchParams);
    const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
    // Whatever the shape (a Bearer token, a bare API key, another scheme, several credentials), each
    // word of the value but a scheme name is a credential the log must not hold.
    for (const word of (headers.get("authorization") ?? "").split(/[\s,]+/)) {
      if (!/^(bearer|basic|digest|dpop|negotiate)$/i.test(word)) this.add("bearer credential", word);
    }
    for (const cookie of (headers.get("cookie") ?? "").split(";")) this.add("cookie", cookie.split("=").slice(1).join("=").trim());
    const body = init?.body;
    if (typeof body === "string") this.#fromText(body, headers.get("content-type"));
    else if (body instanceof URLSearchParams) this.#fromParameters(body);
    else if (input instanceof Request && init?.body === undefined && input.body !== null) this.#track(input.clone().text().then((text) => this.#fromText(text, input.headers.get("content-type"))));
  }

  async #inspectResponse(response: Response): Promise<void> {
    const location = response.headers.get("location");
    if (location !== null) {
      try {
        this.#fromParameters(new URL(location, "http://relative.invalid").searchParams);
      } catch {
        // Not a URL: nothing to harvest.
      }
    }
    for (const cookie of response.headers.getSetCookie()) this.add("cookie", cookie.split(";")[0]!.split("=").slice(1).join("="));
    const type = response.headers.get("content-type") ?? "";
    // Event streams may stay open; tool results carry no credentials anyway.
    if (type.startsWith("text/event-stream") || response.body === null) return;
    this.#fromText(await response.text(), type);
  }

  #fromText(text: string, contentType: string | null): void {
    if ((contentType ?? "").includes("application/x-www-form-urlencoded")) {
      this.#fromParameters(new URLSearchParams(text));
      return;
    }
    try {
      this.#fromJson(JSON.parse(text), 0);
    } catch {
      // Not JSON: HTML pages carry sealed consent forms in hidden inputs.
      for (const match of text.matchAll(/name="(request|state)" value="([^"]+)"/g)) this.add("sealed state or form", match[2]);
    }
  }

  #fromParameters(parameters: URLSearchParams): void {
    for (const [name, value] of parameters) {
      const kind = PARAMETERS[name];
      if (kind !== undefined) this.add(kind, value);
    }
  }

  #fromJson(value: unknown, depth: number): void {
    if (depth > 6 || value === null || typeof value !== "object") return;
    for (const [key, item] of Object.entries(value)) {
      const kind = PARAMETERS[key];
      if (kind !== undefined) this.add(kind, item);
      // Error objects name error codes ("code": "InvalidAuthenticationToken"), not authorization codes.
      else if (key !== "error") this.#fromJson(item, depth + 1);
    }
  }
}

export function fragmentsOf(secret: string): string[] {
  const fragments = [secret];
  const segments = secret.split(".");
  if (segments.length >= 3 && segments[0]!.startsWith("eyJ")) {
    for (const segment of segments.slice(1)) if (segment.length >= MIN_SECRET_LENGTH) fragments.push(segment.slice(0, MIN_SECRET_LENGTH), segment.slice(-MIN_SECRET_LENGTH));
  } else {
    fragments.push(secret.slice(0, MIN_SECRET_LENGTH), secret.slice(-MIN_SECRET_LENGTH));
  }
  return fragments;
}
