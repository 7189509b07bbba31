// Storage for the Functions host, the deployment package, the change queue and the tables.
// Shared keys are off: everything authenticates with the managed identity.
param name string
param location string = resourceGroup().location
param tags object = {}
param deploymentContainerName string
@description('Queues the service reads and writes: the change queue and its poison queue.')
param queueNames array

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: 'Standard_LRS' }
  properties: {
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    dnsEndpointType: 'Standard'
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }

  resource blobServices 'blobServices' = {
    name: 'default'
    resource deploymentContainer 'containers' = {
      name: deploymentContainerName
      properties: { publicAccess: 'None' }
    }
  }

  resource queueServices 'queueServices' = {
    name: 'default'
    resource queues 'queues' = [for queueName in queueNames: {
      name: queueName
    }]
  }

  // The store creates its tables on first use (names carry TABLE_PREFIX); the service must exist.
  resource tableServices 'tableServices' = {
    name: 'default'
  }
}

output name string = storage.name
output id string = storage.id
output blobEndpoint string = storage.properties.primaryEndpoints.blob
output queueEndpoint string = storage.properties.primaryEndpoints.queue
output tableEndpoint string = storage.properties.primaryEndpoints.table
