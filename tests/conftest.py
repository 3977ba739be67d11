"""Shared fixtures: the one parsed notice (once per session, for every test) and Settings rooted in tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest

from corpus.parser import parse_notice
from corpus.records import Notice
from corpus.settings import Settings


@pytest.fixture(scope="session")
def notice() -> Notice:
    return parse_notice()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings whose data_dir (and so index_dir) is this test's tmp_path; embedded Chroma."""
    return Settings(data_dir=tmp_path, chroma_url=None)
