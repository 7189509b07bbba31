// CRM ⇄ Outlook delete sync: everything `azd up` provisions.
// Shape follows Azure-Samples/functions-quickstart-typescript-azd: Flex Consumption, one user-assigned
// identity, identity-based storage, workspace-based Application Insights with Entra-only ingestion.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment; seeds the resource names.')
param environmentName string

@minLength(1)
@description('Region for all resources. Only regions that offer Flex Consumption (az functionapp list-flexconsumption-locations).')
// The regions of Azure-Samples/functions-quickstart-typescript-azd (main.bicep, February 2026) without
// its canary region, so a wrong region fails before anything is created rather than at the plan.
@allowed([
  'australiaeast'
  'australiasoutheast'
  'brazilsouth'
  'canadacentral'
  'centralindia'
  'centralus'
  'eastasia'
  'eastus'
  'eastus2'
  'francecentral'
  'germanywestcentral'
  'italynorth'
  'japaneast'
  'koreacentral'
  'northcentralus'
  'northeurope'
  'norwayeast'
  'southafricanorth'
  'southcentralus'
  'southeastasia'
  'southindia'
  'spaincentral'
  'swedencentral'
  'uaenorth'
  'uksouth'
  'ukwest'
  'westcentralus'
  'westeurope'
  'westus'
  'westus2'
  'westus3'
])
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@minLength(1)
@description('Dataverse environment URL, e.g. https://contoso.crm.dynamics.com')
param dataverseUrl string

@description('Entra tenant of the synced mailboxes (Graph notifications are checked against it); empty = this deployment\'s tenant.')
param graphTenantId string = ''

@minLength(1)
@description('Object id of the Entra group whose members\' mailboxes are synced.')
param syncGroupId string

@description('Extra mailboxes (Entra object ids, comma-separated) synced besides the group. Optional.')
param syncUsers string = ''

@description('Dataverse organization ids allowed to call the webhook, comma-separated (the body\'s OrganizationId is checked). Required: in Azure the service refuses to start without it.')
@minLength(1)
param dataverseAllowedOrganizations string

@description('Policy override file, path relative to the app root (shipped in the package); empty = the built-in table.')
param policyFile string = ''

@description('Decide and record, but delete nothing. Starts true: switch off after reading the decision trail.')
param dryRun bool = true

@description('Application (client) id of the Entra app registration for signing in to the decision explorer (App Service authentication, app/auth.bicep). Empty = no sign-in: the explorer asks for the admin key.')
param explorerSignInClientId string = ''

@allowed(['debug', 'info', 'warn', 'error'])
param logLevel string = 'info'

// Graph wants an answer within 3 s (10 s for a validation request); a cold start can take longer.
@minValue(0)
@description('Always-ready instances for the HTTP functions (Graph notifications, Dataverse webhook, admin API).')
param alwaysReadyHttpInstances int = 1

// The fan-out keeps at most 4 requests in flight per mailbox for one change message (Outlook's
// per-mailbox concurrency); every further instance of the queue processor multiplies that. 1 is the
// lowest maximum Flex Consumption accepts ("Event-driven scaling in Azure Functions", Limit scale-out).
// Always-ready instances do not count toward it. See docs/deploy.md, "Scale".
@minValue(1)
@maxValue(1000)
@description('Most on-demand instances per function group; each queue-processor instance adds concurrent Graph requests per mailbox.')
param maximumInstanceCount int = 1

@description('Give the principal running azd provision Storage Queue and Table Data Contributor, for the operator runbooks.')
param grantDeployerDataAccess bool = false

// Names
var abbrs = loadJsonContent('./abbreviations.json')
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }
var functionAppName = '${abbrs.webSitesFunctions}delete-sync-${resourceToken}'
var deploymentContainerName = 'app-package-${take(functionAppName, 32)}-${take(toLower(uniqueString(functionAppName, resourceToken)), 7)}'

var tenantOfMailboxes = empty(graphTenantId) ? tenant().tenantId : graphTenantId

// Secrets live in Key Vault only: infra/hooks/postprovision.sh creates them (and
// infra/scripts/rotate-key.sh replaces them); the app settings below only name them.
var secretNames = {
  webhookKey: 'dataverse-webhook-key'
  previousWebhookKey: 'dataverse-webhook-key-previous'
  adminKey: 'admin-key'
}

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
    operatorPrincipalId: grantDeployerDataAccess ? deployer().objectId : ''
  }
}

module keyVault 'app/keyvault.bicep' = {
  name: 'keyvault'
  scope: rg
  params: {
    name: '${abbrs.keyVaultVaults}${resourceToken}'
    location: location
    tags: tags
    readerPrincipalId: identity.outputs.principalId
    officerPrincipalId: deployer().objectId
  }
}

module api 'app/api.bicep' = {
  name: 'api'
  scope: rg
  // Roles first, so the host never starts without access to its storage or its secrets.
  dependsOn: [
    rbac
    keyVault
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
    alwaysReadyHttpInstances: alwaysReadyHttpInstances
    appSettings: {
      LOG_LEVEL: logLevel
      DATAVERSE_URL: dataverseUrl
      DATAVERSE_WEBHOOK_KEY: '@Microsoft.KeyVault(SecretUri=${keyVault.outputs.uri}secrets/${secretNames.webhookKey})'
      DATAVERSE_WEBHOOK_KEY_PREVIOUS: '@Microsoft.KeyVault(SecretUri=${keyVault.outputs.uri}secrets/${secretNames.previousWebhookKey})'
      DATAVERSE_ALLOWED_ORGANIZATIONS: dataverseAllowedOrganizations
      GRAPH_TENANT_ID: tenantOfMailboxes
      SYNC_GROUP_ID: syncGroupId
      SYNC_USERS: syncUsers
      ADMIN_KEY: '@Microsoft.KeyVault(SecretUri=${keyVault.outputs.uri}secrets/${secretNames.adminKey})'
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
      // The explorer trusts App Service's signed-in principal only where the auth module below is deployed.
      EXPLORER_EASY_AUTH: string(!empty(explorerSignInClientId))
      EXPLORER_OPERATOR_ROLE: 'DeleteSync.Operator'
    }
  }
}

module auth 'app/auth.bicep' = if (!empty(explorerSignInClientId)) {
  name: 'auth'
  scope: rg
  params: {
    functionAppName: api.outputs.name
    clientId: explorerSignInClientId
  }
}

// Where Dataverse and Graph must call. The webhook URL gets `?code=<key>` from the WebhookKey
// authentication that `delete-sync register` sets; no key is output (they are in Key Vault only).
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
output EXPLORER_URL string = '${api.outputs.baseUrl}/explorer/'
output MANAGED_IDENTITY_CLIENT_ID string = identity.outputs.clientId
output MANAGED_IDENTITY_PRINCIPAL_ID string = identity.outputs.principalId
output APPLICATIONINSIGHTS_CONNECTION_STRING string = monitoring.outputs.connectionString
output APPLICATIONINSIGHTS_WORKBOOK_ID string = monitoring.outputs.workbookId
output KEY_VAULT_NAME string = keyVault.outputs.name
