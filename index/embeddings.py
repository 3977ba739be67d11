"""LangChain ``Embeddings`` over a local sentence-transformers folder, loaded lazily and offline.

Documents are always embedded by sentence-transformers (torch). Queries go through the model's verified
ONNX export when ``notice-qa model`` has made one (:mod:`index.onnx_encoder`), so answering never imports torch.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from langchain_core.embeddings import Embeddings

from index.model import model_id, verify_model
from index.offline import go_offline

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

    from index.onnx_encoder import OnnxEmbeddings

QueryEncoder = Literal["auto", "onnx", "sentence-transformers"]
QUERY_ENCODERS: tuple[str, ...] = ("auto", "onnx", "sentence-transformers")

logger = logging.getLogger(__name__)

# The position table of BERT-style models stops at 512 tokens; longer input would crash, not truncate.
_MAX_SEQ_LENGTH = 512


class SentenceTransformerEmbeddings(Embeddings):
    """Normalised sentence embeddings on the CPU; the model loads on first use, once, under a lock.

    ``query_encoder`` picks what embeds queries: ``onnx`` (the export beside the model; an error naming
    `notice-qa model` when there is none), ``sentence-transformers``, or ``auto`` (onnx when exported, else
    sentence-transformers). ``query_encoder_id`` names the choice for the index manifest. ``preload`` starts
    loading the ONNX encoder in the background at once (the query path; an index build does not want it).
    """

    def __init__(
        self,
        model_path: Path,
        *,
        batch_size: int = 32,
        query_encoder: QueryEncoder = "auto",
        preload: bool = False,
    ) -> None:
        if batch_size <= 0:
            raise ValueError(f"batch_size must be > 0, got {batch_size}")
        if query_encoder not in QUERY_ENCODERS:
            raise ValueError(
                f"query_encoder must be one of {', '.join(QUERY_ENCODERS)}, got {query_encoder!r}"
            )
        # Fail at wiring time, naming `notice-qa model`; the weights' hash waits until they are read.
        verify_model(model_path, hash_weights=False)
        self.model_path = model_path
        self.batch_size = batch_size
        self.model_id = model_id(model_path)
        self._model: SentenceTransformer | None = None
        self._lock = threading.Lock()
        self._queries: OnnxEmbeddings | None = None
        if query_encoder != "sentence-transformers":
            from index.onnx_encoder import OnnxEmbeddings, installed_encoder, onnx_dir

            if query_encoder == "onnx":
                self._queries = OnnxEmbeddings(onnx_dir(model_path), self.model_id)
            else:
                self._queries = installed_encoder(model_path, self.model_id)
        self._weights_checked = self._queries is None
        if self._weights_checked:
            verify_model(model_path)  # queries read the weights: check them now
        self.query_encoder_id = self._queries.encoder_id if self._queries else "sentence-transformers"
        if preload and self._queries is not None:
            self._queries.preload()

    def _load(self) -> SentenceTransformer:
        model = self._model
        if model is not None:
            return model
        with self._lock:
            if self._model is None:
                if not self._weights_checked:  # the ONNX query path never read them
                    verify_model(self.model_path)
                    self._weights_checked = True
                go_offline(force=True)  # never reach for the Hub: the folder is all there is
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
        if self._queries is not None:
            return self._queries.embed_query(text)
        return self._encode([text])[0]
