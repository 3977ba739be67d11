"""index.jieba_cache: the flat cache gives jieba's own dictionary, and any trouble falls back to jieba."""

from __future__ import annotations

from pathlib import Path

import jieba
import pytest

from index.jieba_cache import cache_path, default_tokenizer

SENTENCES = (
    "市人社局牵头强化企业职工在岗教育培训",
    "学校和工厂一起带学生，这个文件里有提到吗？",
    "每年从市“三重一创”建设专项引导资金中切块用于产教融合发展项目",
)


@pytest.fixture(scope="module")
def reference() -> jieba.Tokenizer:
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    return tokenizer


def test_the_cache_gives_jiebas_own_dictionary(tmp_path: Path, reference: jieba.Tokenizer) -> None:
    first = default_tokenizer(tmp_path)  # no cache yet: jieba loads, the cache is written
    path = cache_path(tmp_path)
    assert path is not None
    assert path.is_file()
    second = default_tokenizer(tmp_path)  # from the cache
    for tokenizer in (first, second):
        assert tokenizer.initialized
        assert tokenizer.total == reference.total
        assert tokenizer.FREQ == reference.FREQ
        for sentence in SENTENCES:
            assert list(tokenizer.cut_for_search(sentence)) == list(reference.cut_for_search(sentence))
    second.add_word("三重一创", freq=None)  # words added later still work as on jieba's own tokenizer
    assert "三重一创" in list(second.cut(SENTENCES[2]))


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty"])
def test_a_damaged_cache_falls_back_to_jieba(tmp_path: Path, reference: jieba.Tokenizer, damage: str) -> None:
    default_tokenizer(tmp_path)
    path = cache_path(tmp_path)
    assert path is not None
    data = path.read_bytes()
    path.write_bytes({"garbage": b"not a cache", "truncated": data[: len(data) // 2], "empty": b""}[damage])
    tokenizer = default_tokenizer(tmp_path)
    assert tokenizer.total == reference.total
    assert tokenizer.FREQ == reference.FREQ
    assert path.read_bytes() == data  # rewritten from jieba's own load


def test_an_unwritable_cache_folder_still_gives_a_tokenizer(
    tmp_path: Path, reference: jieba.Tokenizer
) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("a file where the cache folder should be", encoding="utf-8")
    tokenizer = default_tokenizer(blocked)
    assert tokenizer.total == reference.total
    assert [p.name for p in tmp_path.iterdir()] == ["file"]
