"""The naive-RAG peer: with the real model it finds the passage but cannot give exact sets (slow);
its chunking and task reading are checked with fake embeddings (fast)."""

from __future__ import annotations

import pytest

from corpus.settings import Settings
from eval.peer import NaivePeer, load_peer
from tests.fakes import FakeEmbeddings

HRSS_TASKS = (4, 6, 8, 9, 12, 13, 14, 15, 20, 21, 22)
TABLE = "序号\t工作任务\n1\t甲\t市教育局\n2\t\t乙\t市人社局\n第3项不是表格行。\n"


@pytest.fixture(scope="module")
def peer() -> NaivePeer:
    settings = Settings()
    if not settings.resolved_model_dir.is_dir():
        pytest.skip(f"no model at {settings.resolved_model_dir}; run `notice-qa model`")
    return load_peer(settings)


@pytest.mark.slow
def test_peer_retrieves_the_funding_passage(peer: NaivePeer) -> None:
    answer = peer.ask("产教融合资金从哪来")

    assert "三重一创" in answer.answer
    assert answer.refused is False
    assert len(answer.citations) == 3
    assert all(c.source.startswith("chunk-") for c in answer.citations)
    assert answer.answer == "\n\n".join(c.text for c in answer.citations)


@pytest.mark.slow
def test_peer_does_not_give_the_exact_set_of_an_agency(peer: NaivePeer) -> None:
    answer = peer.ask("市人社局负责哪些任务")

    assert answer.tasks != HRSS_TASKS
    assert answer.refused is False


def test_peer_reads_task_numbers_off_table_rows_only() -> None:
    answer = NaivePeer(FakeEmbeddings(), text=TABLE).ask("任何问题", None)

    assert answer.tasks == (1, 2)
    assert [c.source for c in answer.citations] == ["chunk-0"]
    assert answer.answer == TABLE.strip()


def test_peer_splits_long_text_into_overlapping_chunks() -> None:
    text = "".join(f"第{i}句话讲的是产教融合的第{i}件事。" for i in range(1, 40))
    peer = NaivePeer(FakeEmbeddings(), text=text, k=5)

    assert len(peer.chunks) > 3
    assert all(len(c) <= 200 for c in peer.chunks)
    assert all(c.endswith("。") for c in peer.chunks)  # separators stay at the end of their sentence
    assert len(peer.ask("产教融合").citations) == 5


def test_peers_keep_their_chunks_apart() -> None:
    embeddings = FakeEmbeddings()
    NaivePeer(embeddings, text=TABLE)
    other = NaivePeer(embeddings, text="只有一句话。")

    assert [c.text for c in other.ask("任何问题").citations] == ["只有一句话。"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"k": 0}, "k must be > 0, got 0"),
        ({"chunk_size": 40, "chunk_overlap": 40}, "chunk_overlap must be within 0..chunk_size-1, got 40"),
        ({"chunk_overlap": -1}, "chunk_overlap must be within 0..chunk_size-1, got -1"),
    ],
)
def test_peer_rejects_bad_parameters(kwargs: dict[str, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        NaivePeer(FakeEmbeddings(), text="x", **kwargs)
