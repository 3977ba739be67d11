"""Exact task sets for every unit of the table, written by hand from the notice (not computed by the code)."""

import pytest

from assistant.chain import Assistant

INVOLVED = {
    "市发改委": [1, 9, 10, 20, 21, 22],
    "市教育局": [2, 3, 4, 5, 6, 8, 9, 10, 11, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23],
    "市科技局": [2, 10, 11],
    "市人社局": [4, 6, 8, 9, 12, 13, 14, 15, 20, 21, 22],
    "各高职院校": [4],
    "市有关部门": [1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 17, 18, 19, 23],
    "各县区政府（管委）": [1, 5, 6, 7, 8, 16, 19, 21, 22],
    "行业协会": [7, 19],
    "市国资委": [7],
    "市工商联": [7],
    "市经信委": [8, 14, 15],
    "市财政局": [10, 22],
    "市金融办": [10, 22],
    "市总工会": [12, 13],
    "市编办": [16],
    "市国税局": [22],
    "市地税局": [22],
    "市国土局": [22],
    "人行六安中心支行": [22],
    "六安银监分局": [22],
}
LEADS = {
    "市发改委": [1, 20],
    "市教育局": [2, 3, 4, 5, 6, 8, 9, 11, 13, 14, 15, 16, 17, 18, 19, 21, 23],
    "市科技局": [10],
    "市人社局": [12],
    "市财政局": [22],
    "市有关部门": [7],
    "市总工会": [],
    "六安银监分局": [],
}
ASSISTS = {"市有关部门": [1, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14, 15, 17, 18, 23], "市教育局": []}


@pytest.mark.parametrize(("unit", "expected"), sorted(INVOLVED.items()))
def test_every_unit_involved_set_is_exact(table_assistant: Assistant, unit: str, expected: list[int]) -> None:
    answer = table_assistant.ask(f"{unit}负责哪些任务？")
    assert list(answer.tasks) == expected
    assert not answer.refused
    assert f"共参与{len(expected)}项" in answer.answer
    assert [c.source for c in answer.citations] == [f"task-{n}" for n in expected]


@pytest.mark.parametrize(("unit", "expected"), sorted(LEADS.items()))
def test_lead_sets(table_assistant: Assistant, unit: str, expected: list[int]) -> None:
    answer = table_assistant.ask(f"哪些任务由{unit}牵头？")
    assert list(answer.tasks) == expected
    assert "排在首位的为牵头单位" in answer.answer  # the convention is stated
    shared = sorted(set(INVOLVED[unit]) - set(expected))
    if shared and expected:
        assert f"非牵头身份参与{len(shared)}项" in answer.answer


@pytest.mark.parametrize(("unit", "expected"), sorted(ASSISTS.items()))
def test_assist_sets(table_assistant: Assistant, unit: str, expected: list[int]) -> None:
    assert list(table_assistant.ask(f"哪些任务需要{unit}配合？").tasks) == expected


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("人社局牵头了啥", [12]),
        ("市人力资源和社会保障局牵头哪些工作", [12]),
        ("六安市人力资源社会保障局负责什么任务", INVOLVED["市人社局"]),
        ("发展和改革委员会参与了哪些任务", INVOLVED["市发改委"]),
        ("市发展改革委牵头的任务", [1, 20]),
        ("经济和信息化委员会负责哪些", [8, 14, 15]),
        ("中国人民银行六安市中心支行有哪些任务", [22]),
        ("各县区政府(管委)负责什么", INVOLVED["各县区政府（管委）"]),
        ("县区政府要做哪些事", INVOLVED["各县区政府（管委）"]),
        ("机构编制委员会办公室负责什么", [16]),
        ("国土资源局负责哪些任务", [22]),
        ("财政局管哪些事", [10, 22]),
    ],
)
def test_aliases_and_colloquial_phrasing(
    table_assistant: Assistant, question: str, expected: list[int]
) -> None:
    assert list(table_assistant.ask(question).tasks) == expected


@pytest.mark.parametrize(
    ("question", "expected", "text"),
    [
        ("市教育局和市科技局共同负责哪些任务", [2, 10, 11], "共3项"),
        ("同时涉及市人社局和市总工会的任务", [12, 13], "共2项"),
        ("市财政局和市金融办都参与的任务有哪些", [10, 22], "共2项"),
        ("市总工会和市编办共同负责哪些任务", [], "没有"),
        ("市人社局负责几项任务", INVOLVED["市人社局"], "11项"),
        ("市教育局牵头几项", LEADS["市教育局"], "17项"),
        ("市教育局没有参与哪些任务", [1, 7, 12], "共3项"),
        ("市经信委在人才培养方面负责哪些任务", [14, 15], "2项"),
    ],
)
def test_combinations_counts_and_filters(
    table_assistant: Assistant, question: str, expected: list[int], text: str
) -> None:
    answer = table_assistant.ask(question)
    assert list(answer.tasks) == expected
    assert text in answer.answer


@pytest.mark.parametrize(
    ("question", "text"),
    [
        ("哪个单位负责的任务最多", "市教育局，共20项"),
        ("哪个部门牵头的任务最多", "市教育局，共17项"),
        ("哪项任务涉及的单位最多", "第22项"),
        ("一共有多少项任务", "共列23项任务"),
        ("任务分为几类", "分为5类"),
    ],
)
def test_rankings_and_totals(table_assistant: Assistant, question: str, text: str) -> None:
    answer = table_assistant.ask(question)
    assert text in answer.answer
    assert not answer.refused


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("人才培养方面有哪些任务", [13, 14, 15, 16, 17, 18]),
        ("构建教育和产业深度融合发展格局包括哪些任务", [1, 2, 3, 4]),
        (
            "发挥企业重要主体作用有几项任务",
            [5, 6, 7, 8, 9, 10, 11, 12],
        ),  # the category repeats after a page break
        ("供需对接的任务", [19]),
        ("第5类任务有哪些", [20, 21, 22, 23]),
    ],
)
def test_categories(table_assistant: Assistant, question: str, expected: list[int]) -> None:
    assert list(table_assistant.ask(question).tasks) == expected


@pytest.mark.parametrize(
    ("question", "expected", "text"),
    [
        ("哪些任务由市教育局单独负责", [3, 17, 18, 23], "单独负责"),
        ("哪些任务有两个责任单位", [2, 3, 17, 18, 23], "共5项"),
        ("哪些任务只有一个责任单位", [], "没有只列1个责任单位的任务"),
        ("第8项市人社局是牵头还是配合", [8], "市人社局在第8项中为共同负责单位"),
        ("哪些单位只负责了一项任务", [], "参与1项任务的单位共9个"),
        ("除了市教育局，哪个单位牵头的任务最多", [1, 20], "市发改委，共2项"),
        ("哪一类的任务最多", [5, 6, 7, 8, 9, 10, 11, 12], "发挥企业重要主体作用"),
    ],
)
def test_sole_counts_roles_in_a_row_and_rankings(
    table_assistant: Assistant, question: str, expected: list[int], text: str
) -> None:
    answer = table_assistant.ask(question)
    assert list(answer.tasks) == expected
    assert text in answer.answer


@pytest.mark.parametrize(
    ("question", "tasks", "text"),
    [
        ("市教育局和市人社局谁负责的任务多", [], "市教育局参与的任务更多"),
        ("责任单位一共几个", [], "共列20个责任单位"),
        ("牵头单位有哪些", [], "担任牵头单位的共6个"),
        ("第22项涉及几个单位", [22], "责任单位共11个"),
        ("第十二、十三项分别由谁负责", [12, 13], "市总工会"),
        ("第1到第3项由谁牵头", [1, 2, 3], "第3项由市教育局牵头"),
    ],
)
def test_comparisons_unit_lists_and_number_ranges(
    table_assistant: Assistant, question: str, tasks: list[int], text: str
) -> None:
    answer = table_assistant.ask(question)
    assert list(answer.tasks) == tasks
    assert text in answer.answer
