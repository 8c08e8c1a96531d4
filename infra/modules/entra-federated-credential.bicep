// The federated identity credential that lets the app authenticate as its
// Entra app registration with a managed identity token instead of a secret.
//
// Why a module of its own: a federated credential declared in the same
// template as the application it belongs to can fail with "Error in query
// syntax" or NotFound, because the extension addresses the credential through
// an app it cannot see yet (msgraph-bicep-types#301, #271). As a separate
// deployment whose input is an output of the app's deployment, it starts only
// once the application exists, and it refers to that application as
// `existing`. Redeploys are idempotent: the credential is updated in place.
extension microsoftGraphV1

targetScope = 'subscription'

@description('Unique name of the application created by entra-app.bicep.')
param applicationUniqueName string

@description('Principal (object) id of the user-assigned identity trusted as the credential: the `sub` of its tokens.')
param federatedIdentityPrincipalId string

@description('Audience of the managed identity token exchanged for an app token. api://AzureADTokenExchange in the public cloud; sovereign clouds use their own.')
param audience string = 'api://AzureADTokenExchange'

resource application 'Microsoft.Graph/applications@v1.0' existing = {
  uniqueName: applicationUniqueName
}

// The extension addresses a credential as '<application uniqueName>/<credential name>'.
resource runtimeCredential 'Microsoft.Graph/applications/federatedIdentityCredentials@v1.0' = {
  name: '${application.uniqueName}/managed-identity'
  description: 'The function app, through its federated-credential-only managed identity.'
  // Managed identity tokens come from this tenant's Entra issuer.
  issuer: '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
  subject: federatedIdentityPrincipalId
  audiences: [
    audience
  ]
}

output name string = runtimeCredential.name
