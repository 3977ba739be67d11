"""`notice-qa review list | stats | export`: a staff correction becomes a case `notice-qa eval` scores."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from assistant.answer import Answer
from corpus.settings import Settings
from eval.runner import run_eval
from ui.cli import main
from ui.review import NewEntry, ReviewStore


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ReviewStore:
    monkeypatch.setenv("NOTICE_QA_REVIEW_URL", f"sqlite:///{tmp_path / 'review.sqlite3'}")
    monkeypatch.delenv("NOTICE_QA_REVIEW", raising=False)
    made = ReviewStore.from_settings(Settings(review=True, data_dir=tmp_path))
    assert made is not None
    return made


def _corrected(store: ReviewStore) -> None:
    wrong = store.add(
        NewEntry(kind="down", app="kiosk", question="第12项由谁负责？", answer="第11项…", tasks=(11,))
    )
    refused = store.add(NewEntry(kind="refused", app="desk", question="今天天气怎么样？", route="refusal"))
    store.add(NewEntry(kind="error", app="api", question="还没复核的问题"))
    store.mark(wrong, "expect", "12")
    store.mark(refused, "right")


class OneAnswer:
    """Answers task 12 to anything about 第12项 and refuses the rest."""

    def ask(self, question: str, conversation: Any = None, *, via: str | None = "python") -> Answer:
        if "12" in question:
            return Answer(question=question, answer="第12项由市人社局牵头。", refused=False, tasks=(12,))
        return Answer(question=question, answer="抱歉，通知中没有这方面的内容。", refused=True)


def test_export_is_read_and_scored_by_eval(
    store: ReviewStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _corrected(store)
    out = tmp_path / "reviewed.jsonl"
    assert main(["review", "export", "--out", str(out)]) == 0
    assert "wrote 2 reviewed entries as eval cases" in capsys.readouterr().out
    report = tmp_path / "report.json"
    code = run_eval(
        Settings(review=True, data_dir=tmp_path), out, report, 1.0, assistant=OneAnswer(), progress=False
    )
    assert code == 0
    figures = json.loads(report.read_text(encoding="utf-8"))
    assert figures["metrics"]["accuracy"] == 1.0
    assert len(figures["cases"]) == 2


def test_list_json_and_csv(store: ReviewStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _corrected(store)
    assert main(["review", "list", "--json", "--kind", "down"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["question"], r["verdict"], r["expect_tasks"]) for r in rows] == [
        ("第12项由谁负责？", "expect", [12])
    ]
    out = tmp_path / "all.csv"
    assert main(["review", "export", "--csv", "--out", str(out)]) == 0
    assert len(out.read_text(encoding="utf-8").splitlines()) == 4


def test_stats(store: ReviewStore, capsys: pytest.CaptureFixture[str]) -> None:
    _corrected(store)
    assert main(["review", "stats", "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["by_kind"] == {"down": 1, "refused": 1, "error": 1}
    assert figures["reviewed"] == 2


def test_review_off_is_one_line(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("NOTICE_QA_REVIEW", "off")
    assert main(["review", "list"]) == 1
    assert (
        capsys.readouterr().err
        == "notice-qa: the review store is off (NOTICE_QA_REVIEW=off): nothing is kept\n"
    )


def test_an_unwritable_export_is_one_line(
    store: ReviewStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["review", "export", "--out", str(tmp_path / "missing" / "x.jsonl")]) == 1
    assert capsys.readouterr().err.startswith("notice-qa: cannot write ")


@pytest.mark.slow
def test_the_real_eval_scores_an_export(store: ReviewStore, tmp_path: Path) -> None:
    """`notice-qa eval --set FILE` with the real assistant reads the export and scores both cases."""
    _corrected(store)
    out, report = tmp_path / "reviewed.jsonl", tmp_path / "report.json"
    assert main(["review", "export", "--out", str(out)]) == 0
    assert main(["eval", "--set", str(out), "--report", str(report)]) == 0
    figures = json.loads(report.read_text(encoding="utf-8"))
    assert {c["id"] for c in figures["cases"]} == {"review-1", "review-2"}
    assert figures["metrics"]["accuracy"] == 1.0


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "postgresql://nobody:pw@127.0.0.1:1/db",
            "notice-qa: review store: OperationalError: connection failed",
        ),
        ("nonsense", "notice-qa: review store: cannot open it: ArgumentError"),
        (
            "sqlite:////proc/nope/review.sqlite3",
            "notice-qa: review store: cannot make the review store's folder",
        ),
    ],
)
def test_a_store_that_cannot_be_reached_is_one_line(
    url: str, message: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NOTICE_QA_REVIEW_URL", url)
    monkeypatch.delenv("NOTICE_QA_REVIEW", raising=False)
    assert main(["review", "stats"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(message)
    assert err.count("\n") == 1
    assert "pw@" not in err
