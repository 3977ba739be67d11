"""Score answers against expectations and summarise a run; pure functions, no I/O.

An answer is the per-turn JSON object the assistant emits:
``{"question", "answer", "refused", "tasks", "citations": [{"source", "text"}], "latency_ms"}``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eval.cases import EvalCase, Expectation

RECALL_KS: tuple[int, ...] = (1, 3, 5)
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class CaseResult:
    """The outcome of one case: its answers (one per turn) and the failures of the last one."""

    case_id: str
    kind: str
    passed: bool
    failures: list[str]
    turns: list[dict[str, Any]]
    expect: Expectation  # kept so summarise() can compute refusal and retrieval metrics


def normalise_for_match(s: str) -> str:
    """NFKC-fold and drop all whitespace, so full-width digits and stray spaces do not matter."""
    return _WHITESPACE.sub("", unicodedata.normalize("NFKC", s))


def check(expect: Expectation, answer: Mapping[str, Any]) -> list[str]:
    """Every way ``answer`` misses ``expect``, one message each; an empty list means it passes.

    ``expect.source`` is not checked here: it feeds the retrieval metrics of ``summarise``.
    """
    failures: list[str] = []
    text = answer.get("answer")
    body = normalise_for_match(text) if isinstance(text, str) else ""
    if not isinstance(text, str):
        failures.append(f"answer: expected a string, got {text!r}")

    if expect.tasks is not None:
        expected = sorted(expect.tasks)
        got = answer.get("tasks")
        if not isinstance(got, list | tuple) or not all(type(t) is int for t in got):
            failures.append(f"tasks: expected {expected}, got {got!r}")
        elif sorted(set(got)) != expected:
            failures.append(f"tasks: expected {expected}, got {sorted(got)}")

    for needle in expect.contains:
        if normalise_for_match(needle) not in body:
            failures.append(f"contains: missing {needle!r}")

    if expect.any_of and not any(
        all(normalise_for_match(n) in body for n in alternative) for alternative in expect.any_of
    ):
        shown = " | ".join("+".join(alt) for alt in expect.any_of)
        failures.append(f"any_of: none of the alternatives appears whole: {shown}")

    if expect.refused is not None:
        got_refused = answer.get("refused")
        if got_refused is not expect.refused:
            failures.append(f"refused: expected {expect.refused}, got {got_refused!r}")

    if expect.not_regex is not None:
        match = re.search(expect.not_regex, body)
        if match is not None:
            failures.append(f"not_regex: {expect.not_regex!r} matched {match.group(0)!r}")
    return failures


def score_case(case: EvalCase, turns: Sequence[Mapping[str, Any]]) -> CaseResult:
    """Check the last of a case's answers (one per turn) and wrap the outcome."""
    if len(turns) != len(case.turns):
        raise ValueError(f"case {case.id!r} has {len(case.turns)} turns, got {len(turns)} answers")
    failures = check(case.expect, turns[-1])
    return CaseResult(case.id, case.kind, not failures, failures, [dict(t) for t in turns], case.expect)


def summarise(results: Sequence[CaseResult]) -> dict[str, Any]:
    """Accuracy (overall and per kind), refusal precision/recall, retrieval recall@k and MRR, latency.

    A metric with nothing to measure (no case expecting a refusal, no latencies) is ``None``.
    """
    by_kind: dict[str, dict[str, Any]] = {}
    for r in results:
        k = by_kind.setdefault(r.kind, {"cases": 0, "passed": 0})
        k["cases"] += 1
        k["passed"] += int(r.passed)
    for k in by_kind.values():
        k["accuracy"] = k["passed"] / k["cases"]
    passed = sum(r.passed for r in results)
    return {
        "cases": len(results),
        "passed": passed,
        "accuracy": passed / len(results) if results else None,
        "by_kind": dict(sorted(by_kind.items())),
        "refusal": _refusal_metrics(results),
        "retrieval": _retrieval_metrics(results),
        "latency_ms": _latency(results),
    }


def _last(r: CaseResult) -> Mapping[str, Any]:
    return r.turns[-1] if r.turns else {}


def _refusal_metrics(results: Sequence[CaseResult]) -> dict[str, Any]:
    """Positive = refused, over cases whose expectation says whether to refuse."""
    tp = fp = fn = tn = 0
    for r in results:
        if r.expect.refused is None:
            continue
        predicted = _last(r).get("refused") is True
        if predicted and r.expect.refused:
            tp += 1
        elif predicted:
            fp += 1
        elif r.expect.refused:
            fn += 1
        else:
            tn += 1
    return {
        "cases": tp + fp + fn + tn,
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
        "precision": tp / (tp + fp) if tp + fp else None,
        "recall": tp / (tp + fn) if tp + fn else None,
    }


def _cited_sources(answer: Mapping[str, Any]) -> list[str]:
    """The distinct citation sources in the answer's order (a source cited twice ranks once)."""
    seen: dict[str, None] = {}
    for c in answer.get("citations") or ():
        source = c.get("source") if isinstance(c, Mapping) else None
        if isinstance(source, str):
            seen.setdefault(source, None)
    return list(seen)


def _retrieval_metrics(results: Sequence[CaseResult]) -> dict[str, Any]:
    ranks: list[int | None] = []
    for r in results:
        if r.expect.source is None:
            continue
        sources = _cited_sources(_last(r))
        ranks.append(sources.index(r.expect.source) + 1 if r.expect.source in sources else None)
    n = len(ranks)
    out: dict[str, Any] = {"cases": n}
    for k in RECALL_KS:
        out[f"recall@{k}"] = sum(rank is not None and rank <= k for rank in ranks) / n if n else None
    out["mrr"] = sum(1 / rank for rank in ranks if rank is not None) / n if n else None
    return out


def _latency(results: Sequence[CaseResult]) -> dict[str, Any]:
    values = sorted(
        float(t["latency_ms"])
        for r in results
        for t in r.turns
        if isinstance(t.get("latency_ms"), int | float) and not isinstance(t.get("latency_ms"), bool)
    )
    return {"turns": len(values), "p50": percentile(values, 50), "p95": percentile(values, 95)}


def percentile(sorted_values: Sequence[float], q: float) -> float | None:
    """The q-th percentile of ascending values, linearly interpolated between ranks (numpy's default)."""
    if not 0 <= q <= 100:
        raise ValueError(f"q must be within 0..100, got {q}")
    if not sorted_values:
        return None
    pos = (len(sorted_values) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)
