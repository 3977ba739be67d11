"""The hardened app over real HTTP on loopback: a staff desk and a kiosk, each a real Gradio server in this
process with a small fake assistant (no model), launched the way ``notice-qa serve`` launches them.

What an attacker would try: the queue skipped through ``/gradio_api/run``, uploads, large bodies, the API
without its token, other origins, framing, route listings, paths in ``/healthz`` — and the log, which must
hold neither the question's text nor a control character whatever the request.
"""

from __future__ import annotations

import io
import json
import logging
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from assistant.answer import Reply
from assistant.chain import Assistant
from assistant.turnlog import TurnLog, question_id
from corpus.parser import parse_notice
from corpus.settings import Settings
from tests.processes import free_port

pytestmark = pytest.mark.timeout(180)

TOKEN = "test-token-7f3a"
SECRET = "机密问题ZQX\x07\x1b[31m\x00\u202e尾"
CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e]")  # \n is how lines end
MAX_BODY = 64 * 1024


class _Assistant(Assistant):
    """The real assistant's ``ask`` (its input limit, its one log line) over a fixed answer; fails on 爆炸."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(
            parse_notice(),
            None,
            max_question_chars=settings.assistant.max_question_chars,
            turn_log=TurnLog(settings.assistant.log_key),
        )

    def _understand(self, t: Any) -> Any:
        if t.reply is not None:
            return t
        if "爆炸" in t.question:
            raise RuntimeError(f"failed on {t.question}")
        return replace(t, route="table", reply=Reply("第12项由市人社局牵头。", tasks=(12,), cite=(12,)))

    def _answer(self, t: Any) -> Any:
        return t


@dataclass
class Server:
    url: str
    app: Any
    settings: Settings
    log: io.StringIO

    def fn_index(self, api_name: str) -> int:
        for i, dep in enumerate(self.app.get_config_file()["dependencies"]):
            if dep.get("api_name") == api_name:
                return int(dep.get("id", i))
        raise AssertionError(f"no event named {api_name}")


def _launch(**changes: Any) -> Iterator[Server]:
    from ui.app import build_app, start

    settings = Settings(
        port=free_port(),
        max_request_bytes=MAX_BODY,
        max_question_chars=40,
        log_key=SecretStr("k1"),
        **changes,
    )
    log = io.StringIO()
    handler = logging.StreamHandler(log)
    root = logging.getLogger()
    root.addHandler(handler)
    old_level = root.level
    root.setLevel(logging.INFO)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # this test's own client, as `notice-qa serve` does
    app = build_app(_Assistant(settings), parse_notice(), settings, new_conversation=dict)
    try:
        url = start(app, _Assistant(settings), settings, block=False, quiet=True, new_conversation=dict)
        yield Server(url.rstrip("/"), app, settings, log)
    finally:
        app.close()
        root.removeHandler(handler)
        root.setLevel(old_level)


@pytest.fixture(scope="module")
def desk() -> Iterator[Server]:
    yield from _launch(api_token=SecretStr(TOKEN))


@pytest.fixture(scope="module")
def kiosk() -> Iterator[Server]:
    yield from _launch(kiosk=True, api_token=SecretStr(TOKEN))


@pytest.fixture(scope="module")
def desk_without_token() -> Iterator[Server]:
    yield from _launch()


def _client(server: Server) -> httpx.Client:
    return httpx.Client(base_url=server.url, timeout=20, trust_env=False)


def _ask_page(server: Server, question: str, session: str) -> dict[str, Any]:
    """Ask through the page's own path: join the queue, then read the answer from the event stream."""
    with _client(server) as client:
        joined = client.post(
            "/gradio_api/queue/join",
            json={"data": [question, [], None], "fn_index": server.fn_index("ask"), "session_hash": session},
        )
        assert joined.status_code == 200, joined.text
        with client.stream("GET", "/gradio_api/queue/data", params={"session_hash": session}) as stream:
            for line in stream.iter_lines():
                if not line.startswith("data:"):
                    continue
                message = json.loads(line[5:])
                if message.get("msg") == "process_completed":
                    return dict(message)
    raise AssertionError("the event stream ended without an answer")


@pytest.mark.parametrize("mode", ["desk", "kiosk"])
def test_the_queue_cannot_be_skipped(mode: str, request: pytest.FixtureRequest) -> None:
    server: Server = request.getfixturevalue(mode)
    with _client(server) as client:
        for path in ("/gradio_api/run/ask", "/gradio_api/api/ask"):
            skipped = client.post(path, json={"data": ["第12项由谁负责？", [], None]})
            assert skipped.status_code == 404, (path, skipped.text)
    # …while the page's own path (the queue) still answers.
    done = _ask_page(server, "第12项由谁负责？", f"s-{mode}")
    assert done["success"] is True
    assert "第12项由市人社局牵头" in json.dumps(done["output"], ensure_ascii=False)


@pytest.mark.parametrize("mode", ["desk", "kiosk"])
def test_uploads_are_refused_and_nothing_is_stored(mode: str, request: pytest.FixtureRequest) -> None:
    server: Server = request.getfixturevalue(mode)
    with _client(server) as client:
        response = client.post("/gradio_api/upload", files={"files": ("a.txt", b"x" * 1000, "text/plain")})
        assert response.status_code == 403
        assert response.json()["error"] == "uploads_disabled"
        # Nothing to serve back either.
        assert client.get("/gradio_api/file=a.txt").status_code in (403, 404)
    assert server.app.max_file_size == 0


def test_request_bodies_are_capped(desk: Server) -> None:
    big = b'{"question": "' + b"a" * (MAX_BODY + 1) + b'"}'
    with _client(desk) as client:
        by_length = client.post(
            "/gradio_api/queue/join", content=big, headers={"content-type": "application/json"}
        )
        assert by_length.status_code == 413
        assert by_length.json()["error"] == "too_large"

        def chunks() -> Iterator[bytes]:  # no Content-Length: the cap counts the bytes as they arrive
            for i in range(0, len(big), 8192):
                yield big[i : i + 8192]

        streamed = client.post("/api/ask", content=chunks(), headers={"authorization": f"Bearer {TOKEN}"})
        assert streamed.status_code == 413
        small = client.post(
            "/api/ask", json={"question": "第12项由谁负责？"}, headers={"authorization": f"Bearer {TOKEN}"}
        )
        assert small.status_code == 200


@pytest.mark.parametrize(
    ("header", "status"),
    [
        (None, 401),
        ("Bearer wrong", 401),
        (f"Basic {TOKEN}", 401),
        (f"Bearer {TOKEN}x", 401),
        (f"Bearer {TOKEN}", 200),
        (f"bearer {TOKEN}", 200),
    ],
)
def test_api_ask_needs_the_token(desk: Server, header: str | None, status: int) -> None:
    headers = {"authorization": header} if header else {}
    with _client(desk) as client:
        response = client.post("/api/ask", json={"question": "第12项由谁负责？"}, headers=headers)
    assert response.status_code == status
    if status == 401:
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.json()["error"] == "unauthorized"
    else:
        assert response.json()["tasks"] == [12]


@pytest.mark.parametrize("mode", ["desk_without_token", "kiosk"])
def test_api_ask_is_absent_without_a_token_and_on_a_kiosk(mode: str, request: pytest.FixtureRequest) -> None:
    server: Server = request.getfixturevalue(mode)
    with _client(server) as client:
        response = client.post(
            "/api/ask", json={"question": "第12项由谁负责？"}, headers={"authorization": f"Bearer {TOKEN}"}
        )
    assert response.status_code in (404, 405)


@pytest.mark.parametrize("mode", ["desk", "kiosk"])
@pytest.mark.parametrize("path", ["/", "/healthz", "/gradio_api/config", "/nothing-here"])
def test_every_response_forbids_framing_and_sniffing(
    mode: str, path: str, request: pytest.FixtureRequest
) -> None:
    server: Server = request.getfixturevalue(mode)
    with _client(server) as client:
        response = client.get(path, headers={"origin": "http://localhost:9999"})
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["content-security-policy"] == "frame-ancestors 'none'"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert not [h for h in response.headers if h.lower().startswith("access-control-")]


@pytest.mark.parametrize("mode", ["desk", "kiosk"])
def test_no_cross_origin_access(mode: str, request: pytest.FixtureRequest) -> None:
    server: Server = request.getfixturevalue(mode)
    with _client(server) as client:
        preflight = client.options(
            "/gradio_api/queue/join",
            headers={
                "origin": "http://localhost:9999",
                "access-control-request-method": "POST",
                "access-control-request-headers": "content-type",
            },
        )
        simple = client.get("/gradio_api/config", headers={"origin": "http://localhost:9999"})
    assert preflight.status_code == 403
    for response in (preflight, simple):
        assert "access-control-allow-origin" not in response.headers
        assert "access-control-allow-credentials" not in response.headers


@pytest.mark.parametrize(
    ("mode", "path", "status"),
    [
        ("kiosk", "/openapi.json", 404),
        ("kiosk", "/gradio_api/openapi.json", 404),
        ("kiosk", "/gradio_api/info", 404),
        ("kiosk", "/docs", 404),
        ("desk", "/openapi.json", 404),
        ("desk", "/gradio_api/openapi.json", 404),
        ("desk", "/gradio_api/info", 200),  # the staff desk's own "use via API" page
    ],
)
def test_route_listings(mode: str, path: str, status: int, request: pytest.FixtureRequest) -> None:
    server: Server = request.getfixturevalue(mode)
    with _client(server) as client:
        assert client.get(path).status_code == status


@pytest.mark.parametrize("mode", ["desk", "kiosk"])
def test_healthz_shows_no_paths_and_agrees_with_itself(mode: str, request: pytest.FixtureRequest) -> None:
    server: Server = request.getfixturevalue(mode)
    with _client(server) as client:
        response = client.get("/healthz")
    report = response.json()
    assert response.status_code == (200 if report["ok"] else 503)
    assert report["assistant"] == ("ok" if report["ok"] else "degraded")
    assert "model" not in report
    assert not re.search(r"/(root|home|tmp|srv|var)/", response.text), response.text


def test_malformed_requests_leave_no_text_and_no_control_characters_in_the_log(desk: Server) -> None:
    ask_fn = desk.fn_index("ask")
    auth = {"authorization": f"Bearer {TOKEN}"}
    with _client(desk) as client:
        bodies: list[Any] = [
            # A dropdown's handler given the question: Gradio's own validation error, with the data in it.
            {"data": [SECRET, SECRET], "fn_index": 0, "session_hash": "m1"},
            {"data": SECRET, "fn_index": SECRET, "session_hash": "m2"},
            {"data": [SECRET, SECRET, SECRET], "fn_index": ask_fn, "session_hash": "m3"},
            {"data": [SECRET], "fn_index": 9999, "session_hash": "m4"},
        ]
        for body in bodies:
            client.post("/gradio_api/queue/join", json=body)
        client.post(
            "/gradio_api/queue/join", content=SECRET.encode(), headers={"content-type": "application/json"}
        )
        client.post("/gradio_api/run/ask", json={"data": [SECRET, [], None]})
        client.post("/api/ask", json={"question": SECRET}, headers=auth)
        client.post("/api/ask", json={"question": SECRET * 9}, headers=auth)  # over the 40-character cap
        client.post("/api/ask", json={"question": SECRET + "爆炸"}, headers=auth)  # the assistant fails
        client.post("/api/ask", json={"question": SECRET, "session": SECRET}, headers=auth)
        client.get("/healthz", params={"q": SECRET})
    _ask_page(desk, SECRET, "m5")
    deadline = time.monotonic() + 15
    while "gradio event failed" not in desk.log.getvalue() and time.monotonic() < deadline:
        time.sleep(0.2)
    log = desk.log.getvalue()
    assert "gradio event failed" in log  # the malformed event was logged…
    assert "ZQX" not in log  # …without the data it received
    assert "机密" not in log
    assert not CONTROL.search(log), repr(CONTROL.search(log))
    # Each answered question is one line with the keyed hash, from the API and from the page.
    key = desk.settings.assistant.log_key
    assert log.count(f"turn via=api q={question_id(SECRET, key)} ") == 1
    assert log.count(f"turn via=page q={question_id(SECRET, key)} ") == 1
    assert log.count("route=too_long refused=True") == 1


@pytest.mark.parametrize(
    ("name", "level", "message", "shown"),
    [
        (
            "assistant.turn",
            logging.INFO,
            "turn via=page q=0123456789abcdef len=3",
            "turn via=page q=0123456789abcdef len=3",
        ),
        (
            "gradio",
            logging.WARNING,
            "bad \x1b[2J\x07 input\nforged line",
            "bad \\x1b[2J\\x07 input\\nforged line",
        ),
        ("assistant.turn", logging.ERROR, "failed: X\n  File a.py", "failed: X\n  File a.py"),
    ],
)
def test_log_redactor(name: str, level: int, message: str, shown: str | None) -> None:
    from ui.logs import LogRedactor

    record = logging.LogRecord(name, level, __file__, 1, "%s", (message,), None)
    kept = LogRedactor().filter(record)
    assert kept is (shown is not None)
    if shown is not None:
        assert record.getMessage() == shown


def test_log_redactor_withholds_exception_messages() -> None:
    from ui.logs import LogRedactor

    try:
        raise ValueError(f"bad input {SECRET}")
    except ValueError as exc:
        record = logging.LogRecord(
            "uvicorn.error", logging.ERROR, __file__, 1, "boom", None, (ValueError, exc, None)
        )
    LogRedactor().filter(record)
    text = logging.Formatter().format(record)
    assert "ValueError (message withheld)" in text
    assert "ZQX" not in text


@pytest.mark.parametrize(
    ("report", "shown"),
    [
        (
            {
                "ok": False,
                "model": "/root/.cache/notice-qa/models/m3e-small",
                "problem": "index missing at /srv/x/chroma: run `notice-qa index`",
            },
            {
                "ok": False,
                "problem": "index missing at <path>: run `notice-qa index`",
                "assistant": "degraded",
            },
        ),
        (
            {"ok": False, "problem": "Chroma at http://127.0.0.1:8000/api is down"},
            {"ok": False, "problem": "Chroma at http://127.0.0.1:8000/api is down", "assistant": "degraded"},
        ),
        (
            {"ok": True, "model": "/home/a/m", "problem": None},
            {"ok": True, "problem": None, "assistant": "ok"},
        ),
    ],
)
def test_public_health_hides_paths(report: dict[str, object], shown: dict[str, object]) -> None:
    from ui.app import public_health

    assert public_health(report) == shown
