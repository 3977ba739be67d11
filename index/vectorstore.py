"""langchain-chroma's vector store over the notice's collection, asking Chroma only for what it alone knows.

A search needs two things from Chroma: which documents are nearest, and how near. The documents themselves
are the notice's own, already in memory — the manifest checked on opening (``documents_hash``) vouches that
the collection holds exactly them. Asking Chroma for ids and distances only takes ~0.8 ms where ids,
distances, texts and metadata take ~5 ms (73 documents, ``k`` = 160, measured on the 2-core machine), so
the warm content answer's largest single cost after the query embedding goes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_chroma import Chroma
from langchain_core.documents import Document


class NoticeChroma(Chroma):
    """``Chroma`` whose similarity searches return the in-memory copies of ``documents`` (fresh objects,
    field for field what Chroma would return), ranked and scored by Chroma."""

    def __init__(self, *args: Any, documents: Sequence[Document] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._documents = {d.id: d for d in documents if d.id}

    def similarity_search_with_score(
        self,
        query: str,
        k: int = 4,
        filter: dict[str, str] | None = None,  # noqa: A002 - langchain-chroma's own parameter name
        where_document: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> list[tuple[Document, float]]:
        embeddings = self.embeddings
        if embeddings is None or where_document is not None or kwargs or not self._documents:
            return super().similarity_search_with_score(query, k, filter, where_document, **kwargs)
        vectors: list[Sequence[float]] = [embeddings.embed_query(query)]
        result = self._collection.query(
            query_embeddings=vectors,
            n_results=k,
            where=filter,  # type: ignore[arg-type]
            include=["distances"],
        )
        ids = result["ids"][0]
        distances = (result["distances"] or [[]])[0]
        if any(i not in self._documents for i in ids):  # a collection rebuilt elsewhere since it was opened
            return super().similarity_search_with_score(query, k, filter, where_document)
        return [(_copy(self._documents[i]), distance) for i, distance in zip(ids, distances, strict=True)]


def _copy(doc: Document) -> Document:
    """A new Document with its own metadata dict, as a search result is (callers may change it)."""
    return Document(id=doc.id, page_content=doc.page_content, metadata=dict(doc.metadata))
