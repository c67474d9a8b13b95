// Everything Tapstart needs inside one resource group, one module per concern. main.bicep calls
// this for azd; without azd, deploy it directly:
//   az deployment group create -g <rg> -f infra/resources.bicep -p environmentName=... (docs/deploy.md)

@description('Name of the environment; part of every resource name.')
@minLength(1)
@maxLength(40)
param environmentName string

@description('Azure region of the regional resources (ACS and its email service are global).')
param location string = resourceGroup().location

@description('Where email data is stored at rest (ACS data location), e.g. Europe or United States.')
param emailDataLocation string = 'Europe'

@description('Custom sending domain; empty = the Azure-managed domain (5 emails/min, 10/hour).')
param customEmailDomain string = ''

@description('Send from customEmailDomain; set to true only once the domain is verified.')
param useCustomEmailDomain bool = false

@description('Standard Webhooks signing secrets for HR events (whsec_...), comma-separated.')
@secure()
@minLength(1)
param hrWebhookSecrets string

@description('Admins who get alerts and the daily report (comma-separated addresses).')
@minLength(3)
param adminEmails string

@description('Object id(s) of the passwordless group(s) joiners are added to (comma-separated).')
@minLength(36)
param passwordlessGroupIds string

@description('HR/IT address for TAPs of joiners without a manager mail; empty = none.')
param fallbackDeliveryEmail string = ''

@description('Mail domains a manager\'s address may be in to receive a TAP (comma-separated); empty = the joiner\'s UPN domain.')
param deliveryDomains string = ''

@description('Object ids of groups whose members never get a TAP: break-glass, service, sync accounts (comma-separated).')
param protectedGroupIds string = ''

@description('Company name shown in emails.')
param brandCompanyName string = 'Contoso'

@description('Days report snapshots are kept (REPORT_RETENTION_DAYS and a blob lifecycle rule).')
@minValue(1)
@maxValue(3650)
param reportRetentionDays int = 400

@description('Other app settings, or other values for tuning settings (not for secrets).')
param appSettingOverrides object = {}

// newGuid() is allowed only as a parameter default: each deployment that does not pass a value
// draws a new key. That changes the tracking ids of new events only (docs/deploy.md); pass a
// stable value to keep them.
@description('HMAC key that makes tracking ids unguessable (Key Vault secret tracking-id-key, TRACKING_ID_KEY); default: a new random value on every deployment.')
//checkov:skip=CKV_AZURE_131: newGuid() is no hardcoded secret: it draws a new random value at each deployment.
@secure()
@minLength(32)
param trackingIdKey string = newGuid()

@description('true: the identity sends email with a custom role holding only the documented send actions (the deployer must be allowed to create role definitions); false: the built-in Communication and Email Service Owner.')
param acsCustomSendRole bool = true

@description('Tags applied to every resource.')
param tags object = {}

// Deterministic per resource group and environment, so a redeploy updates rather than duplicates.
var token = toLower(uniqueString(subscription().id, resourceGroup().id, environmentName))
var allTags = union(tags, {
  'azd-env-name': environmentName
})

module identity 'modules/identity.bicep' = {
  name: 'identity'
  params: {
    location: location
    name: 'id-tapstart-${token}'
    tags: allTags
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    location: location
    name: 'st${token}'
    tags: allTags
    reportRetentionDays: reportRetentionDays
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    location: location
    workspaceName: 'log-tapstart-${token}'
    appInsightsName: 'appi-tapstart-${token}'
    tags: allTags
  }
}

module communication 'modules/communication.bicep' = {
  name: 'communication'
  params: {
    communicationServiceName: 'acs-tapstart-${token}'
    emailServiceName: 'ecs-tapstart-${token}'
    dataLocation: emailDataLocation
    customEmailDomain: customEmailDomain
    useCustomEmailDomain: useCustomEmailDomain
    tags: allTags
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  params: {
    location: location
    name: 'kv-${token}'
    tags: allTags
    hrWebhookSecrets: hrWebhookSecrets
    trackingIdKey: trackingIdKey
  }
}

module rbac 'modules/rbac.bicep' = {
  name: 'rbac'
  params: {
    principalId: identity.outputs.principalId
    storageAccountName: storage.outputs.name
    blobContainerNames: [
      storage.outputs.deploymentContainerName
      storage.outputs.hostsContainerName
      storage.outputs.secretsContainerName
      storage.outputs.reportContainerName
    ]
    appInsightsName: monitoring.outputs.appInsightsName
    communicationServiceName: communication.outputs.communicationServiceName
    keyVaultName: keyVault.outputs.name
    secretNames: [
      keyVault.outputs.hrWebhookSecretName
      keyVault.outputs.trackingIdKeySecretName
    ]
    acsCustomSendRole: acsCustomSendRole
  }
}

module functionApp 'modules/functionapp.bicep' = {
  name: 'functionapp'
  // The app starts as soon as it exists; with its roles in place it does not begin by failing
  // to reach storage and Key Vault.
  dependsOn: [
    rbac
  ]
  params: {
    location: location
    planName: 'plan-tapstart-${token}'
    appName: 'func-tapstart-${token}'
    tags: allTags
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    blobEndpoint: storage.outputs.blobEndpoint
    deploymentContainerName: storage.outputs.deploymentContainerName
    onboardingQueueName: storage.outputs.onboardingQueueName
    reminderQueueName: storage.outputs.reminderQueueName
    ledgerTableName: storage.outputs.ledgerTableName
    reportContainerName: storage.outputs.reportContainerName
    reportRetentionDays: reportRetentionDays
    appInsightsConnectionString: monitoring.outputs.connectionString
    acsEndpoint: communication.outputs.endpoint
    mailSender: communication.outputs.senderAddress
    emailRatePerMinute: communication.outputs.emailRatePerMinute
    emailRatePerHour: communication.outputs.emailRatePerHour
    hrWebhookSecretUri: keyVault.outputs.hrWebhookSecretUri
    trackingIdKeySecretUri: keyVault.outputs.trackingIdKeySecretUri
    adminEmails: adminEmails
    passwordlessGroupIds: passwordlessGroupIds
    fallbackDeliveryEmail: fallbackDeliveryEmail
    deliveryDomains: deliveryDomains
    protectedGroupIds: protectedGroupIds
    brandCompanyName: brandCompanyName
    appSettingOverrides: appSettingOverrides
  }
}

output functionAppName string = functionApp.outputs.name
output functionAppUri string = functionApp.outputs.uri
output hrEventsUrl string = '${functionApp.outputs.uri}/api/hr/events'
output identityPrincipalId string = identity.outputs.principalId
output identityClientId string = identity.outputs.clientId
output storageAccountName string = storage.outputs.name
output keyVaultName string = keyVault.outputs.name
output acsEndpoint string = communication.outputs.endpoint
output mailSender string = communication.outputs.senderAddress
output appInsightsConnectionString string = monitoring.outputs.connectionString
