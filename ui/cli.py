"""`notice-qa`: the one console script. Its commands are declared once, each in the package that owns it
(index/cli.py: model, index, health; eval/cli.py: eval, bench; here: ask, chat, serve, review), and run by
``index.cli.run_commands`` — the same runner as ``python -m index`` and ``python -m eval``.

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
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from corpus.settings import Settings
from eval.cli import BENCH, EVAL
from index.cli import HEALTH, INDEX, MODEL, CliError, Command, run_commands
from index.runtime import limit_malloc_arenas, one_shot

if TYPE_CHECKING:
    from assistant.answer import Answer
    from assistant.chain import Assistant

DESCRIPTION = "问答六政办秘〔2018〕123号《关于切实做好深化产教融合重点工作的通知》: exact, cited, offline."


def main(argv: Sequence[str] | None = None) -> int:
    return run_commands("notice-qa", DESCRIPTION, COMMANDS, argv)


@one_shot  # start, answer, exit: no collector passes over the ~1M objects start-up builds (0.4–0.6 s cold)
def _ask(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.chain import Conversation
    from assistant.wiring import load_assistant

    assistant = load_assistant(settings)
    conversation = Conversation()
    for question in args.questions:
        answer = assistant.ask(question, conversation, via="cli")
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
        answer = assistant.ask(question, conversation, via="cli")
        _show(answer)
        if answer.route == "error":
            _explain_error(assistant)


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    from ui.app import serve

    limit_malloc_arenas()  # before the server's threads start: they would each keep an arena of freed pages

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


def _ask_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("questions", nargs="+", metavar="QUESTION")
    parser.add_argument("--json", action="store_true", help="one JSON object per turn, one per line")


def _serve_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host")
    parser.add_argument("--port", type=int)
    parser.add_argument("--kiosk", action="store_true", help="public kiosk mode")


def _review_arguments(parser: argparse.ArgumentParser) -> None:
    rsub = parser.add_subparsers(dest="review_command", required=True, metavar="ACTION")
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


COMMANDS = (
    MODEL,
    INDEX,
    Command(
        "ask",
        "answer questions (several questions are one conversation)",
        _ask,
        _ask_arguments,
        example='--json "哪些任务由市人社局牵头？" "那市财政局呢？"',
    ),
    Command("chat", "interactive chat in the terminal (empty line or Ctrl-D ends)", _chat),
    HEALTH,
    Command("serve", "start the Gradio app", _serve, _serve_arguments, example="--kiosk --port 7861"),
    EVAL,
    Command(
        "review",
        "the review queue: 👎, refusals and errors kept for staff (list, stats, export as eval cases)",
        _review,
        _review_arguments,
        example="export --out reviewed.jsonl",
    ),
    BENCH,
)


if __name__ == "__main__":
    sys.exit(main())
