"""The OpenAI-compatible API (ui.openai_api): its pure parts, then the running app through the real clients.

The server tests start ``notice-qa serve`` (staff desk, the real assistant) on a free loopback port with two
API keys and a small body cap, and ask it through the ``openai`` package and LangChain's ``ChatOpenAI``. Every
question here is a table or refusal question, answered from the parsed table without the embedding model.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from assistant.answer import Answer, Citation
from corpus.settings import Settings
from tests.processes import free_port, start_serve, stop
from ui.openai_api import (
    MAX_REPLAYED_TURNS,
    BadRequest,
    KeyRateLimit,
    _as_openai,
    api_keys,
    chunks,
    key_index,
    openai_routes,
    parse_request,
    reply_text,
    split_turns,
)

pytestmark = pytest.mark.timeout(300)

MAIN_KEY = "nq-main-3b9f"
LIMITED_KEY = "nq-limited-71c2"
RATE = 40  # requests per minute per key on the test server
MAX_BODY = 64 * 1024
START_TIMEOUT = 120.0
LEAD_12 = "哪些任务由市人社局牵头？"


# -- pure parts -----------------------------------------------------------------------------------------------


def _answer(text: str = "第12项由市人社局牵头。", *, tasks: tuple[int, ...] = (12,)) -> Answer:
    cites = tuple(Citation(f"task-{n}", f"{n}｜…") for n in tasks)
    return Answer("q", text, not tasks, tasks, cites, 1.0, route="table")


def test_keys_come_from_a_comma_separated_setting() -> None:
    assert api_keys(Settings(api_keys=SecretStr(" a1, b2 ,,a1 "))) == ("a1", "b2")
    assert api_keys(Settings(api_keys=SecretStr(" , "))) == ()
    assert api_keys(Settings()) == ()


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Bearer a1", 0),
        ("bearer b2", 1),
        ("Bearer  b2 ", 1),
        ("Bearer a1x", None),
        ("Basic a1", None),
        ("Bearer ", None),
        (None, None),
    ],
)
def test_key_index(header: str | None, expected: int | None) -> None:
    assert key_index(header, ("a1", "b2")) == expected


def test_the_rate_limit_is_a_bucket_per_key() -> None:
    now = [100.0]
    limit = KeyRateLimit(6, clock=lambda: now[0])  # 6 a minute: one more every 10 s
    assert [limit.take(0) for _ in range(6)] == [0.0] * 6
    assert limit.take(0) == pytest.approx(10.0)
    assert limit.take(1) == 0.0  # another key has its own bucket
    now[0] += 5
    assert limit.take(0) == pytest.approx(5.0)
    now[0] += 5
    assert limit.take(0) == 0.0
    assert limit.take(0) > 0


def test_the_routes_are_absent_without_keys_and_on_a_kiosk() -> None:
    assert openai_routes(object(), Settings()) == []  # type: ignore[arg-type]
    assert openai_routes(object(), Settings(api_keys=SecretStr("k"), kiosk=True)) == []  # type: ignore[arg-type]


def test_the_app_has_no_v1_routes_without_keys() -> None:
    from ui.app import server_app

    class _Assistant:
        def ask(self, question: str, conversation: Any = None, *, via: str | None = "python") -> Answer:
            return _answer()

    paths = [getattr(r, "path", "") for r in server_app(_Assistant(), Settings()).routes]
    assert not [p for p in paths if p.startswith("/v1")]
    keyed = server_app(_Assistant(), Settings(api_keys=SecretStr("k"))).routes
    assert {"/v1/models", "/v1/chat/completions"} <= {getattr(r, "path", "") for r in keyed}


@pytest.mark.parametrize(
    ("body", "param", "code"),
    [
        (b"{bad", None, "invalid_json"),
        (b"[]", None, None),
        (b"{}", "messages", None),
        (b'{"messages": []}', "messages", None),
        (b'{"messages": [{"role": "robot", "content": "x"}]}', "messages.0.role", None),
        (b'{"messages": [{"role": "user", "content": 3}]}', "messages.0.content.str", None),
        (b'{"messages": [{"role": "user", "content": "x"}], "n": 2}', "n", None),
        (b'{"messages": [{"role": "assistant", "content": "x"}]}', "messages", None),
        (b'{"messages": [{"role": "user", "content": "  "}]}', "messages", None),
        (
            b'{"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}]}',
            "messages[0].content",
            "unsupported_content",
        ),
        (b'{"model": "gpt-4o", "messages": [{"role": "user", "content": "x"}]}', "model", "model_not_found"),
    ],
)
def test_malformed_requests_name_the_field(body: bytes, param: str | None, code: str | None) -> None:
    with pytest.raises(BadRequest) as raised:
        split_turns(parse_request(body))
    assert (raised.value.param, raised.value.code) == (param, code)


def test_history_is_the_user_turns_before_the_last() -> None:
    messages = [
        {"role": "system", "content": "你是助手"},
        {"role": "user", "content": "哪些任务由市人社局牵头？"},
        {"role": "assistant", "content": "……"},
        {
            "role": "user",
            "content": [{"type": "text", "text": "那市"}, {"type": "text", "text": "财政局呢？"}],
        },
    ]
    request = parse_request(json.dumps({"messages": messages, "temperature": 0.2, "top_p": 1}).encode())
    assert split_turns(request) == (["哪些任务由市人社局牵头？"], "那市财政局呢？")
    many = [{"role": "user", "content": f"第{i}项"} for i in range(1, 31)]
    earlier, last = split_turns(parse_request(json.dumps({"messages": many}).encode()))
    assert (len(earlier), earlier[-1], last) == (MAX_REPLAYED_TURNS, "第29项", "第30项")


def test_reply_text_puts_the_sources_under_the_answer() -> None:
    assert reply_text(_answer()) == "第12项由市人社局牵头。\n\n依据：\n[task-12] 12｜…"
    assert reply_text(_answer("通知没有规定。", tasks=())) == "通知没有规定。"


def test_stream_chunks_give_back_the_content_and_end_with_the_extension() -> None:
    answer = _answer("第一行\n第二行\n", tasks=(12, 13))
    made = list(chunks(answer, "q", "id-1", 0, include_usage=True))
    assert made[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in made if c["choices"])
    assert text == reply_text(answer)
    last = made[-2]
    assert last["choices"][0]["finish_reason"] == "stop"
    assert last["notice_qa"]["tasks"] == [12, 13]
    assert made[-1]["choices"] == []
    assert made[-1]["usage"]["completion_tokens"] == len(text)


@pytest.mark.parametrize(
    ("status", "body", "code", "kind"),
    [
        (413, b'{"error": "too_large", "message": "too big"}', "request_too_large", "invalid_request_error"),
        (404, b'{"detail": "Not Found"}', "not_found", "invalid_request_error"),
        (405, b"Method Not Allowed", "method_not_allowed", "invalid_request_error"),
        (500, b'{"error": "error", "message": "oops"}', "error", "server_error"),
    ],
)
def test_errors_from_outside_the_routes_become_openai_errors(
    status: int, body: bytes, code: str, kind: str
) -> None:
    error = _as_openai(status, body)["error"]
    assert (error["code"], error["type"]) == (code, kind)
    assert error["message"]
    already = {"error": {"message": "m", "type": "t", "param": None, "code": "c"}}
    assert _as_openai(400, json.dumps(already).encode()) == already


# -- the running app, through the real clients ------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """``notice-qa serve`` (staff desk) with two API keys, a 64 KiB body cap; its URL and its log."""
    tmp = tmp_path_factory.mktemp("openai")
    port = free_port()
    env = {
        **os.environ,
        "NOTICE_QA_DATA_DIR": str(tmp / "data"),
        "NOTICE_QA_API_KEYS": f"{MAIN_KEY},{LIMITED_KEY}",
        "NOTICE_QA_API_KEY_RATE_LIMIT": str(RATE),
        "NOTICE_QA_MAX_REQUEST_BYTES": str(MAX_BODY),
        "HF_HUB_OFFLINE": "1",
        "GRADIO_ANALYTICS_ENABLED": "False",
    }
    env.pop("NOTICE_QA_API_TOKEN", None)
    log = tmp / "serve.log"
    with log.open("wb") as out:
        proc = start_serve(port, env, out)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:  # /v1/models answers once the app is up (this is the main key's first request)
            assert proc.poll() is None, log.read_text(errors="replace")[-3000:]
            try:
                headers = {"authorization": f"Bearer {MAIN_KEY}"}
                if (
                    httpx.get(f"{url}/v1/models", headers=headers, timeout=5, trust_env=False).status_code
                    == 200
                ):
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, f"{url} did not start within {START_TIMEOUT:g} s"
            time.sleep(0.5)
        yield url, log
    finally:
        stop(proc)


def _client(url: str, key: str = MAIN_KEY) -> Any:
    import openai

    # max_retries=0: a 429 or 503 is this test's to see, not the client's to retry.
    return openai.OpenAI(
        base_url=f"{url}/v1",
        api_key=key,
        max_retries=0,
        timeout=60,
        http_client=httpx.Client(trust_env=False),
    )


def _ask(url: str, *questions: str) -> Any:
    """One completion whose messages are the questions as user turns (with placeholder replies between)."""
    messages: list[dict[str, str]] = [{"role": "system", "content": "请用中文回答。"}]
    for q in questions[:-1]:
        messages += [{"role": "user", "content": q}, {"role": "assistant", "content": "（略）"}]
    messages.append({"role": "user", "content": questions[-1]})
    return _client(url).chat.completions.create(model="notice-qa", messages=messages)


def _sources(content: str) -> set[int]:
    return {int(n) for n in re.findall(r"^\[task-(\d+)\]", content, flags=re.M)}


def test_models_lists_notice_qa(server: tuple[str, Path]) -> None:
    url, _ = server
    assert [m.id for m in _client(url).models.list()] == ["notice-qa"]


def test_plain_completion(server: tuple[str, Path]) -> None:
    url, _ = server
    done = _ask(url, LEAD_12)
    content = done.choices[0].message.content
    assert done.choices[0].finish_reason == "stop"
    assert done.choices[0].message.role == "assistant"
    extra = done.model_extra["notice_qa"]
    assert extra["tasks"] == [12]
    assert extra["refused"] is False
    assert [c["source"] for c in extra["citations"]] == ["task-12"]
    # The content is the answer, then its sources as plain text.
    assert content.startswith(extra["answer"])
    assert "\n依据：\n[task-12] 12｜发挥企业重要主体作用｜强化企业职工在岗教育培训" in content
    assert _sources(content) == {12}


def test_streamed_chunks_reassemble_to_the_same_answer(server: tuple[str, Path]) -> None:
    url, _ = server
    plain = _ask(url, LEAD_12).choices[0].message.content
    stream = _client(url).chat.completions.create(
        model="notice-qa",
        messages=[{"role": "user", "content": LEAD_12}],
        stream=True,
        stream_options={"include_usage": True},
    )
    pieces, extras, finish, usage = [], [], [], None
    for chunk in stream:
        assert chunk.object == "chat.completion.chunk"
        if chunk.usage is not None:
            usage = chunk.usage
        for choice in chunk.choices:
            pieces.append(choice.delta.content or "")
            finish.append(choice.finish_reason)
        if chunk.model_extra.get("notice_qa"):
            extras.append(chunk.model_extra["notice_qa"])
    assert len([p for p in pieces if p]) > 1  # streamed in pieces, not one blob
    assert "".join(pieces) == plain
    assert finish[-1] == "stop"
    assert [e["tasks"] for e in extras] == [[12]]
    assert usage is not None
    assert usage.completion_tokens == len(plain)


def test_the_raw_stream_ends_with_done(server: tuple[str, Path]) -> None:
    url, _ = server
    with httpx.stream(
        "POST",
        f"{url}/v1/chat/completions",
        json={"messages": [{"role": "user", "content": LEAD_12}], "stream": True},
        headers={"authorization": f"Bearer {MAIN_KEY}"},
        timeout=60,
        trust_env=False,
    ) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        events = [line for line in response.iter_lines() if line]
    assert all(e.startswith("data: ") for e in events)
    assert events[-1] == "data: [DONE]"
    assert json.loads(events[-2][6:])["notice_qa"]["tasks"] == [12]


def test_a_follow_up_through_messages(server: tuple[str, Path]) -> None:
    url, _ = server
    done = _ask(url, LEAD_12, "那市财政局呢？")
    assert done.model_extra["notice_qa"]["tasks"] == [22]
    assert _sources(done.choices[0].message.content) == {22}
    # Without the history the same words are not that follow-up.
    alone = _ask(url, "那市财政局呢？")
    assert alone.model_extra["notice_qa"]["tasks"] != [22]


def test_a_refusal(server: tuple[str, Path]) -> None:
    url, _ = server
    done = _ask(url, "第30项由谁负责？")
    extra = done.model_extra["notice_qa"]
    assert (extra["refused"], extra["tasks"], extra["citations"]) == (True, [], [])
    assert "没有第30项" in done.choices[0].message.content


def test_a_wrong_or_missing_key_is_401(server: tuple[str, Path]) -> None:
    import openai

    url, _ = server
    with pytest.raises(openai.AuthenticationError) as raised:
        _client(url, "nq-wrong-key").chat.completions.create(
            model="notice-qa", messages=[{"role": "user", "content": LEAD_12}]
        )
    assert raised.value.status_code == 401
    assert raised.value.code == "invalid_api_key"
    missing = httpx.post(
        f"{url}/v1/chat/completions",
        json={"messages": [{"role": "user", "content": LEAD_12}]},
        timeout=30,
        trust_env=False,
    )
    assert missing.status_code == 401
    assert missing.json()["error"]["code"] == "invalid_api_key"
    assert missing.headers["www-authenticate"] == "Bearer"


def test_the_rate_limit_is_429_with_retry_after_per_key(server: tuple[str, Path]) -> None:
    import openai

    url, _ = server
    limited = _client(url, LIMITED_KEY)
    answered, refused = 0, None
    for _ in range(2 * RATE):  # the key's budget for a minute, then (refilled a little meanwhile) no more
        try:
            limited.models.list()
        except openai.RateLimitError as exc:
            refused = exc
            break
        answered += 1
    assert refused is not None
    assert RATE <= answered < 2 * RATE
    assert refused.status_code == 429
    assert refused.code == "rate_limit_exceeded"
    assert int(refused.response.headers["retry-after"]) >= 1
    # The other key has its own budget.
    assert _ask(url, LEAD_12).model_extra["notice_qa"]["tasks"] == [12]


def test_an_oversized_body_is_413(server: tuple[str, Path]) -> None:
    import openai

    url, _ = server
    with pytest.raises(openai.APIStatusError) as raised:
        _client(url).chat.completions.create(
            model="notice-qa", messages=[{"role": "user", "content": "问" * MAX_BODY}]
        )
    assert raised.value.status_code == 413
    assert raised.value.code == "request_too_large"
    assert raised.value.type == "invalid_request_error"


@pytest.mark.parametrize(
    ("messages", "code"),
    [
        ([], None),
        ([{"role": "assistant", "content": "第12项由市人社局牵头。"}], None),
        ([{"role": "user", "content": "第12项由谁负责？" * 60}], "context_length_exceeded"),
    ],
)
def test_a_malformed_request_is_400(
    server: tuple[str, Path], messages: list[dict[str, str]], code: str
) -> None:
    import openai

    url, _ = server
    with pytest.raises(openai.BadRequestError) as raised:
        _client(url).chat.completions.create(model="notice-qa", messages=messages)  # type: ignore[arg-type]
    assert raised.value.status_code == 400
    assert raised.value.type == "invalid_request_error"
    assert raised.value.code == code


def test_a_body_that_is_not_json_is_400(server: tuple[str, Path]) -> None:
    url, _ = server
    response = httpx.post(
        f"{url}/v1/chat/completions",
        content=b'{"messages": [',
        headers={"authorization": f"Bearer {MAIN_KEY}", "content-type": "application/json"},
        timeout=30,
        trust_env=False,
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_json"


def test_langchain_chat_openai_answers(server: tuple[str, Path]) -> None:
    from langchain_openai import ChatOpenAI

    url, _ = server
    chat = ChatOpenAI(
        model="notice-qa",
        base_url=f"{url}/v1",
        api_key=SecretStr(MAIN_KEY),
        max_retries=0,
        timeout=60,
        http_client=httpx.Client(trust_env=False),
    )
    reply = chat.invoke(LEAD_12)
    assert isinstance(reply.content, str)
    assert "第12项" in reply.content
    assert _sources(reply.content) == {12}


def test_the_log_holds_no_question_text(server: tuple[str, Path]) -> None:
    url, log = server
    _ask(url, "第12项由谁负责？")
    text = log.read_text(errors="replace")
    assert "via=openai" in text
    for question in (LEAD_12, "那市财政局呢？", "第12项由谁负责？"):
        assert question not in text
