/**
 * Requests to Entra's token endpoint made by the facade (code redemption and
 * refresh). Plain OAuth over fetch, because the facade must hold Entra's
 * refresh token itself (to seal it for the client), which MSAL keeps hidden
 * in its cache.
 */
import { withCallerAndDeadline } from "../abort.js";
import type { Logger } from "../log.js";
import type { AppCredential } from "./app-credential.js";
import type { EntraAuthority } from "./authority.js";
import { SecretUnavailableError } from "../secrets/source.js";
import { tracedFetch } from "../telemetry/index.js";
import { classifyEntraError, EntraError, unreachable } from "./errors.js";

/** A successful token response. */
export interface EntraTokens {
  readonly accessToken: string;
  readonly refreshToken: string | undefined;
  /** Seconds the access token is valid for. */
  readonly expiresIn: number;
  /** Scopes granted, as Entra reports them (full form). */
  readonly scope: string;
}

export interface EntraTokenClientOptions {
  readonly authority: EntraAuthority;
  readonly clientId: string;
  readonly credential: AppCredential;
  readonly log: Logger;
  /** Timeout of one request (default 10 seconds). */
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
}

export class EntraTokenClient {
  private readonly timeoutMs: number;
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly options: EntraTokenClientOptions) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.fetchImpl = tracedFetch("entra", options.fetch ?? fetch);
  }

  /**
   * Sends one token request with the app's credential.
   * @throws EntraError, classified
   */
  async request(grant: Readonly<Record<string, string>>, signal?: AbortSignal, tenant?: string): Promise<EntraTokens> {
    const endpoint = tenant === undefined ? this.options.authority.tokenEndpoint : this.options.authority.tokenEndpointFor(tenant);
    const credentialFields = await this.credentialFields(endpoint, signal);
    // The credential has deadlines of its own (secret cache, identity endpoint); Entra's starts now.
    const body = new URLSearchParams({ ...grant, client_id: this.options.clientId, ...credentialFields });
    const { response, json } = await withCallerAndDeadline(signal, this.timeoutMs, async (combined) => {
      let response: Response;
      try {
        response = await this.fetchImpl(endpoint, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
          body,
          redirect: "error",
          signal: combined,
        });
      } catch (error) {
        throw this.unreachable(grant, error);
      }
      try {
        return { response, json: (await response.json()) as unknown };
      } catch (error) {
        if (response.ok) throw this.unreachable(grant, error);
        return { response, json: undefined };
      }
    });
    if (!response.ok) {
      const failure = classifyEntraError(response.status, json, response.headers.get("retry-after"));
      this.options.log.warn("entra.token_request_failed", {
        grant: grant["grant_type"],
        failure: failure.failure,
        status: response.status,
        aadsts: failure.aadstsText,
        description: failure.details.description,
      });
      throw failure;
    }
    const fields = (json ?? {}) as Record<string, unknown>;
    if (typeof fields["access_token"] !== "string") throw new EntraError("bad_request", { status: response.status, description: "no access_token in the response" });
    return {
      accessToken: fields["access_token"],
      refreshToken: typeof fields["refresh_token"] === "string" ? fields["refresh_token"] : undefined,
      expiresIn: typeof fields["expires_in"] === "number" ? fields["expires_in"] : Number(fields["expires_in"] ?? 3600),
      scope: typeof fields["scope"] === "string" ? fields["scope"] : "",
    };
  }

  /** The credential's form fields; a wait the caller gave up on counts as Entra being unreachable, like an aborted fetch. */
  private async credentialFields(endpoint: URL, signal: AbortSignal | undefined): Promise<Record<string, string>> {
    try {
      return await this.options.credential.tokenRequestFields(endpoint, signal);
    } catch (error) {
      if (signal?.aborted === true && !(error instanceof SecretUnavailableError)) throw unreachable(error);
      throw error;
    }
  }

  /** An unanswered request, logged once with its cause (timeout, refused connection...) so the operator can tell outages apart. */
  private unreachable(grant: Readonly<Record<string, string>>, error: unknown): EntraError {
    const failure = unreachable(error);
    this.options.log.warn("entra.token_request_failed", { grant: grant["grant_type"], failure: failure.failure, cause: describeCause(error) });
    return failure;
  }
}

/** The name and code of a network error and of its cause (undici wraps the socket error): never a message, which could quote a URL. */
function describeCause(error: unknown): string {
  const parts: string[] = [];
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 3; current = current.cause, depth++) {
    const code = (current as { code?: unknown }).code;
    parts.push(typeof code === "string" ? `${current.name} ${code}` : current.name);
  }
  return parts.join(" <- ") || "unknown";
}
