"""The UI tests never write to the review store of the machine's data folder (``~/.cache/notice-qa``).

Apps built from default Settings get ``NOTICE_QA_REVIEW=off``; the review tests ask for a store explicitly
(``Settings(review=True, data_dir=tmp_path)``, or their own ``NOTICE_QA_REVIEW_URL``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from tests.ui.chromium import launched


@pytest.fixture(scope="session", autouse=True)
def _no_review_store_in_the_data_folder() -> Iterator[None]:
    old = os.environ.get("NOTICE_QA_REVIEW")
    os.environ["NOTICE_QA_REVIEW"] = "off"
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("NOTICE_QA_REVIEW", None)
        else:
            os.environ["NOTICE_QA_REVIEW"] = old


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium, one per test module (tests/ui/chromium.py)."""
    yield from launched()
