"""The ONNX query encoder: its marker and checks, the runtime on a tiny hand-made graph, the manifest's record."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from corpus.records import Notice
from corpus.settings import Settings
from index.embeddings import SentenceTransformerEmbeddings
from index.errors import IndexStaleError, ModelMissingError
from index.onnx_encoder import (
    MIN_COSINE,
    ONNX_FILE,
    ONNX_MARKER,
    TOKENIZER_FILE,
    OnnxEmbeddings,
    check_export,
    default_threads,
    encoder_id,
    installed_encoder,
    onnx_dir,
    session_options,
    verify_onnx,
)
from index.store import Manifest, open_index
from tests.fakes import FakeEmbeddings

VOCAB = ["[PAD]", "[UNK]", "产教", "融合", "学校", "企业", "资金"]
# Row i of the tiny model's embedding table: distinct, not unit length, so pooling and normalising both show.
TABLE = [
    [0.0, 0.0, 0.0],
    [1.0, 1.0, 1.0],
    [3.0, 0.0, 0.0],
    [0.0, 2.0, 0.0],
    [0.0, 0.0, 5.0],
    [1.0, 2.0, 0.0],
    [4.0, 4.0, 1.0],
]


def _tiny_export(path: Path, *, source: str = "tiny@0", min_cosine: float = 1.0) -> Path:
    """A hand-made export: a word-level tokenizer and a graph doing lookup, masked mean, L2 norm."""
    import onnx
    from onnx import TensorProto, helper
    from tokenizers import Tokenizer, models, pre_tokenizers

    path.mkdir(parents=True)
    table = helper.make_tensor("table", TensorProto.FLOAT, [len(TABLE), 3], [x for row in TABLE for x in row])
    nodes = [
        helper.make_node("Gather", ["table", "input_ids"], ["tokens"]),
        helper.make_node("Cast", ["attention_mask"], ["mask_f"], to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["mask_f", "axis2"], ["mask3"]),
        helper.make_node("Mul", ["tokens", "mask3"], ["masked"]),
        helper.make_node("ReduceSum", ["masked", "axis1"], ["summed"], keepdims=0),
        helper.make_node("ReduceSum", ["mask3", "axis1"], ["counts"], keepdims=0),
        helper.make_node("Div", ["summed", "counts"], ["mean"]),
        helper.make_node("LpNormalization", ["mean"], ["sentence_embedding"], axis=1, p=2),
    ]
    axes = [
        helper.make_tensor("axis1", TensorProto.INT64, [1], [1]),
        helper.make_tensor("axis2", TensorProto.INT64, [1], [2]),
    ]
    graph = helper.make_graph(
        nodes,
        "tiny",
        [
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "tokens"]),
            helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "tokens"]),
        ],
        [helper.make_tensor_value_info("sentence_embedding", TensorProto.FLOAT, ["batch", 3])],
        initializer=[table, *axes],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path / ONNX_FILE))
    tokenizer = Tokenizer(models.WordLevel({w: i for i, w in enumerate(VOCAB)}, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer.save(str(path / TOKENIZER_FILE))
    marker = {
        "source_model_id": source,
        "onnx_sha256": "ab" * 32,
        "onnx_bytes": (path / ONNX_FILE).stat().st_size,
        "inputs": ["input_ids", "attention_mask"],
        "pad_token": "[PAD]",
        "max_seq_length": 4,
        "min_cosine": min_cosine,
        "checked_texts": 3,
    }
    (path / ONNX_MARKER).write_text(json.dumps(marker), encoding="utf-8")
    return path


def _expected(words: list[str]) -> list[float]:
    rows = [TABLE[VOCAB.index(w) if w in VOCAB else 1] for w in words[:4]]
    mean = [sum(col) / len(rows) for col in zip(*rows, strict=True)]
    norm = math.sqrt(sum(x * x for x in mean))
    return [x / norm for x in mean]


def test_the_runtime_pools_masks_and_normalises(tmp_path: Path) -> None:
    enc = OnnxEmbeddings(_tiny_export(tmp_path / "onnx"), "tiny@0", batch_size=2)
    texts = [
        "产教 融合",
        "学校 企业 资金",
        "外语",
        "产教 产教 产教 产教 学校",
    ]  # unknown word; past max_seq_length
    batched = enc.embed_documents(texts)
    singles = [enc.embed_query(t) for t in texts]
    for text, row, single in zip(texts, batched, singles, strict=True):
        assert row == pytest.approx(_expected(text.split()), abs=1e-6)
        assert single == pytest.approx(row, abs=1e-6)  # padding in a batch changes nothing
    assert enc.model_id == "tiny@0"
    assert enc.encoder_id == "onnx@abababababababab"


def test_check_export_reports_the_worst_cosine(tmp_path: Path) -> None:
    enc = OnnxEmbeddings(_tiny_export(tmp_path / "onnx"), "tiny@0")
    texts = ["产教 融合", "学校"]
    assert check_export(enc, enc, texts) == pytest.approx(1.0)
    other = FakeEmbeddings(dim=3)
    assert check_export(enc, other, texts) < MIN_COSINE


def _damage(path: Path, how: str) -> None:
    marker = json.loads((path / ONNX_MARKER).read_text(encoding="utf-8"))
    if how == "no marker":
        (path / ONNX_MARKER).unlink()
    elif how == "bad json":
        (path / ONNX_MARKER).write_text("{", encoding="utf-8")
    elif how == "missing key":
        del marker["inputs"]
        (path / ONNX_MARKER).write_text(json.dumps(marker), encoding="utf-8")
    elif how == "no graph":
        (path / ONNX_FILE).unlink()
    elif how == "no tokenizer":
        (path / TOKENIZER_FILE).unlink()
    elif how == "truncated":
        (path / ONNX_FILE).write_bytes((path / ONNX_FILE).read_bytes()[:100])
    elif how == "unchecked":
        marker["min_cosine"] = 0.98
        (path / ONNX_MARKER).write_text(json.dumps(marker), encoding="utf-8")


@pytest.mark.parametrize(
    ("how", "match"),
    [
        ("no marker", "no ONNX query encoder at"),
        ("bad json", "unreadable .*notice-qa-onnx.json"),
        ("missing key", "lacks one of"),
        ("no graph", "lacks model.onnx"),
        ("no tokenizer", "lacks tokenizer.json"),
        ("truncated", "has 100 bytes"),
        ("unchecked", "checked at cosine 0.98, below 0.999"),
    ],
)
def test_a_damaged_export_names_the_fix(tmp_path: Path, how: str, match: str) -> None:
    path = _tiny_export(tmp_path / "onnx")
    _damage(path, how)
    with pytest.raises(ModelMissingError, match=f"{match}.*run `notice-qa model`"):
        OnnxEmbeddings(path, "tiny@0")


def test_an_export_of_another_model_is_refused(tmp_path: Path) -> None:
    path = _tiny_export(tmp_path / "onnx", source="other@1")
    with pytest.raises(ModelMissingError, match="comes from 'other@1', not the installed 'tiny@0'"):
        verify_onnx(path, "tiny@0")


def test_a_full_check_hashes_the_graph(tmp_path: Path) -> None:
    path = _tiny_export(tmp_path / "onnx")
    assert verify_onnx(path, "tiny@0")["inputs"] == ["input_ids", "attention_mask"]
    with pytest.raises(ModelMissingError, match="does not match the sha256"):
        verify_onnx(path, "tiny@0", full=True)


def _model_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "some-model"
    folder.mkdir()
    (folder / "config.json").write_text("{}", encoding="utf-8")
    return folder


def test_auto_uses_the_export_when_there_is_one(tmp_path: Path) -> None:
    folder = _model_folder(tmp_path)
    plain = SentenceTransformerEmbeddings(folder)
    assert plain.query_encoder_id == "sentence-transformers"
    assert installed_encoder(folder, plain.model_id) is None
    _tiny_export(onnx_dir(folder), source=plain.model_id)
    emb = SentenceTransformerEmbeddings(folder)
    assert emb.query_encoder_id == "onnx@abababababababab"
    assert emb.embed_query("学校") == pytest.approx(_expected(["学校"]), abs=1e-6)
    assert emb._model is None  # the query never loaded sentence-transformers
    forced = SentenceTransformerEmbeddings(folder, query_encoder="sentence-transformers")
    assert forced.query_encoder_id == "sentence-transformers"


def test_auto_skips_a_stale_export_and_onnx_refuses_it(tmp_path: Path) -> None:
    folder = _model_folder(tmp_path)
    _tiny_export(onnx_dir(folder), source="an-older-model@0")
    assert SentenceTransformerEmbeddings(folder).query_encoder_id == "sentence-transformers"
    with pytest.raises(ModelMissingError, match="comes from 'an-older-model@0'.*notice-qa model"):
        SentenceTransformerEmbeddings(folder, query_encoder="onnx")


def test_onnx_without_an_export_names_the_fix(tmp_path: Path) -> None:
    with pytest.raises(ModelMissingError, match="no ONNX query encoder at .*run `notice-qa model`"):
        SentenceTransformerEmbeddings(_model_folder(tmp_path), query_encoder="onnx")


def test_bad_query_encoder_value(tmp_path: Path) -> None:
    with pytest.raises(
        ValueError, match="query_encoder must be one of auto, onnx, sentence-transformers, got 'gpu'"
    ):
        SentenceTransformerEmbeddings(_model_folder(tmp_path), query_encoder="gpu")  # type: ignore[arg-type]


def test_encoder_id_is_short() -> None:
    assert encoder_id({"onnx_sha256": "0123456789abcdef" * 4}) == "onnx@0123456789abcdef"


# -- the manifest records the query encoder ------------------------------------------------------


class _QueryEncoded(FakeEmbeddings):
    """FakeEmbeddings that name a query encoder, as SentenceTransformerEmbeddings does."""

    def __init__(self, query_encoder_id: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.query_encoder_id = query_encoder_id


def test_manifest_compares_the_query_encoder() -> None:
    a = Manifest("m", "c", "d", "1.5", 3, query_encoder="onnx@1")
    b = Manifest("m", "c", "d", "1.5", 3, query_encoder="sentence-transformers")
    assert a.difference(b) == "query_encoder is 'sentence-transformers', expected 'onnx@1'"
    old = Manifest.from_json(
        json.dumps(
            {"model_id": "m", "corpus_hash": "c", "documents_hash": "d", "chromadb": "1.5", "documents": 3}
        )
    )
    assert old is not None
    assert old.query_encoder == ""  # a manifest written before the field existed reads as stale
    assert a.difference(old) == "query_encoder is '', expected 'onnx@1'"


def test_a_new_query_encoder_rebuilds_or_refuses(settings: Settings, notice: Notice) -> None:
    torch_queries = _QueryEncoded("sentence-transformers")
    first = open_index(settings, torch_queries, notice)
    assert first.built
    assert first.manifest.query_encoder == "sentence-transformers"
    onnx_queries = _QueryEncoded("onnx@0123")
    with pytest.raises(
        IndexStaleError,
        match="query_encoder is 'sentence-transformers', expected 'onnx@0123'.*notice-qa index",
    ):
        open_index(settings, onnx_queries, notice, rebuild=False)
    rebuilt = open_index(settings, onnx_queries, notice)
    assert rebuilt.built
    assert rebuilt.manifest.query_encoder == "onnx@0123"
    assert (
        json.loads((settings.index_dir / "manifest.json").read_text(encoding="utf-8"))["query_encoder"]
        == "onnx@0123"
    )
    assert not open_index(settings, onnx_queries, notice).built


def test_preload_loads_in_the_background(tmp_path: Path) -> None:
    enc = OnnxEmbeddings(_tiny_export(tmp_path / "onnx"), "tiny@0")
    enc.preload()
    assert enc.embed_query("学校") == pytest.approx(_expected(["学校"]), abs=1e-6)
    assert enc._session is not None


def test_a_damaged_graph_fails_quietly_in_preload_and_clearly_in_the_query(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    path = _tiny_export(tmp_path / "onnx")
    size = (path / ONNX_FILE).stat().st_size
    (path / ONNX_FILE).write_bytes(b"\0" * size)  # the size check passes; the graph does not load
    enc = OnnxEmbeddings(path, "tiny@0")
    enc.preload()
    with pytest.raises(ModelMissingError, match="cannot load .*model.onnx.*run `notice-qa model`"):
        enc.embed_query("学校")
    assert "Traceback" not in capfd.readouterr().err


@pytest.mark.parametrize("threads", [1, 2])
def test_threads_change_no_vector(tmp_path: Path, threads: int) -> None:
    path = _tiny_export(tmp_path / "onnx")
    one = OnnxEmbeddings(path, "tiny@0", threads=1)
    enc = OnnxEmbeddings(path, "tiny@0", threads=threads)
    texts = ["产教 融合", "学校 企业 资金", "外语"]
    assert enc.embed_documents(texts) == one.embed_documents(texts)


def test_session_options_free_memory_between_queries() -> None:
    options = session_options(2)
    assert (options.intra_op_num_threads, options.inter_op_num_threads) == (2, 1)
    assert not options.enable_cpu_mem_arena
    assert not options.enable_mem_pattern
    assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"


def test_default_threads_fit_the_machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("os.cpu_count", lambda: 1)
    assert default_threads() == 1
    monkeypatch.setattr("os.cpu_count", lambda: 16)
    assert default_threads() == 2
    assert OnnxEmbeddings(_tiny_export(tmp_path / "onnx"), "tiny@0").threads == 2
    with pytest.raises(ValueError, match="threads must be > 0, got 0"):
        OnnxEmbeddings(_tiny_export(tmp_path / "onnx2"), "tiny@0", threads=0)
