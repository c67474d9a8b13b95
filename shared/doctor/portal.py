"""Where in the Entra admin center (or Azure portal) an admin fixes each finding.

Kept in one place so the wording stays the same in the CLI table, the HTTP answer and the docs.
"""

AUTH_METHODS = "Entra ID → Protection → Authentication methods → Policies"
TAP_POLICY = f"{AUTH_METHODS} → Temporary Access Pass"
AUTHENTICATOR_POLICY = f"{AUTH_METHODS} → Microsoft Authenticator"
FIDO2_POLICY = f"{AUTH_METHODS} → Passkey (FIDO2)"
# Windows Hello for Business is not in the authentication methods policy: Intune or Group Policy.
WINDOWS_HELLO = (
    "Intune admin center → Devices → Windows → Enrollment → Windows Hello for Business "
    "(tenant-wide), or a Settings catalog profile (Windows Hello for Business → Use Windows Hello "
    "For Business) assigned to the joiners' devices; or the Group Policy 'Use Windows Hello for "
    "Business'"
)
AUTH_METHODS_MIGRATION = f"{AUTH_METHODS} → Manage migration"
REGISTRATION_CAMPAIGN = "Entra ID → Protection → Authentication methods → Registration campaign"
SYSTEM_PREFERRED_MFA = "Entra ID → Protection → Authentication methods → Settings → System-preferred multifactor authentication"
CONDITIONAL_ACCESS = "Entra ID → Conditional Access → Policies"
GROUPS = "Entra ID → Groups → All groups"
API_PERMISSIONS = (
    "Entra ID → Enterprise apps → (Tapstart's managed identity) → Permissions; grant with "
    "infra/ (azd up) or the grant-graph-permissions script"
)
LICENCES = "Entra ID → Billing → Licenses (needs Microsoft Entra ID P1 or P2)"
ACS_DOMAINS = (
    "Azure portal → Email Communication Services → (service) → Provision domains; "
    "then Communication Services → Email → Domains → Connect domain"
)
ACS_RESOURCE = "Azure portal → Communication Services → (resource) → Keys / Access control (IAM)"
STORAGE = "Azure portal → Storage accounts → (account) → Access control (IAM) / Networking"
APP_SETTINGS = "Azure portal → Function App → Settings → Environment variables"
