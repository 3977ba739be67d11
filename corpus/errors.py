"""The one root of every error notice-qa raises on purpose; each message names the fix.

Callers tell an expected failure (a missing model, a stale index, a malformed file) from a bug by
``isinstance(exc, NoticeQAError)``, never by module name. (httpx: one ``HTTPError`` root.)
"""

from __future__ import annotations


class NoticeQAError(Exception):
    """An expected failure of notice-qa: its message says what went wrong and how to fix it."""
