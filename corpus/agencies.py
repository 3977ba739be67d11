"""The units of the task table, read from the lexicon: canonical short name, full name, aliases."""

from __future__ import annotations

from corpus.lexicon import Agency, load_lexicon

AGENCIES: tuple[Agency, ...] = load_lexicon().agencies

_BY_NAME: dict[str, Agency] = {}
for _agency in AGENCIES:
    for _n in _agency.all_names:
        if _n in _BY_NAME and _BY_NAME[_n] is not _agency:
            raise ValueError(f"alias {_n!r} names both {_BY_NAME[_n].name} and {_agency.name}")
        _BY_NAME[_n] = _agency


def agency(name: str) -> Agency:
    """The agency with this canonical name; KeyError names the bad value."""
    return load_lexicon().agency(name)


def resolve(text: str) -> Agency | None:
    """The agency a whole string names (any alias, either punctuation width), or None."""
    key = text.strip().replace("(", "（").replace(")", "）")
    return _BY_NAME.get(key) or _BY_NAME.get(text.strip())


def alias_table() -> dict[str, Agency]:
    """Every alias → its agency (a copy), for scanning free text."""
    return dict(_BY_NAME)
