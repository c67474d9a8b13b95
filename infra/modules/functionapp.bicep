// The Function App on the Flex Consumption plan (Linux, Python 3.11) and every app setting
// Tapstart and the Functions host read.
//
// Flex keeps runtime, deployment and scale in functionAppConfig; the legacy settings
// (FUNCTIONS_WORKER_RUNTIME, FUNCTIONS_EXTENSION_VERSION, WEBSITE_RUN_FROM_PACKAGE,
// WEBSITE_CONTENT*) are ignored or rejected there and are deliberately absent.
// tests/infra checks that these settings match shared/config.py and the function bindings.

@description('Azure region of the plan and the app.')
param location string

@description('Name of the Flex Consumption plan.')
param planName string

@description('Name of the Function App (also its host name prefix).')
param appName string

@description('Tags applied to the plan and the app.')
param tags object = {}

@description('Resource id of the user-assigned managed identity the app runs as.')
param identityId string

@description('Client id of that identity (selects it for every credential in the app).')
param identityClientId string

@description('Storage account of the host, the queues, the ledger and the deployment package.')
param storageAccountName string

@description('Blob endpoint of that storage account, with a trailing slash.')
param blobEndpoint string

@description('Blob container holding the deployment package.')
param deploymentContainerName string

@description('Queue of joiners to onboard (ONBOARDING_QUEUE).')
param onboardingQueueName string

@description('Queue of reminders to send (REMINDER_QUEUE).')
param reminderQueueName string

@description('Table of joiners and their steps (LEDGER_TABLE).')
param ledgerTableName string

@description('Blob container for report snapshots (REPORT_CONTAINER).')
param reportContainerName string

@description('Days report snapshots are kept (REPORT_RETENTION_DAYS).')
param reportRetentionDays int

@description('Application Insights connection string.')
param appInsightsConnectionString string

@description('Azure Communication Services endpoint (https://...).')
param acsEndpoint string

@description('Sender address on a domain linked to the ACS resource.')
param mailSender string

@description('Client-side email send limit per minute (the ACS domain\'s quota).')
param emailRatePerMinute int

@description('Client-side email send limit per hour (the ACS domain\'s quota).')
param emailRatePerHour int

@description('Versionless URI of the Key Vault secret with the HR webhook secrets.')
param hrWebhookSecretUri string

@description('Versionless URI of the Key Vault secret with the tracking-id key.')
param trackingIdKeySecretUri string

@description('Admins who get alerts and the daily report (comma-separated).')
param adminEmails string

@description('Object ids of the passwordless group(s) joiners are added to (comma-separated).')
param passwordlessGroupIds string

@description('HR/IT address for TAPs of joiners without a safe manager to receive them; empty = none.')
param fallbackDeliveryEmail string = ''

@description('Mail domains a manager\'s address may be in to receive a TAP (comma-separated); empty = the joiner\'s UPN domain.')
param deliveryDomains string = ''

@description('Object ids of groups whose members never get a TAP: break-glass, service, sync accounts (comma-separated).')
param protectedGroupIds string = ''

@description('Company name shown in emails.')
param brandCompanyName string = 'Contoso'

@description('More app settings, or other values for the tuning settings above (not for secrets).')
param appSettingOverrides object = {}

@description('Most instances the app scales out to; Graph throttling, not compute, is the limit.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Memory per instance in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

// Tapstart's own settings (shared/config.py). Literal values are the code's defaults, listed so
// that an admin sees every knob in the portal; overrides go through appSettingOverrides.
var tapstartSettings = {
  ONBOARDING_QUEUE: onboardingQueueName
  REMINDER_QUEUE: reminderQueueName
  LEDGER_TABLE: ledgerTableName
  REPORT_CONTAINER: reportContainerName
  GRAPH_BASE_URL: 'https://graph.microsoft.com/v1.0'
  GRAPH_AUTHORITY_HOST: 'https://login.microsoftonline.com'
  // Empty client id, secret and CA bundle: Graph is called with the managed identity.
  GRAPH_TENANT_ID: ''
  GRAPH_CLIENT_ID: ''
  GRAPH_CLIENT_SECRET: ''
  GRAPH_CA_BUNDLE: ''
  // ACS_ACCESS_KEY is deliberately not set (the code's default is empty: send with the managed
  // identity). Local auth is disabled on the Communication Services resource, so a key would be
  // refused anyway.
  ACS_ENDPOINT: acsEndpoint
  MAIL_SENDER: mailSender
  ADMIN_EMAILS: adminEmails
  FALLBACK_DELIVERY_EMAIL: fallbackDeliveryEmail
  DELIVERY_DOMAINS: deliveryDomains
  PROTECTED_GROUP_IDS: protectedGroupIds
  EMAIL_RATE_PER_MINUTE: string(emailRatePerMinute)
  EMAIL_RATE_PER_HOUR: string(emailRatePerHour)
  HR_WEBHOOK_SECRETS: '@Microsoft.KeyVault(SecretUri=${hrWebhookSecretUri})'
  TRACKING_ID_KEY: '@Microsoft.KeyVault(SecretUri=${trackingIdKeySecretUri})'
  MAX_EVENT_BYTES: '1048576'
  PASSWORDLESS_GROUP_IDS: passwordlessGroupIds
  TAP_LIFETIME_MINUTES: '480'
  TAP_ONE_TIME: 'true'
  TAP_MAX_PER_HOUR: '50'
  DEFAULT_TIME_ZONE: 'UTC'
  DEFAULT_LANGUAGE: 'en'
  PREHIRE_LEAD_DAYS: '3'
  TAP_START_HOUR: '7'
  PROVISIONING_DEADLINE_HOURS: '72'
  ACCOUNT_RETRY_BASE_SECONDS: '60'
  MAX_ACCOUNT_AGE_DAYS: '60'
  // NCRONTAB in UTC: Flex Consumption does not support WEBSITE_TIME_ZONE.
  REPORT_SCHEDULE: '0 0 6 * * *'
  REPORT_RETENTION_DAYS: string(reportRetentionDays)
  REPORT_OVERDUE_DAYS: '7'
  REMINDER_DAYS: '1,3,7,14'
  REMINDER_MAX_COUNT: '4'
  REMINDER_MANAGER_CC_FROM: '3'
  REMINDER_REISSUE_TAP: 'false'
  TARGET_METHODS: 'phone_sign_in,passkey'
  TAP_RETIRE_AFTER_ENROLMENT: 'true'
  QUIET_HOURS: '20-7'
  // The registration campaign: off until an admin starts it (tapstart campaign start).
  CAMPAIGN_QUEUE: 'campaign'
  CAMPAIGN_TABLE: 'TapstartCampaign'
  CAMPAIGN_INCLUDE_GROUP_IDS: ''
  CAMPAIGN_EXCLUDE_GROUP_IDS: ''
  CAMPAIGN_CADENCE_DAYS: '0,7,21'
  CAMPAIGN_MAX_CONTACTS: '3'
  CAMPAIGN_EMAIL_SHARE_PERCENT: '50'
  CAMPAIGN_DAILY_LIMIT: '0'
  CAMPAIGN_COUNTRY_ZONES: ''
  BRAND_COMPANY_NAME: brandCompanyName
  BRAND_LOGO_URL: ''
  BRAND_SUPPORT_CONTACT: 'your IT service desk'
  TAPSTART_LOG_LEVEL: 'INFO'
}

// Functions host settings an override may change.
var hostSettings = {
  // The host refuses larger /api request bodies (413) before the app reads them; the platform
  // default is 104857600 bytes (100 MB). Kept equal to MAX_EVENT_BYTES: raise both together.
  FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: '1048576'
}

// Settings of the Functions host and the Azure SDKs; applied last so overrides cannot break
// the identity-based connections.
var platformSettings = {
  // Identity-based host storage: no connection string exists (shared keys are disabled).
  AzureWebJobsStorage__accountName: storageAccountName
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsightsConnectionString
  // Local auth is disabled on the component: the host sends telemetry as the identity.
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
  // Picks the user-assigned identity for DefaultAzureCredential / ManagedIdentityCredential.
  AZURE_CLIENT_ID: identityClientId
}

var appSettings = union(tapstartSettings, hostSettings, appSettingOverrides, platformSettings)

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  //checkov:skip=CKV_AZURE_225: zone-redundant Flex plans exist only in some regions; onboarding tolerates a zonal outage because queued work is retried afterwards.
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

resource site 'Microsoft.Web/sites@2024-04-01' = {
  //checkov:skip=CKV_AZURE_17: the HR system is not issued client certificates; each request is authenticated by a function key and an HMAC signature with a timestamp window.
  //checkov:skip=CKV_AZURE_213: App Service health check is built for always-running instances, not a scale-to-zero Flex app; failures surface through Application Insights and the poison-queue alerts instead.
  //checkov:skip=CKV_AZURE_212: Flex scales from zero on demand; always-ready instances would bill around the clock for a workload of a few events a day.
  //checkov:skip=CKV_AZURE_222: the HR system calls the webhook from outside Azure; restricting public access needs its fixed source addresses, which differ per tenant.
  name: appName
  location: location
  // azd finds the app it deploys to by this tag (service "api" in azure.yaml).
  tags: union(tags, {
    'azd-service-name': 'api'
  })
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
    clientCertEnabled: false
    publicNetworkAccess: 'Enabled'
    // Key Vault references (HR_WEBHOOK_SECRETS, TRACKING_ID_KEY) resolve with this identity.
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
      // Set with the app, not as a later config resource, so the host never starts without
      // its storage settings.
      appSettings: [for setting in items(appSettings): {
        name: setting.key
        value: setting.value
      }]
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${blobEndpoint}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'python'
        version: '3.11'
      }
    }
  }
}

output name string = site.name
output defaultHostName string = site.properties.defaultHostName
output uri string = 'https://${site.properties.defaultHostName}'
