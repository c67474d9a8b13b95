"""What a check says: a status, what it found, and how an admin fixes it (with the portal path)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class CheckStatus(StrEnum):
    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"

    @property
    def rank(self) -> int:
        return {"pass": 0, "warn": 1, "fail": 2}[self.value]


@dataclass(frozen=True)
class CheckResult:
    name: str
    status: CheckStatus
    found: str
    fix: str = ""  # empty when there is nothing to do

    def to_json(self) -> dict[str, str]:
        return {
            "check": self.name,
            "status": self.status.value,
            "found": self.found,
            "fix": self.fix,
        }


def passed(name: str, found: str) -> CheckResult:
    return CheckResult(name, CheckStatus.PASS, found)


def warned(name: str, found: str, fix: str) -> CheckResult:
    return CheckResult(name, CheckStatus.WARN, found, fix)


def failed(name: str, found: str, fix: str) -> CheckResult:
    return CheckResult(name, CheckStatus.FAIL, found, fix)


@dataclass(frozen=True)
class DoctorReport:
    results: tuple[CheckResult, ...]

    @classmethod
    def of(cls, results: Iterable[CheckResult]) -> DoctorReport:
        return cls(tuple(results))

    @property
    def status(self) -> CheckStatus:
        worst = max((r.status.rank for r in self.results), default=0)
        return next(s for s in CheckStatus if s.rank == worst)

    @property
    def exit_code(self) -> int:
        """0 all passed, 1 warnings only, 2 at least one failure (scripts and CI key on it)."""
        return self.status.rank

    def problems(self) -> list[CheckResult]:
        """Failures first, then warnings: what the daily report puts at the top."""
        bad = [r for r in self.results if r.status is not CheckStatus.PASS]
        return sorted(bad, key=lambda r: -r.status.rank)

    def to_json(self) -> dict[str, Any]:
        counts = {s.value: sum(1 for r in self.results if r.status is s) for s in CheckStatus}
        return {
            "status": self.status.value,
            "counts": counts,
            "checks": [r.to_json() for r in self.results],
        }
