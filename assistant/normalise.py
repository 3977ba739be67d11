"""Normalise a question before it is understood: widths, scripts, whitespace, Chinese numerals."""

from __future__ import annotations

import re
import unicodedata

_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_NUM = "零〇一二两三四五六七八九十百"
# A numeral counts as a number only where it numbers something: 第十二项, 序号十二, 二十二号, 三项, 第三条.
# Words like 三重一创, 一批, 五年一贯制 stay as they are.
_NUMBERED = re.compile(
    rf"(?P<pre>第|序号|编号|任务|No\.?|no\.?)?(?P<num>[{_CN_NUM}]+)(?P<post>项|号|条|类|点|款|个任务|大类|个方面|个类别|个单位|个责任单位|个部门)?"
)
# After 任务, a numeral is a task number only when the sentence goes on as about one task: 任务二十是啥.
_AFTER_TASK_NUMBER = re.compile(r"^(是|的|谁|由|讲|说|呢|内容|要|属于|归|怎么|\?|？|,|，|$)")
_NOT_A_COUNT_BEFORE = set("哪每这那任同单某逐唯")
_SPACE_BETWEEN_WORDS = re.compile(r"(?<=[A-Za-z0-9])\s+(?=[A-Za-z0-9])")
_WS = re.compile(r"\s+")


def cn_to_int(numeral: str) -> int | None:
    """二十二 → 22, 十 → 10, 一百 → 100, 二三 → 23; None when it is not a plain numeral."""
    if not numeral or any(c not in _CN_NUM for c in numeral):
        return None
    if "百" in numeral:
        head, _, tail = numeral.partition("百")
        hundreds = _CN_DIGITS.get(head, 1) if head else 1
        rest = cn_to_int(tail.lstrip("零〇")) if tail else 0
        return None if rest is None else hundreds * 100 + rest
    if "十" in numeral:
        head, _, tail = numeral.partition("十")
        if len(head) > 1 or len(tail) > 1:
            return None
        tens = _CN_DIGITS[head] if head else 1
        return tens * 10 + (_CN_DIGITS[tail] if tail else 0)
    value = 0
    for c in numeral:
        value = value * 10 + _CN_DIGITS[c]
    return value


def _numbers(text: str) -> str:
    def sub(m: re.Match[str]) -> str:
        pre, num, post = m.group("pre"), m.group("num"), m.group("post")
        if not pre and not post:
            return m.group(0)
        before = text[m.start() - 1] if m.start() > 0 else ""
        if pre == "任务" and not post and not _AFTER_TASK_NUMBER.match(text[m.end() :]):
            return m.group(0)
        if not pre and before in _NOT_A_COUNT_BEFORE:
            return m.group(0)
        value = cn_to_int(num)
        if value is None:
            return m.group(0)
        return f"{pre or ''}{value}{post or ''}"

    return _NUMBERED.sub(sub, text)


def _strip_controls(text: str) -> str:
    out = []
    for ch in text:
        cat = unicodedata.category(ch)
        if cat in ("Cc", "Cf", "Cs", "Co", "Cn"):
            out.append(" " if ch in "\t\n\r\v\f" else "")
        else:
            out.append(ch)
    return "".join(out)


def to_simplified(text: str) -> str:
    import zhconv  # small, but only needed once a question arrives

    return str(zhconv.convert(text, "zh-hans"))


_NUMBER_LIST = re.compile(rf"第((?:[{_CN_NUM}\d]+[、,，和及与])+[{_CN_NUM}\d]+)(项|条)")


def _expand_lists(text: str) -> str:
    """第十二、十三项 → 第十二项、第十三项: each number of a list gets its own 第…项."""

    def sub(m: re.Match[str]) -> str:
        parts = re.split(r"[、,，和及与]", m.group(1))
        return "、".join(f"第{p}{m.group(2)}" for p in parts)

    return _NUMBER_LIST.sub(sub, text)


# Short forms people type for words the notice spells out; expanding them lets the notice's own words match.
_SHORT_FORMS = {
    "职教": "职业教育",
    "国企": "国有企业",
    "民企": "民营企业",
}


def _expand_short_forms(text: str) -> str:
    for short, full in _SHORT_FORMS.items():
        if short != full and full not in text:
            text = text.replace(short, full)
    return text


def normalise(question: str) -> str:
    """Fold a question to one canonical spelling.

    NFKC folds full-width letters, digits and punctuation; traditional characters become simplified;
    control characters go; whitespace between Chinese characters goes (it is noise there); Chinese
    numerals that number something become digits (第二十二项 → 第22项).
    """
    text = _strip_controls(question)
    text = unicodedata.normalize("NFKC", text)
    text = to_simplified(text)
    text = _SPACE_BETWEEN_WORDS.sub("\0", text)
    text = _WS.sub("", text).replace("\0", " ")
    return _numbers(_expand_lists(_expand_short_forms(text)))
