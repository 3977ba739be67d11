"""Test doubles shared by the test packages."""

from __future__ import annotations

import hashlib
import math
import threading
import time

from langchain_core.embeddings import Embeddings


class FakeEmbeddings(Embeddings):
    """Deterministic unit vectors from SHA-256 of the text: equal texts embed equally, others at random.

    ``model_id`` goes into the index manifest; ``texts_embedded`` counts document texts embedded, so a
    test can tell a rebuild from a reload. ``delay`` (seconds per embed_documents call) widens races.
    """

    def __init__(self, dim: int = 64, *, model_id: str = "fake-sha256-64", delay: float = 0.0) -> None:
        if dim <= 0 or dim > 256:
            raise ValueError(f"dim must be in 1..256, got {dim}")
        self.dim = dim
        self.model_id = model_id
        self.delay = delay
        self.texts_embedded = 0
        self.queries_embedded = 0
        self._lock = threading.Lock()

    def vector(self, text: str) -> list[float]:
        raw = b"".join(hashlib.sha256(bytes([i]) + text.encode("utf-8")).digest() for i in range(8))
        values = [(b - 127.5) / 127.5 for b in raw[: self.dim]]
        norm = math.sqrt(sum(v * v for v in values)) or 1.0
        return [v / norm for v in values]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if self.delay:
            time.sleep(self.delay)
        with self._lock:
            self.texts_embedded += len(texts)
        return [self.vector(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        with self._lock:
            self.queries_embedded += 1
        return self.vector(text)
