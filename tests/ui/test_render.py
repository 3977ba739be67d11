"""ui.render: answers and the notice as escaped HTML fragments."""

from __future__ import annotations

import re

import pytest

from assistant.answer import Answer, Citation
from corpus.records import Notice
from ui.render import (
    filter_rows,
    matrix_rows,
    render_answer,
    render_clauses,
    render_header,
    render_matrix,
    render_question,
    render_task_table,
    source_label,
)


def _text(fragment: str) -> str:
    return re.sub(r"<[^>]+>", "", fragment)


def test_answer_comes_first_then_the_cited_row(notice: Notice) -> None:
    answer = Answer(
        question="哪些任务由市人社局牵头？",
        answer="市人社局牵头的任务共1项：第12项。\n· 第12项 强化企业职工在岗教育培训",
        refused=False,
        tasks=(12,),
        citations=(Citation("task-12", notice.tasks[11].row_text),),
        route="table",
        units=("市人社局",),
    )
    out = render_answer(answer, notice)
    assert "\n\n" not in out  # one markdown HTML block
    assert out.index("市人社局牵头的任务共1项") < out.index("依据") < out.index('<table class="nq-tasks">')
    assert '<p class="nq-direct">市人社局牵头的任务共1项：第12项。</p>' in out
    assert (
        '<tr class="nq-row nq-row-12"><td class="nq-num">12</td><td class="nq-cat">发挥企业重要主体作用</td>'
        '<td class="nq-content">强化企业职工在岗教育培训。</td><td class="nq-units">' in out
    )
    assert '<mark class="nq-hl">市人社局</mark>、市总工会会同市有关部门' in out


def test_clause_citations_are_quoted_with_their_heading(notice: Notice) -> None:
    clause = notice.clauses[2]
    answer = Answer("q", "见第三条。", False, citations=(Citation("clause-3", clause.text),))
    out = render_answer(answer, notice)
    # The quoted text starts with the heading (三、切实加大政策扶持。), so the label does not repeat it.
    assert '<span class="nq-quote-src">第三条</span><br>三、切实加大政策扶持。' in out
    assert "<table" not in out


def test_refusal_without_citations_has_no_sources(notice: Notice) -> None:
    out = render_answer(Answer("天气", "本通知没有提到这个问题。", True, route="refusal"), notice)
    assert out == '<div class="nq-answer"><p class="nq-direct">本通知没有提到这个问题。</p></div>'


def test_answer_and_question_text_are_escaped(notice: Notice) -> None:
    evil = "<script>alert(1)</script>"
    out = render_answer(Answer(evil, f"你问的是{evil}", True, citations=(Citation("header", evil),)), notice)
    assert "<script>" not in out
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    assert render_question(evil) == '<div class="nq-question">&lt;script&gt;alert(1)&lt;/script&gt;</div>'


@pytest.mark.parametrize(
    ("source", "label"),
    [
        ("preamble", "通知导语"),
        ("header", "文件头"),
        ("clause-1", "第一条 加强领导强化责任"),
        ("task-7", "任务分工表第7项"),
        ("other", "other"),
    ],
)
def test_source_labels(notice: Notice, source: str, label: str) -> None:
    assert source_label(Citation(source, ""), notice) == label


def test_highlight_matches_the_cell_in_either_punctuation_width(notice: Notice) -> None:
    # Row 16 spells （管委） full-width, row 1 (管委) half-width; both name 各县区政府（管委）.
    for number in (1, 16):
        out = render_task_table([notice.tasks[number - 1]], highlight=("各县区政府（管委）",))
        assert out.count('<mark class="nq-hl">') == 1
        assert re.search(r'<mark class="nq-hl">各县区政府[(（]管委[)）]</mark>', out)


@pytest.mark.parametrize(
    ("agency", "category", "numbers"),
    [
        ("市人社局", None, [4, 6, 8, 9, 12, 13, 14, 15, 20, 21, 22]),
        (None, "加强产教融合人才培养", [13, 14, 15, 16, 17, 18]),
        ("市财政局", "强化产教融合支持保障", [22]),
        ("市编办", "构建教育和产业深度融合发展格局", []),
        (None, None, list(range(1, 24))),
    ],
)
def test_filter_rows(notice: Notice, agency: str | None, category: str | None, numbers: list[int]) -> None:
    assert [t.number for t in filter_rows(notice, agency, category)] == numbers


def test_header_facts(notice: Notice) -> None:
    out = render_header(notice)
    assert "<dt>文号</dt><dd>六政办秘〔2018〕123号</dd>" in out
    assert "<dt>发文机关</dt><dd>六安市人民政府办公室</dd>" in out


def test_clauses_are_all_there(notice: Notice) -> None:
    out = render_clauses(notice)
    assert out.count('<section class="nq-clause">') == 4
    # Each clause's text starts with its heading, so the heading line does not repeat it.
    for heading, body in (
        ("第一条", "一、加强领导强化责任。"),
        ("第二条", "二、积极开展试点示范。"),
        ("第三条", "三、切实加大政策扶持。"),
    ):
        assert f"<h4>{heading}</h4><p>{body}" in out
    assert "<h4>通知导语</h4>" in out


def test_matrix_has_every_task_and_unit(notice: Notice) -> None:
    out = render_matrix(notice)
    assert len(re.findall(r'<th class="nq-col"', out)) == 23
    assert len(re.findall(r"<tr data-unit=", out)) == len(notice.units) == 20
    for label in ("牵头", "共同负责", "配合"):
        assert label in _text(out.split("<table")[0])  # the legend names every role


def test_matrix_rows_sorted_by_task_count(notice: Notice) -> None:
    rows = matrix_rows(notice)
    counts = [c for _, c in rows]
    assert counts == sorted(counts, reverse=True)
    assert rows[0] == ("市教育局", 20)
    assert dict(rows)["市人社局"] == 11


def test_matrix_cells_tell_roles_apart(notice: Notice) -> None:
    row = re.search(r'<tr data-unit="市人社局">(.*?)</tr>', render_matrix(notice))
    assert row is not None
    assert row.group(1).count('class="nq-cell nq-lead"') == 1  # task 12
    assert row.group(1).count('class="nq-cell nq-co"') == 10
    assert (
        '<td class="nq-cell nq-lead" tabindex="0" title="第12项 牵头" '
        'data-detail="市人社局：第12项 牵头（强化企业职工在岗教育培训。）">牵</td>'
    ) in row.group(1)


def test_long_answers_fold_their_list_and_their_sources(notice: Notice) -> None:
    rows = tuple(range(2, 24))
    lines = "\n".join(f"· 第{n}项 {notice.tasks[n - 1].content}" for n in rows)
    answer = Answer(
        "市教育局负责哪些任务",
        f"市教育局参与的任务共{len(rows)}项。\n{lines}",
        False,
        rows,
        tuple(Citation(f"task-{n}", notice.tasks[n - 1].row_text) for n in rows),
    )
    out = render_answer(answer, notice)
    direct, more = out.index("nq-direct"), out.index("其余17条（点开查看）")
    assert direct < out.index("· 第2项") < out.index("· 第6项") < more < out.index("· 第7项")
    assert f"<summary>任务分工表{len(rows)}项（点开查看）</summary>" in out
    assert out.index('<details class="nq-fold nq-sources-fold">') < out.index('<table class="nq-tasks">')


@pytest.mark.parametrize("n_rows", [1, 3])
def test_short_sources_stay_open(notice: Notice, n_rows: int) -> None:
    rows = tuple(range(1, n_rows + 1))
    answer = Answer("q", "答。", False, rows, tuple(Citation(f"task-{n}", "…") for n in rows))
    out = render_answer(answer, notice)
    assert "<details" not in out
    assert out.count('<tr class="nq-row') == n_rows


def test_a_list_line_cut_short_shows_the_whole_task(notice: Notice) -> None:
    full = notice.tasks[14].content  # task 15, long
    cut = full[:12]
    answer = Answer("q", f"共2项。\n· 第15项 {cut}…（牵头）\n· 第16项 强化师资队伍建设", False, (15, 16))
    out = render_answer(answer, notice)
    assert f"· 第15项 {full.rstrip('。')}（牵头）" in out
    assert "…" not in out
    assert "· 第16项 强化师资队伍建设" in out
    # A line whose text is not the task's own beginning is left as the assistant wrote it.
    other = Answer("q", "共1项。\n· 第15项 别的说法…", False, (15,))
    assert "· 第15项 别的说法…" in render_answer(other, notice)
