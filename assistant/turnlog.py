"""The one log line of a turn, written by ``Assistant.ask`` — never the question's text unless asked for.

- ``question_id``: HMAC-SHA256 of the question under ``settings.assistant.log_key`` (or a key drawn at random
  when the process starts), 64 bits in hex. Lines of one run can be correlated; a guessed question cannot be
  confirmed without the key.
- ``TurnLog.turn``: ``turn via=… q=<question_id> len=… route=… refused=… latency_ms=… sources=…``, the text too
  (control characters escaped) only with ``NOTICE_QA_LOG_QUESTIONS``.
- ``clean``: control characters written as escapes, for every line a server writes (ui/logs.py).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
import traceback

from pydantic import SecretStr

from assistant.answer import Answer

logger = logging.getLogger("assistant.turn")

_PROCESS_KEY = secrets.token_bytes(32)  # "random per start" when no NOTICE_QA_LOG_KEY is set
# C0 and C1 controls (ESC, BEL, NUL, CR, LF, …), DEL, and bidirectional overrides that reorder a line.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def question_id(question: str, key: SecretStr | None = None) -> str:
    """The question's keyed hash for logs: 16 hex digits of HMAC-SHA256."""
    secret = key.get_secret_value() if key else ""
    return hmac.new(
        secret.encode("utf-8") if secret else _PROCESS_KEY,
        question.encode("utf-8", "replace"),
        hashlib.sha256,
    ).hexdigest()[:16]


def clean(text: str) -> str:
    r"""``text`` with every control character written as an escape (\x1b, \n, \u202e)."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


class TurnLog:
    """Writes each turn's one line, and a failed answer's frames, under a keyed hash of the question."""

    def __init__(self, key: SecretStr | None = None, *, log_questions: bool = False) -> None:
        self.key = key
        self.log_questions = log_questions

    def question_id(self, question: str) -> str:
        return question_id(question, self.key)

    def turn(self, answer: Answer, *, via: str) -> None:
        """The one line of a turn; the text itself only when ``log_questions`` asks for it (escaped)."""
        question = answer.question
        logger.info(
            "turn via=%s q=%s len=%d route=%s refused=%s latency_ms=%.0f sources=%s%s",
            via,
            self.question_id(question),
            len(question),
            answer.route or "-",
            answer.refused,
            answer.latency_ms,
            ",".join(c.source for c in answer.citations) or "-",
            f" text={clean(question)}" if self.log_questions else "",
        )

    def failure(self, question: str, exc: BaseException, *, via: str) -> None:
        """A failed answer: the exception's type and frames, never its message (it may quote the question)."""
        logger.error(
            "answer failed via=%s q=%s len=%d: %s\n%s",
            via,
            self.question_id(question),
            len(question),
            type(exc).__name__,
            "".join(traceback.format_tb(exc.__traceback__)).rstrip(),
        )
