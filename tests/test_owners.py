"""The README's "One owner per concern" table names files that exist, one row per concern."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONCERNS = [
    "errors",
    "settings",
    "command line",
    "offline environment",
    "input limit and cleaning",
    "turn logging",
    "ask protocol",
    "source ids",
    "vocabulary data",
    "general language resources",
    "understanding",
    "engine",
    "phrasing",
    "content",
    "header",
    "review store",
    "API",
]


def _owner_rows() -> dict[str, str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("### One owner per concern") :]
    section = section[: section.index("\n\n", section.index("| concern |"))]
    rows = re.findall(r"^\| ([^|]+?) \| (.+) \|$", section, flags=re.MULTILINE)
    return {concern: owner for concern, owner in rows if concern not in ("concern", "---")}


def test_every_concern_has_one_row() -> None:
    assert list(_owner_rows()) == CONCERNS


def test_every_named_owner_exists() -> None:
    for concern, owner in _owner_rows().items():
        paths = re.findall(r"`((?:corpus|index|assistant|ui|eval)/[\w/.]*)`", owner)
        assert paths, concern
        for path in paths:
            assert (ROOT / path).exists(), f"{concern}: {path}"
