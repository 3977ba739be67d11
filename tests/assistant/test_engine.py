"""The engine on the real table: every condition, projection-free aggregate and ranking, with row sets worked out
by hand from the 附件 of corpus/data/notice.txt (first-listed unit leads, units beside it or in a later comma group
share, units after 会同 assist)."""

from __future__ import annotations

import pytest

from assistant.engine import execute, holds, select, unit_counts
from assistant.query import (
    Aggregate,
    Alone,
    And,
    CategoryIs,
    CellText,
    Cond,
    Everything,
    HasRole,
    Not,
    NumberIn,
    Or,
    Projection,
    TableQuery,
    UnitCount,
    UnitIs,
)
from corpus.records import Notice, Role

LEAD, CO, ASSIST = Role.LEAD, Role.CO, Role.ASSIST
ALL = list(range(1, 24))
C1 = "构建教育和产业深度融合发展格局"
C2 = "发挥企业重要主体作用"
C3 = "加强产教融合人才培养"
C4 = "促进产教供需双向对接"
C5 = "强化产教融合支持保障"
HUITONG = [1, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14, 15, 17, 18, 23]  # 责任单位 with 会同


def role(*roles: Role) -> frozenset[Role]:
    return frozenset(roles)


# fmt: off
CONDITIONS: list[tuple[Cond, list[int]]] = [
    (Everything(), ALL),
    # UnitIs, each role and any role
    (UnitIs("市人社局", role(LEAD)), [12]),
    (UnitIs("市人社局", role(CO)), [4, 6, 8, 9, 13, 14, 15, 20, 21, 22]),
    (UnitIs("市人社局", role(ASSIST)), []),
    (UnitIs("市人社局"), [4, 6, 8, 9, 12, 13, 14, 15, 20, 21, 22]),
    (UnitIs("市教育局", role(LEAD)), [2, 3, 4, 5, 6, 8, 9, 11, 13, 14, 15, 16, 17, 18, 19, 21, 23]),
    (UnitIs("市教育局", role(CO)), [10, 20, 22]),
    (UnitIs("市教育局"), [2, 3, 4, 5, 6, 8, 9, 10, 11, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23]),
    (UnitIs("市发改委", role(LEAD)), [1, 20]),
    (UnitIs("市发改委", role(CO)), [9, 10, 21, 22]),
    (UnitIs("市科技局", role(LEAD)), [10]),
    (UnitIs("市科技局"), [2, 10, 11]),
    (UnitIs("市财政局", role(LEAD)), [22]),
    (UnitIs("市财政局", role(CO)), [10]),
    (UnitIs("市经信委"), [8, 14, 15]),
    (UnitIs("市总工会"), [12, 13]),
    (UnitIs("市编办"), [16]),
    (UnitIs("市金融办"), [10, 22]),
    (UnitIs("市国资委"), [7]),
    (UnitIs("市工商联"), [7]),
    (UnitIs("各高职院校"), [4]),
    (UnitIs("行业协会"), [7, 19]),
    (UnitIs("人行六安中心支行"), [22]),
    (UnitIs("各县区政府（管委）"), [1, 5, 6, 7, 8, 16, 19, 21, 22]),
    (UnitIs("各县区政府（管委）", role(LEAD)), []),
    (UnitIs("市有关部门", role(LEAD)), [7]),
    (UnitIs("市有关部门", role(CO)), [19]),
    (UnitIs("市有关部门", role(ASSIST)), HUITONG),
    (UnitIs("市有关部门", role(LEAD, CO)), [7, 19]),
    (UnitIs("市民政局"), []),  # not in the table
    # CategoryIs
    (CategoryIs(C1), [1, 2, 3, 4]),
    (CategoryIs(C2), [5, 6, 7, 8, 9, 10, 11, 12]),
    (CategoryIs(C3), [13, 14, 15, 16, 17, 18]),
    (CategoryIs(C4), [19]),
    (CategoryIs(C5), [20, 21, 22, 23]),
    (CategoryIs("人才培养"), []),  # the full name only: key words are the parser's business
    # NumberIn
    (NumberIn(frozenset({3})), [3]),
    (NumberIn(frozenset(range(1, 11))), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]),
    (NumberIn(frozenset({22, 4, 6}), previous=True), [4, 6, 22]),
    (NumberIn(frozenset({30})), []),
    # UnitCount: 1:3 2:2 3:2 4:4 5:3 6:4 7:5 8:5 9:4 10:6 11:3 12:3 13:4 14:4 15:4 16:3 17:2 18:2 19:4 20:3 21:4 22:11 23:2
    (UnitCount("==", 2), [2, 3, 17, 18, 23]),
    (UnitCount("==", 3), [1, 5, 11, 12, 16, 20]),
    (UnitCount("==", 4), [4, 6, 9, 13, 14, 15, 19, 21]),
    (UnitCount("==", 11), [22]),
    (UnitCount(">=", 5), [7, 8, 10, 22]),
    (UnitCount("<=", 2), [2, 3, 17, 18, 23]),
    (UnitCount("==", 1), []),
    # HasRole
    (HasRole(ASSIST), HUITONG),
    (HasRole(LEAD), ALL),
    (HasRole(CO), [1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 19, 20, 21, 22]),
    (Not(HasRole(CO)), [3, 17, 18, 23]),
    # CellText: the 主要内容 or the 责任单位 cell, verbatim
    (CellText("会同"), HUITONG),
    (CellText("行业协会"), [7, 19]),
    (CellText("管委"), [1, 5, 6, 7, 8, 16, 19, 21, 22]),
    (CellText("学徒制"), [14]),
    (CellText("开展试点示范"), [21]),
    (CellText("高等学校"), [4, 10, 11, 16, 17]),
    (CellText("不在表里的字"), []),
    # Alone: the unit and only assisting units
    (Alone("市教育局"), [3, 17, 18, 23]),
    (Alone("市发改委"), []),  # row 1 also lists 各县区政府（管委）, sharing
    (Alone("市人社局"), []),  # row 12 also lists 市总工会
    (Alone("市民政局"), []),
    # Not
    (Not(UnitIs("市教育局")), [1, 7, 12]),
    (Not(UnitIs("市教育局", role(LEAD))), [1, 7, 10, 12, 20, 22]),
    (Not(UnitIs("市人社局")), [1, 2, 3, 5, 7, 10, 11, 16, 17, 18, 19, 23]),
    (Not(HasRole(ASSIST)), [2, 7, 16, 19, 20, 21, 22]),
    (Not(Everything()), []),
    (Not(Not(UnitIs("市经信委"))), [8, 14, 15]),
    # And
    (And((UnitIs("市发改委"), Not(UnitIs("市发改委", role(LEAD))))), [9, 10, 21, 22]),
    (And((UnitIs("市财政局"), Not(UnitIs("市财政局", role(LEAD))))), [10]),
    (And((UnitIs("市教育局", role(LEAD)), UnitIs("市人社局"))), [4, 6, 8, 9, 13, 14, 15, 21]),
    (And((UnitIs("市教育局", role(LEAD)), UnitIs("市人社局"), Not(UnitIs("市经信委")))), [4, 6, 9, 13, 21]),
    (And((NumberIn(frozenset(range(1, 11))), UnitIs("市发改委"), Not(UnitIs("市发改委", role(LEAD))))), [9, 10]),
    (And((CategoryIs(C3), UnitIs("市人社局"), UnitIs("市教育局", role(LEAD)))), [13, 14, 15]),
    (And((UnitCount("==", 2), Alone("市教育局"))), [3, 17, 18, 23]),
    (And((UnitIs("市科技局"), UnitIs("市财政局"))), [10]),
    (And((UnitIs("市编办"), UnitIs("市国资委"))), []),
    # Or
    (Or((UnitIs("市经信委"), UnitIs("市总工会"))), [8, 12, 13, 14, 15]),
    (Or((UnitIs("市科技局", role(LEAD)), UnitIs("市财政局", role(LEAD)))), [10, 22]),
    (Or((CategoryIs(C4), NumberIn(frozenset({1})))), [1, 19]),
    (Or((UnitIs("市编办"), Not(HasRole(ASSIST)))), [2, 7, 16, 19, 20, 21, 22]),
    (Not(Or((UnitIs("市教育局"), UnitIs("市发改委")))), [7, 12]),
]
# fmt: on


@pytest.mark.parametrize(("cond", "rows"), CONDITIONS, ids=[repr(c) for c, _ in CONDITIONS])
def test_select(notice: Notice, cond: Cond, rows: list[int]) -> None:
    assert [t.number for t in select(cond, notice)] == rows
    assert [t.number for t in notice.tasks if holds(cond, t)] == rows


def test_holds_refuses_what_is_not_a_condition(notice: Notice) -> None:
    with pytest.raises(TypeError, match="not a condition"):
        holds("市教育局", notice.tasks[0])  # type: ignore[arg-type]


def test_plain_query_gives_the_rows_in_table_order(notice: Notice) -> None:
    result = execute(TableQuery(where=NumberIn(frozenset({22, 4, 12}))), notice)
    assert [t.number for t in result.rows] == [4, 12, 22]
    assert result.ranking == result.top == result.groups == result.units == ()


def test_count_is_the_selected_rows(notice: Notice) -> None:
    result = execute(TableQuery(where=UnitIs("市教育局", role(LEAD)), aggregate=Aggregate.COUNT), notice)
    assert len(result.rows) == 17


def test_rank_units_any_role(notice: Notice) -> None:
    result = execute(TableQuery(aggregate=Aggregate.RANK_UNITS), notice)
    assert result.top == ("市教育局",)
    # Generic bodies (市有关部门 18 rows, 行业协会 2) are never ranked.
    assert result.ranking[:4] == (
        ("市教育局", 20),
        ("市人社局", 11),
        ("各县区政府（管委）", 9),
        ("市发改委", 6),
    )
    assert dict(result.ranking)["市科技局"] == dict(result.ranking)["市经信委"] == 3
    assert all(unit not in ("市有关部门", "行业协会") for unit, _ in result.ranking)
    assert len(result.rows) == 23


def test_rank_units_by_lead(notice: Notice) -> None:
    result = execute(TableQuery(aggregate=Aggregate.RANK_UNITS, rank_role=LEAD), notice)
    assert result.top == ("市教育局",)
    assert result.ranking[:5] == (
        ("市教育局", 17),
        ("市发改委", 2),
        ("市科技局", 1),
        ("市人社局", 1),
        ("市财政局", 1),
    )


def test_rank_units_fewest_leads_keeps_every_tie(notice: Notice) -> None:
    result = execute(TableQuery(aggregate=Aggregate.RANK_UNITS, rank_role=LEAD, least=True), notice)
    # Fewest among units that lead at all: three units lead one row each.
    assert set(result.top) == {"市科技局", "市人社局", "市财政局"}


def test_rank_units_fewest_any_role_keeps_every_tie(notice: Notice) -> None:
    result = execute(TableQuery(aggregate=Aggregate.RANK_UNITS, least=True), notice)
    assert set(result.top) == {
        "各高职院校",
        "市国资委",
        "市工商联",
        "市编办",
        "市国税局",
        "市地税局",
        "市国土局",
        "人行六安中心支行",
        "六安银监分局",
    }


def test_rank_units_leaves_out_excluded_units(notice: Notice) -> None:
    result = execute(TableQuery(aggregate=Aggregate.RANK_UNITS, exclude=("市教育局",)), notice)
    assert result.top == ("市人社局",)
    lead = execute(TableQuery(aggregate=Aggregate.RANK_UNITS, rank_role=LEAD, exclude=("市教育局",)), notice)
    assert lead.top == ("市发改委",)


def test_rank_units_within_selected_rows(notice: Notice) -> None:
    result = execute(TableQuery(where=CategoryIs(C3), aggregate=Aggregate.RANK_UNITS), notice)
    # Rows 13-18: 市教育局 6, 市人社局 3 (13, 14, 15), 市经信委 2, 市总工会 1, 市编办 1, 各县区政府（管委） 1.
    assert result.top == ("市教育局",)
    assert dict(result.ranking) == {
        "市教育局": 6,
        "市人社局": 3,
        "市经信委": 2,
        "市总工会": 1,
        "市编办": 1,
        "各县区政府（管委）": 1,
    }


def test_rank_units_over_no_rows_is_empty(notice: Notice) -> None:
    result = execute(TableQuery(where=UnitIs("市民政局"), aggregate=Aggregate.RANK_UNITS), notice)
    assert result.rows == ()
    assert result.top == ()


def test_rank_categories(notice: Notice) -> None:
    most = execute(TableQuery(aggregate=Aggregate.RANK_CATEGORIES), notice)
    assert most.top == (C2,)
    assert most.ranking == ((C2, 8), (C3, 6), (C1, 4), (C5, 4), (C4, 1))
    fewest = execute(TableQuery(aggregate=Aggregate.RANK_CATEGORIES, least=True), notice)
    assert fewest.top == (C4,)


def test_rank_categories_with_a_tie(notice: Notice) -> None:
    # 市发改委: rows 1 (C1), 9, 10 (C2), 20, 21, 22 (C5) → C5 3, C2 2, C1 1.
    ndrc = execute(TableQuery(where=UnitIs("市发改委"), aggregate=Aggregate.RANK_CATEGORIES), notice)
    assert ndrc.top == (C5,)
    # 市人社局 as co: 4 (C1), 6, 8, 9 (C2), 13, 14, 15 (C3), 20, 21, 22 (C5) → C2 and C3 and C5 tie at 3.
    hr = execute(TableQuery(where=UnitIs("市人社局", role(CO)), aggregate=Aggregate.RANK_CATEGORIES), notice)
    assert set(hr.top) == {C2, C3, C5}
    fewest = execute(
        TableQuery(where=UnitIs("市人社局", role(CO)), aggregate=Aggregate.RANK_CATEGORIES, least=True),
        notice,
    )
    assert fewest.top == (C1,)


def test_rank_rows_by_number_of_units(notice: Notice) -> None:
    most = execute(TableQuery(aggregate=Aggregate.RANK_ROWS), notice)
    assert [t.number for t in most.rows] == [22]
    fewest = execute(TableQuery(aggregate=Aggregate.RANK_ROWS, least=True), notice)
    assert [t.number for t in fewest.rows] == [2, 3, 17, 18, 23]
    within = execute(TableQuery(where=CategoryIs(C3), aggregate=Aggregate.RANK_ROWS), notice)
    assert [t.number for t in within.rows] == [13, 14, 15]  # four units each
    none = execute(TableQuery(where=UnitIs("市民政局"), aggregate=Aggregate.RANK_ROWS), notice)
    assert none.rows == ()


def test_by_category(notice: Notice) -> None:
    result = execute(TableQuery(aggregate=Aggregate.BY_CATEGORY), notice)
    assert [(c, [t.number for t in rows]) for c, rows in result.groups] == [
        (C1, [1, 2, 3, 4]),
        (C2, [5, 6, 7, 8, 9, 10, 11, 12]),
        (C3, [13, 14, 15, 16, 17, 18]),
        (C4, [19]),
        (C5, [20, 21, 22, 23]),
    ]


def test_by_category_leaves_out_empty_categories(notice: Notice) -> None:
    result = execute(TableQuery(where=UnitIs("市科技局"), aggregate=Aggregate.BY_CATEGORY), notice)
    assert [(c, [t.number for t in rows]) for c, rows in result.groups] == [(C1, [2]), (C2, [10, 11])]


def test_by_unit(notice: Notice) -> None:
    result = execute(
        TableQuery(aggregate=Aggregate.BY_UNIT, focus=("市财政局", "市经信委", "市民政局")), notice
    )
    assert [(u, [t.number for t in rows]) for u, rows in result.groups] == [
        ("市财政局", [10, 22]),
        ("市经信委", [8, 14, 15]),
        ("市民政局", []),
    ]
    lead = execute(
        TableQuery(aggregate=Aggregate.BY_UNIT, focus=("市教育局", "市发改委"), rank_role=CO), notice
    )
    assert [(u, [t.number for t in rows]) for u, rows in lead.groups] == [
        ("市教育局", [10, 20, 22]),
        ("市发改委", [9, 10, 21, 22]),
    ]


def test_compare_rows_with_identical_units(notice: Notice) -> None:
    result = execute(
        TableQuery(NumberIn(frozenset({14, 15})), Projection.UNITS, Aggregate.COMPARE_ROWS), notice
    )
    assert [t.number for t in result.rows] == [14, 15]
    assert set(result.shared) == {"市教育局", "市人社局", "市经信委", "市有关部门"}
    assert result.extra == {"14": (), "15": ()}


def test_compare_rows_that_differ(notice: Notice) -> None:
    result = execute(
        TableQuery(NumberIn(frozenset({4, 6})), Projection.UNITS, Aggregate.COMPARE_ROWS), notice
    )
    assert set(result.shared) == {"市教育局", "市人社局", "市有关部门"}
    assert result.extra == {"4": ("各高职院校",), "6": ("各县区政府（管委）",)}


def test_compare_three_rows(notice: Notice) -> None:
    result = execute(
        TableQuery(NumberIn(frozenset({2, 11, 10})), Projection.UNITS, Aggregate.COMPARE_ROWS), notice
    )
    assert set(result.shared) == {"市教育局", "市科技局"}
    assert {k: set(v) for k, v in result.extra.items()} == {
        "2": set(),
        "10": {"市发改委", "市财政局", "市金融办", "市有关部门"},
        "11": {"市有关部门"},
    }


def test_compare_one_row_has_nothing_to_compare(notice: Notice) -> None:
    result = execute(TableQuery(NumberIn(frozenset({4})), Projection.UNITS, Aggregate.COMPARE_ROWS), notice)
    assert [t.number for t in result.rows] == [4]
    assert result.shared == ()
    assert result.extra == {}


def test_compare_units(notice: Notice) -> None:
    result = execute(TableQuery(aggregate=Aggregate.COMPARE_UNITS, focus=("市发改委", "市人社局")), notice)
    assert result.top == ("市人社局",)
    assert dict(result.ranking) == {"市人社局": 11, "市发改委": 6}
    tie = execute(
        TableQuery(aggregate=Aggregate.COMPARE_UNITS, focus=("市科技局", "市财政局"), rank_role=LEAD), notice
    )
    assert set(tie.top) == {"市科技局", "市财政局"}
    assert dict(tie.ranking) == {"市科技局": 1, "市财政局": 1}


def test_list_units(notice: Notice) -> None:
    result = execute(TableQuery(where=NumberIn(frozenset({12, 13})), aggregate=Aggregate.LIST_UNITS), notice)
    assert set(result.units) == {"市人社局", "市总工会", "市有关部门", "市教育局"}
    assert dict(result.ranking) == {"市人社局": 2, "市总工会": 2, "市有关部门": 2, "市教育局": 1}
    leads = execute(TableQuery(aggregate=Aggregate.LIST_UNITS, rank_role=LEAD), notice)
    assert set(leads.units) == {"市发改委", "市教育局", "市有关部门", "市科技局", "市人社局", "市财政局"}
    everyone = execute(TableQuery(aggregate=Aggregate.LIST_UNITS), notice)
    assert len(everyone.units) == 20
    but = execute(
        TableQuery(where=UnitIs("市科技局"), aggregate=Aggregate.LIST_UNITS, exclude=("市科技局",)), notice
    )
    assert set(but.units) == {"市教育局", "市发改委", "市财政局", "市金融办", "市有关部门"}


def test_units_with_count(notice: Notice) -> None:
    two = execute(TableQuery(aggregate=Aggregate.UNITS_WITH_COUNT, n=2), notice)
    assert set(two.units) == {"行业协会", "市财政局", "市金融办", "市总工会"}
    one_lead = execute(TableQuery(aggregate=Aggregate.UNITS_WITH_COUNT, n=1, rank_role=LEAD), notice)
    assert set(one_lead.units) == {"市有关部门", "市科技局", "市人社局", "市财政局"}


def test_unit_counts(notice: Notice) -> None:
    counts = unit_counts(notice.tasks)
    assert counts["市教育局"] == 20
    assert counts["市有关部门"] == 18
    assert sum(counts.values()) == 87  # every unit of every row
    assert unit_counts(notice.tasks, ASSIST) == {"市有关部门": 16}
