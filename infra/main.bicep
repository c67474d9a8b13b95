// Entry point for `azd up` / `azd provision`: creates the resource group and deploys
// resources.bicep into it. Parameters come from main.parameters.json (azd environment values).
//
// Microsoft Graph permissions are NOT granted here by default: granting app roles needs a
// Privileged Role Administrator (or Global Administrator), which most deployers are not. Set
// GRANT_GRAPH_PERMISSIONS=true in the azd environment when such an admin runs `azd provision`,
// or have an admin run scripts/grant-graph-permissions.sh (or .ps1) once afterwards.

targetScope = 'subscription'

@description('Name of the azd environment; part of every resource name.')
@minLength(1)
@maxLength(40)
param environmentName string

@description('Primary region for all regional resources (must offer Flex Consumption).')
@minLength(1)
param location string

@description('Name of the resource group; empty = rg-<environmentName>.')
param resourceGroupName string = ''

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

@description('HR/IT address for TAPs of joiners without a safe manager to receive them; empty = none.')
param fallbackDeliveryEmail string = ''

@description('Mail domains a manager\'s address may be in to receive a TAP (comma-separated); empty = the joiner\'s UPN domain.')
param deliveryDomains string = ''

@description('Object ids of groups whose members never get a TAP: break-glass, service, sync accounts (comma-separated).')
param protectedGroupIds string = ''

@description('Company name shown in emails.')
param brandCompanyName string = 'Contoso'

@description('Days report snapshots are kept.')
@minValue(1)
@maxValue(3650)
param reportRetentionDays int = 400

@description('Other app settings, or other values for tuning settings (not for secrets).')
param appSettingOverrides object = {}

@description('HMAC key for tracking ids (TAPSTART_TRACKING_ID_KEY, at least 32 characters); empty = a new random key on every deployment, which changes the tracking ids of new events only.')
@secure()
param trackingIdKey string = ''

// newGuid() is allowed only as a parameter default, and azd passes an unset environment value as
// an empty string rather than leaving the parameter out; hence this second parameter.
@description('Leave unset: the random key used when trackingIdKey is empty.')
//checkov:skip=CKV_AZURE_131: newGuid() is no hardcoded secret: it draws a new random value at each deployment.
@secure()
param generatedTrackingIdKey string = newGuid()

@description('Send email with a custom send-only role (TAPSTART_ACS_CUSTOM_SEND_ROLE); false = the built-in Communication and Email Service Owner, for deployers who may not create role definitions.')
param acsCustomSendRole bool = true

@description('Grant the Microsoft Graph app roles in this deployment (needs a privileged deployer).')
param grantGraphPermissions bool = false

@description('Use UserAuthMethod-TAP.ReadWrite.All; false = UserAuthenticationMethod.ReadWrite.All for tenants without the granular permission.')
param useGranularTapPermission bool = true

@description('Opt-in: Policy.Read.All, for the doctor\'s Conditional Access check (TAPSTART_GRANT_CA_READ). It reads every policy of the tenant; never granted by default.')
param grantConditionalAccessRead bool = false

@description('Opt-in: Policy.ReadWrite.AuthenticationMethod, for tapstart setup apply (TAPSTART_GRANT_SETUP_WRITE). Grant it for the apply and revoke it afterwards; never granted by default.')
param grantSetupWrite bool = false

var tags = {
  'azd-env-name': environmentName
  application: 'tapstart'
}

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: empty(resourceGroupName) ? 'rg-${environmentName}' : resourceGroupName
  location: location
  tags: tags
}

module app 'resources.bicep' = {
  name: 'tapstart-resources'
  scope: rg
  params: {
    environmentName: environmentName
    location: location
    emailDataLocation: emailDataLocation
    customEmailDomain: customEmailDomain
    useCustomEmailDomain: useCustomEmailDomain
    hrWebhookSecrets: hrWebhookSecrets
    adminEmails: adminEmails
    passwordlessGroupIds: passwordlessGroupIds
    fallbackDeliveryEmail: fallbackDeliveryEmail
    deliveryDomains: deliveryDomains
    protectedGroupIds: protectedGroupIds
    brandCompanyName: brandCompanyName
    reportRetentionDays: reportRetentionDays
    appSettingOverrides: appSettingOverrides
    trackingIdKey: empty(trackingIdKey) ? generatedTrackingIdKey : trackingIdKey
    acsCustomSendRole: acsCustomSendRole
    tags: tags
  }
}

module graphPermissions 'graph-permissions.bicep' = if (grantGraphPermissions) {
  name: 'tapstart-graph-permissions'
  scope: rg
  params: {
    principalId: app.outputs.identityPrincipalId
    useGranularTapPermission: useGranularTapPermission
    grantConditionalAccessRead: grantConditionalAccessRead
    grantSetupWrite: grantSetupWrite
  }
}

// azd stores these in the environment (.azure/<env>/.env); none of them is a secret.
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = app.outputs.functionAppName
output AZURE_FUNCTION_URI string = app.outputs.functionAppUri
output TAPSTART_HR_EVENTS_URL string = app.outputs.hrEventsUrl
output AZURE_MANAGED_IDENTITY_PRINCIPAL_ID string = app.outputs.identityPrincipalId
output AZURE_MANAGED_IDENTITY_CLIENT_ID string = app.outputs.identityClientId
output AZURE_STORAGE_ACCOUNT_NAME string = app.outputs.storageAccountName
output AZURE_KEY_VAULT_NAME string = app.outputs.keyVaultName
output ACS_ENDPOINT string = app.outputs.acsEndpoint
output MAIL_SENDER string = app.outputs.mailSender
output APPLICATIONINSIGHTS_CONNECTION_STRING string = app.outputs.appInsightsConnectionString
