/**
 * The step shared by /authorize (consent remembered) and /consent (approve):
 * send the browser to Entra with the facade's own PKCE pair, a sealed state,
 * and the binding cookie.
 */
import { createHash, randomBytes } from "node:crypto";
import type { Facade } from "./facade.js";
import { LIFETIMES } from "./facade.js";
import { newPkcePair } from "./pkce.js";
import { authorizeScopes, downstreamScopesToAsk } from "./scopes.js";

/** An authorization request that passed every check, waiting for the user. Sealed as `consent`. */
export interface PendingAuthorization {
  /** Client id. */
  readonly c: string;
  /** Redirect URI, validated. */
  readonly r: string;
  /** The client's S256 code challenge. */
  readonly cc: string;
  /** API scope names granted. */
  readonly s: string[];
  /** The client's state, echoed back. */
  readonly st?: string;
  /** 1 when the request omitted redirect_uri (the client registered one): /token then may omit it too (RFC 6749 section 4.1.3). */
  readonly ro?: 1;
  /** Declared downstream scopes the client asked for (full form): a step-up for consent. */
  readonly d?: string[];
  /** A claims challenge the client carried (JSON): a step-up for Conditional Access. */
  readonly cl?: string;
}

/** Exactly the fields of a pending authorization (an unsealed one also carries `iat` and `exp`). */
export function pendingFieldsOf(pending: PendingAuthorization): PendingAuthorization {
  return {
    c: pending.c,
    r: pending.r,
    cc: pending.cc,
    s: pending.s,
    ...(pending.st === undefined ? {} : { st: pending.st }),
    ...(pending.ro === 1 ? { ro: 1 as const } : {}),
    ...(pending.d === undefined ? {} : { d: pending.d }),
    ...(pending.cl === undefined ? {} : { cl: pending.cl }),
  };
}

/** The downstream scopes a sign-in asks Entra for (see downstreamScopesToAsk). */
export function downstreamScopesOfSignIn(facade: Facade, pending: PendingAuthorization): string[] {
  return downstreamScopesToAsk(facade.consent, facade.downstreamScopes, pending.d ?? []);
}

/** The state sent to Entra. Sealed as `authorization`; what only Entra's /authorize needed (`d`, `cl`) is left out. */
export interface AuthorizationState extends Omit<PendingAuthorization, "d" | "cl"> {
  /** The facade's PKCE verifier towards Entra. */
  readonly ev: string;
  /** SHA-256 of the binding cookie value. */
  readonly b: string;
}

/** The hash stored in the state for a binding cookie value. */
export function bindingHash(value: string): string {
  return createHash("sha256").update(value).digest("base64url");
}

/** Redirects the browser to Entra's sign-in, setting the binding cookie (and any extra cookies). */
export async function redirectToEntra(facade: Facade, pending: PendingAuthorization, extraCookies: readonly string[] = []): Promise<Response> {
  const pkce = newPkcePair();
  const binding = randomBytes(32).toString("base64url");
  const { d: _downstream, cl: claims, ...kept } = pending;
  const state: AuthorizationState = { ...kept, ev: pkce.verifier, b: bindingHash(binding) };
  const sealedState = await (await facade.sealer()).seal("authorization", { ...state }, LIFETIMES.authorization);

  const target = facade.entra.authority.authorizeEndpoint;
  target.searchParams.set("client_id", facade.entra.clientId);
  target.searchParams.set("response_type", "code");
  target.searchParams.set("response_mode", "query");
  target.searchParams.set("redirect_uri", facade.callbackUrl);
  target.searchParams.set("scope", authorizeScopes(pending.s, facade.api, downstreamScopesOfSignIn(facade, pending)).join(" "));
  target.searchParams.set("state", sealedState);
  target.searchParams.set("code_challenge", pkce.challenge);
  target.searchParams.set("code_challenge_method", "S256");
  if (claims !== undefined) target.searchParams.set("claims", claims);

  const headers = new Headers({ Location: target.href, "Cache-Control": "no-store", "Referrer-Policy": "no-referrer" });
  headers.append("Set-Cookie", facade.cookies.set(facade.cookies.bindingName, binding, LIFETIMES.authorization));
  for (const cookie of extraCookies) headers.append("Set-Cookie", cookie);
  return new Response(null, { status: 303, headers });
}
