"""The load client sends ``/api/ask``'s bearer token: ``--token``, by default the server's own setting
``NOTICE_QA_API_TOKEN``. The client talks to the app's real routes in process (an ASGI transport)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

import eval.load
from assistant.answer import Answer, Citation
from corpus.settings import Settings
from ui.app import server_routes

TOKEN = "load-token-5e1d"
URL = "http://127.0.0.1:7860"


class _Assistant:
    def ask(self, question: str, conversation: Any = None, *, via: str | None = "python") -> Answer:
        return Answer(question, "第12项由市人社局牵头。", False, (12,), (Citation("task-12", "12 …"),), 1.0)


@pytest.fixture
def in_process(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """``eval.load``'s HTTP client, with the app's routes (token ``TOKEN``) behind an in-process transport."""
    from fastapi import FastAPI

    settings = Settings(data_dir=tmp_path, api_token=SecretStr(TOKEN))
    app = FastAPI(routes=server_routes(_Assistant(), settings, new_conversation=dict))

    def client(clients: int, timeout: float, headers: dict[str, str] | None = None) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), timeout=timeout, headers=headers)

    monkeypatch.setattr(eval.load, "load_client", client)


def test_a_burst_with_the_token_is_answered(in_process: None) -> None:
    report = eval.load.run_burst(URL, 4, timeout=30, token=TOKEN)
    assert (report.ok, report.errors) == (4, 0)
    assert report.tasks_seen == {eval.load.BURST_QUESTION: [[12]]}


@pytest.mark.parametrize("token", [None, "wrong"])
def test_without_the_right_token_every_request_is_401(in_process: None, token: str | None) -> None:
    report = eval.load.run_burst(URL, 3, timeout=30, token=token)
    assert (report.ok, report.errors, report.error_kinds) == (0, 3, {"http_401": 3})


def test_sessions_refuse_a_wrong_token_with_the_fix(in_process: None) -> None:
    with pytest.raises(eval.load.LoadError, match="--token or set NOTICE_QA_API_TOKEN"):
        eval.load.run_load(URL, 2, 1.0, token="wrong")


def test_the_cli_token_defaults_to_the_servers_setting(
    in_process: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    out = tmp_path / "load.json"
    monkeypatch.setenv("NOTICE_QA_API_TOKEN", TOKEN)
    assert eval.load.main(["--url", URL, "--burst", "3", "--timeout", "30", "--out", str(out)]) == 0
    assert json.loads(out.read_text())["runs"][0]["ok"] == 3
    # An explicit --token wins over the environment.
    assert eval.load.main(["--url", URL, "--burst", "2", "--token", "wrong", "--out", str(out)]) == 1
    monkeypatch.delenv("NOTICE_QA_API_TOKEN")
    assert eval.load.main(["--url", URL, "--sessions", "1", "--seconds", "1", "--out", str(out)]) == 1
