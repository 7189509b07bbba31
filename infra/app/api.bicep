// The function app on a Flex Consumption (FC1) plan, Node 22, running as the user-assigned identity.
// Flex takes the runtime from functionAppConfig, so FUNCTIONS_WORKER_RUNTIME and friends are not app settings.
param name string
param planName string
param location string = resourceGroup().location
param tags object = {}
param serviceName string = 'api'
param identityId string
param identityClientId string
param storageAccountName string
param deploymentContainerName string
param applicationInsightsName string
@description('Settings the service reads (src/config.ts); secrets only as Key Vault references. Storage and App Insights settings are added here.')
param appSettings object
param instanceMemoryMB int = 2048
@description('On-demand instances per function group (the HTTP group, the queue processor, each timer).')
param maximumInstanceCount int
@description('Instances kept running for the HTTP group, so Graph and Dataverse never wait for a cold start.')
param alwaysReadyHttpInstances int

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true
  }
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': serviceName })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    // Key Vault references in the app settings resolve as this identity (a user-assigned identity is
    // used only when named here: "Use Key Vault references as app settings").
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      minTlsVersion: '1.2'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
        alwaysReady: [
          {
            name: 'http'
            instanceCount: alwaysReadyHttpInstances
          }
        ]
      }
      runtime: {
        name: 'node'
        version: '22'
      }
    }
  }

  resource settings 'config' = {
    name: 'appsettings'
    properties: union(appSettings, {
      // Identity-based host storage: no connection string, no shared key.
      AzureWebJobsStorage__accountName: storage.name
      AzureWebJobsStorage__credential: 'managedidentity'
      AzureWebJobsStorage__clientId: identityClientId
      AzureWebJobsStorage__blobServiceUri: storage.properties.primaryEndpoints.blob
      AzureWebJobsStorage__queueServiceUri: storage.properties.primaryEndpoints.queue
      AzureWebJobsStorage__tableServiceUri: storage.properties.primaryEndpoints.table
      // The Functions host and the OpenTelemetry distro both authenticate to App Insights with Entra.
      APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsights.properties.ConnectionString
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD;ClientId=${identityClientId}'
      // Graph and Dataverse tokens come from the same identity (ManagedIdentityCredential with this client id).
      AZURE_CLIENT_ID: identityClientId
      PUBLIC_BASE_URL: 'https://${functionApp.properties.defaultHostName}'
    })
  }
}

output name string = functionApp.name
output baseUrl string = 'https://${functionApp.properties.defaultHostName}'
