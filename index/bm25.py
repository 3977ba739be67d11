"""Keyword ranking (BM25 over jieba tokens) of the same documents the vector store holds.

Dense retrieval misses exact names (市人社局, 三重一创); BM25 catches them. Agency aliases, task categories and
the domain list's words are added to a private jieba dictionary so that each stays one token. Stop words are the
project's one list (``corpus.synonyms.stopwords``); a query word the notice does not hold is expanded with the
notice's words for it (``corpus.synonyms``: the general near-synonym list and the domain list), 贷款 → 信贷.
"""

from __future__ import annotations

import logging
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from langchain_core.documents import Document

from corpus.agencies import alias_table
from corpus.synonyms import Lexicon, domain_synonyms, notice_lexicon, stopwords
from index.jieba_cache import default_tokenizer

if TYPE_CHECKING:
    import jieba

logger = logging.getLogger(__name__)

STOPWORDS = stopwords()

# One tokenizer for the process: jieba's prefix dictionary costs ~70 MB and, from jieba's own cache, 0.7 s to load
# (index.jieba_cache loads it in a third of that).
_TOKENIZER: jieba.Tokenizer | None = None
_TOKENIZER_WORDS: frozenset[str] = frozenset()
_TOKENIZER_LOCK = threading.Lock()


def _tokenizer(extra_words: Iterable[str]) -> jieba.Tokenizer:
    """A private jieba tokenizer that knows every agency alias and ``extra_words``."""
    global _TOKENIZER, _TOKENIZER_WORDS
    domain = domain_synonyms()
    domain_words = {w for k, vs in domain.items() for w in (k, *vs) if len(w) > 1}
    words = frozenset(alias_table()) | frozenset(domain_words) | frozenset(w for w in extra_words if w)
    with _TOKENIZER_LOCK:
        if _TOKENIZER is None or not words <= _TOKENIZER_WORDS:
            import jieba

            jieba.setLogLevel(logging.WARNING)
            tk = _TOKENIZER or default_tokenizer()
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

    def __init__(
        self,
        documents: Sequence[Document],
        *,
        extra_words: Iterable[str] = (),
        lexicon: Lexicon | None | bool = True,
    ) -> None:
        """``lexicon``: True (default) expands queries with the shipped notice's lexicon; False turns expansion
        off; or a ``Lexicon`` of one's own."""
        if not documents:
            raise ValueError("BM25Ranker needs at least one document, got none")
        from rank_bm25 import BM25Okapi

        self.documents: list[Document] = list(documents)
        categories = {str(d.metadata["category"]) for d in documents if d.metadata.get("category")}
        self._tokenizer = _tokenizer([*categories, *extra_words])
        corpus = [tokenize(_search_text(d), self._tokenizer) for d in self.documents]
        self._bm25 = BM25Okapi(corpus)
        self._lexicon: Lexicon | None = notice_lexicon() if lexicon is True else (lexicon or None)
        logger.debug("BM25 over %d documents", len(corpus))

    def tokenize(self, text: str) -> list[str]:
        return tokenize(text, self._tokenizer)

    def query_tokens(self, query: str) -> list[str]:
        """The query's tokens, then the notice's words for those the notice does not hold (贷款 → 信贷)."""
        tokens = self.tokenize(query)
        if self._lexicon is None:
            return tokens
        extra: list[str] = []
        for word in self._lexicon.domain_words_in(query):
            if self._lexicon.holds(word):
                continue
            for synonym in self._lexicon.synonyms(word):
                extra.extend(self.tokenize(synonym))
        for t in dict.fromkeys(tokens):
            if self._lexicon.holds(t):
                continue  # the notice's own word needs no bridge; its synonyms would only add noise
            for synonym in self._lexicon.synonyms(t):
                extra.extend(self.tokenize(synonym))
        return tokens + [t for t in dict.fromkeys(extra) if t not in tokens]

    def rank(self, query: str, k: int, *, kinds: Sequence[str] | None = None) -> list[tuple[Document, float]]:
        """The top ``k`` documents by BM25 score (> 0), ties broken by document id."""
        if k <= 0:
            raise ValueError(f"k must be > 0, got {k}")
        tokens = self.query_tokens(query)
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
