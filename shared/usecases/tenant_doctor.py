"""Use case: check the tenant and the app's services (`tapstart doctor`, GET /api/doctor, and the
findings at the top of the daily digest)."""

from __future__ import annotations

from shared.config import Settings
from shared.doctor import DoctorReport, ServiceProbes, TenantReader, run_doctor
from shared.doctor.runner import Progress


class TenantDoctor:
    def __init__(self, *, settings: Settings, tenant: TenantReader, probes: ServiceProbes) -> None:
        # The doctor checks the settings themselves against the tenant, so it takes them whole.
        self._settings = settings
        self._tenant = tenant
        self._probes = probes

    async def __call__(
        self, *, probe_email: bool = False, progress: Progress | None = None
    ) -> DoctorReport:
        return await run_doctor(
            self._settings,
            self._tenant,
            self._probes,
            probe_email=probe_email,
            progress=progress,
        )

    async def findings(self) -> list[dict[str, str]]:
        """The failures and warnings, worst first, as the digest shows them."""
        return [r.to_json() for r in (await self()).problems()]
