"""Toneless pinyin of one character, from pypinyin's own character table, without loading pypinyin.

Misheard and mistyped words are found by their sound (``assistant.understand.respell``), one character at a
time. pypinyin's ``lazy_pinyin`` gives that, but importing it loads its phrase dictionary too (~0.15 s and ~55 MB
in a serving process) for a lookup that needs only the character table. This module reads that table once
(``pypinyin.pinyin_dict``, the first reading of each character, tone marks dropped, ü as v — exactly what
``lazy_pinyin(ch)[0]`` gives, checked by a test over every CJK character) and keeps it in the temp folder as
one line of syllables for the CJK block, keyed by pypinyin's version: a cold start reads it in milliseconds.
"""

from __future__ import annotations

import functools
import importlib.metadata
import threading
import unicodedata
from pathlib import Path

from corpus.cache import keyed_path, write_atomic

FIRST, LAST = 0x4E00, 0x9FFF  # the CJK Unified Ideographs block: every character a question here holds
_LOCK = threading.Lock()


def syllable(ch: str) -> str:
    """The toneless pinyin of ``ch`` (中 → zhong, 女 → nv); the character itself when it has none."""
    code = ord(ch) if len(ch) == 1 else -1
    if FIRST <= code <= LAST:
        found = _table()[code - FIRST]
        return found or ch
    # Letters, digits and punctuation have no pinyin; rarer ideographs (extension blocks) ask pypinyin itself.
    return _from_pypinyin(ch) if code >= 0x3400 and unicodedata.category(ch) == "Lo" else ch


def toneless(reading: str) -> str:
    """zhōng → zhong, nǚ → nv: tone marks dropped, ü written v (pypinyin's NORMAL style)."""
    decomposed = unicodedata.normalize("NFD", reading).replace("u\u0308", "v")
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn")


def _from_pypinyin(ch: str) -> str:
    from pypinyin.pinyin_dict import pinyin_dict

    found = pinyin_dict.get(ord(ch)) if len(ch) == 1 else None
    return toneless(found.split(",")[0]) if found else ch


@functools.cache
def _cached_table() -> tuple[str, ...]:
    path = _cache_path()
    if path is not None:
        try:
            table = path.read_text(encoding="ascii").split(" ")
            if len(table) == LAST - FIRST + 1:
                return tuple(table)
        except (OSError, ValueError):
            pass
    from pypinyin.pinyin_dict import pinyin_dict

    table = []
    for code in range(FIRST, LAST + 1):
        found = pinyin_dict.get(code)
        table.append(toneless(found.split(",")[0]) if found else "")
    if path is not None:
        write_atomic(path, " ".join(table), encoding="ascii")
    return tuple(table)


def _table() -> tuple[str, ...]:
    with _LOCK:
        return _cached_table()


def _cache_path() -> Path | None:
    try:
        version = importlib.metadata.version("pypinyin")
    except importlib.metadata.PackageNotFoundError:
        return None
    return keyed_path("pinyin", [version, "v1"], ".txt")
