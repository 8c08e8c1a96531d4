/**
 * On-Behalf-Of: the signed-in user's token for this API exchanged at Entra for
 * a token for a downstream API, as the same user.
 *
 * The exchange is a plain token request through the kit's token client rather
 * than MSAL's `acquireTokenOnBehalfOf`: MSAL 7 throttles locally after a 429
 * or 5xx by client, authority and scopes, not by user, so with one shared
 * client application one user's transient failure would block every user's
 * exchange for up to a minute; and MSAL's token cache grows with every user.
 * The kit's own cache (lib/cache) is keyed by the user's assertion and
 * bounded; this module adds bounded retries and Entra error handling.
 */
import type { OboTokenCache, CachedToken } from "../cache/index.js";
import type { ValidatedToken } from "../entra/access-token.js";
import { EntraError } from "../entra/errors.js";
import type { EntraTokenClient } from "../entra/token-client.js";
import type { Logger } from "../log.js";
import { traceOboExchange } from "../telemetry/index.js";

/** Waits before the second and third attempt after Entra failed or could not be reached. */
const RETRY_DELAYS_MS = [250, 1000];
/** A throttled exchange is retried once when Entra asks for at most this long a pause. */
const MAX_THROTTLE_WAIT_SECONDS = 2;

export interface OboExchangerOptions {
  readonly tokens: EntraTokenClient;
  readonly cache: OboTokenCache;
  readonly log: Logger;
}

export class OboExchanger {
  constructor(private readonly options: OboExchangerOptions) {}

  /**
   * A token for `scopes` (one downstream resource) on behalf of `user`: from
   * the cache, or from Entra, with concurrent identical exchanges sharing one
   * request.
   * @throws EntraError, classified, after any retries
   */
  exchange(user: ValidatedToken, scopes: readonly string[], signal: AbortSignal): Promise<CachedToken> {
    return traceOboExchange(scopes, () => this.options.cache.getOrAcquire(user.token, scopes, undefined, new Date(user.expiresAt * 1000), (shared) => this.acquire(user, scopes, shared), signal));
  }

  /** Forgets the cached token for `scopes` on behalf of `user` (memory and the shared layer). */
  invalidate(user: ValidatedToken, scopes: readonly string[]): Promise<void> {
    return this.options.cache.invalidate(user.token, scopes);
  }

  private async acquire(user: ValidatedToken, scopes: readonly string[], signal: AbortSignal): Promise<{ accessToken: string; expiresOn: Date; scopes: readonly string[] }> {
    const grant = {
      grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer",
      requested_token_use: "on_behalf_of",
      assertion: user.token,
      scope: scopes.join(" "),
    };
    for (let attempt = 0; ; attempt++) {
      try {
        const tokens = await this.options.tokens.request(grant, signal, user.tenantId);
        this.options.log.debug("obo.exchanged", { scopes, attempt });
        return { accessToken: tokens.accessToken, expiresOn: new Date(Date.now() + tokens.expiresIn * 1000), scopes };
      } catch (error) {
        if (!(error instanceof EntraError) || signal.aborted) throw error;
        const delay = retryDelay(error, attempt);
        if (delay === undefined) throw error;
        await sleep(delay, signal);
      }
    }
  }
}

function retryDelay(error: EntraError, attempt: number): number | undefined {
  // A request that ran into its deadline is not sent again: two more would triple the wait for a tool call that will fail anyway.
  if (error.failure === "unavailable" && timedOut(error)) return undefined;
  if (error.failure === "unavailable") return RETRY_DELAYS_MS[attempt];
  if (error.failure === "throttled" && attempt === 0) {
    const seconds = error.details.retryAfterSeconds ?? 1;
    return seconds <= MAX_THROTTLE_WAIT_SECONDS ? seconds * 1000 : undefined;
  }
  return undefined;
}

function timedOut(error: EntraError): boolean {
  return error.cause instanceof Error && error.cause.name === "TimeoutError";
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}
