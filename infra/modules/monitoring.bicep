// Log Analytics + workspace-based Application Insights, both with local
// (key-based) authentication off: telemetry is accepted only from Entra
// identities, here the runtime identity through the Monitoring Metrics
// Publisher role.

@description('Azure region of the monitoring resources.')
param location string

@description('Tags applied to every resource.')
param tags object

@description('Name of the Log Analytics workspace.')
param logAnalyticsName string

@description('Name of the Application Insights component.')
param applicationInsightsName string

@description('Days of log retention. 30 is the period included in the Log Analytics price.')
@minValue(30)
@maxValue(730)
param retentionInDays int = 30

@description('Principal id of the runtime identity, which publishes telemetry.')
param runtimePrincipalId string

@description('Display name of the operations workbook shown under the Application Insights component.')
param workbookDisplayName string = 'MCP Functions Kit operations'

resource logAnalytics 'Microsoft.OperationalInsights/workspaces@2025-02-01' = {
  name: logAnalyticsName
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: retentionInDays
    features: {
      disableLocalAuth: true
    }
  }
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: applicationInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logAnalytics.id
    DisableLocalAuth: true
  }
}

// Monitoring Metrics Publisher: lets the Functions host send telemetry with
// Entra authentication, the only kind accepted once local auth is off.
resource runtimeMetricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(applicationInsights.id, runtimePrincipalId, '3913510d-42f4-4e42-8a64-420c390055eb')
  scope: applicationInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '3913510d-42f4-4e42-8a64-420c390055eb')
    principalId: runtimePrincipalId
    principalType: 'ServicePrincipal'
  }
}

// The operations workbook over the component: calls per tool, p50/p95 latency, error
// rate, On-Behalf-Of cache hit ratio, sign-ins. Its queries read only what the kit
// emits (lib/telemetry/names.ts); test/infra/workbook.test.ts checks each of them.
resource operationsWorkbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  name: guid(applicationInsights.id, 'mcp-functions-kit-operations')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: workbookDisplayName
    category: 'workbook'
    sourceId: applicationInsights.id
    serializedData: loadTextContent('../workbook/operations.workbook.json')
  }
}

output applicationInsightsConnectionString string = applicationInsights.properties.ConnectionString
output applicationInsightsName string = applicationInsights.name
output logAnalyticsName string = logAnalytics.name
output workbookId string = operationsWorkbook.id
