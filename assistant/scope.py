"""What the notice does not say: amounts, deadlines, dates, contacts, other places.

Each check names what was asked so the refusal can say plainly that the notice does not state it,
and, where it helps, what the notice does say instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_OTHER_PLACES = (
    "合肥", "芜湖", "蚌埠", "淮南", "马鞍山", "淮北", "铜陵", "安庆", "黄山", "滁州", "阜阳", "宿州", "亳州", "池州",
    "宣城", "北京", "上海", "天津", "重庆", "广州", "深圳", "杭州", "南京", "武汉", "成都", "西安", "苏州", "郑州",
    "长沙", "济南", "青岛", "厦门", "福州", "南昌", "石家庄", "太原", "沈阳", "长春", "哈尔滨", "昆明", "贵阳", "南宁",
    "兰州", "银川", "西宁", "乌鲁木齐", "拉萨", "呼和浩特", "海口", "大连", "宁波", "无锡", "温州", "东莞", "佛山",
    "江苏", "浙江", "河南", "湖北", "湖南", "江西", "山东", "山西", "河北", "广东", "广西", "福建", "四川", "云南",
    "贵州", "陕西", "甘肃", "青海", "宁夏", "新疆", "西藏", "内蒙古", "辽宁", "吉林", "黑龙江", "海南", "台湾", "香港",
    "澳门", "美国", "德国", "日本", "英国",
)  # fmt: skip
_PLACE = re.compile("(" + "|".join(sorted(_OTHER_PLACES, key=len, reverse=True)) + ")")

_AMOUNT = re.compile(
    r"(多少钱|多少资金|多少经费|多少万|多少亿|多少元|几万|几千万|几亿|金额|数额|额度|资金规模|多大规模|具体数额|"
    r"补助标准|补贴标准|补助多少|补贴多少|奖励多少|多少补助|多少补贴|多少奖励|投入多少|拨款多少|预算|"
    r"(工资|薪水|薪酬|待遇|报酬|学费|收费).{0,6}(多少|怎样|怎么样|如何|高不高)|(减|免|退|补|奖|贴|拿|领|发|省)多少|多少税|比例是多少|多少比例|百分之几|百分比|提高到多少|提高多少|比例多少|几个百分点|给多少|花多少|扶持多少|贷款多少|利率)"
)
_DEADLINE = re.compile(
    r"(截止|截至|期限|时限|最后期限|deadline|什么时候完成|何时完成|哪年完成|几月完成|多久完成|什么时候前|之前完成|"
    r"完成时间|时间节点|进度安排|时间表|什么时候开始|何时开始|什么时候实施|何时实施|哪一年|几月几|几号|什么时候截止|"
    r"什么时候申报|何时申报|什么时候评审|何时评审|什么时候|何时|哪天|有效期|几月|哪个月|什么时间|啥时候)"
)
_ISSUE_DATE = re.compile(
    r"(印发|发布|发文|下发|成文|出台|签发|颁布|公布|发出)(的)?(日期|时间|年月|是哪天|于何时)|(什么时候|何时|哪天|哪年|哪一年|几月)(印发|发布|发的|下发|出台|签发|颁布|公布|发出|成文)"
)
_CONTACT = re.compile(
    r"(电话|联系方式|联系人|地址|网址|邮箱|热线|咨询方式|怎么联系|在哪办理|办事大厅|二维码|传真|哪个窗口|什么窗口|哪里办|在哪办|去哪办)"
)
_PROCEDURE = re.compile(
    r"((怎么|如何|怎样|去哪|在哪|到哪)(申报|报名|申请|办理|提交)|(申报|申请|报名|办理|审批)的?(流程|程序|条件|材料|手续|步骤|方式)|"
    r"(流程|手续|步骤)是?(怎样|怎么|如何|什么)|(什么|哪些|啥)(流程|手续|程序|步骤|材料))"
)
_STATS = re.compile(
    r"(多少|几)(所|家|名|位|人|个学校|个企业|个项目|个学生|个园区|个高校|学生|企业|学校|亩|平方|平米|公顷)|"
    r"(规模|面积|产值)(有)?多大"
)
_NAMES = re.compile(r"(成员|名单|哪些企业|哪几家|哪家企业|哪些学校|哪所|入选|入围|哪些高校|具体是哪些企业)")
_STATUS = re.compile(
    r"(评上|评选上|结果|出来了吗|公布了吗|定了吗|批下来|去年|今年|前年|明年|近年|这几年|到目前|(成功|评上|批准|通过|落地|实现|办成)了?(没有|没|吗)|进展|进度如何|成效|效果怎么样|落实得怎么样|完成了没|完成了吗|做得怎么样|现在|目前|如今|最后怎么样|最后评)"
)
_PERSON = re.compile(r"(局长|主任|书记|市长|负责人|联系人|签发人|叫什么名字|姓名|经办人|审核人|领导是谁|分管领导|分管市领导|哪位领导|哪个领导)")
_DETAIL = re.compile(r"(评分标准|评审标准|认定标准|具体标准|哪些标准|标准是什么|实施细则|细则|打分|评分)")
_PENALTY = re.compile(r"(处罚|罚款|罚则|法律责任|追责|处分|违规怎么办|不落实会怎样)")


@dataclass(frozen=True)
class OutOfScope:
    kind: str  # amount, deadline, issue_date, contact, penalty, place
    what: str  # the words that triggered it, for the message


def unstated(text: str) -> OutOfScope | None:
    """A question asking for something this notice never states, or None."""
    if m := _ISSUE_DATE.search(text):
        return OutOfScope("issue_date", m.group(0))
    if m := _PLACE.search(text):
        return OutOfScope("place", m.group(0))
    if m := _AMOUNT.search(text):
        return OutOfScope("amount", m.group(0))
    if m := _CONTACT.search(text):
        return OutOfScope("contact", m.group(0))
    if m := _PERSON.search(text):
        return OutOfScope("person", m.group(0))
    if m := _NAMES.search(text):
        return OutOfScope("names", m.group(0))
    if (m := _STATS.search(text)) and not re.search(r"支持|鼓励|允许|提倡|政策", text):
        return OutOfScope("stats", m.group(0))
    if m := _PROCEDURE.search(text):
        return OutOfScope("procedure", m.group(0))
    if m := _STATUS.search(text):
        return OutOfScope("status", m.group(0))
    if m := _DETAIL.search(text):
        return OutOfScope("detail", m.group(0))
    if m := _PENALTY.search(text):
        return OutOfScope("penalty", m.group(0))
    if m := _DEADLINE.search(text):
        return OutOfScope("deadline", m.group(0))
    return None


MESSAGES = {
    "amount": "通知没有规定具体金额、标准或比例。",
    "deadline": "通知没有规定具体的时间、期限或完成时限。",
    "issue_date": "通知正文没有写明印发日期；只能从文号看出年份：六政办秘〔2018〕123号。",
    "contact": "通知没有提供联系电话、地址或网址等联系方式。",
    "penalty": "通知没有规定处罚或追责条款。",
    "detail": "通知只提出要求，没有列出具体标准或实施细则。",
    "person": "通知没有写明任何人员的姓名或职务。",
    "names": "通知没有列出具体企业、学校或成员名单。",
    "stats": "通知没有提供这类统计数字。",
    "procedure": "通知没有规定申报或办理的具体程序和地点。",
    "status": "通知只部署工作任务，不含落实进展或结果。",
    "place": "本通知只涉及六安市的产教融合工作，不含其他地区的内容。",
}
