"""The shared vocabulary: one stop-word list, the domain list, and the general near-synonym list as bridges."""

from __future__ import annotations

from pathlib import Path

import pytest

from corpus import synonyms
from corpus.synonyms import Lexicon, domain_synonyms, notice_lexicon, read_general_groups, stopwords


def test_one_stop_word_list_holds_question_words_and_the_notices_frame() -> None:
    words = stopwords()
    assert {"什么", "哪些", "请问", "产教融合", "通知", "说法"} <= words
    assert "信贷" not in words


def test_the_domain_list_maps_each_left_word_to_every_right_word() -> None:
    domain = domain_synonyms()
    assert domain["三重一创"] == ("专项引导资金",)
    assert set(domain["银行"]) == {"信贷", "金融"}
    assert set(domain["借钱"]) == {"信贷", "金融"}


def test_a_malformed_domain_line_names_its_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(synonyms, "_data_lines", lambda name: ["", "三重一创 > 专项引导资金", "银行 信贷"])
    domain_synonyms.cache_clear()
    try:
        with pytest.raises(ValueError, match="line 3: expected 'words > notice words'"):
            domain_synonyms()
    finally:
        monkeypatch.undo()
        domain_synonyms.cache_clear()


def test_the_general_list_is_read_from_the_installed_package() -> None:
    groups = read_general_groups()
    assert len(groups) > 40_000
    assert any("老师" in g and "教师" in g for g in groups)


def test_a_group_only_bridges_to_words_the_text_holds() -> None:
    lex = Lexicon("加强师资队伍建设", [["老师", "教师", "师资", "导师"], ["天空", "苍穹"]], {})
    assert lex.synonyms("老师") == ("师资",)
    assert lex.synonyms("天空") == ()
    assert lex.expand(["老师", "天空"]) == ["老师", "天空", "师资"]


def test_long_lines_are_classes_not_synonyms() -> None:
    big = ["大学", "高校"] + [f"校{i}" for i in range(40)]
    assert Lexicon("高校联盟", [big], {}).synonyms("大学") == ()


def test_single_characters_bridge_only_through_the_domain_list() -> None:
    lex = Lexicon("财税部门 活动", [["动", "活动"]], {"税": ("财税",)})
    assert lex.synonyms("动") == ()
    assert lex.synonyms("税") == ("财税",)


def test_a_term_holding_a_domain_word_gets_its_words() -> None:
    assert "信贷" in notice_lexicon().synonyms("银行贷款")
    assert "高等学校" in notice_lexicon().synonyms("大学")


def test_the_synonym_cache_gives_what_filtering_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import corpus.synonyms as syn
    from corpus import cache
    from corpus.parser import read_notice_text

    monkeypatch.setattr(cache.tempfile, "gettempdir", lambda: str(tmp_path))
    text = read_notice_text()
    fresh = syn.Lexicon(text, syn.read_general_groups(), syn.domain_synonyms())
    path = syn._cache_path(text)
    assert path is not None
    assert path.parent == tmp_path
    cache.write_word_lists(path, fresh.general)
    assert syn._read_cache(path) == fresh.general
    path.write_text("{not json", encoding="utf-8")  # a damaged cache is ignored, not trusted
    assert syn._read_cache(path) is None
