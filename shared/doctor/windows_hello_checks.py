"""Windows Hello for Business, when it is a target. Pure.

Graph's authentication methods policy has no Windows Hello for Business configuration: Intune
(the tenant-wide enrollment setting or a device configuration profile) or Group Policy turns it
on, per device. Reading Intune's settings would need DeviceManagementServiceConfig.Read.All and
an Intune licence, and would still not say which devices a joiner will use, so Tapstart does not
ask for it. The check therefore never passes: it warns, once, saying what an admin verifies.
"""

from __future__ import annotations

from collections.abc import Sequence

from shared.doctor import portal
from shared.doctor.result import CheckResult, warned
from shared.domain.passwordless import Target


def check_windows_hello(targets: Sequence[Target]) -> list[CheckResult]:
    if Target.WINDOWS_HELLO not in targets:
        return []
    return [
        warned(
            "windows_hello.policy",
            "not verifiable here: Windows Hello for Business is set up by Intune or Group Policy "
            "on each Windows device, not by the authentication methods policy Graph exposes",
            "check that it is enabled for the joiners' Entra-joined (or hybrid-joined) Windows "
            f"devices: {portal.WINDOWS_HELLO}",
        )
    ]
