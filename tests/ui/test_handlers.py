"""ui.handlers as plain functions, driven by a small fake assistant."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any

import pytest

from assistant.answer import Answer, Citation
from assistant.chain import Assistant
from assistant.turnlog import question_id
from corpus.records import Notice
from corpus.settings import Settings
from ui.handlers import (
    ALL_CATEGORIES,
    ALL_UNITS,
    ERROR_REPLY,
    MAX_MESSAGES,
    SUGGESTED_QUESTIONS,
    answer_turn,
    begin,
    category_choices,
    clear_chat,
    filter_tasks,
    follow_ups,
    respond,
    unit_choices,
)

SECRET = "市人社局牵头哪些任务？我的身份证号是123"


@dataclass
class FakeConversation:
    asked: list[str] = field(default_factory=list)
    resets: int = 0

    def reset(self) -> None:
        self.asked.clear()
        self.resets += 1


class FakeAssistant:
    """Answers every question with task 12, remembering what it was asked in the conversation."""

    def __init__(self, notice: Notice) -> None:
        self.notice = notice
        self.calls: list[tuple[str, Any]] = []

    def ask(self, question: str, conversation: Any = None, *, via: str | None = "python") -> Answer:
        self.calls.append((question, conversation))
        if isinstance(conversation, FakeConversation):
            conversation.asked.append(question)
        task = self.notice.tasks[11]
        return Answer(
            question=question,
            answer=f"市人社局牵头的任务共1项：第12项。\n（你问的是：{question}）",
            refused=False,
            tasks=(12,),
            citations=(Citation("task-12", task.row_text), Citation("clause-1", self.notice.clauses[0].text)),
            latency_ms=12.5,
            route="table",
            units=("市人社局",),
        )


class BrokenAssistant:
    def ask(self, question: str, conversation: Any = None, *, via: str | None = "python") -> Answer:
        raise RuntimeError(f"index exploded while reading {question}")


def _ask(
    message: str | None,
    history: list[dict[str, Any]] | None,
    conversation: Any,
    assistant: Any,
    notice: Notice,
    settings: Settings | None = None,
) -> tuple[list[dict[str, Any]], Any, Answer | None]:
    return answer_turn(
        message, history, conversation, assistant=assistant, notice=notice, settings=settings or Settings()
    )


def test_reply_shows_the_answer_first_then_its_sources(notice: Notice) -> None:
    history, _, answer = _ask(
        "哪些任务由市人社局牵头？", [], FakeConversation(), FakeAssistant(notice), notice
    )
    assert answer is not None
    assert answer.tasks == (12,)
    assert [m["role"] for m in history] == ["user", "assistant"]
    assert history[0]["content"] == '<div class="nq-question">哪些任务由市人社局牵头？</div>'
    reply = history[1]["content"]
    assert reply.startswith(
        '<div class="nq-answer"><p class="nq-direct">市人社局牵头的任务共1项：第12项。</p>'
    )
    assert reply.index("nq-direct") < reply.index("依据") < reply.index("强化企业职工在岗教育培训")
    assert '<mark class="nq-hl">市人社局</mark>' in reply
    assert '<span class="nq-quote-src">第一条</span><br>一、加强领导强化责任。' in reply


def test_script_in_a_question_is_shown_as_text(notice: Notice) -> None:
    history, _, _ = _ask("<script>alert(1)</script>", [], None, FakeAssistant(notice), notice)
    assert all("<script>" not in m["content"] for m in history)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in history[0]["content"]
    assert "（你问的是：&lt;script&gt;alert(1)&lt;/script&gt;）" in history[1]["content"]


def test_an_exception_becomes_one_friendly_line_and_the_log_hides_the_question(
    notice: Notice, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="assistant.turn"):
        history, _, answer = _ask(SECRET, [], None, BrokenAssistant(), notice)
    assert history[-1] == {
        "role": "assistant",
        "content": f'<div class="nq-answer"><p class="nq-direct">{ERROR_REPLY}</p></div>',
    }
    assert answer is None
    assert "RuntimeError" in caplog.text
    assert question_id(SECRET) in caplog.text
    assert "身份证" not in caplog.text
    assert "Traceback" not in history[-1]["content"]


def test_the_page_logs_each_turn_once_through_the_assistant(
    notice: Notice, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        _ask(SECRET, [], None, Assistant(notice, None), notice)
    lines = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert [line.split(" latency_ms")[0] for line in lines] == [
        f"turn via=page q={question_id(SECRET)} len={len(SECRET)} route=table refused=False"
    ]
    assert "身份证" not in caplog.text


@pytest.mark.parametrize("message", ["", "   ", "\n", None])
def test_empty_input_changes_nothing(notice: Notice, message: str | None) -> None:
    assistant = FakeAssistant(notice)
    before = [{"role": "user", "content": "x"}, {"role": "assistant", "content": "y"}]
    history, conversation, answer = _ask(message, before, "conv", assistant, notice)
    assert (history, conversation, answer) == (before, "conv", None)
    assert assistant.calls == []


def test_over_long_input_gets_the_assistants_one_message(
    notice: Notice, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="assistant.turn"):
        history, _, answer = _ask("问" * 11, [], None, Assistant(notice, None, max_question_chars=10), notice)
    assert answer is not None
    assert answer.route == "too_long"
    assert "问题太长了，请控制在10字以内。" in history[-1]["content"]
    assert [r.getMessage().split(" latency_ms")[0] for r in caplog.records] == [
        f"turn via=page q={question_id('问' * 11)} len=11 route=too_long refused=True"
    ]


def test_follow_ups_share_the_session_conversation(notice: Notice) -> None:
    assistant = FakeAssistant(notice)
    conversation = FakeConversation()
    history, conv1, _ = _ask("哪些任务由市人社局牵头？", [], conversation, assistant, notice)
    history, conv2, _ = _ask("那市财政局呢？", history, conv1, assistant, notice)
    assert conv1 is conv2 is conversation
    assert conversation.asked == ["哪些任务由市人社局牵头？", "那市财政局呢？"]
    assert [c for _, c in assistant.calls] == [conversation, conversation]
    assert len(history) == 4


def test_clear_resets_the_conversation(notice: Notice) -> None:
    conversation = FakeConversation(asked=["q"])
    history, conv, text = clear_chat(conversation)
    assert (history, conv, text) == ([], conversation, "")
    assert conversation.resets == 1
    assert conversation.asked == []


def test_begin_echoes_the_question_at_once_with_a_pending_bubble(notice: Notice) -> None:
    before = [{"role": "user", "content": "x"}, {"role": "assistant", "content": "y"}]
    history, question, text = begin("  第12项由谁负责？ ", before)
    assert (question, text) == ("第12项由谁负责？", "")
    assert history[:2] == before
    assert history[2] == {"role": "user", "content": '<div class="nq-question">第12项由谁负责？</div>'}
    assert 'class="nq-pending"' in history[3]["content"]
    assert "正在查找答案" in history[3]["content"]
    # The answer takes the pending bubble's place.
    answered, _, answer = _ask(question, history, None, FakeAssistant(notice), notice)
    assert answer is not None
    assert len(answered) == 4
    assert answered[3]["content"].startswith('<div class="nq-answer">')
    assert answered[2] == history[2]


def test_a_question_whose_answer_never_came_is_dropped_by_the_next(notice: Notice) -> None:
    history, _, _ = begin("第一问", [])  # the queue was full: no answer replaced the pending bubble
    # …and the chat hands its messages back as lists of text parts.
    history = [{**m, "content": [{"type": "text", "text": m["content"]}]} for m in history]
    history, question, _ = begin("第二问", history)
    assert question == "第二问"
    assert [m["content"] for m in history if m["role"] == "user"] == ['<div class="nq-question">第二问</div>']
    assert len(history) == 2


@pytest.mark.parametrize("message", ["", "  ", None])
def test_begin_with_nothing_asks_nothing(message: str | None) -> None:
    assert begin(message, []) == ([], "", "")


def test_the_chat_keeps_its_last_turns(notice: Notice) -> None:
    history: list[dict[str, Any]] = []
    for i in range(MAX_MESSAGES):
        history, question, _ = begin(f"第{i % 23 + 1}项", history)
        history, _, _ = _ask(question, history, None, FakeAssistant(notice), notice)
    assert len(history) == MAX_MESSAGES
    assert history[-2]["content"] == f'<div class="nq-question">第{(MAX_MESSAGES - 1) % 23 + 1}项</div>'


def _answer(
    question: str, tasks: tuple[int, ...], units: tuple[str, ...] = (), refused: bool = False
) -> Answer:
    return Answer(question, "…", refused, tasks, route="table", units=units)


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (  # a unit's lead tasks: then all its tasks, its biggest category, the busiest unit
            _answer("哪些任务由市人社局牵头？", (12,), ("市人社局",)),
            [
                "市人社局参与了哪些任务？",
                "发挥企业重要主体作用这一类里市人社局参与了哪些？",
                "哪个单位负责的任务最多？",
            ],
        ),
        (  # all a unit's tasks: then its lead ones
            _answer("市人社局参与了哪些任务？", (4, 6, 8, 9, 12, 13, 14, 15, 20, 21, 22), ("市人社局",)),
            [
                "哪些任务由市人社局牵头？",
                "发挥企业重要主体作用这一类里市人社局参与了哪些？",
                "哪个单位负责的任务最多？",
            ],
        ),
        (  # one task: who leads it, its category, the tasks beside it
            _answer("第12项由谁负责？", (12,)),
            ["第12项谁牵头？", "第12项属于哪一类？", "第11项是什么？", "第13项是什么？"],
        ),
        (_answer("第1项是什么？", (1,)), ["第1项谁牵头？", "第1项属于哪一类？", "第2项是什么？"]),
        (_answer("第23项谁牵头？", (23,)), ["第23项属于哪一类？", "第22项是什么？"]),
        (  # rows of one category
            _answer("人才培养方面有哪些任务？", (13, 14, 15, 16, 17, 18)),
            ["哪一类的任务最多？", "第13项谁牵头？", "加强产教融合人才培养这一类有几项任务？"],
        ),
        (_answer("有多少钱？", (), refused=True), []),
        (_answer("通知的标题是什么", ()), []),
        (None, []),
    ],
)
def test_follow_ups_come_from_the_answer(notice: Notice, answer: Answer | None, expected: list[str]) -> None:
    assert follow_ups(answer, notice) == expected


def test_follow_ups_are_questions_about_rows_that_exist(notice: Notice) -> None:
    for n in range(1, 24):
        questions = follow_ups(_answer(f"第{n}项", (n,)), notice)
        assert 2 <= len(questions) <= 4
        assert all(int(m) in range(1, 24) for q in questions for m in re.findall(r"第(\d+)项", q))
    for unit in notice.units:
        tasks = tuple(t.number for t in notice.tasks if unit in t.units)
        questions = follow_ups(_answer(f"{unit}负责哪些任务？", tasks, (unit,)), notice)
        assert 2 <= len(questions) <= 4, unit
        assert all(unit in q or "最多" in q for q in questions)


def _rows(fragment: str) -> list[int]:
    return [int(n) for n in re.findall(r'<tr class="nq-row nq-row-(\d+)">', fragment)]


@pytest.mark.parametrize(
    ("agency", "category", "numbers"),
    [
        ("市人社局", ALL_CATEGORIES, [4, 6, 8, 9, 12, 13, 14, 15, 20, 21, 22]),
        (ALL_UNITS, "加强产教融合人才培养", [13, 14, 15, 16, 17, 18]),
        (None, None, list(range(1, 24))),
        ("", "", list(range(1, 24))),
        ("市教育局", "促进产教供需双向对接", [19]),
    ],
)
def test_filter_tasks(notice: Notice, agency: str | None, category: str | None, numbers: list[int]) -> None:
    assert _rows(filter_tasks(notice, agency, category)) == numbers


def test_filter_by_agency_marks_it_and_counts(notice: Notice) -> None:
    out = filter_tasks(notice, "市人社局", ALL_CATEGORIES)
    assert "<caption>共11项</caption>" in out
    assert out.count('<mark class="nq-hl">市人社局</mark>') == 11


def test_filter_with_no_rows_says_so(notice: Notice) -> None:
    assert (
        filter_tasks(notice, "市编办", "构建教育和产业深度融合发展格局")
        == '<p class="nq-empty">没有符合条件的任务。</p>'
    )


def test_choices(notice: Notice) -> None:
    assert unit_choices(notice)[0] == ALL_UNITS
    assert "市人社局" in unit_choices(notice)
    assert len(unit_choices(notice)) == 21
    assert category_choices(notice) == [ALL_CATEGORIES, *notice.categories]
    assert len(SUGGESTED_QUESTIONS) == 5


def test_build_app_staff_and_kiosk(notice: Notice) -> None:
    """The app builds with a fake assistant; the kiosk hides its endpoints and caps input length."""
    from ui.app import build_app, launch_kwargs, scope_line

    staff = build_app(FakeAssistant(notice), notice, Settings(), new_conversation=FakeConversation)
    kiosk_settings = Settings(kiosk=True, max_question_chars=120, queue_size=7, concurrency=2)
    kiosk = build_app(FakeAssistant(notice), notice, kiosk_settings, new_conversation=FakeConversation)
    assert staff.analytics_enabled is False
    assert kiosk.analytics_enabled is False
    staff_config, kiosk_config = staff.get_config_file(), kiosk.get_config_file()
    assert any(
        d.get("api_name") == "ask" and d.get("api_visibility") == "public"
        for d in staff_config["dependencies"]
    )
    assert all(d.get("api_visibility") == "private" for d in kiosk_config["dependencies"])
    textboxes = [c for c in kiosk_config["components"] if c["props"].get("elem_id") == "nq-input"]
    assert [t["props"]["max_length"] for t in textboxes] == [120]
    assert kiosk._queue.max_size == 7
    assert kiosk._queue.default_concurrency_limit == 2
    # The idle reset runs in the kiosk's browser (ui.page), not as a server timer.
    assert not any(c["type"] == "timer" for c in kiosk_config["components"])
    assert '"idleMs": 180000' in launch_kwargs(kiosk_settings)["head"]
    assert '"kiosk": false' in launch_kwargs(Settings())["head"]
    assert [
        c["props"]["value"]
        for c in kiosk_config["components"]
        if c.get("props", {}).get("elem_id") == "nq-read"
    ] == ["朗读"]
    assert scope_line(notice) == "本机只依据六政办秘〔2018〕123号通知作答"
    options = launch_kwargs(kiosk_settings)
    assert options["footer_links"] == []
    assert options["run_history"] is False
    assert "系统繁忙，请稍后再试" in options["head"]


def test_respond_is_the_one_step_turn_that_clears_the_box(notice: Notice) -> None:
    history, conversation, box = respond(
        "第12项由谁负责？", [], "conv", assistant=FakeAssistant(notice), notice=notice, settings=Settings()
    )
    assert (len(history), conversation, box) == (2, "conv", "")


def test_a_full_chat_of_the_longest_answers_fits_the_request_cap(notice: Notice) -> None:
    """The browser sends the chat back with every question; the request cap must never cut a session off."""
    import json

    rows = tuple(t.number for t in notice.tasks)
    lines = "\n".join(f"· 第{t.number}项 {t.content}" for t in notice.tasks)
    biggest = Answer(
        "哪些任务",
        f"共{len(rows)}项。\n{lines}",
        False,
        rows,
        tuple(Citation(t.source, t.row_text) for t in notice.tasks),
    )

    class Biggest:
        def ask(self, question: str, conversation: Any = None, *, via: str | None = "python") -> Answer:
            return biggest

    history: list[dict[str, Any]] = []
    for _ in range(MAX_MESSAGES):
        history, question, _ = begin("市教育局负责哪些任务？" * 10, history)
        history, _, _ = _ask(question, history, None, Biggest(), notice)
    body = json.dumps({"data": ["问" * 500, history, None]}).encode()  # \u escapes: the worst case
    assert len(body) < Settings().app.max_request_bytes
