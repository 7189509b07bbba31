// App Service authentication (Easy Auth) in front of the function app: Entra sign-in for the decision
// explorer (/explorer and /api/explorer/*). Paths whose callers cannot sign in stay open and keep
// authenticating callers themselves: the Dataverse webhook (function key), Graph's notification and
// lifecycle URLs (validation token, clientState), health, and the admin-key APIs for scripts.
// The app trusts the signed-in principal only because EXPLORER_EASY_AUTH says this module is deployed
// (main.bicep sets both from the same parameter), and only with the operator app role.

@description('Name of the function app (from the api module).')
param functionAppName string

@description('Application (client) id of the Entra app registration users sign in with (ID tokens enabled, redirect URI https://<app>/.auth/login/aad/callback, app role DeleteSync.Operator).')
param clientId string

@description('Tenant whose users sign in.')
param tenantId string = tenant().tenantId

// Not behind sign-in: their callers are services, or scripts with the admin key.
var openPaths = [
  '/api/dataverse/webhook'
  '/api/graph/notifications'
  '/api/graph/lifecycle'
  '/api/health'
  '/api/decisions'
  '/api/links'
]

resource functionApp 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
}

resource authSettings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: functionApp
  name: 'authsettingsV2'
  properties: {
    platform: {
      enabled: true
    }
    globalValidation: {
      requireAuthentication: true
      unauthenticatedClientAction: 'RedirectToLoginPage'
      redirectToProvider: 'azureactivedirectory'
      excludedPaths: openPaths
    }
    httpSettings: {
      requireHttps: true
    }
    identityProviders: {
      azureActiveDirectory: {
        enabled: true
        registration: {
          clientId: clientId
          openIdIssuer: '${environment().authentication.loginEndpoint}${tenantId}/v2.0'
        }
        validation: {
          allowedAudiences: [
            clientId
            'api://${clientId}'
          ]
        }
      }
    }
    login: {
      tokenStore: {
        enabled: true
      }
    }
  }
}

output excludedPaths array = openPaths
