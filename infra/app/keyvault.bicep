// The only place the service's secrets live. RBAC, no access policies: the app's identity reads secrets
// (Key Vault Secrets User), the deploying principal writes them (Key Vault Secrets Officer), because the
// hooks create and rotate them with az keyvault, so no secret value ever passes through a deployment's
// parameters, its history or its outputs.
param name string
param location string = resourceGroup().location
param tags object = {}
@description('The function app\'s identity, which resolves the Key Vault references in its app settings.')
param readerPrincipalId string
@description('Who creates and rotates the secrets: the principal running azd provision.')
param officerPrincipalId string

var roles = {
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  keyVaultSecretsOfficer: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 7
    // The function app reaches the vault over its public endpoint (no virtual network in this template).
    publicNetworkAccess: 'Enabled'
  }
}

resource secretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, readerPrincipalId, roles.keyVaultSecretsUser)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
    principalId: readerPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource secretsOfficer 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, officerPrincipalId, roles.keyVaultSecretsOfficer)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsOfficer)
    principalId: officerPrincipalId
  }
}

output name string = vault.name
output uri string = vault.properties.vaultUri
