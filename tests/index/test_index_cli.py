"""python -m index: the same commands as notice-qa — help with an example, one-line errors, non-zero exit."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from index.__main__ import main


def test_help_shows_an_example() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "index", "--help"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0
    assert "example: python -m index index --force" in proc.stdout
    for command in ("    model ", "    index (build)", "    health "):
        assert command in proc.stdout


def _fake_model(tmp_path: Path) -> Path:
    folder = tmp_path / "fake-model"
    folder.mkdir()
    (folder / "config.json").write_text("{}", encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    ("model", "message"),
    [
        ("missing", "notice-qa: no model folder at .*run `notice-qa model`"),
        ("fake", "notice-qa: there is no collection 'notice'; run `notice-qa index`"),
    ],
)
def test_health_failures_are_one_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    model: str,
    message: str,
) -> None:
    model_dir = _fake_model(tmp_path) if model == "fake" else tmp_path / "missing"
    monkeypatch.setenv("NOTICE_QA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("NOTICE_QA_MODEL_DIR", str(model_dir))
    monkeypatch.delenv("NOTICE_QA_CHROMA_URL", raising=False)
    assert main(["health"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.endswith("\n")
    import re

    assert re.match(message, err)


def test_bad_setting_is_one_line(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("NOTICE_QA_TOP_K", "0")
    assert main(["health"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("notice-qa: ")
    assert "top_k" in err
    assert err.count("\n") == 1


def test_unknown_command_exits_non_zero() -> None:
    with pytest.raises(SystemExit) as info:
        main(["explode"])
    assert info.value.code == 2
