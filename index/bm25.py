"""Keyword ranking (BM25 over jieba tokens) of the same documents the vector store holds.

Dense retrieval misses exact names (市人社局, 三重一创); BM25 catches them. Agency aliases and task
categories are added to a private jieba dictionary so that each stays one token.
"""

from __future__ import annotations

import logging
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from langchain_core.documents import Document

from corpus.agencies import alias_table

if TYPE_CHECKING:
    import jieba

logger = logging.getLogger(__name__)

_FUNCTION_WORDS = "的 了 和 与 及 或 等 是 在 由 对 把 将 为 从 来 要 有 中 之 其 并 被 给 也 都 就 还"
_QUESTION_WORDS = "谁 哪 哪些 哪个 哪里 哪儿 什么 如何 怎么 怎样 吗 呢 啊 吧 请问 一下 一些 这个 那个 这些"
# Words every question about this notice may use: each row is a 工作任务 with a 责任单位 that 负责.
_DOMAIN_WORDS = "负责 任务 工作 单位"
STOPWORDS = frozenset(f"{_FUNCTION_WORDS} {_QUESTION_WORDS} {_DOMAIN_WORDS}".split())

# One tokenizer for the process: building jieba's prefix dictionary takes about a second.
_TOKENIZER: jieba.Tokenizer | None = None
_TOKENIZER_WORDS: frozenset[str] = frozenset()
_TOKENIZER_LOCK = threading.Lock()


def _tokenizer(extra_words: Iterable[str]) -> jieba.Tokenizer:
    """A private jieba tokenizer that knows every agency alias and ``extra_words``."""
    global _TOKENIZER, _TOKENIZER_WORDS
    words = frozenset(alias_table()) | frozenset(w for w in extra_words if w)
    with _TOKENIZER_LOCK:
        if _TOKENIZER is None or not words <= _TOKENIZER_WORDS:
            import jieba

            jieba.setLogLevel(logging.WARNING)
            tk = _TOKENIZER or jieba.Tokenizer()
            for word in sorted(words - _TOKENIZER_WORDS):
                tk.add_word(word, freq=None)
            _TOKENIZER, _TOKENIZER_WORDS = tk, _TOKENIZER_WORDS | words
        return _TOKENIZER


def shared_tokenizer() -> jieba.Tokenizer:
    """The process's one jieba tokenizer (its dictionary costs ~70 MB; every caller shares it)."""
    return _tokenizer(())


def _is_noise(token: str) -> bool:
    return token in STOPWORDS or all(unicodedata.category(c)[0] in "PSZC" for c in token)


def tokenize(text: str, tokenizer: jieba.Tokenizer) -> list[str]:
    """Search-mode jieba tokens, NFKC-folded and lowercased, without punctuation and stopwords."""
    folded = unicodedata.normalize("NFKC", text).lower()
    return [t for t in (tok.strip() for tok in tokenizer.cut_for_search(folded)) if t and not _is_noise(t)]


def _search_text(doc: Document) -> str:
    """What BM25 sees: the passage plus the fields a question may name (units, category, heading)."""
    meta = doc.metadata
    parts = [doc.page_content]
    for key in ("category", "units_raw", "heading"):
        value = meta.get(key)
        if isinstance(value, str) and value:
            parts.append(value)
    units = meta.get("units")
    if isinstance(units, list):
        parts.extend(str(u) for u in units)
    elif isinstance(units, str) and units:
        parts.append(units)
    return " ".join(parts)


class BM25Ranker:
    """BM25Okapi over the documents; ``rank`` returns (document, score) with positive scores only."""

    def __init__(self, documents: Sequence[Document], *, extra_words: Iterable[str] = ()) -> None:
        if not documents:
            raise ValueError("BM25Ranker needs at least one document, got none")
        from rank_bm25 import BM25Okapi

        self.documents: list[Document] = list(documents)
        categories = {str(d.metadata["category"]) for d in documents if d.metadata.get("category")}
        self._tokenizer = _tokenizer([*categories, *extra_words])
        corpus = [tokenize(_search_text(d), self._tokenizer) for d in self.documents]
        self._bm25 = BM25Okapi(corpus)
        logger.debug("BM25 over %d documents", len(corpus))

    def tokenize(self, text: str) -> list[str]:
        return tokenize(text, self._tokenizer)

    def rank(self, query: str, k: int, *, kinds: Sequence[str] | None = None) -> list[tuple[Document, float]]:
        """The top ``k`` documents by BM25 score (> 0), ties broken by document id."""
        if k <= 0:
            raise ValueError(f"k must be > 0, got {k}")
        tokens = self.tokenize(query)
        if not tokens:
            return []
        scores = self._bm25.get_scores(tokens)
        hits = [
            (doc, float(score))
            for doc, score in zip(self.documents, scores, strict=True)
            if score > 0 and (kinds is None or doc.metadata.get("kind") in kinds)
        ]
        hits.sort(key=lambda hit: (-hit[1], hit[0].id or ""))
        return hits[:k]
