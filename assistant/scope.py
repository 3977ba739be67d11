"""What the notice does not say: amounts, deadlines, dates, contacts, people, other places …

The kinds, their patterns and messages are data (``corpus/data/unstated.toml``), checked in order; the places
outside the notice come from the lexicon. Each refusal names what was asked, so it can say plainly that the
notice does not state it and, where it helps, what the notice does say instead.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

from corpus.lexicon import load_lexicon


@dataclass(frozen=True)
class OutOfScope:
    kind: str  # amount, deadline, issue_date, contact, penalty, place …
    what: str  # the words that triggered it, for the message


@dataclass(frozen=True)
class _Kind:
    name: str
    pattern: re.Pattern[str]
    unless: re.Pattern[str] | None
    message: str


@cache
def _kinds() -> tuple[_Kind, ...]:
    raw = tomllib.loads(
        resources.files("corpus").joinpath("data", "unstated.toml").read_text(encoding="utf-8")
    )
    places = sorted(load_lexicon().other_places, key=len, reverse=True)
    kinds = []
    for entry in raw["kind"]:
        pattern = entry.get("pattern") or "(" + "|".join(re.escape(p) for p in places) + ")"
        pattern = pattern.replace("{cited}", "|".join(re.escape(t) for t in cited_titles()))
        unless = entry.get("unless")
        kinds.append(
            _Kind(
                entry["name"], re.compile(pattern), re.compile(unless) if unless else None, entry["message"]
            )
        )
    return tuple(kinds)


@cache
def cited_titles() -> tuple[str, ...]:
    """The documents the notice only cites by title (《划拨用地目录》, the provincial 实施意见), and the short
    names a question uses for them: their contents are not in the notice. Longest first."""
    from corpus.parser import parse_notice

    notice = parse_notice()
    names: set[str] = set()
    for title in re.findall(r"《([^》]+)》", notice.text):
        if title == notice.header.title:
            continue
        names |= {title, title.split("的")[-1], title[-4:]}
    return tuple(sorted((n for n in names if len(n) >= 4), key=len, reverse=True))


def unstated(text: str) -> OutOfScope | None:
    """A question asking for something this notice never states, or None."""
    for kind in _kinds():
        m = kind.pattern.search(text)
        if m and not (kind.unless and kind.unless.search(text)):
            return OutOfScope(kind.name, m.group(0))
    return None


def message(kind: str) -> str:
    """The refusal message of a kind."""
    for k in _kinds():
        if k.name == kind:
            return k.message
    raise KeyError(f"no refusal kind {kind!r}")


MESSAGES: dict[str, str] = {k.name: k.message for k in _kinds()}
