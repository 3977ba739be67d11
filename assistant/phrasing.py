"""Every sentence the assistant writes, in one place: labels, numerals, source names, answer templates.

The UI uses the same labels (``source_label``, ``ROLE_LABELS``), so a citation reads the same everywhere.
"""

from __future__ import annotations

from assistant.answer import Citation, Reply
from assistant.engine import Result, select, unit_counts
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
    Projection,
    UnitCount,
    UnitIs,
)
from corpus.agencies import agency
from corpus.records import Notice, Role, Source, Task

HELP = "请就六政办秘〔2018〕123号通知提问，例如：「哪些任务由市人社局牵头？」「第12项由谁负责？」「产教融合资金从哪来？」"
TOO_LONG = "问题太长了，请控制在{limit}字以内。"
NOT_FOUND = "通知里没有找到这个问题的答案。本助手只回答六政办秘〔2018〕123号通知及其附件任务分工表的内容。"
ERROR = "抱歉，暂时无法回答这个问题，请稍后再试。"
LEAD_NOTE = "（按任务分工表惯例，责任单位中排在首位的为牵头单位。）"

ROLE_LABELS: dict[Role | None, str] = {
    Role.LEAD: "牵头",
    Role.CO: "共同负责",
    Role.ASSIST: "配合",
    None: "参与",
}
_NUMERALS = "一二三四五六七八九十"


def numeral(n: int) -> str:
    """1 → 一 … 10 → 十; larger numbers stay digits."""
    return _NUMERALS[n - 1] if 1 <= n <= 10 else str(n)


def nums(numbers: list[int] | tuple[int, ...]) -> str:
    """第2、3、4项 — runs of three or more collapse: 第13至18项."""
    ns = sorted(set(numbers))
    parts: list[str] = []
    i = 0
    while i < len(ns):
        j = i
        while j + 1 < len(ns) and ns[j + 1] == ns[j] + 1:
            j += 1
        if j - i >= 2:
            parts.append(f"{ns[i]}至{ns[j]}")
        else:
            parts.extend(str(n) for n in ns[i : j + 1])
        i = j + 1
    return "第" + "、".join(parts) + "项"


def brief(task: Task, limit: int = 30) -> str:
    """The task's first sentence, shortened for a list line, without its final full stop."""
    first = (task.sentences[0] if task.sentences else task.content).rstrip("。")
    return first if len(first) <= limit else first[: limit - 1] + "…"


def units_line(task: Task) -> str:
    """市人社局（牵头）、市总工会（共同负责）、市有关部门（配合）."""
    return "、".join(f"{a.unit}（{a.role.label}）" for a in task.assignments)


def source_label(source: str, notice: Notice | None = None) -> str:
    """task-12 → 附件第12项，<category>; clause-3 → 通知第三条「<heading>」; preamble; header."""
    parsed = Source.parse(source)
    n = parsed.number
    if parsed.kind == "task":
        category = f"，{notice.tasks[n - 1].category}" if notice and notice.task(n) else ""
        return f"附件第{n}项{category}"
    if parsed.kind == "clause":
        heading = f"「{notice.clauses[n - 1].heading}」" if notice and notice.clause(n) else ""
        return f"通知第{numeral(n)}条{heading}"
    if parsed.kind == "preamble":
        return "通知开头"
    return "通知文头"


# --- table answers, keyed by the result's shape -----------------------------------------------------------------


def task_citation(task: Task) -> Citation:
    return Citation(task.source, task.row_text)


def task_lines(tasks: list[Task] | tuple[Task, ...], unit: str | None = None) -> str:
    """One line per row: its first sentence, shortened; a single row is given whole (what it asks, all of it)."""
    lines = []
    for t in tasks:
        role = t.role_of(unit) if unit else None
        text = t.content.rstrip("。") if len(tasks) == 1 else brief(t)
        lines.append(f"· 第{t.number}项 {text}{f'（{role.label}）' if role else ''}")
    return "\n".join(lines)


def _roles_word(roles: frozenset[Role]) -> str:
    if not roles:
        return "参与"
    return "或".join(ROLE_LABELS[r] for r in (Role.LEAD, Role.CO, Role.ASSIST) if r in roles)


def describe(cond: Cond) -> str:
    """A condition in words: 市人社局参与、且非市人社局牵头."""
    match cond:
        case Everything():
            return "全部任务"
        case UnitIs(unit=unit, roles=roles):
            return f"{unit}{_roles_word(roles)}"
        case CategoryIs(category=category):
            return f"属于「{category}」"
        case NumberIn(numbers=numbers, previous=previous):
            return "在上一个回答的任务中" if previous else f"在{nums(sorted(numbers))}中"
        case UnitCount(op=op, n=n):
            return f"列{n}个{'及以上' if op == '>=' else '及以下' if op == '<=' else ''}责任单位"
        case HasRole(role=role):
            return f"有{ROLE_LABELS[role]}单位"
        case CellText(text=text):
            return f"写有「{text}」"
        case Alone(unit=unit):
            return f"{unit}单独负责"
        case And(parts=parts):
            return "、".join(describe(p) for p in parts)
        case Or(parts=parts):
            return "或".join(describe(p) for p in parts)
        case Not(part=part):
            if isinstance(part, UnitIs):
                return f"不是{part.unit}{_roles_word(part.roles)}" if part.roles else f"没有{part.unit}参与"
            if isinstance(part, CategoryIs):
                return f"不属于「{part.category}」"
            return f"不{describe(part)}"
    return str(cond)


def _parts(cond: Cond) -> list[Cond]:
    return list(cond.parts) if isinstance(cond, And) else [cond]


def _single_unit(result: Result) -> tuple[UnitIs, str] | None:
    """The one unit condition of a plain agency question, and the scope words of the other filters."""
    parts = _parts(result.query.where)
    units = [p for p in parts if isinstance(p, UnitIs)]
    others = [p for p in parts if not isinstance(p, UnitIs)]
    if len(units) != 1 or not all(isinstance(p, CategoryIs | NumberIn) for p in others):
        return None
    scope = ""
    for p in others:
        if isinstance(p, CategoryIs):
            scope += f"「{p.category}」类中"
        elif isinstance(p, NumberIn):
            scope += "其中" if p.previous else f"{nums(sorted(p.numbers))}中"
    return units[0], scope


def _unit_answer(unit_cond: UnitIs, scope: str, result: Result, notice: Notice) -> Reply:
    """Which tasks one unit leads, shares, assists or is named in: the exact set, with the rest for context."""
    unit = unit_cond.unit
    rows = list(result.rows)
    name = f"「{unit}」" if agency(unit).generic else unit
    base = select(_without_unit_roles(result.query.where, unit), notice)
    lead = [t for t in base if t.role_of(unit) is Role.LEAD]
    assist = [t for t in base if t.role_of(unit) is Role.ASSIST]
    roles = unit_cond.roles
    numbers = [t.number for t in rows]
    if roles == frozenset({Role.LEAD}):
        shared = [t for t in base if t.role_of(unit) not in (None, Role.LEAD)]
        head = (
            f"{scope}{name}牵头的任务共{len(rows)}项：{nums(numbers)}。"
            if rows
            else f"{scope}{name}没有牵头的任务。"
        )
        tail = (
            f"此外，{name}以非牵头身份参与{len(shared)}项：{nums([t.number for t in shared])}"
            f"（共参与{len(shared) + len(rows)}项）。"
            if shared
            else ""
        )
        text = "\n".join(p for p in (head, task_lines(rows), tail, LEAD_NOTE) if p)
        return Reply(text, tasks=tuple(numbers), cite=tuple(numbers))
    if roles == frozenset({Role.ASSIST}):
        if rows:
            text = (
                f"{scope}需要{name}配合（列在「会同」之后）的任务共{len(rows)}项：{nums(numbers)}。\n"
                + task_lines(rows)
            )
        else:
            every = [t.number for t in base if t.role_of(unit) is not None]
            text = f"{scope}没有把{name}列在「会同」之后作为配合单位的任务。" + (
                f"{name}共参与{len(every)}项：{nums(every)}。" if every else ""
            )
        return Reply(text, tasks=tuple(numbers), cite=tuple(numbers))
    if roles:
        word = _roles_word(roles)
        head = f"{scope}{name}作为{word}单位的任务共{len(rows)}项" + (
            f"：{nums(numbers)}。" if rows else "。"
        )
        return Reply(
            head + ("\n" + task_lines(rows, unit) if rows else ""), tasks=tuple(numbers), cite=tuple(numbers)
        )
    if not rows:
        return Reply(f"{scope}没有列{name}为责任单位的任务。")
    others = len(rows) - len(lead) - len(assist)
    counts = [
        f"牵头{len(lead)}项（{nums([t.number for t in lead])}）" if lead else "",
        f"共同负责{others}项" if others else "",
        f"配合{len(assist)}项（{nums([t.number for t in assist])}）" if assist else "",
    ]
    detail = ("其中" if lead else "均不是牵头单位：") + "，".join(c for c in counts if c)
    text = f"{scope}{name}共参与{len(rows)}项任务：{nums(numbers)}。{detail}。\n{task_lines(rows, unit)}"
    return Reply(text, tasks=tuple(numbers), cite=tuple(numbers))


def _without_unit_roles(cond: Cond, unit: str) -> Cond:
    """The condition with the unit's role requirement dropped (every row the unit is named in)."""
    if isinstance(cond, UnitIs) and cond.unit == unit:
        return UnitIs(unit)
    if isinstance(cond, And):
        return And(tuple(_without_unit_roles(p, unit) for p in cond.parts))
    return cond


def render_table(result: Result, notice: Notice) -> Reply:
    """The answer sentence(s) for an engine result, by its projection and aggregate."""
    q = result.query
    rows = list(result.rows)
    numbers = tuple(t.number for t in rows)
    agg = q.aggregate
    if agg is Aggregate.RANK_UNITS:
        return _rank_units(result, notice)
    if agg is Aggregate.COMPARE_UNITS:
        return _compare_units(result)
    if agg is Aggregate.RANK_CATEGORIES:
        if not result.top:
            return Reply("没有符合条件的任务。")
        word = "最少" if q.least else "最多"
        top_rows = [t.number for t in rows if t.category in result.top]
        listing = "、".join(f"「{c}」{n}项" for c, n in result.ranking)
        return Reply(
            f"任务{word}的一类是「{'」「'.join(result.top)}」，共{result.ranking[[c for c, _ in result.ranking].index(result.top[0])][1]}项"
            f"（{nums(top_rows)}）。\n各类任务数：{listing}。",
            tasks=tuple(top_rows),
        )
    if agg is Aggregate.RANK_ROWS:
        if not rows:
            return Reply("没有符合条件的任务。")
        word = "最少" if q.least else "最多"
        lines = "\n".join(f"· 第{t.number}项 {brief(t)}：{units_line(t)}" for t in rows)
        return Reply(
            f"责任单位{word}的是{nums(list(numbers))}，各列{len(rows[0].assignments)}个单位。\n{lines}",
            tasks=numbers,
            cite=numbers,
        )
    if agg is Aggregate.BY_CATEGORY:
        cat_lines = [
            f"{notice.categories.index(c) + 1}. {c}（{len(g)}项：{nums([t.number for t in g])}）"
            for c, g in result.groups
        ]
        if isinstance(q.where, Everything):
            head = f"附件「{notice.header.attachment_title}」的{len(notice.tasks)}项任务分为{len(notice.categories)}类："
            return Reply(head + "\n" + "\n".join(cat_lines))
        head = f"{describe(q.where)}的任务共{len(rows)}项，按类别："
        return Reply(head + "\n" + "\n".join(cat_lines), tasks=numbers, cite=numbers)
    if agg is Aggregate.BY_UNIT:
        parts = []
        for unit, g in result.groups:
            word = ROLE_LABELS[q.rank_role]
            g_nums = [t.number for t in g]
            parts.append(
                f"{unit}{word}的任务共{len(g)}项"
                + (f"：{nums(g_nums)}。\n{task_lines(g, unit)}" if g else "。")
            )
        all_nums = tuple(sorted({t.number for _, g in result.groups for t in g}))
        return Reply("\n\n".join(parts), tasks=all_nums, cite=all_nums)
    if agg is Aggregate.LIST_UNITS:
        lines = "、".join(f"{u}（{n}项）" for u, n in result.ranking)
        if q.rank_role is None:
            scope = "附件" if isinstance(q.where, Everything) else f"{describe(q.where)}的任务"
            return Reply(
                f"{scope}共列{len(result.units)}个责任单位：{lines}。",
                tasks=() if isinstance(q.where, Everything) else numbers,
            )
        return Reply(f"在附件中担任{ROLE_LABELS[q.rank_role]}单位的共{len(result.units)}个：{lines}。")
    if agg is Aggregate.UNITS_WITH_COUNT:
        word = ROLE_LABELS[q.rank_role]
        if not result.units:
            return Reply(f"没有恰好{word}{q.n}项任务的单位。")
        lines = "\n".join(
            f"· {u}：{nums([t.number for t in rows if t.role_of(u) is not None and (q.rank_role is None or t.role_of(u) is q.rank_role)])}"
            for u in result.units
        )
        return Reply(f"{word}{q.n}项任务的单位共{len(result.units)}个：{'、'.join(result.units)}。\n{lines}")
    if agg is Aggregate.COMPARE_ROWS and len(rows) >= 2:
        label = "和".join(f"第{t.number}项" for t in rows)
        shared = "、".join(result.shared) or "没有"
        own = [f"第{n}项另有{'、'.join(us)}" for n, us in result.extra.items() if us]
        if not own:
            head = f"{label}的责任单位相同，都是：{shared}。"
        else:
            head = f"{label}的责任单位不同。相同的有：{shared}；" + "；".join(own) + "。"
        lines = "\n".join(f"· 第{t.number}项：{units_line(t)}" for t in rows)
        return Reply(f"{head}\n{lines}", tasks=numbers, cite=numbers)
    if q.projection is not Projection.TASKS:
        return _per_row(result, notice)
    if isinstance(q.where, Everything):
        n = len(notice.tasks)
        cats = "、".join(f"「{c}」{len(notice.tasks_in(c))}项" for c in notice.categories)
        return Reply(
            f"附件「{notice.header.attachment_title}」共列{n}项任务（第1至{n}项），分{len(notice.categories)}类：{cats}。",
            tasks=tuple(range(1, n + 1)),
        )
    single = _single_unit(result)
    if single is not None:
        return _unit_answer(single[0], single[1], result, notice)
    where_parts = _parts(q.where)
    if len(where_parts) == 1 and isinstance(where_parts[0], CategoryIs):
        cat = where_parts[0].category
        idx = notice.categories.index(cat) + 1
        if len(rows) <= 2:
            body = "\n".join(f"· 第{t.number}项 {t.content}（{units_line(t)}）" for t in rows)
        else:
            body = task_lines(rows)
        return Reply(
            f"第{idx}类「{cat}」共{len(rows)}项任务：{nums(list(numbers))}。\n{body}",
            tasks=numbers,
            cite=numbers,
        )
    what = describe(q.where)
    if not rows:
        return Reply(f"没有符合条件（{what}）的任务。")
    lines = "\n".join(f"· 第{t.number}项 {brief(t)}：{units_line(t)}" for t in rows)
    return Reply(
        f"符合条件（{what}）的任务共{len(rows)}项：{nums(list(numbers))}。\n{lines}",
        tasks=numbers,
        cite=numbers,
    )


def _per_row(result: Result, notice: Notice) -> Reply:
    q = result.query
    rows = list(result.rows)
    numbers = tuple(t.number for t in rows)
    if not rows:
        return Reply(f"没有符合条件（{describe(q.where)}）的任务。")
    lines: list[str] = []
    proj = q.projection
    for t in rows:
        if proj is Projection.UNITS and q.exclude_roles:
            others = [a for a in t.assignments if a.role not in q.exclude_roles]
            left_out = "、".join(ROLE_LABELS[r] for r in q.exclude_roles)
            listed = "、".join(f"{a.unit}（{a.role.label}）" for a in others) or "没有其他单位"
            lines.append(f"第{t.number}项除{left_out}单位外，还有：{listed}。")
            lines.append(f"全部责任单位：{units_line(t)}。")
        elif proj is Projection.UNITS:
            lines.append(f"第{t.number}项的责任单位：{units_line(t)}。")
            if len(rows) <= 2:
                lines.append(f"内容：{t.content}")
        elif proj is Projection.UNIT_COUNT:
            lines.append(f"第{t.number}项的责任单位共{len(t.assignments)}个：{units_line(t)}。")
        elif proj is Projection.LEAD:
            lines.append(f"第{t.number}项由{t.lead}牵头。")
        elif proj is Projection.ASSISTS:
            helpers = [a.unit for a in t.assignments if a.role is Role.ASSIST]
            lines.append(
                f"第{t.number}项由{'、'.join(helpers)}配合（列在「会同」之后）。"
                if helpers
                else f"第{t.number}项没有列出配合单位（无「会同」）。"
            )
        elif proj is Projection.PARTNERS:
            others = [a for a in t.assignments if a.unit not in q.focus]
            listed = "、".join(f"{a.unit}（{a.role.label}）" for a in others) or "没有其他单位"
            lines.append(f"第{t.number}项 {brief(t)}：除{'、'.join(q.focus)}外，还有{listed}。")
        elif proj is Projection.ROLE:
            for unit in q.focus:
                role = t.role_of(unit)
                if role:
                    lines.append(f"有。{unit}参与第{t.number}项，为{role.label}单位。")
                else:
                    lines.append(f"没有。{unit}未被列为第{t.number}项的责任单位。")
            lines.append(f"第{t.number}项的全部责任单位：{units_line(t)}。")
        elif proj is Projection.CATEGORY:
            lines.append(f"第{t.number}项属于「{t.category}」。")
            if len(rows) == 1:
                lines.append(f"内容：{t.content}")
        elif proj is Projection.CONTENT:
            lines.append(f"第{t.number}项（{t.category}）：{t.content}")
            lines.append(f"责任单位：{units_line(t)}。")
    if proj is Projection.LEAD:
        lines.append(LEAD_NOTE)
    if proj is Projection.ROLE and len(rows) > 1 and q.focus:
        # 这几项里市教育局都有参与吗: say whether it holds for all of them.
        for unit in q.focus:
            named = [t.number for t in rows if t.role_of(unit) is not None]
            if len(named) == len(rows):
                lines.insert(0, f"是的，这{len(rows)}项{unit}都有参与。")
            elif not named:
                lines.insert(0, f"不是，这{len(rows)}项都没有{unit}。")
            else:
                lines.insert(0, f"不都是：{unit}参与其中{len(named)}项（{nums(named)}）。")
    if len(rows) > 1 and proj is not Projection.CONTENT:
        lines.insert(0, f"（{describe(q.where)}的任务共{len(rows)}项：{nums(list(numbers))}。）")
    return Reply("\n".join(lines), tasks=numbers, cite=numbers)


def _rank_units(result: Result, notice: Notice) -> Reply:
    q = result.query
    word = ROLE_LABELS[q.rank_role]
    if not result.top:
        return Reply("没有符合条件的单位。")
    scope = "" if isinstance(q.where, Everything) else f"在{describe(q.where)}的任务中，"
    if q.exclude:
        scope += f"除{'、'.join(q.exclude)}外，"
    best = dict(result.ranking)[result.top[0]]
    if q.least:
        head = f"{scope}{word}任务最少的单位（{best}项）：{'、'.join(result.top)}。"
    else:
        head = f"{scope}{word}任务最多的是{'、'.join(result.top)}，共{best}项。"
    lines = "、".join(f"{u}{c}项" for u, c in result.ranking if c)
    counts = unit_counts(result.rows, q.rank_role)
    generic = [u for u in notice.units if agency(u).generic and counts.get(u)]
    note = f"（不含泛指的{'、'.join(generic)}。）" if generic else ""
    tasks: tuple[int, ...] = ()
    if len(result.top) == 1:
        only = result.top[0]
        tasks = tuple(
            t.number
            for t in result.rows
            if t.role_of(only) is not None and (q.rank_role is None or t.role_of(only) is q.rank_role)
        )
    return Reply(f"{head}\n各单位{word}任务数：{lines}。{note}", tasks=tasks)


def _compare_units(result: Result) -> Reply:
    q = result.query
    word = ROLE_LABELS[q.rank_role]
    ranked = list(result.ranking)
    if not ranked:
        return Reply("没有符合条件的单位。")

    def tasks_of(u: str) -> list[int]:
        return [
            t.number
            for t in result.rows
            if t.role_of(u) is not None and (q.rank_role is None or t.role_of(u) is q.rank_role)
        ]

    detail = "；".join(f"{u}{word}{n}项（{nums(tasks_of(u))}）" if n else f"{u}{word}0项" for u, n in ranked)
    if q.least:
        low = [u for u, n in ranked if n == ranked[-1][1]]
        head = (
            f"{'、'.join(low)}{word}的任务较少。" if len(low) < len(ranked) else f"它们{word}的任务一样多。"
        )
    else:
        head = (
            f"{'、'.join(result.top)}{word}的任务更多。"
            if len(result.top) < len(ranked)
            else f"它们{word}的任务一样多。"
        )
    return Reply(f"{head}\n{detail}。")
