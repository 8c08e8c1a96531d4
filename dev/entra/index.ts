/**
 * The local Entra ID stand-in: start it with {@link startEntraStandIn}, point
 * msal at it with {@link msalAuthorityOptions}. See dev/README.md.
 */
export { startEntraStandIn, EntraStandIn } from "./stand-in.js";
export type { EntraStandInOptions, EntraEndpoints, MintAccessTokenOptions, RequireMfaOptions } from "./stand-in.js";
export { msalAuthorityOptions } from "./msal.js";
export type { MsalAuthorityOptions } from "./msal.js";
export type { AppRegistrationConfig, ConsentMode, DevUserConfig, FederatedCredentialConfig, ManagedIdentityConfig, TenantConfig } from "./types.js";
export type { Fault, FaultFilter, FaultHandle, FaultKind, FaultRule } from "./faults.js";
export type { ActivityCounts, EndpointName, GrantName, RequestRecord } from "./activity.js";
export type { Application, DevUser, ManagedIdentity } from "./directory.js";
export { GRAPH_APP_ID, GRAPH_RESOURCE, TOKEN_EXCHANGE_AUDIENCE, isGuid } from "./directory.js";
export { TokenRejected, hashedGraphNonce } from "./jwt.js";
export type { VerifiedToken } from "./jwt.js";
export type { SigningKeyInfo } from "./keys.js";
export { redirectUriMatches } from "./authorize.js";
