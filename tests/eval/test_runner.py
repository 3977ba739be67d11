"""evaluate() and run_eval() with the real Assistant on table questions only (no retriever, no model)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from assistant.answer import Answer
from assistant.chain import Assistant, Conversation
from corpus.records import Notice
from corpus.settings import Settings
from eval.cases import load_cases
from eval.runner import evaluate, format_table, run_eval

CASES = [
    {
        "id": "lead",
        "kind": "agency_lead",
        "turns": ["哪些任务由市人社局牵头？"],
        "expect": {"tasks": [12], "refused": False},
    },
    {
        "id": "all",
        "kind": "agency_all",
        "turns": ["市人社局参与几项任务？"],
        "expect": {"tasks": [4, 6, 8, 9, 12, 13, 14, 15, 20, 21, 22], "contains": ["11项"]},
    },
    {
        "id": "followup",
        "kind": "followup",
        "turns": ["哪些任务由市人社局牵头？", "那市财政局呢？"],
        "expect": {"tasks": [22], "contains": ["市财政局"]},
    },
    {
        "id": "header",
        "kind": "header",
        "turns": ["本通知的文号是什么"],
        "expect": {"contains": ["六政办秘〔2018〕123号"]},
    },
    {
        "id": "wrong-tasks",
        "kind": "agency_lead",
        "turns": ["哪些任务由市人社局牵头？"],
        "expect": {"tasks": [12, 13]},
    },
    {
        "id": "wrong-refusal",
        "kind": "refusal",
        "turns": ["第12项由谁负责？"],
        "expect": {"refused": True, "contains": ["三重一创"]},
    },
]
PASSING = {"lead", "all", "followup", "header"}


def _write(path: Path, cases: list[dict[str, Any]]) -> Path:
    path.write_text("\n".join(json.dumps(c, ensure_ascii=False) for c in cases) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def assistant(notice: Notice) -> Assistant:
    return Assistant(notice, None)


@pytest.fixture
def set_path(tmp_path: Path) -> Path:
    return _write(tmp_path / "cases.jsonl", CASES)


def test_evaluate_scores_every_case_of_a_table_set(assistant: Assistant, set_path: Path) -> None:
    results = evaluate(assistant, load_cases(set_path))

    assert [r.case_id for r in results] == [c["id"] for c in CASES]
    assert {r.case_id for r in results if r.passed} == PASSING
    by_id = {r.case_id: r for r in results}
    assert by_id["wrong-tasks"].failures == ["tasks: expected [12, 13], got [12]"]
    assert by_id["wrong-refusal"].failures == [
        "contains: missing '三重一创'",
        "refused: expected True, got False",
    ]
    assert len(by_id["followup"].turns) == 2
    assert by_id["followup"].turns[1]["tasks"] == [22]
    assert set(by_id["lead"].turns[0]) == {
        "question",
        "answer",
        "refused",
        "tasks",
        "citations",
        "latency_ms",
    }


class _Recorder:
    """Answers nothing useful; records which Conversation each question came with."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, Conversation | None]] = []

    def ask(
        self, question: str, conversation: Conversation | None = None, *, via: str | None = "python"
    ) -> Answer:
        self.seen.append((question, conversation))
        if question == "boom":
            raise RuntimeError("broken double")
        return Answer(question=question, answer="", refused=False)


def test_evaluate_gives_each_case_a_fresh_conversation(tmp_path: Path) -> None:
    cases = [
        {"id": "a", "kind": "followup", "turns": ["q1", "q2"], "expect": {"refused": False}},
        {"id": "b", "kind": "followup", "turns": ["q3"], "expect": {"refused": False}},
    ]
    recorder = _Recorder()
    evaluate(recorder, load_cases(_write(tmp_path / "c.jsonl", cases)))

    conversations = [c for _, c in recorder.seen]
    assert [q for q, _ in recorder.seen] == ["q1", "q2", "q3"]
    assert conversations[0] is conversations[1]
    assert conversations[2] is not conversations[0]


def test_evaluate_turns_an_exception_into_a_failed_case(tmp_path: Path) -> None:
    cases = [{"id": "x", "kind": "robustness", "turns": ["boom"], "expect": {"refused": True}}]
    [result] = evaluate(_Recorder(), load_cases(_write(tmp_path / "c.jsonl", cases)))

    assert not result.passed
    assert result.turns[0]["error"] == "RuntimeError: broken double"
    assert result.failures == ["answer: expected a string, got None", "refused: expected True, got None"]


@pytest.mark.parametrize(("min_accuracy", "status"), [(0.0, 0), (4 / 6, 0), (0.9, 1)])
def test_run_eval_writes_the_report_and_gates_on_accuracy(
    assistant: Assistant,
    set_path: Path,
    tmp_path: Path,
    settings: Settings,
    capsys: pytest.CaptureFixture[str],
    min_accuracy: float,
    status: int,
) -> None:
    report_path = tmp_path / "out" / "eval.json"
    code = run_eval(settings, set_path, report_path, min_accuracy, assistant=assistant, progress=False)

    assert code == status
    report = json.loads(report_path.read_text(encoding="utf-8"))
    assert {"metrics", "cases"} <= set(report)
    assert "peer" not in report
    metrics = report["metrics"]
    assert set(metrics) == {"cases", "passed", "accuracy", "by_kind", "refusal", "retrieval", "latency_ms"}
    assert (metrics["cases"], metrics["passed"]) == (6, 4)
    assert metrics["by_kind"]["agency_lead"] == {"cases": 2, "passed": 1, "accuracy": 0.5}
    assert [c["id"] for c in report["cases"]] == [c["id"] for c in CASES]
    first = report["cases"][0]
    assert set(first) == {"id", "kind", "passed", "failures", "turns"}
    assert first["turns"][0]["tasks"] == [12]

    out = capsys.readouterr().out
    assert "overall" in out
    assert "66.7%" in out
    assert ("FAIL: overall accuracy 66.7% is below --min-accuracy 90.0%" in out) is (status == 1)


def test_run_eval_with_a_peer_reports_it_beside_the_assistant(
    assistant: Assistant,
    set_path: Path,
    tmp_path: Path,
    settings: Settings,
    capsys: pytest.CaptureFixture[str],
) -> None:
    report_path = tmp_path / "eval.json"
    code = run_eval(
        settings,
        set_path,
        report_path,
        0.0,
        peer=True,
        assistant=assistant,
        peer_assistant=_Recorder(),
        progress=False,
    )

    assert code == 0
    peer = json.loads(report_path.read_text(encoding="utf-8"))["peer"]
    assert {"metrics", "cases", "latency_ratio_p50"} <= set(peer)
    assert peer["metrics"]["passed"] == 0
    assert "peer p50 / assistant p50" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json\n", "line 1: invalid JSON"),
        ("", "has no cases"),
    ],
)
def test_run_eval_reports_a_bad_set_in_one_line(
    assistant: Assistant,
    tmp_path: Path,
    settings: Settings,
    capsys: pytest.CaptureFixture[str],
    text: str,
    message: str,
) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(text, encoding="utf-8")

    assert run_eval(settings, path, tmp_path / "r.json", 0.0, assistant=assistant, progress=False) == 1
    assert message in capsys.readouterr().err
    assert not (tmp_path / "r.json").exists()


def test_format_table_shows_missing_metrics_as_dashes() -> None:
    metrics = {
        "cases": 0,
        "passed": 0,
        "accuracy": None,
        "by_kind": {},
        "refusal": {"cases": 0, "tp": 0, "fp": 0, "fn": 0, "tn": 0, "precision": None, "recall": None},
        "retrieval": {"cases": 0, "recall@1": None, "recall@3": None, "recall@5": None, "mrr": None},
        "latency_ms": {"turns": 0, "p50": None, "p95": None},
    }
    table = format_table(metrics)
    assert "precision -  recall -" in table
    assert "p50 -  p95 -" in table
