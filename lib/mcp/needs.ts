/**
 * What a tool may ask for about the signed-in user, resolved before `run`.
 *
 * A tool declares `needs: { oid: claim("oid"), me: user() }` and receives
 * `oid` and `me` in its context. A need that cannot be met fails the call
 * with a message that says what is missing, and `run` is never entered.
 */
import { isAppOnly } from "../auth/caller.js";
import type { AuthMode } from "../config.js";
import type { ValidatedToken } from "../entra/access-token.js";
import type { Logger } from "../log.js";
import type { SecretSource } from "../secrets/source.js";

/** What a need is resolved from: the request's validated token and its surroundings. */
export interface NeedContext {
  /** Absent only when the server runs with AUTH_MODE=none. */
  readonly token: ValidatedToken | undefined;
  readonly authMode: AuthMode;
  readonly log: Logger;
  readonly signal: AbortSignal;
  /** What needs beyond the token draw on; absent when the server runs without sign-in. */
  readonly services: NeedServices | undefined;
  /** Where `secret(name)` needs read from (Key Vault or the environment); absent only where no source was given. */
  readonly secrets?: SecretSource;
}

/**
 * Process-wide services needs draw on, built once from the settings
 * (lib/obo/index.ts). Declared here as interfaces so the tool API does not
 * load them: they are created on first use.
 */
export interface NeedServices {
  /** On-Behalf-Of exchange. */
  readonly onBehalfOf: OnBehalfOf;
  /** Tokens as this server itself (client credentials). */
  readonly appTokens: AppTokens;
  /** The shared MSAL confidential client application, created on first use. */
  readonly msalClient: () => Promise<unknown>;
}

export interface OnBehalfOf {
  /** A downstream token for `scopes`, as the user of `token`; throws a NeedError with an actionable message. */
  exchange(token: ValidatedToken, scopes: readonly string[], signal: AbortSignal): Promise<{ accessToken: string; expiresOn: Date }>;
  /**
   * Forgets the cached token for `scopes` of this user, so that the next
   * `exchange` asks Entra afresh: for a downstream that refused the token it
   * was given (a 401, e.g. after the token was revoked).
   */
  invalidate(token: ValidatedToken, scopes: readonly string[]): Promise<void>;
}

export interface AppTokens {
  /**
   * A token for `scope` (`<resource>/.default`) as this server itself, in the
   * caller's tenant (multi-tenant apps) or the app's own; throws a NeedError
   * with an actionable message.
   */
  acquire(scope: string, caller: ValidatedToken, signal: AbortSignal): Promise<{ accessToken: string; expiresOn: Date }>;
}

/** A declared need: how to produce one value of the tool's context. */
export interface Need<T> {
  /** For messages: `claim("oid")`, `user()`. */
  readonly describe: string;
  /** Downstream scopes the need will ask Entra for (full form), so the user consents to them at sign-in. */
  readonly downstreamScopes?: readonly string[];
  resolve(context: NeedContext): T | Promise<T>;
}

/** A tool's needs: context field name → need. */
export type Needs = Readonly<Record<string, Need<unknown>>>;

/** The context fields a set of needs produces. */
export type ResolvedNeeds<N extends Needs> = { readonly [K in keyof N]: N[K] extends Need<infer T> ? T : never };

/** A need that could not be met; its message is the tool result. */
export class NeedError extends Error {
  readonly code = "NEED_UNMET";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "NeedError";
  }
}

/**
 * A need cannot be met with the caller's token any more (Entra refused it as
 * expired or revoked, although it passed the gate): the client must get a
 * new one. `/mcp` answers such a call with 401 `invalid_token`, so that the
 * client refreshes and retries, rather than with a tool error.
 */
export class SignInRequiredError extends NeedError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "SignInRequiredError";
  }
}

/**
 * A need (or a downstream the kit calls for the user: a gateway server, an
 * OpenAPI operation) cannot go on until the user grants more: consent to a
 * downstream scope (AADSTS65001), a Conditional Access claims challenge
 * (AADSTS50076/50079), or a scope a downstream answered 403
 * `insufficient_scope` for.
 *
 * The contract between whoever meets the refusal and `/mcp`: `scopes` holds
 * every downstream scope (full form) the call needs, `claims` the pending
 * claims challenge when there is one. `/mcp` may answer the call with a 403
 * step-up challenge; where it does not, the message is the tool result.
 */
export class StepUpRequiredError extends NeedError {
  constructor(
    message: string,
    readonly stepUp: {
      /** Why more is needed. */
      readonly reason: "consent_required" | "claims_challenge" | "insufficient_scope";
      /** Every downstream scope the call needs, full form (`https://graph.microsoft.com/User.Read`). */
      readonly scopes: readonly string[];
      /** The claims challenge Entra sent (a JSON string), to carry to the next `/authorize`. */
      readonly claims?: string;
    },
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "StepUpRequiredError";
  }
}

/**
 * The signed-in user's token, refusing an app-only caller (a daemon or agent
 * with its own identity) with a message saying there is no user: `what` names
 * what the tool needed the user for.
 */
export function requireUser(context: NeedContext, what: string): ValidatedToken {
  const token = requireToken(context, what);
  if (isAppOnly(token)) {
    throw new NeedError(
      `This tool needs ${what}, but the caller is an application (client id ${token.clientId ?? "unknown"}) signed in as itself, with no user. ` +
        "Call it as a signed-in user; a tool meant for applications uses appToken() to call downstream APIs as this server.",
    );
  }
  return token;
}

/** The signed-in user, as far as the token says. */
export interface SignedInUser {
  /** Object id: stable id of the user in the tenant. */
  readonly oid: string;
  /** Tenant id. */
  readonly tid: string;
  /** Display name, when the token has one. */
  readonly name: string | undefined;
  /** Sign-in name (`preferred_username`), usually the UPN or e-mail; not stable, never use it as a key. */
  readonly upn: string | undefined;
  /** App roles assigned to the user. */
  readonly roles: readonly string[];
}

/** The caller's token; refuses a server running without sign-in. */
export function requireToken(context: NeedContext, what: string): ValidatedToken {
  if (context.token === undefined) {
    throw new NeedError(`This tool needs ${what}, but the server runs without sign-in (AUTH_MODE=none).`);
  }
  return context.token;
}

/**
 * One claim of the access token, as the token has it (a list claim stays an array).
 *
 * @example
 * needs: { oid: claim<string>("oid"), groups: claim<string[]>("groups") }
 */
export function claim<T = unknown>(name: string): Need<T> {
  const describe = `claim("${name}")`;
  return {
    describe,
    resolve(context) {
      const token = requireToken(context, `the signed-in user's "${name}" claim`);
      if (!(name in token.claims)) {
        const present = Object.keys(token.claims).sort().join(", ");
        throw new NeedError(`The access token has no "${name}" claim, which this tool needs. Claims present: ${present}.`);
      }
      return token.claims[name] as T;
    },
  };
}

/**
 * The caller's raw access token (for this server). For calling other APIs use
 * `obo()`: the kit never forwards the client's token downstream, and neither
 * should a tool.
 */
export function accessToken(): Need<string> {
  return {
    describe: "accessToken()",
    resolve: (context) => requireToken(context, "the caller's access token").token,
  };
}

/**
 * The signed-in user: oid, tid, name, upn, roles.
 *
 * @example
 * needs: { me: user() }, async run(_args, { me }) { return `Hello ${me.name}`; }
 */
export function user(): Need<SignedInUser> {
  return {
    describe: "user()",
    resolve(context) {
      const token = requireUser(context, "the signed-in user");
      const text = (name: string): string | undefined => (typeof token.claims[name] === "string" ? (token.claims[name] as string) : undefined);
      return { oid: token.objectId, tid: token.tenantId, name: text("name"), upn: text("preferred_username") ?? text("upn"), roles: token.roles };
    },
  };
}

/** Resolves every need of a tool, in declaration order. */
export async function resolveNeeds<N extends Needs>(needs: N, context: NeedContext): Promise<ResolvedNeeds<N>> {
  const resolved: Record<string, unknown> = {};
  for (const [field, need] of Object.entries(needs)) resolved[field] = await need.resolve(context);
  return resolved as ResolvedNeeds<N>;
}
