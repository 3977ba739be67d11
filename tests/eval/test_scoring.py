from typing import Any

import pytest

from eval.cases import EvalCase, Expectation
from eval.scoring import CaseResult, check, normalise_for_match, percentile, score_case, summarise


def _answer(text: str = "", **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "question": "q",
        "answer": text,
        "refused": False,
        "tasks": [],
        "citations": [],
        "latency_ms": 10.0,
    }
    return base | fields


def test_normalise_folds_width_and_drops_whitespace() -> None:
    assert normalise_for_match(" 第１２ 项\n由　市人社局（牵头） ") == "第12项由市人社局(牵头)"


def test_a_matching_answer_passes_every_check() -> None:
    expect = Expectation(
        tasks=(12,),
        contains=("市人社局", "第12项"),
        any_of=(("配合",), ("会同",)),
        refused=False,
        not_regex=r"\d+万元",
        source="task-12",
    )
    answer = _answer("第１２ 项由市人社局牵头，市总工会负责，会同市有关部门。", tasks=[12])
    assert check(expect, answer) == []


@pytest.mark.parametrize(
    ("expect", "answer", "failures"),
    [
        (Expectation(tasks=(12,)), _answer(tasks=[12, 4]), ["tasks: expected [12], got [4, 12]"]),
        (Expectation(tasks=(4, 12)), _answer(tasks=[12, 4]), []),
        (Expectation(tasks=()), _answer(tasks=[]), []),
        (Expectation(tasks=(12,)), _answer(tasks=None), ["tasks: expected [12], got None"]),
        (Expectation(tasks=(12,)), _answer(tasks=["12"]), ["tasks: expected [12], got ['12']"]),
        (
            Expectation(contains=("市人社局", "市总工会")),
            _answer("第12项由市人社局牵头"),
            ["contains: missing '市总工会'"],
        ),
        (Expectation(contains=("11项",)), _answer("共 １１ 项"), []),
        (Expectation(any_of=(("配合",), ("会同", "有关部门"))), _answer("会同市有关部门"), []),
        (
            Expectation(any_of=(("配合",), ("会同", "有关部门"))),
            _answer("会同市财政局"),
            ["any_of: none of the alternatives appears whole: 配合 | 会同+有关部门"],
        ),
        (Expectation(refused=True), _answer("不知道", refused=False), ["refused: expected True, got False"]),
        (Expectation(refused=False), _answer(refused=None), ["refused: expected False, got None"]),
        (Expectation(refused=True), _answer("通知中没有说明", refused=True), []),
        (
            Expectation(not_regex=r"\d+万元"),
            _answer("资金 500 万元"),
            [r"not_regex: '\\d+万元' matched '500万元'"],
        ),
        (Expectation(not_regex=r"\d+万元"), _answer("通知未载明金额"), []),
        (Expectation(source="task-14", refused=False), _answer(citations=[]), []),
        (
            Expectation(contains=("市人社局",), refused=False),
            {"refused": True},
            [
                "answer: expected a string, got None",
                "contains: missing '市人社局'",
                "refused: expected False, got True",
            ],
        ),
    ],
)
def test_check_reports_each_miss(expect: Expectation, answer: dict[str, Any], failures: list[str]) -> None:
    assert check(expect, answer) == failures


def test_score_case_checks_the_last_turn() -> None:
    case = EvalCase(
        "f1", "followup", ("哪些任务由市人社局牵头？", "那市财政局呢？"), Expectation(tasks=(22,))
    )
    result = score_case(case, [_answer(tasks=[12]), _answer(tasks=[22])])
    assert result == CaseResult(
        "f1", "followup", True, [], [_answer(tasks=[12]), _answer(tasks=[22])], Expectation(tasks=(22,))
    )
    failed = score_case(case, [_answer(tasks=[22]), _answer(tasks=[12])])
    assert (failed.passed, failed.failures) == (False, ["tasks: expected [22], got [12]"])
    with pytest.raises(ValueError, match="case 'f1' has 2 turns, got 1 answers"):
        score_case(case, [_answer()])


def _cites(*sources: str) -> list[dict[str, str]]:
    return [{"source": s, "text": "…"} for s in sources]


def _result(
    kind: str, passed: bool, expect: Expectation, *turns: dict[str, Any], case_id: str = "x"
) -> CaseResult:
    return CaseResult(case_id, kind, passed, [] if passed else ["failed"], list(turns), expect)


def test_summarise_on_a_tiny_run() -> None:
    results = [
        # retrieval ranks 1, 3 (task-13 is cited twice and ranks once) and 6 (beyond k=5)
        _result(
            "content",
            True,
            Expectation(source="clause-3", refused=False),
            _answer(citations=_cites("clause-3", "task-1"), latency_ms=100),
        ),
        _result(
            "content",
            False,
            Expectation(source="task-14", refused=False),
            _answer(citations=_cites("task-13", "task-13", "clause-1", "task-14"), latency_ms=300),
        ),
        _result(
            "content",
            True,
            Expectation(source="task-2"),  # no refusal expectation: left out of refusal metrics
            _answer(refused=True, citations=_cites("a", "b", "c", "d", "e", "task-2"), latency_ms=None),
        ),
        _result("refusal", True, Expectation(refused=True), _answer(refused=True, latency_ms=200)),
        _result("refusal", True, Expectation(refused=True), _answer(refused=True, latency_ms=150)),
        _result("refusal", False, Expectation(refused=True), _answer(refused=False, latency_ms=50)),
        _result("refusal", False, Expectation(refused=True), {"answer": "…", "latency_ms": 250}),
        _result(
            "followup",
            False,
            Expectation(refused=False),
            _answer(latency_ms=500),
            _answer(refused=True, latency_ms=1000),
        ),
    ]
    summary = summarise(results)
    assert summary["cases"] == 8
    assert summary["passed"] == 4
    assert summary["accuracy"] == 0.5
    assert summary["by_kind"] == {
        "content": {"cases": 3, "passed": 2, "accuracy": pytest.approx(2 / 3)},
        "followup": {"cases": 1, "passed": 0, "accuracy": 0.0},
        "refusal": {"cases": 4, "passed": 2, "accuracy": 0.5},
    }
    assert summary["refusal"] == {
        "cases": 7,
        "tp": 2,
        "fp": 1,
        "fn": 2,
        "tn": 2,
        "precision": pytest.approx(2 / 3),
        "recall": 0.5,
    }
    assert summary["retrieval"] == {
        "cases": 3,
        "recall@1": pytest.approx(1 / 3),
        "recall@3": pytest.approx(2 / 3),
        "recall@5": pytest.approx(2 / 3),
        "mrr": pytest.approx((1 + 1 / 3 + 1 / 6) / 3),
    }
    # latencies 50 100 150 200 250 300 500 1000: p50 between 200 and 250, p95 at 6.65 of 0..7
    assert summary["latency_ms"] == {"turns": 8, "p50": 225.0, "p95": pytest.approx(825.0)}


def test_summarise_with_nothing_to_measure() -> None:
    assert summarise([]) == {
        "cases": 0,
        "passed": 0,
        "accuracy": None,
        "by_kind": {},
        "refusal": {"cases": 0, "tp": 0, "fp": 0, "fn": 0, "tn": 0, "precision": None, "recall": None},
        "retrieval": {"cases": 0, "recall@1": None, "recall@3": None, "recall@5": None, "mrr": None},
        "latency_ms": {"turns": 0, "p50": None, "p95": None},
    }


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [([], 50, None), ([7.0], 95, 7.0), ([1.0, 2.0, 3.0, 4.0], 50, 2.5), ([1.0, 2.0, 3.0], 100, 3.0)],
)
def test_percentile_interpolates(values: list[float], q: float, expected: float | None) -> None:
    assert percentile(values, q) == expected


def test_percentile_rejects_a_bad_q() -> None:
    with pytest.raises(ValueError, match="q must be within 0..100, got 101"):
        percentile([1.0], 101)
