// Data-plane roles for the function app's identity. Each one is needed by code that runs:
//   Storage Blob Data Owner        – Functions host (AzureWebJobsStorage: leases, timers) and the Flex deployment package
//   Storage Queue Data Contributor – receivers enqueue to `changes`; the queue trigger reads it and moves poison messages
//   Storage Table Data Contributor – links, snapshots, tombstones, dedupe, audit, subscriptions
//   Monitoring Metrics Publisher   – telemetry into Application Insights with local auth disabled
// And, only when asked for, the queue and table data roles for an operator (docs/operator-guide.md
// runbooks: shared keys are off, so `az storage … --auth-mode login` needs them).
param storageAccountName string
param applicationInsightsName string
param principalId string
@description('User (or group) who runs the operator runbooks; empty = nobody.')
param operatorPrincipalId string = ''

var roles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
}

var storageRoles = [
  roles.storageBlobDataOwner
  roles.storageQueueDataContributor
  roles.storageTableDataContributor
]

var operatorRoles = [
  roles.storageQueueDataContributor
  roles.storageTableDataContributor
]

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource storageRoleAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for roleId in storageRoles: {
  name: guid(storage.id, principalId, roleId)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}]

resource metricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(applicationInsights.id, principalId, roles.monitoringMetricsPublisher)
  scope: applicationInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// principalType is left out: the deploying principal may be a user or a service principal.
resource operatorRoleAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for roleId in operatorRoles: if (!empty(operatorPrincipalId)) {
  name: guid(storage.id, operatorPrincipalId, roleId)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
    principalId: operatorPrincipalId
  }
}]
