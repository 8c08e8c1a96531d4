// The Entra app registration that protects the MCP endpoint, and its service
// principal, through the Microsoft Graph Bicep extension.
//
// Tokens for this API are v2 (`requestedAccessTokenVersion: 2`): the kit
// refuses v1 tokens. The federated credential lives in entra-federated-credential.bicep,
// a separate deployment that starts only after this one has finished: see
// that file for why (msgraph-bicep-types#301).
extension microsoftGraphV1

targetScope = 'subscription'

@description('Immutable alternate key of the application in the tenant; the deployment finds the app again by it.')
param uniqueName string

@description('Display name shown on the Entra sign-in and consent pages.')
param displayName string

@description('Application ID URI; the `aud` of the v2 access tokens may be it or the client id.')
param identifierUri string

@description('Web redirect URI of the authorization-server facade: https://<app>.azurewebsites.net/auth/callback.')
param redirectUri string

@description('Names of the delegated scopes the API exposes, e.g. mcp.access.')
@minLength(1)
param apiScopes string[]

@description('Client ids allowed to request the API scopes without a consent prompt.')
param preAuthorizedClientIds string[]

@description('Microsoft Graph delegated permissions the tools call Graph with (OBO), plus the OIDC scopes the facade asks for.')
param graphDelegatedPermissions string[]

@description('Delegated permissions of your own APIs that the app calls On-Behalf-Of the user (the gateway\'s remote MCP servers, custom APIs): each API\'s application (client) id and the names of its scopes.')
param downstreamApiPermissions downstreamApiPermission[]

@description('Who may sign in: this tenant only, or any Entra tenant.')
@allowed([
  'AzureADMyOrg'
  'AzureADMultipleOrgs'
])
param signInAudience string

var microsoftGraphAppId = '00000003-0000-0000-c000-000000000000'

@description('A downstream API\'s delegated permissions, as the app registration declares them.')
type downstreamApiPermission = {
  @description('Application (client) id of the API\'s app registration, e.g. the remote MCP server\'s.')
  appId: string
  @description('Names of its delegated scopes, e.g. Crm.Read (the part after the identifier URI).')
  scopes: string[]
}

// Graph first, then each downstream API: one list, so one loop finds every API's service principal.
var delegatedApis = concat(empty(graphDelegatedPermissions) ? [] : [{ appId: microsoftGraphAppId, scopes: graphDelegatedPermissions }], downstreamApiPermissions)

// Scope ids derive from the unique name so that redeploys keep them: a new id
// would orphan every consent already granted to the scope.
var scopeDefinitions = [
  for scope in apiScopes: {
    id: guid(uniqueName, 'oauth2PermissionScope', scope)
    value: scope
    type: 'User'
    isEnabled: true
    adminConsentDisplayName: 'Use ${displayName} (${scope})'
    adminConsentDescription: 'Allows MCP clients to call ${displayName} on behalf of the signed-in user.'
    userConsentDisplayName: 'Use ${displayName} (${scope})'
    userConsentDescription: 'Allows MCP clients to call ${displayName} on your behalf.'
  }
]

// Each API's own service principal (Graph's, yours), read to turn permission
// names into ids: the ids differ by nothing but are easier to review as names.
resource apiPrincipals 'Microsoft.Graph/servicePrincipals@v1.0' existing = [
  for api in delegatedApis: {
    appId: api.appId
  }
]

resource application 'Microsoft.Graph/applications@v1.0' = {
  uniqueName: uniqueName
  displayName: displayName
  signInAudience: signInAudience
  identifierUris: [
    identifierUri
  ]
  isFallbackPublicClient: false
  api: {
    requestedAccessTokenVersion: 2
    oauth2PermissionScopes: scopeDefinitions
    preAuthorizedApplications: [
      for clientId in preAuthorizedClientIds: {
        appId: clientId
        delegatedPermissionIds: map(scopeDefinitions, scope => scope.id)
      }
    ]
  }
  web: {
    redirectUris: [
      redirectUri
    ]
    implicitGrantSettings: {
      enableAccessTokenIssuance: false
      enableIdTokenIssuance: false
    }
  }
  requiredResourceAccess: [
    for (api, i) in delegatedApis: {
      resourceAppId: api.appId
      resourceAccess: map(api.scopes, permission => {
        id: filter(apiPrincipals[i].oauth2PermissionScopes, scope => scope.value == permission)[0].id
        type: 'Scope'
      })
    }
  ]
}

resource servicePrincipal 'Microsoft.Graph/servicePrincipals@v1.0' = {
  appId: application.appId
}

output clientId string = application.appId
output uniqueName string = application.uniqueName
output identifierUri string = identifierUri
output servicePrincipalId string = servicePrincipal.id
