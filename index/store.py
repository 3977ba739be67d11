"""The Chroma collection of the notice's documents, and the manifest that says whether it is current.

Embedded mode (default): a persistent Chroma under ``settings.index_dir``. Server mode
(``NOTICE_QA_CHROMA_URL``): a ``chroma run`` server. Either way the collection's metadata holds a manifest
(model, corpus, chromadb version, document count); :func:`open_index` rebuilds the collection when it
is missing, empty, damaged or built from something else. Builds take a file lock in ``data_dir``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import logging
import os
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings

from corpus.parser import corpus_hash
from corpus.records import Notice
from corpus.settings import Settings
from index.documents import notice_documents
from index.errors import ChromaUnavailableError, IndexCorruptError, IndexNotBuiltError, IndexStaleError

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from langchain_chroma import Chroma

    from index.bm25 import BM25Ranker
    from index.retriever import HybridRetriever

logger = logging.getLogger(__name__)

MANIFEST_KEY = "notice_qa_manifest"
MANIFEST_FILE = "manifest.json"
LOCK_FILE = "index.lock"
SQLITE_FILE = "chroma.sqlite3"
SCHEMA = 1  # bump when the document layout changes in a way documents_hash cannot see
_BATCH = 16
_FIX_INDEX = "run `notice-qa index`"


@dataclass(frozen=True)
class Manifest:
    """What a collection was built from; two manifests agree when everything but the build facts agrees."""

    model_id: str
    corpus_hash: str
    documents_hash: str
    chromadb: str
    documents: int
    schema: int = SCHEMA
    dimension: int = 0  # known once built
    built_at: str = ""  # ISO 8601, UTC
    # What embeds queries: "onnx@<sha>" (the verified export) or "sentence-transformers"; "" for others.
    query_encoder: str = ""

    def difference(self, other: Manifest) -> str | None:
        """The first field (other than dimension, built_at) where ``other`` differs, as a sentence."""
        fields = (
            "model_id",
            "query_encoder",
            "corpus_hash",
            "documents_hash",
            "chromadb",
            "documents",
            "schema",
        )
        for name in fields:
            mine, theirs = getattr(self, name), getattr(other, name)
            if mine != theirs:
                return f"{name} is {theirs!r}, expected {mine!r}"
        return None

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Manifest | None:
        """The manifest in ``text``, or None when it is absent or unreadable."""
        try:
            data = json.loads(text)
            return cls(**data) if isinstance(data, dict) else None
        except (ValueError, TypeError):
            return None


_NO_MANIFEST = Manifest("", "", "", "", 0)


def documents_hash(documents: Sequence[Document]) -> str:
    rows = [[d.id, d.page_content, d.metadata] for d in documents]
    return hashlib.sha256(json.dumps(rows, ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()


def embeddings_id(embeddings: Embeddings) -> str:
    """The embeddings' ``model_id`` attribute, else its class name."""
    value = getattr(embeddings, "model_id", None)
    if isinstance(value, str) and value:
        return value
    return f"{type(embeddings).__module__}.{type(embeddings).__qualname__}"


def query_encoder_id(embeddings: Embeddings) -> str:
    """The embeddings' ``query_encoder_id`` attribute (what embeds queries), else ""."""
    value = getattr(embeddings, "query_encoder_id", None)
    return value if isinstance(value, str) else ""


def expected_manifest(embeddings: Embeddings, notice: Notice, documents: Sequence[Document]) -> Manifest:
    import chromadb

    return Manifest(
        model_id=embeddings_id(embeddings),
        query_encoder=query_encoder_id(embeddings),
        corpus_hash=corpus_hash(notice.text),
        documents_hash=documents_hash(documents),
        chromadb=chromadb.__version__,
        documents=len(documents),
    )


class NoticeIndex:
    """An open, current collection: the LangChain vector store, its documents and its manifest."""

    def __init__(
        self,
        vectorstore: Chroma,
        documents: list[Document],
        manifest: Manifest,
        *,
        client: ClientAPI,
        collection: str,
        mode: str,
        built: bool = False,
    ) -> None:
        self.vectorstore = vectorstore
        self.documents = documents
        self.manifest = manifest
        self.mode = mode
        self.built = built  # whether opening this index (re)built it
        self._client = client
        self._collection = collection
        self._bm25: BM25Ranker | None = None

    @property
    def bm25(self) -> BM25Ranker:
        """The keyword ranker over the same documents, built on first use."""
        if self._bm25 is None:
            from index.bm25 import BM25Ranker

            self._bm25 = BM25Ranker(self.documents)
        return self._bm25

    def retriever(self, *, k: int = 5, kinds: tuple[str, ...] | None = None) -> HybridRetriever:
        """A hybrid (dense + BM25) retriever over this index."""
        from index.retriever import HybridRetriever

        return HybridRetriever(vectorstore=self.vectorstore, bm25=self.bm25, k=k, kinds=kinds)

    def health(self) -> dict[str, object]:
        """A live check of the collection: keys ok, mode, documents, model_id, corpus_hash, problem."""
        problem: str | None = None
        count = 0
        try:
            col = self._client.get_collection(self._collection, embedding_function=None)
            count = col.count()
            stored = Manifest.from_json(str((col.metadata or {}).get(MANIFEST_KEY, "")))
            if stored is None:
                problem = f"collection {self._collection!r} has no manifest; {_FIX_INDEX}"
            elif (diff := self.manifest.difference(stored)) is not None:
                problem = f"collection {self._collection!r}: {diff}; {_FIX_INDEX}"
            elif count != len(self.documents):
                problem = f"collection holds {count} documents, expected {len(self.documents)}; {_FIX_INDEX}"
        except Exception as exc:  # health reports, it does not raise
            problem = _one_line(exc)
        return {
            "ok": problem is None,
            "mode": self.mode,
            "documents": count,
            "model_id": self.manifest.model_id,
            "corpus_hash": self.manifest.corpus_hash,
            "problem": problem,
        }


def open_index(
    settings: Settings,
    embeddings: Embeddings,
    notice: Notice,
    *,
    rebuild: bool = True,
    progress: bool = False,
    force: bool = False,
    lock_timeout: float = 600.0,
) -> NoticeIndex:
    """Open the notice's collection, (re)building it when it is not current and ``rebuild`` allows.

    Raises IndexNotBuiltError / IndexStaleError (rebuild=False), ChromaUnavailableError (server down),
    IndexCorruptError (embedded folder unreadable and rebuild=False).
    """
    from filelock import FileLock, Timeout

    documents = notice_documents(notice)
    expected = expected_manifest(embeddings, notice, documents)
    embedded = not settings.index.chroma_url
    if embedded and not _writable(settings):
        return _open_read_only(settings, embeddings, documents, expected, force, "not writable")
    lock_path = settings.data_dir / LOCK_FILE
    lock = FileLock(str(lock_path), timeout=lock_timeout)
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        lock.acquire()
    except Timeout as exc:
        raise IndexNotBuiltError(
            f"another process has been building the index for {lock_timeout:g}s (lock {lock_path}); "
            "wait for it, or remove the lock file if no notice-qa process runs"
        ) from exc
    except OSError as exc:  # a read-only mount can pass os.access and still refuse the lock file
        if embedded:
            return _open_read_only(settings, embeddings, documents, expected, force, _one_line(exc))
        # The lock only orders local builders; a server is writable whatever this folder is.
        logger.warning(
            "cannot take the build lock %s (%s); opening the server index without it", lock_path, exc
        )
        return _open_locked(settings, embeddings, documents, expected, rebuild, progress, force)
    try:
        return _open_locked(settings, embeddings, documents, expected, rebuild, progress, force)
    finally:
        lock.release()


def build_index(
    settings: Settings, embeddings: Embeddings, notice: Notice, progress: bool = True
) -> NoticeIndex:
    """Rebuild the collection from scratch, whatever state it is in."""
    return open_index(settings, embeddings, notice, rebuild=True, progress=progress, force=True)


def _open_locked(
    settings: Settings,
    embeddings: Embeddings,
    documents: list[Document],
    expected: Manifest,
    rebuild: bool,
    progress: bool,
    force: bool,
) -> NoticeIndex:
    mode = "server" if settings.index.chroma_url else "embedded"
    client: ClientAPI | None = None
    try:
        client = _connect(settings)
        problem, stored = _inspect(client, settings.index.collection, expected)
    except (ChromaUnavailableError, IndexNotBuiltError, IndexStaleError):
        raise
    except Exception as exc:  # chromadb reports a damaged folder with assorted exception types
        if mode == "server":
            if _answers(client):
                raise
            raise _unavailable(settings, exc) from exc
        _close(client)
        if not rebuild:
            raise IndexCorruptError(
                f"cannot read the index at {settings.index_dir}: {_one_line(exc)}; "
                f"remove that folder and {_FIX_INDEX}"
            ) from exc
        _move_aside(settings.index_dir, exc)
        _forget_cached(settings.index_dir)  # other handles may still hold the damaged files open
        client = _connect(settings)
        problem, stored = "the index folder was damaged", None

    if stored is not None and problem is None and not force:
        logger.info("index current: %d documents, model %s", stored.documents, stored.model_id)
        if mode == "embedded":
            _write_manifest_file(settings.index_dir, stored)
        return NoticeIndex(
            _vectorstore(client, settings.index.collection, embeddings, documents),
            documents,
            stored,
            client=client,
            collection=settings.index.collection,
            mode=mode,
        )
    if not rebuild:
        if stored is None:
            raise IndexNotBuiltError(f"{problem}; {_FIX_INDEX}")
        raise IndexStaleError(f"the index is out of date: {problem}; {_FIX_INDEX}")
    logger.info("building the index (%s)", problem or "forced")
    try:
        manifest, store = _build(client, settings, embeddings, documents, expected, progress)
    except Exception as exc:
        if mode == "server" and not _answers(client):
            raise _unavailable(settings, exc) from exc
        raise
    if mode == "embedded":
        _write_manifest_file(settings.index_dir, manifest)
    return NoticeIndex(
        store, documents, manifest, client=client, collection=settings.index.collection, mode=mode, built=True
    )


def _connect(settings: Settings) -> ClientAPI:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if not settings.index.chroma_url:
        if not (settings.index_dir / SQLITE_FILE).is_file():
            # Deleted or emptied while this process holds a handle: a cached handle would keep serving
            # the deleted files and never write the folder again.
            _forget_cached(settings.index_dir)
        settings.index_dir.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(settings.index_dir), settings=chroma_settings)
    host, port, ssl = parse_chroma_url(settings.index.chroma_url)
    try:
        return chromadb.HttpClient(host=host, port=port, ssl=ssl, settings=chroma_settings)
    except Exception as exc:
        raise _unavailable(settings, exc) from exc


def parse_chroma_url(url: str) -> tuple[str, int, bool]:
    """``http://host:port`` → (host, port, ssl); the port defaults to 8000 (http) or 443 (https)."""
    parts = urlsplit(url.strip() if "://" in url else f"http://{url.strip()}")
    try:
        port = parts.port
    except ValueError:
        port = -1
    if parts.scheme not in ("http", "https") or not parts.hostname or port == -1:
        raise ChromaUnavailableError(
            f"NOTICE_QA_CHROMA_URL must look like http://127.0.0.1:8000, got {url!r}"
        )
    ssl = parts.scheme == "https"
    return parts.hostname, port or (443 if ssl else 8000), ssl


def _unavailable(settings: Settings, exc: BaseException) -> ChromaUnavailableError:
    try:
        host, port, _ = parse_chroma_url(settings.index.chroma_url or "")
    except ChromaUnavailableError:
        host, port = "127.0.0.1", 8000
    return ChromaUnavailableError(
        f"no Chroma server answers at {settings.index.chroma_url} ({_one_line(exc)}); start "
        f"`chroma run --path {settings.index_dir} --host {host} --port {port}` or unset NOTICE_QA_CHROMA_URL"
    )


def _answers(client: ClientAPI | None) -> bool:
    """Whether the Chroma server behind ``client`` still answers its heartbeat."""
    if client is None:
        return False
    try:
        client.heartbeat()
    except Exception:  # any failure to answer means the server is gone
        return False
    return True


def _inspect(client: ClientAPI, name: str, expected: Manifest) -> tuple[str | None, Manifest | None]:
    """(problem, stored manifest). No manifest: the collection is missing or empty (not built).

    A collection without a readable manifest (an interrupted build) counts as built but stale.
    """
    from chromadb.errors import NotFoundError

    try:
        col = client.get_collection(name, embedding_function=None)
    except NotFoundError:
        return f"there is no collection {name!r}", None
    count = col.count()
    if count == 0:
        return f"collection {name!r} is empty", None
    stored = Manifest.from_json(str((col.metadata or {}).get(MANIFEST_KEY, "")))
    if stored is None:
        return f"collection {name!r} has no manifest (an interrupted build?)", _NO_MANIFEST
    if (diff := expected.difference(stored)) is not None:
        return diff, stored
    if count != expected.documents:
        return f"collection holds {count} documents, expected {expected.documents}", stored
    return None, stored


def _vectorstore(
    client: ClientAPI, name: str, embeddings: Embeddings, documents: Sequence[Document]
) -> Chroma:
    """The LangChain store over the collection; its searches take the documents from ``documents``."""
    from index.vectorstore import NoticeChroma

    return NoticeChroma(
        client=client,
        collection_name=name,
        embedding_function=embeddings,
        collection_configuration={"hnsw": {"space": "cosine"}},
        documents=documents,
    )


def _build(
    client: ClientAPI,
    settings: Settings,
    embeddings: Embeddings,
    documents: list[Document],
    expected: Manifest,
    progress: bool,
) -> tuple[Manifest, Chroma]:
    from chromadb.errors import NotFoundError
    from tqdm import tqdm

    name = settings.index.collection
    started = time.perf_counter()
    with contextlib.suppress(NotFoundError):
        client.delete_collection(name)
    # No manifest until the last document is in: an interrupted build reads as stale.
    col = client.create_collection(
        name,
        configuration={"hnsw": {"space": "cosine"}},
        metadata={MANIFEST_KEY: ""},
        embedding_function=None,
    )
    store = _vectorstore(client, name, embeddings, documents)
    with tqdm(total=len(documents), desc="embedding", unit="doc", disable=not progress) as bar:
        for i in range(0, len(documents), _BATCH):
            batch = documents[i : i + _BATCH]
            store.add_documents(batch)
            bar.update(len(batch))
    first = col.get(ids=[str(documents[0].id)], include=["embeddings"])["embeddings"]
    dimension = len(first[0]) if first is not None and len(first) else 0
    manifest = dataclasses.replace(
        expected, dimension=dimension, built_at=datetime.now(UTC).isoformat(timespec="seconds")
    )
    col.modify(metadata={MANIFEST_KEY: manifest.to_json()})
    elapsed = time.perf_counter() - started
    logger.info("indexed %d documents (dimension %d) in %.1f s", len(documents), dimension, elapsed)
    return manifest, store


def _write_manifest_file(index_dir: Path, manifest: Manifest) -> None:
    """Mirror the manifest as ``manifest.json`` in the persist folder, for people and scripts."""
    path = index_dir / MANIFEST_FILE
    text = json.dumps(dataclasses.asdict(manifest), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    try:
        if path.is_file() and path.read_text(encoding="utf-8") == text:
            return
        tmp = path.with_name(f".{MANIFEST_FILE}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:  # the collection's metadata is the truth; the file is a convenience
        logger.warning("could not write %s: %s", path, exc)


def _move_aside(index_dir: Path, exc: BaseException) -> None:
    aside = index_dir.with_name(f"{index_dir.name}.corrupt")
    logger.warning("index at %s unreadable (%s); moving it to %s and rebuilding", index_dir, exc, aside)
    shutil.rmtree(aside, ignore_errors=True)
    if index_dir.exists():
        os.replace(index_dir, aside)


def _writable(settings: Settings) -> bool:
    """Whether an embedded index can be locked, built and opened here (chromadb writes even to read)."""
    existing = settings.data_dir
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    paths = [existing]
    if settings.data_dir.exists():
        paths += [p for p in (settings.index_dir, settings.index_dir / SQLITE_FILE) if p.exists()]
    return all(os.access(p, os.W_OK) for p in paths)


def _open_read_only(
    settings: Settings,
    embeddings: Embeddings,
    documents: list[Document],
    expected: Manifest,
    force: bool,
    reason: str,
) -> NoticeIndex:
    """Serve a current index from a folder we may not write, through a private copy.

    chromadb's PersistentClient writes to its SQLite file on open, so it cannot read a read-only folder
    in place. The index is small (well under a megabyte), so a copy in a temporary folder costs little.
    A stale, missing or damaged index cannot be rebuilt here: that is a one-line error naming the fix.
    """
    import atexit
    import tempfile

    import chromadb
    from chromadb.config import Settings as ChromaSettings

    index_dir = settings.index_dir
    fix = f"{settings.data_dir} is read-only ({reason}); make it writable and {_FIX_INDEX}"
    if force:
        raise IndexStaleError(f"cannot rebuild the index: {fix}")
    if not (index_dir / SQLITE_FILE).is_file():
        raise IndexNotBuiltError(f"there is no index at {index_dir} and {fix}")
    snapshot = Path(tempfile.mkdtemp(prefix="notice-qa-readonly-"))
    try:
        shutil.copytree(index_dir, snapshot / "chroma")
        client = chromadb.PersistentClient(
            path=str(snapshot / "chroma"), settings=ChromaSettings(anonymized_telemetry=False)
        )
        problem, stored = _inspect(client, settings.index.collection, expected)
    except Exception as exc:  # unreadable files or a damaged database: nothing we may repair here
        shutil.rmtree(snapshot, ignore_errors=True)
        raise IndexCorruptError(f"cannot read the index at {index_dir}: {_one_line(exc)}; {fix}") from exc
    if stored is None or problem is not None:
        _close(client)
        _forget_cached(snapshot / "chroma")
        shutil.rmtree(snapshot, ignore_errors=True)
        if stored is None:
            raise IndexNotBuiltError(f"the index at {index_dir} is not built ({problem}) and {fix}")
        raise IndexStaleError(f"the index at {index_dir} is out of date ({problem}) and {fix}")
    atexit.register(shutil.rmtree, snapshot, ignore_errors=True)
    logger.warning(
        "%s is read-only; serving the current index from a copy in %s", settings.data_dir, snapshot
    )
    return NoticeIndex(
        _vectorstore(client, settings.index.collection, embeddings, documents),
        documents,
        stored,
        client=client,
        collection=settings.index.collection,
        mode="embedded",
    )


def _forget_cached(index_dir: Path) -> None:
    """Drop chromadb's process-wide handle on ``index_dir``, so the next client opens the folder afresh.

    Clients already open keep their handle; chromadb offers no public call to evict one path.
    """
    try:
        from chromadb.api.shared_system_client import SharedSystemClient

        # The reference count stays: the old clients still hold their references to release.
        SharedSystemClient._identifier_to_system.pop(str(index_dir), None)
    except (ImportError, AttributeError) as exc:  # another chromadb layout: reopening reuses the handle
        logger.debug("cannot evict chromadb's cached client for %s: %s", index_dir, exc)


def _close(client: ClientAPI | None) -> None:
    """Release chromadb's shared handle on the folder, so that it can be moved and reopened."""
    close = getattr(client, "close", None)
    if callable(close):
        try:
            close()
        except Exception as exc:  # closing a broken client may fail too; nothing to do about it
            logger.debug("closing the chroma client failed: %s", exc)


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:200]}" if text else type(exc).__name__
