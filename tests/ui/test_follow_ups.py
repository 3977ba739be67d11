"""Follow-up suggestions against the real assistant: each one it offers is answered, and exactly.

Only stable facts are checked (task numbers, refusals), never the answers' wording.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from corpus.records import Notice
from corpus.settings import Settings
from ui.handlers import SUGGESTED_QUESTIONS, follow_ups

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def assistant(notice: Notice) -> Any:
    from assistant.wiring import load_assistant

    return load_assistant(Settings(), notice)


def _expected_tasks(question: str, notice: Notice) -> set[int] | None:
    """The rows a follow-up must give, where the question pins them down; None where it does not."""
    if m := re.fullmatch(r"(\S+?)这一类里(\S+?)参与了哪些？", question):
        return {t.number for t in notice.tasks if t.category == m[1] and m[2] in t.units}
    if m := re.fullmatch(r"哪些任务由(\S+?)牵头？", question):
        return {t.number for t in notice.tasks if t.lead == m[1]}
    if m := re.fullmatch(r"(\S+?)参与了哪些任务？", question):
        return {t.number for t in notice.tasks if m[1] in t.units}
    if m := re.fullmatch(r"第(\d+)项(谁牵头|属于哪一类|是什么)？", question):
        return {int(m[1])}
    return None


@pytest.mark.parametrize(
    "first", [*SUGGESTED_QUESTIONS, "市教育局负责哪些任务？", "第1项是什么？", "第23项谁牵头？"]
)
def test_every_follow_up_is_answered_exactly(assistant: Any, notice: Notice, first: str) -> None:
    answer = assistant.ask(first)
    questions = follow_ups(answer, notice)
    if not answer.tasks:
        assert questions == []
        return
    assert 2 <= len(questions) <= 4, (first, answer)
    for question in questions:
        reply = assistant.ask(question)  # a suggestion is tapped later too: it must stand alone
        assert reply.refused is False, (question, reply.answer)
        assert reply.route != "error", question
        expected = _expected_tasks(question, notice)
        if expected is not None:
            assert expected <= set(reply.tasks), (question, reply.tasks)
