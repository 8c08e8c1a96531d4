/**
 * What tools' `obo()`, `appToken()` and `msal()` needs draw on, built once
 * per process from the settings: the On-Behalf-Of exchanger with its cache,
 * app tokens (client credentials), Entra failures turned into messages a
 * user can act on, and the shared MSAL client.
 */
import type { ConfidentialClientApplication } from "@azure/msal-node";
import type { OboTokenCache } from "../cache/index.js";
import type { EntraSettings } from "../config.js";
import type { ValidatedToken } from "../entra/access-token.js";
import type { AppCredential } from "../entra/app-credential.js";
import type { EntraAuthority } from "../entra/authority.js";
import { EntraError } from "../entra/errors.js";
import type { EntraTokenClient } from "../entra/token-client.js";
import type { Logger } from "../log.js";
import { NeedError, SignInRequiredError, StepUpRequiredError, type NeedServices } from "../mcp/needs.js";
import { SecretUnavailableError } from "../secrets/source.js";
import { AppTokenSource } from "./app-token.js";
import { OboExchanger } from "./exchange.js";
import { createMsalClient } from "./msal.js";

export interface OboServicesOptions {
  readonly settings: EntraSettings;
  readonly authority: EntraAuthority;
  readonly tokens: EntraTokenClient;
  readonly credential: AppCredential;
  readonly cache: OboTokenCache;
  readonly log: Logger;
}

/** Builds the services behind `obo()`, `appToken()` and `msal()`. */
export function createOboServices(options: OboServicesOptions): NeedServices {
  const exchanger = new OboExchanger({ tokens: options.tokens, cache: options.cache, log: options.log });
  const appTokens = new AppTokenSource(options.tokens, options.log);
  let msalClient: Promise<ConfidentialClientApplication> | undefined;
  return {
    onBehalfOf: {
      async exchange(token: ValidatedToken, scopes: readonly string[], signal: AbortSignal) {
        try {
          return await exchanger.exchange(token, scopes, signal);
        } catch (error) {
          throw explain(error, token, scopes, options);
        }
      },
      invalidate: (token: ValidatedToken, scopes: readonly string[]) => exchanger.invalidate(token, scopes),
    },
    appTokens: {
      async acquire(scope: string, caller: ValidatedToken, signal: AbortSignal) {
        // A multi-tenant app acts in the caller's tenant, where its service principal holds the permissions.
        const tenant = options.settings.multiTenant ? caller.tenantId : options.settings.tenant;
        try {
          return await appTokens.acquire(scope, tenant, signal);
        } catch (error) {
          throw explainAppTokenFailure(error, scope, options);
        }
      },
    },
    msalClient: () => (msalClient ??= createMsalClient(options.settings, options.credential, options.log)),
  };
}

/** The API a set of scopes belongs to, for messages. */
export function apiName(scopes: readonly string[]): string {
  const resource = /^((?:https?|api):\/\/[^/]+)/.exec(scopes[0] ?? "")?.[1] ?? "the downstream API";
  return resource === "https://graph.microsoft.com" ? "Microsoft Graph" : resource;
}

/**
 * The failures every token request for a tool shares, as messages: the app
 * credential unavailable or refused, Entra throttling or down. Undefined for
 * an Entra failure the caller explains itself.
 */
function explainShared(error: unknown, options: OboServicesOptions): Error | undefined {
  if (error instanceof SecretUnavailableError) {
    options.log.error("obo.credential_unavailable", { secret: error.secretName });
    return new NeedError(`This server cannot authenticate to Microsoft Entra right now (its operator should check the secret "${error.secretName}").`);
  }
  if (!(error instanceof EntraError)) return error instanceof Error ? error : new Error(String(error));
  switch (error.failure) {
    case "throttled":
      return new NeedError(`Microsoft Entra is limiting requests right now; try again in ${error.details.retryAfterSeconds ?? 30} seconds.`);
    case "unavailable":
      return new NeedError("Microsoft Entra could not be reached; try again in a moment.");
    case "invalid_client":
      options.log.error("obo.app_credential_refused", { aadsts: error.aadstsText, description: error.details.description });
      return new NeedError("This server's own Microsoft Entra registration or credential is misconfigured; contact its operator (the server log has the details).");
    default:
      return undefined;
  }
}

/** A failed app token request as a message; the AADSTS code and text stay in the log. */
function explainAppTokenFailure(error: unknown, scope: string, options: OboServicesOptions): Error {
  if (error instanceof EntraError) options.log.warn("app_token.failed", { failure: error.failure, aadsts: error.aadstsText, scope });
  return (
    explainShared(error, options) ??
    new NeedError(`This server could not get a token for ${apiName([scope])} as itself; its operator should check the application permissions granted to its app registration (the server log has the details).`)
  );
}

/** An Entra failure as a message the user (or the operator) can act on; never Entra's own text. */
function explain(error: unknown, token: ValidatedToken, scopes: readonly string[], options: OboServicesOptions): Error {
  const api = apiName(scopes);
  const permissions = scopes.map((scope) => scope.slice(scope.lastIndexOf("/") + 1)).join(", ");
  if (error instanceof EntraError) options.log.warn("obo.failed", { failure: error.failure, aadsts: error.aadstsText, api, scopes });
  const shared = explainShared(error, options);
  if (shared !== undefined || !(error instanceof EntraError)) return shared ?? new Error(String(error));
  switch (error.failure) {
    case "consent_required":
      return new StepUpRequiredError(
        `You have not consented to let this server use ${api} (${permissions}) on your behalf. Sign in to this server again to grant it; ` +
          `if your organisation requires an administrator's approval, an administrator can grant it for everyone at ${options.authority.adminConsentUrl(token.tenantId)}`,
        { reason: "consent_required", scopes },
      );
    case "interaction_required":
      return new StepUpRequiredError(
        `Your organisation requires you to sign in again, with an extra check (for example multi-factor authentication), before this server may call ${api} for you. ` +
          "Sign out of this server in your MCP client and sign in again; the extra check will be asked for.",
        { reason: "claims_challenge", scopes, ...(error.details.claims === undefined ? {} : { claims: error.details.claims }) },
      );
    case "invalid_grant":
      return new SignInRequiredError(`Your sign-in can no longer be used to call ${api} (it expired or was revoked). Sign in to this server again.`);
    default:
      // The AADSTS code and text stay in the log line above: they can name tenant policies and app ids.
      return new NeedError(`The exchange for a ${api} token failed; contact the server's operator if it persists (the server log has the details).`);
  }
}
