/**
 * Which app-only callers (daemons and agents signed in with client
 * credentials, no user) may call the tools.
 *
 * Any application in an allowed tenant can obtain a token for this API, so
 * an app-only token proves nothing by itself; by default every one is
 * refused. Two things let one in:
 *
 * - its client id is listed in APP_CALLERS: it may call every tool whose own
 *   requirements it meets (tools that need a user then say so: `obo()` and
 *   `user()` refuse an app caller with a clear message);
 * - it holds an app role that a tool's `requires.roles` names: an
 *   administrator assigned that role to the application, which is Entra's
 *   own way of authorizing an app, so it may call the tools requiring roles
 *   it holds, and only those.
 */
import type { ValidatedToken } from "../entra/access-token.js";

export class AppCallerPolicy {
  private readonly listed: ReadonlySet<string>;
  private readonly toolRoles: ReadonlySet<string>;

  /**
   * @param listed client ids from APP_CALLERS (lower case)
   * @param toolRoles every role named by some tool's `requires.roles`
   */
  constructor(listed: readonly string[], toolRoles: readonly string[]) {
    this.listed = new Set(listed);
    this.toolRoles = new Set(toolRoles);
  }

  /** Whether the app is listed in APP_CALLERS. */
  lists(token: ValidatedToken): boolean {
    return token.clientId !== undefined && this.listed.has(token.clientId.toLowerCase());
  }

  /** Whether the gate lets an app-only token in: a listed app, or one holding a role some tool requires. */
  admits(token: ValidatedToken): boolean {
    return this.lists(token) || token.roles.some((role) => this.toolRoles.has(role));
  }

  /**
   * Whether an admitted app-only caller may call a tool requiring `roles`
   * (whether it holds them is the tool's own requirement check): a listed
   * app may call any tool, an unlisted one only a tool that requires roles.
   */
  mayCall(token: ValidatedToken, roles: readonly string[]): boolean {
    return this.lists(token) || roles.length > 0;
  }
}
