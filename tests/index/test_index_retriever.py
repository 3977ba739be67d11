"""HybridRetriever: dense and BM25 rankings fused by reciprocal rank, with the evidence in metadata."""

from __future__ import annotations

from typing import Any

import pytest

from corpus.records import Notice
from corpus.settings import Settings
from index.store import NoticeIndex, open_index
from tests.fakes import FakeEmbeddings

FIELDS = ("rrf", "dense_sim", "bm25", "dense_rank", "bm25_rank")


@pytest.fixture
def index(settings: Settings, notice: Notice) -> NoticeIndex:
    return open_index(settings, FakeEmbeddings(), notice)


def test_exact_text_is_first_in_both_rankings(index: NoticeIndex) -> None:
    retriever = index.retriever(k=5)
    docs = retriever.invoke("强化企业职工在岗教育培训。")
    top = docs[0]
    assert top.id == "task-12"
    assert top.metadata["dense_rank"] == 1
    assert top.metadata["dense_sim"] == pytest.approx(1.0, abs=1e-5)
    assert top.metadata["bm25_rank"] == 1
    assert top.metadata["bm25"] > 0
    assert top.metadata["rrf"] == pytest.approx(2 / 61)
    assert top.metadata["source"] == "task-12"
    assert top.metadata["units"] == ["市人社局", "市总工会", "市有关部门"]


def test_every_result_carries_the_fusion_fields(index: NoticeIndex) -> None:
    docs = index.retriever(k=8).invoke("产教融合资金从哪来")
    assert len(docs) == 8
    for doc in docs:
        meta = doc.metadata
        assert set(FIELDS) <= set(meta)
        expected = sum(1 / (60 + r) for r in (meta["dense_rank"], meta["bm25_rank"]) if r is not None)
        assert meta["rrf"] == pytest.approx(expected)
        # Every document's similarity is reported, also past the dense candidates (the wider sim_k look).
        assert -1.0 <= meta["dense_sim"] <= 1.0
        if meta["bm25_rank"] is None:
            assert meta["bm25"] == 0.0
    keys = [(-d.metadata["rrf"], d.id) for d in docs]
    assert keys == sorted(keys)  # by fused score, ties by id


def test_keyword_hit_is_fused_in(index: NoticeIndex) -> None:
    # Hash embeddings know nothing of meaning: only BM25 can surface 三重一创 here.
    docs = index.retriever(k=3).invoke("三重一创")
    assert docs[0].id == "clause-3:s2"
    assert docs[0].metadata["bm25_rank"] == 1


def test_results_are_copies(index: NoticeIndex) -> None:
    retriever = index.retriever(k=3)
    first = retriever.invoke("三重一创")
    first[0].metadata["rrf"] = -1.0
    assert "rrf" not in index.documents[0].metadata
    assert all("rrf" not in d.metadata for d in index.bm25.documents)
    again = retriever.invoke("三重一创")
    assert again[0].metadata["rrf"] > 0
    assert [d.id for d in again] == [d.id for d in first]


def test_kinds_filter_applies_to_both_rankings(index: NoticeIndex) -> None:
    docs = index.retriever(k=10, kinds=("clause", "sentence")).invoke("三重一创")
    assert docs
    assert {d.metadata["kind"] for d in docs} <= {"clause", "sentence"}
    assert docs[0].id == "clause-3:s2"


def test_k_caps_the_results(index: NoticeIndex) -> None:
    assert len(index.retriever(k=2).invoke("市教育局")) == 2


def test_keep_top_adds_each_rankings_first(index: NoticeIndex) -> None:
    plain = index.retriever(k=1)
    wide = plain.model_copy(update={"keep_top": 2})
    docs = wide.invoke("三重一创")
    assert [d.id for d in docs[:1]] == [d.id for d in plain.invoke("三重一创")]  # the fused order first
    firsts = {d.id for d, _ in plain.bm25.rank("三重一创", 2)}
    assert firsts <= {d.id for d in docs}  # then the words' first two, whatever their fused rank
    assert len(docs) <= 1 + 2 + 2


@pytest.mark.parametrize(
    ("field", "value"),
    [("k", 0), ("fetch_k", 0), ("rrf_k", -1)],
)
def test_bad_parameters_are_rejected(index: NoticeIndex, field: str, value: int) -> None:
    from pydantic import ValidationError

    from index.retriever import HybridRetriever

    params: dict[str, Any] = {"vectorstore": index.vectorstore, "bm25": index.bm25, field: value}
    with pytest.raises(ValidationError, match=field):
        HybridRetriever(**params)
