<#
.SYNOPSIS
    Grant Tapstart's managed identity its Microsoft Graph application permissions.

.DESCRIPTION
    For admins who do not deploy infra/graph-permissions.bicep. Uses the Microsoft Graph
    PowerShell SDK (Install-Module Microsoft.Graph.Applications). Safe to re-run: permissions
    already granted are left alone. Supports -WhatIf.

    Who can run it: a Privileged Role Administrator or Global Administrator. The script signs in
    with the delegated scopes AppRoleAssignment.ReadWrite.All and Application.Read.All.

.PARAMETER PrincipalId
    Object id of the managed identity's service principal. Default: the environment variable
    AZURE_MANAGED_IDENTITY_PRINCIPAL_ID (`azd env get-value AZURE_MANAGED_IDENTITY_PRINCIPAL_ID`).

.PARAMETER TenantId
    Tenant to sign in to (optional).

.PARAMETER BroadTapPermission
    Grant UserAuthenticationMethod.ReadWrite.All instead of UserAuthMethod-TAP.ReadWrite.All +
    UserAuthenticationMethod.Read.All, for tenants where the granular TAP permission is not offered.

.PARAMETER ConditionalAccessRead
    Opt-in: also grant Policy.Read.All, so `tapstart doctor` can read the Conditional Access
    policies (Microsoft documents no narrower application permission; it reads every policy).

.PARAMETER SetupWrite
    Opt-in: also grant Policy.ReadWrite.AuthenticationMethod for `tapstart setup apply` (it can
    change every authentication method policy: revoke it once the setup is applied).

.EXAMPLE
    ./scripts/grant-graph-permissions.ps1 -PrincipalId 00000000-0000-0000-0000-000000000000 -WhatIf
#>
[CmdletBinding(SupportsShouldProcess = $true)]
param(
    [string] $PrincipalId = $env:AZURE_MANAGED_IDENTITY_PRINCIPAL_ID,
    [string] $TenantId,
    [switch] $BroadTapPermission,
    [switch] $ConditionalAccessRead,
    [switch] $SetupWrite
)

$ErrorActionPreference = 'Stop'
$GraphAppId = '00000003-0000-0000-c000-000000000000'

if (-not $PrincipalId) {
    throw 'No principal id: pass -PrincipalId or set AZURE_MANAGED_IDENTITY_PRINCIPAL_ID.'
}

# Least privilege, one permission per capability (docs/deploy.md explains each).
if ($BroadTapPermission) {
    $permissions = @('UserAuthenticationMethod.ReadWrite.All')
} else {
    $permissions = @('UserAuthMethod-TAP.ReadWrite.All', 'UserAuthenticationMethod.Read.All')
}
$permissions += @('GroupMember.ReadWrite.All', 'User.Read.All', 'AuditLog.Read.All', 'Policy.Read.AuthenticationMethod')
# Device.Read.All: the Authenticator registration's device, which tells phone sign-in from push.
$permissions += @('Device.Read.All')
# Privilege before every TAP: role assignments and PIM role eligibility, PIM for Groups eligibility.
$permissions += @('RoleManagement.Read.Directory', 'PrivilegedEligibilitySchedule.Read.AzureADGroup')
# Opt-in only, never by default (docs/deploy.md): the doctor's Conditional Access read, and the
# write `tapstart setup apply` needs.
if ($ConditionalAccessRead) { $permissions += @('Policy.Read.All') }
if ($SetupWrite) { $permissions += @('Policy.ReadWrite.AuthenticationMethod') }

$connect = @{ Scopes = @('AppRoleAssignment.ReadWrite.All', 'Application.Read.All'); NoWelcome = $true }
if ($TenantId) { $connect.TenantId = $TenantId }
Connect-MgGraph @connect

$graph = Get-MgServicePrincipal -Filter "appId eq '$GraphAppId'"
if (-not $graph) { throw "Microsoft Graph's service principal was not found in this tenant." }
$granted = @(Get-MgServicePrincipalAppRoleAssignment -ServicePrincipalId $PrincipalId -All |
    Where-Object { $_.ResourceId -eq $graph.Id } | ForEach-Object { $_.AppRoleId })

foreach ($permission in $permissions) {
    $role = $graph.AppRoles |
        Where-Object { $_.Value -eq $permission -and $_.AllowedMemberTypes -contains 'Application' } |
        Select-Object -First 1
    if (-not $role) {
        $hint = if ($permission -like 'UserAuthMethod-TAP.*') { ' (re-run with -BroadTapPermission)' } else { '' }
        throw "$permission is not offered by Microsoft Graph in this tenant$hint."
    }
    if ($granted -contains $role.Id) {
        Write-Host "already granted: $permission"
        continue
    }
    if ($PSCmdlet.ShouldProcess($PrincipalId, "grant $permission")) {
        New-MgServicePrincipalAppRoleAssignment -ServicePrincipalId $PrincipalId `
            -PrincipalId $PrincipalId -ResourceId $graph.Id -AppRoleId $role.Id | Out-Null
        Write-Host "granted: $permission"
    }
}
