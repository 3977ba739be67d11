"""Every error the packages raise on purpose derives from one root, so callers tell them from bugs by type."""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from corpus.errors import NoticeQAError

PACKAGES = ("corpus", "index", "assistant", "ui", "eval")


def _own_exceptions() -> list[type[BaseException]]:
    found: list[type[BaseException]] = []
    for name in PACKAGES:
        package = importlib.import_module(name)
        for info in pkgutil.iter_modules(package.__path__, prefix=f"{name}."):
            if info.name.endswith("__main__"):
                continue
            module = importlib.import_module(info.name)
            for _, obj in inspect.getmembers(module, inspect.isclass):
                if issubclass(obj, BaseException) and obj.__module__ == module.__name__:
                    found.append(obj)
    return found


def test_the_packages_define_errors() -> None:
    names = {e.__name__ for e in _own_exceptions()}
    assert {"NoticeParseError", "IndexNotBuiltError", "ModelMissingError", "CaseFormatError"} <= names


@pytest.mark.parametrize("error", _own_exceptions(), ids=lambda e: f"{e.__module__}.{e.__name__}")
def test_every_error_derives_from_the_root(error: type[BaseException]) -> None:
    assert issubclass(error, NoticeQAError)


def _entry_points() -> list[Callable[[Sequence[str]], int]]:
    import eval.__main__
    import index.__main__
    import ui.cli

    return [ui.cli.main, index.__main__.main, eval.__main__.main]


@pytest.mark.parametrize("main", _entry_points(), ids=["notice-qa", "python -m index", "python -m eval"])
def test_every_entry_point_runs_the_same_health_command(
    main: Callable[[Sequence[str]], int],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # python -m eval has no health command: its parser refuses it as it refuses any unknown word.
    monkeypatch.setenv("NOTICE_QA_DATA_DIR", str(tmp_path))
    if main.__module__ == "eval.__main__":
        with pytest.raises(SystemExit, match="2"):
            main(["health"])
        return
    assert main(["health", "--json"]) == 1
    captured = capsys.readouterr()
    assert json.loads(captured.out)["ok"] is False
    assert captured.err.startswith("notice-qa: no model folder at ")
    assert captured.err.count("\n") == 1


def test_the_cli_shows_an_expected_failure_as_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    from index.cli import Command, run_commands
    from index.errors import IndexNotBuiltError

    def not_built(*_: object) -> int:
        raise IndexNotBuiltError("the index is empty; run `notice-qa index`")

    assert run_commands("notice-qa", "", [Command("health", "", not_built)], ["health"]) == 1
    err = capsys.readouterr().err
    assert err == "notice-qa: the index is empty; run `notice-qa index`\n"


def test_the_cli_shows_a_bug_as_one_line_without_a_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    from index.cli import Command, run_commands

    def boom(*_: object) -> int:
        raise KeyError("something internal")

    assert run_commands("python -m index", "", [Command("health", "", boom)], ["health"]) == 2
    err = capsys.readouterr().err
    assert "internal error (KeyError)" in err
    assert "this is a bug" in err
    assert "Traceback" not in err


def test_a_bugs_traceback_goes_to_the_bug_log(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from index.cli import Command, run_commands

    monkeypatch.setenv("NOTICE_QA_DATA_DIR", str(tmp_path))

    def boom(*_: object) -> int:
        raise KeyError("something internal")

    assert run_commands("notice-qa", "", [Command("health", "", boom)], ["health"]) == 2
    err = capsys.readouterr().err
    log = tmp_path / "logs" / "bugs.log"
    assert str(log) in err
    assert "Traceback" in log.read_text(encoding="utf-8")
    assert "something internal" in log.read_text(encoding="utf-8")


def test_a_closed_pipe_is_not_a_bug(capsys: pytest.CaptureFixture[str]) -> None:
    from index.cli import Command, run_commands

    def reader_went_away(*_: object) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    assert run_commands("notice-qa", "", [Command("ask", "", reader_went_away)], ["ask"]) == 0
    assert capsys.readouterr().err == ""
