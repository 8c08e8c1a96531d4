/** The fake App Service managed identity endpoint (IDENTITY_ENDPOINT / IDENTITY_HEADER). See dev/README.md. */
export { startManagedIdentityEndpoint, ManagedIdentityEndpoint, APP_SERVICE_API_VERSION } from "./identity-endpoint.js";
export type { IdentityFault, IdentityRequestRecord, ManagedIdentityEndpointOptions, ManagedIdentityIssuer } from "./identity-endpoint.js";
