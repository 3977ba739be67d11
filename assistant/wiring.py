"""Build an Assistant from Settings: the one place entry points (CLI, app, eval) wire the parts together."""

from __future__ import annotations

import logging
from collections.abc import Callable

from langchain_core.retrievers import BaseRetriever

from assistant.chain import Assistant
from assistant.turnlog import TurnLog
from corpus.parser import load_notice
from corpus.records import Notice
from corpus.settings import Settings

log = logging.getLogger(__name__)

# Candidates the words alone or the meaning alone rank first are kept, whatever the fusion says.
KEEP_TOP = 3


def retriever_factory(settings: Settings, notice: Notice) -> Callable[[], BaseRetriever]:
    """A callable that opens (building or refreshing if needed) the index and returns its hybrid retriever."""

    def make() -> BaseRetriever:
        from index.embeddings import SentenceTransformerEmbeddings
        from index.store import open_index

        # Questions go through the ONNX export when `notice-qa model` made one: no torch at serve time.
        embeddings = SentenceTransformerEmbeddings(
            settings.resolved_model_dir, query_encoder=settings.index.query_encoder, preload=True
        )
        # Embedded: a missing or stale index rebuilds itself. Server: replicas only read; the single writer
        # (`notice-qa index`) builds, so two replicas never rebuild the shared collection at once.
        store = open_index(
            settings, embeddings, notice, rebuild=settings.index.chroma_url is None, progress=False
        )
        # The fused top k, and the first 3 of each ranking besides: the sentence pick weighs them all.
        return store.retriever(k=settings.index.top_k).model_copy(update={"keep_top": KEEP_TOP})

    return make


def load_assistant(settings: Settings, notice: Notice | None = None) -> Assistant:
    """An Assistant over the shipped notice; the embedding index opens lazily on the first content question."""
    notice = notice or load_notice(settings.notice_path)
    return Assistant(
        notice,
        retriever_factory(settings, notice),
        max_question_chars=settings.assistant.max_question_chars,
        turn_log=TurnLog(settings.assistant.log_key, log_questions=settings.assistant.log_questions),
    )
