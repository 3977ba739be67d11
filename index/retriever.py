"""Hybrid retrieval: the dense ranking (Chroma, cosine) and the BM25 ranking fused by reciprocal rank."""

from __future__ import annotations

import logging
from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from langchain_core.vectorstores import VectorStore
from pydantic import Field

from index.bm25 import BM25Ranker

logger = logging.getLogger(__name__)


class HybridRetriever(BaseRetriever):
    """Up to ``k`` documents, each a copy whose metadata adds rrf, dense_sim, bm25, dense_rank, bm25_rank
    and, for a passage split into sentences, ``sentence_sims``: each sentence's own dense similarity, in order.

    Both rankings look at ``fetch_k`` candidates; a document scores sum(1 / (rrf_k + rank)) over the
    rankings it appears in (ranks from 1). Ties go to the smaller document id, so results are stable.
    The similarities come from a wider dense look (``sim_k``, more than the notice's documents), so a
    returned passage knows how close each of its sentences is, and the answer can pick its sentence by meaning.
    """

    vectorstore: VectorStore
    bm25: BM25Ranker
    k: int = Field(default=5, gt=0)
    fetch_k: int = Field(default=20, gt=0)
    sim_k: int = Field(default=160, gt=0)
    rrf_k: int = Field(default=60, ge=0)
    kinds: tuple[str, ...] | None = None
    # The first ``keep_top`` of each ranking are also returned (after the fused ``k``): a passage only the words
    # find (三、切实加大政策扶持。 for 好处) or only the meaning finds is still a candidate for the answer.
    keep_top: int = Field(default=0, ge=0)

    def _dense(self, query: str) -> list[tuple[Document, float]]:
        kwargs: dict[str, Any] = {}
        if self.kinds is not None:
            kwargs["filter"] = {"kind": {"$in": list(self.kinds)}}
        hits = self.vectorstore.similarity_search_with_score(query, k=max(self.fetch_k, self.sim_k), **kwargs)
        # Chroma returns cosine distances for our collections; similarity = 1 - distance.
        return [(doc, 1.0 - float(distance)) for doc, distance in hits]

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        every_sim = self._dense(query)
        sims = {_key(doc): sim for doc, sim in every_sim}
        dense = every_sim[: self.fetch_k]
        sparse = self.bm25.rank(query, self.fetch_k, kinds=self.kinds)
        by_id: dict[str, Document] = {}
        rrf: dict[str, float] = {}
        dense_sim: dict[str, float] = {}
        dense_rank: dict[str, int] = {}
        bm25: dict[str, float] = {}
        bm25_rank: dict[str, int] = {}
        for rank, (doc, sim) in enumerate(dense, start=1):
            key = _key(doc)
            by_id.setdefault(key, doc)
            if key in dense_rank:  # the store returned a duplicate; keep the better rank
                continue
            dense_sim[key], dense_rank[key] = sim, rank
            rrf[key] = rrf.get(key, 0.0) + 1.0 / (self.rrf_k + rank)
        for rank, (doc, score) in enumerate(sparse, start=1):
            key = _key(doc)
            # Prefer the in-memory document: its metadata is exactly what notice_documents made.
            by_id[key] = doc
            bm25[key], bm25_rank[key] = score, rank
            rrf[key] = rrf.get(key, 0.0) + 1.0 / (self.rrf_k + rank)
        order = sorted(rrf, key=lambda key: (-rrf[key], key))[: self.k]
        firsts = [_key(doc) for doc, _ in dense[: self.keep_top]] + [
            _key(doc) for doc, _ in sparse[: self.keep_top]
        ]
        order += [key for key in dict.fromkeys(firsts) if key not in order]
        results: list[Document] = []
        for key in order:
            doc = by_id[key]
            metadata = {
                **doc.metadata,
                "rrf": rrf[key],
                "dense_sim": dense_sim.get(key, sims.get(key)),
                "bm25": bm25.get(key, 0.0),
                "dense_rank": dense_rank.get(key),
                "bm25_rank": bm25_rank.get(key),
            }
            children: list[float] = []
            while f"{key}:s{len(children) + 1}" in sims:  # the sentence documents' ids: <passage>:s1, :s2, …
                children.append(sims[f"{key}:s{len(children) + 1}"])
            if children:
                metadata["sentence_sims"] = children
            results.append(Document(id=doc.id, page_content=doc.page_content, metadata=metadata))
        logger.debug("hybrid: %d dense, %d bm25, %d returned", len(dense), len(sparse), len(results))
        return results


def _key(doc: Document) -> str:
    if doc.id:
        return doc.id
    # Documents without ids (not ours) fall back to their text, which is at least deterministic.
    return f"text:{doc.page_content}"
