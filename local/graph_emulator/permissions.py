"""Application permissions Graph accepts per endpoint (any one of the set grants the call)."""

from __future__ import annotations

USER_READ = frozenset(
    {"User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"}
)
MEMBERSHIP_READ = USER_READ | {"GroupMember.Read.All", "Group.Read.All", "Group.ReadWrite.All"}
GROUP_READ = frozenset(
    {
        "Group.Read.All",
        "Group.ReadWrite.All",
        "GroupMember.Read.All",
        "GroupMember.ReadWrite.All",
        "Directory.Read.All",
        "Directory.ReadWrite.All",
    }
)
GROUP_MEMBER_WRITE = frozenset(
    {"GroupMember.ReadWrite.All", "Group.ReadWrite.All", "Directory.ReadWrite.All"}
)
# Role-assignable groups additionally need this one (Graph docs, add member).
ROLE_ASSIGNABLE_GROUP_WRITE = frozenset({"RoleManagement.ReadWrite.Directory"})
AUTH_METHODS_READ = frozenset(
    {"UserAuthenticationMethod.Read.All", "UserAuthenticationMethod.ReadWrite.All"}
)
TAP_READ = AUTH_METHODS_READ | {"UserAuthMethod-TAP.Read.All", "UserAuthMethod-TAP.ReadWrite.All"}
TAP_WRITE = frozenset(
    {"UserAuthenticationMethod.ReadWrite.All", "UserAuthMethod-TAP.ReadWrite.All"}
)
# Deleting a registered method (the v1.0 delete pages, application permissions): the general
# write permission, or the one for that method alone. The TAP keeps TAP_WRITE.
AUTH_METHODS_WRITE = frozenset({"UserAuthenticationMethod.ReadWrite.All"})
METHOD_WRITE = {
    "microsoftAuthenticatorMethods": AUTH_METHODS_WRITE
    | {"UserAuthMethod-MicrosoftAuthApp.ReadWrite.All"},
    "fido2Methods": AUTH_METHODS_WRITE | {"UserAuthMethod-Passkey.ReadWrite.All"},
    "windowsHelloForBusinessMethods": AUTH_METHODS_WRITE
    | {"UserAuthMethod-WindowsHello.ReadWrite.All"},
    "phoneMethods": AUTH_METHODS_WRITE | {"UserAuthMethod-Phone.ReadWrite.All"},
    "emailMethods": AUTH_METHODS_WRITE | {"UserAuthMethod-Email.ReadWrite.All"},
    "softwareOathMethods": AUTH_METHODS_WRITE | {"UserAuthMethod-SoftwareOATH.ReadWrite.All"},
}
# Reading a directory device object, e.g. an Authenticator method's ``device`` (device: get).
DEVICE_READ = frozenset({"Device.Read.All", "Directory.Read.All", "Directory.ReadWrite.All"})
POLICY_READ = frozenset(
    {"Policy.Read.AuthenticationMethod", "Policy.ReadWrite.AuthenticationMethod", "Policy.Read.All"}
)
POLICY_WRITE = frozenset({"Policy.ReadWrite.AuthenticationMethod"})
# Conditional Access policies and named locations: v1.0 documents Policy.Read.All only (the
# ReadWrite.ConditionalAccess permission does not read them on its own).
CONDITIONAL_ACCESS_READ = frozenset({"Policy.Read.All"})
REPORTS_READ = frozenset({"AuditLog.Read.All", "UserAuthenticationMethod.Read.All"})
AUDIT_READ = frozenset({"AuditLog.Read.All"})
NONE: frozenset[str] = frozenset()
# Directory roles (v1.0 "List unifiedRoleAssignments" and "List roleDefinitions", application).
ROLE_READ = frozenset(
    {
        "RoleManagement.Read.Directory",
        "RoleManagement.Read.All",
        "Directory.Read.All",
        "RoleManagement.ReadWrite.Directory",
        "Directory.ReadWrite.All",
    }
)
# PIM role eligibility ("List roleEligibilityScheduleInstances"): no Directory.* here.
ROLE_ELIGIBILITY_READ = frozenset(
    {
        "RoleEligibilitySchedule.Read.Directory",
        "RoleEligibilitySchedule.ReadWrite.Directory",
        "RoleManagement.Read.All",
        "RoleManagement.Read.Directory",
        "RoleManagement.ReadWrite.Directory",
    }
)
# PIM for Groups eligibility ("List eligibilityScheduleInstances" of privilegedAccessGroup).
GROUP_ELIGIBILITY_READ = frozenset(
    {
        "PrivilegedEligibilitySchedule.Read.AzureADGroup",
        "PrivilegedEligibilitySchedule.ReadWrite.AzureADGroup",
    }
)
# Reading applications and service principals in full; without it a directoryObject collection
# (ownedObjects) shows them with @odata.type and id only (Graph's "limited information").
APPLICATION_READ = frozenset(
    {
        "Application.Read.All",
        "Application.ReadWrite.All",
        "Directory.Read.All",
        "Directory.ReadWrite.All",
    }
)
# signInActivity on users needs this in addition to a user read permission.
SIGN_IN_ACTIVITY_READ = frozenset({"AuditLog.Read.All"})
