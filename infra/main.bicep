// CRM ⇄ Outlook delete sync: everything `azd up` provisions.
// Shape follows Azure-Samples/functions-quickstart-typescript-azd: Flex Consumption, one user-assigned
// identity, identity-based storage, workspace-based Application Insights with Entra-only ingestion.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment; seeds the resource names.')
param environmentName string

@minLength(1)
@description('Region for all resources; must offer Flex Consumption.')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Dataverse environment URL, e.g. https://contoso.crm.dynamics.com')
param dataverseUrl string

@description('Entra tenant of the synced mailboxes (Graph notifications are checked against it); empty = this deployment\'s tenant.')
param graphTenantId string = ''

@description('Object id of the Entra group whose members\' mailboxes are synced.')
param syncGroupId string

@description('Extra mailboxes (Entra object ids, comma-separated) synced besides the group. Optional.')
param syncUsers string = ''

@description('Dataverse organization ids or names allowed to call the webhook, comma-separated; empty = any.')
param dataverseAllowedOrganizations string = ''

@description('Policy override file, path relative to the app root (shipped in the package); empty = the built-in table.')
param policyFile string = ''

@description('Decide and record, but delete nothing. Starts true: switch off after reading the decision trail.')
param dryRun bool = true

@secure()
@minLength(16)
@description('Key Dataverse sends with the webhook (WebhookKey authentication, ?code=).')
param dataverseWebhookKey string

@secure()
@description('Alternative to the key: "header-name:secret" for Dataverse HttpHeader authentication. Optional.')
param dataverseWebhookHeader string = ''

@secure()
@minLength(16)
@description('Key for the admin API (GET /api/decisions and friends).')
param adminKey string

@allowed(['debug', 'info', 'warn', 'error'])
param logLevel string = 'info'

param maximumInstanceCount int = 40

// Names
var abbrs = loadJsonContent('./abbreviations.json')
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }
var functionAppName = '${abbrs.webSitesFunctions}delete-sync-${resourceToken}'
var deploymentContainerName = 'app-package-${take(functionAppName, 32)}-${take(toLower(uniqueString(functionAppName, resourceToken)), 7)}'

var tenantOfMailboxes = empty(graphTenantId) ? tenant().tenantId : graphTenantId

// Queue settings shared by the infrastructure and the code. maxDequeueCount and visibilityTimeout
// match host.json's queues extension, so the Functions trigger and the self-hosted worker agree.
var queueName = 'changes'
var poisonQueueName = 'changes-poison'

resource rg 'Microsoft.Resources/resourceGroups@2021-04-01' = {
  name: '${abbrs.resourcesResourceGroups}${environmentName}'
  location: location
  tags: tags
}

module identity 'app/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: '${abbrs.managedIdentityUserAssignedIdentities}delete-sync-${resourceToken}'
    location: location
    tags: tags
  }
}

module storage 'app/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: '${abbrs.storageStorageAccounts}${resourceToken}'
    location: location
    tags: tags
    deploymentContainerName: deploymentContainerName
    queueNames: [
      queueName
      poisonQueueName
    ]
  }
}

module monitoring 'app/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: '${abbrs.operationalInsightsWorkspaces}${resourceToken}'
    applicationInsightsName: '${abbrs.insightsComponents}${resourceToken}'
    location: location
    tags: tags
  }
}

module rbac 'app/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    storageAccountName: storage.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    principalId: identity.outputs.principalId
  }
}

module api 'app/api.bicep' = {
  name: 'api'
  scope: rg
  // Roles first, so the host never starts without access to its own storage.
  dependsOn: [
    rbac
  ]
  params: {
    name: functionAppName
    planName: '${abbrs.webServerFarms}${resourceToken}'
    location: location
    tags: tags
    identityId: identity.outputs.resourceId
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    deploymentContainerName: deploymentContainerName
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    maximumInstanceCount: maximumInstanceCount
    appSettings: {
      LOG_LEVEL: logLevel
      DATAVERSE_URL: dataverseUrl
      DATAVERSE_WEBHOOK_KEY: dataverseWebhookKey
      DATAVERSE_WEBHOOK_HEADER: dataverseWebhookHeader
      DATAVERSE_ALLOWED_ORGANIZATIONS: dataverseAllowedOrganizations
      GRAPH_TENANT_ID: tenantOfMailboxes
      SYNC_GROUP_ID: syncGroupId
      SYNC_USERS: syncUsers
      ADMIN_KEY: adminKey
      MAX_BODY_BYTES: '1048576'
      QUEUE_NAME: queueName
      POISON_QUEUE_NAME: poisonQueueName
      MAX_DEQUEUE_COUNT: '5'
      VISIBILITY_TIMEOUT_SECONDS: '30'
      QUEUE_BATCH_SIZE: '16'
      QUEUE_MAX_POLL_MS: '2000'
      TABLE_PREFIX: 'deletesync'
      POLICY_FILE: policyFile
      DRY_RUN: string(dryRun)
      BRAKE_MAX_PER_USER: '50'
      BRAKE_MAX_TOTAL: '200'
      BRAKE_WINDOW_SECONDS: '600'
    }
  }
}

// Where Dataverse and Graph must call. The webhook URL gets `?code=<key>` from the WebhookKey
// authentication that the registration (or the Plugin Registration Tool) sets; the key is not output.
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output SERVICE_API_NAME string = api.outputs.name
output AZURE_FUNCTION_NAME string = api.outputs.name
output PUBLIC_BASE_URL string = api.outputs.baseUrl
output DATAVERSE_WEBHOOK_URL string = '${api.outputs.baseUrl}/api/dataverse/webhook'
output GRAPH_NOTIFICATION_URL string = '${api.outputs.baseUrl}/api/graph/notifications'
output GRAPH_LIFECYCLE_URL string = '${api.outputs.baseUrl}/api/graph/lifecycle'
output DECISIONS_URL string = '${api.outputs.baseUrl}/api/decisions'
output MANAGED_IDENTITY_CLIENT_ID string = identity.outputs.clientId
output MANAGED_IDENTITY_PRINCIPAL_ID string = identity.outputs.principalId
output APPLICATIONINSIGHTS_CONNECTION_STRING string = monitoring.outputs.connectionString
output APPLICATIONINSIGHTS_WORKBOOK_ID string = monitoring.outputs.workbookId
