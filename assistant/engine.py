"""Execute a ``TableQuery`` over the parsed rows: set algebra for the condition, then one projection or
aggregate. Pure functions; the result carries the rows that justify it, for citations."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from assistant.query import (
    Aggregate,
    Alone,
    And,
    CategoryIs,
    CellText,
    Cond,
    Everything,
    HasRole,
    Not,
    NumberIn,
    Or,
    TableQuery,
    UnitCount,
    UnitIs,
)
from corpus.agencies import agency
from corpus.records import Notice, Role, Task


def holds(cond: Cond, task: Task) -> bool:
    """Whether one row satisfies a condition."""
    match cond:
        case Everything():
            return True
        case UnitIs(unit=unit, roles=roles):
            role = task.role_of(unit)
            return role is not None and (not roles or role in roles)
        case CategoryIs(category=category):
            return task.category == category
        case NumberIn(numbers=numbers):
            return task.number in numbers
        case UnitCount(op=op, n=n):
            size = len(task.assignments)
            return {"==": size == n, ">=": size >= n, "<=": size <= n}[op]
        case HasRole(role=role):
            return any(a.role is role for a in task.assignments)
        case CellText(text=text):
            return text in task.content or text in task.units_raw
        case Alone(unit=unit):
            return task.role_of(unit) is not None and all(
                a.unit == unit or a.role is Role.ASSIST for a in task.assignments
            )
        case And(parts=parts):
            return all(holds(p, task) for p in parts)
        case Or(parts=parts):
            return any(holds(p, task) for p in parts)
        case Not(part=part):
            return not holds(part, task)
    raise TypeError(f"not a condition: {cond!r}")


def select(cond: Cond, notice: Notice) -> list[Task]:
    """The rows satisfying ``cond``, in table order."""
    return [t for t in notice.tasks if holds(cond, t)]


@dataclass(frozen=True)
class Result:
    """What the engine found: the selected rows and whatever the aggregate computed over them."""

    query: TableQuery
    rows: tuple[Task, ...]
    ranking: tuple[tuple[str, int], ...] = ()  # (unit or category, rows), best first
    top: tuple[str, ...] = ()  # the winners of a ranking (ties included)
    groups: tuple[tuple[str, tuple[Task, ...]], ...] = ()  # (unit or category, its rows)
    units: tuple[str, ...] = ()  # for LIST_UNITS / UNITS_WITH_COUNT
    shared: tuple[str, ...] = ()  # COMPARE_ROWS: units every compared row lists
    extra: dict[str, tuple[str, ...]] = field(default_factory=dict)  # COMPARE_ROWS: row → its own units


def execute(query: TableQuery, notice: Notice) -> Result:
    """Run a table query."""
    rows = tuple(select(query.where, notice))
    agg = query.aggregate
    if agg is Aggregate.RANK_UNITS or agg is Aggregate.COMPARE_UNITS:
        counts = unit_counts(rows, query.rank_role)
        if agg is Aggregate.COMPARE_UNITS:
            pool = {u: counts.get(u, 0) for u in query.focus}
        else:
            named = [u for u in notice.units if not agency(u).generic and u not in query.exclude]
            pool = {u: counts.get(u, 0) for u in named if counts.get(u, 0) or query.rank_role is not None}
        return _ranked(query, rows, pool, notice.units)
    if agg is Aggregate.RANK_CATEGORIES:
        pool = {c: sum(t.category == c for t in rows) for c in notice.categories}
        pool = {c: n for c, n in pool.items() if n}
        return _ranked(query, rows, pool, notice.categories)
    if agg is Aggregate.RANK_ROWS:
        if not rows:
            return Result(query, rows)
        sizes = [len(t.assignments) for t in rows]
        best = min(sizes) if query.least else max(sizes)
        return Result(query, tuple(t for t in rows if len(t.assignments) == best))
    if agg is Aggregate.BY_CATEGORY:
        groups = tuple(
            (c, tuple(t for t in rows if t.category == c))
            for c in notice.categories
            if any(t.category == c for t in rows)
        )
        return Result(query, rows, groups=groups)
    if agg is Aggregate.BY_UNIT:
        groups = tuple(
            (
                u,
                tuple(
                    t for t in rows if t.role_of(u) is not None and _role_ok(t.role_of(u), query.rank_role)
                ),
            )
            for u in query.focus
        )
        return Result(query, rows, groups=groups)
    if agg is Aggregate.LIST_UNITS:
        counts = unit_counts(rows, query.rank_role)
        units = tuple(u for u in notice.units if counts.get(u) and u not in query.exclude)
        return Result(query, rows, units=units, ranking=tuple((u, counts[u]) for u in units))
    if agg is Aggregate.UNITS_WITH_COUNT:
        counts = unit_counts(rows, query.rank_role)
        units = tuple(u for u in notice.units if counts.get(u, 0) == query.n)
        return Result(query, rows, units=units)
    if agg is Aggregate.COMPARE_ROWS and len(rows) >= 2:
        unit_sets = [set(t.units) for t in rows]
        shared = set.intersection(*unit_sets)
        # Units in the order the rows list them (the first row's order, then the others').
        order = {u: i for i, u in enumerate(dict.fromkeys(u for t in rows for u in t.units))}
        return Result(
            query,
            rows,
            shared=tuple(sorted(shared, key=order.__getitem__)),
            extra={str(t.number): tuple(sorted(set(t.units) - shared, key=order.__getitem__)) for t in rows},
        )
    return Result(query, rows)


def _role_ok(role: Role | None, wanted: Role | None) -> bool:
    return wanted is None or role is wanted


def unit_counts(rows: tuple[Task, ...] | list[Task], role: Role | None = None) -> Counter[str]:
    """How many of the rows name each unit (in ``role`` when given)."""
    return Counter(a.unit for t in rows for a in t.assignments if role is None or a.role is role)


def _ranked(
    query: TableQuery, rows: tuple[Task, ...], pool: dict[str, int], order: tuple[str, ...]
) -> Result:
    if not pool:
        return Result(query, rows)
    ranking = sorted(pool.items(), key=lambda kv: (-kv[1], order.index(kv[0])))
    if query.least:
        positive = [v for v in pool.values() if v > 0] or [0]
        best = min(positive)
    else:
        best = max(pool.values())
    top = tuple(k for k, v in ranking if v == best)
    return Result(query, rows, ranking=tuple(ranking), top=top)
