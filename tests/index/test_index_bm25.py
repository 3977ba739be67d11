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
    docs = [Document(id=i, page_content="产教融合", metadata={"kind": "task"}) for i in ("b", "c", "a")]
    others = ("财政扶持", "试点示范", "人才培养", "信贷支持", "师资队伍")
    docs += [Document(id=f"z{i}", page_content=t, metadata={"kind": "task"}) for i, t in enumerate(others)]
    hits = BM25Ranker(docs).rank("产教融合", 5)
    assert [doc.id for doc, _ in hits] == ["a", "b", "c"]


@pytest.mark.parametrize(("k", "message"), [(0, "k must be > 0, got 0"), (-2, "k must be > 0, got -2")])
def test_rank_rejects_bad_k(ranker: BM25Ranker, k: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ranker.rank("产教融合", k)


def test_empty_corpus_is_rejected() -> None:
    with pytest.raises(ValueError, match="at least one document"):
        BM25Ranker([])


def test_tokenize_folds_full_width(ranker: BM25Ranker) -> None:
    assert tokenize("ＡＢＣ１２３", ranker._tokenizer) == ["abc123"]
