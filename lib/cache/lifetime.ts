/**
 * How long a cached OBO token may be handed out.
 *
 * A token is useful only if it is still valid when the downstream API checks
 * it, after the tool's own work, the network and some clock skew between
 * Entra, us and the API. So an entry stops before its token does, by a
 * margin. The entry also stops when the assertion does: after that the user's
 * session with us has ended, and a token obtained on its behalf must not
 * outlive it, even if Entra issued it for longer.
 */

/** Default and largest margin before the token's expiry: 5 minutes, as MSAL uses for its own refresh. */
export const DEFAULT_EXPIRY_MARGIN_MS = 5 * 60_000;
/**
 * Least margin. A token with less left than this is never handed out: the
 * tool may need several seconds of it, and clocks in a fleet drift by seconds.
 */
export const MIN_EXPIRY_MARGIN_MS = 30_000;

/**
 * The instant (ms since the epoch) an entry stops being served, or undefined
 * when the token should not be cached at all.
 *
 * The margin is `maxMarginMs` (default 5 minutes), but at most half of the
 * token's remaining life, so short tokens (10 minutes and less, common with
 * test issuers and some policies) stay cacheable for a while, and never less
 * than 30 seconds.
 *
 * @example
 * // a 60-minute token, a 50-minute assertion: served for 50 minutes
 * entryExpiry(now + 60 * 60_000, now + 50 * 60_000, now); // now + 50 * 60_000
 * // a 60-minute token, a 90-minute assertion: served for 55 minutes
 * entryExpiry(now + 60 * 60_000, now + 90 * 60_000, now); // now + 55 * 60_000
 */
export function entryExpiry(tokenExpiresOn: number, assertionExpiresOn: number, now: number, maxMarginMs = DEFAULT_EXPIRY_MARGIN_MS): number | undefined {
  if (!Number.isFinite(tokenExpiresOn) || !Number.isFinite(assertionExpiresOn)) return undefined;
  const remaining = tokenExpiresOn - now;
  const margin = Math.min(Math.max(maxMarginMs, 0), Math.max(MIN_EXPIRY_MARGIN_MS, remaining / 2));
  const until = Math.min(tokenExpiresOn - margin, assertionExpiresOn);
  return until > now ? Math.floor(until) : undefined;
}
