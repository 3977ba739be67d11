"""The naive-RAG peer: the tutorial pipeline built from our own packages, to compare the assistant against.

Split the whole notice with ``RecursiveCharacterTextSplitter``, embed the chunks with the same model into a
separate in-memory Chroma collection, answer with the top-3 chunks joined. No table parsing, no memory, no
refusals; the task numbers are whatever table rows (``^N\\t``) the retrieved chunks happen to show.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import TYPE_CHECKING

from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings

from assistant.answer import Answer, Citation
from assistant.chain import Conversation
from corpus.parser import read_notice_text
from corpus.settings import Settings

if TYPE_CHECKING:
    from langchain_chroma import Chroma

log = logging.getLogger(__name__)

# The usual Chinese separator list of the tutorials: paragraphs, lines, then sentence and clause marks.
SEPARATORS: tuple[str, ...] = ("\n\n", "\n", "。", "！", "？", "；", "，", "、", " ", "")
_TABLE_ROW = re.compile(r"^(\d+)\t", re.MULTILINE)


class NaivePeer:
    """Top-k similarity search over fixed-size chunks; ``ask`` returns the chunks' text as the answer."""

    def __init__(
        self,
        embeddings: Embeddings,
        *,
        text: str | None = None,
        k: int = 3,
        chunk_size: int = 200,
        chunk_overlap: int = 40,
    ) -> None:
        if k <= 0:
            raise ValueError(f"k must be > 0, got {k}")
        if not 0 <= chunk_overlap < chunk_size:
            raise ValueError(
                f"chunk_overlap must be within 0..chunk_size-1, got {chunk_overlap} (size {chunk_size})"
            )
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        started = time.perf_counter()
        splitter = RecursiveCharacterTextSplitter(
            separators=list(SEPARATORS),
            chunk_size=chunk_size,
            chunk_overlap=chunk_overlap,
            keep_separator="end",  # a 。 stays with its sentence
        )
        self.k = k
        self.embeddings = embeddings
        self.chunks: list[str] = splitter.split_text(text if text is not None else read_notice_text())
        self.vectorstore = _ephemeral_store(embeddings)
        self.vectorstore.add_texts(
            self.chunks,
            metadatas=[{"source": f"chunk-{i}"} for i in range(len(self.chunks))],
            ids=[f"chunk-{i}" for i in range(len(self.chunks))],
        )
        self.build_ms = (time.perf_counter() - started) * 1000
        log.info("naive peer: %d chunks indexed in %.0f ms", len(self.chunks), self.build_ms)

    def ask(
        self, question: str, conversation: Conversation | None = None, *, via: str | None = None
    ) -> Answer:
        """The top-k chunks for ``question``; ``conversation`` is accepted and ignored (no memory)."""
        started = time.perf_counter()
        docs: list[Document] = self.vectorstore.similarity_search(question, k=self.k)
        tasks = sorted({int(n) for d in docs for n in _TABLE_ROW.findall(d.page_content)})
        return Answer(
            question=question,
            answer="\n\n".join(d.page_content for d in docs),
            refused=False,
            tasks=tuple(tasks),
            citations=tuple(Citation(str(d.metadata.get("source", "")), d.page_content) for d in docs),
            latency_ms=(time.perf_counter() - started) * 1000,
            route="peer",
        )


def load_peer(settings: Settings) -> NaivePeer:
    """A peer over the shipped notice with the model the assistant uses (loaded here, on the CPU)."""
    from index.embeddings import SentenceTransformerEmbeddings

    # The peer is the tutorial way: sentence-transformers for its questions too, not our ONNX query encoder.
    return NaivePeer(
        SentenceTransformerEmbeddings(settings.resolved_model_dir, query_encoder="sentence-transformers")
    )


def _ephemeral_store(embeddings: Embeddings) -> Chroma:
    import chromadb
    from chromadb.config import Settings as ChromaSettings
    from langchain_chroma import Chroma

    # Ephemeral clients in one process share their backend: a fresh name keeps each peer's chunks apart.
    client = chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False))
    return Chroma(
        client=client,
        collection_name=f"naive-peer-{uuid.uuid4().hex[:12]}",
        embedding_function=embeddings,  # ours; Chroma's default embedding function is never used
    )
