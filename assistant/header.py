"""Header facts of the notice: its title, number, issuer, addressees, copies, attachment and the document it implements."""

from __future__ import annotations

import re

from assistant.answer import Citation, Reply
from corpus.records import Notice


def header_reply(text: str, notice: Notice, *, clause_asked: bool = False) -> Reply | None:
    """The header fact a question asks for, or None when it asks for none."""
    h = notice.header
    facts = [
        (r"文号|发文字号|文件号|字号|编号是|发文号", f"本通知的文号是{h.doc_number}。", h.doc_number),
        (r"抄送", f"本通知抄送：{h.cc}。", h.cc),
        (
            r"主送|发给谁|发给哪|印发给|下发给|发送给|送给谁|发往|面向哪|对象是",
            f"本通知主送：{h.addressees}。",
            h.addressees,
        ),
        (
            r"发文单位|发文机关|发布单位|印发单位|发布机关|落款|((通知|文件|号文|本文|这个|该文).*"
            r"(谁发|谁印发|谁下发|谁发布|谁出的|哪个单位(印)?发|哪个部门(印)?发|哪里发|哪个机关))",
            f"本通知由{h.issuer}印发，文号{h.doc_number}。",
            h.issuer,
        ),
        (
            r"贯彻落实|依据|根据哪|根据什么|上级文件|哪个文件|哪份文件|实施意见|皖政办",
            f"本通知是为贯彻落实{h.implements}精神而发。",
            h.implements,
        ),
        (
            r"附件(是什么|是啥|叫什么|名称|标题|题目|是哪|有哪些|有什么)|什么附件|几个附件|哪个附件",
            f"本通知的附件是「{h.attachment_title}」，共列{len(notice.tasks)}项任务。",
            h.attachment_title,
        ),
        (
            r"标题|题目|全称|什么通知|哪个通知|(通知|文件|本文)\S{0,6}(名称|叫什么|名字)",
            f"本通知的标题是《{h.title}》（{h.doc_number}）。",
            h.title,
        ),
    ]
    for pattern, answer, quote in facts:
        if quote == h.title and (clause_asked or re.search(r"\d条|各条|每条", text)):
            continue  # 各条的标题 asks for the clause headings, not the notice's title
        if re.search(pattern, text):
            return Reply(answer, extra=(Citation("header", quote),))
    return None
