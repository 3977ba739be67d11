"""Every error the packages raise on purpose derives from one root, so callers tell them from bugs by type."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

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


def test_the_cli_shows_an_expected_failure_as_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import ui.cli
    from index.errors import IndexNotBuiltError

    def not_built(*_: object) -> int:
        raise IndexNotBuiltError("the index is empty; run `notice-qa index`")

    monkeypatch.setitem(ui.cli._COMMANDS, "health", not_built)
    assert ui.cli.main(["health"]) == 1
    err = capsys.readouterr().err
    assert err == "notice-qa: the index is empty; run `notice-qa index`\n"


def test_the_cli_shows_a_bug_as_one_line_without_a_traceback(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import ui.cli

    def boom(*_: object) -> int:
        raise KeyError("something internal")

    monkeypatch.setitem(ui.cli._COMMANDS, "health", boom)
    assert ui.cli.main(["health"]) == 2
    err = capsys.readouterr().err
    assert "internal error (KeyError)" in err
    assert "this is a bug" in err
    assert "Traceback" not in err
