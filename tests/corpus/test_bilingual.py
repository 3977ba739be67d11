"""English words → the notice's words through CC-CEDICT (corpus.bilingual)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from corpus.bilingual import EnglishBridge, has_english, notice_bridge, stems

ENTRIES = [
    ("学徒", "apprentice/to serve an apprenticeship"),
    ("学校", "school/CL:所[suo3]"),
    ("高职院校", "higher vocational school"),
    ("试点", "test point/to carry out trial/pilot scheme"),
    ("飞机", "airplane"),  # not in the text: never offered
    ("企业", "company; firm; enterprise; corporation"),
]
TEXT = "推行现代学徒制。支持企业参与举办职业学校和高职院校。开展试点示范。"


def test_only_words_the_text_holds_are_offered() -> None:
    bridge = EnglishBridge(TEXT, ENTRIES)
    assert bridge.words("airplane") == []
    assert bridge.words("apprenticeships") == ["学徒"]  # a plural's stem; a word of a short gloss


def test_a_whole_gloss_beats_a_word_of_one() -> None:
    bridge = EnglishBridge(TEXT, ENTRIES)
    assert bridge.words("schools") == ["学校"]  # not 高职院校 (higher vocational school)


def test_two_word_phrases_first_and_unmatched_words_kept() -> None:
    bridge = EnglishBridge(TEXT, ENTRIES)
    words, missing = bridge.read("Is there a pilot scheme for companies near the airport?")
    assert words == ["试点", "企业"]
    assert missing == ["near", "airport"]
    assert bridge.share("pilot scheme airport") == pytest.approx(2 / 3)


def test_a_headword_the_text_lacks_arrives_through_its_synonyms() -> None:
    entries = [*ENTRIES, ("钱", "money/currency"), ("税", "taxes/duties")]
    synonyms = {"钱": ("资金",), "税": ("减税",)}.get
    bridge = EnglishBridge("设立专项资金。推行减税政策。", entries, lambda w: synonyms(w, ()))
    assert bridge.words("money") == ["资金"]  # money → 钱 → 资金
    assert bridge.words("tax") == ["减税"]  # the gloss 'taxes' is keyed by its stem too


def test_stems() -> None:
    assert "company" in stems("companies")
    assert "invest" in stems("investing")
    assert "class" in stems("class")  # -ss is not a plural


def test_english_is_two_latin_words() -> None:
    assert has_english("What about apprenticeships?")
    assert not has_english("第5项 A 类")
    assert not has_english("学徒制怎么搞")


@pytest.mark.parametrize(
    ("question", "word"),
    [
        ("apprenticeships", "学徒"),
        ("tax", "减税"),
        ("internship", "实习"),
        ("trade union", "工会"),
        ("pilot scheme", "试点"),
        ("money", "资金"),  # through 钱 and the domain list
    ],
)
def test_the_shipped_dictionary_reaches_the_notice(question: str, word: str) -> None:
    assert word in notice_bridge().words(question)


def test_markup_is_not_english() -> None:
    assert notice_bridge().read("<script>alert(1)</script>")[0] == []


def test_a_bridge_from_its_cache_reads_as_the_built_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import corpus.bilingual as bi
    from corpus import cache
    from corpus.parser import read_notice_text

    built = bi.notice_bridge()
    monkeypatch.setattr(cache.tempfile, "gettempdir", lambda: str(tmp_path))
    path = bi._cache_path(read_notice_text())
    assert path is not None
    assert path.parent == tmp_path
    cache.write_word_lists(path, built.index)
    again = bi.EnglishBridge.from_index(read_notice_text(), json.loads(path.read_text(encoding="utf-8")))
    question = "Is there money for apprenticeships, internships or a pilot scheme near the airport?"
    assert again.read(question) == built.read(question)
