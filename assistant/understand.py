"""Read a normalised question into a structured Query: agencies, roles, task numbers, categories, asks.

Pure functions over the parsed notice: no retrieval, no model. The router decides from a Query which
path answers, so table questions never touch the embedding model.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from enum import Enum

from corpus.agencies import AGENCIES, alias_table
from corpus.records import Notice, Role


class Ask(str, Enum):
    """What the question wants to know."""

    UNITS = "units"  # 由谁负责 / 责任单位
    LEAD = "lead"  # 牵头单位是谁
    CONTENT = "content"  # 内容是什么
    CATEGORY = "category"  # 属于哪类
    COUNT = "count"  # 几项 / 多少
    MOST = "most"  # 最多
    LEAST = "least"  # 最少
    LIST_UNITS = "list_units"  # 有哪些单位
    LIST_CATEGORIES = "list_categories"  # 分哪几类
    NEGATE = "negate"  # 没有参与哪些


class Combine(str, Enum):
    ALL = "all"  # 同时 / 共同 / 都: the intersection
    ANY = "any"  # 或: the union
    EACH = "each"  # 分别 / 各自: one list per agency


@dataclass(frozen=True)
class Query:
    """What one question says, after normalisation. Empty fields mean "not said"."""

    text: str
    agencies: tuple[str, ...] = ()
    unknown_agencies: tuple[str, ...] = ()
    counties: tuple[str, ...] = ()
    role: Role | None = None
    tasks: tuple[int, ...] = ()
    clauses: tuple[int, ...] = ()
    categories: tuple[str, ...] = ()
    asks: frozenset[Ask] = field(default_factory=frozenset)
    combine: Combine = Combine.ALL
    about_tasks: bool = False  # 任务 / 工作 / 事 mentioned: the question is about table rows
    about_units: bool = False  # 单位 / 部门 mentioned as the thing asked for
    pronoun: bool = False  # 它 / 该 / 这项 / 其: leans on the previous turn
    elliptical: bool = False  # 那…呢 / …呢: repeats the previous question with a new subject
    subset: bool = False  # 其中: filter the previous answer
    any_role: bool = False  # 负责 / 参与 / 涉及 said without 牵头 or 配合: every role
    excluded: tuple[str, ...] = ()  # 除了市教育局: agencies left out of a ranking
    within: tuple[int, ...] = ()  # 其中…: only these tasks (the previous answer's)
    adds: bool = False  # 再加上X: X joins the previous agencies
    exactly: int | None = None  # 只负责了1项: units with exactly this many tasks
    preamble: bool = False  # 通知开头那段
    alone: bool = False  # 单独负责: no other unit shares the task
    corrections: tuple[tuple[str, str], ...] = ()  # (what was typed, the agency it was read as)
    unit_count: int | None = None  # 只有1个责任单位的任务
    topic: str = ""  # what is left once agencies, categories and question words are taken out
    topic_hits: int = 0  # how many of the topic's bigrams the notice holds: a question of its own

    @property
    def has_subject(self) -> bool:
        return bool(
            self.agencies
            or self.unknown_agencies
            or self.counties
            or self.tasks
            or self.clauses
            or self.categories
        )


# --- vocabulary -------------------------------------------------------------------------------------------

_LEAD_WORDS = (
    "牵头", "主责", "主要负责", "主办", "带头", "领头", "挂帅", "主抓", "主管", "第一责任", "打头", "为首", "领衔",
    "排在首位", "排第一", "排在第一", "第一位", "排头",
)  # fmt: skip
_ASSIST_WORDS = ("配合", "协助", "协办", "辅助", "协同")
_ROLE_CO_WORDS = ("共同负责",)
_UNITS_ASK = re.compile(
    r"(由谁|谁来|谁负责|谁牵头|谁主抓|谁管|归谁|哪个单位|哪些单位|哪个部门|哪些部门|哪家|责任单位|负责单位|"
    r"牵头单位|牵头部门|配合单位|配合部门|承办|谁做|谁干|谁抓|谁落实|哪几个单位|哪几个部门|几个单位|几个部门|"
    r"多少个单位|多少个部门|多少单位|多少部门|谁主办|责任部门|主体是谁|是谁)"
)
_COUNT_ASK = re.compile(
    r"(几项|几个|几条|几类|多少项|多少个|多少条|多少类|数量|总数|几件|多少件|几大类|多少)"
)
_MOST = re.compile(r"(最多|最大|最广|最重|排名第一|第一多|最繁重|最忙)")
_LEAST = re.compile(r"(最少|最小|最轻)")
_CATEGORY_ASK = re.compile(
    r"(属于哪|哪一类|哪类|什么类|哪个类|哪个方面|哪方面|什么方面|类别|分类|归类|哪个板块)"
)
_LIST_CATEGORIES = re.compile(
    r"(几类|哪几类|哪些类|几个方面|哪几个方面|哪些方面|几大类|哪些类别|几个类别|分类|工作任务有哪些类)"
)
_CONTENT_ASK = re.compile(
    r"(内容|是什么|讲什么|讲的什么|说什么|说的什么|干什么|做什么|具体|要求|包括|是啥|讲了啥|说了啥|啥内容|什么事|哪些事)"
)
_NEGATE = re.compile(
    r"(没有参与|没参与|未参与|不参与|没有负责|没负责|不负责|未负责|不涉及|没有涉及|没涉及|未涉及|不包括|没有包括)"
)
_EACH = re.compile(r"(分别|各自|各负责|各有)")
_ALL = re.compile(r"(同时|共同|一起|都|均|联合|共同参与|一同|和.+都)")
_ANY = re.compile(r"(或者|或是|或|还是)")
_TASK_WORDS = re.compile(r"(任务|工作|事项|事情|哪些事|什么事|的事|哪几项|哪些项|项目|分工|职责|活)")
_UNIT_WORDS = re.compile(r"(单位|部门|机构|机关)")
_PRONOUN = re.compile(
    r"(它|该项|该任务|这项|这个任务|这条|该条|这一项|上述|上面|刚才|前面|其责任|其牵头|这个单位|该单位|这个部门|该部门|他们|它们)"
)
_ANY_ROLE = re.compile(r"(负责|参与|涉及|承担|有哪些任务|有什么任务|管哪|全部任务|所有任务)")
_SUBSET = re.compile(r"^(其中|这些.{0,3}(中|里|里面|当中|之中)|这里面|里面|当中|上面这些|以上)")
_ELLIPTICAL_END = re.compile(r"(呢|呐|咧)[?？。!]*$")
_ELLIPTICAL_START = re.compile(r"^(那么|那|还有|换成|如果是|要是|改成)")

_TASK_NUMBER = re.compile(
    r"(?:第|序号|编号|No\.?|no\.?|#)\s*(\d{1,4})\s*(?:项|号)"
    r"|(?:序号|编号|No\.?|no\.?|#)\s*(\d{1,4})"
    r"|任务\s*(\d{1,4})(?![项类条])"
    r"|(?<![\d〕])(\d{1,4})\s*号(?!文)"
    r"|第(\d{1,4})(?:条|个)(?=任务|工作)"
)
_DOC_NUMBER = re.compile(r"[\u4e00-\u9fff]*〔\d{4}〕\d+号")
_TASK_CONTEXT = re.compile(r"任务|项|序号|编号|号")
_CLAUSE_NUMBER = re.compile(r"第(\d{1,3})(?:条|点|款|部分|段)")
_CATEGORY_NUMBER = re.compile(r"第(\d)(?:类|大类|个方面|个类别)")

_COUNTIES = (
    "金安区",
    "裕安区",
    "叶集区",
    "霍邱县",
    "舒城县",
    "金寨县",
    "霍山县",
    "金安",
    "裕安",
    "叶集",
    "霍邱",
    "舒城",
    "金寨",
    "霍山",
)
_COUNTY_NAMES = {
    "金安": "金安区",
    "裕安": "裕安区",
    "叶集": "叶集区",
    "霍邱": "霍邱县",
    "舒城": "舒城县",
    "金寨": "金寨县",
    "霍山": "霍山县",
}

# An agency-like name the table does not hold: 市民政局, 省教育厅, 市卫健委 …
_AGENCY_LIKE = re.compile(
    r"((?:六安|安徽|省|市|县|区)?[\u4e00-\u9fff]{1,8}?(?:局|委员会|委|厅|办公室|办|署|分行|支行|分局|中心|协会|联合会|集团|公司|大学|学院))"
)
_NOT_NAME_ENDINGS = {
    "委托",
    "委派",
    "委屈",
    "办法",
    "办理",
    "办学",
    "办的",
    "局面",
    "局势",
    "局限",
    "院所",
    "院校",
}
# Names that stand for several units of the table at once.
_GROUPS = {
    "税务局": ("市国税局", "市地税局"),
    "税务部门": ("市国税局", "市地税局"),
}
_AGENCY_NOISE_PREFIX = re.compile(
    r"^(?:请问|问一下|那么|那|由|和|与|跟|及|是|让|被|归|给|对|向|在|的|哪些任务|哪些|什么|哪个)+"
)
# Words ending like agencies that are not agencies in a question.
_NOT_AGENCIES = (
    "管委",
    "开发区",
    "示范园区",
    "办公室",
    "办",
    "委",
    "局",
    "中心",
    "协会",
    "联合会",
    "集团",
    "公司",
)


def _alias_keys() -> list[tuple[str, str]]:
    keys = {unicodedata.normalize("NFKC", alias): a.name for alias, a in alias_table().items()}
    return sorted(keys.items(), key=lambda kv: -len(kv[0]))


_ALIASES = _alias_keys()
_AGENCY_ORDER = {a.name: i for i, a in enumerate(AGENCIES)}


def _find_agencies(text: str) -> tuple[list[str], str]:
    """Agencies named in text, in order of mention, and the text with those names blanked out."""
    found: list[tuple[int, str]] = []
    masked = list(text)
    for group, members in _GROUPS.items():
        for prefix in ("六安市", "市", ""):
            if (i := text.find(prefix + group)) != -1 and "\0" not in masked[i : i + len(prefix + group)]:
                found.extend((i, name) for name in members)
                for j in range(i, i + len(prefix + group)):
                    masked[j] = "\0"
    for alias, name in _ALIASES:
        start = 0
        while (i := text.find(alias, start)) != -1:
            start = i + 1
            if any(c == "\0" for c in masked[i : i + len(alias)]):
                continue
            # 人社 must not match inside 人社局's longer forms already taken; 工会 not inside 总工会 (taken first).
            found.append((i, name))
            for j in range(i, i + len(alias)):
                masked[j] = "\0"
    names: list[str] = []
    for _, name in sorted(found):
        if name not in names:
            names.append(name)
    return names, "".join(masked)


def _find_unknown_agencies(masked: str, notice_text: str) -> list[str]:
    out: list[str] = []
    for chunk in re.split(r"[\0,，、。?？!！;；:：\s和与及跟或]+", masked):
        for m in _AGENCY_LIKE.finditer(chunk):
            name = _AGENCY_NOISE_PREFIX.sub("", m.group(1))
            after = chunk[m.end() : m.end() + 1]
            if name[-1] + after in _NOT_NAME_ENDINGS:
                continue  # 企业委托 / 评审办法: the suffix starts another word
            if re.search(r"[哪什么要是的了吗呢有在把将对为让那这个几]", name) or len(name) > 10:
                continue  # 业要参加哪个职教集团 is a clause of the question, not a name
            if len(name) < 3 or name in _NOT_AGENCIES or name in notice_text:
                continue
            if name.endswith("办") and not name.startswith(("市", "省", "县", "区", "六安", "安徽")):
                continue  # 企业办职业教育: a verb, not an office
            # 产教融合示范城市 / 教育质量 etc. never match: they do not end in an agency word.
            if name not in out:
                out.append(name)
    return out


_PINYIN: dict[tuple[str, ...], str] = {}


def _sounds_like(name: str) -> str | None:
    """A homophone typo of an alias (人设局 → 市人社局, 发该委 → 市发改委): same syllables, same length."""
    from pypinyin import lazy_pinyin  # only when a name is not in the table

    if not _PINYIN:
        for alias, agency_name in _ALIASES:
            if len(alias) >= 3:
                _PINYIN.setdefault(tuple(lazy_pinyin(alias)), agency_name)
    return _PINYIN.get(tuple(lazy_pinyin(name)))


def _near_alias(name: str) -> str | None:
    """A misspelt alias → its agency: a homophone (人设局), or a long near-spelling (人力资源社保局).

    Short names never guess by spelling: 市民政局 is not 市财政局.
    """
    import difflib

    if (heard := _sounds_like(name)) is not None:
        return heard
    if len(name) < 5:
        return None
    best, score = None, 0.0
    for alias, agency_name in _ALIASES:
        if len(alias) < 4:
            continue
        r = difflib.SequenceMatcher(None, name, alias).ratio()
        if r > score:
            best, score = agency_name, r
    return best if score >= 0.8 else None


def _find_categories(text: str, notice: Notice) -> list[str]:
    """Categories named in full or by a distinctive part (人才培养, 企业主体, 支持保障 …)."""
    found: list[str] = []
    for cat in notice.categories:
        if cat in text:
            found.append(cat)
            continue
        for key in _category_keys(cat):
            if key in text:
                found.append(cat)
                break
    return found


def _category_keys(category: str) -> tuple[str, ...]:
    keys = {
        "构建教育和产业深度融合发展格局": ("深度融合发展格局", "融合发展格局", "发展格局", "深度融合"),
        "发挥企业重要主体作用": (
            "企业重要主体",
            "企业主体作用",
            "企业主体",
            "主体作用",
            "企业作用",
            "发挥企业",
        ),
        "加强产教融合人才培养": ("人才培养",),
        "促进产教供需双向对接": ("供需双向对接", "双向对接", "供需对接", "产教供需", "供需"),
        "强化产教融合支持保障": ("支持保障", "保障措施", "保障类"),
    }
    return keys.get(category, ())


def understand(text: str, notice: Notice) -> Query:
    """Read a normalised question."""
    agencies, masked = _find_agencies(text)
    unknown = []
    corrections: list[tuple[str, str]] = []
    for name in _find_unknown_agencies(masked, notice.text):
        near = _near_alias(name)
        if near is None:
            unknown.append(name)
        elif near not in agencies:
            agencies.append(near)
            corrections.append((name, near))
    counties = [_COUNTY_NAMES.get(c, c) for c in _COUNTIES if c in text]
    counties = list(dict.fromkeys(counties))

    numbered = _DOC_NUMBER.sub("", text)  # 皖政办〔2018〕4号 names a document, not task 4
    tasks: list[int] = []
    for r in re.finditer(r"第?(\d{1,2})项?(?:到|至|-|~|—|－)第?(\d{1,2})项", numbered):
        lo, hi = int(r.group(1)), int(r.group(2))
        if 0 < lo < hi <= lo + 30:
            tasks.extend(n for n in range(lo, hi + 1) if n not in tasks)
    if lead_num := re.match(r"^(\d{1,2})项(?!任务)", numbered):  # 23项内容是啥: a row named by its number
        tasks.append(int(lead_num.group(1)))
    for m in _TASK_NUMBER.finditer(numbered):
        num = int(next(g for g in m.groups() if g))
        if num not in tasks:
            tasks.append(num)
    # 第3条 of a task table (第3条任务, 附件第3条) is a row; otherwise 第N条 / 第N点 is a clause of the notice.
    row_context = re.search(r"任务|附件|分工表|表里|表中", numbered)
    clauses = []
    for m in _CLAUSE_NUMBER.finditer(numbered):
        num = int(m.group(1))
        if m.group(0).endswith("条") and row_context:
            if num not in tasks:
                tasks.append(num)
        elif num not in tasks:
            clauses.append(num)
    for num in [c for c in clauses if c > len(notice.clauses) and c <= len(notice.tasks)]:
        clauses.remove(num)
        if num not in tasks:
            tasks.append(num)  # 第20条: the notice has 3 clauses, so a row of the table
    category_index = tuple(int(m.group(1)) for m in _CATEGORY_NUMBER.finditer(text))

    categories = _find_categories(masked.replace("\0", "|"), notice)
    for i in category_index:
        if 1 <= i <= len(notice.categories) and notice.categories[i - 1] not in categories:
            categories.append(notice.categories[i - 1])

    # Role words are read with agency names blanked out: 市总工会同时 holds 会同 by accident.
    role: Role | None = None
    either_role = re.search(
        r"(不管|无论|不论|不限于|包括|不区分).{0,4}(牵头|配合)|(牵头|配合)(与否|不牵头|不配合)", masked
    )
    assists_after = re.search(r"会同(其他|其它|市)?\0", masked)  # 牵头单位要会同有关部门: they assist
    if either_role:
        pass
    elif assists_after:
        role = Role.ASSIST
    elif any(w in masked for w in _LEAD_WORDS):
        role = Role.LEAD
    elif any(w in masked for w in _ASSIST_WORDS) or "会同" in masked:
        role = Role.ASSIST
    elif any(w in masked for w in _ROLE_CO_WORDS) and len(agencies) == 1:
        role = Role.CO

    asks: set[Ask] = set()
    if _UNITS_ASK.search(text):
        asks.add(Ask.UNITS)
    if role is Role.LEAD and re.search(r"(谁|哪个|哪家|哪些单位|哪些部门|单位是|部门是)", text):
        asks.add(Ask.LEAD)
    if _COUNT_ASK.search(text):
        asks.add(Ask.COUNT)
    if _MOST.search(text):
        asks.add(Ask.MOST)
    if _LEAST.search(text):
        asks.add(Ask.LEAST)
    if _CATEGORY_ASK.search(text):
        asks.add(Ask.CATEGORY)
    if _LIST_CATEGORIES.search(text):
        asks.add(Ask.LIST_CATEGORIES)
    if _CONTENT_ASK.search(text):
        asks.add(Ask.CONTENT)
    if _NEGATE.search(text):
        asks.add(Ask.NEGATE)
    if re.search(
        r"(哪些单位|哪些部门|有哪些责任单位|(几|多少)个?(责任)?(单位|部门)|(单位|部门)有哪些|(单位|部门).{0,4}(几个|多少))",
        text,
    ):
        asks.add(Ask.LIST_UNITS)

    combine = Combine.ALL
    if _EACH.search(text):
        combine = Combine.EACH
    elif _ANY.search(text) and not _ALL.search(text):
        combine = Combine.ANY

    clause_refs: list[int] = []
    if _CLAUSE_REF.search(text):
        for c in notice.clauses:
            if any(k in text for k in clause_keys(c.heading)) and c.number not in clauses:
                clause_refs.append(c.number)
    clauses.extend(clause_refs)
    topic = masked
    for cat in categories:
        for key in (cat, *_category_keys(cat)):
            topic = topic.replace(key, "|")
    topic = _QUESTION_PHRASES.sub("|", topic.replace("\0", "|"))
    topic = "|".join(p for p in re.split(r"[|\W_]+", topic) if p)

    excluded: list[str] = []
    if ex := re.search(r"除了?(.+?)(?:以外|之外|外|[,，])", text):
        excluded = [a for a in agencies if a in _find_agencies(ex.group(1))[0]]
        agencies = [a for a in agencies if a not in excluded]
    exactly = None
    if only := re.search(r"(?:只|仅|正好|恰好)(?:负责|参与|涉及|有|承担)?了?(\d{1,2})项", text):
        exactly = int(only.group(1))

    unit_count = None
    if per := re.search(r"(?:只有|仅有|只|仅|有)(\d{1,2})个(?:责任)?(?:单位|部门)", text):
        unit_count = int(per.group(1))

    return Query(
        text=text,
        corrections=tuple(corrections),
        alone=bool(re.search(r"单独|独自|独立负责|一家负责|自己负责", text)),
        unit_count=unit_count,
        excluded=tuple(excluded),
        preamble=bool(_PREAMBLE_REF.search(text)),
        topic=topic,
        topic_hits=sum(g in notice.text for g in topic_bigrams(topic)),
        exactly=exactly,
        adds=bool(re.match(r"^(再加上|加上|再加|还有|以及|再算上)", text)),
        agencies=tuple(agencies),
        unknown_agencies=tuple(unknown),
        counties=tuple(counties),
        role=role,
        tasks=tuple(tasks),
        clauses=tuple(clauses),
        categories=tuple(categories),
        asks=frozenset(asks),
        combine=combine,
        about_tasks=bool(_TASK_WORDS.search(text)),
        about_units=bool(_UNIT_WORDS.search(masked)),
        pronoun=bool(_PRONOUN.search(text)),
        elliptical=bool(_ELLIPTICAL_END.search(text) or _ELLIPTICAL_START.search(text)),
        subset=bool(_SUBSET.search(text)),
        any_role=role is None and bool(_ANY_ROLE.search(text) or either_role),
    )


_QUESTION_PHRASES = re.compile(
    r"由哪些单位|由哪个单位|由哪些部门|由哪个部门|哪些单位|哪个单位|哪些部门|哪个部门|由谁|是谁|谁来|谁|哪些|哪个|哪几|什么|"
    r"怎么|如何|多少|几项|几个|是否|有没有|负责|牵头|参与|涉及|承担|配合|单位|部门|任务|工作|分工表|表中|表里|附件|"
    r"这项|这条|那条|这一条|那一条|一项|请问|通知|文件|里的|中的|的|了|吗|呢|啊|是|有|和|与|及|要|在|中|里|这|那|\d+"
)
_HEADER_WORDS = re.compile(r"(文号|发文字号|抄送|主送|发文单位|发文机关|印发|标题|题目|皖政办|附件是|附件叫)")
_GENERIC_BIGRAMS = {"产教", "教融", "融合", "六安", "安市", "市有", "有关", "关部"}
_CLAUSE_REF = re.compile(
    r"(这一?条|那一?条|这一?点|那一?点|这部分|那部分|这一?段|那一?段|一条|条里|条中|该条)"
)
_PREAMBLE_REF = re.compile(r"(开头|开篇|导语|前言|引言|第一段|首段|开头那段|前面那段|序言)")


def clause_keys(heading: str) -> tuple[str, ...]:
    """A clause heading and its halves: 加强领导强化责任 → 加强领导, 强化责任."""
    core = heading.removeprefix("切实").removeprefix("积极")
    half = len(core) // 2
    return tuple(dict.fromkeys((heading, core, core[:half], core[half:])))


def topic_bigrams(topic: str) -> set[str]:
    grams: set[str] = set()
    for seg in topic.split("|"):
        grams |= {seg[i : i + 2] for i in range(len(seg) - 1)}
    return {g for g in grams if all("\u4e00" <= c <= "\u9fff" for c in g)} - _GENERIC_BIGRAMS


def with_context(query: Query, previous: Query | None) -> Query:
    """Fill what a follow-up leaves out from the previous turn's query.

    「那市财政局呢？」 keeps the previous ask and role with a new agency; 「它的责任单位有哪些？」 keeps the
    previous task; 「牵头的呢？」 keeps the previous agency with a new role; 「其中哪些属于人才培养？」 narrows
    the previous set to a category.
    """
    if previous is None:
        return query
    # 产教融合资金从哪来 is a new question; so is text with no Chinese at all (<script>…).
    standalone = (
        query.has_subject
        or query.topic_hits > 0
        or bool(_HEADER_WORDS.search(query.text))
        or not re.search(r"[\u4e00-\u9fff]", query.text)
    )
    if not (query.pronoun or query.elliptical or query.subset or not standalone):
        return query
    q = query
    if not query.has_subject:
        q = replace(
            q,
            agencies=previous.agencies,
            unknown_agencies=previous.unknown_agencies,
            counties=previous.counties,
            tasks=previous.tasks,
            clauses=previous.clauses,
            categories=previous.categories,
        )
    elif query.pronoun and not query.agencies and not query.tasks:
        q = replace(q, agencies=previous.agencies, tasks=previous.tasks)
    if query.subset:
        # 其中…: narrow the previous answer; a newly named agency or category filters it.
        q = replace(q, agencies=query.agencies, tasks=query.tasks, categories=query.categories)
    if query.adds and query.agencies:
        q = replace(q, agencies=tuple(dict.fromkeys(previous.agencies + query.agencies)))
    own_asks = query.asks - {Ask.COUNT}
    if not own_asks:
        q = replace(q, asks=previous.asks | query.asks)
    if query.role is None and not query.any_role and not own_asks:
        q = replace(q, role=previous.role)
    if not query.about_tasks:
        q = replace(q, about_tasks=previous.about_tasks)
    if len(q.agencies) > 1 and query.combine is Combine.ALL:
        q = replace(q, combine=previous.combine)
    return q
