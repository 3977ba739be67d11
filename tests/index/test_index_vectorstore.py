"""NoticeChroma: the same search results as langchain-chroma's Chroma, from ids and distances only."""

from __future__ import annotations

import pytest
from langchain_chroma import Chroma
from langchain_core.documents import Document

from corpus.records import Notice
from corpus.settings import Settings
from index.store import NoticeIndex, open_index
from index.vectorstore import NoticeChroma
from tests.fakes import FakeEmbeddings

QUESTIONS = ("产教融合资金从哪来？", "开展校企协同育人", "市人社局", "？")


def _plain(index: NoticeIndex, settings: Settings, embeddings: FakeEmbeddings) -> Chroma:
    """langchain-chroma's own store over the same collection."""
    return Chroma(
        client=index._client,
        collection_name=settings.index.collection,
        embedding_function=embeddings,
        collection_configuration={"hnsw": {"space": "cosine"}},
    )


def _fields(hits: list[tuple[Document, float]]) -> list[tuple[object, ...]]:
    # Chroma returns metadata keys in no particular order; the values are what must agree.
    return [(d.id, d.page_content, sorted(d.metadata.items()), score) for d, score in hits]


@pytest.mark.parametrize("question", QUESTIONS)
@pytest.mark.parametrize("k", [1, 12, 500])
def test_searches_match_langchain_chroma(settings: Settings, notice: Notice, question: str, k: int) -> None:
    embeddings = FakeEmbeddings()
    index = open_index(settings, embeddings, notice)
    assert isinstance(index.vectorstore, NoticeChroma)
    expected = _plain(index, settings, embeddings).similarity_search_with_score(question, k=k)
    got = index.vectorstore.similarity_search_with_score(question, k=k)
    assert _fields(got) == _fields(expected)
    assert len(got) == min(k, index.manifest.documents)


def test_a_filter_is_passed_to_chroma(settings: Settings, notice: Notice) -> None:
    embeddings = FakeEmbeddings()
    index = open_index(settings, embeddings, notice)
    where = {"kind": {"$in": ["task"]}}
    expected = _plain(index, settings, embeddings).similarity_search_with_score("资金", k=50, filter=where)
    got = index.vectorstore.similarity_search_with_score("资金", k=50, filter=where)
    assert _fields(got) == _fields(expected)
    assert {d.metadata["kind"] for d, _ in got} == {"task"}


def test_results_are_copies(settings: Settings, notice: Notice) -> None:
    index = open_index(settings, FakeEmbeddings(), notice)
    (first, _), *_ = index.vectorstore.similarity_search_with_score("资金", k=1)
    first.metadata["kind"] = "changed"
    (again, _), *_ = index.vectorstore.similarity_search_with_score("资金", k=1)
    assert again.id == first.id
    assert again.metadata["kind"] != "changed"
    assert all(d.metadata.get("kind") != "changed" for d in index.documents)


def test_an_id_it_does_not_hold_falls_back_to_chromas_documents(settings: Settings, notice: Notice) -> None:
    embeddings = FakeEmbeddings()
    index = open_index(settings, embeddings, notice)
    # A store that knows only some of the collection's documents (one rebuilt elsewhere since it was opened).
    partial = NoticeChroma(
        client=index._client,
        collection_name=settings.index.collection,
        embedding_function=embeddings,
        documents=[Document(id="task-1", page_content="stale copy")],
    )
    expected = _plain(index, settings, embeddings).similarity_search_with_score("资金", k=5)
    assert _fields(partial.similarity_search_with_score("资金", k=5)) == _fields(expected)
