"""Assistant.ask writes each turn's one log line: a keyed hash and the length, never the text unless asked."""

from __future__ import annotations

import hashlib
import logging

import pytest
from pydantic import SecretStr

from assistant.chain import Assistant
from assistant.turnlog import TurnLog, question_id
from corpus.records import Notice

SECRET = "市人社局牵头哪些任务？我的身份证号是123"


def _lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "assistant.turn"]


def test_one_line_per_turn_with_hash_length_route_and_sources(
    notice: Notice, caplog: pytest.LogCaptureFixture
) -> None:
    key = SecretStr("k")
    with caplog.at_level(logging.INFO, logger="assistant.turn"):
        answer = Assistant(notice, None, turn_log=TurnLog(key)).ask(SECRET, via="cli")
    [line] = _lines(caplog)
    assert line == (
        f"turn via=cli q={question_id(SECRET, key)} len={len(SECRET)} route={answer.route} refused=False "
        f"latency_ms={answer.latency_ms:.0f} sources={','.join(c.source for c in answer.citations)}"
    )
    assert "身份证" not in caplog.text


def test_log_questions_opts_in_to_the_text_escaped(notice: Notice, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="assistant.turn"):
        Assistant(notice, None, turn_log=TurnLog(log_questions=True)).ask(SECRET + "\x1b[31m", via="page")
    [line] = _lines(caplog)
    assert line.endswith(f" text={SECRET}\\x1b[31m")


def test_a_replayed_turn_is_not_logged_again(notice: Notice, caplog: pytest.LogCaptureFixture) -> None:
    assistant = Assistant(notice, None)
    with caplog.at_level(logging.INFO, logger="assistant.turn"):
        assistant.ask("第12项由谁负责？", via=None)
    assert _lines(caplog) == []


def test_an_over_long_question_is_one_refused_turn(notice: Notice, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="assistant.turn"):
        answer = Assistant(notice, None, max_question_chars=10).ask("问" * 11, via="api")
    assert (answer.route, answer.refused, answer.answer) == (
        "too_long",
        True,
        "问题太长了，请控制在10字以内。",
    )
    assert [line.split(" latency_ms")[0] for line in _lines(caplog)] == [
        f"turn via=api q={question_id('问' * 11)} len=11 route=too_long refused=True"
    ]


def test_a_failure_logs_type_and_frames_never_the_message(
    notice: Notice, caplog: pytest.LogCaptureFixture
) -> None:
    def broken() -> None:
        raise RuntimeError(f"index exploded while reading {SECRET}")

    assistant = Assistant(notice, broken)  # type: ignore[arg-type]
    with caplog.at_level(logging.INFO, logger="assistant.turn"):
        answer = assistant.ask("产教融合资金从哪来？", via="page")
    assert answer.route == "error"
    assert "RuntimeError" in caplog.text
    assert "身份证" not in caplog.text
    assert len([r for r in caplog.records if r.levelno == logging.INFO]) == 1


def test_question_id_is_keyed() -> None:
    one, two = SecretStr("a"), SecretStr("b")
    assert question_id("第12项", one) == question_id("第12项", one)
    assert question_id("第12项", one) != question_id("第12项", two)
    assert len(question_id("第12项", one)) == 16
    assert not hashlib.sha256("第12项".encode()).hexdigest().startswith(question_id("第12项")[:12])
