// The app's two secrets, kept in Key Vault and read by the Function App through Key Vault
// references: the HR webhook signing secrets (HR_WEBHOOK_SECRETS) and the tracking-id key
// (TRACKING_ID_KEY). The vault uses Azure RBAC; only the app's identity may read them (Key Vault
// Secrets User on each of the two secrets, see rbac.bicep).
//
// Rotating the HR secret: it holds a comma-separated list (whsec_new,whsec_old). Deploy with both,
// switch the HR system to the new one, then deploy with the new one only. The versionless
// reference always resolves the latest version (the platform re-reads it within 24 hours, or
// at once on an app restart).
//
// The tracking-id key (TRACKING_ID_KEY) is the HMAC key that makes tracking ids unguessable. It
// is created from trackingIdKey (resources.bicep draws a new random value on every deployment
// unless a stable one is passed). A new value changes the tracking ids of new events only:
// existing records keep the ids they were given, and a redelivered event is matched by its
// event id, not its tracking id.

@description('Azure region of the vault.')
param location string

@description('Name of the Key Vault (3-24 characters).')
param name string

@description('Tags applied to the vault.')
param tags object = {}

@description('Standard Webhooks signing secrets (whsec_...), comma-separated, newest first.')
@secure()
param hrWebhookSecrets string

@description('HMAC key that makes tracking ids unguessable (TRACKING_ID_KEY).')
@secure()
@minLength(32)
param trackingIdKey string

@description('Tenant whose Entra ID authorizes access to the vault.')
param tenantId string = subscription().tenantId

var hrWebhookSecretName = 'hr-webhook-secrets'
var trackingIdKeySecretName = 'tracking-id-key'

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  //checkov:skip=CKV_AZURE_109: Flex Consumption without VNet integration resolves Key Vault references over the public endpoint; access is RBAC-only and limited to the app's identity.
  //checkov:skip=CKV_AZURE_189: same reason as CKV_AZURE_109; disabling public access needs VNet integration and a private endpoint, not deployed by this template.
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
  }
}

resource hrWebhookSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  //checkov:skip=CKV_AZURE_41: an expiry date would make the Key Vault reference fail and stop HR intake on that day; secrets are rotated through the two-secret list instead.
  parent: vault
  name: hrWebhookSecretName
  properties: {
    value: hrWebhookSecrets
    contentType: 'text/plain; Standard Webhooks secrets (whsec_...), comma-separated'
  }
}

resource trackingIdKeySecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  //checkov:skip=CKV_AZURE_41: an expiry date would make the Key Vault reference fail and stop HR intake on that day; the key is replaced by deploying a new value instead.
  parent: vault
  name: trackingIdKeySecretName
  properties: {
    value: trackingIdKey
    contentType: 'text/plain; HMAC key for tracking ids'
  }
}

output name string = vault.name
output id string = vault.id
output hrWebhookSecretName string = hrWebhookSecret.name
// Versionless URI (no secret value): the app setting references the latest version.
output hrWebhookSecretUri string = hrWebhookSecret.properties.secretUri
output trackingIdKeySecretName string = trackingIdKeySecret.name
output trackingIdKeySecretUri string = trackingIdKeySecret.properties.secretUri
