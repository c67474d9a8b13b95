"""Console output: plain tables on stdout, progress and errors on stderr.

Stdout carries only the answer (a table or JSON), so `tapstart doctor --json | jq` works while
progress lines keep a person informed on stderr.
"""

from __future__ import annotations

import shutil
import sys
import textwrap
from collections.abc import Sequence
from typing import TextIO


def table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    wrap: Sequence[int] = (),
    out: TextIO | None = None,
    width: int | None = None,
) -> None:
    """Left-aligned columns; the columns in `wrap` share what is left of the terminal width."""
    stream = out or sys.stdout
    total = width or max(100, shutil.get_terminal_size((140, 24)).columns)
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]
    fixed = sum(w for i, w in enumerate(widths) if i not in wrap) + 2 * (len(headers) - 1)
    # Narrow wrapped columns keep their natural width; the wide ones share what is left.
    room = total - fixed
    pending = sorted(wrap, key=lambda i: widths[i])
    while pending:
        share = max(20, room // len(pending))
        i = pending.pop(0)
        widths[i] = min(widths[i], share)
        room -= widths[i]
    print(_line(headers, widths), file=stream)
    print("  ".join("-" * w for w in widths), file=stream)
    for row in rows:
        cells = [
            textwrap.wrap(cell, widths[i]) or [""] if i in wrap else [cell]
            for i, cell in enumerate(row)
        ]
        for depth in range(max(len(c) for c in cells)):
            print(_line([c[depth] if depth < len(c) else "" for c in cells], widths), file=stream)


def _line(cells: Sequence[str], widths: Sequence[int]) -> str:
    return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()


class Progress:
    """`… doing X` lines on stderr; silent with --quiet."""

    def __init__(self, enabled: bool = True, stream: TextIO | None = None) -> None:
        self.enabled = enabled
        self.stream = stream or sys.stderr

    def __call__(self, message: str) -> None:
        if self.enabled:
            print(f"… {message}", file=self.stream, flush=True)


def error(message: str, fix: str = "") -> None:
    print(f"error: {message}", file=sys.stderr)
    if fix:
        print(f"  fix: {fix}", file=sys.stderr)
