// Logs and traces: a Log Analytics workspace and a workspace-based Application Insights
// component. Local (instrumentation-key) auth is disabled, so telemetry is accepted only from
// identities holding Monitoring Metrics Publisher on the component (see rbac.bicep).

@description('Azure region of the workspace and component.')
param location string

@description('Name of the Log Analytics workspace.')
param workspaceName string

@description('Name of the Application Insights component.')
param appInsightsName string

@description('Tags applied to both resources.')
param tags object = {}

@description('Days logs are kept (30 are included in the ingestion price).')
@minValue(30)
@maxValue(730)
param retentionInDays int = 30

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: workspaceName
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: retentionInDays
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: appInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    DisableLocalAuth: true
  }
}

output appInsightsName string = appInsights.name
output appInsightsId string = appInsights.id
// Not a secret: with local auth disabled the connection string only says where to send.
output connectionString string = appInsights.properties.ConnectionString
output workspaceId string = workspace.id
