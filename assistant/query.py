"""The typed query: what a question asks, as data. The parser builds it; the engine and the router read it.

A table question is a ``TableQuery``: a condition over the rows (unit in a role, category, task numbers,
number of units, literal cell text, the previous result), combined with ``And`` / ``Or`` / ``Not``; a
``projection`` (what to say of each selected row) and an ``aggregate`` (what to compute over them).
Other questions are a ``HeaderQuery``, ``ClauseQuery``, ``ContentQuery``, ``Refusal`` or ``SmallTalk``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from corpus.records import Role

# --- conditions over the rows --------------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitIs:
    """The unit is named in the row, in one of ``roles`` (empty: any role)."""

    unit: str
    roles: frozenset[Role] = frozenset()


@dataclass(frozen=True)
class CategoryIs:
    category: str


@dataclass(frozen=True)
class NumberIn:
    """The row's number is one of these (第3项, 第1到第10项, 前五项, the previous result)."""

    numbers: frozenset[int]
    previous: bool = False  # taken from the previous answer (其中 / 这几项)


@dataclass(frozen=True)
class UnitCount:
    """The row lists ``op`` ``n`` units: op is one of ==, >=, <=."""

    op: str
    n: int


@dataclass(frozen=True)
class HasRole:
    """Some unit of the row has this role (有配合单位 / 写了会同)."""

    role: Role


@dataclass(frozen=True)
class CellText:
    """The row's 主要内容 or 责任单位 cell holds this literal text."""

    text: str


@dataclass(frozen=True)
class Alone:
    """The unit carries the row alone: every other unit only assists (after 会同)."""

    unit: str


@dataclass(frozen=True)
class And:
    parts: tuple[Cond, ...]


@dataclass(frozen=True)
class Or:
    parts: tuple[Cond, ...]


@dataclass(frozen=True)
class Not:
    part: Cond


@dataclass(frozen=True)
class Everything:
    """Every row (no condition said)."""


Cond = UnitIs | CategoryIs | NumberIn | UnitCount | HasRole | CellText | Alone | And | Or | Not | Everything


def conj(parts: list[Cond]) -> Cond:
    """AND of the parts, flattened; no part is every row."""
    flat: list[Cond] = []
    for p in parts:
        if isinstance(p, And):
            flat.extend(p.parts)
        elif not isinstance(p, Everything):
            flat.append(p)
    flat = list(dict.fromkeys(flat))
    if not flat:
        return Everything()
    return flat[0] if len(flat) == 1 else And(tuple(flat))


def walk(cond: Cond) -> list[Cond]:
    """Every condition inside ``cond``, itself included, with the polarity lost."""
    if isinstance(cond, And | Or):
        return [cond, *(c for p in cond.parts for c in walk(p))]
    if isinstance(cond, Not):
        return [cond, *walk(cond.part)]
    return [cond]


# --- what to say -----------------------------------------------------------------------------------------------


class Projection(str, Enum):
    """What the answer gives for each selected row."""

    TASKS = "tasks"  # the rows themselves (number and a short content)
    UNITS = "units"  # every unit of each row with its role
    LEAD = "lead"  # the lead of each row
    ASSISTS = "assists"  # the assisting units (after 会同) of each row
    PARTNERS = "partners"  # the units of each row other than the ones the question named
    ROLE = "role"  # the named unit's role in each row
    CATEGORY = "category"  # the category of each row
    CONTENT = "content"  # the full content of each row
    UNIT_COUNT = "unit_count"  # how many units each row lists


class Aggregate(str, Enum):
    """What to compute over the selected rows."""

    NONE = "none"
    COUNT = "count"  # how many rows
    RANK_UNITS = "rank_units"  # which unit is named in the most (fewest) rows
    RANK_CATEGORIES = "rank_categories"  # which category has the most (fewest) rows
    RANK_ROWS = "rank_rows"  # which row lists the most (fewest) units
    BY_CATEGORY = "by_category"  # rows per category
    BY_UNIT = "by_unit"  # rows per named unit (分别)
    COMPARE_ROWS = "compare_rows"  # what two or more rows share and where they differ
    COMPARE_UNITS = "compare_units"  # which of the named units has more rows
    LIST_UNITS = "list_units"  # the units of the selected rows, each once, with counts
    UNITS_WITH_COUNT = "units_with_count"  # units named in exactly n rows


@dataclass(frozen=True)
class TableQuery:
    where: Cond = field(default_factory=Everything)
    projection: Projection = Projection.TASKS
    aggregate: Aggregate = Aggregate.NONE
    least: bool = False  # rank ascending (最少)
    rank_role: Role | None = None  # count only this role when ranking or listing units
    exclude: tuple[str, ...] = ()  # units left out of a ranking or a unit list (除了…以外)
    exclude_roles: tuple[
        Role | None, ...
    ] = ()  # units in these roles left out of a row's units (除了牵头的还有谁)
    focus: tuple[str, ...] = ()  # units the question is about: their role is shown beside each row
    focus_role: Role | None = None  # the role the question asked for, for wording (牵头的任务)
    n: int | None = None  # for UNITS_WITH_COUNT


@dataclass(frozen=True)
class HeaderQuery:
    """A fact of the notice's header (文号, 主送, 抄送 …); ``topic`` is the question as read, for the header module."""

    topic: str = ""


@dataclass(frozen=True)
class ClauseQuery:
    numbers: tuple[int, ...] = ()  # 第二条; empty with ``overview`` for 通知有几条
    preamble: bool = False
    overview: bool = False


@dataclass(frozen=True)
class ContentQuery:
    """What the notice says about a topic: answered by retrieval, verbatim. ``topic`` is the question as read
    (filler, ellipsis and injected sentences gone, misheard terms put right)."""

    topic: str = ""


@dataclass(frozen=True)
class Refusal:
    """Something the notice does not state; ``kind`` keys the message in ``assistant.scope.MESSAGES``."""

    kind: str
    unknown_units: tuple[str, ...] = ()
    tasks: tuple[int, ...] = ()  # rows the question is about, quoted beside the refusal
    topic: str = ""  # the question as read, to find what the notice does say nearby


@dataclass(frozen=True)
class SmallTalk:
    """A greeting, thanks, a request to do something, or text with nothing to answer."""

    kind: str  # greeting, thanks, service, help


Intent = TableQuery | HeaderQuery | ClauseQuery | ContentQuery | Refusal | SmallTalk


@dataclass(frozen=True)
class Understanding:
    """A question as understood: the normalised text, the intent, and how names were read."""

    text: str
    intent: Intent
    corrections: tuple[tuple[str, str], ...] = ()  # (what was typed, what it was read as)
    injected: bool = False  # the question tried to tell the assistant a "fact"
    units: tuple[str, ...] = ()  # units named (for the conversation and the UI)
