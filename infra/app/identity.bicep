// The user-assigned identity the function app runs as: storage, App Insights (Entra auth), Graph and
// Dataverse all see this one principal, so permissions are granted once and survive app re-creation.
param name string
param location string = resourceGroup().location
param tags object = {}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

output resourceId string = identity.id
output clientId string = identity.properties.clientId
output principalId string = identity.properties.principalId
output name string = identity.name
