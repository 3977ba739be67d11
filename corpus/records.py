"""Typed records of the notice: header facts, clauses, and the task-division table."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from typing import Literal

from corpus.errors import NoticeQAError

SourceKind = Literal["task", "clause", "preamble", "header"]
_SOURCE = re.compile(r"^(?:(task|clause)-([1-9]\d*)|(preamble|header))$")


class SourceError(NoticeQAError, ValueError):
    """A citation source id that is not task-N, clause-N, preamble or header."""


@dataclass(frozen=True, order=True)
class Source:
    """Where a citation comes from, as ids read ``task-12``, ``clause-3``, ``preamble``, ``header``: the one
    place that parses and formats them (documents' metadata, citations, eval cases, labels)."""

    kind: SourceKind
    number: int = 0  # the task or clause number; 0 for the preamble and the header

    @classmethod
    def parse(cls, text: str) -> Source:
        match = _SOURCE.match(text)
        if match is None:
            raise SourceError(f"a source is task-N, clause-N, preamble or header, got {text!r}")
        kind, number, whole = match.groups()
        if whole == "preamble":
            return cls("preamble")
        if whole == "header":
            return cls("header")
        return cls("task" if kind == "task" else "clause", int(number))

    def __str__(self) -> str:
        return f"{self.kind}-{self.number}" if self.kind in ("task", "clause") else self.kind


class Role(str, Enum):
    """A unit's role in one task, read off the order of the 责任单位 cell."""

    LEAD = "lead"  # listed first: 牵头单位, by the convention of task-division tables
    CO = "co"  # listed beside the lead, or in a later comma group: 共同负责
    ASSIST = "assist"  # listed after 会同: 配合

    @property
    def label(self) -> str:
        return {"lead": "牵头", "co": "共同负责", "assist": "配合"}[self.value]


@dataclass(frozen=True)
class Assignment:
    """One unit named in a task's 责任单位 cell."""

    unit: str  # canonical short name, e.g. 市人社局
    role: Role
    raw: str  # the unit as the cell spells it, e.g. 有关部门


@dataclass(frozen=True)
class Task:
    """One row of 产教融合重点工作任务分工."""

    number: int
    category: str
    content: str
    units_raw: str
    assignments: tuple[Assignment, ...]
    sentences: tuple[str, ...]

    @property
    def source(self) -> str:
        return str(Source("task", self.number))

    @property
    def lead(self) -> str:
        return self.assignments[0].unit

    @property
    def units(self) -> tuple[str, ...]:
        return tuple(a.unit for a in self.assignments)

    def role_of(self, unit: str) -> Role | None:
        for a in self.assignments:
            if a.unit == unit:
                return a.role
        return None

    @property
    def row_text(self) -> str:
        """The row as the table prints it, verbatim cells joined by ｜."""
        return f"{self.number}｜{self.category}｜{self.content}｜{self.units_raw}"


@dataclass(frozen=True)
class Clause:
    """The preamble (number 0) or one of the numbered clauses 一、二、三."""

    number: int
    heading: str
    text: str  # the whole paragraph, verbatim, numeral included
    sentences: tuple[str, ...]

    @property
    def source(self) -> str:
        return str(Source("preamble") if self.number == 0 else Source("clause", self.number))


@dataclass(frozen=True)
class Header:
    issuer: str
    doc_number: str
    title: str
    addressees: str
    implements: str
    attachment_title: str
    cc: str


@dataclass(frozen=True)
class Notice:
    header: Header
    preamble: Clause
    clauses: tuple[Clause, ...]
    tasks: tuple[Task, ...]
    categories: tuple[str, ...]  # in table order, each once
    text: str  # the whole file, verbatim

    def task(self, number: int) -> Task | None:
        if 1 <= number <= len(self.tasks):
            return self.tasks[number - 1]
        return None

    def clause(self, number: int) -> Clause | None:
        if 1 <= number <= len(self.clauses):
            return self.clauses[number - 1]
        return None

    def tasks_in(self, category: str) -> tuple[Task, ...]:
        return tuple(t for t in self.tasks if t.category == category)

    @property
    def units(self) -> tuple[str, ...]:
        """Every unit of the table, in order of first appearance."""
        seen: dict[str, None] = {}
        for t in self.tasks:
            for u in t.units:
                seen.setdefault(u, None)
        return tuple(seen)
