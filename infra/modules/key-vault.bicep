// Key Vault for the facade's sealing keyring. RBAC mode (no access policies),
// soft delete and purge protection: the keyring cannot be destroyed by
// mistake, and sealed client ids, codes and refresh tokens stay valid across
// redeploys because nothing here writes the secret (the postprovision hook
// creates it once).

@description('Azure region of the vault.')
param location string

@description('Tags applied to every resource.')
param tags object

@description('Name of the vault (3-24 letters, digits and hyphens).')
@minLength(3)
@maxLength(24)
param keyVaultName string

@description('Days a deleted vault or secret stays recoverable.')
@minValue(7)
@maxValue(90)
param softDeleteRetentionInDays int = 90

@description('Principal id of the runtime identity, which reads the keyring.')
param runtimePrincipalId string

@description('Principal id of the deploying user or service principal, which creates the keyring in the postprovision hook; empty for none.')
param deployerPrincipalId string

@description('Whether `deployerPrincipalId` is a user or a service principal.')
@allowed([
  'User'
  'ServicePrincipal'
])
param deployerPrincipalType string

var keyVaultSecretsUser = '4633458b-17de-408a-b874-0445c86b69e6'
var keyVaultSecretsOfficer = 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'

resource keyVault 'Microsoft.KeyVault/vaults@2024-11-01' = {
  name: keyVaultName
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: softDeleteRetentionInDays
    enablePurgeProtection: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
  }
}

// Key Vault Secrets User: the app reads the sealing keyring, nothing more.
resource runtimeSecretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(keyVault.id, runtimePrincipalId, keyVaultSecretsUser)
  scope: keyVault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsUser)
    principalId: runtimePrincipalId
    principalType: 'ServicePrincipal'
  }
}

// Key Vault Secrets Officer: the postprovision hook, running as the deployer,
// creates the keyring when it is missing (and recovers a soft-deleted one).
resource deployerSecretsOfficer 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(deployerPrincipalId)) {
  name: guid(keyVault.id, deployerPrincipalId, keyVaultSecretsOfficer)
  scope: keyVault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsOfficer)
    principalId: deployerPrincipalId
    principalType: deployerPrincipalType
  }
}

output keyVaultName string = keyVault.name
output keyVaultUri string = keyVault.properties.vaultUri
