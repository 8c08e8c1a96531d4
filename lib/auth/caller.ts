/**
 * Who is calling: a signed-in user (a delegated token, `scp`), or an
 * application with its own identity (an app-only token from the client
 * credentials grant: no `scp`, its permissions in `roles`). Audit lines name
 * the caller by what stays stable: the user's object id, or the app's client id.
 */
import type { ValidatedToken } from "../entra/access-token.js";

export type Caller =
  | { readonly kind: "user"; readonly oid: string; readonly tid: string }
  | { readonly kind: "app"; readonly appId: string; readonly tid: string };

/**
 * Whether a token is app-only. Entra's v2 app tokens carry no `scp`; with the
 * optional `idtyp` claim configured they also say `idtyp: "app"`.
 */
export function isAppOnly(token: ValidatedToken): boolean {
  return token.claims["scp"] === undefined || token.claims["idtyp"] === "app";
}

/** The caller behind a token, for audit lines. */
export function callerOf(token: ValidatedToken): Caller {
  return isAppOnly(token)
    ? { kind: "app", appId: token.clientId ?? "unknown", tid: token.tenantId }
    : { kind: "user", oid: token.objectId, tid: token.tenantId };
}
