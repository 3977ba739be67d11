"""Feedback over HTTP (/api/ask's answer_id → /api/feedback) and the review tab's gate, without a browser."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr

from assistant.answer import Answer
from corpus.records import Notice
from corpus.settings import Settings
from ui.handlers import rate, remember_turn, review_entry
from ui.review import Feedback, ReviewStore, Verdict
from ui.review_page import (
    BAD_TOKEN_LINE,
    GATE_LINE,
    NO_TOKEN_LINE,
    OFF_LINE,
    review_csv,
    review_mark,
    review_view,
)

TOKEN = "staff-token-3b9"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


class _Assistant:
    def ask(self, question: str, conversation: Any = None, *, via: str | None = "python") -> Answer:
        if "天气" in question:
            return Answer(question, "抱歉，通知中没有这方面的内容。", True, route="refusal")
        return Answer(question, "第12项由市人社局牵头。", False, (12,), route="table")


@pytest.fixture
def api(tmp_path: Path) -> tuple[TestClient, Settings]:
    from ui.app import server_routes

    settings = Settings(review=True, data_dir=tmp_path, api_token=SecretStr(TOKEN))
    app = FastAPI()
    app.router.routes.extend(server_routes(_Assistant(), settings, new_conversation=dict))
    return TestClient(app), settings


def _entries(settings: Settings) -> list[Any]:
    store = ReviewStore.from_settings(settings)
    assert store is not None
    return store.entries()


def test_api_feedback_round_trip(api: tuple[TestClient, Settings]) -> None:
    client, settings = api
    asked = client.post("/api/ask", json={"question": "第12项由谁负责？"}, headers=AUTH)
    answer = asked.json()
    assert answer["tasks"] == [12]
    assert "answer_id" not in answer  # the body stays Answer.to_json(); the id is a header
    answer["answer_id"] = asked.headers["X-Answer-Id"]
    rated = client.post(
        "/api/feedback",
        json={"answer_id": answer["answer_id"], "helpful": False, "reason": "不对"},
        headers=AUTH,
    )
    assert rated.status_code == 200
    assert [(e.kind, e.app, e.question, e.reason) for e in _entries(settings)] == [
        ("down", "api", "第12项由谁负责？", "不对")
    ]


def test_api_refusal_is_kept_without_a_tap(api: tuple[TestClient, Settings]) -> None:
    client, settings = api
    client.post("/api/ask", json={"question": "今天天气怎么样"}, headers=AUTH)
    assert [(e.kind, e.route) for e in _entries(settings)] == [("refused", "refusal")]


@pytest.mark.parametrize(
    ("body", "headers", "status"),
    [
        ({"answer_id": "no-such-answer", "helpful": False}, AUTH, 404),
        ({"answer_id": "bad id!", "helpful": False}, AUTH, 422),
        ({"answer_id": "x", "helpful": False, "reason": "长" * 201}, AUTH, 422),
        ({"answer_id": "x", "helpful": False}, {}, 401),
    ],
)
def test_bad_feedback_is_a_clear_4xx(
    api: tuple[TestClient, Settings], body: dict[str, Any], headers: dict[str, str], status: int
) -> None:
    client, _ = api
    response = client.post("/api/feedback", json=body, headers=headers)
    assert response.status_code == status


def test_a_flood_of_feedback_is_rate_limited(api: tuple[TestClient, Settings]) -> None:
    client, _ = api
    codes = [
        client.post("/api/feedback", json={"answer_id": "x", "helpful": True}, headers=AUTH).status_code
        for _ in range(25)
    ]
    assert codes[:20] == [404] * 20
    assert set(codes[20:]) == {429}


def test_the_page_hooks(tmp_path: Path) -> None:
    settings = Settings(review=True, data_dir=tmp_path)
    store = ReviewStore.from_settings(settings)
    feedback = Feedback(store)
    first = _Assistant().ask("哪些任务由市人社局牵头？")
    state = remember_turn(feedback, None, first.question, first, app="kiosk")
    second = _Assistant().ask("那市财政局呢？")
    state = remember_turn(feedback, state, second.question, second, app="kiosk")
    assert rate(feedback, state, False, client="c", reason="没用") == "谢谢反馈，工作人员会查看这个问题。"
    assert rate(feedback, None, False, client="c") == "请先提问，再评价回答。"
    assert store is not None
    [entry] = store.entries()
    assert (entry.question, entry.previous, entry.reason) == (
        "那市财政局呢？",
        "哪些任务由市人社局牵头？",
        "",
    )
    assert review_entry("问", "", None, "desk").kind == "error"
    feedback.clock = lambda: 1e9  # an hour later and more: the answer id expired
    assert rate(feedback, state, True, client="d") == "这条回答已过期，无法反馈。"
    assert Verdict.UNKNOWN.value == "unknown"


def test_the_review_tab_needs_the_token(tmp_path: Path) -> None:
    with_token = Settings(review=True, data_dir=tmp_path, api_token=SecretStr(TOKEN))
    store = ReviewStore.from_settings(with_token)
    assert store is not None
    entry_id = store.add(review_entry("今天天气怎么样", "", _Assistant().ask("今天天气怎么样"), "kiosk"))
    assert review_view(store, with_token, "") == (False, GATE_LINE, "")
    assert review_view(store, with_token, "wrong") == (False, BAD_TOKEN_LINE, "")
    assert review_view(store, Settings(review=True, data_dir=tmp_path), "") == (False, NO_TOKEN_LINE, "")
    assert review_view(None, with_token, TOKEN) == (False, OFF_LINE, "")
    assert review_mark(store, with_token, "wrong", entry_id, "right", "") == BAD_TOKEN_LINE
    assert review_csv(store, with_token, "wrong") is None
    shown, line, html = review_view(store, with_token, TOKEN)
    assert shown is True
    assert "今天天气怎么样" in html
    assert (
        review_mark(store, with_token, TOKEN, entry_id, "refuse", "") == f"已标注第{entry_id}条：应当拒答。"
    )
    assert review_view(store, with_token, TOKEN, "down")[2] == '<p class="nq-empty">没有符合条件的记录。</p>'
    assert review_view(store, with_token, TOKEN, "all", "all", "2026-13-01")[1].startswith("起始日期应写成")
    path = review_csv(store, with_token, TOKEN)
    assert path is not None
    assert "今天天气怎么样" in Path(path).read_text(encoding="utf-8-sig")


def test_the_kiosk_has_no_review_tab(tmp_path: Path, notice: Notice) -> None:
    from ui.app import build_app

    for kiosk, present in ((True, False), (False, True)):
        settings = Settings(review=True, data_dir=tmp_path, kiosk=kiosk, api_token=SecretStr(TOKEN))
        app = build_app(_Assistant(), notice, settings, new_conversation=dict)
        ids = {c.get("props", {}).get("elem_id") for c in app.get_config_file()["components"]}
        assert ("nq-review-tab" in ids) is present
        assert ("nq-review-token" in ids) is present
        assert "nq-unhelpful" in ids
