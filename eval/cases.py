"""The regression eval set: typed cases read from ``eval/data/cases.jsonl``, validated line by line."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from corpus.errors import NoticeQAError
from corpus.records import Source, SourceError

CASES_FILE = "cases.jsonl"

KINDS: tuple[str, ...] = (
    "agency_lead",
    "agency_all",
    "agency_assist",
    "agency_count",
    "combination",
    "compositional",  # three or more conditions, a long rambling question, or English
    "ranking",
    "task_number",
    "category",
    "content",
    "clause",
    "header",
    "followup",
    "robustness",
    "refusal",
)

_CASE_KEYS = frozenset({"id", "kind", "turns", "expect"})
_EXPECT_KEYS = frozenset({"tasks", "contains", "any_of", "refused", "not_regex", "source"})


class CaseFormatError(NoticeQAError, ValueError):
    """A line of the cases file is not a valid case; says which line and what is wrong."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line


@dataclass(frozen=True)
class Expectation:
    """What the last turn's answer must satisfy; a field left at its default is not checked."""

    tasks: tuple[int, ...] | None = None  # the exact set of task numbers
    contains: tuple[str, ...] = ()  # every substring must appear in the answer
    any_of: tuple[tuple[str, ...], ...] = ()  # one alternative must appear whole
    refused: bool | None = None
    not_regex: str | None = None  # the answer must not match this pattern
    source: str | None = None  # gold source id for retrieval metrics, e.g. "task-14", "clause-3"


@dataclass(frozen=True)
class EvalCase:
    """One question (or conversation) with the expectation on its last answer."""

    id: str
    kind: str
    turns: tuple[str, ...]
    expect: Expectation


def load_cases(path: Path | None = None) -> list[EvalCase]:
    """Read and validate a JSONL cases file (the packaged set by default)."""
    if path is None:
        text = resources.files("eval").joinpath("data", CASES_FILE).read_text(encoding="utf-8")
    else:
        text = path.read_text(encoding="utf-8")
    return parse_cases(text)


def parse_cases(text: str) -> list[EvalCase]:
    """Parse JSONL text into cases; blank lines are skipped, anything malformed raises CaseFormatError."""
    cases: list[EvalCase] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        case = _parse_line(line, number)
        if case.id in seen:
            raise CaseFormatError(number, f"duplicate id {case.id!r} (first on line {seen[case.id]})")
        seen[case.id] = number
        cases.append(case)
    return cases


def _parse_line(line: str, number: int) -> EvalCase:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise CaseFormatError(number, f"invalid JSON ({exc.msg} at column {exc.colno})") from exc
    if not isinstance(obj, dict):
        raise CaseFormatError(number, f"expected a JSON object, got {type(obj).__name__}")
    unknown = sorted(set(obj) - _CASE_KEYS)
    if unknown:
        raise CaseFormatError(number, f"unknown key {unknown[0]!r}")
    missing = sorted(_CASE_KEYS - set(obj))
    if missing:
        raise CaseFormatError(number, f"missing key {missing[0]!r}")

    case_id = obj["id"]
    if not isinstance(case_id, str) or not case_id.strip():
        raise CaseFormatError(number, f"id must be a non-empty string, got {case_id!r}")
    kind = obj["kind"]
    if kind not in KINDS:
        raise CaseFormatError(number, f"unknown kind {kind!r}")
    turns = obj["turns"]
    if not isinstance(turns, list) or not turns:
        raise CaseFormatError(number, f"empty turns in case {case_id!r}")
    if not all(isinstance(t, str) and t.strip() for t in turns):
        raise CaseFormatError(number, f"every turn must be a non-empty string in case {case_id!r}")
    return EvalCase(case_id, kind, tuple(turns), _parse_expect(obj["expect"], number))


def _parse_expect(raw: Any, number: int) -> Expectation:
    if not isinstance(raw, dict):
        raise CaseFormatError(number, f"expect must be an object, got {type(raw).__name__}")
    unknown = sorted(set(raw) - _EXPECT_KEYS)
    if unknown:
        raise CaseFormatError(number, f"unknown key {unknown[0]!r} in expect")
    if not set(raw) - {"source"}:
        raise CaseFormatError(number, "expect checks nothing")

    tasks = raw.get("tasks")
    if tasks is not None:
        # bool is an int subclass; True is not a task number
        if not isinstance(tasks, list) or not all(type(t) is int and t > 0 for t in tasks):
            raise CaseFormatError(number, f"tasks must be a list of positive integers, got {tasks!r}")
        if len(set(tasks)) != len(tasks):
            raise CaseFormatError(number, f"tasks has a repeated number: {tasks!r}")
    contains = raw.get("contains", [])
    if not _is_str_list(contains):
        raise CaseFormatError(number, f"contains must be a list of non-empty strings, got {contains!r}")
    any_of = raw.get("any_of", [])
    if not isinstance(any_of, list) or not all(_is_str_list(a) and a for a in any_of):
        raise CaseFormatError(number, f"any_of must be a list of non-empty string lists, got {any_of!r}")
    refused = raw.get("refused")
    if refused is not None and not isinstance(refused, bool):
        raise CaseFormatError(number, f"refused must be true or false, got {refused!r}")
    not_regex = raw.get("not_regex")
    if not_regex is not None:
        if not isinstance(not_regex, str) or not not_regex:
            raise CaseFormatError(number, f"not_regex must be a non-empty string, got {not_regex!r}")
        try:
            re.compile(not_regex)
        except re.error as exc:
            raise CaseFormatError(number, f"not_regex {not_regex!r} is not a valid pattern: {exc}") from exc
    source = raw.get("source")
    if source is not None:
        try:
            source = str(Source.parse(source if isinstance(source, str) else repr(source)))
        except SourceError as exc:
            raise CaseFormatError(
                number, f"source must be task-N, clause-N, preamble or header, got {source!r}"
            ) from exc
    return Expectation(
        tasks=tuple(sorted(tasks)) if tasks is not None else None,
        contains=tuple(contains),
        any_of=tuple(tuple(a) for a in any_of),
        refused=refused,
        not_regex=not_regex,
        source=source,
    )


def _is_str_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(s, str) and s for s in value)
