// The two user-assigned managed identities of the app.
//
// They are kept apart on purpose: the runtime identity holds Azure RBAC roles
// (storage, monitoring, Key Vault), while the federated-credential identity
// holds none and exists only to be trusted by the Entra app registration. A
// token of the FIC identity therefore opens nothing in Azure by itself, and
// the runtime identity cannot act as the app registration.

@description('Azure region of the identities.')
param location string

@description('Tags applied to every resource.')
param tags object

@description('Name of the runtime identity (storage, Application Insights, Key Vault).')
param runtimeIdentityName string

@description('Name of the identity used only as the federated credential of the Entra app.')
param federatedIdentityName string

resource runtimeIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: runtimeIdentityName
  location: location
  tags: tags
}

resource federatedIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: federatedIdentityName
  location: location
  tags: tags
}

output runtimeIdentityId string = runtimeIdentity.id
output runtimeClientId string = runtimeIdentity.properties.clientId
output runtimePrincipalId string = runtimeIdentity.properties.principalId
output federatedIdentityId string = federatedIdentity.id
output federatedClientId string = federatedIdentity.properties.clientId
output federatedPrincipalId string = federatedIdentity.properties.principalId
