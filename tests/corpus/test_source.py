"""Source ids (task-12, clause-3, preamble, header): parsed and formatted in one place."""

from __future__ import annotations

import pytest

from corpus.records import Notice, Source, SourceError


@pytest.mark.parametrize(
    ("text", "source"),
    [
        ("task-12", Source("task", 12)),
        ("task-1", Source("task", 1)),
        ("clause-3", Source("clause", 3)),
        ("preamble", Source("preamble")),
        ("header", Source("header")),
    ],
)
def test_parse_and_format_round_trip(text: str, source: Source) -> None:
    assert Source.parse(text) == source
    assert str(source) == text


@pytest.mark.parametrize(
    "text", ["task-0", "task-", "task-01", "clause-x", "chunk-3", "Task-1", "task-1 ", ""]
)
def test_anything_else_is_refused_with_the_value(text: str) -> None:
    with pytest.raises(SourceError, match="task-N, clause-N, preamble or header, got"):
        Source.parse(text)


def test_records_give_their_sources_through_it(notice: Notice) -> None:
    assert [t.source for t in notice.tasks[:2]] == ["task-1", "task-2"]
    assert [Source.parse(c.source) for c in notice.clauses[:2]] == [Source("clause", 1), Source("clause", 2)]
