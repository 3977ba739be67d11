"""What the app writes to its log: one line per turn, with a keyed hash instead of the question.

- ``question_id``: HMAC-SHA256 of the question under ``settings.assistant.log_key`` (or a key drawn at random when
  the process starts), 64 bits in hex. Lines of one run can be correlated; a guessed question cannot be
  confirmed without the key.
- ``log_turn``: the one INFO line of a turn, from the page or ``/api/ask``.
- ``LogRedactor``: a handler filter for the server. It drops the assistant's own INFO turn line (the UI
  logs the turn once) and withholds the unkeyed hash in its error lines, escapes control characters in
  every message, and replaces an exception's message (which may quote a request) by its type and frames.
- ``quiet_gradio_tracebacks``: Gradio prints a failed event's traceback, message and received data
  included, straight to stderr; this sends it through the log as type and frames instead.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
import traceback
from types import ModuleType
from typing import Any

from corpus.settings import Settings

logger = logging.getLogger("ui.turn")

_PROCESS_KEY = secrets.token_bytes(32)  # "random per start" when no NOTICE_QA_LOG_KEY is set
# C0 and C1 controls (ESC, BEL, NUL, CR, LF, …), DEL, and bidirectional overrides that reorder a line.
_UNKEYED = re.compile(r"(sha256[ :=]?)[0-9a-f]{8,64}")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def question_id(question: str, settings: Settings) -> str:
    """The question's keyed hash for logs: 16 hex digits of HMAC-SHA256."""
    secret = settings.assistant.log_key.get_secret_value() if settings.assistant.log_key else ""
    key = secret.encode("utf-8") if secret else _PROCESS_KEY
    return hmac.new(key, question.encode("utf-8", "replace"), hashlib.sha256).hexdigest()[:16]


def clean(text: str) -> str:
    r"""``text`` with every control character written as an escape (\x1b, \n, \u202e)."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def log_turn(
    question: str,
    settings: Settings,
    *,
    via: str,
    route: str,
    refused: bool,
    latency_ms: float,
    sources: tuple[str, ...] = (),
) -> None:
    """The one line of a turn; the text itself only when ``settings.assistant.log_questions`` asks for it (escaped)."""
    text = f" text={clean(question)}" if settings.assistant.log_questions else ""
    logger.info(
        "turn via=%s q=%s len=%d route=%s refused=%s latency_ms=%.0f sources=%s%s",
        via,
        question_id(question, settings),
        len(question),
        route or "-",
        refused,
        latency_ms,
        ",".join(sources) or "-",
        text,
    )


def log_failure(question: str, settings: Settings, exc: BaseException, *, via: str) -> None:
    """A failed answer: the exception's type and frames, never its message (it may quote the question)."""
    logger.error(
        "answer failed via=%s q=%s len=%d: %s\n%s",
        via,
        question_id(question, settings),
        len(question),
        type(exc).__name__,
        "".join(traceback.format_tb(exc.__traceback__)).rstrip(),
    )


class LogRedactor(logging.Filter):
    """A handler filter: one turn line per turn, no control characters, no exception messages."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("assistant.") and record.levelno < logging.WARNING:
            return False  # the assistant's own turn line; ui.turn logs each turn once
        if getattr(record, "nq_redacted", False):  # one record passes every handler's filter
            return True
        record.nq_redacted = True
        message = record.getMessage()
        if record.name.startswith(
            "assistant."
        ):  # its fingerprint is an unkeyed hash: a guess could be checked
            message = _UNKEYED.sub(r"\1withheld", message)
        if record.name.startswith("ui."):  # our own lines may carry frames after the first line
            first, sep, frames = message.partition("\n")
            record.msg = clean(first) + sep + frames
        else:
            record.msg = clean(message)
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            record.exc_text = (
                f"{type(exc).__name__} (message withheld)\n"
                + "".join(traceback.format_tb(exc.__traceback__)).rstrip()
            )
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = clean(record.exc_text)
        return True


class _QuietTraceback:
    """Stands in for the ``traceback`` module inside Gradio's modules: ``print_exc`` goes to the log."""

    def __init__(self, real: ModuleType) -> None:
        self._real = real
        self._log = logging.getLogger("ui.gradio")

    def print_exc(self, *args: Any, **kwargs: Any) -> None:
        import sys

        exc = sys.exc_info()[1]
        if exc is None:
            return
        frames = "".join(self._real.format_tb(exc.__traceback__)).rstrip()
        self._log.error("gradio event failed: %s (message withheld)\n%s", type(exc).__name__, frames)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def quiet_gradio_tracebacks() -> None:
    """Route the tracebacks Gradio prints itself (queue, direct API, streaming) through the log."""
    import importlib

    for name in ("gradio.queueing", "gradio.routes", "gradio.route_utils", "gradio.utils"):
        module = importlib.import_module(name)
        if isinstance(getattr(module, "traceback", None), ModuleType):
            module.traceback = _QuietTraceback(module.traceback)  # type: ignore[attr-defined]


SERVER_LOGGERS = ("", "uvicorn", "uvicorn.error", "uvicorn.access")


def install_log_redactor(names: tuple[str, ...] = SERVER_LOGGERS) -> None:
    """Add one ``LogRedactor`` to each handler of these loggers (root and uvicorn's; idempotent).

    Call it after the server has started: uvicorn configures its own handlers then.
    """
    for name in names:
        for handler in logging.getLogger(name).handlers:
            if not any(isinstance(f, LogRedactor) for f in handler.filters):
                handler.addFilter(LogRedactor())
