/**
 * Per-item authorization (`requires`), one rule for tools, resources and
 * prompts: what the caller's token must grant, checked before the handler.
 *
 * - A missing **scope** is something the user can get by signing in again
 *   for it, so the item stays in lists and a call answers the MCP step-up
 *   challenge (403 `insufficient_scope` naming every scope the item needs).
 * - A missing **app role** is something only an administrator can grant, so
 *   the item is left out of the caller's lists, and a direct call is refused
 *   with a message naming the role.
 *
 * Without sign-in (AUTH_MODE=none) there is no token and nothing to check.
 */
import type { ScopeChallengeHandler } from "@modelcontextprotocol/server";
import { validatedTokenOf } from "../auth/gate.js";
import type { ProtectedResource } from "../auth/protected-resource.js";
import type { ValidatedToken } from "../entra/access-token.js";

/** What the caller's token must grant to use an item (a tool, a resource, a prompt). */
export interface Requirements {
  /** Delegated scope names of this API (short form, e.g. "orders.write") the token's `scp` must contain. */
  readonly scopes?: readonly string[];
  /** App roles the token's `roles` must contain; an administrator assigns them in Entra. */
  readonly roles?: readonly string[];
}

/** What a caller lacks for an item; empty lists when it lacks nothing of that kind. */
export interface Shortfall {
  readonly scopes: readonly string[];
  readonly roles: readonly string[];
}

const SCOPE_NAME = /^[A-Za-z0-9._-]{1,120}$/;
const ROLE_NAME = /^[A-Za-z0-9._-]{1,120}$/;

/**
 * The problem with a declared `requires`, or undefined when it is usable;
 * checked once, when the item is defined.
 */
export function requirementsProblem(requires: Requirements | undefined): string | undefined {
  for (const name of requires?.scopes ?? []) {
    if (!SCOPE_NAME.test(name)) return `required scope "${name}" must be a short scope name such as orders.write`;
  }
  for (const name of requires?.roles ?? []) {
    if (!ROLE_NAME.test(name)) return `required app role "${name}" must be an app role value such as Tools.Admin`;
  }
  return undefined;
}

/** What `token` lacks of `requires`; undefined when it lacks nothing or there is no token (AUTH_MODE=none). */
export function shortfallOf(requires: Requirements | undefined, token: ValidatedToken | undefined): Shortfall | undefined {
  if (requires === undefined || token === undefined) return undefined;
  const scopes = (requires.scopes ?? []).filter((name) => !token.scopes.includes(name));
  const roles = (requires.roles ?? []).filter((role) => !token.roles.includes(role));
  return scopes.length === 0 && roles.length === 0 ? undefined : { scopes, roles };
}

/** Whether an item belongs in the caller's lists: everything but what needs an app role the caller lacks. */
export function listedFor(requires: Requirements | undefined, token: ValidatedToken | undefined): boolean {
  return (shortfallOf(requires, token)?.roles.length ?? 0) === 0;
}

/** Whether what a caller may see of these items depends on who the caller is. */
export function listsDependOnCaller(items: readonly { readonly requires?: Requirements }[]): boolean {
  return items.some((item) => (item.requires?.roles?.length ?? 0) > 0);
}

/** "the app role Tools.Admin", "the scopes a, b": for messages. */
function named(kind: "scope" | "app role", names: readonly string[]): string {
  return `the ${kind}${names.length > 1 ? "s" : ""} ${names.join(", ")}`;
}

/**
 * The message refusing a caller who lacks app roles, naming them; undefined
 * when no role is missing. `subject` is what is refused: "This resource".
 */
export function missingRoleMessage(subject: string, shortfall: Shortfall | undefined): string | undefined {
  if (shortfall === undefined || shortfall.roles.length === 0) return undefined;
  return `${subject} needs ${named("app role", shortfall.roles)}, which your account does not have. An administrator assigns app roles in Microsoft Entra ID.`;
}

/**
 * The MCP SDK's scope challenge for `requires`: a caller lacking a scope gets
 * 403 `insufficient_scope` naming every scope the item needs (the API's base
 * scope included, in the form clients request them). With `rolesToo`, a
 * caller lacking only an app role gets the same challenge, which is what
 * tools did before the role rule above (see the README).
 *
 * @param subject For the error description: "This tool", "This resource".
 */
export function requirementsChallenge(requires: Requirements, resource: ProtectedResource, subject: string, rolesToo = false): ScopeChallengeHandler | undefined {
  if ((requires.scopes ?? []).length === 0 && !(rolesToo && (requires.roles ?? []).length > 0)) return undefined;
  const allScopes = [...new Set([...resource.baseScopes, ...(requires.scopes ?? []).map((name) => resource.clientScope(name))])] as [string, ...string[]];
  return ({ authInfo }) => {
    const shortfall = shortfallOf(requires, validatedTokenOf(authInfo));
    if (shortfall === undefined) return undefined;
    const lacking = [
      ...(shortfall.scopes.length === 0 ? [] : [named("scope", shortfall.scopes)]),
      ...(!rolesToo || shortfall.roles.length === 0 ? [] : [`${named("app role", shortfall.roles)} (an administrator assigns roles)`]),
    ];
    if (lacking.length === 0) return undefined;
    return { scopes: allScopes, errorDescription: `${subject} needs ${lacking.join(" and ")}.` };
  };
}
