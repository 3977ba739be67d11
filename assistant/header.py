"""Header facts of the notice: its title, number, year, issuer, addressees (主送) and copies (抄送) — each body
named on its own — the attachment's title, and the provincial document it implements with that document's number.

``header_reply`` returns None when a question asks no header fact, so the caller can route it elsewhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.answer import Citation, Reply
from corpus.agencies import resolve
from corpus.records import Header, Notice

# A question about whether a body is among the recipients: 收到 / 发给 / 抄送 / 发文对象 / 发送范围 …
_RECEIVES = re.compile(
    r"收到|发给|送给|发到|送到|下发(给|到)|印发给|抄送|主送|发送|发文对象|(发|送|下发|印发|通知|文件)的?对象|"
    r"(名单|范围|之列)(里|中|内|上)?|接收|收文|知道|知悉|告知|通知到|看到|[Rr]eceive|[Cc]opied|\b[Cc][Cc]\b|[Ss]ent to"
)
# 要不要执行 / 也要执行: only for bodies that are recipients but not units of the task table (开发区, 驻六安各单位).
_MUST_ACT = re.compile(r"(要不要|需不需要|是否|也要|也得|需要|要)(执行|落实|照办|遵照)")
# A body's name: the words before an office word (省政府办公厅, 市中级人民法院, 省教育厅).
_BODY = re.compile(
    r"((?:省|市|县|区|国家|中央|安徽)?[\u4e00-\u9fff]{0,8}"
    r"(?:办公厅|办公室|人民法院|法院|检察院|委员会|管委会|政府|厅|局|委|院|办|部门|单位|机构|协会|银行|公司))"
)
_QUESTION_LEAD = re.compile(r"^(请问|问一下|那|那么|这份通知|这个通知|这份文件|这个文件|本通知|通知|文件)+")


@dataclass(frozen=True)
class Recipient:
    """One body of the 主送 or 抄送 line, with the short names a question may use for it."""

    name: str  # as the header prints it
    line: str  # "主送" or "抄送"
    keys: tuple[str, ...]
    table_unit: bool  # also a unit of the task table (各县区政府): 要不要执行 is then a table question


def recipients(header: Header) -> list[Recipient]:
    """Every body of the 主送 and 抄送 lines; 「开发区、示范园区管委」 is two bodies."""
    out: list[Recipient] = []
    for line, value in (("主送", header.addressees), ("抄送", header.cc)):
        for item in re.split(r"[，,；;]", value):
            item = item.strip()
            if not item:
                continue
            parts = item.split("、")
            # 开发区、示范园区管委 / 中央、省属驻六安各单位: short heads share the tail, so the item is one body
            names = [item] if len(parts) > 1 and all(len(p) <= 4 for p in parts[:-1]) else parts
            for name in names:
                out.append(Recipient(name, line, _keys(name), _is_table_unit(name)))
    return out


def _keys(name: str) -> tuple[str, ...]:
    """Short names for a recipient: the name, its core without 市/各 and office tails, and its listed parts."""
    keys = {name}
    for part in (name, *name.split("、")):
        tail = re.sub(r"(办公室|人民政府|有关部门|各单位|管委)$", "", part)
        for key in (
            tail,
            re.sub(r"^(市|各)", "", tail),
            re.sub(r"常委会$", "", re.sub(r"^(市|各)", "", tail)),
        ):
            if len(key) >= 2:
                keys.add(key)
    m = re.search(r"驻([\u4e00-\u9fff]{2})", name)
    if m:
        keys.update({f"驻{m.group(1)}", f"驻在{m.group(1)}"})
    if name.startswith("市政府各"):
        keys.update({"市政府各部门", "市政府部门", "市直部门", "市直各部门"})
    if "县区" in name:
        keys.update({"县区政府", "区县政府", "县政府", "区政府", "各县区"})
    generic = {"市政府", "政府", "部门", "单位", "机构", "办公室", "中央"}
    return tuple(sorted((k for k in keys if k not in generic), key=len, reverse=True))


def _is_table_unit(name: str) -> bool:
    return "县区" in name or name.startswith("市政府各部门")


def _plain(text: str) -> str:
    """市政府的各个部门 → 市政府各部门: drop the particles a spoken question adds inside a name."""
    return re.sub(r"的|个|们|那些|这些", "", text)


def _membership(text: str, h: Header) -> Reply | None:
    plain = _plain(text)
    listed = recipients(h)
    found = [r for r in listed if any(k in plain or k in text for k in r.keys)]
    asks_receipt = bool(_RECEIVES.search(text))
    asks_action = bool(_MUST_ACT.search(text))
    both = f"主送：{h.addressees}；抄送：{h.cc}。"
    if found and (asks_receipt or (asks_action and not any(r.table_unit for r in found))):
        lines = []
        cites: list[Citation] = []
        for r in dict.fromkeys(found):
            if r.line == "主送":
                lines.append(f"是。「{r.name}」在本通知的主送单位中（{r.line}：{h.addressees}）。")
                cites.append(Citation("header", h.addressees))
            else:
                lines.append(f"是。{r.name}在本通知的抄送名单上（{r.line}：{h.cc}）。")
                cites.append(Citation("header", h.cc))
        return Reply("\n".join(dict.fromkeys(lines)), extra=tuple(dict.fromkeys(cites)))
    if found or not asks_receipt:
        return None
    body = _unlisted_body(text, listed)
    if body is None:
        return None
    return Reply(
        f"没有。{body}不在本通知的主送或抄送名单中（{both}）",
        extra=(Citation("header", h.addressees), Citation("header", h.cc)),
    )


def _unlisted_body(text: str, listed: list[Recipient]) -> str | None:
    """The body a membership question names when the header does not list it (省教育厅), or None."""
    stripped = _QUESTION_LEAD.sub("", text)
    for m in _BODY.finditer(stripped):
        name = re.sub(r"^(发给|送给|抄送给?|主送|有没有|是不是|有|是|给|被)", "", m.group(1))
        if len(name) < 3 or re.search(r"哪|什么|啥|了|的|这|那|主送|抄送|发文|发送|名单|对象", name):
            continue
        if any(k in name for r in listed for k in r.keys) or resolve(name) is not None:
            return None  # a recipient after all, or a unit of the task table (a table question)
        return name
    return None


_YEAR = re.compile(r"哪一?年|年份|什么年|几几年|(是|发于|印于)?哪年|[Ww]hat year|[Ww]hich year|[Ww]hen was")
_IMPLEMENTED_NUMBER = re.compile(
    r"(省里|省政府|省办公厅|省级|上级|皖政办|贯彻|落实|依据|实施意见|那份|那个).{0,12}(文号|字号|编号|几号文|多少号|号文)"
    r"|(文号|字号|编号).{0,6}(省里|省政府|上级|那份|实施意见)"
)
_IMPLEMENTS = re.compile(
    r"贯彻落实?(的|了)?(哪|什么|哪个|哪份)|上级文件|省里(的|那份)?文件|省政府(的|那份)?(文件|意见)|实施意见|皖政办|"
    r"(根据|依据|依照|按照)\S{0,3}(哪个|哪份|什么|哪一个|哪)(文件|精神|意见)|"
    r"(通知|文件|本文|这份|这个)\S{0,8}(根据|依据|依照)(什么|哪)|(?<!作)为了?落实(哪|什么)|[Ii]mplement|[Pp]rovincial"
)
_ATTACHMENT = re.compile(
    # the attachment however it is pointed at (附件, 附表, 后面附的表, 所附表格) and asked about
    r"(附件|附表|附的|所附|附上|附了|后附|后面的?表|表格)\S{0,8}(是什么|是啥|叫什么|名称|标题|题目|是哪|有哪些|有什么|叫啥|名字)"
    r"|什么附件|几个附件|哪个附件|附件是|附件叫|[Aa]ttach|[Aa]nnex|[Aa]ppendix"
)
_NUMBER = re.compile(
    r"文号|发文字号|文件号|字号|编号|发文号|几号文|多少号|[Dd]ocument (number|no)|[Rr]eference (number|no)|[Ff]ile number"
)
_CC = re.compile(r"抄送|[Cc]opied|\b[Cc][Cc]\b|carbon cop")
_ADDRESSEES = re.compile(
    r"主送|发给谁|发给哪|印发给|下发给|发送给|送给谁|发往|面向哪|对象是|发文对象|发给了哪|下发到哪|哪些单位要执行|发到哪"
    r"|[Aa]ddressed|[Ss]ent to|[Rr]ecipients"
)
_ISSUER = re.compile(
    r"发文单位|发文机关|发布单位|印发单位|发布机关|落款|"
    r"(谁|哪个单位|哪个部门|哪个机关|哪家单位|哪家|哪个机构|哪里|什么单位|什么部门|什么机关)"
    r"(发|印发|下发|发布|出|制发)(的|了|出来)"  # 谁签发的 asks for a person: refused elsewhere
    r"|[Ww](ho|hich \w+) (issued|published|released|sent)|[Ii]ssu(ed|ing) (by|office|authority)|[Ii]ssuer"
)
_TITLE = re.compile(
    r"标题|题目|全称|什么通知|哪个通知|(通知|文件|本文)\S{0,6}(名称|叫什么|名字|叫啥|题目)|^这(份|个)?叫什么"
    r"|[Tt]itle|[Ww]hat is (this|the) (notice|document) called|[Nn]ame of (this|the) (notice|document)"
)
# A date (几月几号, 什么时候): the header prints none; the refusal says so, not a header fact.
_DATE = re.compile(r"几月|几号发|哪天|哪一天|日期|什么时候|何时")


def header_reply(text: str, notice: Notice, *, clause_asked: bool = False) -> Reply | None:
    """The header facts a question asks for (every one it asks, in the header's order), or None when it asks
    for none. 省里那个实施意见是哪个机关印发的 asks about the provincial document, not this notice."""
    h = notice.header
    if _DATE.search(text):
        return None
    if (reply := _membership(text, h)) is not None:
        return reply
    provincial = bool(_PROVINCIAL.search(text))
    facts: list[tuple[str, str]] = []  # (the answer's sentence, the header line it cites)
    if _IMPLEMENTED_NUMBER.search(text) or (_NUMBER.search(text) and provincial):
        facts.append((f"本通知贯彻落实的是{h.implements}，其文号是{_implemented_number(h)}。", h.implements))
    if provincial and _ISSUER.search(text):
        facts.append((f"{h.implements}由{_implemented_issuer(h)}印发。", h.implements))
    if _YEAR.search(text) and not re.search(r"任务|完成|截止|期限|有效|到哪|评审|申报|几月|哪天|几号", text):
        year = _year(h.doc_number)
        facts.append(
            (
                f"从文号{h.doc_number}看，这是{year}年的文件；通知正文没有印出具体的印发日期（成文日期）。",
                h.doc_number,
            )
        )
    if _ATTACHMENT.search(text):
        facts.append(
            (f"本通知的附件是「{h.attachment_title}」，共列{len(notice.tasks)}项任务。", h.attachment_title)
        )
    if not provincial and _ISSUER.search(text):
        facts.append((f"本通知由{h.issuer}印发，文号{h.doc_number}。", h.issuer))
    if not provincial and _NUMBER.search(text):
        facts.append((f"本通知的文号是{h.doc_number}。", h.doc_number))
    if _CC.search(text):
        facts.append((f"本通知抄送：{h.cc}。", h.cc))
    if _ADDRESSEES.search(text):
        facts.append((f"本通知主送：{h.addressees}。", h.addressees))
    if _IMPLEMENTS.search(text) and not any(line == h.implements for _, line in facts):
        facts.append((f"本通知是为贯彻落实{h.implements}精神而发。", h.implements))
    if _TITLE.search(text) and not (clause_asked or re.search(r"\d条|各条|每条|第.条", text)):
        # 各条的标题 asks for the clause headings, not the notice's title
        facts.append((f"本通知的标题是《{h.title}》（{h.doc_number}）。", h.title))
    # A fact another sentence already states (the number, in the issuer's or the year's sentence) is not repeated.
    kept = [
        (sentence, line)
        for i, (sentence, line) in enumerate(facts)
        if not any(
            j != i and line in other and len(other) > len(sentence) for j, (other, _) in enumerate(facts)
        )
    ]
    if not kept:
        return None
    return Reply(
        "\n".join(sentence for sentence, _ in kept),
        extra=tuple(dict.fromkeys(Citation("header", line) for _, line in kept)),
    )


# The provincial document this notice implements, named instead of this notice.
_PROVINCIAL = re.compile(r"省里|省政府|省办公厅|省级|上级|皖政办|实施意见|[Pp]rovincial")


def _implemented_issuer(h: Header) -> str:
    """安徽省人民政府办公厅, from the implemented document's title 《安徽省人民政府办公厅关于…》."""
    m = re.search(r"《(.+?(?:办公厅|办公室|人民政府|委员会|厅|局))关于", h.implements)
    return m.group(1) if m else "（该文件标题未写明发文机关）"


def _implemented_number(h: Header) -> str:
    m = re.search(r"[（(]([^（）()]*〔\d{4}〕\d+号)[）)]", h.implements)
    return m.group(1) if m else h.implements


def _year(doc_number: str) -> str:
    m = re.search(r"〔(\d{4})〕", doc_number)
    return m.group(1) if m else "（文号未写年份）"
