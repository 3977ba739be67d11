"""Domain errors of the index package; each message ends with the fix."""

from __future__ import annotations

from corpus.errors import NoticeQAError


class IndexNotBuiltError(NoticeQAError, RuntimeError):
    """The Chroma collection does not exist or is empty; run `notice-qa index`."""


class IndexStaleError(NoticeQAError, RuntimeError):
    """The collection was built from another model, corpus or chromadb; run `notice-qa index`."""


class ModelMissingError(NoticeQAError, RuntimeError):
    """The embedding model folder is missing or damaged; run `notice-qa model`."""


class ChromaUnavailableError(NoticeQAError, RuntimeError):
    """The Chroma server named by NOTICE_QA_CHROMA_URL does not answer."""


class IndexCorruptError(NoticeQAError, RuntimeError):
    """The persisted index cannot be read and could not be rebuilt; remove it and run `notice-qa index`."""
