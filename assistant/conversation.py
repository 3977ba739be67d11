"""The conversation: what the previous turns asked and answered, and how a follow-up leans on them.

Rules, in one place: 其中 / 这几项 / 这些 narrow to the previous result; 它 / 这项 / 那项 point at the previous
row(s) or unit; 那X呢 / X呢 / 牵头的呢 repeat the previous question with X in place of its kind; 回到前面说的那个部门
goes back to the unit before; a question with a subject of its own stands alone; small talk, refusals and
injected "facts" never inherit anything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from assistant.query import (
    And,
    CategoryIs,
    Cond,
    Everything,
    HeaderQuery,
    Intent,
    Not,
    NumberIn,
    Or,
    Projection,
    TableQuery,
    UnitIs,
    conj,
)
from assistant.understand import Scan, compose, has_word, table_query

_ELLIPSIS_END = re.compile(r"(呢|呐|咧)[?？。!！]*$")
_ELLIPSIS_START = re.compile(r"^(那么|那|还有|换成|如果是|要是|改成|what about|and)")


@dataclass
class Conversation:
    """One person's conversation: the previous turn's query and result, and the units named so far."""

    previous: Intent | None = None
    previous_tasks: tuple[int, ...] = ()
    units: list[str] = field(default_factory=list)  # most recent last
    turns: int = 0

    def reset(self) -> None:
        self.previous = None
        self.previous_tasks = ()
        self.units = []
        self.turns = 0

    def remember(self, intent: Intent, tasks: tuple[int, ...], units: tuple[str, ...]) -> None:
        self.previous = intent
        self.previous_tasks = tasks
        for u in units:
            if u in self.units:
                self.units.remove(u)
            self.units.append(u)
        self.turns += 1

    @property
    def last_units(self) -> tuple[str, ...]:
        if isinstance(self.previous, TableQuery) and self.previous.focus:
            return self.previous.focus
        return tuple(self.units[-1:])


def _own_question(s: Scan) -> bool:
    return any(t.kind.startswith("q:") and t.kind not in ("q:yesno",) for t in s.tokens)


def _substitute(prev: TableQuery, s: Scan, text: str) -> TableQuery:
    """The previous query with what this turn names put in place of the same kind (那市财政局呢 / 牵头的呢)."""
    p = compose(s)
    new_units = [c for c in p.conds if isinstance(c, UnitIs)]
    new_roles = [t for t in s.tokens if t.kind.startswith("role:")]
    role_map = {"role:lead": "lead", "role:assist": "assist", "role:co": "co", "role:any": "any"}

    def swap(c: Cond) -> Cond:
        if isinstance(c, UnitIs):
            unit = new_units[0].unit if new_units else c.unit
            roles = new_units[0].roles if new_units and new_units[0].roles else c.roles
            if new_roles and not new_units:
                from corpus.records import Role

                name = role_map[new_roles[0].kind]
                roles = frozenset() if name == "any" else frozenset({Role(name)})
            return UnitIs(unit, roles)
        if isinstance(c, CategoryIs) and s.categories:
            return CategoryIs(s.categories[0])
        if isinstance(c, NumberIn) and not c.previous and s.numbers:
            return NumberIn(frozenset(s.numbers))
        if isinstance(c, And):
            return And(tuple(swap(x) for x in c.parts))
        if isinstance(c, Or):
            return Or(tuple(swap(x) for x in c.parts))
        if isinstance(c, Not):
            return Not(swap(c.part))
        return c

    where = swap(prev.where)
    added: list[Cond] = []
    kinds = {type(c) for c in _flat(prev.where)}
    if new_units and UnitIs not in kinds:
        added.extend(new_units)
    if s.categories and CategoryIs not in kinds:
        added.append(CategoryIs(s.categories[0]))
    if s.numbers and NumberIn not in kinds:
        added.append(NumberIn(frozenset(s.numbers)))
    focus = tuple(u.unit for u in new_units) or prev.focus
    return replace(prev, where=conj([where, *added]), focus=focus)


def _flat(c: Cond) -> list[Cond]:
    if isinstance(c, And | Or):
        return [x for p in c.parts for x in _flat(p)]
    if isinstance(c, Not):
        return _flat(c.part)
    return [c]


def follow_up(
    route: str, intent: Intent, s: Scan, text: str, conv: Conversation | None
) -> tuple[str, Intent]:
    """The intent with what the conversation supplies; unchanged when the question stands alone."""
    if conv is None or conv.previous is None or route in ("greeting", "thanks", "service", "header", "issue_date"):
        return route, intent
    prev = conv.previous
    rows = conv.previous_tasks
    names_rows = bool(s.units or s.numbers or s.categories or s.counties)
    previous_rows = s.has("previous_rows")
    one_row = s.has("one_row") or s.has("pronoun_unit")
    back = s.has("back")

    # 回到前面说的那个部门: the unit before the last one.
    if back and len(conv.units) >= 2 and not s.units:
        unit = conv.units[-2]
        if isinstance(prev, TableQuery):
            base = TableQuery(where=UnitIs(unit), focus=(unit,))
            q, _ = table_query(s, text, (unit,))
            if isinstance(q.where, Everything):
                q = replace(q, where=base.where, focus=(unit,))
            return "table", q
    # 其中 / 这几项 / 这些: narrow to the previous answer's rows.
    if previous_rows and rows:
        q, _ = table_query(s, text, conv.last_units)
        within = NumberIn(frozenset(rows), previous=True)
        return "table", replace(q, where=conj([within, q.where]))
    # 它 / 这项 / 那项 / 它是牵头单位吗: the previous row(s), or the previous unit.
    if one_row and not names_rows and (rows or conv.last_units):
        asks_unit_role = has_word(text, "questions", "role") or (
            s.has("pronoun_unit") and any(t.kind.startswith("role:") for t in s.tokens) and s.has("q:yesno")
        )
        asks_rows_of_unit = s.has("q:tasks") or s.has("q:count") or re.search(r"(?<!哪)几项|多少项", text)
        if conv.last_units and (asks_unit_role or asks_rows_of_unit) and not (
            s.has("one_row") and not s.has("pronoun_unit")
        ):
            q, _ = table_query(s, text, conv.last_units)
            if asks_unit_role and rows:
                q = replace(q, where=NumberIn(frozenset(rows), previous=True), projection=Projection.ROLE,
                            focus=conv.last_units)
            return "table", q
        if rows and len(rows) <= 5:
            q, _ = table_query(s, text, ())
            if q.projection is Projection.TASKS and q.aggregate.value == "none":
                q = replace(q, projection=Projection.UNITS if s.has("q:who") else Projection.CONTENT)
            return "table", replace(q, where=conj([NumberIn(frozenset(rows), previous=True), q.where]))
    # 那X呢 / X呢 / 牵头的呢: the previous question, with X in place.
    elliptical = bool(_ELLIPSIS_END.search(text) or _ELLIPSIS_START.search(text))
    if elliptical and isinstance(prev, TableQuery) and not _own_question(s) and route in ("table", "content", "clause"):
        return "table", _substitute(prev, s, text)
    # 谁牵头 / 属于哪一类 / 这两项分别由谁牵头 with no subject: about the previous rows.
    if route in ("table", "content", "clause") and not names_rows and rows and _own_question(s):
        asks_row_fact = s.has("q:who") or s.has("q:category") or any(t.kind.startswith("role:") for t in s.tokens)
        if asks_row_fact and len(rows) <= 5 and not isinstance(prev, HeaderQuery):
            q, _ = table_query(s, text, ())
            return "table", replace(q, where=conj([NumberIn(frozenset(rows), previous=True), q.where]))
    return route, intent
