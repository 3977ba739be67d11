"""Faults of the index, the model and the Chroma server: each has one documented behaviour (docs/FAULTS.md).

Whatever breaks, the user never gets an answer from the wrong index: the index is rebuilt, or served
from a current copy, or the failure is one line that names the fix. FakeEmbeddings and tmp_path keep
everything but the Chroma server tests (marked slow) fast.
"""

from __future__ import annotations

import dataclasses
import errno
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import filelock
import pytest

import index.embeddings
from assistant.chain import ERROR, Assistant, Conversation
from corpus.records import Notice
from corpus.settings import Settings
from index.documents import notice_documents
from index.errors import (
    ChromaUnavailableError,
    IndexCorruptError,
    IndexNotBuiltError,
    IndexStaleError,
    ModelMissingError,
)
from index.health import check_health
from index.store import MANIFEST_FILE, SQLITE_FILE, NoticeIndex, open_index
from tests.fakes import FakeEmbeddings
from tests.processes import free_port
from ui.cli import main

ROOT = Path(__file__).resolve().parents[2]
CONTENT_QUESTION = "产教融合资金从哪来？"
TABLE_QUESTION = "市人社局牵头哪些任务"


def _count(index: NoticeIndex) -> int:
    return int(index.vectorstore._collection.count())


def _assert_serves(index: NoticeIndex, notice: Notice) -> None:
    """The index holds exactly the notice's documents and retrieval returns them."""
    assert _count(index) == len(notice_documents(notice))
    assert index.health()["ok"] is True
    hits = index.retriever(k=3).invoke(CONTENT_QUESTION)
    assert len(hits) == 3
    assert all(h.id in {d.id for d in index.documents} for h in hits)


def _release(index: NoticeIndex) -> None:
    """End this process's hold on the folder, as a restart would, so the files can be damaged on disk."""
    index._client.close()  # type: ignore[attr-defined]  # chromadb.Client has close(); ClientAPI omits it


def _one_line(exc: BaseException) -> str:
    message = str(exc)
    assert "\n" not in message
    return message


# -- the index folder --------------------------------------------------------------------------------------


def test_missing_index_folder_is_rebuilt(settings: Settings, notice: Notice) -> None:
    first = open_index(settings, FakeEmbeddings(), notice)
    assert first.built
    shutil.rmtree(settings.index_dir)  # deleted while this process still holds a handle on it

    again = open_index(settings, FakeEmbeddings(), notice)
    assert again.built
    assert (settings.index_dir / SQLITE_FILE).is_file()
    assert (settings.index_dir / MANIFEST_FILE).is_file()
    _assert_serves(again, notice)


def test_empty_index_folder_is_rebuilt(settings: Settings, notice: Notice) -> None:
    settings.index_dir.mkdir(parents=True)
    index = open_index(settings, FakeEmbeddings(), notice)
    assert index.built
    _assert_serves(index, notice)


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])


def _overwrite(path: Path) -> None:
    path.write_bytes(b"this is not an sqlite database" * 100)


@pytest.mark.parametrize("damage", [_truncate, _overwrite], ids=["truncated", "garbage"])
def test_corrupt_database_is_moved_aside_and_rebuilt(
    settings: Settings, notice: Notice, damage: Callable[[Path], None]
) -> None:
    _release(open_index(settings, FakeEmbeddings(), notice))
    damage(settings.index_dir / SQLITE_FILE)
    damaged = (settings.index_dir / SQLITE_FILE).read_bytes()

    with pytest.raises(IndexCorruptError, match="cannot read the index .*notice-qa index") as info:
        open_index(settings, FakeEmbeddings(), notice, rebuild=False)
    _one_line(info.value)

    index = open_index(settings, FakeEmbeddings(), notice)
    assert index.built
    _assert_serves(index, notice)
    aside = settings.index_dir.with_name(settings.index_dir.name + ".corrupt")
    assert (aside / SQLITE_FILE).read_bytes() == damaged  # kept for a post-mortem, never served


def _other_model(notice: Notice) -> tuple[FakeEmbeddings, Notice]:
    # Another dimension too: a query from the new model against the old vectors could not even run.
    return FakeEmbeddings(dim=32, model_id="other"), notice


def _other_corpus(notice: Notice) -> tuple[FakeEmbeddings, Notice]:
    return FakeEmbeddings(), dataclasses.replace(notice, text=notice.text + "\n附：修订。")


@pytest.mark.parametrize("change", [_other_model, _other_corpus], ids=["model", "corpus"])
def test_index_from_another_model_or_corpus_is_rebuilt_or_refused(
    settings: Settings, notice: Notice, change: Callable[[Notice], tuple[FakeEmbeddings, Notice]]
) -> None:
    old = open_index(settings, FakeEmbeddings(), notice)
    embeddings, current = change(notice)

    with pytest.raises(IndexStaleError, match="out of date.*run `notice-qa index`") as info:
        open_index(settings, embeddings, current, rebuild=False)
    _one_line(info.value)

    rebuilt = open_index(settings, embeddings, current)
    assert rebuilt.built
    assert rebuilt.manifest.model_id == embeddings.model_id
    assert rebuilt.manifest.corpus_hash != old.manifest.corpus_hash or rebuilt.manifest.dimension == 32
    assert rebuilt.manifest.dimension == embeddings.dim
    _assert_serves(rebuilt, notice)


def test_assistant_on_a_stale_index_refuses_and_names_the_fix(settings: Settings, notice: Notice) -> None:
    """Serving without rebuilding: content questions get the friendly line, never the stale index's answer."""
    open_index(settings, FakeEmbeddings(), notice)
    other = FakeEmbeddings(dim=32, model_id="other")
    assistant = Assistant(notice, lambda: open_index(settings, other, notice, rebuild=False).retriever(k=12))

    answer = assistant.ask(CONTENT_QUESTION, Conversation())
    assert (answer.route, answer.answer, answer.citations) == ("error", ERROR, ())
    with pytest.raises(IndexStaleError, match="notice-qa index"):
        _ = assistant.retriever  # what `notice-qa ask` prints on stderr after such an answer
    assert assistant.ask(TABLE_QUESTION, Conversation()).tasks == (12,)  # the table needs no index


# -- the model -----------------------------------------------------------------------------------------------


def _no_folder(path: Path) -> None:
    pass


def _empty_folder(path: Path) -> None:
    path.mkdir()


def _wrong_weights(path: Path) -> None:
    path.mkdir()
    (path / "config.json").write_text("{}", encoding="utf-8")
    (path / "pytorch_model.bin").write_bytes(b"truncated")
    (path / "notice-qa-model.json").write_text(json.dumps({"weights_sha256": "0" * 64}), encoding="utf-8")


@pytest.mark.parametrize(
    "make", [_no_folder, _empty_folder, _wrong_weights], ids=["missing", "empty", "damaged"]
)
def test_missing_model_names_notice_qa_model(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    make: Callable[[Path], None],
) -> None:
    model_dir = tmp_path / "model"
    make(model_dir)
    settings = Settings(data_dir=tmp_path / "data", model_dir=model_dir, chroma_url=None)

    with pytest.raises(ModelMissingError, match="notice-qa model") as info:
        index.embeddings.SentenceTransformerEmbeddings(model_dir)
    _one_line(info.value)

    report = check_health(settings)
    assert report["ok"] is False
    assert report["model_id"] is None
    assert "notice-qa model" in str(report["problem"])

    monkeypatch.setenv("NOTICE_QA_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("NOTICE_QA_MODEL_DIR", str(model_dir))
    monkeypatch.delenv("NOTICE_QA_CHROMA_URL", raising=False)
    assert main(["ask", "--json", TABLE_QUESTION, CONTENT_QUESTION]) == 0
    out, err = capsys.readouterr()
    turns = [json.loads(line) for line in out.strip().split("\n")]
    assert turns[0]["tasks"] == [12]  # the table answers without the model
    assert turns[1]["answer"] == ERROR
    assert err.count("\n") == 1
    assert err.startswith("notice-qa: ")
    assert "notice-qa model" in err
    assert main(["health"]) == 1
    assert "notice-qa model" in capsys.readouterr().out


# -- a read-only data dir ------------------------------------------------------------------------------------


class _ReadOnlyLock(filelock.FileLock):
    """The lock file of a read-only mount: os.access may say writable, the open says EROFS."""

    def acquire(self, *args: Any, **kwargs: Any) -> Any:
        raise OSError(errno.EROFS, "Read-only file system", self.lock_file)


def _tree(path: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(path)): (p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(path.rglob("*"))
    }


def test_read_only_data_dir_serves_a_current_index_from_a_copy(
    settings: Settings, notice: Notice, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Root ignores chmod, so this patches the lock to fail as on a read-only mount; the real mount is below."""
    _release(open_index(settings, FakeEmbeddings(), notice))
    before = _tree(settings.data_dir)
    monkeypatch.setattr(filelock, "FileLock", _ReadOnlyLock)

    index = open_index(settings, FakeEmbeddings(), notice)
    assert not index.built
    _assert_serves(index, notice)
    assert _tree(settings.data_dir) == before  # nothing written, not even the lock or the manifest file

    with pytest.raises(
        IndexStaleError, match="out of date.*read-only.*make it writable and run `notice-qa index`"
    ) as info:
        open_index(settings, FakeEmbeddings(dim=32, model_id="other"), notice)
    _one_line(info.value)
    assert _tree(settings.data_dir) == before


def test_read_only_data_dir_without_an_index_is_one_line(
    settings: Settings, notice: Notice, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(filelock, "FileLock", _ReadOnlyLock)
    with pytest.raises(IndexNotBuiltError, match="no index at .*read-only.*notice-qa index") as info:
        open_index(settings, FakeEmbeddings(), notice)
    _one_line(info.value)


_READ_ONLY_SCRIPT = """
import json, sys
sys.path.insert(0, sys.argv[2])
from corpus.parser import parse_notice
from corpus.settings import Settings
from index.store import open_index
from tests.fakes import FakeEmbeddings
settings = Settings(data_dir=sys.argv[1], chroma_url=None)
for model in ("fake-sha256-64", "other"):
    try:
        index = open_index(settings, FakeEmbeddings(model_id=model), parse_notice())
        hits = index.retriever(k=3).invoke("产教融合资金从哪来？")
        print(json.dumps({"built": index.built, "ok": index.health()["ok"], "hits": len(hits)}))
    except Exception as exc:
        print(json.dumps({"error": type(exc).__name__, "message": str(exc)}, ensure_ascii=False))
"""


def _read_only_mount_works(path: Path) -> bool:
    probe = f"mount --bind {path} {path} && mount -o remount,ro,bind {path} {path} && ! touch {path}/probe"
    try:
        proc = subprocess.run(
            ["unshare", "-m", "sh", "-c", probe], capture_output=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return proc.returncode == 0 and not (path / "probe").exists()


def test_read_only_mount_serves_a_current_index_and_refuses_a_stale_one(
    settings: Settings, notice: Notice
) -> None:
    """The real thing: a read-only bind mount in a private mount namespace (skipped where unshare is denied)."""
    _release(open_index(settings, FakeEmbeddings(), notice))
    data = settings.data_dir
    if not _read_only_mount_works(data):
        pytest.skip("cannot make a read-only bind mount here (needs `unshare -m` and mount rights)")
    before = _tree(data)
    command = (
        f"mount --bind {data} {data} && mount -o remount,ro,bind {data} {data} && "
        f'exec "$0" -c "$1" {data} {ROOT}'
    )
    proc = subprocess.run(
        ["unshare", "-m", "sh", "-c", command, sys.executable, _READ_ONLY_SCRIPT],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False"},
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    current, stale = (json.loads(line) for line in proc.stdout.strip().split("\n"))
    assert current == {"built": False, "ok": True, "hits": 3}
    assert stale["error"] == "IndexStaleError"
    assert "read-only" in stale["message"]
    assert "notice-qa index" in stale["message"]
    assert "Traceback" not in proc.stderr
    assert _tree(data) == before


# -- two processes at once -----------------------------------------------------------------------------------

_OPEN_SCRIPT = """
import json, os, sys, time
sys.path.insert(0, sys.argv[3])
from corpus.parser import parse_notice
from corpus.settings import Settings
from index.store import open_index
from tests.fakes import FakeEmbeddings
notice = parse_notice()
embeddings = FakeEmbeddings(delay=0.05)
open(sys.argv[2] + "." + str(os.getpid()), "w").close()
while not os.path.exists(sys.argv[2]):
    time.sleep(0.005)
index = open_index(Settings(data_dir=sys.argv[1], chroma_url=None), embeddings, notice)
print(json.dumps({
    "built": index.built,
    "count": index.vectorstore._collection.count(),
    "embedded": embeddings.texts_embedded,
    "built_at": index.manifest.built_at,
    "ok": index.health()["ok"],
}))
"""


def test_two_processes_opening_an_empty_folder_build_once(
    settings: Settings, notice: Notice, tmp_path: Path
) -> None:
    go = tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _OPEN_SCRIPT, str(settings.data_dir), str(go), str(ROOT)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
        )
        for _ in range(2)
    ]
    deadline = time.monotonic() + 60
    while len(list(tmp_path.glob("go.*"))) < 2 and time.monotonic() < deadline:  # both imported
        time.sleep(0.01)
    go.touch()  # now both race for the empty folder
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err[-2000:]
        results.append(json.loads(out))
    n_docs = len(notice_documents(notice))
    assert sorted(r["built"] for r in results) == [False, True]
    assert sorted(r["embedded"] for r in results) == [0, n_docs]
    assert [r["count"] for r in results] == [n_docs, n_docs]
    assert all(r["ok"] for r in results)
    assert len({r["built_at"] for r in results}) == 1


# -- a Chroma server (slow) ------------------------------------------------------------------------------------


class ChromaServer:
    """`chroma run` on a fixed path and port, started and stopped by the test."""

    def __init__(self, path: Path, port: int) -> None:
        self.path, self.port = path, port
        self.url = f"http://127.0.0.1:{port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        chroma = Path(sys.executable).with_name("chroma")
        self.proc = subprocess.Popen(
            [str(chroma), "run", "--path", str(self.path), "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"chroma run exited with {self.proc.returncode}")
            try:
                urllib.request.urlopen(f"{self.url}/api/v2/heartbeat", timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"chroma run did not answer at {self.url} within 60 s")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(15)
        self.proc = None


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[ChromaServer]:
    if not Path(sys.executable).with_name("chroma").exists():
        pytest.skip("the `chroma` CLI is not installed next to this Python")
    server = ChromaServer(tmp_path / "server", free_port())
    server.start()
    yield server
    server.stop()


@pytest.mark.slow
def test_chroma_server_down_is_one_line_and_a_restart_recovers(
    chroma_server: ChromaServer,
    tmp_path: Path,
    notice: Notice,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = Settings(data_dir=tmp_path / "client", chroma_url=chroma_server.url)
    embeddings = FakeEmbeddings()
    # check_health and the CLI load "the model": the same fake, so the manifest agrees.
    monkeypatch.setattr(index.embeddings, "SentenceTransformerEmbeddings", lambda *a, **k: embeddings)
    assert open_index(settings, embeddings, notice).built
    opened: list[int] = []

    def factory() -> Any:
        opened.append(1)
        return open_index(settings, embeddings, notice).retriever(k=settings.index.top_k)

    assistant = Assistant(notice, factory)
    before = assistant.ask(CONTENT_QUESTION, Conversation())
    assert before.route == "content"
    assert before.citations
    assert check_health(settings)["ok"] is True

    chroma_server.stop()
    with pytest.raises(ChromaUnavailableError) as info:
        open_index(settings, embeddings, notice)
    message = _one_line(info.value)
    assert chroma_server.url in message
    assert f"chroma run --path {settings.index_dir} --host 127.0.0.1 --port {chroma_server.port}" in message
    assert "unset NOTICE_QA_CHROMA_URL" in message

    down = assistant.ask(CONTENT_QUESTION, Conversation())
    assert (down.route, down.answer, down.citations) == ("error", ERROR, ())
    with pytest.raises(ChromaUnavailableError, match="no Chroma server answers"):
        _ = assistant.retriever  # the failed retriever was dropped: the fault is named, not hidden
    assert assistant.ask(TABLE_QUESTION, Conversation()).tasks == (12,)

    report = check_health(settings)
    assert report["ok"] is False
    assert report["mode"] == "server"
    assert "no Chroma server answers" in str(report["problem"])
    assert "chroma run" in str(report["problem"])

    monkeypatch.setenv("NOTICE_QA_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("NOTICE_QA_CHROMA_URL", chroma_server.url)
    assert main(["ask", CONTENT_QUESTION]) == 0
    out, err = capsys.readouterr()
    assert ERROR in out
    assert err.count("\n") == 1
    assert err.startswith("notice-qa: no Chroma server answers")
    assert "Traceback" not in out + err

    chroma_server.start()  # same path, same port, mid-session
    after = assistant.ask(CONTENT_QUESTION, Conversation())
    assert after.route == "content"
    assert after.answer == before.answer
    assert after.citations == before.citations
    assert len(opened) >= 2  # the index was reopened after the failure
    assert check_health(settings)["ok"] is True
