// Storage for the Functions host and for Tapstart: queues, the ledger table, report snapshots
// and the Flex deployment package. Shared-key access is off, so every client (host, bindings,
// Tapstart's adapters, deployment) authenticates with the managed identity.
//
// Every queue, table and container is created here up front, with the names the code uses by
// default (shared/config.py; tests/infra checks the two stay in step):
// - the queue triggers' listener does not create the queue it listens on, and the poison-queue
//   triggers (admin alerts) listen on the "-poison" queues, which the host would otherwise only
//   create on the first failure;
// - the app can then run without a "create if missing" round trip on every cold start.

@description('Azure region of the storage account.')
param location string

@description('Name of the storage account (3-24 lowercase letters and digits).')
param name string

@description('Tags applied to the storage account.')
param tags object = {}

@description('Days a report snapshot is kept before a lifecycle rule deletes it (REPORT_RETENTION_DAYS).')
@minValue(1)
param reportRetentionDays int

// Locally redundant storage: the queues and the ledger hold hours of work, and a zone outage
// delays onboarding rather than losing it (HR events can be replayed). Raise to Standard_ZRS or
// Standard_GZRS where the organisation requires it.
@description('Storage redundancy.')
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
  'Standard_GZRS'
])
param skuName string = 'Standard_LRS'

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  //checkov:skip=CKV_AZURE_59: Flex Consumption without VNet integration reaches storage over its public endpoint; access is Entra-only (shared keys disabled) and RBAC-scoped to one identity.
  //checkov:skip=CKV_AZURE_206: LRS is a deliberate cost choice (see skuName); the skuName parameter allows ZRS/GRS/GZRS.
  //checkov:skip=CKV_AZURE_35: same reason as CKV_AZURE_59; a deny-by-default firewall would lock out the Flex app, which has no fixed outbound address without a VNet.
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: skuName
  }
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    allowCrossTenantReplication: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storage
  name: 'default'
  properties: {
    deleteRetentionPolicy: {
      enabled: true
      days: 7
    }
    containerDeleteRetentionPolicy: {
      enabled: true
      days: 7
    }
  }
}

// Every blob container is declared here, so that rbac.bicep can grant the identity its blob role
// on each container alone rather than on the whole account.

// The Flex Consumption deployment package (azd and zip deploy upload it here).
resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: 'app-package'
  properties: {
    publicAccess: 'None'
  }
}

resource reportContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: 'tapstart-reports'
  properties: {
    publicAccess: 'None'
  }
}

// The Functions host's own containers (AzureWebJobsStorage): singleton and primary-host locks and
// the timer's schedule status in azure-webjobs-hosts, the function and host keys in
// azure-webjobs-secrets. The host creates them when missing; created here, they exist before the
// host starts, so the container-scoped role assignments have something to scope to.
resource hostsContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: 'azure-webjobs-hosts'
  properties: {
    publicAccess: 'None'
  }
}

resource secretsContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: 'azure-webjobs-secrets'
  properties: {
    publicAccess: 'None'
  }
}

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource onboardingQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = {
  parent: queueService
  name: 'onboarding'
}

resource onboardingPoisonQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = {
  parent: queueService
  name: 'onboarding-poison'
}

resource reminderQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = {
  parent: queueService
  name: 'reminders'
}

resource reminderPoisonQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = {
  parent: queueService
  name: 'reminders-poison'
}

resource campaignQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = {
  parent: queueService
  name: 'campaign'
}

resource campaignPoisonQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = {
  parent: queueService
  name: 'campaign-poison'
}

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource ledgerTable 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' = {
  parent: tableService
  name: 'TapstartLedger'
}

resource campaignTable 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' = {
  parent: tableService
  name: 'TapstartCampaign'
}

// Snapshots are kept for the documented retention and no longer, even if the app never prunes.
resource lifecycle 'Microsoft.Storage/storageAccounts/managementPolicies@2023-05-01' = {
  parent: storage
  name: 'default'
  properties: {
    policy: {
      rules: [
        {
          name: 'expire-report-snapshots'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: {
              blobTypes: [
                'blockBlob'
              ]
              prefixMatch: [
                '${reportContainer.name}/'
              ]
            }
            actions: {
              baseBlob: {
                delete: {
                  daysAfterModificationGreaterThan: reportRetentionDays
                }
              }
            }
          }
        }
      ]
    }
  }
}

output id string = storage.id
output name string = storage.name
output blobEndpoint string = storage.properties.primaryEndpoints.blob
output deploymentContainerName string = deploymentContainer.name
output onboardingQueueName string = onboardingQueue.name
output reminderQueueName string = reminderQueue.name
output ledgerTableName string = ledgerTable.name
output reportContainerName string = reportContainer.name
output hostsContainerName string = hostsContainer.name
output secretsContainerName string = secretsContainer.name
