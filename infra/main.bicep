// `azd up` entry point: everything the MCP server needs in one subscription
// deployment. See docs/deployment.md for what each piece is for and costs.
//
// Layout:
//   resource group
//   ├─ identities        runtime identity + federated-credential-only identity
//   ├─ monitoring        Log Analytics + Application Insights (local auth off)
//   ├─ storage           host storage, deployment container, OBO cache table
//   ├─ key vault         RBAC, soft delete, purge protection; sealing keyring
//   └─ function app      Flex Consumption FC1, Linux, Node 22
//   Entra (tenant)
//   ├─ entra app         app registration + service principal
//   └─ entra federated credential, in a deployment of its own (#301)
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment; resource names and the azd-env-name tag derive from it.')
param environmentName string

@minLength(1)
@description('Azure region of every resource; it must offer Flex Consumption.')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Object id of the principal running the deployment (azd sets AZURE_PRINCIPAL_ID). It gets the Key Vault role the postprovision hook needs.')
param principalId string = ''

@description('Whether `principalId` is a user or a service principal (CI).')
@allowed([
  'User'
  'ServicePrincipal'
])
param principalType string = 'User'

@description('Give the deploying principal the data roles it needs to run the kit locally against these resources (today: the OBO cache table).')
param grantDeveloperAccess bool = true

@description('Name of the resource group; default rg-<environmentName>.')
param resourceGroupName string = ''

@description('Name of the function app, the first label of https://<name>.azurewebsites.net; default derived from the environment.')
param functionAppName string = ''

@description('Memory of each function app instance, in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Most instances the function app scales out to.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('Always-ready instances for HTTP: 0 bills nothing at rest (cold starts of a few seconds); each one bills its memory around the clock.')
@minValue(0)
param alwaysReadyInstanceCount int = 0

@description('How MCP clients sign in: proxy (the kit is their authorization server) or direct (straight to Entra).')
@allowed([
  'proxy'
  'direct'
])
param authMode string = 'proxy'

@description('Shared layer of the OBO token cache and the facade\'s refresh-token ledger: table (this storage account, the default: replay detection and revocation hold across instances), memory (per instance) or redis (bring your own).')
@allowed([
  'memory'
  'table'
  'redis'
])
param oboCache string = 'table'

@description('Delegated scopes the API exposes. The first is the default scope clients ask for.')
@minLength(1)
param apiScopes string[] = [
  'mcp.access'
]

@description('Client ids pre-authorized for the API scopes, beside Visual Studio Code.')
param additionalPreAuthorizedClientIds string[] = []

@description('Microsoft Graph delegated permissions requested by the app: the OIDC scopes of the facade and the Graph permissions the tools use through OBO.')
param graphDelegatedPermissions string[] = [
  'openid'
  'profile'
  'offline_access'
  'User.Read'
]

@description('Delegated permissions of your own APIs the tools and the gateway\'s remote MCP servers are called with On-Behalf-Of, declared on the app registration: [{ appId: \'<API client id>\', scopes: [\'Crm.Read\'] }].')
param downstreamApiPermissions array = []

@description('Who may sign in: this tenant only, or any Entra tenant.')
@allowed([
  'AzureADMyOrg'
  'AzureADMultipleOrgs'
])
param signInAudience string = 'AzureADMyOrg'

@description('Name of the Key Vault secret holding the sealing keyring (created by the postprovision hook, never by this template).')
param sealingKeyringSecretName string = 'sealing-keyring'

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
}
var serviceName = 'mcp'
var appName = empty(functionAppName) ? 'func-mcp-${resourceToken}' : functionAppName
// The default host name is known before the app exists, which is what lets
// the app registration carry the redirect URI in the same deployment.
var publicBaseUrl = 'https://${appName}.azurewebsites.net'
var entraUniqueName = 'mcp-functions-kit-${resourceToken}'
// api://<tenant id>/<name> satisfies the tenant-identifier rule that Entra
// enforces on new app registrations, unlike a bare api://<name>.
var identifierUri = 'api://${tenant().tenantId}/${entraUniqueName}'
var visualStudioCodeClientId = 'aebc6443-996d-45c2-90f0-388ff96faa56'
var oboCacheTableName = 'obocache'

resource resourceGroup 'Microsoft.Resources/resourceGroups@2024-11-01' = {
  name: empty(resourceGroupName) ? 'rg-${environmentName}' : resourceGroupName
  location: location
  tags: tags
}

module identities 'modules/identities.bicep' = {
  name: 'identities'
  scope: resourceGroup
  params: {
    location: location
    tags: tags
    runtimeIdentityName: 'id-mcp-runtime-${resourceToken}'
    federatedIdentityName: 'id-mcp-fic-${resourceToken}'
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: resourceGroup
  params: {
    location: location
    tags: tags
    logAnalyticsName: 'log-mcp-${resourceToken}'
    applicationInsightsName: 'appi-mcp-${resourceToken}'
    runtimePrincipalId: identities.outputs.runtimePrincipalId
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: resourceGroup
  params: {
    location: location
    tags: tags
    storageAccountName: 'stmcp${resourceToken}'
    deploymentContainerName: 'deployment-package'
    oboCache: oboCache
    oboCacheTableName: oboCacheTableName
    runtimePrincipalId: identities.outputs.runtimePrincipalId
    developerPrincipalId: principalId
    developerPrincipalType: principalType
    grantDeveloperAccess: grantDeveloperAccess
  }
}

module keyVault 'modules/key-vault.bicep' = {
  name: 'key-vault'
  scope: resourceGroup
  params: {
    location: location
    tags: tags
    keyVaultName: 'kv-mcp-${resourceToken}'
    runtimePrincipalId: identities.outputs.runtimePrincipalId
    deployerPrincipalId: principalId
    deployerPrincipalType: principalType
  }
}

module entraApp 'modules/entra-app.bicep' = {
  name: 'entra-app'
  params: {
    uniqueName: entraUniqueName
    displayName: 'MCP Functions Kit (${environmentName})'
    identifierUri: identifierUri
    redirectUri: '${publicBaseUrl}/auth/callback'
    apiScopes: apiScopes
    preAuthorizedClientIds: union([visualStudioCodeClientId], additionalPreAuthorizedClientIds)
    graphDelegatedPermissions: graphDelegatedPermissions
    downstreamApiPermissions: downstreamApiPermissions
    signInAudience: signInAudience
  }
}

// Takes the application's unique name from the entra-app deployment's output,
// so ARM starts it only after the application exists (msgraph-bicep-types#301).
module entraFederatedCredential 'modules/entra-federated-credential.bicep' = {
  name: 'entra-federated-credential'
  params: {
    applicationUniqueName: entraApp.outputs.uniqueName
    federatedIdentityPrincipalId: identities.outputs.federatedPrincipalId
  }
}

module functionApp 'modules/function-app.bicep' = {
  name: 'function-app'
  scope: resourceGroup
  params: {
    location: location
    tags: tags
    serviceName: serviceName
    planName: 'plan-mcp-${resourceToken}'
    functionAppName: appName
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
    alwaysReadyInstanceCount: alwaysReadyInstanceCount
    runtimeIdentityId: identities.outputs.runtimeIdentityId
    runtimeClientId: identities.outputs.runtimeClientId
    federatedIdentityId: identities.outputs.federatedIdentityId
    federatedClientId: identities.outputs.federatedClientId
    storageBlobEndpoint: storage.outputs.blobEndpoint
    storageQueueEndpoint: storage.outputs.queueEndpoint
    storageTableEndpoint: storage.outputs.tableEndpoint
    deploymentContainerUrl: storage.outputs.deploymentContainerUrl
    applicationInsightsConnectionString: monitoring.outputs.applicationInsightsConnectionString
    publicBaseUrl: publicBaseUrl
    authMode: authMode
    entraTenantId: tenant().tenantId
    entraClientId: entraApp.outputs.clientId
    entraIdentifierUri: entraApp.outputs.identifierUri
    entraApiScopes: join(apiScopes, ' ')
    keyVaultUrl: keyVault.outputs.keyVaultUri
    sealingKeyringSecretName: sealingKeyringSecretName
    oboCache: oboCache
    oboCacheTableName: oboCacheTableName
  }
}

// azd stores these in .azure/<env>/.env; the hooks read them from there.
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = resourceGroup.name
output SERVICE_MCP_NAME string = functionApp.outputs.functionAppName
output PUBLIC_BASE_URL string = publicBaseUrl
output MCP_URL string = '${publicBaseUrl}/mcp'
output ENTRA_TENANT_ID string = tenant().tenantId
output ENTRA_CLIENT_ID string = entraApp.outputs.clientId
output ENTRA_IDENTIFIER_URI string = entraApp.outputs.identifierUri
output ENTRA_API_SCOPES string = join(apiScopes, ' ')
output ENTRA_FEDERATED_CREDENTIAL string = entraFederatedCredential.outputs.name
output KEY_VAULT_NAME string = keyVault.outputs.keyVaultName
output KEY_VAULT_URL string = keyVault.outputs.keyVaultUri
output SEALING_KEYRING_SECRET_NAME string = sealingKeyringSecretName
output APPLICATIONINSIGHTS_NAME string = monitoring.outputs.applicationInsightsName
