"""SentenceTransformerEmbeddings without loading torch: errors and import weight."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from index.embeddings import SentenceTransformerEmbeddings
from index.errors import ModelMissingError


def test_missing_model_names_the_fix(tmp_path: Path) -> None:
    with pytest.raises(ModelMissingError, match="no model folder .*run `notice-qa model`"):
        SentenceTransformerEmbeddings(tmp_path / "m3e-small")


def test_construction_does_not_load_the_model(tmp_path: Path) -> None:
    folder = tmp_path / "some-model"
    folder.mkdir()
    (folder / "config.json").write_text("{}", encoding="utf-8")
    emb = SentenceTransformerEmbeddings(folder)
    assert emb.model_id.startswith("some-model@")
    assert emb._model is None
    assert emb.embed_documents([]) == []  # nothing to embed, nothing loaded
    assert emb._model is None


@pytest.mark.parametrize("batch_size", [0, -1])
def test_bad_batch_size(tmp_path: Path, batch_size: int) -> None:
    with pytest.raises(ValueError, match=f"batch_size must be > 0, got {batch_size}"):
        SentenceTransformerEmbeddings(tmp_path, batch_size=batch_size)


def test_importing_the_package_stays_light() -> None:
    modules = "index.embeddings, index.store, index.retriever, index.bm25, index.documents, index.model"
    heavy = "('torch', 'sentence_transformers', 'chromadb', 'jieba')"
    code = f"import sys, {modules}; print(sorted(m for m in {heavy} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
