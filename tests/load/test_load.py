"""The load client and the app's HTTP routes: pure parts and routes fast, the real app in a subprocess slow.

The slow tests start ``notice-qa serve`` (staff mode, real assistant, queue_size 4, concurrency 2) on a free
loopback port, drive it with ``eval.load`` in its short bounded form and always stop the server.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from assistant.answer import Answer, Citation
from corpus.parser import corpus_hash
from corpus.settings import Settings
from eval.load import (
    CONVERSATIONS,
    LoadError,
    Outcome,
    answer_tasks,
    check_loopback,
    run_burst,
    run_load,
    summarise,
)
from tests.processes import free_port, start_serve, stop
from ui.app import ApiSessions, server_routes
from ui.handlers import BUSY_REPLY, ERROR_REPLY

SERVE_LOGS: dict[str, Path] = {}  # the app_server's log (stdout and stderr), by URL
API_TOKEN = "load-test-token"
AUTH = {"authorization": f"Bearer {API_TOKEN}"}
QUEUE_SIZE = 4
CONCURRENCY = 2
START_TIMEOUT = 180.0  # index build, model load and app start on a slow machine
# What each table question of the load client's conversations answers (follow-ups in their context).
TABLE_TASKS: dict[str, list[list[int]]] = {
    "哪些任务由市人社局牵头？": [[12]],
    "那市财政局呢？": [[22]],
    "人才培养方面有哪些任务？": [[13, 14, 15, 16, 17, 18]],
    "其中市人社局参与的有哪些？": [[13, 14, 15]],
    "第12项由谁负责？": [[12]],
    "市教育局负责几项任务？": [[2, 3, 4, 5, 6, 8, 9, 10, 11, *range(13, 24)]],
}


# -- the load client's pure parts ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "match"),
    [
        ("http://10.0.0.5:7860", "refusing to load '10.0.0.5'"),
        ("http://example.org", "refusing to load 'example.org'"),
        ("http://192.168.1.1:80/", "refusing to load '192.168.1.1'"),
        ("ftp://127.0.0.1:21", "must look like http://127.0.0.1:7860"),
        ("127.0.0.1:7860", "must look like"),
    ],
)
def test_check_loopback_refuses(url: str, match: str) -> None:
    with pytest.raises(LoadError, match=match):
        check_loopback(url)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:7860/", "http://127.0.0.1:7860"),
        ("http://localhost:8000", "http://localhost:8000"),
        ("http://[::1]:7860", "http://[::1]:7860"),
        ("http://127.0.0.2:1", "http://127.0.0.2:1"),
    ],
)
def test_check_loopback_accepts(url: str, expected: str) -> None:
    assert check_loopback(url) == expected


def test_run_load_refuses_a_remote_host_before_sending_anything() -> None:
    with pytest.raises(LoadError, match="refusing to load '203.0.113.9'"):
        run_load("http://203.0.113.9:7860", 2, 1.0)
    with pytest.raises(LoadError, match="refusing"):
        run_burst("http://203.0.113.9:7860", 2)


def test_load_cli_refuses_a_remote_host_in_one_line(tmp_path: Path) -> None:
    out = tmp_path / "load.json"
    done = subprocess.run(
        [sys.executable, "-m", "eval.load", "--url", "http://198.51.100.7:7860", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "eval.load: refusing to load '198.51.100.7': the load client only drives a server on this machine "
        "(127.0.0.1, ::1 or localhost)"
    ]
    assert not out.exists()


def _answer_json(**changes: Any) -> dict[str, Any]:
    body = Answer("第12项由谁负责？", "第12项……", False, (12,), (Citation("task-12", "12 …"),), 3.2).to_json()
    body.update(changes)
    return body


def test_answer_tasks_of_a_valid_answer() -> None:
    assert answer_tasks(_answer_json()) == (12,)
    assert answer_tasks(_answer_json(tasks=[], citations=[])) == ()


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ([], "answer is list, expected an object"),
        (_answer_json(answer=None), "'answer' is None"),
        (_answer_json(answer="  "), "'answer' is empty"),
        (_answer_json(refused="no"), "'refused' is 'no'"),
        (_answer_json(tasks=[12, 3]), "not ascending"),
        (_answer_json(tasks=[True]), "not ascending"),
        (_answer_json(citations=[{"source": "task-12"}]), "'citations'"),
        (_answer_json(latency_ms="fast"), "'latency_ms' is 'fast'"),
    ],
)
def test_answer_tasks_names_what_is_wrong(body: object, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        answer_tasks(body)


def test_summarise_counts_latency_and_rss() -> None:
    outcomes = [
        Outcome("q1", "ok", 10.0, 200, (12,)),
        Outcome("q1", "ok", 30.0, 200, (12,)),
        Outcome("q2", "ok", 20.0, 200, ()),
        Outcome("q1", "busy", 2.0, 503),
        Outcome("q2", "error", 5.0, 500, detail="http_500"),
        Outcome("q2", "timeout", 60_000.0, detail="timeout"),
    ]
    report = summarise(
        "sessions",
        outcomes,
        clients=2,
        seconds=1.0,
        wall_seconds=2.0,
        rss_samples=[(0.0, 100.0), (1.0, 120.5)],
    )
    assert (report.requests, report.ok, report.busy, report.errors, report.timeouts) == (6, 3, 1, 1, 1)
    assert report.throughput_rps == 1.5
    assert report.latency_ms == {"p50": 20.0, "p95": 29.0, "p99": 29.8, "max": 30.0}
    assert report.busy_latency_ms["max"] == 2.0
    assert report.error_kinds == {"http_500": 1, "timeout": 1}
    assert report.tasks_seen == {"q1": [[12]], "q2": [[]]}
    assert report.rss_mb == {
        "start": 100.0,
        "end": 120.5,
        "max": 120.5,
        "samples": [[0.0, 100.0], [1.0, 120.5]],
    }


def test_summarise_without_answers_has_no_latency() -> None:
    report = summarise("burst", [], clients=1, seconds=1.0, wall_seconds=0.0)
    assert report.latency_ms == {"p50": None, "p95": None, "p99": None, "max": None}
    assert report.throughput_rps == 0.0
    assert report.rss_mb is None


def test_api_sessions_forget_the_least_recently_used() -> None:
    made: list[object] = []

    def make() -> object:
        made.append(object())
        return made[-1]

    sessions = ApiSessions(make, capacity=2)
    a, b = sessions.get("a"), sessions.get("b")
    assert sessions.get("a") is a  # "a" is now the most recent
    sessions.get("c")  # so "b" goes
    assert len(sessions) == 2
    assert sessions.get("a") is a
    assert sessions.get("b") is not b
    assert sessions.get(None) is None
    assert len(made) == 4


# -- the routes, in process, with a fake assistant ------------------------------------------------------


class _GatedAssistant:
    """Answers once ``release`` is set; ``started`` says a question reached it."""

    def __init__(self, fail: bool = False) -> None:
        self.started = threading.Event()
        self.release = threading.Event()
        self.fail = fail
        self.questions: list[tuple[str, Any]] = []

    def ask(self, question: str, conversation: Any = None, *, via: str | None = "python") -> Answer:
        self.questions.append((question, conversation))
        self.started.set()
        if not self.release.wait(30):
            raise TimeoutError("the test never released the assistant")
        if self.fail:
            raise RuntimeError(f"boom on {question}")
        return Answer(question, "好的。", False, (12,), (Citation("task-12", "12 …"),), 1.0, route="table")


def _client(assistant: Any, settings: Settings) -> httpx.AsyncClient:
    from fastapi import FastAPI

    settings = settings.model_copy(update={"api_token": SecretStr(API_TOKEN)})
    app = FastAPI(routes=server_routes(assistant, settings, new_conversation=dict))
    transport = httpx.ASGITransport(app=app)
    return httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1", headers=AUTH)


def test_api_ask_answers_refuses_when_full_and_keeps_sessions(tmp_path: Path) -> None:
    """One answering, one waiting (concurrency 1, queue 1): of two more at once, one is refused at once."""
    assistant = _GatedAssistant()
    settings = Settings(data_dir=tmp_path, concurrency=1, queue_size=1)

    async def scenario() -> None:
        async with _client(assistant, settings) as client:

            def post(question: str, session: str | None = None) -> asyncio.Task[httpx.Response]:
                body = (
                    {"question": question} if session is None else {"question": question, "session": session}
                )
                return asyncio.create_task(client.post("/api/ask", json=body))

            first = post("第12项由谁负责？", "s1")
            assert await asyncio.to_thread(assistant.started.wait, 10)
            pending = {post("第2项"), post("第3项")}
            done, pending = await asyncio.wait(pending, timeout=10, return_when=asyncio.FIRST_COMPLETED)
            assert len(done) == 1, "with one answering, one of the other two must wait, one be refused"
            busy = done.pop().result()
            assert busy.status_code == 503
            assert busy.json() == {"error": "busy", "message": BUSY_REPLY}
            assert busy.headers["retry-after"] == "1"
            assistant.release.set()
            answered = await asyncio.wait_for(first, 30)
            assert answered.status_code == 200
            assert answered.json() == {
                "question": "第12项由谁负责？",
                "answer": "好的。",
                "refused": False,
                "tasks": [12],
                "citations": [{"source": "task-12", "text": "12 …"}],
                "latency_ms": 1.0,
            }
            assert (await asyncio.wait_for(pending.pop(), 30)).status_code == 200
            for question, session in (("那第13项呢？", "s1"), ("第1项", "s2"), ("第4项", None)):
                assert (await post(question, session)).status_code == 200

    asyncio.run(scenario())
    conversations = [c for _, c in assistant.questions]
    assert len(conversations) == 5
    assert conversations[2] is conversations[0]  # the same session, the same conversation
    assert conversations[3] is not conversations[0]
    assert conversations[3] is not None
    assert conversations[1] is None  # no session: a one-off question
    assert conversations[4] is None


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        ({"question": "   "}, 422, "empty"),
        ({"question": "问" * 41}, 413, "too_long"),
    ],
)
def test_api_ask_input_cap(tmp_path: Path, body: dict[str, str], status: int, error: str) -> None:
    from assistant.chain import Assistant
    from corpus.parser import parse_notice

    settings = Settings(data_dir=tmp_path, max_question_chars=40)
    assistant = Assistant(parse_notice(), None, max_question_chars=settings.assistant.max_question_chars)

    async def post() -> httpx.Response:
        async with _client(assistant, settings) as client:
            return await client.post("/api/ask", json=body)

    response = asyncio.run(post())
    assert (response.status_code, response.json()["error"]) == (status, error)
    if status == 413:  # the assistant's one limit, in its one wording
        assert response.json()["message"] == "问题太长了，请控制在40字以内。"


def test_api_ask_failure_is_one_friendly_line(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    assistant = _GatedAssistant(fail=True)
    assistant.release.set()

    async def post() -> httpx.Response:
        async with _client(assistant, Settings(data_dir=tmp_path)) as client:
            return await client.post("/api/ask", json={"question": "秘密问题"})

    response = asyncio.run(post())
    assert response.status_code == 500
    assert response.json() == {"error": "error", "message": ERROR_REPLY}
    assert "RuntimeError" in caplog.text
    assert "秘密问题" not in caplog.text  # the log never holds what was typed


@pytest.mark.parametrize(("kiosk", "ask_status"), [(True, 404), (False, 422)])
def test_api_ask_only_on_the_staff_desk(tmp_path: Path, kiosk: bool, ask_status: int) -> None:
    async def post() -> httpx.Response:
        async with _client(_GatedAssistant(), Settings(data_dir=tmp_path, kiosk=kiosk)) as client:
            return await client.post("/api/ask", json={})

    assert asyncio.run(post()).status_code == ask_status


# -- the real app under load ---------------------------------------------------------------------------


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        assert proc.poll() is None, log.read_text(errors="replace")[-3000:]
        try:
            if httpx.get(f"{url}/healthz", timeout=5, trust_env=False).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, f"{url}/healthz not ok within {timeout:g} s"
        time.sleep(0.5)


@pytest.fixture(scope="module")
def app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``notice-qa serve`` in staff mode over its own index in a tmp data dir; always stopped."""
    tmp = tmp_path_factory.mktemp("load")
    env = {
        **os.environ,
        "NOTICE_QA_DATA_DIR": str(tmp / "data"),
        "NOTICE_QA_MODEL_DIR": str(Settings().resolved_model_dir),
        "NOTICE_QA_QUEUE_SIZE": str(QUEUE_SIZE),
        "NOTICE_QA_CONCURRENCY": str(CONCURRENCY),
        "NOTICE_QA_API_TOKEN": API_TOKEN,
        "HF_HUB_OFFLINE": "1",
        "GRADIO_ANALYTICS_ENABLED": "False",
    }
    env.pop("NOTICE_QA_CHROMA_URL", None)
    env.pop("NOTICE_QA_KIOSK", None)
    build = subprocess.run(
        [sys.executable, "-m", "ui.cli", "index"],
        env=env,
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT,
    )
    assert build.returncode == 0, build.stderr
    port = free_port()
    log = tmp / "serve.log"
    with log.open("wb") as out:
        proc = start_serve(port, env, out)
    url = f"http://127.0.0.1:{port}"
    SERVE_LOGS[url] = log
    try:
        _wait_healthy(url, proc, log, START_TIMEOUT)
        yield url, proc
    finally:
        stop(proc)


@pytest.mark.slow
def test_healthz_reports_index_model_and_assistant(app_server: tuple[str, subprocess.Popen[bytes]]) -> None:
    url, _ = app_server
    response = httpx.get(f"{url}/healthz", timeout=30, trust_env=False)
    assert response.status_code == 200
    report = response.json()
    assert report["ok"] is True
    assert report["problem"] is None
    assert report["mode"] == "embedded"
    assert report["documents"] == 73
    assert str(report["model_id"]).startswith("m3e-small@")
    assert report["corpus_hash"] == corpus_hash()
    assert report["assistant"] == "ok"
    assert "model" not in report  # no disk paths on /healthz
    # The page is still served beside the added routes.
    assert httpx.get(f"{url}/", timeout=30, trust_env=False).status_code == 200


@pytest.mark.slow
def test_api_ask_gives_an_answer_with_cited_rows(app_server: tuple[str, subprocess.Popen[bytes]]) -> None:
    url, _ = app_server
    response = httpx.post(
        f"{url}/api/ask",
        json={"question": "哪些任务由市人社局牵头？"},
        timeout=60,
        trust_env=False,
        headers=AUTH,
    )
    assert response.status_code == 200
    body = response.json()
    assert answer_tasks(body) == (12,)
    assert body["refused"] is False
    assert [c["source"] for c in body["citations"]] == ["task-12"]
    assert "强化企业职工在岗教育培训" in body["answer"]


@pytest.fixture
def authorised_load(monkeypatch: pytest.MonkeyPatch) -> None:
    """The load client with the replica's API token (``/api/ask`` exists only with one)."""
    import eval.load

    make = eval.load.load_client

    def client(clients: int, timeout: float, headers: dict[str, str] | None = None) -> httpx.AsyncClient:
        made = make(clients, timeout, headers)
        made.headers.update(AUTH)
        return made

    monkeypatch.setattr(eval.load, "load_client", client)


@pytest.mark.slow
def test_sessions_under_load_answer_every_question_right(
    app_server: tuple[str, subprocess.Popen[bytes]], authorised_load: None
) -> None:
    url, proc = app_server
    report = run_load(url, 8, 5.0, max_requests=2_000, timeout=60, pid=proc.pid)
    assert (report.errors, report.timeouts, report.error_kinds) == (0, 0, {})
    assert report.ok > 0
    # Every question was answered, each always the same way: no session saw another's follow-up context.
    assert set(report.tasks_seen) == {q for script in CONVERSATIONS for q in script}
    assert {q: report.tasks_seen[q] for q in TABLE_TASKS} == TABLE_TASKS
    assert report.rss_mb is not None
    assert report.rss_mb["start"] > 0


@pytest.mark.slow
def test_burst_past_the_queue_is_answered_or_refused_never_hung(
    app_server: tuple[str, subprocess.Popen[bytes]], authorised_load: None
) -> None:
    url, proc = app_server
    n = 32
    run = run_burst(url, n, timeout=60, pid=proc.pid).to_json()
    assert run["mode"] == "burst"
    assert (run["errors"], run["timeouts"]) == (0, 0)
    assert run["ok"] + run["busy"] == n
    # The first concurrency + queue_size are always admitted; 32 at once overflow a queue of 4.
    assert run["ok"] >= CONCURRENCY + QUEUE_SIZE
    assert run["busy"] > 0
    assert run["tasks_seen"] == {"第12项由谁负责？": [[12]]}
    # The server still answers after the burst.
    assert httpx.get(f"{url}/healthz", timeout=30, trust_env=False).status_code == 200


@pytest.mark.slow
def test_the_real_server_logs_one_clean_line_per_turn_and_keeps_its_queue(
    app_server: tuple[str, subprocess.Popen[bytes]],
) -> None:
    """``notice-qa serve`` itself: /gradio_api/run is closed, and malformed or odd requests leave neither
    the question's text nor a control character in its log; an answered question is one line."""
    url, _ = app_server
    secret = "秘密ZQX第12项由谁负责？\x07\x1b[2J"
    with httpx.Client(base_url=url, timeout=60, trust_env=False) as client:
        assert client.post("/gradio_api/run/ask", json={"data": [secret, [], None]}).status_code == 404
        client.post(
            "/gradio_api/queue/join", json={"data": [secret, secret], "fn_index": 0, "session_hash": "x"}
        )
        client.post(
            "/gradio_api/queue/join", content=secret.encode(), headers={"content-type": "application/json"}
        )
        answered = client.post("/api/ask", json={"question": secret}, headers=AUTH)
        assert answered.status_code == 200
        assert client.post("/api/ask", json={"question": secret}).status_code == 401
    time.sleep(2)  # the malformed queue event fails on the server's own schedule
    log = SERVE_LOGS[url].read_text(encoding="utf-8", errors="replace")
    assert "ZQX" not in log
    assert "秘密" not in log
    assert not re.search("[\x00-\x09\x0b-\x1f\x7f]", log)
    assert "gradio event failed" in log
    turns = [line for line in log.splitlines() if "route=" in line and f"len={len(secret)}" in line]
    assert len(turns) == 1, turns  # one line per turn, written by Assistant.ask
