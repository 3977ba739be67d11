"""One declaration per command: notice-qa, python -m index and python -m eval parse a command alike."""

from __future__ import annotations

import argparse
import dataclasses

import pytest

from eval.cli import BENCH, EVAL, PEER
from index.cli import HEALTH, INDEX, INDEX_COMMANDS, MODEL, parser, run_commands
from ui.cli import COMMANDS


def _options(prog: str, commands: tuple, name: str) -> dict[str, tuple[str, ...]]:
    top = parser(prog, "", commands)
    sub = next(a for a in top._actions if isinstance(a, argparse._SubParsersAction))
    return {a.dest: tuple(a.option_strings) for a in sub.choices[name]._actions}


@pytest.mark.parametrize(
    ("command", "elsewhere"),
    [
        (MODEL, ("python -m index", INDEX_COMMANDS)),
        (INDEX, ("python -m index", INDEX_COMMANDS)),
        (HEALTH, ("python -m index", INDEX_COMMANDS)),
        (EVAL, ("python -m eval", (EVAL, BENCH, PEER))),
        (BENCH, ("python -m eval", (EVAL, BENCH, PEER))),
    ],
    ids=lambda c: c.name if hasattr(c, "name") else c[0],
)
def test_a_command_parses_alike_everywhere(command, elsewhere) -> None:
    assert command in COMMANDS  # notice-qa runs the very declaration
    prog, commands = elsewhere
    assert _options("notice-qa", COMMANDS, command.name) == _options(prog, commands, command.name)


@pytest.mark.parametrize(
    ("argv", "command"),
    [
        (["--min-accuracy", "0.5", "--peer"], "eval"),
        (["-v", "--peer"], "eval"),
        ([], "eval"),
        (["bench", "--quick"], "bench"),
    ],
)
def test_python_m_eval_defaults_to_the_eval_command(argv: list[str], command: str) -> None:
    seen: list[argparse.Namespace] = []

    def record(args: argparse.Namespace, settings: object) -> int:
        seen.append(args)
        return 0

    commands = [dataclasses.replace(c, run=record) for c in (EVAL, BENCH, PEER)]
    assert run_commands("python -m eval", "", commands, argv, default="eval") == 0
    assert seen[0].command == command
