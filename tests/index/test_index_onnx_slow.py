"""Slow: the real model's ONNX export gives sentence-transformers' vectors, and serving never imports torch."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from corpus.records import Notice
from corpus.settings import Settings
from index.documents import notice_documents
from index.embeddings import SentenceTransformerEmbeddings
from index.onnx_encoder import (
    CHECK_QUESTIONS,
    MIN_COSINE,
    ONNX_MARKER,
    OnnxEmbeddings,
    ensure_query_encoder,
    onnx_dir,
)

pytestmark = pytest.mark.slow

EVAL_DATA = Path(__file__).resolve().parents[2] / "eval" / "data"
HEAVY = ("torch", "transformers", "sentence_transformers")


def _eval_questions() -> list[str]:
    turns: list[str] = []
    for path in sorted(EVAL_DATA.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)  # eval cases have turns; other question lists a question
                turns.extend(row.get("turns") or [row["question"]])
    return list(dict.fromkeys(turns))


def _cosines(a: list[list[float]], b: list[list[float]]) -> np.ndarray:
    x, y = np.asarray(a), np.asarray(b)
    return np.asarray((x * y).sum(axis=1) / (np.linalg.norm(x, axis=1) * np.linalg.norm(y, axis=1)))


def test_the_installed_export_matches_on_every_document_and_eval_question(notice: Notice) -> None:
    model = Settings().resolved_model_dir
    reference = SentenceTransformerEmbeddings(model, query_encoder="sentence-transformers")
    # `make install` ran `notice-qa model`, which exported it: a missing export fails here, it is not skipped.
    onnx = OnnxEmbeddings(onnx_dir(model), reference.model_id)
    documents = [d.page_content for d in notice_documents(notice)]
    questions = _eval_questions()
    assert len(documents) == 73
    assert len(questions) > 700
    assert _cosines(onnx.embed_documents(documents), reference.embed_documents(documents)).min() >= MIN_COSINE
    one_by_one = [onnx.embed_query(q) for q in questions]
    assert _cosines(one_by_one, reference.embed_documents(questions)).min() >= MIN_COSINE


def test_export_into_a_fresh_model_folder(tmp_path: Path) -> None:
    source = Settings().resolved_model_dir
    model = tmp_path / "m3e-small"
    model.mkdir()
    for item in source.iterdir():
        if item.is_file():
            (model / item.name).symlink_to(item)
    encoder = ensure_query_encoder(model)
    assert encoder.startswith("onnx@")
    marker = json.loads((onnx_dir(model) / ONNX_MARKER).read_text(encoding="utf-8"))
    assert marker["min_cosine"] >= MIN_COSINE
    assert marker["checked_texts"] == 73 + len(CHECK_QUESTIONS)
    assert marker["inputs"] == ["input_ids", "attention_mask", "token_type_ids"]
    written = (onnx_dir(model) / "model.onnx").stat().st_mtime_ns
    assert ensure_query_encoder(model) == encoder  # already there: checked, not exported again
    assert (onnx_dir(model) / "model.onnx").stat().st_mtime_ns == written
    assert not [p.name for p in model.iterdir() if p.name.startswith(".onnx.")]  # no staging left behind
    assert SentenceTransformerEmbeddings(model).query_encoder_id == encoder


SERVE = """
import json, sys
import ui.app
from assistant.wiring import load_assistant
from corpus.settings import Settings
answer = load_assistant(Settings()).ask(sys.argv[1])
heavy = sorted(m for m in sys.modules if m.split(".")[0] in {heavy!r})
print(json.dumps({{"route": answer.route, "citations": len(answer.citations), "heavy": heavy}}))
"""


def test_serving_a_content_answer_imports_no_torch(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "NOTICE_QA_DATA_DIR": str(tmp_path),
        "NOTICE_QA_MODEL_DIR": str(Settings().resolved_model_dir),
        "HF_HUB_OFFLINE": "1",
    }
    env.pop("NOTICE_QA_CHROMA_URL", None)
    env.pop("NOTICE_QA_QUERY_ENCODER", None)
    build = subprocess.run([sys.executable, "-m", "index", "build"], env=env, capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    code = SERVE.format(heavy=set(HEAVY))
    run = subprocess.run(
        [sys.executable, "-c", code, "产教融合资金从哪来？"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["route"] == "content"
    assert result["citations"] > 0
    assert result["heavy"] == []
    manifest = json.loads((tmp_path / "chroma" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["query_encoder"].startswith("onnx@")
