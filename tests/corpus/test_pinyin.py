"""corpus.pinyin gives exactly what pypinyin's lazy_pinyin gives, one character at a time."""

from __future__ import annotations

from pathlib import Path

import pytest

from corpus import cache, pinyin


def test_every_cjk_character_reads_as_lazy_pinyin_reads_it() -> None:
    from pypinyin import lazy_pinyin

    block = "".join(chr(c) for c in range(pinyin.FIRST, pinyin.LAST + 1))
    assert [pinyin.syllable(ch) for ch in block] == lazy_pinyin(block, errors=lambda s: list(s))


@pytest.mark.parametrize(
    ("ch", "read"), [("中", "zhong"), ("女", "nv"), ("略", "lve"), ("a", "a"), ("，", "，")]
)
def test_tone_marks_dropped_and_u_umlaut_as_v(ch: str, read: str) -> None:
    assert pinyin.syllable(ch) == read


def test_a_damaged_cache_is_rebuilt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache.tempfile, "gettempdir", lambda: str(tmp_path))
    pinyin._cached_table.cache_clear()
    try:
        path = pinyin._cache_path()
        assert path is not None
        path.write_text("zhong zhong", encoding="ascii")  # too short: not this table
        assert pinyin.syllable("产") == "chan"
        assert len(path.read_text(encoding="ascii").split(" ")) == pinyin.LAST - pinyin.FIRST + 1
    finally:
        pinyin._cached_table.cache_clear()
