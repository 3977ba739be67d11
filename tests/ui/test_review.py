"""The review store on SQLite and on a real PostgreSQL: scrubbing, retention, marks, export to eval."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from corpus.settings import Settings
from eval.cases import parse_cases
from tests.ui import pg
from ui.review import (
    SCHEMA_VERSION,
    Feedback,
    NewEntry,
    ReviewError,
    ReviewStore,
    Verdict,
    engine_url,
    entries_csv,
    eval_jsonl,
    scrub,
    stats,
)


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    reason = pg.why_not()
    if reason is not None:
        if os.geteuid() == 0:  # root can install it: `make postgres` (which `make test` runs) does
            pytest.fail(f"{reason} (as root the PostgreSQL store test must run: make postgres)")
        pytest.skip(reason)
    with pg.cluster() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ReviewStore]:
    if request.param == "sqlite":
        url = engine_url(Settings(review=True, data_dir=tmp_path))
    else:
        url = engine_url(
            Settings(review=True, data_dir=tmp_path, review_url=request.getfixturevalue("pg_url"))
        )
    s = ReviewStore(url, retention_days=90, question_limit=80)
    s.migrate()
    with s.engine.begin() as conn:  # PostgreSQL is shared across the module's tests: start empty
        conn.execute(s.entries_table.delete())
    yield s
    s.close()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我的电话13812345678，第12项谁负责", "我的电话[电话]，第12项谁负责"),
        ("手机 138 1234 5678 能办吗", "手机 [电话] 能办吗"),
        ("+86 13812345678", "[电话]"),
        ("座机0575-87654321", "座机[电话]"),
        ("身份证110101199003077777", "身份证[证件号]"),
        ("身份证11010119900307777X呢", "身份证[证件号]呢"),
        ("邮箱 a.b+c@example.com.cn", "邮箱 [邮箱]"),
        ("编号１２３４５６７", "编号[数字]"),
        ("2018年第123号", "2018年第123号"),
    ],
)
def test_scrub(text: str, expected: str) -> None:
    assert scrub(text, 500) == expected


def test_scrub_caps_at_the_limit() -> None:
    assert scrub("问" * 600, 500) == "问" * 500


def test_a_question_with_a_phone_and_an_id_number_stores_neither(store: ReviewStore) -> None:
    question = "我叫张三，电话13912345678，身份证号110101199003077777，产教融合资金从哪来"
    entry_id = store.add(NewEntry(kind="refused", app="kiosk", question=question, previous="邮件 x@y.cn"))
    got = store.get(entry_id)
    assert got is not None
    assert "13912345678" not in got.question
    assert "110101199003077777" not in got.question
    assert got.question == "我叫张三，电话[电话]，身份证号[证件号]，产教融合资金从哪来"
    assert got.previous == "邮件 [邮箱]"


def test_schema_version_and_migration_are_idempotent(store: ReviewStore) -> None:
    assert store.schema_version() == SCHEMA_VERSION
    assert store.migrate() == SCHEMA_VERSION


def test_entries_newest_first_and_filtered(store: ReviewStore) -> None:
    day = datetime(2026, 11, 20, 9)
    store.add(NewEntry(kind="down", app="desk", question="一"), now=day)
    store.add(NewEntry(kind="refused", app="kiosk", question="二"), now=day + timedelta(days=1))
    store.add(NewEntry(kind="error", app="api", question="三"), now=day + timedelta(days=2))
    assert [e.question for e in store.entries()] == ["三", "二", "一"]
    assert [e.question for e in store.entries(kind="refused")] == ["二"]
    assert [e.question for e in store.entries(app="desk")] == ["一"]
    assert [e.question for e in store.entries(since=day.date() + timedelta(days=1))] == ["三", "二"]
    assert [e.question for e in store.entries(until=day.date())] == ["一"]


def test_retention_deletes_only_old_entries(store: ReviewStore) -> None:
    now = datetime(2026, 11, 29, 12)
    store.add(NewEntry(kind="down", app="desk", question="旧"), now=now - timedelta(days=91))
    store.add(NewEntry(kind="down", app="desk", question="新"), now=now - timedelta(days=89))
    assert store.purge(now=now) == 1
    assert [e.question for e in store.entries()] == ["新"]


def test_marks_become_eval_cases_the_eval_reads(store: ReviewStore) -> None:
    a = store.add(NewEntry(kind="down", app="kiosk", question="第12项由谁负责？", answer="…", tasks=(11,)))
    b = store.add(NewEntry(kind="refused", app="desk", question="今天天气怎么样"))
    c = store.add(
        NewEntry(kind="down", app="desk", question="那市财政局呢？", previous="哪些任务由市人社局牵头？")
    )
    d = store.add(NewEntry(kind="error", app="api", question="产教融合资金从哪来？"))
    store.add(NewEntry(kind="down", app="desk", question="未复核"))
    store.mark(a, "expect", "12")
    store.mark(b, "right")
    store.mark(c, "expect", "市财政局")
    store.mark(d, "refuse")
    cases = {case.id: case for case in parse_cases(eval_jsonl(store.entries()))}
    assert set(cases) == {f"review-{i}" for i in (a, b, c, d)}
    assert cases[f"review-{a}"].expect.tasks == (12,)
    assert cases[f"review-{b}"].expect.refused is True
    assert cases[f"review-{c}"].turns == ("哪些任务由市人社局牵头？", "那市财政局呢？")
    assert cases[f"review-{c}"].expect.contains == ("市财政局",)
    assert cases[f"review-{d}"].kind == "refusal"


@pytest.mark.parametrize(
    ("verdict", "expectation", "match"),
    [
        ("wrong", "", "verdict must be one of"),
        ("expect", "  ", "期望答案需要"),
    ],
)
def test_bad_marks_are_refused(store: ReviewStore, verdict: str, expectation: str, match: str) -> None:
    entry_id = store.add(NewEntry(kind="down", app="desk", question="问"))
    with pytest.raises(ReviewError, match=match):
        store.mark(entry_id, verdict, expectation)


def test_marking_an_unknown_entry_is_an_error(store: ReviewStore) -> None:
    with pytest.raises(ReviewError, match="no review entry 999"):
        store.mark(999, "right")


def test_kiosk_keeps_no_reason(store: ReviewStore) -> None:
    feedback = Feedback(store)
    for app in ("kiosk", "desk"):
        answer_id = feedback.answered(NewEntry(kind="down", app=app, question=f"{app}问", answer="答"))
        verdict, entry_id = feedback.rate(answer_id, helpful=False, reason="答非所问")
        assert verdict is Verdict.STORED
        assert entry_id is not None
    assert {e.app: e.reason for e in store.entries()} == {"kiosk": "", "desk": "答非所问"}


def test_csv_and_stats(store: ReviewStore) -> None:
    store.add(NewEntry(kind="refused", app="kiosk", question="=cmd|calc 学费怎么交", route="refusal"))
    store.add(NewEntry(kind="refused", app="desk", question="学费标准是多少", route="refusal"))
    entries = store.entries()
    text = entries_csv(entries)
    assert text.splitlines()[0].startswith("id,created_at,kind,app,question")
    assert "'=cmd|calc" in text
    figures = stats(entries)
    assert figures["by_kind"] == {"refused": 2}
    assert figures["by_route"] == {"refusal": 2}
    assert figures["unanswered_topics"][0] == ("学费", 2)


def _entry(kind: str) -> NewEntry:
    return NewEntry(kind=kind, app="desk", question="问题", answer="回答")


def test_feedback_stores_only_down_refusals_and_errors(tmp_path: Path) -> None:
    store = ReviewStore.from_settings(Settings(review=True, data_dir=tmp_path))
    assert store is not None
    feedback = Feedback(store)
    up = feedback.answered(_entry("down"))
    down = feedback.answered(_entry("down"))
    feedback.answered(_entry("refused"))
    assert feedback.rate(up, helpful=True)[0] is Verdict.THANKS
    assert feedback.rate(down, helpful=False)[0] is Verdict.STORED
    assert sorted(e.kind for e in store.entries()) == ["down", "refused"]
    assert feedback.rate(down, helpful=False)[0] is Verdict.THANKS  # a second tap stores nothing new
    assert len(store.entries()) == 2
    assert feedback.rate(down, helpful=False, reason="答非所问")[0] is Verdict.THANKS  # …but adds a reason
    assert [e.reason for e in store.entries(kind="down")] == ["答非所问"]


def test_sqlite_store_is_in_wal_mode_under_the_data_folder(tmp_path: Path) -> None:
    store = ReviewStore.from_settings(Settings(review=True, data_dir=tmp_path))
    assert store is not None
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    assert (tmp_path / "review.sqlite3").is_file()


def test_nothing_is_stored_when_review_is_off(tmp_path: Path) -> None:
    assert ReviewStore.from_settings(Settings(data_dir=tmp_path, review=False)) is None
    feedback = Feedback(None)
    answer_id = feedback.answered(_entry("refused"))
    assert feedback.rate(answer_id, helpful=False)[0] is Verdict.THANKS
    assert not (tmp_path / "review.sqlite3").exists()


def test_unknown_and_expired_ids_and_a_flood() -> None:
    now = [0.0]
    feedback = Feedback(None, ttl_seconds=60, rate_limit=3, rate_window=10, clock=lambda: now[0])
    answer_id = feedback.answered(_entry("down"))
    assert feedback.rate("nope", helpful=False, client="a")[0] is Verdict.UNKNOWN
    now[0] = 61
    assert feedback.rate(answer_id, helpful=False, client="a")[0] is Verdict.UNKNOWN  # expired
    assert feedback.rate("nope", helpful=False, client="a")[0] is Verdict.UNKNOWN
    assert feedback.rate("nope", helpful=False, client="a")[0] is Verdict.UNKNOWN
    assert feedback.rate("nope", helpful=False, client="a")[0] is Verdict.LIMITED
    assert feedback.rate("nope", helpful=False, client="b")[0] is Verdict.UNKNOWN
    now[0] = 72
    assert feedback.rate("nope", helpful=False, client="a")[0] is Verdict.UNKNOWN


def test_a_read_only_store_keeps_the_chat_going_and_logs_why(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = ReviewStore.from_settings(Settings(review=True, data_dir=tmp_path))
    assert store is not None
    store.close()
    readonly = ReviewStore(f"sqlite:///file:{tmp_path / 'review.sqlite3'}?mode=ro&uri=true")
    feedback = Feedback(readonly)
    with caplog.at_level(logging.WARNING, logger="ui.review"):
        answer_id = feedback.answered(NewEntry(kind="refused", app="kiosk", question="电话13812345678"))
        assert feedback.rate(answer_id, helpful=False)[0] is Verdict.FAILED
    assert "refused entry not stored: OperationalError: attempt to write a readonly database" in caplog.text
    assert "13812345678" not in caplog.text
