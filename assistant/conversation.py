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
    Aggregate,
    And,
    CategoryIs,
    Cond,
    ContentQuery,
    Everything,
    Intent,
    Not,
    NumberIn,
    Or,
    Projection,
    TableQuery,
    UnitIs,
    conj,
)
from assistant.understand import ROLE_OF, Scan, compose, has_word, table_query
from corpus.records import Role

_COUNTED = re.compile(r"这([两二三四五2-5])(项|个|条)")
_CN_COUNT = {"两": 2, "二": 2, "三": 3, "四": 4, "五": 5, "2": 2, "3": 3, "4": 4, "5": 5}
_WHICH_ROW = re.compile(r"第几项|第几条|哪一项|哪项|几号")
_SHARED = re.compile(r"都有的|共同的|共有的|都有哪些")
_BOTH = re.compile(r"两个都|两者都|二者都|两家都|两个单位都|两个部门都|它们都|他们都|两个一起|两家一起")
_ADDS = re.compile(r"^(再加上|加上|再加|再算上|还有|以及)")
_ELLIPSIS_END = re.compile(r"(呢|呐|咧)[?？。!！]*$")
_ELLIPSIS_START = re.compile(r"^(那么|那|还有|换成|如果是|要是|改成|what about|and)")
# 这一类 / 同一类 after rows: the category those rows belong to, not the rows themselves.
_THIS_CATEGORY = re.compile(r"这一?类|该类|同一?类|这个类别|这一?类别|同类|这个门类|这一?大类")
# 两个加起来一共几项: the last two answers' rows together.
_TOGETHER = re.compile(
    r"(两个|两者|二者|这两|它们|他们|两家|两个单位)\S{0,3}(加起来|加在一起|合起来|合计|总共|一共)|加起来|合起来"
)


@dataclass
class Conversation:
    """One person's conversation: the previous turn's query and result, and the units named so far."""

    previous: Intent | None = None
    previous_tasks: tuple[int, ...] = ()
    history: list[tuple[TableQuery, tuple[int, ...]]] = field(
        default_factory=list
    )  # table turns, oldest first
    units: list[str] = field(default_factory=list)  # most recent last
    turns: int = 0

    def reset(self) -> None:
        self.previous = None
        self.previous_tasks = ()
        self.history = []
        self.units = []
        self.turns = 0

    def remember(self, intent: Intent, tasks: tuple[int, ...], units: tuple[str, ...]) -> None:
        self.previous = intent
        self.previous_tasks = tasks
        if isinstance(intent, TableQuery):
            self.history.append((intent, tasks))
            del self.history[:-10]
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
    if _ADDS.match(text) and new_units:
        # 再加上市发改委呢: the new unit joins the previous ones, in the same role — into their joint condition
        # when they were asked together (A和B共同负责), else its rows are added (A牵头几项 → 再加上B).
        old_units = [u for u in _flat(prev.where) if isinstance(u, UnitIs)]
        roles = old_units[0].roles if old_units else frozenset()
        joined = [UnitIs(u.unit, u.roles or roles) for u in new_units]
        focus = prev.focus + tuple(u.unit for u in new_units)
        if len(old_units) > 1:
            return replace(prev, where=conj([prev.where, *joined]), focus=focus)
        return replace(prev, where=Or((prev.where, *joined)), focus=focus)
    focus = tuple(u.unit for u in new_units) or prev.focus
    return replace(prev, where=conj([where, *added]), focus=focus)


def _roles_said(s: Scan) -> frozenset[Role]:
    """The roles a question's role words name (牵头 → {lead}); none or 参与 → any role."""
    roles = {ROLE_OF[t.kind[5:]] for t in s.tokens if t.kind.startswith("role:")}
    return frozenset(r for r in roles if r is not None) if None not in roles else frozenset()


def _units_of_rows(q: TableQuery) -> TableQuery:
    """谁牵头 / 有哪些单位 about given rows: each row's lead or units, not the table's list of units."""
    if q.aggregate is not Aggregate.LIST_UNITS:
        return q
    by_role = {Role.LEAD: Projection.LEAD, Role.ASSIST: Projection.ASSISTS}
    return replace(q, aggregate=Aggregate.NONE, projection=by_role.get(q.rank_role, Projection.UNITS))  # type: ignore[arg-type]


def _without_units(s: Scan, unit: str | None) -> Scan:
    """The scan with one unit's mentions taken out (回到教育局: the unit chose the turn, it is not a filter)."""
    if unit is None:
        return s
    tokens = [t for t in s.tokens if not (t.kind == "unit" and t.value == unit)]
    return replace(s, tokens=tokens, units=[u for u in s.units if u != unit])


def _asks_table(s: Scan) -> bool:
    """The question asks something of table rows: who, a role, a category, a count, rows, a ranking, a unit."""
    return bool(s.units or s.categories or s.numbers) or any(
        t.kind.startswith("role:")
        or t.kind in ("q:who", "q:category", "q:count", "q:tasks", "q:most", "q:least", "q:each")
        for t in s.tokens
    )


def _flat(c: Cond) -> list[Cond]:
    if isinstance(c, And | Or):
        return [x for p in c.parts for x in _flat(p)]
    if isinstance(c, Not):
        return _flat(c.part)
    return [c]


def follow_up(
    route: str,
    intent: Intent,
    s: Scan,
    text: str,
    conv: Conversation | None,
    category_of: dict[int, str] | None = None,
) -> tuple[str, Intent]:
    """The intent with what the conversation supplies; unchanged when the question stands alone.
    ``category_of``: each row's 工作任务 category (for 这一类 after rows)."""
    if (
        conv is None
        or conv.previous is None
        or route in ("greeting", "thanks", "service", "header", "issue_date")
    ):
        return route, intent
    prev = conv.previous
    rows = conv.previous_tasks
    last_units = conv.last_units
    names_rows = bool(s.units or s.numbers or s.categories or s.counties)
    previous_rows = s.has("previous_rows")
    one_row = s.has("one_row") or s.has("pronoun_unit")
    back = s.has("back")

    # 回到前面说的那个部门 / 回到教育局: the earlier turn about that unit (the one before the last by default).
    if back and len(conv.history) >= 2:
        wanted = s.units[0] if s.units else None
        earlier = [(q, t) for q, t in conv.history[:-1] if wanted is None or wanted in q.focus]
        if earlier:
            prev, rows = earlier[-1]
            last_units = prev.focus or last_units
            if not _asks_table(_without_units(s, wanted)) and not s.has("previous_rows"):
                return "table", prev
            if wanted is not None:
                s = _without_units(s, wanted)
                names_rows = bool(s.units or s.numbers or s.categories or s.counties)
    # 这一类里面有没有人行参与的: the category of the previous row(s), when they share one.
    if _THIS_CATEGORY.search(text) and rows and category_of and not s.categories and not s.numbers:
        cats = {category_of.get(n) for n in rows}
        if len(cats) == 1 and None not in cats:
            plain = replace(s, tokens=[t for t in s.tokens if t.kind not in ("one_row", "previous_rows")])
            q, _ = table_query(plain, text, ())
            return "table", replace(q, where=conj([CategoryIs(cats.pop()), q.where]))  # type: ignore[arg-type]
    # 两个加起来一共几项: the rows of the last two answers together.
    if _TOGETHER.search(text) and len(conv.history) >= 2 and not names_rows:
        together = tuple(dict.fromkeys((*conv.history[-2][1], *conv.history[-1][1])))
        q, _ = table_query(s, text, (), rows_given=True)
        return "table", replace(q, where=conj([NumberIn(frozenset(together), previous=True), q.where]))
    # 那市国资委在这项里是什么角色: a named unit's role in the previous row(s).
    if (
        (one_row or previous_rows)
        and rows
        and len(rows) <= 5
        and s.units
        and not s.numbers
        and (s.has("q:role") or s.has("q:yesno"))
    ):
        focus = tuple(s.units)
        return "table", TableQuery(
            where=NumberIn(frozenset(rows), previous=True), projection=Projection.ROLE, focus=focus
        )
    # 两个都参与的呢 / 它们都牵头的: the last two units named, together.
    if _BOTH.search(text) and len(conv.units) >= 2 and not s.units:
        both = tuple(conv.units[-2:])
        q, _ = table_query(s, text, ())
        if q.aggregate is Aggregate.LIST_UNITS:  # the role words were the two units', not a question of units
            q = replace(q, aggregate=Aggregate.NONE, projection=Projection.TASKS, rank_role=None)
        roles = _roles_said(s)
        where = conj([*(UnitIs(u, roles) for u in both), q.where])
        return "table", replace(q, where=where, focus=both)
    # 其中 / 这几项 / 这些: narrow to the previous answer's rows (when the question asks something of rows).
    if previous_rows and rows and (_asks_table(s) or s.has("q:compare")):
        # 这两项 after two one-row answers: the rows of the last turns, as many as it says.
        counted = _COUNTED.search(text)
        if counted and len(rows) < _CN_COUNT[counted.group(1)]:
            for _, older in reversed(conv.history[:-1]):
                rows = tuple(dict.fromkeys((*rows, *older)))
                if len(rows) >= _CN_COUNT[counted.group(1)]:
                    break
        within = NumberIn(frozenset(rows), previous=True)
        if (s.has("q:compare") or _SHARED.search(text)) and len(rows) >= 2:
            return "table", TableQuery(
                where=within, projection=Projection.UNITS, aggregate=Aggregate.COMPARE_ROWS
            )
        q, _ = table_query(s, text, last_units)
        q = _units_of_rows(q)
        return "table", replace(q, where=conj([within, q.where]))
    # 它 / 这项 / 那项 / 它是牵头单位吗: the previous row(s), or the previous unit.
    if one_row and not names_rows and (rows or last_units):
        asks_unit_role = has_word(text, "questions", "role") or (
            s.has("pronoun_unit") and any(t.kind.startswith("role:") for t in s.tokens) and s.has("q:yesno")
        )
        asks_rows_of_unit = (
            s.has("q:tasks")
            or s.has("q:count")
            or bool(re.search(r"(?<!哪)几项|多少项|哪些|哪几", text))
            or (s.has("pronoun_unit") and not (s.has("q:category") or s.has("q:who") or s.has("q:content")))
        )
        if (
            last_units
            and (asks_unit_role or asks_rows_of_unit)
            and not (s.has("one_row") and not s.has("pronoun_unit"))
        ):
            q, _ = table_query(s, text, last_units)
            if asks_unit_role and rows:
                q = replace(
                    q,
                    where=NumberIn(frozenset(rows), previous=True),
                    projection=Projection.ROLE,
                    focus=last_units,
                )
            return "table", q
        if rows and len(rows) <= 5:
            q = _units_of_rows(table_query(s, text, (), rows_given=True)[0])
            if q.projection is Projection.TASKS and q.aggregate.value == "none":
                q = replace(q, projection=Projection.UNITS if s.has("q:who") else Projection.CONTENT)
            return "table", replace(q, where=conj([NumberIn(frozenset(rows), previous=True), q.where]))
    # 那X呢 / X呢 / 牵头的呢: the previous question, with X in place.
    elliptical = bool(_ELLIPSIS_END.search(text) or _ELLIPSIS_START.search(text))
    if (
        elliptical
        and isinstance(prev, TableQuery)
        and not _own_question(s)
        and route in ("table", "content", "clause")
    ):
        return "table", _substitute(prev, s, text)
    # A question with no subject of its own (谁牵头 / 属于哪一类 / 一共几项) is about the previous answer:
    # per-row facts about its rows, counts and lists about its subject. Rankings and overviews stand alone.
    stands_alone = s.has("q:most") or s.has("q:least") or s.has("q:categories_all")
    asks_something = (
        _own_question(s) or any(t.kind.startswith("role:") for t in s.tokens) or _WHICH_ROW.search(text)
    )
    if route in ("table", "content", "clause") and not names_rows and not stands_alone and asks_something:
        q = _units_of_rows(table_query(s, text, (), rows_given=True)[0])
        per_row = (
            q.projection is not Projection.TASKS
            or s.has("q:who")
            or s.has("q:category")
            or bool(_WHICH_ROW.search(text))
        )
        quoted_rows = (
            isinstance(prev, ContentQuery) and 0 < len(rows) <= 3
        )  # a content answer that quoted rows
        if per_row and rows and len(rows) <= 10 and (isinstance(prev, TableQuery) or quoted_rows):
            if q.projection is Projection.TASKS and s.has("q:who"):
                q = replace(q, projection=Projection.UNITS)
            return "table", replace(q, where=conj([NumberIn(frozenset(rows), previous=True), q.where]))
        if isinstance(prev, TableQuery) and not per_row and not isinstance(prev.where, Everything):
            return "table", replace(
                q, where=conj([prev.where, q.where]), focus=prev.focus, focus_role=prev.focus_role
            )
    return route, intent
