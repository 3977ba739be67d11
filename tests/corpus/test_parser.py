import pytest

from corpus.agencies import AGENCIES, resolve
from corpus.parser import NoticeParseError, corpus_hash, parse_notice, parse_units, read_notice_text
from corpus.records import Role

L, C, A = Role.LEAD, Role.CO, Role.ASSIST


def test_header_facts() -> None:
    h = parse_notice().header
    assert h.issuer == "六安市人民政府办公室"
    assert h.doc_number == "六政办秘〔2018〕123号"
    assert h.title == "关于切实做好深化产教融合重点工作的通知"
    assert h.implements == "《安徽省人民政府办公厅关于深化产教融合的实施意见》（皖政办〔2018〕4号）"
    assert h.attachment_title == "产教融合重点工作任务分工"
    assert h.cc == "市委有关部门，市人大常委会办公室，市政协办公室"
    assert h.addressees.startswith("各县区人民政府，开发区、示范园区管委")


def test_clauses_and_preamble() -> None:
    n = parse_notice()
    assert [c.heading for c in n.clauses] == ["加强领导强化责任", "积极开展试点示范", "切实加大政策扶持"]
    assert n.preamble.text.startswith("为贯彻落实")
    assert (
        n.clauses[2].sentences[1]
        == "进一步加大对产教融合的财政扶持力度，每年从市“三重一创”建设专项引导资金中切块用于产教融合发展项目。"
    )
    for c in n.clauses:
        assert "".join(c.sentences) == c.text


def test_23_tasks_and_every_category() -> None:
    n = parse_notice()
    assert [t.number for t in n.tasks] == list(range(1, 24))
    assert n.categories == (
        "构建教育和产业深度融合发展格局",
        "发挥企业重要主体作用",
        "加强产教融合人才培养",
        "促进产教供需双向对接",
        "强化产教融合支持保障",
    )
    by_category = {c: [t.number for t in n.tasks_in(c)] for c in n.categories}
    assert by_category["发挥企业重要主体作用"] == [5, 6, 7, 8, 9, 10, 11, 12]  # repeated after the page break
    assert by_category["促进产教供需双向对接"] == [19]


@pytest.mark.parametrize(
    ("number", "roles"),
    [
        (1, [("市发改委", L), ("市有关部门", A), ("各县区政府（管委）", C)]),
        (7, [("市有关部门", L), ("行业协会", C), ("市国资委", C), ("市工商联", C), ("各县区政府（管委）", C)]),
        (16, [("市教育局", L), ("市编办", C), ("各县区政府（管委）", C)]),
        (19, [("市教育局", L), ("市有关部门", C), ("行业协会", C), ("各县区政府（管委）", C)]),
        (
            22,
            [("市财政局", L), ("市发改委", C), ("市国税局", C), ("市地税局", C), ("市国土局", C), ("市人社局", C),
             ("市教育局", C), ("人行六安中心支行", C), ("六安银监分局", C), ("市金融办", C), ("各县区政府（管委）", C)],
        ),
        (12, [("市人社局", L), ("市总工会", C), ("市有关部门", A)]),
    ],
)  # fmt: skip
def test_roles(number: int, roles: list[tuple[str, Role]]) -> None:
    task = parse_notice().tasks[number - 1]
    assert [(a.unit, a.role) for a in task.assignments] == roles


def test_units_raw_is_verbatim() -> None:
    text = read_notice_text()
    for t in parse_notice().tasks:
        assert f"{t.number}\t" in text
        assert t.units_raw in text
        assert t.content in text


def test_full_and_half_width_punctuation_parse_alike() -> None:
    assert parse_units("市教育局会同市有关部门,各县区政府(管委)") == parse_units(
        "市教育局会同市有关部门，各县区政府（管委）"
    )[:0] + parse_units("市教育局会同市有关部门,各县区政府(管委)")
    half = [(a.unit, a.role) for a in parse_units("市教育局会同市有关部门,各县区政府(管委)")]
    full = [(a.unit, a.role) for a in parse_units("市教育局会同市有关部门，各县区政府（管委）")]
    assert half == full


@pytest.mark.parametrize(
    ("alias", "name"),
    [
        ("市人社局", "市人社局"),
        ("市人力资源社会保障局", "市人社局"),
        ("市人力资源和社会保障局", "市人社局"),
        ("人社局", "市人社局"),
        ("市发展改革委", "市发改委"),
        ("发展和改革委员会", "市发改委"),
        ("经济和信息化委员会", "市经信委"),
        ("中国人民银行六安市中心支行", "人行六安中心支行"),
        ("各县区政府(管委)", "各县区政府（管委）"),
        ("有关部门", "市有关部门"),
    ],
)
def test_aliases(alias: str, name: str) -> None:
    unit = resolve(alias)
    assert unit is not None
    assert unit.name == name


def test_every_table_unit_is_in_the_agency_table() -> None:
    names = {a.name for a in AGENCIES}
    assert set(parse_notice().units) == names


def _lines(text: str) -> list[str]:
    return text.splitlines()


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda t: t.replace("六政办秘〔2018〕123号\n", "六政办秘2018-123\n", 1),
            r"line 5: expected a document number",
        ),
        (lambda t: t.replace("23\t\t加强交流合作。", "25\t\t加强交流合作。"), r"expected task number 23"),
        (lambda t: t.replace("市编办", "市外星局"), r"expected a unit of the agency table"),
        (
            lambda t: t.replace("12\t\t强化企业职工在岗教育培训。\t", "12\t强化企业职工在岗教育培训。\t"),
            r"4 tab-separated cells",
        ),
        (lambda t: t.replace("抄送：", "抄 送"), r"4 tab-separated cells|the 抄送 line"),
        (lambda t: t.replace("三、切实加大政策扶持", "四、切实加大政策扶持"), r"expected clause 三"),
    ],
)
def test_parser_fails_loudly_with_the_line(mutate, message: str) -> None:  # type: ignore[no-untyped-def]
    text = mutate(read_notice_text())
    assert text != read_notice_text()
    with pytest.raises(NoticeParseError, match=message):
        parse_notice(text)


def test_corpus_copy_is_the_seed_verbatim() -> None:
    assert corpus_hash() == "a106ab898be4fa7352501051621b713c7f166c978bfd17011c73c85262b21c50"
