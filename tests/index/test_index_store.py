"""open_index / build_index: build once, reload, rebuild on a stale manifest, recover, lock."""

from __future__ import annotations

import dataclasses
import json
import logging
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from chromadb.api.models.Collection import Collection

from corpus.records import Notice
from corpus.settings import Settings
from index.documents import notice_documents
from index.errors import IndexCorruptError, IndexNotBuiltError, IndexStaleError
from index.store import (
    LOCK_FILE,
    MANIFEST_FILE,
    MANIFEST_KEY,
    Manifest,
    NoticeIndex,
    build_index,
    open_index,
    parse_chroma_url,
)
from tests.fakes import FakeEmbeddings


def _collection(index: NoticeIndex, settings: Settings) -> Collection:
    return index._client.get_collection(settings.index.collection, embedding_function=None)


def test_build_then_reload_without_rebuilding(settings: Settings, notice: Notice) -> None:
    n_docs = len(notice_documents(notice))
    emb = FakeEmbeddings()
    first = open_index(settings, emb, notice)
    assert first.built
    assert emb.texts_embedded == n_docs
    assert first.vectorstore._collection.count() == n_docs
    assert first.manifest.documents == n_docs
    assert first.manifest.dimension == 64
    assert first.manifest.model_id == "fake-sha256-64"

    again = open_index(settings, emb, notice)
    assert not again.built
    assert emb.texts_embedded == n_docs  # nothing re-embedded
    assert again.manifest.built_at == first.manifest.built_at
    assert again.manifest == first.manifest


def test_manifest_lives_in_collection_metadata_and_beside_the_data(
    settings: Settings, notice: Notice
) -> None:
    index = open_index(settings, FakeEmbeddings(), notice)
    stored = Manifest.from_json(_collection(index, settings).metadata[MANIFEST_KEY])
    assert stored == index.manifest
    on_disk = json.loads((settings.index_dir / MANIFEST_FILE).read_text(encoding="utf-8"))
    assert on_disk == dataclasses.asdict(index.manifest)
    hnsw = _collection(index, settings).configuration["hnsw"]
    assert hnsw is not None
    assert hnsw["space"] == "cosine"


def test_build_index_always_rebuilds(settings: Settings, notice: Notice) -> None:
    emb = FakeEmbeddings()
    open_index(settings, emb, notice)
    rebuilt = build_index(settings, emb, notice, progress=False)
    assert rebuilt.built
    assert emb.texts_embedded == 2 * len(rebuilt.documents)
    assert rebuilt.vectorstore._collection.count() == len(rebuilt.documents)


def _other_model(settings: Settings, notice: Notice) -> tuple[FakeEmbeddings, Notice]:
    return FakeEmbeddings(model_id="fake-other-model"), notice


def _other_corpus(settings: Settings, notice: Notice) -> tuple[FakeEmbeddings, Notice]:
    return FakeEmbeddings(), dataclasses.replace(notice, text=notice.text + "\n")


def _other_chromadb(settings: Settings, notice: Notice) -> tuple[FakeEmbeddings, Notice]:
    index = open_index(settings, FakeEmbeddings(), notice, rebuild=False)
    col = _collection(index, settings)
    old = dataclasses.replace(index.manifest, chromadb="0.4.24")
    col.modify(metadata={MANIFEST_KEY: old.to_json()})
    return FakeEmbeddings(), notice


def _missing_document(settings: Settings, notice: Notice) -> tuple[FakeEmbeddings, Notice]:
    index = open_index(settings, FakeEmbeddings(), notice, rebuild=False)
    _collection(index, settings).delete(ids=["task-12"])
    return FakeEmbeddings(), notice


def _interrupted_build(settings: Settings, notice: Notice) -> tuple[FakeEmbeddings, Notice]:
    index = open_index(settings, FakeEmbeddings(), notice, rebuild=False)
    _collection(index, settings).modify(metadata={MANIFEST_KEY: ""})
    return FakeEmbeddings(), notice


@pytest.mark.parametrize(
    ("make_stale", "match"),
    [
        (_other_model, "model_id is 'fake-sha256-64', expected 'fake-other-model'"),
        (_other_corpus, "corpus_hash is"),
        (_other_chromadb, "chromadb is '0.4.24'"),
        (_missing_document, "holds 72 documents, expected 73"),
        (_interrupted_build, "has no manifest"),
    ],
)
def test_stale_index_raises_without_rebuild_and_rebuilds_with_it(
    settings: Settings,
    notice: Notice,
    make_stale: Callable[[Settings, Notice], tuple[FakeEmbeddings, Notice]],
    match: str,
) -> None:
    open_index(settings, FakeEmbeddings(), notice)
    emb, current_notice = make_stale(settings, notice)
    with pytest.raises(IndexStaleError, match=match) as info:
        open_index(settings, emb, current_notice, rebuild=False)
    assert "notice-qa index" in str(info.value)

    rebuilt = open_index(settings, emb, current_notice)
    assert rebuilt.built
    assert emb.texts_embedded == len(rebuilt.documents)
    assert rebuilt.manifest.model_id == emb.model_id
    assert open_index(settings, emb, current_notice, rebuild=False).manifest == rebuilt.manifest


def test_missing_or_empty_index_is_not_built(settings: Settings, notice: Notice) -> None:
    with pytest.raises(IndexNotBuiltError, match="no collection 'notice'.*notice-qa index"):
        open_index(settings, FakeEmbeddings(), notice, rebuild=False)
    index = open_index(settings, FakeEmbeddings(), notice)
    col = _collection(index, settings)
    col.delete(ids=[str(d.id) for d in index.documents])
    with pytest.raises(IndexNotBuiltError, match="is empty"):
        open_index(settings, FakeEmbeddings(), notice, rebuild=False)


def test_corrupt_persist_dir_is_moved_aside_and_rebuilt(
    settings: Settings, notice: Notice, caplog: pytest.LogCaptureFixture
) -> None:
    settings.index_dir.mkdir(parents=True)
    garbage = b"this is not an sqlite database" * 100
    (settings.index_dir / "chroma.sqlite3").write_bytes(garbage)
    with pytest.raises(IndexCorruptError, match="cannot read the index.*notice-qa index"):
        open_index(settings, FakeEmbeddings(), notice, rebuild=False)

    with caplog.at_level(logging.WARNING, logger="index.store"):
        index = open_index(settings, FakeEmbeddings(), notice)
    assert index.built
    assert index.health()["ok"] is True
    aside = settings.index_dir.with_name(settings.index_dir.name + ".corrupt")
    assert (aside / "chroma.sqlite3").read_bytes() == garbage
    assert any("unreadable" in r.getMessage() for r in caplog.records)


def test_health_reports_problems(settings: Settings, notice: Notice) -> None:
    index = open_index(settings, FakeEmbeddings(), notice)
    report = index.health()
    assert report == {
        "ok": True,
        "mode": "embedded",
        "documents": len(index.documents),
        "model_id": "fake-sha256-64",
        "corpus_hash": index.manifest.corpus_hash,
        "problem": None,
    }
    _collection(index, settings).delete(ids=["header:cc"])
    report = index.health()
    assert report["ok"] is False
    assert report["documents"] == len(index.documents) - 1
    assert "holds 72 documents" in str(report["problem"])


def test_concurrent_opens_build_once(settings: Settings, notice: Notice) -> None:
    emb = FakeEmbeddings(delay=0.05)  # a slow build widens the window for a second builder
    results: list[NoticeIndex] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            results.append(open_index(settings, emb, notice))
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert sorted(r.built for r in results) == [False, False, True]
    assert emb.texts_embedded == len(results[0].documents)
    assert len({r.manifest.built_at for r in results}) == 1


_HOLD_LOCK = """
import sys, time
from filelock import FileLock
with FileLock(sys.argv[1]):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def _hold_lock(path: Path, seconds: float) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", _HOLD_LOCK, str(path), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_another_process_holding_the_lock_blocks_the_build(settings: Settings, notice: Notice) -> None:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    holder = _hold_lock(settings.data_dir / LOCK_FILE, 30)
    try:
        with pytest.raises(IndexNotBuiltError, match="another process .*lock"):
            open_index(settings, FakeEmbeddings(), notice, lock_timeout=0.3)
    finally:
        holder.kill()
        holder.wait(10)

    holder = _hold_lock(settings.data_dir / LOCK_FILE, 1.0)
    try:
        started = time.monotonic()
        index = open_index(settings, FakeEmbeddings(), notice, lock_timeout=30)
        assert time.monotonic() - started >= 0.5  # waited for the other process
        assert index.built
    finally:
        holder.kill()
        holder.wait(10)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:8000", ("127.0.0.1", 8000, False)),
        ("https://chroma.example.org", ("chroma.example.org", 443, True)),
        ("localhost:9000", ("localhost", 9000, False)),
        ("http://chroma", ("chroma", 8000, False)),
    ],
)
def test_parse_chroma_url(url: str, expected: tuple[str, int, bool]) -> None:
    assert parse_chroma_url(url) == expected


@pytest.mark.parametrize("url", ["ftp://host:21", "http://:8000", "http://host:notaport"])
def test_parse_chroma_url_rejects_bad_values(url: str) -> None:
    from index.errors import ChromaUnavailableError

    with pytest.raises(ChromaUnavailableError, match="must look like http://127.0.0.1:8000"):
        parse_chroma_url(url)


def test_unreachable_server_is_one_line_error(tmp_path: Path, notice: Notice) -> None:
    from index.errors import ChromaUnavailableError

    settings = Settings(data_dir=tmp_path, chroma_url="http://127.0.0.1:9")
    with pytest.raises(ChromaUnavailableError) as info:
        open_index(settings, FakeEmbeddings(), notice)
    message = str(info.value)
    assert "\n" not in message
    assert "http://127.0.0.1:9" in message
    assert "chroma run --path" in message
    assert "unset NOTICE_QA_CHROMA_URL" in message
