from __future__ import annotations

import pytest

from assistant.chain import Assistant
from corpus.records import Notice


@pytest.fixture(scope="session")
def table_assistant(notice: Notice) -> Assistant:
    """An assistant with no retriever: enough for every question the table, header and clauses answer."""
    return Assistant(notice, None)
