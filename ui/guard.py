"""The app's outermost ASGI layer: limits and headers that no Gradio route can skip.

``Guard`` wraps the whole server application (outside Gradio's own CORS and compression middleware):

- a request body larger than ``max_body`` bytes is refused with 413 before the app reads it
  (by ``Content-Length``, or while a chunked body streams in);
- uploads (``/gradio_api/upload``, ``/gradio_api/process_recording``) are refused with 403: no feature
  of the app takes a file;
- ``hidden`` paths (the OpenAPI listings, the kiosk's API info) answer 404;
- no CORS: every ``Access-Control-*`` response header is dropped and a preflight gets 403, so no other
  origin can read an answer or send a credentialed request;
- every response says ``X-Frame-Options: DENY``, ``Content-Security-Policy: frame-ancestors 'none'``,
  ``X-Content-Type-Options: nosniff`` and ``Referrer-Policy: no-referrer``.

Nothing here imports gradio; the unit tests drive ``Guard`` around a tiny ASGI app.
"""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

logger = logging.getLogger("ui.guard")

SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", b"frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
)
_REPLACED = {name for name, _ in SECURITY_HEADERS}
UPLOAD_SUFFIXES = ("/gradio_api/upload", "/gradio_api/process_recording")
# Machine-readable route listings; the staff desk keeps Gradio's own API page (/gradio_api/info).
OPENAPI_PATHS = ("/openapi.json", "/docs", "/redoc", "/gradio_api/openapi.json", "/gradio_api/docs")
KIOSK_HIDDEN_PATHS = (*OPENAPI_PATHS, "/gradio_api/info")


def hidden_paths(kiosk: bool) -> frozenset[str]:
    """Paths that answer 404: the OpenAPI listings everywhere, and on a kiosk Gradio's API info too."""
    paths = KIOSK_HIDDEN_PATHS if kiosk else OPENAPI_PATHS
    return frozenset(p for path in paths for p in (path, path + "/"))


class Guard:
    """Wrap ``app`` (an ASGI application) with the limits and headers described in the module docstring."""

    def __init__(self, app: ASGIApp, *, max_body: int, hidden: Iterable[str] = ()) -> None:
        if max_body <= 0:
            raise ValueError(f"max_body must be > 0, got {max_body}")
        self.app = app
        self.max_body = max_body
        self.hidden = frozenset(hidden)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        if path in self.hidden:
            await _reply(send, 404, {"detail": "Not Found"})
            return
        if path.rstrip("/").endswith(UPLOAD_SUFFIXES):
            await _reply(send, 403, {"error": "uploads_disabled", "message": "本系统不接收文件。"})
            return
        if scope.get("method") == "OPTIONS" and b"access-control-request-method" in headers:
            await _reply(send, 403, {"error": "cors", "message": "cross-origin requests are not allowed"})
            return
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body):
            await _reply(send, 413, _too_large(self.max_body))
            return
        await _Exchange(self, receive, send).run(scope)


class _Exchange:
    """One request: counts the body as it streams in and rewrites the response's headers."""

    def __init__(self, guard: Guard, receive: Receive, send: Send) -> None:
        self.guard = guard
        self._receive = receive
        self._send = send
        self.received = 0
        self.started = False
        self.refused = False

    async def run(self, scope: Scope) -> None:
        try:
            await self.guard.app(scope, self.receive, self.send)
        except Exception as exc:  # a fault inside Gradio or a route: logged as type and frames, answered 500
            frames = "".join(traceback.format_tb(exc.__traceback__)).rstrip()
            logger.error("request failed: %s (message withheld)\n%s", type(exc).__name__, frames)
            if not self.started:
                await _reply(self._send, 500, {"error": "error", "message": "抱歉，系统出错了，请稍后再试。"})

    async def receive(self) -> Message:
        if self.refused:
            return {"type": "http.disconnect"}
        message = await self._receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.guard.max_body:
                # Answer 413 ourselves; the app sees a client that went away and whatever it sends is dropped.
                if not self.started:
                    await _reply(self._send, 413, _too_large(self.guard.max_body))
                    self.started = True
                self.refused = True
                return {"type": "http.disconnect"}
        return message

    async def send(self, message: Message) -> None:
        if self.refused:
            return
        if message["type"] == "http.response.start":
            self.started = True
            message["headers"] = _secured(message.get("headers", []))
        await self._send(message)


def _secured(headers: Iterable[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    kept = [
        (k, v)
        for k, v in headers
        if not k.lower().startswith(b"access-control-") and k.lower() not in _REPLACED
    ]
    return kept + list(SECURITY_HEADERS)


def _too_large(limit: int) -> dict[str, str]:
    return {"error": "too_large", "message": f"请求太大（上限{limit}字节）。"}


async def _reply(send: Send, status: int, body: dict[str, str]) -> None:
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    headers = [
        (b"content-type", b"application/json; charset=utf-8"),
        (b"content-length", str(len(data)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": status, "headers": _secured(headers)})
    await send({"type": "http.response.body", "body": data})
