"""The notice-qa console script: JSON per turn, one-line errors, and the real model end to end (slow)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ui.cli import main


def _turns(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_ask_json_is_one_object_per_turn(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "--json", "哪些任务由市人社局牵头？", "那市财政局呢？", "市人社局负责哪些任务"]) == 0
    turns = _turns(capsys.readouterr().out)
    assert [t["tasks"] for t in turns] == [[12], [22], [4, 6, 8, 9, 12, 13, 14, 15, 20, 21, 22]]
    first = turns[0]
    assert set(first) == {"question", "answer", "refused", "tasks", "citations", "latency_ms"}
    assert first["citations"][0]["source"] == "task-12"
    assert "强化企业职工在岗教育培训" in first["citations"][0]["text"]
    assert first["refused"] is False
    assert isinstance(first["latency_ms"], float)


@pytest.mark.parametrize("question", ["", "   ", "\x00\x1b[2J", "问" * 5000])
def test_ask_bad_input_is_a_clear_message(capsys: pytest.CaptureFixture[str], question: str) -> None:
    assert main(["ask", "--json", question]) == 0
    (turn,) = _turns(capsys.readouterr().out)
    assert turn["refused"] is True
    assert turn["tasks"] == []
    assert "\x1b" not in turn["answer"]
    assert "\x00" not in turn["answer"]
    assert "请" in turn["answer"] or "通知里没有找到" in turn["answer"]


def test_health_names_the_fix_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NOTICE_QA_DATA_DIR", str(tmp_path))
    assert main(["health", "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False
    assert "notice-qa model" in report["problem"]


def test_bad_setting_is_one_line(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("NOTICE_QA_TOP_K", "0")
    assert main(["ask", "第12项由谁负责"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("notice-qa: ")
    assert "Traceback" not in err


def test_help_has_an_example() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "ui.cli", "--help"], capture_output=True, text=True, check=True
    )
    assert "example: notice-qa ask" in out.stdout


@pytest.mark.slow
def test_cli_end_to_end_with_the_real_model(tmp_path: Path) -> None:
    """The issue's acceptance: lead task 12 with its citation; all tasks for 负责; content from the index."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "ui.cli",
            "ask",
            "--json",
            "哪些任务由市人社局牵头？",
            "市人社局负责哪些任务",
            "产教融合资金从哪来？",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=True,
    )
    lead, involved, money = _turns(out.stdout)
    assert lead["tasks"] == [12]
    assert lead["citations"][0]["source"] == "task-12"
    assert involved["tasks"] == [4, 6, 8, 9, 12, 13, 14, 15, 20, 21, 22]
    assert not money["refused"]
    assert "三重一创" in money["answer"]
    assert money["citations"][0]["source"] == "clause-3"
