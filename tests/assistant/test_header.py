"""Header facts asked plainly: one row per phrasing, the fact it must give (or None: not a header question)."""

from __future__ import annotations

import pytest

from assistant.header import header_reply, recipients
from corpus.records import Notice

CC = "市委有关部门，市人大常委会办公室，市政协办公室"


@pytest.mark.parametrize(
    ("question", "must_contain"),
    [
        # title, issuer, number
        ("这文件叫什么名字？", ["关于切实做好深化产教融合重点工作的通知"]),
        ("通知的标题是什么", ["关于切实做好深化产教融合重点工作的通知"]),
        ("这是哪个单位发的", ["六安市人民政府办公室"]),
        ("发文机关是谁", ["六安市人民政府办公室"]),
        ("本通知的文号是什么？", ["六政办秘〔2018〕123号"]),
        # the year: from the number; no issue date is printed
        ("这是哪一年的文件", ["2018", "没有印出具体的印发日期"]),
        # the attachment's title
        ("附件的标题是什么", ["产教融合重点工作任务分工"]),
        ("附件叫什么", ["产教融合重点工作任务分工"]),
        ("后面附的那张表叫啥", ["产教融合重点工作任务分工"]),
        ("所附表格的名称", ["产教融合重点工作任务分工"]),
        # in English
        ("What is the document number?", ["六政办秘〔2018〕123号"]),
        ("Which office issued this notice?", ["六安市人民政府办公室"]),
        ("What is the attachment called?", ["产教融合重点工作任务分工"]),
        ("Who was it copied to?", [CC]),
        ("Which provincial document does it implement?", ["皖政办〔2018〕4号"]),
        # every fact a question asks, and the provincial document's own issuer
        (
            "Who issued this notice, and what is its document number?",
            ["六安市人民政府办公室", "六政办秘〔2018〕123号"],
        ),
        (
            "这份文件叫什么名字，附件是什么",
            ["关于切实做好深化产教融合重点工作的通知", "产教融合重点工作任务分工"],
        ),
        ("省里那个实施意见是哪个机关印发的", ["安徽省人民政府办公厅", "皖政办〔2018〕4号"]),
        # the implemented provincial document and its own number
        ("是根据省里哪个文件制定的", ["安徽省人民政府办公厅关于深化产教融合的实施意见", "皖政办〔2018〕4号"]),
        ("省里那份文件的文号是多少", ["皖政办〔2018〕4号"]),
        ("贯彻的上级文件编号是什么", ["皖政办〔2018〕4号"]),
        # the 主送 and 抄送 lines whole
        ("抄送了哪些单位", [CC]),
        ("发给哪些单位", ["各县区人民政府", "中央、省属驻六安各单位"]),
    ],
)
def test_each_header_fact(notice: Notice, question: str, must_contain: list[str]) -> None:
    reply = header_reply(question, notice)
    assert reply is not None
    for text in must_contain:
        assert text in reply.text
    assert reply.extra
    assert reply.extra[0].source == "header"


@pytest.mark.parametrize(
    ("question", "line", "name"),
    [
        ("市政协有没有收到", "抄送", "市政协办公室"),
        ("这份通知发给市政协了没有", "抄送", "市政协办公室"),
        ("市人大常委会会收到这份通知吗？", "抄送", "市人大常委会办公室"),
        ("市委的部门在发送范围里吗", "抄送", "市委有关部门"),
        ("市人大知道这件事吗", "抄送", "市人大常委会办公室"),
        ("开发区要不要执行", "主送", "开发区、示范园区管委"),
        ("开发区管委会是不是发文对象？", "主送", "开发区、示范园区管委"),
        ("中央和省里驻在六安的单位也要执行吗？", "主送", "中央、省属驻六安各单位"),
        ("市政府的各个部门是直接发送的对象吗", "主送", "市政府各部门"),
        ("直属机构收到这个通知了吗", "主送", "各直属机构"),
    ],
)
def test_a_listed_body_is_named_with_its_line(notice: Notice, question: str, line: str, name: str) -> None:
    reply = header_reply(question, notice)
    assert reply is not None
    assert reply.text.startswith("是")
    assert name in reply.text
    assert line in reply.text


@pytest.mark.parametrize(
    ("question", "name"),
    [
        ("省政府办公厅有没有被抄送？", "省政府办公厅"),
        ("省教育厅是这份通知的主送单位吗", "省教育厅"),
        ("市中级人民法院在主送或者抄送名单里吗", "市中级人民法院"),
    ],
)
def test_an_unlisted_body_is_said_to_be_unlisted(notice: Notice, question: str, name: str) -> None:
    reply = header_reply(question, notice)
    assert reply is not None
    assert reply.text.startswith("没有")
    assert f"{name}不在本通知的主送或抄送名单中" in reply.text
    assert not reply.refused  # the notice answers it: the lists are printed


@pytest.mark.parametrize(
    "question",
    [
        "市教育局负责哪些任务",
        "市人社局要收到多少任务",  # a unit of the table, not a recipient question
        "各县区要不要执行",  # 各县区政府 are also table units: a table question
        "试点往哪个方向搞，依据是什么",  # 根据全省产业升级导向: content, not the implemented document
        "这个通知有效期到哪年",  # a deadline, refused elsewhere
        "这个文件是谁签发的",  # a person, refused elsewhere
        "各条的标题是什么",  # the clause headings
        "产教融合项目评审办法是什么",
        "什么时候截止",
        "皖政办〔2018〕4号那个省文件是几月几号发的",  # a date: refused elsewhere
        "进了工厂就等于进了学校，这种培养方式叫什么",  # a content question, not the title
        "财税部门要把深化产教融合作为落实什么政策的重要举措",  # 作为落实: a policy in 第三条, not what the notice implements
    ],
)
def test_not_a_header_question(notice: Notice, question: str) -> None:
    assert header_reply(question, notice) is None


def test_the_title_is_not_taken_for_a_clause_heading(notice: Notice) -> None:
    assert header_reply("标题是什么", notice, clause_asked=True) is None


def test_recipients_split_the_lines_into_bodies(notice: Notice) -> None:
    names = [(r.line, r.name) for r in recipients(notice.header)]
    assert names == [
        ("主送", "各县区人民政府"),
        ("主送", "开发区、示范园区管委"),
        ("主送", "市政府各部门"),
        ("主送", "各直属机构"),
        ("主送", "中央、省属驻六安各单位"),
        ("抄送", "市委有关部门"),
        ("抄送", "市人大常委会办公室"),
        ("抄送", "市政协办公室"),
    ]
