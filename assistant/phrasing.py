"""Every sentence the assistant writes, in one place: labels, numerals, source names, answer templates.

The UI uses the same labels (``source_label``, ``ROLE_LABELS``), so a citation reads the same everywhere.
"""

from __future__ import annotations

from corpus.records import Notice, Role, Task

HELP = "请就六政办秘〔2018〕123号通知提问，例如：「哪些任务由市人社局牵头？」「第12项由谁负责？」「产教融合资金从哪来？」"
TOO_LONG = "问题太长了（超过{limit}个字），请精简到一句话再问。"
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
    if source.startswith("task-"):
        n = int(source.split("-")[1])
        category = f"，{notice.tasks[n - 1].category}" if notice and notice.task(n) else ""
        return f"附件第{n}项{category}"
    if source.startswith("clause-"):
        n = int(source.split("-")[1])
        heading = f"「{notice.clauses[n - 1].heading}」" if notice and notice.clause(n) else ""
        return f"通知第{numeral(n)}条{heading}"
    if source == "preamble":
        return "通知开头"
    return "通知文头"
