"""Domain errors of the index package; each message ends with the fix."""

from __future__ import annotations


class IndexNotBuiltError(RuntimeError):
    """The Chroma collection does not exist or is empty; run `notice-qa index`."""


class IndexStaleError(RuntimeError):
    """The collection was built from another model, corpus or chromadb; run `notice-qa index`."""


class ModelMissingError(RuntimeError):
    """The embedding model folder is missing or damaged; run `notice-qa model`."""


class ChromaUnavailableError(RuntimeError):
    """The Chroma server named by NOTICE_QA_CHROMA_URL does not answer."""


class IndexCorruptError(RuntimeError):
    """The persisted index cannot be read and could not be rebuilt; remove it and run `notice-qa index`."""
