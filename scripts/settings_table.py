"""Print the README's settings table from `shared.config.Settings` (a test keeps them equal)."""

from __future__ import annotations

from shared.config import Settings


def settings_table() -> str:
    lines = ["| Setting | Default | What it does |", "| --- | --- | --- |"]
    for spec in Settings.specs().values():
        if spec.default is None:
            default = "**required**"
        elif spec.default == "":
            default = "(empty)"
        else:
            default = f"`{spec.default}`"
        secret = (
            " (secret: never logged; in Azure a Key Vault reference if set)" if spec.secret else ""
        )
        lines.append(f"| `{spec.env}` | {default} | {spec.doc}{secret} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(settings_table())  # noqa: T201
