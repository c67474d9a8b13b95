#!/usr/bin/env bash
# Grant Tapstart's managed identity its Microsoft Graph application permissions with the Azure
# CLI, for admins who do not deploy infra/graph-permissions.bicep. Safe to re-run: permissions
# already granted are left alone.
#
# Who can run it: a Privileged Role Administrator or Global Administrator (granting application
# permissions is admin consent). Sign in first with `az login --tenant <tenant id>`.
#
# Usage:
#   scripts/grant-graph-permissions.sh [--principal-id <object id>] [--broad-tap-permission]
#                                      [--conditional-access-read] [--setup-write] [--dry-run]
#
#   --principal-id          object id of the identity's service principal; default: the azd
#                           environment's AZURE_MANAGED_IDENTITY_PRINCIPAL_ID
#   --broad-tap-permission  grant UserAuthenticationMethod.ReadWrite.All instead of
#                           UserAuthMethod-TAP.ReadWrite.All + UserAuthenticationMethod.Read.All,
#                           for tenants where the granular TAP permission is not offered
#   --conditional-access-read  opt-in: also grant Policy.Read.All, so `tapstart doctor` can read
#                           the Conditional Access policies (Microsoft documents no narrower
#                           application permission for them; it reads every policy of the tenant)
#   --setup-write           opt-in: also grant Policy.ReadWrite.AuthenticationMethod, for
#                           `tapstart setup apply` (it changes every authentication method policy:
#                           revoke it once the setup is applied)
#   --dry-run               print what would be granted, change nothing
set -euo pipefail

GRAPH_APP_ID="00000003-0000-0000-c000-000000000000"
GRAPH="https://graph.microsoft.com/v1.0"

principal_id="${AZURE_MANAGED_IDENTITY_PRINCIPAL_ID:-}"
broad_tap=false
ca_read=false
setup_write=false
dry_run=false

die() { echo "grant-graph-permissions: $*" >&2; exit 1; }

while (($#)); do
    case "$1" in
        --principal-id) principal_id="${2:-}"; shift 2 ;;
        --broad-tap-permission) broad_tap=true; shift ;;
        --conditional-access-read) ca_read=true; shift ;;
        --setup-write) setup_write=true; shift ;;
        --dry-run) dry_run=true; shift ;;
        -h|--help) sed -n '2,27p' "$0"; exit 0 ;;
        *) die "unknown argument: $1 (see --help)" ;;
    esac
done

if [[ -z "$principal_id" ]] && command -v azd >/dev/null 2>&1; then
    principal_id="$(azd env get-value AZURE_MANAGED_IDENTITY_PRINCIPAL_ID 2>/dev/null || true)"
fi
[[ -n "$principal_id" ]] || die "no principal id: pass --principal-id or run inside the azd project"
command -v az >/dev/null 2>&1 || die "the Azure CLI (az) is required"

# Least privilege, one permission per capability (docs/deploy.md explains each).
if [[ "$broad_tap" == true ]]; then
    permissions=("UserAuthenticationMethod.ReadWrite.All")
else
    permissions=("UserAuthMethod-TAP.ReadWrite.All" "UserAuthenticationMethod.Read.All")
fi
permissions+=("GroupMember.ReadWrite.All" "User.Read.All" "AuditLog.Read.All" "Policy.Read.AuthenticationMethod")
# Device.Read.All: the Authenticator registration's device, which tells phone sign-in from push.
permissions+=("Device.Read.All")
# Privilege before every TAP: role assignments and PIM role eligibility, PIM for Groups eligibility.
permissions+=("RoleManagement.Read.Directory" "PrivilegedEligibilitySchedule.Read.AzureADGroup")
# Opt-in only, never by default (docs/deploy.md): the doctor's Conditional Access read, and the
# write `tapstart setup apply` needs.
if [[ "$ca_read" == true ]]; then permissions+=("Policy.Read.All"); fi
if [[ "$setup_write" == true ]]; then permissions+=("Policy.ReadWrite.AuthenticationMethod"); fi

graph_sp_id="$(az ad sp show --id "$GRAPH_APP_ID" --query id -o tsv)"
[[ -n "$graph_sp_id" ]] || die "Microsoft Graph's service principal was not found in this tenant"
granted="$(az rest --method GET \
    --url "$GRAPH/servicePrincipals/$principal_id/appRoleAssignments?\$top=999" \
    --query "value[?resourceId=='$graph_sp_id'].appRoleId" -o tsv)"

for permission in "${permissions[@]}"; do
    role_id="$(az ad sp show --id "$GRAPH_APP_ID" \
        --query "appRoles[?value=='$permission' && contains(allowedMemberTypes, 'Application')].id | [0]" -o tsv)"
    if [[ -z "$role_id" ]]; then
        hint=""
        [[ "$permission" == UserAuthMethod-TAP.* ]] && hint=" (re-run with --broad-tap-permission)"
        die "$permission is not offered by Microsoft Graph in this tenant$hint"
    fi
    if grep -qx "$role_id" <<<"$granted"; then
        echo "already granted: $permission"
        continue
    fi
    if [[ "$dry_run" == true ]]; then
        echo "would grant: $permission"
        continue
    fi
    az rest --method POST \
        --url "$GRAPH/servicePrincipals/$principal_id/appRoleAssignments" \
        --headers "Content-Type=application/json" \
        --body "{\"principalId\":\"$principal_id\",\"resourceId\":\"$graph_sp_id\",\"appRoleId\":\"$role_id\"}" \
        --output none
    echo "granted: $permission"
done
