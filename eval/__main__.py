"""``python -m eval``: score the eval set (the default command), benchmark, or ask the naive peer.

The same command declarations as ``notice-qa eval|bench`` (eval/cli.py, run by index/cli.py).

Examples:
    python -m eval --min-accuracy 0.9 --peer
    python -m eval bench --quick
    python -m eval peer "产教融合资金从哪来？"
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from eval.cli import BENCH, EVAL, PEER
from index.cli import run_commands


def main(argv: Sequence[str] | None = None) -> int:
    description = "Score notice-qa on its eval set (default), benchmark it, or ask the naive-RAG peer."
    return run_commands("python -m eval", description, (EVAL, BENCH, PEER), argv, default="eval")


if __name__ == "__main__":
    sys.exit(main())
