"""Turn an Answer or the notice into HTML strings for the UI: pure functions, every text escaped.

The chat renders markdown, so each fragment here is a single line of HTML (a markdown HTML block
ends at a blank line, and nothing inside it is read as markdown). Classes carry the styling
(``ui.app`` ships the CSS); roles are also spelled out in text so colour is never the only cue.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable, Sequence

from assistant.answer import Answer, Citation
from corpus.agencies import AGENCIES
from corpus.records import Notice, Role, Source, SourceError, Task

ROLE_CLASS = {Role.LEAD: "nq-lead", Role.CO: "nq-co", Role.ASSIST: "nq-assist"}
ROLE_MARK = {Role.LEAD: "牵", Role.CO: "共", Role.ASSIST: "配"}
_CN_NUMERALS = "零一二三四五六七八九十"
PENDING_TEXT = "正在查找答案…"
LIST_SHOWN = 5  # lines of a long list shown before the rest is folded
SOURCES_SHOWN = 3  # cited task rows shown open; more are folded


def escape(text: str) -> str:
    """HTML-escape user or notice text (quotes too, so it is safe inside attributes)."""
    return html.escape(text, quote=True)


def render_question(question: str) -> str:
    """A user's question as chat content: shown as typed, never interpreted as HTML or markdown."""
    return f'<div class="nq-question">{_lines(question)}</div>'


def render_pending() -> str:
    """The bubble shown at once while an answer is on its way."""
    return (
        '<div class="nq-pending" role="status"><span class="nq-spinner" aria-hidden="true"></span>'
        f"{escape(PENDING_TEXT)}</div>"
    )


def is_pending(content: object) -> bool:
    """True for the pending bubble, as ``render_pending`` made it or as the chat hands it back (a list of
    ``{"type": "text", "text": ...}`` parts)."""
    if isinstance(content, list):
        content = "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return isinstance(content, str) and content.startswith('<div class="nq-pending"')


def render_answer(answer: Answer, notice: Notice) -> str:
    """The direct answer first, then its sources: cited task rows as a table, quoted clause text.

    A long list in the answer shows its first ``LIST_SHOWN`` lines and folds the rest; a source table of
    more than ``SOURCES_SHOWN`` rows is folded (both open on a tap), so a long answer starts readable.
    """
    lines = answer.answer.strip().split("\n")
    direct, rest = lines[0], [_whole_bullet(ln, notice) for ln in lines[1:] if ln.strip()]
    parts = [f'<div class="nq-answer"><p class="nq-direct">{escape(direct)}</p>']
    if len(rest) > LIST_SHOWN + 1:
        shown, folded = rest[:LIST_SHOWN], rest[LIST_SHOWN:]
        parts.append(f'<p class="nq-more">{"<br>".join(escape(ln) for ln in shown)}</p>')
        parts.append(
            f'<details class="nq-fold nq-more-fold"><summary>其余{len(folded)}条（点开查看）</summary>'
            f'<p class="nq-more">{"<br>".join(escape(ln) for ln in folded)}</p></details>'
        )
    elif rest:
        parts.append(f'<p class="nq-more">{"<br>".join(escape(ln) for ln in rest)}</p>')
    parts.append("</div>")
    sources = render_sources(answer.citations, notice, highlight=answer.units)
    if sources:
        parts.append(sources)
    return "".join(parts)


def render_sources(citations: Sequence[Citation], notice: Notice, highlight: Iterable[str] = ()) -> str:
    """The 依据 block: one table for the cited task rows, then each quoted passage; empty if none."""
    tasks: list[Task] = []
    quotes: list[str] = []
    for citation in citations:
        task = _cited_task(citation, notice)
        if task is not None:
            if task not in tasks:
                tasks.append(task)
        else:
            quotes.append(
                f'<blockquote class="nq-quote"><span class="nq-quote-src">'
                f"{escape(_quote_label(citation, notice))}</span><br>{_lines(citation.text)}</blockquote>"
            )
    if not tasks and not quotes:
        return ""
    body = render_task_table(tasks, highlight=highlight) if tasks else ""
    if len(tasks) > SOURCES_SHOWN:
        body = (
            f'<details class="nq-fold nq-sources-fold"><summary>任务分工表{len(tasks)}项（点开查看）</summary>'
            f"{body}</details>"
        )
    return f'<div class="nq-sources"><p class="nq-sources-title">依据</p>{body}{"".join(quotes)}</div>'


def _quote_label(citation: Citation, notice: Notice) -> str:
    """``source_label``, without the clause heading when the quoted text starts with it anyway."""
    label = source_label(citation, notice)
    number, _, heading = label.partition(" ")
    if heading and citation.text.lstrip().partition("、")[2].startswith(heading):
        return number
    return label


def source_label(citation: Citation, notice: Notice) -> str:
    """A reader's name for a citation source: 第三条 切实加大政策扶持, 通知导语, 文件头, 第12项."""
    try:
        source = Source.parse(citation.source)
    except SourceError:  # not one of ours (a peer's chunk-N): shown as it is
        return citation.source
    n = source.number
    if source.kind == "clause":
        clause = notice.clause(n)
        numeral = _CN_NUMERALS[n] if n < len(_CN_NUMERALS) else str(n)
        return f"第{numeral}条 {clause.heading}" if clause else f"第{numeral}条"
    if source.kind == "task":
        return f"任务分工表第{n}项"
    return "通知导语" if source.kind == "preamble" else "文件头"


def render_task_table(tasks: Sequence[Task], highlight: Iterable[str] = (), caption: str = "") -> str:
    """Task rows as the notice's table (序号, 工作任务, 主要内容, 责任单位), named units marked."""
    units = set(highlight)
    head = "<tr><th>序号</th><th>工作任务</th><th>主要内容</th><th>责任单位</th></tr>"
    # Each cell's class names its column, which a narrow screen shows as a card's labels (ui.page's CSS).
    rows = "".join(
        f'<tr class="nq-row nq-row-{t.number}"><td class="nq-num">{t.number}</td>'
        f'<td class="nq-cat">{escape(t.category)}</td>'
        f'<td class="nq-content">{escape(t.content)}</td>'
        f'<td class="nq-units">{_units_cell(t, units)}</td></tr>'
        for t in tasks
    )
    cap = f"<caption>{escape(caption)}</caption>" if caption else ""
    return f'<table class="nq-tasks">{cap}<thead>{head}</thead><tbody>{rows}</tbody></table>'


def render_header(notice: Notice) -> str:
    """The notice's header facts as a definition list."""
    h = notice.header
    facts = (
        ("发文机关", h.issuer),
        ("文号", h.doc_number),
        ("标题", h.title),
        ("主送", h.addressees),
        ("贯彻文件", h.implements),
        ("附件", h.attachment_title),
        ("抄送", h.cc),
    )
    items = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in facts)
    return f'<dl class="nq-header">{items}</dl>'


def render_clauses(notice: Notice) -> str:
    """The preamble and the three clauses, verbatim."""
    parts = [f'<section class="nq-clause"><h4>通知导语</h4><p>{_lines(notice.preamble.text)}</p></section>']
    for clause in notice.clauses:
        label = _quote_label(Citation(clause.source, clause.text), notice)
        parts.append(
            f'<section class="nq-clause"><h4>{escape(label)}</h4><p>{_lines(clause.text)}</p></section>'
        )
    return "".join(parts)


def filter_rows(notice: Notice, agency: str | None = None, category: str | None = None) -> tuple[Task, ...]:
    """Tasks naming ``agency`` (any role) and in ``category``; None or "" means no filter."""
    return tuple(
        t
        for t in notice.tasks
        if (not agency or agency in t.units) and (not category or t.category == category)
    )


def matrix_rows(notice: Notice) -> list[tuple[str, int]]:
    """(unit, number of tasks) for every unit of the table, most tasks first, then table order."""
    order = {u: i for i, u in enumerate(notice.units)}
    counts = {u: sum(1 for t in notice.tasks if u in t.units) for u in notice.units}
    return sorted(counts.items(), key=lambda item: (-item[1], order[item[0]]))


def render_matrix(notice: Notice) -> str:
    """Units × tasks as a colour-coded grid with a legend; each cell also names the role (牵/共/配)."""
    full_names = {a.name: a.full_name for a in AGENCIES}
    legend = "".join(
        f'<span class="nq-legend-item"><span class="nq-cell {ROLE_CLASS[r]}">{ROLE_MARK[r]}</span>'
        f"{escape(r.label)}</span>"
        for r in Role
    )
    # title for a mouse; tabindex and data-detail so a tap or the keyboard shows the same (ui.page's script).
    head = "".join(
        f'<th class="nq-col" tabindex="0" title="{escape(t.category)}：{escape(t.content)}" '
        f'data-detail="第{t.number}项 {escape(t.category)}：{escape(t.content)}">{t.number}</th>'
        for t in notice.tasks
    )
    body = []
    for unit, count in matrix_rows(notice):
        cells = []
        for t in notice.tasks:
            role = t.role_of(unit)
            if role is None:
                cells.append('<td class="nq-cell nq-none"></td>')
            else:
                detail = f"{unit}：第{t.number}项 {role.label}（{t.content}）"
                cells.append(
                    f'<td class="nq-cell {ROLE_CLASS[role]}" tabindex="0" title="第{t.number}项 {escape(role.label)}" '
                    f'data-detail="{escape(detail)}">{ROLE_MARK[role]}</td>'
                )
        title = escape(full_names.get(unit, unit))
        body.append(
            f'<tr data-unit="{escape(unit)}"><th class="nq-unit" title="{title}">{escape(unit)}</th>'
            f'<td class="nq-count">{count}</td>{"".join(cells)}</tr>'
        )
    return (
        f'<div class="nq-matrix"><p class="nq-legend">{legend}</p>'
        '<p class="nq-matrix-detail" aria-live="polite">点按或用Tab键选中格子查看任务</p>'
        f'<table class="nq-grid"><thead><tr><th class="nq-unit">责任单位</th><th class="nq-count">项数</th>'
        f"{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )


_CUT_BULLET = re.compile(r"^(·\s*第(\d+)项\s+)(.+?)…(.*)$")


def _whole_bullet(line: str, notice: Notice) -> str:
    """A list line that cut a task's content short (「· 第15项 支持市内相关高校…（牵头）」) with the whole content,
    taken verbatim from the notice; any other line as it is."""
    m = _CUT_BULLET.match(line.strip())
    task = notice.task(int(m[2])) if m else None
    if m is None or task is None:
        return line
    content = task.content.rstrip("。")
    return f"{m[1]}{content}{m[4]}" if content.startswith(m[3]) else line


def _cited_task(citation: Citation, notice: Notice) -> Task | None:
    try:
        source = Source.parse(citation.source)
    except SourceError:
        return None
    return notice.task(source.number) if source.kind == "task" else None


def _lines(text: str) -> str:
    return "<br>".join(escape(line) for line in text.strip().split("\n"))


def _units_cell(task: Task, units: set[str]) -> str:
    """The verbatim 责任单位 cell, escaped, with each asked unit wrapped in <mark>."""
    needles = [a.raw for a in task.assignments if a.unit in units]
    return _highlight(task.units_raw, needles)


def _fold(text: str) -> str:
    """Per-character NFKC (full-width （）， → ()，), keeping positions aligned with ``text``."""
    out = []
    for ch in text:
        folded = unicodedata.normalize("NFKC", ch)
        out.append(folded if len(folded) == 1 else ch)
    return "".join(out)


def _highlight(text: str, needles: Iterable[str]) -> str:
    folded = _fold(text)
    spans: list[tuple[int, int]] = []
    for needle in sorted({_fold(n) for n in needles if n}, key=len, reverse=True):
        start = folded.find(needle)
        while start != -1:
            end = start + len(needle)
            if all(end <= s or start >= e for s, e in spans):
                spans.append((start, end))
            start = folded.find(needle, end)
    out, pos = [], 0
    for start, end in sorted(spans):
        out.append(escape(text[pos:start]))
        out.append(f'<mark class="nq-hl">{escape(text[start:end])}</mark>')
        pos = end
    out.append(escape(text[pos:]))
    return "".join(out)
