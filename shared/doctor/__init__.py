"""`tapstart doctor`: check the tenant and the app's services before onboarding fails.

Pure checks (`*_checks.py`) evaluate fetched JSON and probe observations into `CheckResult`s;
`runner.py` fetches through the app's own adapters and runs them. The CLI, `GET /api/doctor` and
the daily report all call `run_doctor` and show `DoctorReport.problems()` first.
"""

from shared.doctor.result import CheckResult, CheckStatus, DoctorReport
from shared.doctor.runner import DoctorInputs, ServiceProbes, TenantReader, evaluate, run_doctor

__all__ = [
    "CheckResult",
    "CheckStatus",
    "DoctorInputs",
    "DoctorReport",
    "ServiceProbes",
    "TenantReader",
    "evaluate",
    "run_doctor",
]
