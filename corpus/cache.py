"""Flat caches of data derived from installed packages (synonym bridges, the English bridge, the pinyin table):
one file each in the temp folder, named by a hash of everything it was derived from, written atomically.

A cache that cannot be read is rebuilt; one that cannot be written (a read-only temp folder) is only slower.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

log = logging.getLogger(__name__)


def keyed_path(name: str, inputs: Iterable[str], suffix: str) -> Path:
    """``<temp>/notice-qa-<name>-<hash of inputs><suffix>``: another input, another file."""
    key = hashlib.sha256("\n".join(inputs).encode("utf-8")).hexdigest()[:20]
    return Path(tempfile.gettempdir()) / f"notice-qa-{name}-{key}{suffix}"


def file_inputs(path: Path) -> list[str]:
    """What stands for a data file among a cache's inputs: its path, size and modification time."""
    stat = path.stat()
    return [str(path), str(stat.st_size), str(stat.st_mtime_ns)]


def write_atomic(path: Path, text: str, *, encoding: str = "utf-8") -> None:
    """Write ``text`` to ``path`` through a temp file in the same folder, so no reader sees half of it."""
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", dir=path.parent)
        with os.fdopen(fd, "w", encoding=encoding) as fh:
            fh.write(text)
        os.replace(tmp, path)
    except (OSError, UnicodeError) as exc:  # a read-only temp folder: the next start derives it again
        log.debug("cannot write the cache %s: %s", path, exc)
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


def write_word_lists(path: Path, lists: dict[str, list[str]] | dict[str, tuple[str, ...]]) -> None:
    """A mapping of words to lists of words, as JSON."""
    write_atomic(path, json.dumps(lists, ensure_ascii=False))


def read_word_lists(path: Path) -> dict[str, list[str]] | None:
    """What ``write_word_lists`` wrote, or None when the file is missing, damaged or of another shape."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(raw, dict) or not all(
        isinstance(k, str) and isinstance(v, list) and all(isinstance(w, str) for w in v)
        for k, v in raw.items()
    ):
        return None
    return raw
