"""Answers computed from the parsed task table: exact, complete sets, never a retrieval sample."""

from __future__ import annotations

import re
from collections import Counter

from assistant.answer import Citation, Reply
from assistant.understand import Ask, Combine, Query
from corpus.agencies import agency
from corpus.records import Notice, Role, Task

LEAD_NOTE = "（按任务分工表惯例，责任单位中排在首位的为牵头单位。）"
_ROLE_WORD = {Role.LEAD: "牵头", Role.CO: "共同负责", Role.ASSIST: "配合"}


def task_citation(task: Task) -> Citation:
    return Citation(task.source, task.row_text)


def nums(numbers: list[int] | tuple[int, ...]) -> str:
    """第2、3、4项 — runs of three or more collapse: 第13至18项."""
    ns = sorted(numbers)
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


def task_lines(tasks: list[Task], unit: str | None = None) -> str:
    lines = []
    for t in tasks:
        role = f"（{t.role_of(unit).label}）" if unit and t.role_of(unit) else ""  # type: ignore[union-attr]
        lines.append(f"· 第{t.number}项 {brief(t)}{role}")
    return "\n".join(lines)


def tasks_of(notice: Notice, unit: str, role: Role | None = None) -> list[Task]:
    return [t for t in notice.tasks if (r := t.role_of(unit)) is not None and (role is None or r is role)]


def _full(unit: str) -> str:
    a = agency(unit)
    return f"{unit}（{a.full_name}）" if a.full_name not in (unit, unit.replace("（管委）", "")) else unit


# --- task rows -----------------------------------------------------------------------------------------------


def answer_task_numbers(q: Query, notice: Notice) -> Reply:
    total = len(notice.tasks)
    bad = [n for n in q.tasks if notice.task(n) is None]
    good = [notice.task(n) for n in q.tasks if notice.task(n) is not None]
    if bad and not good:
        return Reply(
            f"附件共列{total}项任务（第1至{total}项），没有{nums(bad)}。",
            refused=True,
        )
    lines: list[str] = []
    for t in good:
        assert t is not None
        if q.agencies and Ask.CATEGORY not in q.asks:
            # 第8项市人社局是牵头还是配合: the named unit's role in that row comes first.
            for unit in q.agencies:
                role = t.role_of(unit)
                lines.append(
                    f"{unit}在第{t.number}项中{'为' + role.label + '单位' if role else '未被列为责任单位'}。"
                )
            lines.append(f"第{t.number}项的全部责任单位：{units_line(t)}。")
            lines.append(f"内容：{t.content}")
        elif Ask.CATEGORY in q.asks and Ask.UNITS not in q.asks and Ask.LEAD not in q.asks:
            lines.append(f"第{t.number}项属于「{t.category}」。")
            lines.append(f"内容：{t.content}")
        elif Ask.LEAD in q.asks or (q.role is Role.LEAD and Ask.CONTENT not in q.asks):
            lines.append(f"第{t.number}项由{t.lead}牵头。{LEAD_NOTE}")
            lines.append(f"全部责任单位：{units_line(t)}。")
        elif q.role is Role.ASSIST:
            helpers = [a.unit for a in t.assignments if a.role is Role.ASSIST]
            if helpers:
                lines.append(f"第{t.number}项由{'、'.join(helpers)}配合（列在「会同」之后）。")
            else:
                lines.append(f"第{t.number}项没有列出配合单位（无「会同」）。")
            lines.append(f"全部责任单位：{units_line(t)}。")
        elif Ask.UNITS in q.asks or Ask.LIST_UNITS in q.asks:
            count = f"共{len(t.assignments)}个" if Ask.COUNT in q.asks or Ask.LIST_UNITS in q.asks else ""
            lines.append(f"第{t.number}项的责任单位{count}：{units_line(t)}。")
            lines.append(f"内容：{t.content}")
        else:
            lines.append(f"第{t.number}项（{t.category}）：{t.content}")
            lines.append(f"责任单位：{units_line(t)}。")
    if bad:
        lines.append(f"附件共{total}项任务，没有{nums(bad)}。")
    numbers = tuple(t.number for t in good if t is not None)
    return Reply("\n".join(lines), tasks=numbers, cite=numbers)


# --- agencies -----------------------------------------------------------------------------------------------


def _restrict(q: Query, notice: Notice, tasks: list[Task]) -> list[Task]:
    if q.categories:
        tasks = [t for t in tasks if t.category in q.categories]
    if q.within:
        tasks = [t for t in tasks if t.number in q.within]
    return tasks


def answer_agencies(q: Query, notice: Notice) -> Reply:
    """Which tasks an agency (or several) leads, shares, assists or is named in: the exact set."""
    units = list(q.agencies)
    scope = f"「{'」「'.join(q.categories)}」类中" if q.categories else ""
    if Ask.NEGATE in q.asks and len(units) == 1:
        unit = units[0]
        named = {t.number for t in tasks_of(notice, unit, q.role)}
        rest = [t for t in _restrict(q, notice, list(notice.tasks)) if t.number not in named]
        what = f"{_ROLE_WORD[q.role]}" if q.role else "列为责任单位"
        if not rest:
            return Reply(f"{scope}每一项任务都有{unit}{what}。", tasks=())
        text = (
            f"{scope}{unit}未{what}的任务共{len(rest)}项：{nums([t.number for t in rest])}。\n"
            + task_lines(rest)
        )
        return Reply(text, tasks=tuple(t.number for t in rest), cite=tuple(t.number for t in rest))

    if len(units) > 1 and q.combine is not Combine.EACH:
        sets = [{t.number for t in _restrict(q, notice, tasks_of(notice, u, q.role))} for u in units]
        chosen = set.intersection(*sets) if q.combine is Combine.ALL else set.union(*sets)
        joined = "、".join(units)
        rel = "同时" if q.combine is Combine.ALL else "任一单位"
        role = _ROLE_WORD[q.role] if q.role else "列为责任单位"
        per_unit = "；".join(f"{u}{len(s)}项" for u, s in zip(units, sets, strict=True))
        picked = sorted(chosen)
        if not picked:
            text = f"{scope}没有{joined}{rel}{role}的任务（{per_unit}）。"
            return Reply(text)
        head = f"{scope}{joined}{rel}{role}的任务共{len(picked)}项：{nums(picked)}。"
        rows = [notice.tasks[n - 1] for n in picked]
        lines = [f"· 第{t.number}项 {brief(t)}：{units_line(t)}" for t in rows]
        return Reply(
            f"{head}\n" + "\n".join(lines) + f"\n（各单位合计：{per_unit}。）",
            tasks=tuple(picked),
            cite=tuple(picked),
        )

    parts: list[str] = []
    all_tasks: list[int] = []
    cite: list[int] = []
    for unit in units:
        text, given, cited = _one_agency(q, notice, unit, scope)
        parts.append(text)
        all_tasks.extend(given)
        cite.extend(cited)
    return Reply("\n\n".join(parts), tasks=tuple(sorted(set(all_tasks))), cite=tuple(dict.fromkeys(cite)))


def _one_agency(q: Query, notice: Notice, unit: str, scope: str) -> tuple[str, list[int], list[int]]:
    involved = _restrict(q, notice, tasks_of(notice, unit))
    lead = [t for t in involved if t.role_of(unit) is Role.LEAD]
    assist = [t for t in involved if t.role_of(unit) is Role.ASSIST]
    generic = agency(unit).generic
    name = unit if not generic else f"「{unit}」"

    if q.role is Role.LEAD:
        shared = [t for t in involved if t.role_of(unit) is not Role.LEAD]
        if lead:
            head = f"{scope}{name}牵头的任务共{len(lead)}项：{nums([t.number for t in lead])}。"
            body = task_lines(lead)
        else:
            head = f"{scope}{name}没有牵头的任务。"
            body = ""
        tail = ""
        if shared:
            tail = f"此外，{name}以非牵头身份参与{len(shared)}项：{nums([t.number for t in shared])}。"
        text = "\n".join(p for p in (head, body, tail, LEAD_NOTE) if p)
        return text, [t.number for t in lead], [t.number for t in lead]

    if q.role is Role.ASSIST:
        if assist:
            head = f"{scope}需要{name}配合（列在「会同」之后）的任务共{len(assist)}项：{nums([t.number for t in assist])}。"
            text = head + "\n" + task_lines(assist)
        else:
            head = f"{scope}没有把{name}列在「会同」之后作为配合单位的任务。"
            text = head + (
                f"{name}共参与{len(involved)}项：{nums([t.number for t in involved])}。" if involved else ""
            )
        return text, [t.number for t in assist], [t.number for t in assist]

    if q.role is Role.CO:
        co = [t for t in involved if t.role_of(unit) is Role.CO]
        head = f"{scope}{name}作为共同负责单位（非牵头、非配合）的任务共{len(co)}项" + (
            f"：{nums([t.number for t in co])}。" if co else "。"
        )
        return (
            head + ("\n" + task_lines(co, unit) if co else ""),
            [t.number for t in co],
            [t.number for t in co],
        )

    if not involved:
        return f"{scope}没有列{name}为责任单位的任务。", [], []
    numbers = [t.number for t in involved]
    head = f"{scope}{name}共参与{len(involved)}项任务：{nums(numbers)}。"
    others = len(involved) - len(lead) - len(assist)
    counts = [
        f"牵头{len(lead)}项（{nums([t.number for t in lead])}）" if lead else "",
        f"共同负责{others}项" if others else "",
        f"配合{len(assist)}项（{nums([t.number for t in assist])}）" if assist else "",
    ]
    detail = ("其中" if lead else "均不是牵头单位：") + "，".join(c for c in counts if c)
    text = f"{head}{detail}。\n{task_lines(involved, unit)}"
    return text, numbers, numbers


def answer_unknown_agency(q: Query, notice: Notice) -> Reply:
    names = "、".join(q.unknown_agencies)
    listed = "、".join(notice.units)
    return Reply(
        f"{names}不在本通知附件的责任单位中，通知没有给它分配任务。\n表中的责任单位有：{listed}。",
        refused=True,
    )


def answer_counties(q: Query, notice: Notice) -> Reply:
    """A named county or district: the table assigns tasks to 各县区政府（管委） as a whole."""
    unit = "各县区政府（管委）"
    sub = Query(text=q.text, agencies=(unit,), role=q.role, categories=q.categories, asks=q.asks)
    r = answer_agencies(sub, notice)
    names = "、".join(q.counties)
    note = f"通知没有按县区分别列任务；{names}属于「各县区政府（管委）」，以下是各县区政府（管委）的任务。\n"
    return Reply(note + r.text, tasks=r.tasks, cite=r.cite)


# --- categories, counts, rankings ----------------------------------------------------------------------------


def answer_categories(q: Query, notice: Notice) -> Reply:
    parts: list[str] = []
    numbers: list[int] = []
    for cat in q.categories:
        rows = [t for t in notice.tasks_in(cat) if not q.within or t.number in q.within]
        idx = notice.categories.index(cat) + 1
        if Ask.LIST_UNITS in q.asks or (Ask.UNITS in q.asks and not q.about_tasks):
            units = list(dict.fromkeys(u for t in rows for u in t.units))
            parts.append(
                f"第{idx}类「{cat}」（{nums([t.number for t in rows])}）涉及{len(units)}个责任单位：{'、'.join(units)}。"
            )
        elif Ask.CONTENT in q.asks or len(rows) <= 2:
            body = "\n".join(f"· 第{t.number}项 {t.content}（{units_line(t)}）" for t in rows)
            parts.append(f"第{idx}类「{cat}」共{len(rows)}项任务：{nums([t.number for t in rows])}。\n{body}")
        else:
            parts.append(
                f"第{idx}类「{cat}」共{len(rows)}项任务：{nums([t.number for t in rows])}。\n"
                + task_lines(rows)
            )
        numbers.extend(t.number for t in rows)
    return Reply("\n\n".join(parts), tasks=tuple(numbers), cite=tuple(numbers))


def answer_category_list(notice: Notice) -> Reply:
    lines = [
        f"{i}. {cat}（{len(notice.tasks_in(cat))}项：{nums([t.number for t in notice.tasks_in(cat)])}）"
        for i, cat in enumerate(notice.categories, 1)
    ]
    head = (
        f"附件「{notice.header.attachment_title}」的{len(notice.tasks)}项任务分为{len(notice.categories)}类："
    )
    return Reply(head + "\n" + "\n".join(lines))


def answer_total(notice: Notice) -> Reply:
    n = len(notice.tasks)
    cats = "、".join(f"「{c}」{len(notice.tasks_in(c))}项" for c in notice.categories)
    text = f"附件「{notice.header.attachment_title}」共列{n}项任务（第1至{n}项），分{len(notice.categories)}类：{cats}。"
    return Reply(text, tasks=tuple(range(1, n + 1)))


def match_task(q: Query, notice: Notice) -> Task | None:
    """The one task row whose content the question's topic names (产教融合发展工程 → 第20项), or None."""
    from assistant.understand import topic_bigrams

    grams = topic_bigrams(q.topic)
    if len(grams) < 3:
        return None
    scored = []
    for t in notice.tasks:
        hits = sum(g in t.content for g in grams)
        scored.append((hits, -t.number, t))
    scored.sort(key=lambda x: (x[0], x[1]), reverse=True)
    best_hits, _, best = scored[0]
    second = scored[1][0]
    if best_hits >= 3 and best_hits / len(grams) >= 0.5 and best_hits > second:
        return best
    return None


def answer_alone(q: Query, notice: Notice) -> Reply:
    """Tasks an agency carries alone: every other unit listed only assists (after 会同)."""
    parts: list[str] = []
    numbers: list[int] = []
    for unit in q.agencies:
        rows = [
            t
            for t in _restrict(q, notice, tasks_of(notice, unit))
            if all(a.unit == unit or a.role is Role.ASSIST for a in t.assignments)
        ]
        numbers.extend(t.number for t in rows)
        if rows:
            parts.append(
                f"{unit}单独负责（其余单位仅为「会同」后的配合单位）的任务共{len(rows)}项："
                f"{nums([t.number for t in rows])}。\n" + task_lines(rows)
            )
        else:
            parts.append(f"没有由{unit}单独负责的任务：它参与的每项任务都有其他共同负责单位。")
    return Reply("\n\n".join(parts), tasks=tuple(numbers), cite=tuple(numbers))


def answer_tasks_by_unit_count(q: Query, notice: Notice) -> Reply:
    """Tasks listing exactly N units (只有一个责任单位的任务)."""
    n = q.unit_count or 0
    rows = [t for t in _restrict(q, notice, list(notice.tasks)) if len(t.assignments) == n]
    sizes = Counter(len(t.assignments) for t in notice.tasks)
    spread = "、".join(f"{k}个单位{v}项" for k, v in sorted(sizes.items()))
    if not rows:
        return Reply(f"没有只列{n}个责任单位的任务（各任务的责任单位数：{spread}）。")
    text = f"列{n}个责任单位的任务共{len(rows)}项：{nums([t.number for t in rows])}。\n" + "\n".join(
        f"· 第{t.number}项 {brief(t)}：{units_line(t)}" for t in rows
    )
    return Reply(text, tasks=tuple(t.number for t in rows), cite=tuple(t.number for t in rows))


def answer_units_with_count(q: Query, notice: Notice) -> Reply:
    """Units named in exactly N tasks (只负责了1项的单位)."""
    n = q.exactly or 0
    counts = Counter(
        a.unit for t in notice.tasks for a in t.assignments if q.role is None or a.role is q.role
    )
    matching = [u for u in notice.units if counts.get(u, 0) == n]
    word = _ROLE_WORD[q.role] if q.role else "参与"
    if not matching:
        return Reply(f"没有恰好{word}{n}项任务的单位。")
    lines = "\n".join(f"· {u}：{nums([t.number for t in tasks_of(notice, u, q.role)])}" for u in matching)
    return Reply(f"{word}{n}项任务的单位共{len(matching)}个：{'、'.join(matching)}。\n{lines}")


def answer_units_list(q: Query, notice: Notice) -> Reply:
    """Every unit of the table (or every unit in a role: 牵头单位有哪些), with its number of tasks."""
    counts = Counter(
        a.unit for t in notice.tasks for a in t.assignments if q.role is None or a.role is q.role
    )
    units = [u for u in notice.units if counts.get(u)]
    lines = "、".join(f"{u}（{counts[u]}项）" for u in units)
    if q.role is None:
        return Reply(f"附件共列{len(units)}个责任单位：{lines}。")
    word = _ROLE_WORD[q.role]
    return Reply(f"在附件中担任{word}单位的共{len(units)}个：{lines}。")


def answer_comparison(q: Query, notice: Notice) -> Reply:
    """市教育局和市人社局谁负责的任务多: each one's count, and which is larger."""
    counts = {u: len(tasks_of(notice, u, q.role)) for u in q.agencies}
    word = _ROLE_WORD[q.role] if q.role else "参与"
    ranked = sorted(counts.items(), key=lambda kv: -kv[1])
    detail = "；".join(
        f"{u}{word}{n}项（{nums([t.number for t in tasks_of(notice, u, q.role)])}）" if n else f"{u}{word}0项"
        for u, n in ranked
    )
    top = [u for u, n in ranked if n == ranked[0][1]]
    want_least = Ask.LEAST in q.asks or re.search(r"谁.{0,6}少|哪个.{0,6}少", q.text)
    if want_least:
        low = [u for u, n in ranked if n == ranked[-1][1]]
        head = (
            f"{'、'.join(low)}{word}的任务较少。" if len(low) < len(ranked) else f"它们{word}的任务一样多。"
        )
    else:
        head = (
            f"{'、'.join(top)}{word}的任务更多。" if len(top) < len(ranked) else f"它们{word}的任务一样多。"
        )
    return Reply(f"{head}\n{detail}。")


def answer_ranking(q: Query, notice: Notice) -> Reply:
    """Which unit leads / is named in the most (or fewest) tasks; which task names the most units."""
    if (
        q.about_tasks
        and Ask.LIST_UNITS not in q.asks
        and (q.about_units or "单位" in q.text or "部门" in q.text)
        and re.search(r"(哪项|哪个任务|哪一项|哪条)", q.text)
    ):
        sizes = {t.number: len(t.assignments) for t in notice.tasks}
        size = max(sizes.values()) if Ask.MOST in q.asks else min(sizes.values())
        widest = [n for n, s in sizes.items() if s == size]
        word = "最多" if Ask.MOST in q.asks else "最少"
        rows = [notice.tasks[n - 1] for n in widest]
        lines = "\n".join(f"· 第{t.number}项 {brief(t)}：{units_line(t)}" for t in rows)
        return Reply(
            f"责任单位{word}的是{nums(widest)}，各列{size}个单位。\n{lines}",
            tasks=tuple(widest),
            cite=tuple(widest),
        )

    if re.search(r"(哪一?类|哪个类|哪个方面|哪方面|类别)", q.text) and not q.agencies:
        cat_sizes = {c: len(notice.tasks_in(c)) for c in notice.categories}
        most = max(cat_sizes.values()) if Ask.MOST in q.asks else min(cat_sizes.values())
        top_cats = [c for c, n in cat_sizes.items() if n == most]
        word = "最多" if Ask.MOST in q.asks else "最少"
        numbers = [t.number for c in top_cats for t in notice.tasks_in(c)]
        listing = "、".join(f"「{c}」{n}项" for c, n in cat_sizes.items())
        return Reply(
            f"任务{word}的一类是「{'」「'.join(top_cats)}」，共{most}项（{nums(numbers)}）。\n各类任务数：{listing}。",
            tasks=tuple(numbers),
        )
    role = q.role
    counts = Counter(
        a.unit
        for t in _restrict(q, notice, list(notice.tasks))
        for a in t.assignments
        if role is None or a.role is role
    )
    named = [u for u in notice.units if not agency(u).generic and u not in q.excluded]
    if role is not None:
        pool = {u: counts.get(u, 0) for u in named}
    else:
        pool = {u: counts[u] for u in named if counts[u]}
    if not pool:
        return Reply("没有符合条件的单位。")
    word = {Role.LEAD: "牵头", Role.ASSIST: "配合", Role.CO: "共同负责", None: "参与"}[role]
    scope = f"「{'」「'.join(q.categories)}」类中，" if q.categories else ""
    if q.excluded:
        scope += f"除{'、'.join(q.excluded)}外，"
    if Ask.LEAST in q.asks:
        positive = {u: c for u, c in pool.items() if c > 0}
        best = min(positive.values())
        picked = [u for u, c in positive.items() if c == best]
        head = f"{scope}{word}任务最少的单位（{best}项）：{'、'.join(picked)}。"
    else:
        best = max(pool.values())
        picked = [u for u, c in pool.items() if c == best]
        head = f"{scope}{word}任务最多的是{'、'.join(picked)}，共{best}项。"
    ranking = sorted(pool.items(), key=lambda kv: (-kv[1], notice.units.index(kv[0])))
    lines = "、".join(f"{u}{c}项" for u, c in ranking if c)
    generic = [u for u in notice.units if agency(u).generic and counts.get(u)]
    note = f"（不含泛指的{'、'.join(generic)}。）" if generic else ""
    only = picked[0] if len(picked) == 1 else None
    tasks: tuple[int, ...] = ()
    if only:
        tasks = tuple(t.number for t in _restrict(q, notice, tasks_of(notice, only, role)))
    return Reply(f"{head}\n各单位{word}任务数：{lines}。{note}", tasks=tasks, cite=())
