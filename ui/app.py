"""The Gradio app: a staff desk (chat, the notice, a responsibility matrix) or a public kiosk.

``build_app`` only lays out components and wires them to the plain handlers of ``ui.handlers``;
``serve`` is the entry point that builds the assistant and launches. Gradio is imported inside the
functions so that ``notice-qa --help`` and the unit tests start fast.

Safe by default: analytics off, no run history kept in the browser, no monitoring page, errors shown as
one friendly line. The queue holds at most ``settings.app.queue_size`` waiting questions and runs
``settings.app.concurrency`` at once; when it is full Gradio refuses the new event and its page shows
"This application is currently busy. Please try again."; a small script in the page's head rewrites
that notice to 「系统繁忙，请稍后再试」.

Beside the page, ``server_routes`` serves ``GET /healthz`` and, on the staff desk, ``POST /api/ask`` (an
answer as JSON, for load clients and scripts); replicas behind a proxy are described in docs/DEPLOY.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import os
import re
import weakref
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, Field

from assistant.answer import TOO_LONG_ROUTE, SupportsAsk
from assistant.turnlog import TurnLog
from corpus.records import Notice
from corpus.settings import Settings
from ui.guard import Guard, hidden_paths
from ui.handlers import (
    BUSY_REPLY,
    ERROR_REPLY,
    FEEDBACK_REPLIES,
    SUGGESTED_QUESTIONS,
    ChatHistory,
    answer_turn,
    begin,
    category_choices,
    clear_chat,
    filter_tasks,
    follow_ups,
    rate,
    remember_turn,
    review_entry,
    unit_choices,
)
from ui.logs import install_log_redactor, quiet_gradio_tracebacks
from ui.openai_api import OpenAIErrors, openai_routes
from ui.page import BASE_CSS, KIOSK_CSS, page_script
from ui.render import escape, render_clauses, render_header, render_matrix
from ui.review import FEEDBACK_STATUS, Feedback, open_store
from ui.review_page import review_tab

if TYPE_CHECKING:
    import gradio as gr
    from starlette.responses import JSONResponse

logger = logging.getLogger(__name__)

T = TypeVar("T")

CJK_FONTS = ("WenQuanYi Micro Hei", "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", "sans-serif")
SUGGEST_TITLE = "**试试这些问题：**"
FOLLOW_UP_TITLE = "**接着问：**"
SUGGESTION_SLOTS = max(len(SUGGESTED_QUESTIONS), 4)  # static suggestions, or up to 4 follow-ups
# The feedback row is an output of each answer: a full queue must not paint an error badge over it either.
FEEDBACK_CSS = """
#nq-feedback [data-testid="status-tracker"], #nq-feedback-note [data-testid="status-tracker"] {
  display: none !important; }
#nq-review-table table.nq-review { border-collapse: collapse; font-size: 14px; }
#nq-review-table table.nq-review td, #nq-review-table table.nq-review th {
  border: 1px solid #999; padding: 4px 6px; vertical-align: top; }
"""


def _gradio() -> Any:
    """Import gradio with analytics off; the environment must say so before the first import."""
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    import gradio

    return gradio


def _default_conversation() -> Callable[[], Any]:
    from assistant.chain import Conversation

    return Conversation


def scope_line(notice: Notice) -> str:
    """The line every page carries: answers come from this one notice only."""
    return f"本机只依据{notice.header.doc_number}通知作答"


def suggestion_updates(questions: list[str]) -> list[Any]:
    """The suggestions row as Gradio updates: its title, then each slot shown with a question or hidden."""
    gr = _gradio()
    shown = questions or list(SUGGESTED_QUESTIONS)
    title = FOLLOW_UP_TITLE if questions else SUGGEST_TITLE
    slots = [gr.update(value=q, visible=True) for q in shown[:SUGGESTION_SLOTS]]
    slots += [gr.update(visible=False)] * (SUGGESTION_SLOTS - len(slots))
    return [title, *slots]


def build_app(
    assistant: SupportsAsk,
    notice: Notice,
    settings: Settings,
    *,
    new_conversation: Callable[[], Any] | None = None,
    feedback: Feedback | None = None,
) -> gr.Blocks:
    """The app for ``settings.app.kiosk``, queue configured; launch it with ``start`` (or ``launch_kwargs``).

    ``feedback`` takes each answer's 有帮助/没帮助 (default: the review store the settings name, ui.review).

    ``new_conversation`` makes each session's follow-up state (default ``assistant.chain.Conversation``).
    A question is two events: ``begin`` echoes it with a pending bubble at once (not queued, no work), then
    the queued ``ask`` answers it and offers follow-up questions computed from the answer.
    """
    gr = _gradio()
    make_conversation = new_conversation or _default_conversation()
    kiosk = settings.app.kiosk
    feedback = feedback or Feedback(open_store(settings))
    where = "kiosk" if kiosk else "desk"
    # Kiosk endpoints are for its own page only; the staff desk documents one endpoint, ``/ask``.
    ask_visibility = "private" if kiosk else "public"

    def start_turn(message: str, history: ChatHistory) -> tuple[ChatHistory, str, str]:
        return begin(message, history)

    # Each session's last answer ({"id", "question"}) for its 有帮助/没帮助, beside its conversation (not
    # an input of ``ask``, whose API stays question, history, conversation).
    last_answers: dict[int, dict[str, str]] = {}  # by id(conversation), dropped when it is collected

    def finish_turn(question: str, history: ChatHistory, conversation: Any) -> tuple[Any, ...]:
        if conversation is None and (question or "").strip():
            conversation = make_conversation()
        history, conversation, answer = answer_turn(
            question, history, conversation, assistant=assistant, notice=notice, settings=settings
        )
        rated = remember_turn(feedback, _last(conversation), question, answer, app=where)
        if rated is not None and id(conversation) not in last_answers:
            with contextlib.suppress(TypeError):  # a conversation that takes no weak reference: no feedback
                weakref.finalize(conversation, last_answers.pop, id(conversation), None)
                last_answers[id(conversation)] = rated
        elif rated is not None:
            last_answers[id(conversation)] = rated
        shown = gr.update(visible=_last(conversation) is not None)
        return (history, conversation, *suggestion_updates(follow_ups(answer, notice)), shown, "")

    def _last(conversation: Any) -> dict[str, str] | None:
        return None if conversation is None else last_answers.get(id(conversation))

    def clear(conversation: Any) -> tuple[Any, ...]:
        last_answers.pop(id(conversation), None)
        history, conversation, text = clear_chat(conversation)
        return (history, conversation, text, "", *suggestion_updates([]), gr.update(visible=False), "")

    def rate_last(helpful: bool) -> Callable[..., str]:
        def handler(conversation: Any, reason: str | None, request: Any) -> str:
            client = request.client.host if request and request.client else ""
            reason = "" if kiosk else reason or ""
            return rate(feedback, _last(conversation), helpful, client=client, reason=reason)

        handler.__annotations__["request"] = gr.Request  # how Gradio knows to pass the request (rate limit)
        return handler

    with gr.Blocks(
        title=f"通知问答 · {notice.header.doc_number}", analytics_enabled=False, fill_width=kiosk
    ) as app:
        # Made on a session's first question, not on page load: a State with a callable value would add a
        # public load endpoint per state.
        conversation = gr.State(None)
        # The question on its way, from begin to ask: a hidden component rather than a State, whose value
        # only the server could set, so that ask's first input is the question for API callers too.
        pending = gr.Textbox(visible=False, label="待回答的问题")
        gr.HTML(
            f'<div class="nq-banner"><h1>{escape(notice.header.title)}</h1>'
            f'<p class="nq-scope" id="nq-scope">{escape(scope_line(notice))}</p></div>'
        )

        def chat_panel() -> tuple[Any, Any, Any, Any, Any, list[Any]]:
            chatbot = gr.Chatbot(
                label="问答记录",
                show_label=False,
                elem_id="nq-chat",
                buttons=[] if kiosk else ["copy"],
                feedback_options=None,
                placeholder="请就本通知提问，例如：哪些任务由市人社局牵头？",
                sanitize_html=True,
                autoscroll=False,  # the page script lands on the top of each new answer instead
                latex_delimiters=[],  # $$…$$ in a question is shown as typed
            )
            with gr.Row(equal_height=True):
                textbox = gr.Textbox(
                    label="输入问题",
                    placeholder=f"请输入问题（{settings.assistant.max_question_chars}字以内），按回车提问",
                    show_label=False,
                    max_length=settings.assistant.max_question_chars,
                    lines=1,
                    max_lines=3,
                    scale=6,
                    elem_id="nq-input",
                    autofocus=not kiosk,
                )
                ask_btn = gr.Button(
                    "提问", variant="primary", scale=1, elem_classes="nq-touch", elem_id="nq-ask"
                )
                clear_btn = gr.Button("清空对话", scale=1, elem_classes="nq-touch", elem_id="nq-clear")
                if kiosk:  # no events: the page script reads aloud, and shows it only with a zh voice
                    gr.Button("朗读", scale=1, elem_classes="nq-touch", elem_id="nq-read")
            title = gr.Markdown(SUGGEST_TITLE, elem_id="nq-suggest-title")
            with gr.Row(equal_height=True, elem_id="nq-suggest"):
                suggestions = [
                    gr.Button(
                        SUGGESTED_QUESTIONS[i] if i < len(SUGGESTED_QUESTIONS) else "",
                        visible=i < len(SUGGESTED_QUESTIONS),
                        size="lg" if kiosk else "sm",
                        elem_classes="nq-suggest",
                        min_width=300 if kiosk else 160,
                    )
                    for i in range(SUGGESTION_SLOTS)
                ]
            # Feedback on the last answer: one tap, no login (the desk may add a short reason).
            with gr.Row(equal_height=True, visible=False, elem_id="nq-feedback") as rating_row:
                helpful = gr.Button(
                    "有帮助" if kiosk else "👍 有帮助",
                    elem_classes="nq-touch" if kiosk else None,
                    elem_id="nq-helpful",
                )
                unhelpful = gr.Button(
                    "没帮助" if kiosk else "👎 没帮助",
                    elem_classes="nq-touch" if kiosk else None,
                    elem_id="nq-unhelpful",
                )
                reason = gr.Textbox(
                    label="原因（可选）",
                    visible=not kiosk,
                    max_lines=1,
                    max_length=200,
                    elem_id="nq-reason",
                    scale=3,
                )
            rating_note = gr.Markdown(elem_id="nq-feedback-note")
            feedback_parts.extend([rating_row, rating_note])
            rating_inputs.extend([helpful, unhelpful, reason])
            return chatbot, textbox, ask_btn, clear_btn, title, suggestions

        feedback_parts: list[Any] = []  # the row and its note: outputs of each answer
        rating_inputs: list[Any] = []  # 有帮助, 没帮助, the reason box
        if kiosk:
            chatbot, textbox, ask_btn, clear_btn, title, suggestions = chat_panel()
        else:
            with gr.Tabs():
                with gr.Tab("问答", id="chat"):
                    chatbot, textbox, ask_btn, clear_btn, title, suggestions = chat_panel()
                with gr.Tab("通知原文", id="notice"):
                    gr.HTML(render_header(notice), elem_id="nq-header")
                    gr.HTML(render_clauses(notice), elem_id="nq-clauses")
                    gr.Markdown("### 产教融合重点工作任务分工")
                    with gr.Row():
                        unit_filter = gr.Dropdown(
                            unit_choices(notice), value=unit_choices(notice)[0], label="责任单位"
                        )
                        category_filter = gr.Dropdown(
                            category_choices(notice), value=category_choices(notice)[0], label="工作任务类别"
                        )
                    table = gr.HTML(filter_tasks(notice, None, None), elem_id="nq-task-table")
                    for dropdown in (unit_filter, category_filter):
                        dropdown.change(
                            lambda unit, category: filter_tasks(notice, unit, category),
                            inputs=[unit_filter, category_filter],
                            outputs=table,
                            queue=False,
                            api_visibility="private",
                            show_progress="hidden",
                        )
                with gr.Tab("责任矩阵", id="matrix"):
                    gr.Markdown(
                        "各责任单位在23项任务中的角色（按承担任务数排序；点按或用Tab键选中格子，"
                        "上方显示任务和角色）。"
                    )
                    gr.HTML(render_matrix(notice), elem_id="nq-matrix")
                review_tab(gr, feedback.store, settings)

        answer_outputs = [chatbot, conversation, title, *suggestions, *feedback_parts]
        triggers = [(textbox.submit, textbox), (ask_btn.click, textbox)]
        triggers += [(button.click, button) for button in suggestions]
        for i, (trigger, source) in enumerate(triggers):
            trigger(
                start_turn,
                [source, chatbot],
                [chatbot, pending, textbox],
                queue=False,
                show_progress="hidden",
                api_visibility="private",
            ).then(
                finish_turn,
                [pending, chatbot, conversation],
                answer_outputs,
                # The calm pending bubble is the sign of life; Gradio's tracker would paint a red error
                # badge over the chat when the queue is full.
                show_progress="hidden",
                api_name="ask" if i == 0 else None,
                api_visibility=ask_visibility if i == 0 else "private",
            )
        clear_outputs = [chatbot, conversation, textbox, pending, title, *suggestions, *feedback_parts]
        clear_btn.click(clear, [conversation], clear_outputs, queue=False, api_visibility="private")
        # The chat's own trash icon must forget the follow-up state too, not just the bubbles.
        chatbot.clear(clear, [conversation], clear_outputs, queue=False, api_visibility="private")
        # Registered last, so the earlier events keep their indices.
        helpful, unhelpful, reason = rating_inputs
        for button, verdict in ((helpful, True), (unhelpful, False)):
            button.click(
                rate_last(verdict),
                [conversation, reason],
                feedback_parts[1],
                queue=False,
                api_visibility="private",
                show_progress="hidden",
            )

    # api_open=False: /gradio_api/run/<name> no longer runs a queued handler beside the queue (404).
    app.queue(
        default_concurrency_limit=settings.app.concurrency, max_size=settings.app.queue_size, api_open=False
    )
    return app


def theme(settings: Settings) -> Any:
    """Local CJK fonts (nothing fetched from the internet); large, high-contrast sizes for the kiosk.

    Both keep text at 4.5:1 or more: white on dark blue for 提问, the selected tab and placeholder in CSS.
    """
    gr = _gradio()
    if not settings.app.kiosk:
        return gr.themes.Default(font=list(CJK_FONTS), primary_hue="blue").set(
            button_primary_background_fill="#0b3d91",
            button_primary_background_fill_hover="#072a66",
            button_primary_text_color="#ffffff",
        )
    return gr.themes.Default(
        font=list(CJK_FONTS),
        text_size=gr.themes.sizes.text_lg,
        spacing_size=gr.themes.sizes.spacing_lg,
        radius_size=gr.themes.sizes.radius_md,
        primary_hue="blue",
    ).set(
        body_text_color="#000000",
        body_background_fill="#ffffff",
        block_border_color="#333333",
        input_border_color="#333333",
        button_primary_background_fill="#0b3d91",
        button_primary_background_fill_hover="#072a66",
        button_primary_text_color="#ffffff",
        button_secondary_background_fill="#e6e6e6",
        button_secondary_text_color="#000000",
        button_secondary_border_color="#333333",
    )


def launch_kwargs(settings: Settings) -> dict[str, Any]:
    """Everything ``Blocks.launch`` needs besides host and port (Gradio 6 takes theme and CSS here)."""
    return {
        "theme": theme(settings),
        "css": BASE_CSS + FEEDBACK_CSS + (KIOSK_CSS if settings.app.kiosk else ""),
        "head": page_script(
            kiosk=settings.app.kiosk, idle_seconds=settings.app.kiosk_idle_seconds, busy=BUSY_REPLY
        ),
        # No API, settings or "built with" links in a kiosk; the staff desk keeps the API page.
        "footer_links": [] if settings.app.kiosk else ["api", "settings"],
        "run_history": False,  # nothing of a session is saved in the browser
        "show_error": False,
        "enable_monitoring": False,
        "mcp_server": False,
        "ssr_mode": False,
        "pwa": False,
        "share": False,
        # Sessions whose state a replica keeps (Gradio's default is 10,000); the oldest beyond go first.
        "state_session_capacity": SESSION_CAPACITY,
        "max_file_size": 0,  # no feature takes a file: every upload is refused (ui.guard refuses first)
    }


SESSION_CAPACITY = 1_000  # page sessions kept in memory: ample for a kiosk or a desk, bounded for a replica

# /api/ask conversations one replica keeps (Gradio keeps 10 000 session states by default too).
API_SESSIONS = 10_000


class AskRequest(BaseModel):
    """The body of ``POST /api/ask``: a question and, to ask follow-ups, a session id the client chooses."""

    question: str
    session: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.-]{1,64}$")


class FeedbackRequest(BaseModel):
    """The body of ``POST /api/feedback``: the ``answer_id`` of an ``/api/ask`` answer, 👍 or 👎, a reason."""

    answer_id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")
    helpful: bool
    reason: str = Field(default="", max_length=200)


class AskGate:
    """Admission for ``/api/ask`` like the chat's queue: ``concurrency`` answers run at once, at most
    ``queue_size`` wait, and a request beyond that is refused at once instead of left hanging."""

    def __init__(self, concurrency: int, queue_size: int) -> None:
        if concurrency <= 0 or queue_size < 0:
            raise ValueError(f"need concurrency > 0 and queue_size >= 0, got {concurrency}, {queue_size}")
        self.limit = concurrency + queue_size
        self.admitted = 0  # running plus waiting; only touched on the event loop, so no lock
        self._running = asyncio.Semaphore(concurrency)

    async def run(self, fn: Callable[[], T]) -> T | None:
        """``fn()`` in a worker thread once a slot is free; None at once when ``limit`` are already in."""
        if self.admitted >= self.limit:
            return None
        from anyio import to_thread

        self.admitted += 1
        try:
            async with self._running:
                return await to_thread.run_sync(fn)
        finally:
            self.admitted -= 1


class ApiSessions:
    """``/api/ask`` conversations by session id, in this replica's memory; the least recently used beyond
    ``capacity`` are forgotten (their next question starts a new conversation)."""

    def __init__(self, make: Callable[[], Any], capacity: int = API_SESSIONS) -> None:
        if capacity <= 0:
            raise ValueError(f"capacity must be > 0, got {capacity}")
        self.capacity = capacity
        self._make = make
        self._items: OrderedDict[str, Any] = OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, session: str | None) -> Any:
        """The session's conversation (made on first use); None, a one-off question, without a session."""
        if session is None:
            return None
        conversation = self._items.pop(session, None)
        if conversation is None:
            conversation = self._make()
        self._items[session] = conversation
        while len(self._items) > self.capacity:
            self._items.popitem(last=False)
        return conversation


def server_routes(
    assistant: SupportsAsk,
    settings: Settings,
    *,
    new_conversation: Callable[[], Any] | None = None,
) -> list[Any]:
    """HTTP routes served beside the page; give them to ``launch`` as ``app_kwargs={"routes": ...}``.

    ``GET /healthz`` (both modes): ``index.health.check_health`` plus ``"assistant": "ok"``; 200 when ok,
    else 503, for a proxy's or orchestrator's health check. ``POST /api/ask`` (staff desk only):
    ``{"question": "...", "session": "..."}`` -> ``Answer.to_json()``; the chat's input cap (413), 500 with
    ``ERROR_REPLY`` when answering fails, 503 with ``BUSY_REPLY`` when its own queue (``settings.app.concurrency``
    running, ``settings.app.queue_size`` waiting, separate from the page's queue) is full. Each answer carries an
    id in its ``X-Answer-Id`` header for ``POST /api/feedback`` (``{"answer_id": "...", "helpful": false}``).
    """
    from fastapi import APIRouter, Header, Request
    from fastapi.responses import JSONResponse
    from starlette.concurrency import run_in_threadpool

    from index.health import check_health

    router = APIRouter()

    @router.get("/healthz", response_model=None)
    async def healthz() -> JSONResponse:
        report = public_health(await run_in_threadpool(check_health, settings))
        return JSONResponse(report, status_code=200 if report["ok"] else 503)

    token = settings.api.token.get_secret_value() if settings.api.token else ""
    if settings.app.kiosk or not token:  # a kiosk answers its own page only; no token, no API
        return list(router.routes)

    gate = AskGate(settings.app.concurrency, settings.app.queue_size)
    sessions = ApiSessions(new_conversation or _default_conversation())
    feedback = Feedback(open_store(settings))

    def refuse(status: int, error: str, message: str) -> JSONResponse:
        headers = {"Retry-After": "1"} if status == 503 else None
        return JSONResponse({"error": error, "message": message}, status_code=status, headers=headers)

    @router.post("/api/ask", response_model=None)
    async def ask(body: AskRequest, authorization: str | None = Header(default=None)) -> JSONResponse:
        if not bearer_ok(authorization, token):
            response = refuse(401, "unauthorized", "需要有效的访问令牌。")
            response.headers["WWW-Authenticate"] = "Bearer"
            return response
        question = body.question.strip()
        if not question:
            return refuse(422, "empty", "请输入问题。")
        conversation = sessions.get(body.session)
        try:
            answer = await gate.run(lambda: assistant.ask(question, conversation, via="api"))
        except Exception as exc:  # as in the chat: one friendly line; the log gets frames, not the text
            TurnLog(settings.assistant.log_key).failure(question, exc, via="api")
            await run_in_threadpool(feedback.answered, review_entry(question, "", None, "api"))
            return refuse(500, "error", ERROR_REPLY)
        if answer is None:
            logger.warning("api busy: %d questions already admitted", gate.limit)
            return refuse(503, "busy", BUSY_REPLY)
        if answer.route == TOO_LONG_ROUTE:  # the assistant's one limit and wording, as HTTP's status
            return refuse(413, "too_long", answer.answer)
        answer_id = await run_in_threadpool(feedback.answered, review_entry(question, "", answer, "api"))
        # In a header: the body stays exactly ``Answer.to_json()``.
        headers = {"X-Answer-Id": answer_id}
        return JSONResponse(
            answer.to_json(), status_code=500 if answer.route == "error" else 200, headers=headers
        )

    async def rate_answer(
        body: FeedbackRequest, request: Request, authorization: str | None = Header(default=None)
    ) -> JSONResponse:
        """👍/👎 on an ``/api/ask`` answer: 200, 404 for an unknown or expired id, 429 for a flood."""
        if not bearer_ok(authorization, token):
            return refuse(401, "unauthorized", "需要有效的访问令牌。")
        client = request.client.host if request.client else ""
        verdict, _ = await run_in_threadpool(
            lambda: feedback.rate(body.answer_id, body.helpful, client=client, reason=body.reason)
        )
        status, error = FEEDBACK_STATUS[verdict]
        if status != 200:
            response = refuse(status, error, FEEDBACK_REPLIES[verdict])
            if status == 429:
                response.headers["Retry-After"] = str(int(feedback.rate_window))
            return response
        return JSONResponse({"ok": True, "message": FEEDBACK_REPLIES[verdict]})

    rate_answer.__annotations__["request"] = Request  # imported here, so FastAPI cannot resolve the name
    router.post("/api/feedback", response_model=None)(rate_answer)

    return list(router.routes)


_PATH = re.compile(r"(?<![\w:/])/(?:[\w.@~+-]+/)*[\w.@~+-]+")


def public_health(report: dict[str, object]) -> dict[str, object]:
    """``check_health``'s report as ``/healthz`` shows it: no disk paths, and ``assistant`` agrees with ``ok``.

    The model folder is dropped and any path in ``problem`` becomes ``<path>``; ``assistant`` is "ok" only
    when the whole report is (otherwise "degraded": table answers go on, content answers fail).
    """
    shown = {k: v for k, v in report.items() if k != "model"}
    if isinstance(shown.get("problem"), str):
        shown["problem"] = _PATH.sub("<path>", str(shown["problem"]))
    shown["assistant"] = "ok" if shown.get("ok") is True else "degraded"
    return shown


def bearer_ok(header: str | None, token: str) -> bool:
    """True when ``header`` is ``Bearer <token>`` (compared in constant time) and the token is set."""
    scheme, _, given = (header or "").partition(" ")
    if not token or scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode("utf-8"), token.encode("utf-8"))


def server_app(
    assistant: SupportsAsk, settings: Settings, *, new_conversation: Callable[[], Any] | None = None
) -> Any:
    """The FastAPI app Gradio serves the page on: our routes, no OpenAPI, wrapped in ``ui.guard.Guard``.

    Gradio adds its own middleware (CORS, compression) to this app when it launches; the guard wraps the
    finished middleware stack, so its limits and headers hold for every route, Gradio's included.
    """
    _gradio()
    from gradio.routes import App, ORJSONResponse

    max_body, hidden = settings.app.max_request_bytes, hidden_paths(settings.app.kiosk)

    class GuardedApp(App):
        def build_middleware_stack(self) -> Any:
            # OpenAIErrors: the guard's refusals under /v1/ in the OpenAI error format (ui.openai_api).
            return OpenAIErrors(Guard(super().build_middleware_stack(), max_body=max_body, hidden=hidden))

    return GuardedApp(
        routes=server_routes(assistant, settings, new_conversation=new_conversation)
        + openai_routes(assistant, settings, new_conversation=new_conversation),
        default_response_class=ORJSONResponse,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )


def start(
    app: gr.Blocks,
    assistant: SupportsAsk,
    settings: Settings,
    *,
    block: bool = True,
    quiet: bool = False,
    new_conversation: Callable[[], Any] | None = None,
) -> str:
    """Launch ``app`` hardened (``server_app``) at settings.app.host:settings.app.port; its URL. Blocks if ``block``."""
    quiet_gradio_tracebacks()
    app.launch(
        server_name=settings.app.host,
        server_port=settings.app.port,
        # Gradio's own hook for a prepared app (its public app_kwargs cannot wrap Gradio's middleware).
        _app=server_app(assistant, settings, new_conversation=new_conversation),
        prevent_thread_lock=True,
        quiet=quiet,
        **launch_kwargs(settings),
    )
    install_log_redactor()  # after the launch: uvicorn configures its log handlers when it starts
    if block:
        app.block_thread()
    return f"http://{settings.app.host}:{settings.app.port}/"


def serve(settings: Settings) -> None:
    """Parse the notice, load the assistant and serve the app at settings.app.host:settings.app.port (blocks)."""
    from assistant.wiring import load_assistant
    from corpus.parser import load_notice

    notice = load_notice(settings.notice_path)
    assistant = load_assistant(settings, notice)
    assistant.warm_in_background()  # the first content question need not wait for the model and the index
    app = build_app(assistant, notice, settings)
    logger.info(
        "serving %s on http://%s:%d (kiosk=%s, concurrency=%d, queue=%d, api=%s)",
        notice.header.doc_number,
        settings.app.host,
        settings.app.port,
        settings.app.kiosk,
        settings.app.concurrency,
        settings.app.queue_size,
        "on"
        if settings.api.token and settings.api.token.get_secret_value() and not settings.app.kiosk
        else "off",
    )
    start(app, assistant, settings)
