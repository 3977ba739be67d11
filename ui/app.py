"""The Gradio app: a staff desk (chat, the notice, a responsibility matrix) or a public kiosk.

``build_app`` only lays out components and wires them to the plain handlers of ``ui.handlers``;
``serve`` is the entry point that builds the assistant and launches. Gradio is imported inside the
functions so that ``notice-qa --help`` and the unit tests start fast.

Safe by default: analytics off, no run history kept in the browser, no monitoring page, errors shown as
one friendly line. The queue holds at most ``settings.queue_size`` waiting questions and runs
``settings.concurrency`` at once; when it is full Gradio refuses the new event and its page shows
"This application is currently busy. Please try again."; a small script in the page's head rewrites
that notice to 「系统繁忙，请稍后再试」.

Beside the page, ``server_routes`` serves ``GET /healthz`` and, on the staff desk, ``POST /api/ask`` (an
answer as JSON, for load clients and scripts); replicas behind a proxy are described in docs/DEPLOY.md.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import os
import re
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, Field

from corpus.records import Notice
from index.settings import Settings
from ui.guard import Guard, hidden_paths
from ui.handlers import (
    BUSY_REPLY,
    ERROR_REPLY,
    SUGGESTED_QUESTIONS,
    AssistantLike,
    ChatHistory,
    category_choices,
    clear_chat,
    filter_tasks,
    is_idle,
    respond,
    too_long_reply,
    unit_choices,
)
from ui.logs import install_log_redactor, log_failure, log_turn, quiet_gradio_tracebacks
from ui.render import escape, render_clauses, render_header, render_matrix

if TYPE_CHECKING:
    import gradio as gr
    from starlette.responses import JSONResponse

logger = logging.getLogger(__name__)

T = TypeVar("T")

CJK_FONTS = ("WenQuanYi Micro Hei", "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", "sans-serif")

BASE_CSS = """
.nq-banner h1 { margin: 0 0 .2em 0; font-size: 1.6em; }
.nq-scope { margin: 0; font-weight: 600; color: #1a3d7c; }
.nq-answer .nq-direct { font-weight: 700; margin: 0 0 .3em 0; }
.nq-answer .nq-more { margin: 0 0 .3em 0; }
.nq-sources-title { margin: .6em 0 .2em 0; font-weight: 700; color: #444; }
table.nq-tasks { border-collapse: collapse; width: 100%; font-size: .92em; margin: .3em 0; }
table.nq-tasks caption { text-align: left; color: #444; padding: .2em 0; }
table.nq-tasks th, table.nq-tasks td { border: 1px solid #999; padding: .3em .5em; vertical-align: top;
  text-align: left; }
table.nq-tasks th { background: #e8eef8; color: #000; white-space: nowrap; }
table.nq-tasks td.nq-num { text-align: center; white-space: nowrap; }
table.nq-tasks td.nq-cat { white-space: nowrap; }
mark.nq-hl { background: #ffe066; color: #000; font-weight: 700; padding: 0 .1em; }
blockquote.nq-quote { border-left: 4px solid #1a3d7c; margin: .4em 0; padding: .3em .8em; background: #f3f6fb;
  color: #111; }
.nq-quote-src { font-weight: 700; }
dl.nq-header { display: grid; grid-template-columns: max-content 1fr; gap: .3em 1em; margin: 0; }
dl.nq-header dt { font-weight: 700; }
dl.nq-header dd { margin: 0; }
.nq-clause h4 { margin: .8em 0 .2em 0; }
.nq-clause p { margin: 0; line-height: 1.7; }
.nq-matrix { overflow-x: auto; }
table.nq-grid { border-collapse: collapse; font-size: .9em; }
table.nq-grid th, table.nq-grid td { border: 1px solid #bbb; padding: .15em .3em; text-align: center; }
table.nq-grid th.nq-unit { text-align: left; white-space: nowrap; }
.nq-cell { display: inline-block; min-width: 1.6em; text-align: center; font-weight: 700; }
td.nq-cell { display: table-cell; }
.nq-lead { background: #b3261e; color: #fff; }
.nq-co { background: #1f6fb2; color: #fff; }
.nq-assist { background: #cfe3c4; color: #1b3d12; }
.nq-legend-item { margin-right: 1.2em; }
.nq-legend-item .nq-cell { margin-right: .3em; padding: 0 .2em; }
"""

KIOSK_CSS = """
body, .gradio-container { background: #fff !important; color: #000 !important; }
.gradio-container { font-size: 24px !important; }
.nq-banner h1 { font-size: 2em; }
.nq-banner h1 { font-size: 40px !important; }
.nq-banner .nq-scope { font-size: 26px !important; color: #000; background: #ffe066; display: inline-block;
  padding: .15em .5em; }
#nq-suggest-title, #nq-suggest-title * { font-size: 24px !important; }
#nq-chat, #nq-chat * { font-size: 24px !important; line-height: 1.55 !important; }
#nq-input textarea { font-size: 28px !important; min-height: 64px; }
.nq-touch, .nq-suggest { min-height: 72px !important; font-size: 24px !important; }
footer { display: none !important; }
"""

# Gradio's own queue-full notice is English; say it the way the rest of the page does.
BUSY_SCRIPT = """
<script>
(() => {
  const busy = "This application is currently busy";
  const zh = "%s";
  const texts = (root) => {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    const out = [];
    for (let n = walker.nextNode(); n; n = walker.nextNode()) { out.push(n); }
    return out;
  };
  const fix = (root) => {
    if (!root) { return; }
    for (const n of texts(root)) {
      if (!n.nodeValue.includes(busy)) { continue; }
      n.nodeValue = zh;
      // The toast around it is titled "Error"; it is a notice, not a fault of the user's.
      const toast = n.parentElement && n.parentElement.closest(".toast-body");
      for (const t of toast ? texts(toast) : []) {
        if (t.nodeValue.trim() === "Error") { t.nodeValue = "提示"; }
      }
    }
  };
  new MutationObserver((records) => {
    for (const r of records) {
      for (const node of r.addedNodes) { fix(node.nodeType === 3 ? node.parentNode : node); }
    }
  }).observe(document.documentElement, { childList: true, subtree: true, characterData: true });
})();
</script>
""" % (BUSY_REPLY + "。")


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


def idle_tick_seconds(idle_seconds: float) -> float:
    """How often a kiosk checks for idleness: often enough to clear on time, never busier than 1/s."""
    return max(1.0, min(10.0, idle_seconds / 6))


def build_app(
    assistant: AssistantLike,
    notice: Notice,
    settings: Settings,
    *,
    new_conversation: Callable[[], Any] | None = None,
) -> gr.Blocks:
    """The app for ``settings.kiosk``, queue configured; launch it with ``launch_kwargs(settings)``.

    ``new_conversation`` makes each session's follow-up state (default ``assistant.chain.Conversation``).
    """
    gr = _gradio()
    make_conversation = new_conversation or _default_conversation()
    kiosk = settings.kiosk
    # Kiosk endpoints are for its own page only; the staff desk documents one endpoint, ``/ask``.
    ask_visibility = "private" if kiosk else "public"

    def ask(message: str, history: ChatHistory, conversation: Any) -> tuple[ChatHistory, Any, str, float]:
        if conversation is None:
            conversation = make_conversation()
        history, conversation, cleared = respond(
            message, history, conversation, assistant=assistant, notice=notice, settings=settings
        )
        return history, conversation, cleared, time.monotonic()

    def clear(conversation: Any) -> tuple[ChatHistory, Any, str, float]:
        return (*clear_chat(conversation), time.monotonic())

    with gr.Blocks(
        title=f"通知问答 · {notice.header.doc_number}", analytics_enabled=False, fill_width=kiosk
    ) as app:
        # Made on a session's first question, not on page load: a State with a callable value would add a
        # public load endpoint per state.
        conversation = gr.State(None)
        last_active = gr.State(None)
        gr.HTML(
            f'<div class="nq-banner"><h1>{escape(notice.header.title)}</h1>'
            f'<p class="nq-scope" id="nq-scope">{escape(scope_line(notice))}</p></div>'
        )

        def chat_panel() -> tuple[Any, Any, Any, Any, list[Any]]:
            chatbot = gr.Chatbot(
                label="问答",
                elem_id="nq-chat",
                height=560 if kiosk else 480,
                buttons=[] if kiosk else ["copy"],
                feedback_options=None,
                placeholder="请就本通知提问，例如：哪些任务由市人社局牵头？",
                sanitize_html=True,
                autoscroll=True,
            )
            with gr.Row(equal_height=True):
                textbox = gr.Textbox(
                    placeholder=f"请输入问题（{settings.max_question_chars}字以内），按回车提问",
                    show_label=False,
                    max_length=settings.max_question_chars,
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
            gr.Markdown("**试试这些问题：**", elem_id="nq-suggest-title")
            with gr.Row(equal_height=True):
                suggestions = [
                    gr.Button(
                        q,
                        size="lg" if kiosk else "sm",
                        elem_classes="nq-suggest",
                        min_width=300 if kiosk else 160,
                    )
                    for q in SUGGESTED_QUESTIONS
                ]
            return chatbot, textbox, ask_btn, clear_btn, suggestions

        if kiosk:
            chatbot, textbox, ask_btn, clear_btn, suggestions = chat_panel()
        else:
            with gr.Tabs():
                with gr.Tab("问答", id="chat"):
                    chatbot, textbox, ask_btn, clear_btn, suggestions = chat_panel()
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
                        "各责任单位在23项任务中的角色（按承担任务数排序；鼠标停在格子上可见任务内容）。"
                    )
                    gr.HTML(render_matrix(notice), elem_id="nq-matrix")

        chat_outputs = [chatbot, conversation, textbox, last_active]
        textbox.submit(
            ask,
            [textbox, chatbot, conversation],
            chat_outputs,
            api_name="ask",
            api_visibility=ask_visibility,
        )
        ask_btn.click(ask, [textbox, chatbot, conversation], chat_outputs, api_visibility="private")
        for button in suggestions:
            button.click(ask, [button, chatbot, conversation], chat_outputs, api_visibility="private")
        clear_btn.click(clear, [conversation], chat_outputs, queue=False, api_visibility="private")
        # The chat's own trash icon must forget the follow-up state too, not just the bubbles.
        chatbot.clear(clear, [conversation], chat_outputs, queue=False, api_visibility="private")

        if kiosk:
            idle_seconds = settings.kiosk_idle_seconds

            def expire(history: ChatHistory, text: str, conversation: Any, since: float | None) -> Any:
                if (history or text) and is_idle(since, time.monotonic(), idle_seconds):
                    return clear(conversation)
                return tuple(gr.skip() for _ in chat_outputs)

            timer = gr.Timer(idle_tick_seconds(idle_seconds))
            timer.tick(
                expire,
                [chatbot, textbox, conversation, last_active],
                chat_outputs,
                queue=False,
                show_progress="hidden",
                api_visibility="private",
            )
            # Typing counts as activity, so a slow typist does not lose a half-written question.
            textbox.input(
                time.monotonic,
                None,
                last_active,
                queue=False,
                show_progress="hidden",
                api_visibility="private",
            )

    # api_open=False: /gradio_api/run/<name> no longer runs a queued handler beside the queue (404).
    app.queue(default_concurrency_limit=settings.concurrency, max_size=settings.queue_size, api_open=False)
    return app


def theme(settings: Settings) -> Any:
    """Local CJK fonts (nothing fetched from the internet); large, high-contrast sizes for the kiosk."""
    gr = _gradio()
    if not settings.kiosk:
        return gr.themes.Default(font=list(CJK_FONTS))
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
        "css": BASE_CSS + (KIOSK_CSS if settings.kiosk else ""),
        "head": BUSY_SCRIPT,
        # No API, settings or "built with" links in a kiosk; the staff desk keeps the API page.
        "footer_links": [] if settings.kiosk else ["api", "settings"],
        "run_history": False,  # nothing of a session is saved in the browser
        "show_error": False,
        "enable_monitoring": False,
        "mcp_server": False,
        "ssr_mode": False,
        "pwa": False,
        "share": False,
        "max_file_size": 0,  # no feature takes a file: every upload is refused (ui.guard refuses first)
    }


# /api/ask conversations one replica keeps (Gradio keeps 10 000 session states by default too).
API_SESSIONS = 10_000


class AskRequest(BaseModel):
    """The body of ``POST /api/ask``: a question and, to ask follow-ups, a session id the client chooses."""

    question: str
    session: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.-]{1,64}$")


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
    assistant: AssistantLike,
    settings: Settings,
    *,
    new_conversation: Callable[[], Any] | None = None,
) -> list[Any]:
    """HTTP routes served beside the page; give them to ``launch`` as ``app_kwargs={"routes": ...}``.

    ``GET /healthz`` (both modes): ``index.health.check_health`` plus ``"assistant": "ok"``; 200 when ok,
    else 503, for a proxy's or orchestrator's health check. ``POST /api/ask`` (staff desk only):
    ``{"question": "...", "session": "..."}`` -> ``Answer.to_json()``; the chat's input cap (413), 500 with
    ``ERROR_REPLY`` when answering fails, 503 with ``BUSY_REPLY`` when its own queue (``settings.concurrency``
    running, ``settings.queue_size`` waiting, separate from the page's queue) is full.
    """
    from fastapi import APIRouter, Header
    from fastapi.responses import JSONResponse
    from starlette.concurrency import run_in_threadpool

    from index.health import check_health

    router = APIRouter()

    @router.get("/healthz", response_model=None)
    async def healthz() -> JSONResponse:
        report = public_health(await run_in_threadpool(check_health, settings))
        return JSONResponse(report, status_code=200 if report["ok"] else 503)

    token = settings.api_token.get_secret_value() if settings.api_token else ""
    if settings.kiosk or not token:  # a kiosk answers its own page only; no token, no API
        return list(router.routes)

    gate = AskGate(settings.concurrency, settings.queue_size)
    sessions = ApiSessions(new_conversation or _default_conversation())

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
        started = time.perf_counter()
        if len(question) > settings.max_question_chars:
            ms = (time.perf_counter() - started) * 1000
            log_turn(question, settings, via="api", route="input", refused=True, latency_ms=ms)
            return refuse(413, "too_long", too_long_reply(settings))
        conversation = sessions.get(body.session)
        try:
            answer = await gate.run(lambda: assistant.ask(question, conversation))
        except Exception as exc:  # as in the chat: one friendly line; the log gets frames, not the text
            log_failure(question, settings, exc, via="api")
            return refuse(500, "error", ERROR_REPLY)
        if answer is None:
            logger.warning("api busy: %d questions already admitted", gate.limit)
            return refuse(503, "busy", BUSY_REPLY)
        log_turn(
            question,
            settings,
            via="api",
            route=answer.route,
            refused=answer.refused,
            latency_ms=answer.latency_ms or (time.perf_counter() - started) * 1000,
            sources=tuple(c.source for c in answer.citations),
        )
        return JSONResponse(answer.to_json(), status_code=500 if answer.route == "error" else 200)

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
    assistant: AssistantLike, settings: Settings, *, new_conversation: Callable[[], Any] | None = None
) -> Any:
    """The FastAPI app Gradio serves the page on: our routes, no OpenAPI, wrapped in ``ui.guard.Guard``.

    Gradio adds its own middleware (CORS, compression) to this app when it launches; the guard wraps the
    finished middleware stack, so its limits and headers hold for every route, Gradio's included.
    """
    _gradio()
    from gradio.routes import App, ORJSONResponse

    max_body, hidden = settings.max_request_bytes, hidden_paths(settings.kiosk)

    class GuardedApp(App):
        def build_middleware_stack(self) -> Any:
            return Guard(super().build_middleware_stack(), max_body=max_body, hidden=hidden)

    return GuardedApp(
        routes=server_routes(assistant, settings, new_conversation=new_conversation),
        default_response_class=ORJSONResponse,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )


def start(
    app: gr.Blocks,
    assistant: AssistantLike,
    settings: Settings,
    *,
    block: bool = True,
    quiet: bool = False,
    new_conversation: Callable[[], Any] | None = None,
) -> str:
    """Launch ``app`` hardened (``server_app``) at settings.host:settings.port; its URL. Blocks if ``block``."""
    quiet_gradio_tracebacks()
    app.launch(
        server_name=settings.host,
        server_port=settings.port,
        # Gradio's own hook for a prepared app (its public app_kwargs cannot wrap Gradio's middleware).
        _app=server_app(assistant, settings, new_conversation=new_conversation),
        prevent_thread_lock=True,
        quiet=quiet,
        **launch_kwargs(settings),
    )
    install_log_redactor()  # after the launch: uvicorn configures its log handlers when it starts
    if block:
        app.block_thread()
    return f"http://{settings.host}:{settings.port}/"


def serve(settings: Settings) -> None:
    """Parse the notice, load the assistant and serve the app at settings.host:settings.port (blocks)."""
    from assistant.wiring import load_assistant
    from corpus.parser import parse_notice

    notice = parse_notice()
    assistant = load_assistant(settings)
    app = build_app(assistant, notice, settings)
    logger.info(
        "serving %s on http://%s:%d (kiosk=%s, concurrency=%d, queue=%d, api=%s)",
        notice.header.doc_number,
        settings.host,
        settings.port,
        settings.kiosk,
        settings.concurrency,
        settings.queue_size,
        "on"
        if settings.api_token and settings.api_token.get_secret_value() and not settings.kiosk
        else "off",
    )
    start(app, assistant, settings)
