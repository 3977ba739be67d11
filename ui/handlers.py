"""UI handlers as plain functions: Gradio calls them through closures in ``ui.app``; tests call them directly.

Nothing here imports gradio. A handler never raises: whatever goes wrong, the user reads one friendly line
and the log gets the error without the question's text. The input limit and the turn's log line belong to
``Assistant.ask``; the handlers only hand it the question, marked ``via="page"``.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from assistant.answer import TOO_LONG_ROUTE, Answer, SupportsAsk
from assistant.turnlog import TurnLog
from corpus.records import Notice, Role
from corpus.settings import Settings
from ui.render import (
    escape,
    filter_rows,
    is_pending,
    render_answer,
    render_pending,
    render_question,
    render_task_table,
)
from ui.review import Feedback, NewEntry, Verdict

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
MAX_MESSAGES = 40  # the last 20 turns stay in a chat (what the browser sends back, what a session holds)


def begin(message: str | None, history: ChatHistory | None) -> tuple[ChatHistory, str, str]:
    """A turn's first step, at once: the question and a pending bubble in the chat.

    Returns (history, the question to answer, "" to clear the textbox). A trailing question whose answer
    never came (the queue was full) is dropped first, so the chat does not keep a bubble that waits forever.
    Empty input changes nothing and asks nothing. At most ``MAX_MESSAGES`` stay in the chat.
    """
    history = _settled(history)
    question = (message or "").strip()
    if not question:
        return history, "", ""
    history += [
        {"role": "user", "content": render_question(question)},
        {"role": "assistant", "content": render_pending()},
    ]
    return history[-MAX_MESSAGES:], question, ""


def respond(
    message: str | None,
    history: ChatHistory | None,
    conversation: Any,
    *,
    assistant: SupportsAsk,
    notice: Notice,
    settings: Settings,
) -> tuple[ChatHistory, Any, str]:
    """Ask one question in this session: (history with the question and its answer, conversation, "").

    The empty string clears a textbox; ``answer_turn`` does the work and also returns the Answer.
    """
    history, conversation, _ = answer_turn(
        message, history, conversation, assistant=assistant, notice=notice, settings=settings
    )
    return history, conversation, ""


def answer_turn(
    message: str | None,
    history: ChatHistory | None,
    conversation: Any,
    *,
    assistant: SupportsAsk,
    notice: Notice,
    settings: Settings,
) -> tuple[ChatHistory, Any, Answer | None]:
    """Answer one question in this session: (history with the answer, conversation, the Answer or None).

    The answer replaces the pending bubble ``begin`` put there (or follows the question, when called
    without it). Empty input changes nothing; anything else goes to the assistant, which answers an over-long
    question with its one message and logs the turn; any exception becomes ``ERROR_REPLY``. The Answer is None
    unless the assistant gave one.
    """
    history = list(history or [])
    question = (message or "").strip()
    if not question:
        return _settled(history), conversation, None
    if history and is_pending(history[-1].get("content")):
        history.pop()
    else:
        history.append({"role": "user", "content": render_question(question)})
    answer: Answer | None = None
    try:
        answer = assistant.ask(question, conversation, via="page")
        reply = render_answer(answer, notice)
    except Exception as exc:  # the last line of defence: the user must never see a traceback
        answer = None
        TurnLog(settings.assistant.log_key).failure(question, exc, via="page")
        reply = _friendly(ERROR_REPLY)
    history.append({"role": "assistant", "content": reply})
    return history[-MAX_MESSAGES:], conversation, answer


def follow_ups(answer: Answer | None, notice: Notice, limit: int = 4) -> list[str]:
    """2–4 next questions computed from an answer's result (its tasks and units), or none.

    After a unit's tasks: its lead tasks (or all its tasks, when the lead ones were just given), its
    tasks in the category where it has most, the unit with the most tasks. After one task: who leads it,
    its category, the tasks beside it. After rows of one category: the largest category, the first row's
    lead. Each is worded the way the assistant answers exactly, and none repeats the question just asked.
    """
    if answer is None or answer.refused:
        return []
    tasks = [t for n in answer.tasks if (t := notice.task(n)) is not None]
    units = [u for u in answer.units if u in notice.units]
    out: list[str] = []
    if units and tasks:
        unit = units[0]
        mine = [t for t in notice.tasks if unit in t.units]
        lead = [t.number for t in mine if t.role_of(unit) is Role.LEAD]
        if lead and sorted(answer.tasks) != lead:
            out.append(f"哪些任务由{unit}牵头？")
        else:
            out.append(f"{unit}参与了哪些任务？")
        by_category = Counter(t.category for t in mine)
        if len(by_category) > 1:
            category = by_category.most_common(1)[0][0]
            out.append(f"{category}这一类里{unit}参与了哪些？")
        out.append("哪个单位负责的任务最多？")
    elif len(tasks) == 1:
        n = tasks[0].number
        out += [f"第{n}项谁牵头？", f"第{n}项属于哪一类？"]
        out += [f"第{m}项是什么？" for m in (n - 1, n + 1) if notice.task(m) is not None]
    elif tasks:
        out += ["哪一类的任务最多？", f"第{tasks[0].number}项谁牵头？"]
        categories = {t.category for t in tasks}
        if len(categories) == 1:
            out.append(f"{categories.pop()}这一类有几项任务？")
    asked = _plain(answer.question)
    unique = list(dict.fromkeys(q for q in out if _plain(q) != asked))
    return unique[:limit] if len(unique) >= 2 else []


def _plain(question: str) -> str:
    return question.strip().rstrip("？?。").strip()


def _settled(history: ChatHistory | None) -> ChatHistory:
    """The history without a trailing question whose answer never came."""
    history = list(history or [])
    if history and is_pending(history[-1].get("content")):
        history = history[:-2] if len(history) >= 2 and history[-2].get("role") == "user" else history[:-1]
    return history


def clear_chat(conversation: Any) -> tuple[ChatHistory, Any, str]:
    """Forget this session's turns: empty chat, a reset conversation, an empty textbox."""
    reset = getattr(conversation, "reset", None)
    if callable(reset):
        reset()
    return [], conversation, ""


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


FEEDBACK_REPLIES = {
    Verdict.STORED: "谢谢反馈，工作人员会查看这个问题。",
    Verdict.THANKS: "谢谢反馈！",
    Verdict.UNKNOWN: "这条回答已过期，无法反馈。",
    Verdict.LIMITED: "反馈太频繁了，请稍后再试。",
    Verdict.FAILED: "谢谢反馈！",  # the store failed: the log says why; the visitor need not know
}


def review_entry(question: str, previous: str, answer: Answer | None, app: str) -> NewEntry:
    """What the review store would keep of a turn: kind ``error`` without an answer or on the error route,
    ``refused`` for a refusal, else ``down`` (kept only if someone taps 👎)."""
    if answer is None or answer.route == "error":
        kind = "error"
    elif answer.refused:
        kind = "refused"
    else:
        kind = "down"
    return NewEntry(
        kind=kind,
        app=app,
        question=question,
        previous=previous,
        answer=answer.answer if answer is not None else ERROR_REPLY,
        route=answer.route if answer is not None else "error",
        tasks=answer.tasks if answer is not None else (),
        sources=tuple(c.source for c in answer.citations) if answer is not None else (),
    )


def remember_turn(
    feedback: Feedback,
    state: dict[str, str] | None,
    question: str,
    answer: Answer | None,
    *,
    app: str,
) -> dict[str, str] | None:
    """After a turn: the session's feedback state {"id": the answer's id, "question": its question}.

    The answer is remembered under a fresh id (a refusal or an error is stored for review at once); an
    empty question, or one the assistant found over-long, changes nothing.
    """
    question = (question or "").strip()
    if not question or (answer is not None and answer.route == TOO_LONG_ROUTE):
        return state
    previous = (state or {}).get("question", "")
    answer_id = feedback.answered(review_entry(question, previous, answer, app))
    return {"id": answer_id, "question": question}


def rate(
    feedback: Feedback, state: dict[str, str] | None, helpful: bool, *, client: str, reason: str = ""
) -> str:
    """A tap on 有帮助 / 没帮助 for the session's last answer: the line to show."""
    if not state or not state.get("id"):
        return "请先提问，再评价回答。"
    verdict, _ = feedback.rate(state["id"], helpful, client=client, reason=(reason or "").strip()[:200])
    return FEEDBACK_REPLIES[verdict]
