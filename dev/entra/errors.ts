/**
 * Errors shaped like Entra's: an OAuth `error`, an `error_description` that
 * starts with the AADSTS code and ends with trace id, correlation id and
 * timestamp, `error_codes`, and `suberror` / `claims` where Entra sends them.
 *
 * Codes and wording follow what Entra returns for the same situation. Where
 * the stand-in is stricter than Entra (PKCE required, `plain` refused) it uses
 * the closest real code and says "(local stand-in rule)" in the message.
 */
import { randomUUID } from "node:crypto";

export interface EntraErrorExtras {
  readonly suberror?: string;
  /** Claims challenge (a JSON string) for Conditional Access / MFA. */
  readonly claims?: string;
  /** Seconds, sent as `Retry-After`. */
  readonly retryAfterSeconds?: number;
}

/** An error the token or authorize endpoint answers with. `code` is the AADSTS number. */
export class EntraError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly code: number,
    readonly detail: string,
    readonly extras: EntraErrorExtras = {},
  ) {
    super(`AADSTS${code}: ${detail}`);
    this.name = "EntraError";
  }
}

/** The JSON body Entra sends with an error. */
export interface EntraErrorBody {
  readonly error: string;
  readonly error_description: string;
  readonly error_codes: readonly number[];
  readonly timestamp: string;
  readonly trace_id: string;
  readonly correlation_id: string;
  readonly error_uri: string;
  readonly suberror?: string;
  readonly claims?: string;
}

/** Entra's timestamp form: `2016-01-09 02:02:12Z`. */
export function entraTimestamp(epochMs: number): string {
  return new Date(epochMs).toISOString().replace("T", " ").replace(/\.\d{3}Z$/, "Z");
}

/** Renders `error` as Entra's JSON error body. `correlationId` echoes `client-request-id` when the client sent one. */
export function entraErrorBody(error: EntraError, origin: string, nowMs: number, correlationId?: string): EntraErrorBody {
  const traceId = randomUUID();
  const correlation = correlationId ?? randomUUID();
  const timestamp = entraTimestamp(nowMs);
  return {
    error: error.error,
    error_description: `AADSTS${error.code}: ${error.detail}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlation}\r\nTimestamp: ${timestamp}`,
    error_codes: [error.code],
    timestamp,
    trace_id: traceId,
    correlation_id: correlation,
    error_uri: `${origin}/error?code=${error.code}`,
    ...(error.extras.suberror === undefined ? {} : { suberror: error.extras.suberror }),
    ...(error.extras.claims === undefined ? {} : { claims: error.extras.claims }),
  };
}

/** The catalogue: one function per situation, so call sites read as what went wrong. */
export const aadsts = {
  tenantNotFound: (tenant: string) =>
    new EntraError(400, "invalid_request", 90002, `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`),
  missingParameter: (name: string) =>
    new EntraError(400, "invalid_request", 900144, `The request body must contain the following parameter: '${name}'.`),
  invalidParameter: (name: string, why: string) =>
    new EntraError(400, "invalid_request", 90100, `The parameter '${name}' is empty or not valid: ${why}`),
  pkceRequired: () =>
    new EntraError(400, "invalid_request", 900144, "The request must contain the following parameter: 'code_challenge' (local stand-in rule: PKCE is required)."),
  pkcePlainRefused: () =>
    new EntraError(400, "invalid_request", 90100, "The parameter 'code_challenge_method' is not valid: only S256 is accepted (local stand-in rule: 'plain' is refused)."),
  unsupportedResponseType: (responseType: string) =>
    new EntraError(400, "unsupported_response_type", 700054, `response_type '${responseType}' is not enabled for the application.`),
  postRequired: (method: string) =>
    new EntraError(400, "invalid_request", 900561, `The endpoint only accepts POST requests. Received a ${method} request.`),
  userDeclinedConsent: () => new EntraError(400, "access_denied", 65004, "User declined to consent to access the app."),
  loginRequired: () => new EntraError(400, "login_required", 50058, "A silent sign-in request was sent but no user is signed in."),
  unsupportedGrantType: (grantType: string) =>
    new EntraError(400, "unsupported_grant_type", 70003, `The app requested an unsupported grant type '${grantType}'.`),
  unknownApplication: (clientId: string, tenant: string) =>
    new EntraError(
      400,
      "unauthorized_client",
      700016,
      `Application with identifier '${clientId}' was not found in the directory '${tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
    ),
  redirectUriMismatch: (redirectUri: string, clientId: string) =>
    new EntraError(
      400,
      "invalid_request",
      50011,
      `The redirect URI '${redirectUri}' specified in the request does not match the redirect URIs configured for the application '${clientId}'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal. Navigate to https://aka.ms/redirectUriMismatchError to learn more about how to fix this.`,
    ),
  scopeMissing: () =>
    new EntraError(400, "invalid_request", 900144, "The request body must contain the following parameter: 'scope'."),
  scopeInvalid: (scope: string) =>
    new EntraError(400, "invalid_scope", 70011, `The provided value for the input parameter 'scope' is not valid. The scope ${scope} is not valid.`),
  scopeMultipleResources: (scope: string) =>
    new EntraError(400, "invalid_scope", 28000, `Provided value for the input parameter scope is not valid because it contains more than one resource. Scope ${scope} is not valid.`),
  scopeNotOnResource: (appName: string, scope: string, resourceAppId: string) =>
    new EntraError(400, "invalid_scope", 650053, `The application '${appName}' asked for scope '${scope}' that doesn't exist on the resource '${resourceAppId}'. Contact the app vendor.`),
  clientCredentialsNeedsDefault: (scope: string) =>
    new EntraError(
      400,
      "invalid_scope",
      1002012,
      `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
    ),
  resourceNotFound: (resource: string, tenant: string) =>
    new EntraError(
      400,
      "invalid_resource",
      500011,
      `The resource principal named ${resource} was not found in the tenant named ${tenant}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`,
    ),
  resourceParameterMismatch: () =>
    new EntraError(400, "invalid_target", 9010010, "The resource parameter provided in the request doesn't match with the requested scopes."),
  codeRedeemed: () =>
    new EntraError(400, "invalid_grant", 54005, "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token."),
  grantExpired: () =>
    new EntraError(400, "invalid_grant", 70008, "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource."),
  grantMalformed: (what: string) => new EntraError(400, "invalid_grant", 9002313, `Invalid request. Request is malformed or invalid. (${what})`),
  grantOtherClient: () => new EntraError(400, "invalid_grant", 70000, "Provided grant is invalid or malformed. It was issued to a different client."),
  codeVerifierMismatch: () =>
    new EntraError(400, "invalid_grant", 501481, "The Code_Verifier does not match the code_challenge supplied in the authorization request."),
  replyAddressMismatch: (given: string, expected: string) =>
    new EntraError(400, "invalid_grant", 500112, `The reply address '${given}' does not match the reply address '${expected}' provided when requesting Authorization code.`),
  badCredentials: () => new EntraError(400, "invalid_grant", 50126, "Error validating credentials due to invalid username or password."),
  userNotFound: (upn: string, tenant: string) =>
    new EntraError(
      400,
      "invalid_grant",
      50034,
      `The user account ${upn} does not exist in the ${tenant} directory. To sign into this application, the account must be added to the directory.`,
    ),
  consentRequired: (clientId: string, appName: string) =>
    new EntraError(
      400,
      "invalid_grant",
      65001,
      `The user or administrator has not consented to use the application with ID '${clientId}' named '${appName}'. Send an interactive authorization request for this user and resource.`,
      { suberror: "consent_required" },
    ),
  mfaRequired: (resource: string, claims: string) =>
    new EntraError(
      400,
      "interaction_required",
      50076,
      `Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '${resource}'.`,
      { claims },
    ),
  mfaEnrollmentRequired: (resource: string, claims: string) =>
    new EntraError(
      400,
      "interaction_required",
      50079,
      `Due to a configuration change made by your administrator, or because you moved to a new location, you must enroll in multi-factor authentication to access '${resource}'.`,
      { claims },
    ),
  assertionSignature: (reason: string) =>
    new EntraError(400, "invalid_grant", 50013, `Assertion failed signature validation. [Reason - ${reason}]`),
  assertionExpired: (nowIso: string, expIso: string) =>
    new EntraError(
      400,
      "invalid_grant",
      500133,
      `Assertion is not within its valid time range. Ensure that the access token is not expired before using it for user assertion, or request a new token. Current time: ${nowIso}, expiry time of assertion ${expIso}.`,
    ),
  assertionAudience: (audience: string, clientId: string) =>
    new EntraError(
      400,
      "invalid_grant",
      500131,
      `Assertion audience does not match the Client app presenting the assertion. The audience in the assertion was '${audience}' and the expected audience is '${clientId}' or one of the Application Id URIs of this application.`,
    ),
  assertionNotUser: () =>
    new EntraError(400, "invalid_grant", 50013, "Assertion failed signature validation. [Reason - The assertion does not represent a user (an app-only token cannot be exchanged on behalf of a user).]"),
  invalidClientSecret: (clientId: string) =>
    new EntraError(
      401,
      "invalid_client",
      7000215,
      `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`,
    ),
  clientCredentialMissing: () =>
    new EntraError(401, "invalid_client", 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'."),
  publicClientWithCredential: () =>
    new EntraError(400, "invalid_client", 700025, "Client is public so neither 'client_assertion' nor 'client_secret' should be presented."),
  clientAssertionMalformed: (why: string) => new EntraError(401, "invalid_client", 50027, `JWT token is invalid or malformed. (${why})`),
  clientAssertionClientMismatch: () =>
    new EntraError(401, "invalid_client", 700021, "Client assertion application identifier doesn't match 'client_id' parameter. Review the documentation at https://docs.microsoft.com/en-us/azure/active-directory/develop/active-directory-certificate-credentials ."),
  clientAssertionAudience: (audience: string) =>
    new EntraError(401, "invalid_client", 700027, `Client assertion failed signature validation. [Reason - The audience '${audience}' is not the token endpoint of this tenant.]`),
  clientAssertionExpired: () => new EntraError(401, "invalid_client", 700024, "Client assertion is not within its valid time range."),
  certificateNotRegistered: (clientId: string) =>
    new EntraError(401, "invalid_client", 700027, `The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '${clientId}'.]`),
  clientAssertionSignature: () =>
    new EntraError(401, "invalid_client", 700027, "Client assertion failed signature validation. [Reason - The signature is not valid.]"),
  federatedIssuer: (issuer: string) =>
    new EntraError(
      400,
      "invalid_client",
      700211,
      `No matching federated identity record found for presented assertion issuer '${issuer}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion.`,
    ),
  federatedSubject: (subject: string) =>
    new EntraError(
      400,
      "invalid_client",
      700213,
      `No matching federated identity record found for presented assertion subject '${subject}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion.`,
    ),
  federatedAudience: (audience: string) =>
    new EntraError(
      400,
      "invalid_client",
      700212,
      `No matching federated identity record found for presented assertion audience '${audience}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion.`,
    ),
  tenantSpecificEndpointRequired: () =>
    new EntraError(400, "invalid_request", 900023, "Specified tenant identifier 'common' is neither a valid DNS name, nor a valid external domain: use a tenant-specific endpoint for this grant."),
  throttled: (retryAfterSeconds: number) =>
    new EntraError(429, "temporarily_unavailable", 90055, "TenantThrottlingError - There are too many incoming requests. Retry after the interval in the Retry-After header.", {
      retryAfterSeconds,
    }),
  serverError: () => new EntraError(500, "server_error", 50000, "There was an error issuing a token or an issue with our sign-in service."),
  serviceUnavailable: (retryAfterSeconds?: number) =>
    new EntraError(
      503,
      "temporarily_unavailable",
      90033,
      "A transient error has occurred. Please try again.",
      retryAfterSeconds === undefined ? {} : { retryAfterSeconds },
    ),
} as const;
