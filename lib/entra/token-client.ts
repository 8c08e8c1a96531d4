/**
 * Requests to Entra's token endpoint made by the facade (code redemption and
 * refresh). Plain OAuth over fetch, because the facade must hold Entra's
 * refresh token itself (to seal it for the client), which MSAL keeps hidden
 * in its cache.
 */
import type { Logger } from "../log.js";
import type { AppCredential } from "./app-credential.js";
import type { EntraAuthority } from "./authority.js";
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
    this.fetchImpl = options.fetch ?? fetch;
  }

  /**
   * Sends one token request with the app's credential.
   * @throws EntraError, classified
   */
  async request(grant: Readonly<Record<string, string>>, signal?: AbortSignal, tenant?: string): Promise<EntraTokens> {
    const endpoint = tenant === undefined ? this.options.authority.tokenEndpoint : this.options.authority.tokenEndpointFor(tenant);
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const combined = signal === undefined ? timeout : AbortSignal.any([signal, timeout]);
    const credentialFields = await this.options.credential.tokenRequestFields(endpoint, combined);
    const body = new URLSearchParams({ ...grant, client_id: this.options.clientId, ...credentialFields });
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
      throw unreachable(error);
    }
    let json: unknown;
    try {
      json = await response.json();
    } catch (error) {
      if (response.ok) throw unreachable(error);
      json = undefined;
    }
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
}
