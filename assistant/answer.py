"""What the assistant returns: an answer with its citations, the same fields in Python and in JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

# The route of a question over the length limit: the APIs answer it with 413 / 400.
TOO_LONG_ROUTE = "too_long"


@dataclass(frozen=True)
class Citation:
    """A verbatim passage of the notice. ``source``: task-12, clause-3, preamble, header."""

    source: str
    text: str

    def to_json(self) -> dict[str, str]:
        return {"source": self.source, "text": self.text}


@dataclass(frozen=True)
class Answer:
    """One turn's answer. ``tasks``: the task numbers it gives or is about, ascending."""

    question: str
    answer: str
    refused: bool
    tasks: tuple[int, ...] = ()
    citations: tuple[Citation, ...] = ()
    latency_ms: float = 0.0
    route: str = ""  # which path answered (table, content, header, refusal, input, too_long): logs, eval
    units: tuple[str, ...] = field(default=(), compare=False)  # agencies the question was about, canonical

    def to_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.answer,
            "refused": self.refused,
            "tasks": list(self.tasks),
            "citations": [c.to_json() for c in self.citations],
            "latency_ms": round(self.latency_ms, 3),
        }


@dataclass(frozen=True)
class Reply:
    """A computed answer before it becomes an ``Answer``: its text, the task rows it gives and cites."""

    text: str
    tasks: tuple[int, ...] = ()
    cite: tuple[int, ...] = ()  # task rows to quote, in order
    refused: bool = False
    extra: tuple[Citation, ...] = ()  # other passages (clauses, header lines), in order of relevance


class SupportsAsk(Protocol):
    """Anything that answers like ``Assistant.ask``: the assistant, the naive peer, a test double.

    ``via`` names where the turn came from in its one log line (cli, page, api, openai); None: not logged."""

    def ask(self, question: str, conversation: Any = ..., *, via: str | None = ...) -> Answer: ...
