from __future__ import annotations

import pytest

from assistant.chain import Assistant
from corpus.parser import parse_notice
from corpus.records import Notice


@pytest.fixture(scope="session")
def notice() -> Notice:
    return parse_notice()


@pytest.fixture(scope="session")
def table_assistant(notice: Notice) -> Assistant:
    """An assistant with no retriever: enough for every question the table, header and clauses answer."""
    return Assistant(notice, None)
