"""`python -m eval`: score the eval set, run the benchmark, or ask the naive peer (thin shell over eval.*).

Examples:
    python -m eval --min-accuracy 0.9 --peer
    python -m eval bench --quick
    python -m eval peer "产教融合资金从哪来？"
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from corpus.settings import Settings

# The model always comes from disk, as in the CLI.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m eval",
        description="Score notice-qa on its eval set (default), benchmark it, or ask the naive-RAG peer.",
        epilog="example: python -m eval --min-accuracy 0.9 --peer",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("-v", "--verbose", action="store_true", help="log to stderr")
    p.add_argument(
        "--set", dest="set_path", type=Path, help="a JSON Lines eval set (default: the packaged one)"
    )
    p.add_argument("--report", type=Path, help="where to write the JSON report (default: reports/eval.json)")
    p.add_argument(
        "--min-accuracy", type=float, default=0.0, help="exit 1 below this overall accuracy (0..1)"
    )
    p.add_argument("--peer", action="store_true", help="also score the naive-RAG peer on the same cases")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    bench = sub.add_parser(
        "bench",
        help="measure latency, throughput, memory; print and write JSON",
        epilog="example: python -m eval bench --quick",
    )
    bench.add_argument(
        "--out", type=Path, help="where to write the JSON figures (default: reports/bench.json)"
    )
    bench.add_argument("--quick", action="store_true", help="fewer repetitions")
    peer = sub.add_parser(
        "peer",
        help="answer with the naive-RAG peer (one JSON object per question)",
        epilog='example: python -m eval peer "产教融合资金从哪来？"',
    )
    peer.add_argument("questions", nargs="+", metavar="QUESTION")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    settings = Settings()
    if args.command == "bench":
        from eval.bench import run_bench

        return run_bench(settings, args.out, quick=args.quick)
    if args.command == "peer":
        from eval.peer import load_peer

        peer = load_peer(settings)
        for question in args.questions:
            print(json.dumps(peer.ask(question).to_json(), ensure_ascii=False))
        return 0
    from eval.runner import run_eval

    return run_eval(settings, args.set_path, args.report, args.min_accuracy, peer=args.peer)


if __name__ == "__main__":
    sys.exit(main())
