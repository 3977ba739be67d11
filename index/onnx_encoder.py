"""The torch-free query encoder: an ONNX export of the embedding model, run by onnxruntime.

``notice-qa model`` exports the installed sentence-transformers folder once (torch is allowed there), into
``<model>/onnx/``: ``model.onnx`` (the transformer, the model's own pooling and L2 normalisation in one graph),
the model's fast tokenizer as ``tokenizer.json`` and a marker recording the source model and the check that
the export gives the same vectors as sentence-transformers (cosine >= :data:`MIN_COSINE` on every indexed
document and on :data:`CHECK_QUESTIONS`). Serving loads it with onnxruntime and ``tokenizers``, never torch.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langchain_core.embeddings import Embeddings

from index.errors import ModelMissingError
from index.model import file_sha256
from index.runtime import release_memory

if TYPE_CHECKING:
    import numpy as np
    import onnxruntime
    from tokenizers import Tokenizer

logger = logging.getLogger(__name__)

ONNX_DIR = "onnx"
ONNX_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
ONNX_MARKER = "notice-qa-onnx.json"
MIN_COSINE = 0.999
OPSET = 17
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
_FIX = "run `notice-qa model` to export it"

# Checked at export beside every indexed document: table, content, refusal and odd-shaped questions.
CHECK_QUESTIONS: tuple[str, ...] = (
    "哪些任务由市人社局牵头？",
    "那市财政局呢？",
    "第二十二项由谁负责",
    "市教育局负责几项",
    "产教融合资金从哪来？",
    "高等教育要融入什么体系",
    "社会资本能参与举办职业教育吗",
    "订单培养的费用谁给补助",
    "学生去企业实习实训有什么规定",
    "现代新型学徒制的主要内容是什么",
    "企业投资建设职业学校的用地怎么解决",
    "厂里的技术员能不能去学校当老师啊",
    "学校和工厂一起带学生，这个文件里有提到吗？",
    "这个通知是哪年发的",
    "补贴金额是多少钱",
    "合肥市有没有类似的政策",
    "发文字号是什么",
    "它属于哪一类？",
    "其中哪些属于人才培养？",
    "人设局牵头了啥",
    "What does the notice say about apprenticeships?",
    "第12项 强化企业职工在岗教育培训",
    "？？？",
    "a",
    "１２３４５６７８９０",
    "深化产教融合" * 100,  # 600 characters, past the 512-token window: truncation must agree too
)


def default_threads() -> int:
    """Threads per query: two where there are two cores (a query takes ~4.7 ms rather than ~7 ms; measured on
    the 2-core machine), one on a single core."""
    return max(1, min(2, os.cpu_count() or 1))


def session_options(threads: int) -> onnxruntime.SessionOptions:
    """How the query encoder runs; none of these options changes a vector (checked bit for bit)."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    # Idle threads sleep instead of spinning: the app's own threads need the cores between queries.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    # No arena and no memory pattern: a query's buffers return when it ends (the pattern, planned for
    # one shape, helps nothing when every question has its own length and held ~16 MB more).
    options.enable_cpu_mem_arena = False
    options.enable_mem_pattern = False
    options.log_severity_level = 3
    return options


def onnx_dir(model_path: Path) -> Path:
    """Where ``notice-qa model`` puts the ONNX export of the model at ``model_path``."""
    return model_path / ONNX_DIR


def read_onnx_marker(path: Path) -> dict[str, Any]:
    """The marker of the export in ``path``; ModelMissingError (naming the fix) when it is absent or bad."""
    marker = path / ONNX_MARKER
    if not marker.is_file():
        raise ModelMissingError(f"no ONNX query encoder at {path}; {_FIX}")
    try:
        data = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelMissingError(f"unreadable {marker}: {exc}; {_FIX}") from exc
    keys = ("source_model_id", "onnx_sha256", "onnx_bytes", "inputs", "max_seq_length", "min_cosine")
    if not isinstance(data, dict) or any(k not in data for k in keys):
        raise ModelMissingError(f"{marker} lacks one of {', '.join(keys)}; {_FIX}")
    for name in (ONNX_FILE, TOKENIZER_FILE):
        if not (path / name).is_file():
            raise ModelMissingError(f"{path} lacks {name}; {_FIX}")
    return data


def verify_onnx(
    path: Path, source_model_id: str, *, full: bool = False, checked: bool = True
) -> dict[str, Any]:
    """Check the export in ``path`` against the model it must come from; return its marker.

    The size is checked on every load; ``full`` also hashes the graph (done by ``notice-qa model``);
    ``checked`` requires the recorded comparison with sentence-transformers to have passed.
    """
    marker = read_onnx_marker(path)
    if marker["source_model_id"] != source_model_id:
        raise ModelMissingError(
            f"the ONNX export at {path} comes from {marker['source_model_id']!r}, not the installed "
            f"{source_model_id!r}; {_FIX}"
        )
    graph = path / ONNX_FILE
    if graph.stat().st_size != marker["onnx_bytes"]:
        raise ModelMissingError(
            f"{graph} has {graph.stat().st_size} bytes, the marker expects {marker['onnx_bytes']}; {_FIX}"
        )
    if full and file_sha256(graph) != marker["onnx_sha256"]:
        raise ModelMissingError(f"{graph} does not match the sha256 in its marker; {_FIX}")
    if checked and float(marker["min_cosine"]) < MIN_COSINE:
        raise ModelMissingError(
            f"the ONNX export at {path} was checked at cosine {marker['min_cosine']}, below {MIN_COSINE}; {_FIX}"
        )
    return marker


def encoder_id(marker: dict[str, Any]) -> str:
    """How the index manifest names this query encoder."""
    return f"onnx@{str(marker['onnx_sha256'])[:16]}"


class OnnxEmbeddings(Embeddings):
    """Normalised sentence embeddings from the ONNX export, on the CPU; loads on first use, once, under a lock.

    Gives the same vectors as the sentence-transformers model it was exported from (checked at export),
    imports neither torch nor transformers.
    """

    def __init__(
        self,
        path: Path,
        source_model_id: str,
        *,
        batch_size: int = 32,
        threads: int | None = None,
        checked: bool = True,
    ) -> None:
        if batch_size <= 0:
            raise ValueError(f"batch_size must be > 0, got {batch_size}")
        threads = default_threads() if threads is None else threads
        if threads <= 0:
            raise ValueError(f"threads must be > 0, got {threads}")
        self.path = path
        self.model_id = source_model_id
        self.batch_size = batch_size
        self.threads = threads
        self._marker = verify_onnx(path, source_model_id, checked=checked)
        self.encoder_id = encoder_id(self._marker)
        self._session: onnxruntime.InferenceSession | None = None
        self._tokenizer: Tokenizer | None = None
        self._lock = threading.Lock()

    def _load(self) -> tuple[onnxruntime.InferenceSession, Tokenizer]:
        if self._session is None or self._tokenizer is None:
            with self._lock:
                if self._session is None or self._tokenizer is None:
                    import onnxruntime
                    from tokenizers import Tokenizer

                    logger.info("loading the ONNX query encoder from %s", self.path)
                    tokenizer = Tokenizer.from_file(str(self.path / TOKENIZER_FILE))
                    tokenizer.enable_truncation(int(self._marker["max_seq_length"]))
                    pad = str(self._marker.get("pad_token", "[PAD]"))
                    tokenizer.enable_padding(pad_id=tokenizer.token_to_id(pad) or 0, pad_token=pad)
                    try:
                        self._session = onnxruntime.InferenceSession(
                            str(self.path / ONNX_FILE),
                            session_options(self.threads),
                            providers=["CPUExecutionProvider"],
                        )
                    except Exception as exc:  # onnxruntime raises its own types for a damaged graph
                        text = " ".join(str(exc).split())[:200]
                        raise ModelMissingError(
                            f"cannot load {self.path / ONNX_FILE} ({text}); {_FIX}"
                        ) from exc
                    self._tokenizer = tokenizer
                    # Reading the graph and prepacking its weights freed ~35 MB that glibc would keep.
                    release_memory()
        return self._session, self._tokenizer

    def preload(self) -> None:
        """Load the session in a background thread: onnxruntime releases the GIL while it reads the graph,
        so the load overlaps whatever the caller does next (opening the index) instead of adding to it."""
        if self._session is None:
            # Imports happen here, before the thread starts: two threads importing numpy at once (onnxruntime
            # there, chromadb here) leave it half-initialised ("cannot import name 'NDArray'").
            import numpy  # noqa: F401
            import onnxruntime  # noqa: F401
            import tokenizers  # noqa: F401

            threading.Thread(target=self._preload, name="onnx-preload", daemon=True).start()

    def _preload(self) -> None:
        try:
            self._load()
        except Exception as exc:  # the first query loads again and raises with the fix
            logger.debug("preloading the ONNX query encoder failed: %s", exc)

    def _run(self, texts: Sequence[str]) -> np.ndarray:
        import numpy as np

        session, tokenizer = self._load()
        encodings = tokenizer.encode_batch(list(texts))
        columns = {
            "input_ids": [e.ids for e in encodings],
            "attention_mask": [e.attention_mask for e in encodings],
            "token_type_ids": [e.type_ids for e in encodings],
        }
        feeds = {name: np.asarray(columns[name], dtype=np.int64) for name in self._marker["inputs"]}
        (vectors,) = session.run(["sentence_embedding"], feeds)
        return np.asarray(vectors, dtype=np.float32)

    def _encode(self, texts: list[str]) -> list[list[float]]:
        out: list[list[float]] = []
        for i in range(0, len(texts), self.batch_size):
            out.extend(row.tolist() for row in self._run(texts[i : i + self.batch_size]))
        return out

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._encode(list(texts))

    def embed_query(self, text: str) -> list[float]:
        return self._encode([text])[0]


def export_onnx(
    model_path: Path, documents: Sequence[str], questions: Sequence[str] = CHECK_QUESTIONS
) -> Path:
    """Export the model at ``model_path`` to ``<model>/onnx`` and check it; torch and sentence-transformers load here.

    The export replaces an old one only once it has given vectors within cosine :data:`MIN_COSINE` of
    sentence-transformers' on every text of ``documents`` and ``questions``; otherwise ModelMissingError.
    """
    from index.embeddings import SentenceTransformerEmbeddings

    reference = SentenceTransformerEmbeddings(model_path, query_encoder="sentence-transformers")
    source = reference.model_id
    target = onnx_dir(model_path)
    staging = Path(tempfile.mkdtemp(prefix=f".{ONNX_DIR}.", dir=model_path))
    try:
        inputs, pad_token, max_len = _export_graph(reference, staging)
        graph = staging / ONNX_FILE
        marker: dict[str, Any] = {
            "source_model_id": source,
            "onnx_sha256": file_sha256(graph),
            "onnx_bytes": graph.stat().st_size,
            "inputs": inputs,
            "pad_token": pad_token,
            "max_seq_length": max_len,
            "opset": OPSET,
            "min_cosine": 0.0,
            "checked_texts": 0,
            "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        _write_marker(staging, marker)
        texts = list(dict.fromkeys([*documents, *questions]))
        worst = check_export(OnnxEmbeddings(staging, source, checked=False), reference, texts)
        if worst < MIN_COSINE:
            raise ModelMissingError(
                f"the ONNX export of {model_path} gives vectors at cosine {worst:.6f} from sentence-transformers' "
                f"(need >= {MIN_COSINE}); queries stay on sentence-transformers"
            )
        marker |= {"min_cosine": round(worst, 7), "checked_texts": len(texts)}
        _write_marker(staging, marker)
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    logger.info(
        "exported the ONNX query encoder to %s (%d texts, min cosine %.7f)", target, len(texts), worst
    )
    return target


def check_export(onnx: Embeddings, reference: Embeddings, texts: Sequence[str]) -> float:
    """The lowest cosine between the two encoders' vectors over ``texts``, one by one and in batches."""
    import numpy as np

    batched = np.asarray(onnx.embed_documents(list(texts)))
    single = np.asarray([onnx.embed_query(t) for t in texts])
    expected = np.asarray(reference.embed_documents(list(texts)))

    def cosines(a: np.ndarray) -> np.ndarray:
        norms = np.linalg.norm(a, axis=1) * np.linalg.norm(expected, axis=1)
        return np.asarray((a * expected).sum(axis=1) / norms)

    return float(min(cosines(batched).min(), cosines(single).min()))


def _export_graph(reference: Any, out: Path) -> tuple[list[str], str, int]:
    """Trace the loaded sentence-transformers model (transformer, its pooling, L2 norm) into ``out``."""
    import torch

    model = reference._load()
    tokenizer = model.tokenizer
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is None:
        raise ModelMissingError(
            f"{reference.model_path} has no fast tokenizer (tokenizer.json); cannot export it"
        )
    max_len = int(model.max_seq_length or 512)
    sample = tokenizer(["深化产教融合", "学校和企业共同培养人才？"], padding=True, return_tensors="pt")
    inputs = [name for name in _INPUTS if name in sample]

    class Encoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, *tensors: torch.Tensor) -> torch.Tensor:
            features = dict(zip(inputs, tensors, strict=True))
            pooled = self.model(features)["sentence_embedding"]
            return torch.nn.functional.normalize(pooled, p=2.0, dim=1)

    axes = {name: {0: "batch", 1: "tokens"} for name in inputs} | {"sentence_embedding": {0: "batch"}}
    import warnings

    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer warnings about shape-dependent Python branches
        torch.onnx.export(
            Encoder().eval(),
            tuple(sample[name] for name in inputs),
            str(out / ONNX_FILE),
            input_names=inputs,
            output_names=["sentence_embedding"],
            dynamic_axes=axes,
            opset_version=OPSET,
            dynamo=False,  # the TorchScript exporter needs only `onnx`; shapes stay dynamic
        )
    backend.save(str(out / TOKENIZER_FILE))
    return inputs, str(tokenizer.pad_token or "[PAD]"), max_len


def _write_marker(path: Path, marker: dict[str, Any]) -> None:
    (path / ONNX_MARKER).write_text(json.dumps(marker, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def installed_encoder(model_path: Path, source_model_id: str) -> OnnxEmbeddings | None:
    """The verified export beside ``model_path``, or None when there is none (or it is stale)."""
    path = onnx_dir(model_path)
    if not (path / ONNX_MARKER).is_file():
        return None
    try:
        return OnnxEmbeddings(path, source_model_id)
    except ModelMissingError as exc:
        logger.warning("not using the ONNX query encoder: %s", exc)
        return None


def ensure_query_encoder(model_path: Path) -> str:
    """Make sure a checked ONNX export sits beside the model; return the encoder's id for the manifest.

    Exports (torch) only when the export is missing, damaged or from another model. If the export cannot be
    made or does not match sentence-transformers, queries stay on sentence-transformers and this says so.
    """
    from index.model import model_id

    source = model_id(model_path)
    try:
        return encoder_id(verify_onnx(onnx_dir(model_path), source, full=True))
    except ModelMissingError as exc:
        logger.info("exporting the ONNX query encoder (%s)", exc)
    from corpus.parser import parse_notice
    from index.documents import notice_documents

    documents = [d.page_content for d in notice_documents(parse_notice())]
    try:
        path = export_onnx(model_path, documents)
    except Exception as exc:  # any exporter failure leaves the model usable through sentence-transformers
        logger.warning("no ONNX query encoder for %s: %s", model_path, exc)
        return "sentence-transformers (the ONNX export failed; see the log)"
    return encoder_id(read_onnx_marker(path))
