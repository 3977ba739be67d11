"""The notice's vocabulary as data (``corpus/data/lexicon.toml``), loaded once into one object.

Agencies with their aliases and English names, the names that stand for groups of agencies, the
categories' distinctive words, the counties, the places outside the notice and the suggested questions.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from corpus.errors import NoticeQAError

LEXICON_FILE = "lexicon.toml"


class LexiconError(NoticeQAError, ValueError):
    """The lexicon file is malformed: says which entry and what is wrong."""


@dataclass(frozen=True)
class Agency:
    """A responsible unit. ``name`` is the canonical short name answers use."""

    name: str
    full_name: str
    aliases: tuple[str, ...]
    english: tuple[str, ...] = ()
    generic: bool = False  # a class of bodies (市有关部门, 行业协会), not one named agency

    @property
    def all_names(self) -> tuple[str, ...]:
        """Every spelling that names this unit, with and without the 市 / 六安市 prefix."""
        names: dict[str, None] = {}
        for n in (self.name, self.full_name, *self.aliases):
            names.setdefault(n, None)
            if n.startswith("六安市"):
                names.setdefault("市" + n[3:], None)
                names.setdefault(n[3:], None)
            elif n.startswith("市") and len(n) > 2:
                names.setdefault("六安" + n, None)
                names.setdefault(n[1:], None)
        return tuple(names)


@dataclass(frozen=True)
class Lexicon:
    agencies: tuple[Agency, ...]
    groups: dict[str, tuple[str, ...]]
    category_keys: dict[str, tuple[str, ...]]
    counties: dict[str, tuple[str, ...]]  # full name → short forms
    other_places: tuple[str, ...]
    suggestions: tuple[str, ...]
    # The notice's subject as English questions name it (industry-education integration → 产教融合).
    subject: str = ""
    subject_english: tuple[str, ...] = ()

    def agency(self, name: str) -> Agency:
        for a in self.agencies:
            if a.name == name:
                return a
        raise KeyError(f"no agency named {name!r}")


def _strings(entry: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = entry.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise LexiconError(f"{where}: {key} must be a list of non-empty strings, got {value!r}")
    return tuple(value)


def parse_lexicon(text: str) -> Lexicon:
    """Parse and validate the lexicon's TOML text."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LexiconError(f"invalid TOML: {exc}") from exc
    agencies = []
    for i, entry in enumerate(raw.get("agency", []), 1):
        where = f"agency #{i}"
        name, full = entry.get("name"), entry.get("full_name")
        if not isinstance(name, str) or not name or not isinstance(full, str) or not full:
            raise LexiconError(f"{where}: needs a name and a full_name")
        agencies.append(
            Agency(
                name,
                full,
                _strings(entry, "aliases", where),
                tuple(e.lower() for e in _strings(entry, "english", where)),
                bool(entry.get("generic", False)),
            )
        )
    if not agencies:
        raise LexiconError("no [[agency]] entries")
    names = {a.name for a in agencies}
    groups = {k: _strings(raw.get("groups", {}), k, f"group {k}") for k in raw.get("groups", {})}
    for k, members in groups.items():
        if unknown := [m for m in members if m not in names]:
            raise LexiconError(f"group {k}: unknown agency {unknown[0]!r}")
    cats = {k: _strings(raw.get("categories", {}), k, f"category {k}") for k in raw.get("categories", {})}
    counties = {k: _strings(raw.get("counties", {}), k, f"county {k}") for k in raw.get("counties", {})}
    return Lexicon(
        agencies=tuple(agencies),
        groups=groups,
        category_keys=cats,
        counties=counties,
        other_places=_strings(raw.get("places", {}), "other", "places"),
        suggestions=_strings(raw.get("suggestions", {}), "questions", "suggestions"),
        subject=str(raw.get("subject", {}).get("name", "")),
        subject_english=tuple(e.lower() for e in _strings(raw.get("subject", {}), "english", "subject")),
    )


@cache
def load_lexicon() -> Lexicon:
    """The shipped lexicon, parsed once per process."""
    return parse_lexicon(resources.files("corpus").joinpath("data", LEXICON_FILE).read_text(encoding="utf-8"))
