"""LangChain ``Embeddings`` over a local sentence-transformers folder, loaded lazily and offline."""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from langchain_core.embeddings import Embeddings

from index.model import model_id, verify_model

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

logger = logging.getLogger(__name__)

# The position table of BERT-style models stops at 512 tokens; longer input would crash, not truncate.
_MAX_SEQ_LENGTH = 512


class SentenceTransformerEmbeddings(Embeddings):
    """Normalised sentence embeddings on the CPU; the model loads on first use, once, under a lock."""

    def __init__(self, model_path: Path, *, batch_size: int = 32) -> None:
        if batch_size <= 0:
            raise ValueError(f"batch_size must be > 0, got {batch_size}")
        verify_model(model_path)  # fail at wiring time, naming `notice-qa model`
        self.model_path = model_path
        self.batch_size = batch_size
        self.model_id = model_id(model_path)
        self._model: SentenceTransformer | None = None
        self._lock = threading.Lock()

    def _load(self) -> SentenceTransformer:
        model = self._model
        if model is not None:
            return model
        with self._lock:
            if self._model is None:
                # Never reach for the Hub: the folder is all there is.
                os.environ["HF_HUB_OFFLINE"] = "1"
                os.environ["TRANSFORMERS_OFFLINE"] = "1"
                try:
                    from sentence_transformers import SentenceTransformer
                except ImportError as exc:
                    raise ImportError(
                        "sentence-transformers is not installed; run `pip install -e .` (see README)"
                    ) from exc
                logger.info("loading the embedding model from %s", self.model_path)
                loaded = SentenceTransformer(str(self.model_path), device="cpu")
                current = loaded.max_seq_length
                if current is None or current > _MAX_SEQ_LENGTH:
                    loaded.max_seq_length = _MAX_SEQ_LENGTH
                self._model = loaded
            return self._model

    def _encode(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        vectors = self._load().encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return [[float(x) for x in row] for row in vectors]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._encode(list(texts))

    def embed_query(self, text: str) -> list[float]:
        return self._encode([text])[0]
