"""Run the eval set through the assistant (and optionally the naive peer); print a table, write a report."""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from assistant.answer import SupportsAsk
from assistant.chain import Conversation
from corpus.settings import Settings
from eval.cases import KINDS, CaseFormatError, EvalCase, load_cases
from eval.scoring import RECALL_KS, CaseResult, score_case, summarise

log = logging.getLogger(__name__)

DEFAULT_REPORT = Path("reports") / "eval.json"
# Asked once before the timed run (of the assistant built here), so that the first content case does not
# carry the model load and index open in its latency; the peer loads its model when it is built.
WARMUP_QUESTION = "产教融合资金从哪来？"


def evaluate(
    assistant: SupportsAsk, cases: Sequence[EvalCase], *, progress: bool = False, desc: str = "eval"
) -> list[CaseResult]:
    """Ask every case's turns in one fresh Conversation per case and score the last answer."""
    from tqdm import tqdm

    results: list[CaseResult] = []
    for case in tqdm(cases, desc=desc, unit="case", disable=not progress, file=sys.stderr):
        conversation = Conversation()
        turns = [_ask(assistant, question, conversation) for question in case.turns]
        results.append(score_case(case, turns))
    return results


def _ask(assistant: SupportsAsk, question: str, conversation: Conversation) -> dict[str, Any]:
    """One turn as its JSON object; a raised exception becomes a turn without an answer, so the case fails."""
    started = time.perf_counter()
    try:
        answer = assistant.ask(question, conversation, via="eval")
    except Exception as exc:  # one broken case must not end the run; the failure names the exception
        log.warning("ask raised %s", type(exc).__name__, exc_info=True)
        return {
            "question": question,
            "answer": None,
            "refused": None,
            "tasks": [],
            "citations": [],
            "latency_ms": round((time.perf_counter() - started) * 1000, 3),
            "error": f"{type(exc).__name__}: {exc}",
        }
    return answer.to_json()


def case_json(result: CaseResult) -> dict[str, Any]:
    return {
        "id": result.case_id,
        "kind": result.kind,
        "passed": result.passed,
        "failures": list(result.failures),
        "turns": result.turns,
    }


def run_eval(
    settings: Settings,
    set_path: Path | None,
    report_path: Path | None,
    min_accuracy: float,
    *,
    peer: bool = False,
    assistant: SupportsAsk | None = None,
    peer_assistant: SupportsAsk | None = None,
    progress: bool = True,
) -> int:
    """Score the eval set (the packaged one by default); 1 when overall accuracy is below ``min_accuracy``.

    ``assistant`` / ``peer_assistant`` default to the real ones built from ``settings``; tests pass their own.
    """
    try:
        cases = load_cases(set_path)
    except (OSError, CaseFormatError) as exc:
        print(f"eval: cannot read the eval set {set_path or '(packaged)'}: {exc}", file=sys.stderr)
        return 1
    if not cases:
        print(f"eval: the eval set {set_path or '(packaged)'} has no cases", file=sys.stderr)
        return 1

    warmup_ms: float | None = None
    if assistant is None:
        from assistant.wiring import load_assistant

        assistant = load_assistant(settings)
        warmup_ms = _warm(assistant)
    results = evaluate(assistant, cases, progress=progress, desc="assistant")
    metrics = summarise(results)
    report: dict[str, Any] = {
        "metrics": metrics,
        "cases": [case_json(r) for r in results],
        "run": {
            "set": str(set_path) if set_path else "(packaged)",
            "min_accuracy": min_accuracy,
            "warmup_ms": round(warmup_ms, 1) if warmup_ms is not None else None,
        },
    }

    peer_metrics: dict[str, Any] | None = None
    if peer:
        if peer_assistant is None:
            from eval.peer import load_peer

            built = load_peer(settings)
            peer_assistant, build_ms = built, built.build_ms
        else:
            build_ms = None
        peer_results = evaluate(peer_assistant, cases, progress=progress, desc="peer")
        peer_metrics = summarise(peer_results)
        report["peer"] = {
            "metrics": peer_metrics,
            "latency_ratio_p50": _ratio(peer_metrics["latency_ms"]["p50"], metrics["latency_ms"]["p50"]),
            "build_ms": round(build_ms, 1) if build_ms is not None else None,
            "cases": [case_json(r) for r in peer_results],
        }

    print(format_table(metrics, peer_metrics))
    path = report_path or DEFAULT_REPORT
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"report: {path}")

    accuracy = metrics["accuracy"] or 0.0
    if accuracy < min_accuracy:
        print(f"FAIL: overall accuracy {accuracy:.1%} is below --min-accuracy {min_accuracy:.1%}")
        return 1
    return 0


def _warm(assistant: SupportsAsk) -> float:
    started = time.perf_counter()
    try:
        assistant.ask(WARMUP_QUESTION, Conversation())
    except Exception:  # the cases will show it; warming is best effort
        log.warning("warm-up question raised", exc_info=True)
    return (time.perf_counter() - started) * 1000


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


# -- the printed table ---------------------------------------------------------------------------------------


def format_table(metrics: Mapping[str, Any], peer: Mapping[str, Any] | None = None) -> str:
    """Accuracy per kind and overall (beside the peer's when given), refusal, retrieval and latency lines."""
    by_kind: Mapping[str, Any] = metrics["by_kind"]
    peer_kind: Mapping[str, Any] = peer["by_kind"] if peer else {}
    kinds = [k for k in KINDS if k in by_kind] + sorted(set(by_kind) - set(KINDS))
    head = f"{'kind':<15}{'cases':>6}{'assistant':>11}"
    lines = [head + (f"{'peer':>9}" if peer else "")]
    for kind in kinds:
        k = by_kind[kind]
        row = f"{kind:<15}{k['cases']:>6}{_pct(k['accuracy']):>11}"
        if peer:
            row += f"{_pct(peer_kind.get(kind, {}).get('accuracy')):>9}"
        lines.append(row)
    overall = f"{'overall':<15}{metrics['cases']:>6}{_pct(metrics['accuracy']):>11}"
    if peer:
        overall += f"{_pct(peer['accuracy']):>9}"
    lines += ["-" * len(lines[0]), overall, ""]

    lines.append(_refusal_line("refusal", metrics["refusal"]))
    if peer:
        lines.append(_refusal_line("peer refusal", peer["refusal"]))
    r = metrics["retrieval"]
    recall = "  ".join(f"recall@{k} {_num(r[f'recall@{k}'])}" for k in RECALL_KS)
    lines.append(f"{'retrieval':<15}{r['cases']:>3} cases  {recall}  MRR {_num(r['mrr'])}")
    if peer:
        lines.append(f"{'peer retrieval':<15}n/a (it cites chunk-N, never a gold task-/clause- source)")
    lat = metrics["latency_ms"]
    lines.append(f"{'latency ms':<15}p50 {_ms(lat['p50'])}  p95 {_ms(lat['p95'])}  ({lat['turns']} turns)")
    if peer:
        plat = peer["latency_ms"]
        ratio = _ratio(plat["p50"], lat["p50"])
        shown = f"{ratio:.1f}x" if ratio is not None else "-"
        lines.append(
            f"{'peer latency':<15}p50 {_ms(plat['p50'])}  p95 {_ms(plat['p95'])}  "
            f"(peer p50 / assistant p50 = {shown})"
        )
    return "\n".join(lines)


def _refusal_line(label: str, r: Mapping[str, Any]) -> str:
    return (
        f"{label:<15}{r['cases']:>3} cases  precision {_num(r['precision'])}  recall {_num(r['recall'])}  "
        f"(tp {r['tp']} fp {r['fp']} fn {r['fn']} tn {r['tn']})"
    )


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x:.1%}"


def _num(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"


def _ms(x: float | None) -> str:
    return "-" if x is None else f"{x:.1f}"
