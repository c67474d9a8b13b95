"""The README is part of the feature: its settings table and commands must stay true."""

from pathlib import Path

from scripts.settings_table import settings_table

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_settings_table_matches_the_settings_object() -> None:
    text = README.read_text(encoding="utf-8")
    start = text.index("-->", text.index("<!-- settings-table:start")) + 3
    end = text.index("<!-- settings-table:end -->")
    assert text[start:end].strip() == settings_table().strip(), (
        "run: python -m scripts.settings_table"
    )


def test_readme_shows_the_two_commands_and_the_docs_it_links_exist() -> None:
    text = README.read_text(encoding="utf-8")
    assert "make demo" in text and "make test" in text
    for part in text.split("](")[1:]:
        target = part.split(")")[0]
        if not target.startswith(("http", "#")):
            assert (README.parent / target).exists(), f"README links to a missing {target}"
