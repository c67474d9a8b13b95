"""The dependency rule of docs/architecture.md is enforced: `lint-imports` (in `make lint`)
passes on the tree and fails, naming the contract, when a module breaks it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _copy_tree(dest: Path) -> None:
    """The app's packages and the contracts, with empty stand-ins for the other root packages."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "templates", "locales")
    for package in ("shared", "functions"):
        shutil.copytree(ROOT / package, dest / package, ignore=ignore)
    for package in ("local", "tests", "bench"):
        (dest / package).mkdir()
        (dest / package / "__init__.py").write_text("")
    shutil.copy(ROOT / "pyproject.toml", dest / "pyproject.toml")


def _lint(where: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=where,
        env={"PYTHONPATH": str(where), "PATH": str(LINT_IMPORTS.parent)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("layering")
    _copy_tree(dest)
    return dest


def test_the_tree_keeps_every_contract(tree: Path) -> None:
    result = _lint(tree)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        (
            "shared/domain/_wrong.py",
            "from shared.config import Settings\n",
            "The domain imports nothing of ours but the domain",
        ),
        (
            "shared/usecases/_wrong.py",
            "from shared.adapters.table_ledger import TableLedger\n",
            "Use cases and the application modules never import adapters",
        ),
        (
            "shared/usecases/_wrong_sdk.py",
            "import azure.storage.queue\n",
            "Use cases and the application modules never import adapters",
        ),
        (
            "shared/adapters/_wrong.py",
            "from shared.usecases.daily_run import DailyRun\n",
            "Adapters implement ports",
        ),
        (
            "shared/_wrong.py",
            "import tests.fakes\n",
            "The app never imports the local stack, the tests or the benchmarks",
        ),
    ],
)
def test_a_deliberately_wrong_import_breaks_its_contract(
    tree: Path, module: str, line: str, contract: str
) -> None:
    wrong = tree / module
    wrong.write_text(line)
    try:
        result = _lint(tree)
    finally:
        wrong.unlink()
    assert result.returncode != 0
    broken = [ln for ln in result.stdout.splitlines() if "BROKEN" in ln or contract in ln]
    assert any(contract in ln for ln in broken), result.stdout
    assert "1 broken" in result.stdout
