"""What a server does to its log: no control characters, no exception messages, no Gradio tracebacks.

The turn line itself (a keyed hash, never the text) is written by ``Assistant.ask`` (assistant/turnlog.py).

- ``LogRedactor``: a handler filter for the server. It escapes control characters in every message and replaces
  an exception's message (which may quote a request) by its type and frames.
- ``quiet_gradio_tracebacks``: Gradio prints a failed event's traceback, message and received data
  included, straight to stderr; this sends it through the log as type and frames instead.
"""

from __future__ import annotations

import logging
import traceback
from types import ModuleType
from typing import Any

from assistant.turnlog import clean


class LogRedactor(logging.Filter):
    """A handler filter: no control characters, no exception messages."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "nq_redacted", False):  # one record passes every handler's filter
            return True
        record.nq_redacted = True
        message = record.getMessage()
        if record.name.startswith(
            ("ui.", "assistant.")
        ):  # our own lines may carry frames after the first line
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
