// The Flex Consumption plan (FC1) and the Linux function app on Node 22.
//
// Hardening: https only, TLS 1.2 minimum for the app and its SCM site, FTP
// and basic (user/password) publishing credentials off, so the only way to
// deploy is an Entra-authenticated one. The deployment package sits in a blob
// container the runtime identity reads; no storage key exists anywhere.
//
// App settings are the ones lib/config.ts declares as set by the
// infrastructure, plus the Functions host's own; test/infra checks both lists.

@description('Azure region of the plan and the app.')
param location string

@description('Tags applied to every resource.')
param tags object

@description('Value of the azd-service-name tag: azd finds the app to deploy to by it.')
param serviceName string

@description('Name of the Flex Consumption plan.')
param planName string

@description('Name of the function app; also the first label of its default host name.')
param functionAppName string

@description('Memory of each instance, in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int

@description('Most instances the app scales out to.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int

@description('Instances kept warm for HTTP triggers. 0 keeps the cost at rest at zero, at the price of cold starts.')
@minValue(0)
param alwaysReadyInstanceCount int

@description('Resource id of the runtime identity.')
param runtimeIdentityId string

@description('Client id of the runtime identity.')
param runtimeClientId string

@description('Resource id of the federated-credential-only identity.')
param federatedIdentityId string

@description('Client id of the federated-credential-only identity.')
param federatedClientId string

@description('Blob endpoint of the host storage account.')
param storageBlobEndpoint string

@description('Queue endpoint of the host storage account.')
param storageQueueEndpoint string

@description('Table endpoint of the host storage account, also the OBO cache table endpoint.')
param storageTableEndpoint string

@description('URL of the blob container that holds the deployment package.')
param deploymentContainerUrl string

@description('Connection string of Application Insights (an ingestion address and an id, not a secret once local auth is off).')
param applicationInsightsConnectionString string

@description('Origin clients use to reach the app.')
param publicBaseUrl string

@description('How MCP clients sign in.')
@allowed([
  'proxy'
  'direct'
])
param authMode string

@description('Tenant of the Entra app registration.')
param entraTenantId string

@description('Client id of the Entra app registration.')
param entraClientId string

@description('Application ID URI of the Entra app registration.')
param entraIdentifierUri string

@description('Space-separated names of the scopes the API exposes.')
param entraApiScopes string

@description('Vault URI of the Key Vault that holds the sealing keyring.')
param keyVaultUrl string

@description('Name of the Key Vault secret holding the sealing keyring.')
param sealingKeyringSecretName string

@description('Shared OBO cache layer.')
@allowed([
  'memory'
  'table'
  'redis'
])
param oboCache string

@description('Name of the table of the shared OBO cache.')
param oboCacheTableName string

resource plan 'Microsoft.Web/serverfarms@2024-11-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true
  }
}

resource functionApp 'Microsoft.Web/sites@2024-11-01' = {
  name: functionAppName
  location: location
  tags: union(tags, { 'azd-service-name': serviceName })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${runtimeIdentityId}': {}
      '${federatedIdentityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientAffinityEnabled: false
    publicNetworkAccess: 'Enabled'
    siteConfig: {
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: runtimeIdentityId
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
        alwaysReady: alwaysReadyInstanceCount > 0
          ? [
              {
                name: 'http'
                instanceCount: alwaysReadyInstanceCount
              }
            ]
          : []
      }
      runtime: {
        name: 'node'
        version: '22'
      }
    }
  }

  resource ftpPublishing 'basicPublishingCredentialsPolicies' = {
    name: 'ftp'
    properties: {
      allow: false
    }
  }

  resource scmPublishing 'basicPublishingCredentialsPolicies' = {
    name: 'scm'
    properties: {
      allow: false
    }
  }

  // Flex Consumption refuses FUNCTIONS_WORKER_RUNTIME, FUNCTIONS_EXTENSION_VERSION
  // and the WEBSITE_* content settings: functionAppConfig above replaces them.
  resource appSettings 'config' = {
    name: 'appsettings'
    properties: {
      // The Functions host: identity-based storage and telemetry.
      AzureWebJobsStorage__credential: 'managedidentity'
      AzureWebJobsStorage__clientId: runtimeClientId
      AzureWebJobsStorage__blobServiceUri: storageBlobEndpoint
      AzureWebJobsStorage__queueServiceUri: storageQueueEndpoint
      AzureWebJobsStorage__tableServiceUri: storageTableEndpoint
      APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsightsConnectionString
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${runtimeClientId};Authorization=AAD'
      AzureWebJobsDisableHomepage: 'true'

      // The kit (lib/config.ts).
      PUBLIC_BASE_URL: publicBaseUrl
      AUTH_MODE: authMode
      ENTRA_TENANT_ID: entraTenantId
      ENTRA_CLIENT_ID: entraClientId
      ENTRA_IDENTIFIER_URI: entraIdentifierUri
      ENTRA_API_SCOPES: entraApiScopes
      ENTRA_AUTHORITY_HOST: environment().authentication.loginEndpoint
      KEY_VAULT_URL: keyVaultUrl
      SEALING_KEYRING_SECRET_NAME: sealingKeyringSecretName
      APP_CREDENTIAL: 'managed-identity'
      MANAGED_IDENTITY_CLIENT_ID: runtimeClientId
      FIC_IDENTITY_CLIENT_ID: federatedClientId
      OBO_CACHE: oboCache
      OBO_CACHE_TABLE_ENDPOINT: storageTableEndpoint
      OBO_CACHE_TABLE_NAME: oboCacheTableName
    }
  }
}

output functionAppName string = functionApp.name
output defaultHostName string = functionApp.properties.defaultHostName
