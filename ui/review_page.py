"""The desk's staff review tab: entries newest first, filters, a verdict per entry, CSV export.

Behind the staff token (``NOTICE_QA_API_TOKEN``, the desk's token): every handler checks the token it is
given, so the tab's events are refused to anyone without it, whatever calls them. The kiosk never builds
this tab. The handlers are plain functions (``review_view``, ``review_mark``, ``review_csv``); ``review_tab``
only lays out components and wires them.
"""

from __future__ import annotations

import hmac
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from corpus.settings import Settings
from ui.render import escape
from ui.review import (
    APP_LABELS,
    KIND_LABELS,
    VERDICT_LABELS,
    Entry,
    ReviewError,
    ReviewStore,
    entries_csv,
)

ALL = "all"
GATE_LINE = "请输入员工令牌（NOTICE_QA_API_TOKEN）后查看复核记录。"
NO_TOKEN_LINE = "本机未设置员工令牌（NOTICE_QA_API_TOKEN），复核页不可用。"
OFF_LINE = "复核记录已关闭（NOTICE_QA_REVIEW=off），本机不保存任何记录。"
BAD_TOKEN_LINE = "令牌不正确。"
PAGE_SIZE = 200


def staff_token(settings: Settings) -> str:
    return settings.api.token.get_secret_value() if settings.api.token else ""


def token_ok(given: str | None, settings: Settings) -> bool:
    """True when ``given`` is the staff token (compared in constant time) and one is set."""
    token = staff_token(settings)
    return bool(token) and hmac.compare_digest((given or "").strip().encode(), token.encode())


def _day(text: str | None, label: str) -> date | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ReviewError(f"{label}应写成 2026-11-29 这样的日期，收到 {text!r}") from exc


def _filtered(
    store: ReviewStore, kind: str | None, app: str | None, since: str | None, until: str | None
) -> list[Entry]:
    return store.entries(
        kind=None if kind in (None, "", ALL) else kind,
        app=None if app in (None, "", ALL) else app,
        since=_day(since, "起始日期"),
        until=_day(until, "截止日期"),
        limit=PAGE_SIZE,
    )


def render_entries(entries: list[Entry]) -> str:
    """The entries as an HTML table (every cell escaped)."""
    if not entries:
        return '<p class="nq-empty">没有符合条件的记录。</p>'
    head = "".join(
        f"<th>{h}</th>"
        for h in (
            "编号",
            "时间（UTC）",
            "类型",
            "来源",
            "问题",
            "上一问",
            "回答",
            "路由/任务",
            "原因",
            "标注",
        )
    )
    rows = []
    for e in entries:
        mark = VERDICT_LABELS.get(e.verdict or "", "未标注")
        if e.verdict == "expect":
            mark += "：" + (
                ",".join(map(str, e.expect_tasks)) if e.expect_tasks is not None else e.expect_phrase
            )
        answer = e.answer if len(e.answer) <= 160 else e.answer[:160] + "…"
        cells = (
            str(e.id),
            f"{e.created_at:%Y-%m-%d %H:%M}",
            KIND_LABELS.get(e.kind, e.kind),
            APP_LABELS.get(e.app, e.app),
            e.question,
            e.previous,
            answer,
            " ".join(x for x in (e.route, ",".join(map(str, e.tasks))) if x),
            e.reason,
            mark,
        )
        rows.append(f'<tr data-entry="{e.id}">' + "".join(f"<td>{escape(c)}</td>" for c in cells) + "</tr>")
    return (
        f'<p class="nq-review-count">共{len(entries)}条（最新在前）</p>'
        f'<table class="nq-review"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
    )


def review_view(
    store: ReviewStore | None,
    settings: Settings,
    token: str | None,
    kind: str | None = ALL,
    app: str | None = ALL,
    since: str | None = "",
    until: str | None = "",
) -> tuple[bool, str, str]:
    """(show the panel?, the gate's line, the table's HTML) for this token and these filters."""
    if store is None:
        return False, OFF_LINE, ""
    if not staff_token(settings):
        return False, NO_TOKEN_LINE, ""
    if not token_ok(token, settings):
        return False, BAD_TOKEN_LINE if (token or "").strip() else GATE_LINE, ""
    try:
        return True, "", render_entries(_filtered(store, kind, app, since, until))
    except ReviewError as exc:
        return True, str(exc), ""


def review_mark(
    store: ReviewStore | None,
    settings: Settings,
    token: str | None,
    entry_id: float | None,
    verdict: str | None,
    expectation: str | None,
) -> str:
    """Record a verdict on one entry; the line to show."""
    if store is None or not token_ok(token, settings):
        return BAD_TOKEN_LINE
    if entry_id is None or int(entry_id) <= 0:
        return "请填写要标注的记录编号。"
    if not verdict:
        return "请选择标注：回答正确、应当拒答或期望答案。"
    try:
        entry = store.mark(int(entry_id), verdict, expectation or "")
    except ReviewError as exc:
        return f"未保存：{exc}"
    return f"已标注第{entry.id}条：{VERDICT_LABELS[verdict]}。"


def review_csv(
    store: ReviewStore | None,
    settings: Settings,
    token: str | None,
    kind: str | None = ALL,
    app: str | None = ALL,
    since: str | None = "",
    until: str | None = "",
) -> str | None:
    """The filtered entries written to a CSV file (UTF-8 with BOM, for spreadsheets); its path, or None."""
    if store is None or not token_ok(token, settings):
        return None
    try:
        text = entries_csv(_filtered(store, kind, app, since, until))
    except ReviewError:
        return None
    folder = Path(tempfile.mkdtemp(prefix="nq-review-"))
    path = folder / f"review-{date.today().isoformat()}.csv"
    path.write_text("\ufeff" + text, encoding="utf-8")
    return str(path)


def review_tab(gr: Any, store: ReviewStore | None, settings: Settings) -> None:
    """Lay out the 复核 tab inside an open ``gr.Tabs`` and wire it (desk only)."""
    kinds = [("全部", ALL), *((label, k) for k, label in KIND_LABELS.items())]
    apps = [("全部", ALL), *((label, a) for a, label in APP_LABELS.items())]
    private: dict[str, Any] = {"queue": False, "api_visibility": "private", "show_progress": "hidden"}
    with gr.Tab("复核", id="review", elem_id="nq-review-tab"):
        with gr.Row(equal_height=True):
            token = gr.Textbox(label="员工令牌", type="password", scale=4, elem_id="nq-review-token")
            enter = gr.Button("进入", scale=1, elem_id="nq-review-enter")
        gate = gr.Markdown(GATE_LINE, elem_id="nq-review-gate")
        with gr.Column(visible=False, elem_id="nq-review-panel") as panel:
            with gr.Row():
                kind = gr.Dropdown(kinds, value=ALL, label="类型", elem_id="nq-review-kind")
                app = gr.Dropdown(apps, value=ALL, label="来源", elem_id="nq-review-app")
                since = gr.Textbox(label="起始日期", placeholder="2026-11-01", elem_id="nq-review-since")
                until = gr.Textbox(label="截止日期", placeholder="2026-11-30", elem_id="nq-review-until")
                refresh = gr.Button("刷新", elem_id="nq-review-refresh")
            table = gr.HTML(elem_id="nq-review-table")
            with gr.Row(equal_height=True):
                entry_id = gr.Number(label="记录编号", precision=0, elem_id="nq-review-id")
                verdict = gr.Radio(
                    [(label, v) for v, label in VERDICT_LABELS.items()],
                    label="标注",
                    elem_id="nq-review-verdict",
                )
                expectation = gr.Textbox(
                    label="期望答案（任务编号如 3,5；或答案应包含的短语）", elem_id="nq-review-expect"
                )
                save = gr.Button("保存标注", variant="primary", elem_id="nq-review-save")
            note = gr.Markdown(elem_id="nq-review-note")
            with gr.Row():
                export = gr.Button("导出CSV", elem_id="nq-review-export")
                csv_file = gr.File(label="CSV", interactive=False, elem_id="nq-review-csv")

        filters = [token, kind, app, since, until]

        def view(*args: Any) -> tuple[Any, str, str]:
            shown, line, html = review_view(store, settings, *args)
            return gr.update(visible=shown), line, html

        for trigger in (enter.click, token.submit, refresh.click, kind.change, app.change):
            trigger(view, filters, [panel, gate, table], **private)

        def mark(
            given: str, number: float | None, chosen: str | None, expect: str, *rest: Any
        ) -> tuple[str, str]:
            line = review_mark(store, settings, given, number, chosen, expect)
            return line, review_view(store, settings, given, *rest)[2]

        save.click(
            mark, [token, entry_id, verdict, expectation, kind, app, since, until], [note, table], **private
        )
        export.click(lambda *args: review_csv(store, settings, *args), filters, csv_file, **private)
