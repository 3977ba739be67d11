"""Scale-out: one `chroma run` server, the index built once by a single writer, two app replicas over it.

Both replicas must answer the same questions the same way (tasks, text, citations) without rebuilding the
index or keeping one of their own. Every process started here is stopped, whatever happens.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from corpus.settings import Settings
from eval.load import answer_tasks
from index.store import MANIFEST_KEY, Manifest
from tests.processes import free_port

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

START_TIMEOUT = 180.0
QUESTIONS: tuple[tuple[str, str | None], ...] = (
    ("哪些任务由市人社局牵头？", "s1"),
    ("那市财政局呢？", "s1"),  # a follow-up, in the replica's memory for this session
    ("产教融合资金从哪来？", None),
    ("学生去企业实习实训有什么规定", None),
    ("第12项由谁负责？", None),
)


API_TOKEN = "scale-out-token"  # /api/ask exists only with a token


def _wait(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = START_TIMEOUT) -> None:
    """Until ``url`` answers 200 (bounded); fails with the log's tail if the process dies."""
    deadline = time.monotonic() + timeout
    while True:
        assert proc.poll() is None, log.read_text(errors="replace")[-3000:]
        try:
            if httpx.get(url, timeout=5, trust_env=False).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, f"{url} not ok within {timeout:g} s"
        time.sleep(0.5)


class _Processes:
    """Processes started by this test, each logging to a file; ``stop_all`` ends every one of them."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.started: list[subprocess.Popen[bytes]] = []

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> tuple[subprocess.Popen[bytes], Path]:
        log = self.logs / f"{name}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)
        self.started.append(proc)
        return proc, log

    def stop_all(self) -> None:
        for proc in self.started:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.started:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(15)


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[_Processes]:
    procs = _Processes(tmp_path)
    try:
        yield procs
    finally:
        procs.stop_all()


def _manifest(chroma_url: str) -> Manifest:
    import chromadb

    port = int(chroma_url.rsplit(":", 1)[1])
    client = chromadb.HttpClient(host="127.0.0.1", port=port)
    metadata = client.get_collection(Settings().index.collection).metadata or {}
    manifest = Manifest.from_json(str(metadata.get(MANIFEST_KEY, "")))
    assert manifest is not None, metadata
    return manifest


def _ask_all(url: str) -> list[dict[str, Any]]:
    answers = []
    headers = {"authorization": f"Bearer {API_TOKEN}"}
    with httpx.Client(base_url=url, timeout=90, trust_env=False, headers=headers) as client:
        for question, session in QUESTIONS:
            body: dict[str, str] = {"question": question}
            if session is not None:
                body["session"] = session
            response = client.post("/api/ask", json=body)
            assert response.status_code == 200, response.text
            answer = response.json()
            answer_tasks(answer)  # a valid Answer JSON
            answer.pop("latency_ms")
            answers.append(answer)
    return answers


def test_two_replicas_over_one_chroma_server_answer_alike(tmp_path: Path, processes: _Processes) -> None:
    model_dir = Settings().resolved_model_dir
    base_env = {
        **os.environ,
        "NOTICE_QA_MODEL_DIR": str(model_dir),
        "HF_HUB_OFFLINE": "1",
        "NOTICE_QA_API_TOKEN": API_TOKEN,
    }
    for key in ("NOTICE_QA_DATA_DIR", "NOTICE_QA_KIOSK", "NOTICE_QA_CHROMA_URL"):
        base_env.pop(key, None)

    chroma_port = free_port()
    chroma_url = f"http://127.0.0.1:{chroma_port}"
    chroma = Path(sys.executable).with_name("chroma")
    chroma_proc, chroma_log = processes.start(
        "chroma",
        [
            str(chroma),
            "run",
            "--path",
            str(tmp_path / "chroma"),
            "--host",
            "127.0.0.1",
            "--port",
            str(chroma_port),
        ],
        base_env,
    )
    _wait(f"{chroma_url}/api/v2/heartbeat", chroma_proc, chroma_log, 60)
    env = {**base_env, "NOTICE_QA_CHROMA_URL": chroma_url}

    # The single writer builds the index once.
    build = subprocess.run(
        [sys.executable, "-m", "ui.cli", "index"],
        env={**env, "NOTICE_QA_DATA_DIR": str(tmp_path / "writer")},
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT,
    )
    assert build.returncode == 0, build.stderr
    assert "index: built, 73 documents, server" in build.stdout
    built = _manifest(chroma_url)

    replicas: list[tuple[str, Path]] = []
    started: list[tuple[str, subprocess.Popen[bytes], Path]] = []
    for name in ("replica-a", "replica-b"):
        data_dir = tmp_path / name
        data_dir.mkdir()
        port = free_port()
        proc, log = processes.start(
            name,
            [sys.executable, "-m", "ui.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
            {**env, "NOTICE_QA_DATA_DIR": str(data_dir)},
        )
        replicas.append((f"http://127.0.0.1:{port}", data_dir))
        started.append((f"http://127.0.0.1:{port}/healthz", proc, log))
    for health_url, proc, log in started:  # both start at once; each wait is bounded
        _wait(health_url, proc, log)

    for url, _ in replicas:
        health = httpx.get(f"{url}/healthz", timeout=30, trust_env=False).json()
        assert (health["ok"], health["mode"], health["documents"], health["assistant"]) == (
            True,
            "server",
            73,
            "ok",
        )

    first, second = (_ask_all(url) for url, _ in replicas)
    assert first == second
    assert [a["tasks"] for a in first] == [[12], [22], [], [9], [12]]
    sources = [[c["source"] for c in a["citations"]] for a in first]
    assert sources == [["task-12"], ["task-22"], ["clause-3"], ["task-9"], ["task-12"]]

    # Neither replica rebuilt the shared index nor kept one of its own.
    assert _manifest(chroma_url) == built  # built_at included
    for _, data_dir in replicas:
        assert not (data_dir / "chroma").exists()
