"""The eval package's commands, declared once: ``notice-qa eval|bench`` and ``python -m eval [eval]|bench|peer``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from corpus.settings import Settings
from index.cli import Command, say


def _eval_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--set", dest="set_path", type=Path, help="a JSON Lines eval set (default: the packaged one)"
    )
    parser.add_argument(
        "--report", type=Path, help="where to write the JSON report (default: reports/eval.json)"
    )
    parser.add_argument(
        "--min-accuracy", type=float, default=0.0, help="exit 1 below this overall accuracy (0..1)"
    )
    parser.add_argument("--peer", action="store_true", help="also score the naive-RAG peer on the same cases")


def _eval(args: argparse.Namespace, settings: Settings) -> int:
    from eval.runner import run_eval

    return run_eval(settings, args.set_path, args.report, args.min_accuracy, peer=args.peer)


def _bench_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out", type=Path, help="where to write the JSON figures (default: reports/bench.json)"
    )
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")


def _bench(args: argparse.Namespace, settings: Settings) -> int:
    from eval.bench import run_bench

    return run_bench(settings, args.out, quick=args.quick)


def _peer_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("questions", nargs="+", metavar="QUESTION")


def _peer(args: argparse.Namespace, settings: Settings) -> int:
    from eval.peer import load_peer

    peer = load_peer(settings)
    for question in args.questions:
        say(json.dumps(peer.ask(question).to_json(), ensure_ascii=False))
    return 0


EVAL = Command("eval", "score the eval set", _eval, _eval_arguments, example="--min-accuracy 0.9 --peer")
BENCH = Command(
    "bench",
    "measure latency, throughput, memory; print and write JSON",
    _bench,
    _bench_arguments,
    example="--quick",
)
PEER = Command(
    "peer",
    "answer with the naive-RAG peer (one JSON object per question)",
    _peer,
    _peer_arguments,
    example='"产教融合资金从哪来？"',
)
