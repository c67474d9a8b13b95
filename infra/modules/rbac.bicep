// Data-plane roles of the app's managed identity, each on the narrowest scope that works.
// No control-plane (Owner/Contributor) role is granted. Microsoft Graph app roles are separate:
// see ../graph-permissions.bicep.
//
// tests/infra checks the facts below: no blob data role on the whole storage account, and the
// email role's actions.

@description('Principal (object) id of the app\'s user-assigned managed identity.')
param principalId string

@description('Name of the storage account.')
param storageAccountName string

@description('Blob containers the identity reads and writes: the deployment package, the host\'s locks and keys, the report snapshots.')
param blobContainerNames array

@description('Name of the Application Insights component.')
param appInsightsName string

@description('Name of the Azure Communication Services resource.')
param communicationServiceName string

@description('Name of the Key Vault.')
param keyVaultName string

@description('Names of the Key Vault secrets the app reads through Key Vault references.')
param secretNames array

@description('true: send email with a custom role holding only the actions Microsoft documents for sending (the deployer must be allowed to create role definitions: Owner or User Access Administrator); false: the built-in Communication and Email Service Owner.')
param acsCustomSendRole bool = true

// Built-in role definition ids (the same in every tenant).
var roles = {
  // Blobs of one container: read, write, delete, leases (host locks). Scoped per container below.
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  // Queue triggers and output bindings; the host creates and writes the "-poison" queues.
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  // The onboarding ledger, and the host's own tables.
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  // Telemetry to Application Insights with Entra auth (local auth is disabled).
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
  // Fallback for sending email (acsCustomSendRole = false): also lets the identity read, change
  // and delete the Communication and Email resources and list and regenerate the access keys
  // (moot while local auth is disabled: the keys are refused).
  communicationAndEmailServiceOwner: '09976791-48a7-449e-bb21-39d1a415f350'
  // Resolving the Key Vault references of HR_WEBHOOK_SECRETS and TRACKING_ID_KEY.
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
}

// The actions Microsoft documents for sending email with a Microsoft Entra service principal
// ("Create a custom email role for the Microsoft Entra application", Azure Communication
// Services email quickstarts, SMTP authentication): read and write on the Communication
// Services resource and write on Email Services. Nothing else: no key listing or regeneration,
// no delete, no domain or sender changes.
var emailSendActions = [
  'Microsoft.Communication/CommunicationServices/Read'
  'Microsoft.Communication/CommunicationServices/Write'
  'Microsoft.Communication/EmailServices/write'
]

// Role definition ids are unique in the tenant, role names too: both are derived from this
// resource group and the (globally unique) Communication Services name.
var emailSendRoleId = guid(subscription().id, resourceGroup().id, 'tapstart-acs-email-send')
var emailSenderRoleId = acsCustomSendRole ? emailSendRoleId : roles.communicationAndEmailServiceOwner

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' existing = {
  parent: storage
  name: 'default'
}

resource containers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' existing = [for name in blobContainerNames: {
  parent: blobService
  name: name
}]

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource communicationService 'Microsoft.Communication/communicationServices@2026-03-18' existing = {
  name: communicationServiceName
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource secrets 'Microsoft.KeyVault/vaults/secrets@2023-07-01' existing = [for name in secretNames: {
  parent: vault
  name: name
}]

// Blob data on each container alone: the Flex deployment container (the platform writes the
// package there with this identity during a deployment, so read-only is not enough), the host's
// azure-webjobs-hosts and azure-webjobs-secrets, and the report snapshots. Contributor, not
// Owner: Owner only adds POSIX ACL management (hierarchical namespace), which none of them uses.
resource blobContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for (name, i) in blobContainerNames: {
  name: guid(containers[i].id, principalId, roles.storageBlobDataContributor)
  scope: containers[i]
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataContributor)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}]

// Queues and tables stay on the account. Tables must: the Functions host creates its own tables
// in AzureWebJobsStorage as it runs (diagnostic events, a new table each month, and scale
// metrics), which a table-scoped assignment cannot allow. Queues could be scoped per queue; the
// account holds no other queues than Tapstart's four, and the platform's queue scaling with a
// queue-scoped identity was not verified, so the queue role is left on the account.
resource queueContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, principalId, roles.storageQueueDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageQueueDataContributor)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource tableContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, principalId, roles.storageTableDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageTableDataContributor)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource metricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, principalId, roles.monitoringMetricsPublisher)
  scope: appInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// Assignable in this resource group only; assigned below on the Communication Services resource.
resource emailSendRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = if (acsCustomSendRole) {
  name: emailSendRoleId
  properties: {
    roleName: 'Tapstart email sender (${communicationServiceName})'
    description: 'Send email through one Azure Communication Services resource with a Microsoft Entra identity; nothing else.'
    type: 'CustomRole'
    permissions: [
      {
        actions: emailSendActions
        notActions: []
        dataActions: []
        notDataActions: []
      }
    ]
    assignableScopes: [
      resourceGroup().id
    ]
  }
}

resource emailSender 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(communicationService.id, principalId, emailSenderRoleId)
  scope: communicationService
  dependsOn: [
    emailSendRole
  ]
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', emailSenderRoleId)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource secretReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for (name, i) in secretNames: {
  name: guid(secrets[i].id, principalId, roles.keyVaultSecretsUser)
  scope: secrets[i]
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}]
