// Log Analytics + workspace-based Application Insights with local (instrumentation key) auth disabled:
// only Entra tokens from principals holding Monitoring Metrics Publisher can ingest.
// The operator workbook (decisions by rule, throttling, failures, "why was this deleted") ships with it.
param logAnalyticsName string
param applicationInsightsName string
param workbookDisplayName string = 'CRM-Outlook delete sync'
param location string = resourceGroup().location
param tags object = {}

resource logAnalytics 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: logAnalyticsName
  location: location
  tags: tags
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: 90
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
    IngestionMode: 'LogAnalytics'
    DisableLocalAuth: true
  }
}

resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  name: guid(applicationInsights.id, 'delete-sync-operator-workbook')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: workbookDisplayName
    category: 'workbook'
    sourceId: applicationInsights.id
    serializedData: loadTextContent('../workbook.json')
  }
}

output applicationInsightsName string = applicationInsights.name
output applicationInsightsId string = applicationInsights.id
output connectionString string = applicationInsights.properties.ConnectionString
output logAnalyticsId string = logAnalytics.id
output workbookId string = workbook.id
