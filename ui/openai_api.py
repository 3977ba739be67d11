"""An OpenAI-compatible chat API on the staff desk: ``GET /v1/models`` and ``POST /v1/chat/completions``.

Chat clients and platforms that speak the OpenAI chat API (Cherry Studio, ChatBox, Open WebUI, LobeChat, Dify,
FastGPT, the ``openai`` package, LangChain's ``ChatOpenAI``) ask the notice through it. The routes exist only on
a staff desk started with ``NOTICE_QA_API_KEYS`` (comma-separated bearer keys); never on a kiosk.

- ``messages``: system (and developer, tool) messages are ignored; the user turns before the last are replayed
  through the assistant into one ``Conversation`` (at most ``MAX_REPLAYED_TURNS``, the latest), so the last
  user message is answered as a follow-up (「那市财政局呢？」). Assistant messages are not read: the replay
  recomputes them.
- The reply's ``content`` is the answer with its sources under it as plain text; the structured fields ride
  along in the extension field ``notice_qa`` of the response (and of the last chunk when streaming):
  ``{"answer", "refused", "tasks", "citations": [{"source", "text"}]}``.
- ``stream: true``: server-sent events in the OpenAI chunk format, ending with ``data: [DONE]``.
- Errors in the OpenAI format ``{"error": {"message", "type", "param", "code"}}``: 401 ``invalid_api_key``,
  429 ``rate_limit_exceeded`` with ``Retry-After`` (``NOTICE_QA_API_KEY_RATE_LIMIT`` requests per minute per
  key), 413 ``request_too_large`` (the app's body cap), 400 for a malformed request or a question over
  ``max_question_chars`` (``context_length_exceeded``), 404 ``model_not_found``, 503 when its queue is full.

FastAPI is imported inside ``openai_routes``; only Starlette's small request class is imported with the module.
"""

from __future__ import annotations

import hmac
import json
import logging
import math
import secrets
import time
from collections.abc import AsyncIterator, Callable, Iterable
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request  # at module level: FastAPI resolves the routes' annotations here

from assistant.answer import TOO_LONG_ROUTE, Answer, SupportsAsk
from assistant.turnlog import TurnLog
from corpus.errors import NoticeQAError
from corpus.settings import Settings
from ui.guard import ASGIApp, Message, Receive, Scope, Send
from ui.handlers import BUSY_REPLY, ERROR_REPLY

if TYPE_CHECKING:
    from starlette.responses import JSONResponse

logger = logging.getLogger(__name__)

MODEL_ID = "notice-qa"
MODEL_CREATED = 1_764_374_400  # 2025-11-29, fixed: /v1/models lists the same object on every replica
MODEL = {"id": MODEL_ID, "object": "model", "created": MODEL_CREATED, "owned_by": "notice-qa"}
PREFIX = "/v1/"
EXTENSION = "notice_qa"  # the response's field with the structured answer
MAX_REPLAYED_TURNS = 20  # earlier user turns replayed into the conversation, the latest kept
SOURCES_TITLE = "依据："


# -- the request ------------------------------------------------------------------------------------------------


class TextPart(BaseModel):
    """One part of a message's content given as a list; only text parts are read."""

    model_config = ConfigDict(extra="ignore")

    type: str
    text: str | None = None


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")

    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[TextPart] | None = None


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="ignore")

    include_usage: bool = False


class ChatRequest(BaseModel):
    """The fields of an OpenAI chat-completions request that notice-qa reads; others are ignored."""

    model_config = ConfigDict(extra="ignore")

    model: str = MODEL_ID
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool | None = False
    stream_options: StreamOptions | None = None
    n: int | None = Field(default=1, ge=1, le=1)
    user: str | None = None


class BadRequest(NoticeQAError, ValueError):
    """A request the API cannot answer; ``param`` and ``code`` go into the OpenAI error body."""

    def __init__(self, message: str, *, param: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.param = param
        self.code = code


def message_text(message: ChatMessage, index: int) -> str:
    """A message's text: its string content, or its text parts joined; BadRequest for images and the like."""
    if message.content is None:
        return ""
    if isinstance(message.content, str):
        return message.content
    texts = []
    for part in message.content:
        if part.type != "text" or part.text is None:
            raise BadRequest(
                f"only text content is supported, got a {part.type!r} part",
                param=f"messages[{index}].content",
                code="unsupported_content",
            )
        texts.append(part.text)
    return "".join(texts)


def parse_request(body: bytes) -> ChatRequest:
    """The request body as a ``ChatRequest``; BadRequest naming the field that is wrong."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest("the request body is not valid JSON", code="invalid_json") from exc
    if not isinstance(data, dict):
        raise BadRequest(f"the request body must be a JSON object, got {type(data).__name__}")
    try:
        return ChatRequest.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        param = ".".join(str(p) for p in first["loc"]) or None
        raise BadRequest(f"{param or 'request'}: {first['msg']}", param=param) from exc


def split_turns(request: ChatRequest) -> tuple[list[str], str]:
    """The earlier user turns (oldest first, the latest ``MAX_REPLAYED_TURNS``) and the question to answer.

    The last message must be the user's; system, developer, tool and assistant messages are not turns.
    """
    if request.model != MODEL_ID:
        raise BadRequest(
            f"the model {request.model!r} does not exist; use {MODEL_ID!r}",
            param="model",
            code="model_not_found",
        )
    last = request.messages[-1]
    if last.role != "user":
        raise BadRequest(
            f"the last message must be the user's question, got role {last.role!r}", param="messages"
        )
    question = message_text(last, len(request.messages) - 1).strip()
    if not question:
        raise BadRequest("the last user message is empty", param="messages")
    earlier = [
        message_text(m, i).strip()
        for i, m in enumerate(request.messages[:-1])
        if m.role == "user" and message_text(m, i).strip()
    ]
    return earlier[-MAX_REPLAYED_TURNS:], question


# -- the reply --------------------------------------------------------------------------------------------------


def reply_text(answer: Answer) -> str:
    """The answer, then its sources under 「依据：」, one ``[source] text`` line each (as ``notice-qa ask``)."""
    if not answer.citations:
        return answer.answer
    lines = [answer.answer, "", SOURCES_TITLE, *(f"[{c.source}] {c.text}" for c in answer.citations)]
    return "\n".join(lines)


def extension(answer: Answer) -> dict[str, Any]:
    """The structured answer carried in the response's ``notice_qa`` field."""
    return {
        "answer": answer.answer,
        "refused": answer.refused,
        "tasks": list(answer.tasks),
        "citations": [c.to_json() for c in answer.citations],
    }


def usage(question: str, content: str) -> dict[str, int]:
    """Usage in characters (notice-qa has no tokenizer to count by), so that clients that show it can."""
    return {
        "prompt_tokens": len(question),
        "completion_tokens": len(content),
        "total_tokens": len(question) + len(content),
    }


def completion(answer: Answer, question: str, completion_id: str, created: int) -> dict[str, Any]:
    """A ``chat.completion`` object for ``answer``."""
    content = reply_text(answer)
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": created,
        "model": MODEL_ID,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": None},
                "finish_reason": "stop",
                "logprobs": None,
            }
        ],
        "usage": usage(question, content),
        EXTENSION: extension(answer),
    }


def content_pieces(content: str) -> list[str]:
    """``content`` cut into stream deltas, a line each: joined, they give ``content`` back exactly."""
    return content.splitlines(keepends=True) or [content]


def chunks(
    answer: Answer, question: str, completion_id: str, created: int, *, include_usage: bool = False
) -> Iterable[dict[str, Any]]:
    """The ``chat.completion.chunk`` objects of a streamed answer: the role, a delta per line, then the stop
    (carrying ``notice_qa``), then usage when asked for."""
    content = reply_text(answer)

    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": MODEL_ID,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
        }
        return {**body, **extra}

    yield chunk({"role": "assistant", "content": ""})
    for piece in content_pieces(content):
        yield chunk({"content": piece})
    yield chunk({}, "stop", **{EXTENSION: extension(answer)})
    if include_usage:
        last = chunk({})
        last["choices"] = []
        last["usage"] = usage(question, content)
        yield last


def sse(obj: dict[str, Any] | str) -> bytes:
    """One server-sent event: ``data: <json>`` (or ``data: [DONE]``) and a blank line."""
    data = obj if isinstance(obj, str) else json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    return f"data: {data}\n\n".encode()


# -- keys and limits --------------------------------------------------------------------------------------------


def api_keys(settings: Settings) -> tuple[str, ...]:
    """The bearer keys of ``settings.api.keys`` (comma-separated, blanks dropped); none: no API."""
    raw = settings.api.keys.get_secret_value() if settings.api.keys else ""
    return tuple(dict.fromkeys(k.strip() for k in raw.split(",") if k.strip()))


def key_index(header: str | None, keys: tuple[str, ...]) -> int | None:
    """Which key ``Authorization: Bearer <key>`` gives (each compared in constant time); None for none."""
    scheme, _, given = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        return None
    found = None
    for i, key in enumerate(keys):  # every key is compared, so the time does not tell which one matched
        if hmac.compare_digest(given.strip().encode("utf-8"), key.encode("utf-8")):
            found = i
    return found


class KeyRateLimit:
    """A token bucket per key: ``per_minute`` requests at once, refilled at ``per_minute`` a minute."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        if per_minute <= 0:
            raise ValueError(f"per_minute must be > 0, got {per_minute}")
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self._clock = clock
        self._buckets: dict[int, tuple[float, float]] = {}  # key -> (tokens, when); on the event loop only

    def take(self, key: int) -> float:
        """0 when the request is admitted; otherwise the seconds until this key may ask again."""
        now = self._clock()
        tokens, last = self._buckets.get(key, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - last) * self.rate)
        if tokens >= 1:
            self._buckets[key] = (tokens - 1, now)
            return 0.0
        self._buckets[key] = (tokens, now)
        return (1 - tokens) / self.rate


def error_body(
    message: str, *, kind: str = "invalid_request_error", code: str | None = None, param: str | None = None
) -> dict[str, Any]:
    """The OpenAI error object."""
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


def error_response(
    status: int,
    message: str,
    *,
    kind: str = "invalid_request_error",
    code: str | None = None,
    param: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    from starlette.responses import JSONResponse

    body = error_body(message, kind=kind, code=code, param=param)
    return JSONResponse(body, status_code=status, headers=headers)


# -- the routes -------------------------------------------------------------------------------------------------


def openai_routes(
    assistant: SupportsAsk,
    settings: Settings,
    *,
    new_conversation: Callable[[], Any] | None = None,
) -> list[Any]:
    """``GET /v1/models`` and ``POST /v1/chat/completions`` for the app; none on a kiosk or without keys.

    Answers run in their own admission gate (``settings.app.concurrency`` at once, ``settings.app.queue_size``
    waiting), apart from the page's queue and ``/api/ask``'s.
    """
    keys = api_keys(settings)
    if settings.app.kiosk or not keys:
        return []
    from fastapi import APIRouter
    from starlette.requests import ClientDisconnect
    from starlette.responses import JSONResponse, Response, StreamingResponse

    from ui.app import AskGate  # ui.app imports this module at its top; by now it is loaded

    if new_conversation is None:
        from assistant.conversation import Conversation

        new_conversation = Conversation
    make_conversation = new_conversation
    gate = AskGate(settings.app.concurrency, settings.app.queue_size)
    limit = KeyRateLimit(settings.api.key_rate_limit)
    router = APIRouter()
    logger.info("OpenAI-compatible API on /v1 (%d keys, %d requests/min each)", len(keys), limit.capacity)

    def admit(request: Request) -> Response | None:
        """401 without a valid key, 429 past the key's rate; None when the request may go on."""
        key = key_index(request.headers.get("authorization"), keys)
        if key is None:
            given = bool(request.headers.get("authorization"))
            message = "Incorrect API key provided." if given else "You didn't provide an API key."
            return error_response(
                401,
                f"{message} Send 'Authorization: Bearer <key>' with a key from NOTICE_QA_API_KEYS.",
                code="invalid_api_key",
                headers={"WWW-Authenticate": "Bearer"},
            )
        wait = limit.take(key)
        if wait > 0:
            retry = max(1, math.ceil(wait))
            return error_response(
                429,
                f"Rate limit reached: {int(limit.capacity)} requests per minute for this key. "
                f"Try again in {retry} s.",
                kind="requests",
                code="rate_limit_exceeded",
                headers={"Retry-After": str(retry)},
            )
        return None

    @router.get("/v1/models", response_model=None)
    async def models(request: Request) -> Response:
        refused = admit(request)
        if refused is not None:
            return refused
        return JSONResponse({"object": "list", "data": [MODEL]})

    @router.get("/v1/models/{model_id}", response_model=None)
    async def model(model_id: str, request: Request) -> Response:
        refused = admit(request)
        if refused is not None:
            return refused
        if model_id != MODEL_ID:
            return error_response(
                404, f"The model {model_id!r} does not exist.", param="model", code="model_not_found"
            )
        return JSONResponse(MODEL)

    def answer_all(earlier: list[str], question: str) -> Answer:
        conversation = make_conversation()
        for (
            turn
        ) in earlier:  # the history, replayed (not logged again) so the last question reads as a follow-up
            assistant.ask(turn, conversation, via=None)
        return assistant.ask(question, conversation, via="openai")

    @router.post("/v1/chat/completions", response_model=None)
    async def chat_completions(request: Request) -> Response:
        refused = admit(request)
        if refused is not None:
            return refused
        try:
            body = await request.body()
        except ClientDisconnect:  # the guard cut an over-long chunked body and has answered 413 already
            return Response(status_code=413)
        try:
            chat = parse_request(body)
            earlier, question = split_turns(chat)
        except BadRequest as exc:
            status = 404 if exc.code == "model_not_found" else 400
            return error_response(status, str(exc), param=exc.param, code=exc.code)
        try:
            answer = await gate.run(lambda: answer_all(earlier, question))
        except Exception as exc:  # as in the chat: one friendly line; the log gets frames, not the text
            TurnLog(settings.assistant.log_key).failure(question, exc, via="openai")
            return error_response(500, ERROR_REPLY, kind="server_error", code="error")
        if answer is None:
            logger.warning("openai api busy: %d questions already admitted", gate.limit)
            return error_response(
                503, BUSY_REPLY, kind="server_error", code="busy", headers={"Retry-After": "1"}
            )
        if answer.route == TOO_LONG_ROUTE:  # the assistant's one limit and wording, in OpenAI's error shape
            return error_response(400, answer.answer, param="messages", code="context_length_exceeded")
        if answer.route == "error":
            return error_response(500, ERROR_REPLY, kind="server_error", code="error")
        completion_id = f"chatcmpl-{secrets.token_hex(12)}"
        created = int(time.time())
        if not chat.stream:
            return JSONResponse(completion(answer, question, completion_id, created))
        include_usage = bool(chat.stream_options and chat.stream_options.include_usage)

        async def events() -> AsyncIterator[bytes]:
            for c in chunks(answer, question, completion_id, created, include_usage=include_usage):
                yield sse(c)
            yield sse("[DONE]")

        return StreamingResponse(
            events(),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    return list(router.routes)


# -- errors that come from outside the routes -------------------------------------------------------------------

_CODES = {"too_large": "request_too_large"}


class OpenAIErrors:
    """Wrap the app (outside ``ui.guard.Guard``) so that every error under ``/v1/`` is an OpenAI error object:
    the guard's 413 for a large body and its 500, and the router's 404 and 405, keep their status."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope.get("path", "")).startswith(PREFIX):
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        body = b""

        async def rewrite(message: Message) -> None:
            nonlocal start, body
            if message["type"] == "http.response.start":
                if int(message["status"]) < 400:
                    await send(message)
                    return
                start = message  # an error: held until its body is whole
                return
            if start is None or message["type"] != "http.response.body":
                await send(message)
                return
            body += message.get("body", b"")
            if message.get("more_body", False):
                return
            status = int(start["status"])
            data = json.dumps(_as_openai(status, body), ensure_ascii=False).encode("utf-8")
            headers = [
                (k, v)
                for k, v in start.get("headers", [])
                if k.lower() not in (b"content-length", b"content-type", b"content-encoding")
            ]
            headers += [
                (b"content-type", b"application/json; charset=utf-8"),
                (b"content-length", str(len(data)).encode()),
            ]
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": data})

        await self.app(scope, receive, rewrite)


def _as_openai(status: int, body: bytes) -> dict[str, Any]:
    """An error body as the OpenAI error object; one that already is one is kept."""
    from http import HTTPStatus

    try:
        data = json.loads(body) if body else None
    except (ValueError, UnicodeDecodeError):
        data = None
    if isinstance(data, dict) and isinstance(data.get("error"), dict):
        return data
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    message, code = phrase, None
    if isinstance(data, dict):
        message = str(data.get("message") or data.get("detail") or phrase)
        code = _CODES.get(str(data.get("error")), data.get("error")) if data.get("error") else None
    if code is None:
        code = {404: "not_found", 405: "method_not_allowed", 413: "request_too_large"}.get(status)
    kind = "server_error" if status >= 500 else "invalid_request_error"
    return error_body(message, kind=kind, code=code)
