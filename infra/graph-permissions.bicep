// Microsoft Graph application permissions (app role assignments) for Tapstart's managed
// identity, with the Microsoft Graph Bicep extension. Least privilege: one role per capability.
//
// The deployer must be allowed to grant app roles: Privileged Role Administrator or Global
// Administrator (or an app holding AppRoleAssignment.ReadWrite.All + Application.Read.All).
// Same grants without Bicep: scripts/grant-graph-permissions.sh / .ps1.
//
// checkov cannot parse the `extension` keyword, so scripts/iac_check.sh leaves this file out;
// tests/infra checks its permission list against the documented one.

extension microsoftGraphV1

@description('Object id of the managed identity\'s service principal (identity principalId).')
param principalId string

@description('true: UserAuthMethod-TAP.ReadWrite.All (TAPs only); false: UserAuthenticationMethod.ReadWrite.All, for tenants where the granular permission is not offered.')
param useGranularTapPermission bool = true

@description('Opt-in: Policy.Read.All, so tapstart doctor can read Conditional Access policies (no narrower application permission is documented; it reads every policy). Default: not granted.')
param grantConditionalAccessRead bool = false

@description('Opt-in: Policy.ReadWrite.AuthenticationMethod, for tapstart setup apply (changes every authentication method policy; revoke it once applied). Default: not granted.')
param grantSetupWrite bool = false

// Create TAPs for joiners. The granular role touches TAPs only; the broad one can also delete
// or change every other method (phone, FIDO2, Authenticator) of every user.
var tapPermissions = useGranularTapPermission ? [
  'UserAuthMethod-TAP.ReadWrite.All'
  // Live check of a joiner's registered methods before a reminder (the granular TAP role
  // cannot read the other methods; the broad ReadWrite role already includes this).
  'UserAuthenticationMethod.Read.All'
] : [
  'UserAuthenticationMethod.ReadWrite.All'
]

var appRoles = concat(tapPermissions, [
  // Add joiners to the passwordless group(s); membership only, not group settings.
  'GroupMember.ReadWrite.All'
  // Resolve joiners by employeeId/UPN, read account state, and find their manager.
  'User.Read.All'
  // userRegistrationDetails for the daily registration report (needs Entra ID P1/P2).
  'AuditLog.Read.All'
  // Read the TAP, Microsoft Authenticator and Passkey (FIDO2) policies (preflight; TAP lifetime
  // clamping).
  'Policy.Read.AuthenticationMethod'
  // Read the `device` of a joiner's Authenticator registrations (microsoftAuthenticatorMethods
  // ?$expand=device), which is what tells phone sign-in from push notifications. Read-only;
  // app role id 7438b122-aefc-4978-80ed-43db9fcc7715, resolved by name below like the others.
  'Device.Read.All'
  // Who is privileged, read before every TAP: active role assignments at every scope (tenant,
  // administrative unit, app; custom roles too) and PIM role eligibility. Read-only; the least
  // privileged permission that reads both (Directory.Read.All cannot read eligibility).
  'RoleManagement.Read.Directory'
  // PIM for Groups: eligible membership or ownership of role-assignable groups. Read-only.
  'PrivilegedEligibilitySchedule.Read.AzureADGroup'
], optIn)

// Opt-in only (docs/deploy.md, "Setup as code"): never part of the default grant.
var optIn = concat(
  grantConditionalAccessRead ? ['Policy.Read.All'] : [],
  grantSetupWrite ? ['Policy.ReadWrite.AuthenticationMethod'] : []
)

// Microsoft Graph's service principal; its appId is the same in every tenant.
resource graph 'Microsoft.Graph/servicePrincipals@v1.0' existing = {
  appId: '00000003-0000-0000-c000-000000000000'
}

resource grants 'Microsoft.Graph/appRoleAssignedTo@v1.0' = [for role in appRoles: {
  principalId: principalId
  resourceId: graph.id
  // Resolved by name: app role ids are looked up in this tenant's Graph service principal.
  appRoleId: (filter(graph.appRoles, r => r.value == role && contains(r.allowedMemberTypes, 'Application'))[0]).id
}]

output grantedPermissions array = appRoles
