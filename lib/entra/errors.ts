/**
 * Entra's token endpoint errors, classified once for every caller (the
 * facade's code redemption and refresh, On-Behalf-Of).
 *
 * Entra's `error_description` starts with an AADSTS code and often names
 * tenants, apps and trace ids; it goes to the log, never to a client. Callers
 * branch on {@link EntraFailure}, not on text.
 */

/** What went wrong, as far as a caller needs to know. */
export type EntraFailure =
  /** The user (or an admin) has not consented to a scope (AADSTS65001). */
  | "consent_required"
  /** Sign-in must be repeated, e.g. for MFA or Conditional Access (AADSTS50076, 50079); `claims` says what is required. */
  | "interaction_required"
  /** The code, refresh token or assertion is expired, used or revoked. */
  | "invalid_grant"
  /** The app's own credential or registration is wrong: an operator problem (AADSTS7000215, 700016, 7000222). */
  | "invalid_client"
  /** Entra asked us to slow down (429). */
  | "throttled"
  /** Entra failed or could not be reached: worth retrying later. */
  | "unavailable"
  /** Anything else: a request Entra considers malformed. */
  | "bad_request";

const INVALID_CLIENT_CODES = new Set([7000215, 7000222, 700016, 700027, 7000112, 700024, 700211, 700212, 700213]);
const INTERACTION_CODES = new Set([50076, 50079, 50158, 50072, 53003, 50074]);

export class EntraError extends Error {
  readonly code = "ENTRA_ERROR";
  constructor(
    readonly failure: EntraFailure,
    readonly details: {
      /** HTTP status, when Entra answered. */
      readonly status?: number;
      /** OAuth error code Entra sent (`invalid_grant`). */
      readonly error?: string;
      /** AADSTS numbers. */
      readonly aadsts?: readonly number[];
      readonly suberror?: string;
      /** Claims challenge to send with the next sign-in (JSON string). */
      readonly claims?: string;
      /** Seconds to wait, from Retry-After. */
      readonly retryAfterSeconds?: number;
      /** Entra's own description: for the log only. */
      readonly description?: string;
    },
    options?: { cause?: unknown },
  ) {
    super(`Entra token request failed: ${failure}${details.aadsts?.length ? ` (AADSTS${details.aadsts.join(", AADSTS")})` : ""}`, options);
    this.name = "EntraError";
  }

  /** The AADSTS codes as text for logs, e.g. "AADSTS65001". */
  get aadstsText(): string {
    return (this.details.aadsts ?? []).map((code) => `AADSTS${code}`).join(",");
  }
}

/** Classifies an error answer of Entra's token endpoint. */
export function classifyEntraError(status: number, body: unknown, retryAfterHeader: string | null): EntraError {
  const fields = (typeof body === "object" && body !== null ? body : {}) as Record<string, unknown>;
  const error = typeof fields["error"] === "string" ? fields["error"] : undefined;
  const description = typeof fields["error_description"] === "string" ? fields["error_description"] : undefined;
  const suberror = typeof fields["suberror"] === "string" ? fields["suberror"] : undefined;
  const claims = typeof fields["claims"] === "string" && fields["claims"] !== "" ? fields["claims"] : undefined;
  const aadsts = Array.isArray(fields["error_codes"])
    ? fields["error_codes"].filter((code): code is number => typeof code === "number")
    : [...(description ?? "").matchAll(/AADSTS(\d+)/g)].map((match) => Number(match[1]));
  const retryAfterSeconds = parseRetryAfter(retryAfterHeader);
  const details = {
    status,
    ...(error === undefined ? {} : { error }),
    aadsts,
    ...(suberror === undefined ? {} : { suberror }),
    ...(claims === undefined ? {} : { claims }),
    ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
    ...(description === undefined ? {} : { description }),
  };
  const has = (codes: ReadonlySet<number> | number): boolean => aadsts.some((code) => (typeof codes === "number" ? code === codes : codes.has(code)));

  if (status === 429) return new EntraError("throttled", details);
  if (status >= 500) return new EntraError("unavailable", details);
  if (error === "invalid_client" || has(INVALID_CLIENT_CODES)) return new EntraError("invalid_client", details);
  if (has(65001) || suberror === "consent_required" || error === "consent_required") return new EntraError("consent_required", details);
  if (error === "interaction_required" || has(INTERACTION_CODES) || claims !== undefined) return new EntraError("interaction_required", details);
  if (error === "invalid_grant") return new EntraError("invalid_grant", details);
  if (error === "temporarily_unavailable") return new EntraError("unavailable", details);
  return new EntraError("bad_request", details);
}

/** An error for a token request that got no answer (network failure, timeout). */
export function unreachable(cause: unknown): EntraError {
  return new EntraError("unavailable", {}, { cause });
}

function parseRetryAfter(header: string | null): number | undefined {
  if (header === null) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(Math.ceil(seconds), 3600);
  const date = Date.parse(header);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.min(Math.ceil((date - Date.now()) / 1000), 3600));
}
