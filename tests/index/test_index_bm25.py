"""BM25Ranker: agency names and categories stay whole tokens; exact names find their rows."""

from __future__ import annotations

import pytest
from langchain_core.documents import Document

from corpus.records import Notice
from index.bm25 import BM25Ranker, tokenize
from index.documents import doc_units, notice_documents


@pytest.fixture(scope="module")
def ranker(notice: Notice) -> BM25Ranker:
    return BM25Ranker(notice_documents(notice))


def test_agency_aliases_and_categories_stay_one_token(ranker: BM25Ranker) -> None:
    assert "市人社局" in ranker.tokenize("市人社局牵头哪些工作")
    assert "人社局" in ranker.tokenize("人社局")
    assert "发挥企业重要主体作用" in ranker.tokenize("发挥企业重要主体作用有哪些")


def test_punctuation_stopwords_and_case_are_dropped(ranker: BM25Ranker) -> None:
    tokens = ranker.tokenize("请问，谁负责 STEM 的“工作”？")
    assert tokens == ["stem"]


def test_the_global_jieba_dictionary_is_untouched(ranker: BM25Ranker) -> None:
    import jieba

    # jieba's default tokenizer does not know our alias 六安银监分局 as one word.
    assert "六安银监分局" not in jieba.lcut("六安银监分局")
    assert "六安银监分局" in ranker.tokenize("六安银监分局")


def test_unit_query_ranks_a_task_of_that_unit_first(ranker: BM25Ranker) -> None:
    hits = ranker.rank("人社局负责哪些任务", 5)
    assert hits
    top, _ = hits[0]
    assert top.metadata["kind"] in ("task", "task_sentence")
    assert "市人社局" in doc_units(top)
    assert all("市人社局" in doc_units(doc) for doc, _ in hits)


def test_exact_phrase_finds_clause_3(ranker: BM25Ranker) -> None:
    hits = ranker.rank("三重一创", 3)
    assert [doc.id for doc, _ in hits[:2]] == ["clause-3:s2", "clause-3"]
    assert "三重一创" in hits[0][0].page_content


def test_scores_are_positive_sorted_and_capped(ranker: BM25Ranker) -> None:
    hits = ranker.rank("企业职工在岗培训", 4)
    assert len(hits) == 4
    assert hits[0][0].id == "task-12"
    scores = [s for _, s in hits]
    assert all(s > 0 for s in scores)
    assert scores == sorted(scores, reverse=True)


def test_kinds_filter_and_empty_queries(ranker: BM25Ranker) -> None:
    assert all(doc.metadata["kind"] == "header" for doc, _ in ranker.rank("文号", 5, kinds=("header",)))
    assert ranker.rank("文号", 1)[0][0].id == "header:doc_number"
    assert ranker.rank("的？", 5) == []
    assert ranker.rank("量子计算机", 5) == []


def test_ties_break_by_document_id() -> None:
    docs = [Document(id=i, page_content="示范城市", metadata={"kind": "task"}) for i in ("b", "c", "a")]
    others = ("财政扶持", "试点项目", "人才培养", "信贷支持", "师资队伍")
    docs += [Document(id=f"z{i}", page_content=t, metadata={"kind": "task"}) for i, t in enumerate(others)]
    hits = BM25Ranker(docs).rank("示范城市", 5)
    assert [doc.id for doc, _ in hits] == ["a", "b", "c"]


def test_stop_words_are_the_shared_list() -> None:
    from corpus.synonyms import stopwords

    docs = [Document(id="a", page_content="产教融合 信贷支持", metadata={"kind": "task"})]
    tokens = BM25Ranker(docs, lexicon=False).tokenize("请问产教融合有哪些信贷支持？")
    assert "信贷" in tokens
    assert not set(tokens) & stopwords()


def test_a_word_the_notice_lacks_reaches_the_notices_word(ranker: BM25Ranker) -> None:
    # 老师 is not in the notice; the general near-synonym list bridges it to 师资 / 教师 (第16项, 师资队伍).
    assert {"师资", "教师"} & set(ranker.query_tokens("老师"))
    assert ranker.rank("老师", 1)[0][0].metadata["source"] == "task-16"
    # 银行 is the domain list's: the notice says 信贷 and 金融.
    assert "信贷" in ranker.query_tokens("银行贷款")


def test_expansion_can_be_turned_off() -> None:
    docs = [
        Document(id=i, page_content=t, metadata={"kind": "task"})
        for i, t in (("a", "信贷支持"), ("b", "示范城市"), ("c", "师资队伍"), ("d", "人才培养"))
    ]
    assert BM25Ranker(docs, lexicon=False).rank("银行", 5) == []
    assert [d.id for d, _ in BM25Ranker(docs).rank("银行", 5)] == ["a"]


@pytest.mark.parametrize(("k", "message"), [(0, "k must be > 0, got 0"), (-2, "k must be > 0, got -2")])
def test_rank_rejects_bad_k(ranker: BM25Ranker, k: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ranker.rank("信贷", k)


def test_empty_corpus_is_rejected() -> None:
    with pytest.raises(ValueError, match="at least one document"):
        BM25Ranker([])


def test_tokenize_folds_full_width(ranker: BM25Ranker) -> None:
    assert tokenize("ＡＢＣ１２３", ranker._tokenizer) == ["abc123"]
