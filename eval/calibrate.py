"""Calibrate the content gate on labelled in- and out-of-scope questions (none taken from the eval sets).

For each question: its topic coverage (words, with synonyms) and the best dense similarity the retriever
reports. A grid search picks the ``Gate`` thresholds with the best refusal F1 (precision first on ties); the
figures printed go to the README. The sentence pick is scored too: recall@1 of the labelled source.

    python -m eval.calibrate [--set eval/data/gate_calibration.jsonl] [--json]
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from index.offline import go_offline

go_offline()

DEFAULT_SET = Path(__file__).parent / "data" / "gate_calibration.jsonl"


@dataclass(frozen=True)
class Labelled:
    question: str
    in_scope: bool
    source: str | None = None


@dataclass(frozen=True)
class Measured:
    question: str
    in_scope: bool
    coverage: float
    dense: float
    overlap: float  # the best sentence's topic overlap
    source: str | None
    picked: str | None  # the source of the first sentence the answerer picks


def read_set(path: Path) -> list[Labelled]:
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        row = json.loads(line)
        if not isinstance(row.get("question"), str) or not isinstance(row.get("in_scope"), bool):
            raise ValueError(f"{path}:{n}: needs 'question' (text) and 'in_scope' (true/false)")
        out.append(Labelled(row["question"], row["in_scope"], row.get("source")))
    return out


def refusal_figures(rows: Sequence[Measured], admits: object) -> dict[str, float | int | None]:
    """Refusal precision / recall (positive = refused) of a gate over measured rows."""
    assert callable(admits)
    tp = fp = fn = 0
    for r in rows:
        refused = not admits(r.coverage, r.dense)
        if refused and not r.in_scope:
            tp += 1
        elif refused:
            fp += 1
        elif not r.in_scope:
            fn += 1
    p = tp / (tp + fp) if tp + fp else None
    rec = tp / (tp + fn) if tp + fn else None
    f1 = 2 * p * rec / (p + rec) if p and rec else 0.0
    return {"tp": tp, "fp": fp, "fn": fn, "precision": p, "recall": rec, "f1": f1}


def search(rows: Sequence[Measured]) -> tuple[dict[str, float], dict[str, float | int | None]]:
    """The Gate thresholds with the best refusal F1 on ``rows`` (ties: higher precision, then looser gate)."""
    from assistant.content import Gate

    best: tuple[tuple[float, float, float], dict[str, float], dict[str, float | int | None]] | None = None
    grid_cov = [0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 1.01]
    grid_dense = [round(0.60 + 0.02 * i, 2) for i in range(18)]
    for cov_alone, dense_alone, cov_min, dense_min in itertools.product(
        grid_cov, grid_dense, grid_cov, grid_dense
    ):
        if cov_min > cov_alone or dense_min > dense_alone:
            continue
        gate = Gate(cov_alone, dense_alone, cov_min, dense_min)
        fig = refusal_figures(rows, gate.admits)
        key = (float(fig["f1"] or 0.0), float(fig["precision"] or 0.0), -(cov_min + dense_min))
        if best is None or key > best[0]:
            best = (key, asdict(gate), fig)
    assert best is not None
    return best[1], best[2]


def measure(labelled: Sequence[Labelled]) -> list[Measured]:
    """Coverage, dense similarity and the picked source for each question, with the real model and index."""
    from assistant.content import ContentAnswerer, best_passages
    from assistant.wiring import retriever_factory
    from corpus.parser import parse_notice
    from corpus.settings import Settings

    notice = parse_notice()
    retriever = retriever_factory(Settings(), notice)()
    answerer = ContentAnswerer(notice, retriever.invoke)
    out = []
    for item in labelled:
        ev = answerer.evidence(item.question)
        picked = best_passages(answerer._terms, ev.terms, ev.docs, notice, focus=ev.focus)
        out.append(
            Measured(
                item.question,
                item.in_scope,
                ev.coverage,
                ev.dense,
                ev.overlap,
                item.source,
                picked[0].source if picked else None,
            )
        )
    return out


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m eval.calibrate", description=__doc__.splitlines()[0])
    p.add_argument("--set", dest="set_path", type=Path, default=DEFAULT_SET)
    p.add_argument("--json", action="store_true", help="print every measured row as JSON")
    args = p.parse_args(argv)
    from assistant.content import GATE

    rows = measure(read_set(args.set_path))
    if args.json:
        for r in rows:
            print(json.dumps(asdict(r), ensure_ascii=False))
    best, fig = search(rows)
    current = refusal_figures(rows, GATE.admits)
    sourced = [r for r in rows if r.in_scope and r.source]
    recall1 = sum(r.picked == r.source for r in sourced) / len(sourced) if sourced else None
    print(f"{len(rows)} questions ({sum(r.in_scope for r in rows)} in scope)")
    print(f"current gate {asdict(GATE)}: refusal P {current['precision']} R {current['recall']}")
    print(f"best gate    {best}: refusal P {fig['precision']} R {fig['recall']} F1 {fig['f1']:.3f}")
    print(f"sentence pick recall@1 {recall1} over {len(sourced)} sourced questions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
