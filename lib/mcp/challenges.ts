/**
 * What the handlers of one `/mcp` request found out about the caller's
 * authorization, so that `/mcp` answers with an HTTP challenge the client
 * knows how to follow instead of the call's result:
 *
 * - a token Entra refused meanwhile (SignInRequiredError): 401
 *   `invalid_token`; the client refreshes and retries;
 * - a need that cannot go on until the user grants more
 *   (StepUpRequiredError: consent to a downstream scope, a claims challenge,
 *   a downstream's `insufficient_scope`): 403 `insufficient_scope` naming
 *   every scope the call needs, all at once; the client re-authorizes for
 *   them (the facade carries them, and the claims, to Entra) and retries.
 *
 * Whoever resolves needs reports failures here: the tool wrapper does it for
 * every tool; a resource or prompt handler calls {@link reportAuthorizationFailure}
 * with what it declares. Where no challenge can be answered (direct mode
 * for downstream scopes; an SSE answer already under way) the failure's
 * message stays the result.
 */
import { insufficientScopeResponse, invalidTokenResponse } from "../auth/gate.js";
import type { ProtectedResource } from "../auth/protected-resource.js";
import type { Logger } from "../log.js";
import { SignInRequiredError, StepUpRequiredError } from "./needs.js";

/** What a handler requires and declares, for a challenge naming everything its call needs. */
export interface CallDeclaration {
  /** API scope names the caller's token must hold (short form, `requires.scopes`). */
  readonly requiredScopes?: readonly string[];
  /** Downstream scopes (full form) the handler's needs declare. */
  readonly downstreamScopes?: readonly string[];
}

/** Where handlers report authorization failures; the per-request environment carries one. */
export interface AuthorizationReports {
  /** Told when a need found the caller's token refused by Entra (see SignInRequiredError). */
  readonly onSignInRequired?: (description: string) => void;
  /** Told when a need cannot go on until the user grants more (see StepUpRequiredError). */
  readonly onStepUpRequired?: (error: StepUpRequiredError, declared: CallDeclaration) => void;
}

/**
 * Reports `error` if `/mcp` can answer it with a challenge; the caller still
 * returns its usual error result, which stands where no challenge is answered.
 *
 * @example
 * catch (error) { reportAuthorizationFailure(environment, error, { downstreamScopes }); return errorResult(error); }
 */
export function reportAuthorizationFailure(reports: AuthorizationReports, error: unknown, declared: CallDeclaration = {}): void {
  if (error instanceof SignInRequiredError) reports.onSignInRequired?.(error.message);
  else if (error instanceof StepUpRequiredError) reports.onStepUpRequired?.(error, declared);
}

/** The challenges one request collected. */
export class AuthorizationChallenges implements Required<AuthorizationReports> {
  private signInRequired: string | undefined;
  private stepUp: { description: string; reasons: Set<string>; apiScopes: Set<string>; downstream: Set<string>; demanded: Set<string>; claims: string | undefined } | undefined;

  readonly onSignInRequired = (description: string): void => {
    this.signInRequired ??= description;
  };

  readonly onStepUpRequired = (error: StepUpRequiredError, declared: CallDeclaration): void => {
    const stepUp = (this.stepUp ??= { description: error.message, reasons: new Set(), apiScopes: new Set(), downstream: new Set(), demanded: new Set(), claims: undefined });
    stepUp.reasons.add(error.stepUp.reason);
    for (const scope of error.stepUp.scopes) stepUp.demanded.add(scope);
    for (const name of declared.requiredScopes ?? []) stepUp.apiScopes.add(name);
    for (const scope of [...(declared.downstreamScopes ?? []), ...error.stepUp.scopes]) stepUp.downstream.add(scope);
    stepUp.claims ??= error.stepUp.claims;
  };

  /** Whether anything was reported. */
  get any(): boolean {
    return this.signInRequired !== undefined || this.stepUp !== undefined;
  }

  /**
   * The challenge to answer with, or undefined to let the call's result
   * stand: a refused sign-in first (nothing else can succeed before it is
   * renewed), then a step-up, when this mode can ask for downstream scopes.
   */
  response(resource: ProtectedResource, log: Logger): Response | undefined {
    if (this.signInRequired !== undefined) {
      log.info("auth.refused", { reason: "token refused by Entra during the call" });
      return invalidTokenResponse(resource, this.signInRequired);
    }
    if (this.stepUp === undefined || !resource.stepsUpDownstream) return undefined;
    const apiScopes = [...this.stepUp.apiScopes];
    const scopes = resource.challengeScopes(apiScopes, [...this.stepUp.downstream], this.stepUp.claims);
    // A scope the refusal demands that no need declares cannot be asked for at /authorize (it accepts only
    // declared ones): a challenge would send the client round to re-authorize for what it already has.
    const undeclared = [...this.stepUp.demanded].filter((scope) => !resource.declaresDownstream(scope));
    if (undeclared.length > 0 || scopes.length === resource.challengeScopes(apiScopes).length) {
      // Nothing a re-authorization could add (no declared downstream scope, no claims): the client would
      // only refresh and be refused again, so the tool error stands.
      log.warn("auth.step_up_unanswerable", { reasons: [...this.stepUp.reasons], undeclared: undeclared.length > 0 ? undeclared : [...this.stepUp.downstream], hint: "declare the scope in a need (obo()) so that users can consent to it" });
      return undefined;
    }
    log.info("auth.step_up", { reasons: [...this.stepUp.reasons], downstream: [...this.stepUp.downstream], claims: this.stepUp.claims !== undefined });
    return insufficientScopeResponse(resource, scopes, this.stepUp.description);
  }
}
