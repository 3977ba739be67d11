"""UI handlers as plain functions: Gradio calls them through closures in ``ui.app``; tests call them directly.

Nothing here imports gradio. A handler never raises: whatever goes wrong, the user reads one friendly line
and the log gets the error without the question's text (unless ``settings.log_questions``).
"""

from __future__ import annotations

import time
from typing import Any, Protocol

from assistant.answer import Answer
from corpus.records import Notice
from index.settings import Settings
from ui.logs import log_failure, log_turn
from ui.render import escape, filter_rows, render_answer, render_question, render_task_table

ERROR_REPLY = "抱歉，系统出错了，请稍后再试。"
BUSY_REPLY = "系统繁忙，请稍后再试"
ALL_UNITS = "全部单位"
ALL_CATEGORIES = "全部类别"

# One per kind of question the assistant understands: agency, task number, category, content, count.
SUGGESTED_QUESTIONS: tuple[str, ...] = (
    "哪些任务由市人社局牵头？",
    "第12项由谁负责？",
    "人才培养方面有哪些任务？",
    "产教融合资金从哪来？",
    "市教育局负责几项任务？",
)

ChatHistory = list[dict[str, Any]]


class AssistantLike(Protocol):
    """What the UI needs of ``assistant.chain.Assistant``; unit tests pass a small fake."""

    def ask(self, question: str, conversation: Any = None) -> Answer: ...


def respond(
    message: str | None,
    history: ChatHistory | None,
    conversation: Any,
    *,
    assistant: AssistantLike,
    notice: Notice,
    settings: Settings,
) -> tuple[ChatHistory, Any, str]:
    """Ask one question in this session: (history with the question and its answer, conversation, "").

    The empty string clears the textbox. Empty input changes nothing; over-long input gets a friendly
    line without reaching the assistant; any exception becomes ``ERROR_REPLY``.
    """
    history = list(history or [])
    question = (message or "").strip()
    if not question:
        return history, conversation, ""
    history.append({"role": "user", "content": render_question(question)})
    started = time.perf_counter()
    if len(question) > settings.max_question_chars:
        reply = _friendly(too_long_reply(settings))
        log_turn(question, settings, via="page", route="input", refused=True, latency_ms=_ms(started))
    else:
        try:
            answer = assistant.ask(question, conversation)
            reply = render_answer(answer, notice)
        except Exception as exc:  # the last line of defence: the user must never see a traceback
            log_failure(question, settings, exc, via="page")
            reply = _friendly(ERROR_REPLY)
        else:
            log_turn(
                question,
                settings,
                via="page",
                route=answer.route,
                latency_ms=answer.latency_ms or _ms(started),
                sources=tuple(c.source for c in answer.citations),
                refused=answer.refused,
            )
    history.append({"role": "assistant", "content": reply})
    return history, conversation, ""


def too_long_reply(settings: Settings) -> str:
    return f"问题太长了，请控制在{settings.max_question_chars}字以内。"


def clear_chat(conversation: Any) -> tuple[ChatHistory, Any, str]:
    """Forget this session's turns: empty chat, a reset conversation, an empty textbox."""
    reset = getattr(conversation, "reset", None)
    if callable(reset):
        reset()
    return [], conversation, ""


def is_idle(last_active: float | None, now: float, idle_seconds: float) -> bool:
    """True once ``idle_seconds`` have passed since the last activity (a kiosk then clears itself)."""
    return last_active is not None and now - last_active >= idle_seconds


def unit_choices(notice: Notice) -> list[str]:
    """The agency filter's choices: 全部单位, then every unit of the table in table order."""
    return [ALL_UNITS, *notice.units]


def category_choices(notice: Notice) -> list[str]:
    return [ALL_CATEGORIES, *notice.categories]


def filter_tasks(notice: Notice, agency: str | None, category: str | None) -> str:
    """The task table filtered by unit (any role) and category, the unit marked in 责任单位."""
    unit = None if agency in (None, "", ALL_UNITS) else agency
    cat = None if category in (None, "", ALL_CATEGORIES) else category
    rows = filter_rows(notice, unit, cat)
    if not rows:
        return '<p class="nq-empty">没有符合条件的任务。</p>'
    caption = f"共{len(rows)}项"
    return render_task_table(rows, highlight=(unit,) if unit else (), caption=caption)


def _friendly(line: str) -> str:
    return f'<div class="nq-answer"><p class="nq-direct">{escape(line)}</p></div>'


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000
