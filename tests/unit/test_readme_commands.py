"""The README's commands for the local stack, extracted as a person would copy them.

tests/functional/test_readme_local_stack.py runs each against a launched `make up` stack; here
the extraction itself and every `make` target the README names are checked (no stack needed).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
SECTION = "## The local stack"
# Targets that run for minutes or in the foreground: only their existence is checked.
LONG_TARGETS = frozenset({"up", "demo", "test", "bench", "bench-report", "soak"})


def local_stack_commands(text: str | None = None) -> list[str]:
    """Every command line of the shell blocks in the README's local stack section."""
    text = README.read_text(encoding="utf-8") if text is None else text
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    section = text[start : end if end != -1 else len(text)]
    commands = []
    for block in re.findall(r"^```(?:sh|bash|shell)\n(.*?)^```", section, re.M | re.S):
        for line in block.splitlines():
            stripped = line.strip()
            if stripped and not stripped.startswith("#"):
                commands.append(stripped)
    return commands


def make_targets(text: str | None = None) -> set[str]:
    """Targets of every `make ...` the README shows (inline code and shell blocks)."""
    text = README.read_text(encoding="utf-8") if text is None else text
    found = set(re.findall(r"`make ([a-z][a-z0-9-]*)", text))
    for command in local_stack_commands(text):
        if command.startswith("make "):
            found.add(target_of(command))
    return found


def target_of(make_command: str) -> str:
    return next(a for a in make_command.split()[1:] if "=" not in a and not a.startswith("-"))


def test_the_local_stack_section_has_commands_of_each_kind() -> None:
    commands = local_stack_commands()
    assert any(c.startswith("curl ") for c in commands)
    assert any(c.startswith(".venv/bin/tapstart ") for c in commands)
    assert any(c.startswith("make event ") for c in commands)
    # The README shows the path the CLI is at and the file `make up` writes for it.
    assert all("--settings .local/local.settings.json" in c for c in commands if "tapstart" in c)


def test_the_extraction_skips_comments_and_other_sections() -> None:
    text = (
        "## Other\n```sh\nmake nowhere\n```\n"
        f"{SECTION}\n\n```sh\n# a comment\ncurl http://x\n\n```\n```text\nnot a command\n```\n"
        "## Next\n```sh\nmake later\n```\n"
    )
    assert local_stack_commands(text) == ["curl http://x"]


def test_every_make_target_the_readme_names_exists() -> None:
    targets = make_targets()
    assert {"demo", "test", "up", "event"} <= targets
    for target in sorted(targets):
        # -n prints the recipe without running it; an unknown target fails.
        done = subprocess.run(
            ["make", "-n", target],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert done.returncode == 0, f"make {target}: {done.stderr}"
