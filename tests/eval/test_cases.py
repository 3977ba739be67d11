import re
from collections import Counter
from pathlib import Path

import pytest

from corpus.agencies import AGENCIES
from corpus.parser import parse_notice, read_notice_text
from eval.cases import KINDS, CaseFormatError, EvalCase, Expectation, load_cases
from eval.scoring import normalise_for_match

MIN_PER_KIND = {
    "agency_lead": 20,
    "agency_all": 20,
    "agency_assist": 5,
    "agency_count": 10,
    "combination": 10,
    "compositional": 0,  # the blind sets carry these (blind4: 26); the dev set predates the kind
    "ranking": 5,
    "task_number": 23,
    "category": 8,
    "content": 23,
    "clause": 5,
    "header": 7,
    "followup": 10,
    "robustness": 10,
    "refusal": 30,
}
SHORT_NAMES = {a.name for a in AGENCIES}
# Substrings an answer may contain that are not quoted from the notice: a count or a task number.
_NOT_QUOTED = re.compile(r"第?\d+项?")


@pytest.fixture(scope="module")
def cases() -> list[EvalCase]:
    return load_cases()


@pytest.fixture(scope="module")
def notice_tasks() -> int:
    return len(parse_notice().tasks)


def test_packaged_set_loads_with_unique_ids(cases: list[EvalCase]) -> None:
    assert len(cases) >= 200
    assert len({c.id for c in cases}) == len(cases)
    assert all(c.turns and all(t.strip() for t in c.turns) for c in cases)


def test_every_kind_has_its_minimum(cases: list[EvalCase]) -> None:
    counts = Counter(c.kind for c in cases)
    assert set(MIN_PER_KIND) == set(KINDS)
    short = {k: counts[k] for k, n in MIN_PER_KIND.items() if counts[k] < n}
    assert short == {}


def test_gold_tasks_are_task_numbers_of_the_table(cases: list[EvalCase], notice_tasks: int) -> None:
    assert notice_tasks == 23
    bad = [c.id for c in cases if c.expect.tasks and not set(c.expect.tasks) <= set(range(1, 24))]
    assert bad == []


def test_every_task_is_gold_somewhere(cases: list[EvalCase]) -> None:
    gold = {n for c in cases for n in c.expect.tasks or ()}
    assert gold == set(range(1, 24))


def test_every_task_is_asked_by_number_and_by_content(cases: list[EvalCase]) -> None:
    by_number = {c.expect.tasks[0] for c in cases if c.kind == "task_number" and c.expect.tasks}
    by_content = {
        int(c.expect.source.removeprefix("task-"))
        for c in cases
        if c.kind == "content" and c.expect.source and c.expect.source.startswith("task-")
    }
    assert by_number == set(range(1, 24))
    assert by_content == set(range(1, 24))


def test_content_cases_on_a_task_expect_that_task(cases: list[EvalCase]) -> None:
    for c in cases:
        if c.kind == "content" and c.expect.source and c.expect.source.startswith("task-"):
            assert c.expect.tasks == (int(c.expect.source.removeprefix("task-")),), c.id
        if c.expect.source and not c.expect.source.startswith("task-"):
            assert not c.expect.tasks, c.id


def test_every_agency_is_asked_about_by_short_name(cases: list[EvalCase]) -> None:
    asked = " ".join(t for c in cases for t in c.turns)
    assert sorted(n for n in SHORT_NAMES if n not in asked) == []


def test_every_category_clause_and_header_fact_is_covered(cases: list[EvalCase]) -> None:
    notice = parse_notice()
    category_golds = {c.expect.tasks for c in cases if c.kind == "category"}
    for category in notice.categories:
        assert tuple(t.number for t in notice.tasks_in(category)) in category_golds, category
    sources = {c.expect.source for c in cases}
    assert {"preamble", "header", "clause-1", "clause-2", "clause-3"} <= sources
    header_text = "".join(s for c in cases if c.kind == "header" for s in c.expect.contains)
    for fact in ("六安市人民政府办公室", "六政办秘〔2018〕123号", notice.header.title, "皖政办〔2018〕4号"):
        assert fact in header_text
    for fact in (notice.header.attachment_title, "市人大常委会办公室", "中央、省属驻六安各单位"):
        assert fact in header_text


def test_quoted_substrings_occur_in_the_notice(cases: list[EvalCase]) -> None:
    notice = normalise_for_match(read_notice_text())
    missing = [
        (c.id, s)
        for c in cases
        for s in (*c.expect.contains, *(s for alt in c.expect.any_of for s in alt))
        if normalise_for_match(s) not in notice and s not in SHORT_NAMES and not _NOT_QUOTED.fullmatch(s)
    ]
    assert missing == []


def test_refusal_expectations_match_the_kind(cases: list[EvalCase]) -> None:
    refusals = [c for c in cases if c.kind == "refusal"]
    assert all(c.expect.refused is True for c in refusals)
    assert all(c.expect.refused is False for c in cases if c.kind not in ("refusal", "followup"))
    assert sum(c.expect.refused is True for c in cases) >= 30


def test_a_valid_line_becomes_a_typed_case(tmp_path: Path) -> None:
    path = tmp_path / "cases.jsonl"
    path.write_text(
        '{"id": "a", "kind": "task_number", "turns": ["第12项由谁负责？"], '
        '"expect": {"tasks": [12, 4], "contains": ["市人社局"], "any_of": [["配合"], ["会同"]], '
        '"refused": false, "not_regex": "\\\\d+元", "source": "task-12"}}\n\n',
        encoding="utf-8",
    )
    assert load_cases(path) == [
        EvalCase(
            id="a",
            kind="task_number",
            turns=("第12项由谁负责？",),
            expect=Expectation(
                tasks=(4, 12),
                contains=("市人社局",),
                any_of=(("配合",), ("会同",)),
                refused=False,
                not_regex=r"\d+元",
                source="task-12",
            ),
        )
    ]


_GOOD = '{"id": "a", "kind": "refusal", "turns": ["q"], "expect": {"refused": true}}'
_NO_TURNS = _GOOD.replace('["q"]', "[]")


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("not json", r"^line 1: invalid JSON"),
        ("[1, 2]", r"^line 1: expected a JSON object, got list"),
        (_GOOD.replace('"id"', '"extra": 1, "id"'), r"^line 1: unknown key 'extra'$"),
        (_GOOD.replace('"refused"', '"task": [1], "refused"'), r"^line 1: unknown key 'task' in expect"),
        ('{"id": "a", "turns": ["q"], "expect": {"refused": true}}', r"^line 1: missing key 'kind'"),
        (f"{_GOOD}\n{_GOOD}", r"^line 2: duplicate id 'a' \(first on line 1\)"),
        (f"{_GOOD}\n\n{_NO_TURNS}", r"^line 3: empty turns in case 'a'"),
        (_GOOD.replace('["q"]', '["  "]'), r"^line 1: every turn must be a non-empty string"),
        (_GOOD.replace('"refusal"', '"smalltalk"'), r"^line 1: unknown kind 'smalltalk'"),
        (_GOOD.replace('"id": "a"', '"id": ""'), r"^line 1: id must be a non-empty string"),
        (_GOOD.replace('{"refused": true}', "[]"), r"^line 1: expect must be an object"),
        (_GOOD.replace('{"refused": true}', "{}"), r"^line 1: expect checks nothing"),
        (_GOOD.replace('{"refused": true}', '{"source": "header"}'), r"^line 1: expect checks nothing"),
        (_GOOD.replace('"refused": true', '"tasks": ["12"]'), r"^line 1: tasks must be a list of positive"),
        (_GOOD.replace('"refused": true', '"tasks": [true]'), r"^line 1: tasks must be a list of positive"),
        (_GOOD.replace('"refused": true', '"tasks": [4, 4]'), r"^line 1: tasks has a repeated number"),
        (_GOOD.replace('"refused": true', '"contains": "市人社局"'), r"^line 1: contains must be a list"),
        (_GOOD.replace('"refused": true', '"any_of": [[]]'), r"^line 1: any_of must be a list"),
        (_GOOD.replace("true", '"yes"'), r"^line 1: refused must be true or false, got 'yes'"),
        (_GOOD.replace('"refused": true', '"not_regex": "("'), r"^line 1: not_regex '\(' is not a valid"),
        (_GOOD.replace('"refused": true', '"refused": true, "source": "task-x"'), r"^line 1: source must be"),
    ],
)
def test_malformed_lines_name_the_line(tmp_path: Path, text: str, match: str) -> None:
    path = tmp_path / "cases.jsonl"
    path.write_text(text + "\n", encoding="utf-8")
    with pytest.raises(CaseFormatError, match=match) as info:
        load_cases(path)
    assert isinstance(info.value, ValueError)
