// Email delivery: an Email Communication Service with a sending domain, linked to an Azure
// Communication Services resource that the app calls with its managed identity.
//
// The Azure-managed domain works without DNS work, but is limited to 5 emails a minute and 10
// an hour per subscription, and the limit cannot be raised. A real rollout uses a custom domain:
// 1. deploy with customEmailDomain set (the domain resource is created, the managed domain
//    still sends);
// 2. add the SPF/DKIM/DMARC records shown in the portal and verify the domain;
// 3. deploy again with useCustomEmailDomain = true, which links it and makes it the sender.
// A custom domain cannot be linked before it is verified (sends fail with DomainNotLinked).
//
// Local (access-key) auth is disabled on the Communication Services resource: the keys exist but
// the service refuses them, so email is sent only with an Entra token (the app's managed
// identity, see rbac.bicep). API version 2026-03-18 is the newest GA version of
// Microsoft.Communication (azure-rest-api-specs, specification/communication); 2023-04-01 has no
// disableLocalAuth, the first GA version that has it is 2025-05-01 (fall back to it if a tool
// does not know 2026-03-18 yet).

@description('Name of the Azure Communication Services resource.')
param communicationServiceName string

@description('Name of the Email Communication Service.')
param emailServiceName string

@description('Where email data is stored at rest; must be the same on both resources.')
param dataLocation string

@description('Custom sending domain (e.g. mail.contoso.com); empty = Azure-managed domain only.')
param customEmailDomain string = ''

@description('Send from the custom domain; set only once the domain is verified.')
param useCustomEmailDomain bool = false

@description('Local part of the sender address (MailFrom user name on the domain).')
param senderUsername string = 'DoNotReply'

@description('Tags applied to the resources.')
param tags object = {}

var hasCustomDomain = !empty(customEmailDomain)
var sendFromCustomDomain = hasCustomDomain && useCustomEmailDomain

resource emailService 'Microsoft.Communication/emailServices@2026-03-18' = {
  name: emailServiceName
  location: 'global'
  tags: tags
  properties: {
    dataLocation: dataLocation
  }
}

// An Azure-managed domain must be named exactly 'AzureManagedDomain'.
resource managedDomain 'Microsoft.Communication/emailServices/domains@2026-03-18' = {
  parent: emailService
  name: 'AzureManagedDomain'
  location: 'global'
  tags: tags
  properties: {
    domainManagement: 'AzureManaged'
    userEngagementTracking: 'Disabled'
  }
}

resource customDomain 'Microsoft.Communication/emailServices/domains@2026-03-18' = if (hasCustomDomain) {
  parent: emailService
  name: hasCustomDomain ? customEmailDomain : 'unused.invalid'
  location: 'global'
  tags: tags
  properties: {
    domainManagement: 'CustomerManaged'
    userEngagementTracking: 'Disabled'
  }
}

resource communicationService 'Microsoft.Communication/communicationServices@2026-03-18' = {
  name: communicationServiceName
  location: 'global'
  tags: tags
  properties: {
    dataLocation: dataLocation
    // Access keys and connection strings stop working; Entra ID (the identity) is the only way in.
    disableLocalAuth: true
    linkedDomains: sendFromCustomDomain ? [
      managedDomain.id
      customDomain.id
    ] : [
      managedDomain.id
    ]
  }
}

var senderDomain = sendFromCustomDomain ? customEmailDomain : managedDomain.properties.mailFromSenderDomain

output communicationServiceName string = communicationService.name
output communicationServiceId string = communicationService.id
output endpoint string = 'https://${communicationService.properties.hostName}'
output senderAddress string = '${senderUsername}@${senderDomain}'
// Per-subscription ACS limits for the domain in use; the app throttles itself to them.
output emailRatePerMinute int = sendFromCustomDomain ? 30 : 5
output emailRatePerHour int = sendFromCustomDomain ? 100 : 10
