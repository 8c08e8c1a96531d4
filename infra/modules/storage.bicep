// The storage account the Functions host runs on (AzureWebJobsStorage), which
// also holds the deployment package and, when the shared OBO cache is
// `table`, the cache table. Shared keys are off: every client, the host
// included, signs in with an Entra identity.

@description('Azure region of the storage account.')
param location string

@description('Tags applied to every resource.')
param tags object

@description('Name of the storage account (3-24 lower-case letters and digits).')
@minLength(3)
@maxLength(24)
param storageAccountName string

@description('Blob container that holds the Flex Consumption deployment package.')
param deploymentContainerName string

@description('Shared OBO cache layer: the cache table and its role exist only for `table`.')
@allowed([
  'memory'
  'table'
  'redis'
])
param oboCache string

@description('Name of the table of the shared OBO cache.')
param oboCacheTableName string

@description('Principal id of the runtime identity.')
param runtimePrincipalId string

@description('Principal id of the deploying user or service principal; empty for none.')
param developerPrincipalId string

@description('Whether `developerPrincipalId` is a user or a service principal.')
@allowed([
  'User'
  'ServicePrincipal'
])
param developerPrincipalType string

@description('Give the deploying principal the data roles it needs to run the kit locally against these resources.')
param grantDeveloperAccess bool

var storageBlobDataOwner = 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
var storageTableDataContributor = '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
var useTableCache = oboCache == 'table'

resource storage 'Microsoft.Storage/storageAccounts@2025-01-01' = {
  name: storageAccountName
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    accessTier: 'Hot'
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
  }

  resource blobService 'blobServices' = {
    name: 'default'

    resource deploymentContainer 'containers' = {
      name: deploymentContainerName
      properties: {
        publicAccess: 'None'
      }
    }
  }

  resource tableService 'tableServices' = {
    name: 'default'

    resource oboCacheTable 'tables' = if (useTableCache) {
      name: oboCacheTableName
    }
  }
}

// Storage Blob Data Owner: the Functions host keeps its leases and keys in
// blobs, and Flex Consumption reads the deployment package from the container.
resource runtimeBlobDataOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, runtimePrincipalId, storageBlobDataOwner)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataOwner)
    principalId: runtimePrincipalId
    principalType: 'ServicePrincipal'
  }
}

// Storage Table Data Contributor: reads and writes of the shared OBO cache.
resource runtimeTableDataContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (useTableCache) {
  name: guid(storage.id, runtimePrincipalId, storageTableDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageTableDataContributor)
    principalId: runtimePrincipalId
    principalType: 'ServicePrincipal'
  }
}

// The same table role for the developer, so `npm start` can use this cache.
resource developerTableDataContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (useTableCache && grantDeveloperAccess && !empty(developerPrincipalId)) {
  name: guid(storage.id, developerPrincipalId, storageTableDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageTableDataContributor)
    principalId: developerPrincipalId
    principalType: developerPrincipalType
  }
}

output storageAccountName string = storage.name
output blobEndpoint string = storage.properties.primaryEndpoints.blob
output queueEndpoint string = storage.properties.primaryEndpoints.queue
output tableEndpoint string = storage.properties.primaryEndpoints.table
output deploymentContainerUrl string = '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
