"""One health report for the CLI and the app: model, index and corpus, without building anything."""

from __future__ import annotations

from corpus.parser import corpus_hash, load_notice, read_notice_text
from corpus.settings import Settings


def check_health(settings: Settings) -> dict[str, object]:
    """``ok``, ``mode``, ``documents``, ``model``, ``model_id``, ``query_encoder``, ``corpus_hash`` and ``problem``
    (None when ok)."""
    report: dict[str, object] = {
        "ok": False,
        "mode": "server" if settings.index.chroma_url else "embedded",
        "documents": 0,
        "model": str(settings.resolved_model_dir),
        "model_id": None,
        "query_encoder": None,
        "corpus_hash": corpus_hash(read_notice_text(settings.notice_path)),
        "problem": None,
    }
    try:
        from index.embeddings import SentenceTransformerEmbeddings
        from index.store import open_index

        embeddings = SentenceTransformerEmbeddings(
            settings.resolved_model_dir, query_encoder=settings.index.query_encoder
        )
        report["model_id"] = embeddings.model_id
        report["query_encoder"] = getattr(embeddings, "query_encoder_id", None)
        store = open_index(settings, embeddings, load_notice(settings.notice_path), rebuild=False)
        live = store.health()
    except Exception as exc:  # a health check reports; it never raises
        report["problem"] = " ".join(str(exc).split()) or type(exc).__name__
        return report
    report.update({k: live[k] for k in ("ok", "mode", "documents", "problem")})
    return report
