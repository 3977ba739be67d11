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
    category_index: tuple[int, ...] = ()
    asks: frozenset[Ask] = field(default_factory=frozenset)
    combine: Combine = Combine.ALL
    about_tasks: bool = False  # 任务 / 工作 / 事 mentioned: the question is about table rows
    about_units: bool = False  # 单位 / 部门 mentioned as the thing asked for
    pronoun: bool = False  # 它 / 该 / 这项 / 其: leans on the previous turn
    elliptical: bool = False  # 那…呢 / …呢: repeats the previous question with a new subject
    subset: bool = False  # 其中: filter the previous answer

    @property
    def has_subject(self) -> bool:
        return bool(self.agencies or self.unknown_agencies or self.counties or self.tasks or self.categories)


# --- vocabulary -------------------------------------------------------------------------------------------

_LEAD_WORDS = ("牵头", "主责", "主要负责", "主办", "带头", "领头", "挂帅", "主抓", "主管", "第一责任")
_ASSIST_WORDS = ("配合", "协助", "协办", "辅助", "协同")
_ROLE_CO_WORDS = ("共同负责",)
_UNITS_ASK = re.compile(
    r"(由谁|谁来|谁负责|谁牵头|谁主抓|谁管|归谁|哪个单位|哪些单位|哪个部门|哪些部门|哪家|责任单位|负责单位|"
    r"牵头单位|牵头部门|配合单位|配合部门|承办|谁做|谁干|谁抓|谁落实|哪几个单位|哪几个部门|几个单位|几个部门|"
    r"多少个单位|多少个部门|多少单位|多少部门|谁主办|责任部门|主体是谁|是谁)"
)
_COUNT_ASK = re.compile(r"(几项|几个|几条|几类|多少项|多少个|多少条|多少类|数量|总数|几件|多少件|几大类|多少)")
_MOST = re.compile(r"(最多|最大|最广|最重|排名第一|第一多|最繁重|最忙)")
_LEAST = re.compile(r"(最少|最小|最轻|只有一项|仅一项|只负责一项|只参与一项|只有1项|仅1项|只负责1项|只参与1项)")
_CATEGORY_ASK = re.compile(r"(属于哪|哪一类|哪类|什么类|哪个类|哪个方面|哪方面|什么方面|类别|分类|归类|哪个板块)")
_LIST_CATEGORIES = re.compile(r"(几类|哪几类|哪些类|几个方面|哪几个方面|哪些方面|几大类|哪些类别|几个类别|分类|工作任务有哪些类)")
_CONTENT_ASK = re.compile(r"(内容|是什么|讲什么|讲的什么|说什么|说的什么|干什么|做什么|具体|要求|包括|是啥|讲了啥|说了啥|啥内容|什么事|哪些事)")
_NEGATE = re.compile(r"(没有参与|没参与|未参与|不参与|没有负责|没负责|不负责|未负责|不涉及|没有涉及|没涉及|未涉及|不包括|没有包括)")
_EACH = re.compile(r"(分别|各自|各负责|各有)")
_ALL = re.compile(r"(同时|共同|一起|都|均|联合|共同参与|一同|和.+都)")
_ANY = re.compile(r"(或者|或是|或|还是)")
_TASK_WORDS = re.compile(r"(任务|工作|事项|事情|哪些事|什么事|的事|哪几项|哪些项|项目|分工|职责|活)")
_UNIT_WORDS = re.compile(r"(单位|部门|机构|机关)")
_PRONOUN = re.compile(r"(它|该项|该任务|这项|这个任务|这条|该条|这一项|上述|上面|刚才|前面|其责任|其牵头|这个单位|该单位|这个部门|该部门|他们|它们)")
_SUBSET = re.compile(r"^(其中|这些任务中|这些中|这里面|里面)")
_ELLIPTICAL_END = re.compile(r"(呢|呐|咧)[?？。!]*$")
_ELLIPTICAL_START = re.compile(r"^(那么|那|还有|换成|如果是|要是|改成)")

_TASK_NUMBER = re.compile(r"(?:第|序号|编号|No\.?|no\.?|#)\s*(\d{1,4})\s*(?:项|号|条|个)?|(\d{1,4})\s*(?:号任务|号工作|项任务|号)")
_TASK_CONTEXT = re.compile(r"任务|项|序号|编号|号")
_CLAUSE_NUMBER = re.compile(r"第(\d{1,3})(?:条|点|款|部分|段)")
_CATEGORY_NUMBER = re.compile(r"第(\d)(?:类|大类|个方面|个类别)")

_COUNTIES = ("金安区", "裕安区", "叶集区", "霍邱县", "舒城县", "金寨县", "霍山县", "金安", "裕安", "叶集", "霍邱", "舒城", "金寨", "霍山")
_COUNTY_NAMES = {"金安": "金安区", "裕安": "裕安区", "叶集": "叶集区", "霍邱": "霍邱县", "舒城": "舒城县", "金寨": "金寨县", "霍山": "霍山县"}

# An agency-like name the table does not hold: 市民政局, 省教育厅, 市卫健委 …
_AGENCY_LIKE = re.compile(
    r"((?:六安|安徽|省|市|县|区)?[\u4e00-\u9fff]{1,8}?(?:局|委员会|委|厅|办公室|办|署|分行|支行|分局|中心|协会|联合会|集团|公司|大学|学院))"
)
_AGENCY_NOISE_PREFIX = re.compile(r"^(?:请问|问一下|那么|那|由|和|与|跟|及|是|让|被|归|给|对|向|在|的|哪些任务|哪些|什么|哪个)+")
# Words ending like agencies that are not agencies in a question.
_NOT_AGENCIES = ("管委", "开发区", "示范园区", "办公室", "办", "委", "局", "中心", "协会", "联合会", "集团", "公司")


def _alias_keys() -> list[tuple[str, str]]:
    keys = {unicodedata.normalize("NFKC", alias): a.name for alias, a in alias_table().items()}
    return sorted(keys.items(), key=lambda kv: -len(kv[0]))


_ALIASES = _alias_keys()
_AGENCY_ORDER = {a.name: i for i, a in enumerate(AGENCIES)}


def _find_agencies(text: str) -> tuple[list[str], str]:
    """Agencies named in text, in order of mention, and the text with those names blanked out."""
    found: list[tuple[int, str]] = []
    masked = list(text)
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


def _find_unknown_agencies(masked: str) -> list[str]:
    out: list[str] = []
    for chunk in re.split(r"[\0,，、。?？!！;；:：\s和与及跟或]+", masked):
        for m in _AGENCY_LIKE.finditer(chunk):
            name = _AGENCY_NOISE_PREFIX.sub("", m.group(1))
            if len(name) < 3 or name in _NOT_AGENCIES:
                continue
            if name.endswith(("办", "委")) and len(name) < 3:
                continue
            # 产教融合示范城市 / 教育质量 etc. never match: they do not end in an agency word.
            if name not in out:
                out.append(name)
    return out


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
        "发挥企业重要主体作用": ("企业重要主体", "企业主体作用", "企业主体", "主体作用", "企业作用", "发挥企业"),
        "加强产教融合人才培养": ("人才培养",),
        "促进产教供需双向对接": ("供需双向对接", "双向对接", "供需对接", "产教供需", "供需"),
        "强化产教融合支持保障": ("支持保障", "保障措施", "保障类"),
    }
    return keys.get(category, ())


def understand(text: str, notice: Notice) -> Query:
    """Read a normalised question."""
    agencies, masked = _find_agencies(text)
    unknown = _find_unknown_agencies(masked)
    counties = [_COUNTY_NAMES.get(c, c) for c in _COUNTIES if c in text]
    counties = list(dict.fromkeys(counties))

    tasks: list[int] = []
    for m in _TASK_NUMBER.finditer(text):
        num = int(m.group(1) or m.group(2))
        whole = m.group(0)
        # 第3条 with no 任务/项 around is a clause of the notice, not a task row.
        if whole.endswith("条") and not re.search(r"任务|项|附件|表", text):
            continue
        if re.match(r"第\d+(类|大类|个方面)", text[m.start() :]):
            continue
        if num not in tasks:
            tasks.append(num)
    # "12项由谁负责" without 第: a bare number before 项 when the question asks about one task.
    if not tasks:
        m2 = re.search(r"(?<![\d几多少])(\d{1,3})项(?!任务?[吗呢]?$)", text)
        if m2 and _UNITS_ASK.search(text) and not _COUNT_ASK.search(text):
            tasks.append(int(m2.group(1)))
    clauses = []
    for m in _CLAUSE_NUMBER.finditer(text):
        if m.group(0).endswith("条") and re.search(r"任务|项|附件|表", text):
            continue
        if int(m.group(1)) not in tasks:
            clauses.append(int(m.group(1)))
    category_index = tuple(int(m.group(1)) for m in _CATEGORY_NUMBER.finditer(text))

    categories = _find_categories(masked.replace("\0", "|"), notice)
    for i in category_index:
        if 1 <= i <= len(notice.categories) and notice.categories[i - 1] not in categories:
            categories.append(notice.categories[i - 1])

    role: Role | None = None
    if any(w in text for w in _LEAD_WORDS):
        role = Role.LEAD
    elif any(w in text for w in _ASSIST_WORDS) or re.search(r"会同(?!市有关部门)", text):
        role = Role.ASSIST
    elif any(w in text for w in _ROLE_CO_WORDS) and len(agencies) == 1:
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
    if re.search(r"(哪些单位|哪些部门|有哪些责任单位|多少个单位|多少个部门|几个单位|几个部门|多少单位|多少部门|单位有哪些|部门有哪些)", text):
        asks.add(Ask.LIST_UNITS)

    combine = Combine.ALL
    if _EACH.search(text):
        combine = Combine.EACH
    elif _ANY.search(text) and not _ALL.search(text):
        combine = Combine.ANY

    return Query(
        text=text,
        agencies=tuple(agencies),
        unknown_agencies=tuple(unknown),
        counties=tuple(counties),
        role=role,
        tasks=tuple(tasks),
        clauses=tuple(clauses),
        categories=tuple(categories),
        category_index=category_index,
        asks=frozenset(asks),
        combine=combine,
        about_tasks=bool(_TASK_WORDS.search(text)),
        about_units=bool(_UNIT_WORDS.search(masked)),
        pronoun=bool(_PRONOUN.search(text)),
        elliptical=bool(_ELLIPTICAL_END.search(text) or _ELLIPTICAL_START.search(text)),
        subset=bool(_SUBSET.search(text)),
    )


def with_context(query: Query, previous: Query | None) -> Query:
    """Fill what a follow-up leaves out from the previous turn's query.

    「那市财政局呢？」 keeps the previous ask and role with a new agency; 「它的责任单位有哪些？」 keeps the
    previous task; 「牵头的呢？」 keeps the previous agency with a new role.
    """
    if previous is None:
        return query
    leans = query.pronoun or query.elliptical or query.subset or not query.has_subject
    if not leans:
        return query
    q = query
    if not q.has_subject or q.pronoun:
        if q.pronoun and previous.tasks and not q.agencies and not q.tasks:
            q = replace(q, tasks=previous.tasks)
        elif not q.has_subject:
            q = replace(
                q,
                agencies=previous.agencies,
                counties=previous.counties,
                tasks=previous.tasks,
                categories=() if q.subset else previous.categories,
                unknown_agencies=previous.unknown_agencies,
            )
            if q.subset and not query.categories:
                q = replace(q, categories=previous.categories)
        elif q.pronoun and previous.agencies and not q.agencies:
            q = replace(q, agencies=previous.agencies)
    if q.subset:
        q = replace(q, agencies=q.agencies or previous.agencies, tasks=q.tasks or previous.tasks)
        if query.categories and previous.categories:
            q = replace(q, categories=tuple(dict.fromkeys(previous.categories + query.categories)))
    if query.elliptical or query.subset or not query.has_subject:
        # Keep what the previous question asked unless this one asks something of its own.
        own_ask = query.asks - {Ask.COUNT} if not query.subset else query.asks
        if not own_ask:
            q = replace(q, asks=previous.asks | query.asks)
        if q.role is None and not (query.elliptical and query.has_subject and query.role is None and False):
            q = replace(q, role=previous.role)
        if not query.about_tasks:
            q = replace(q, about_tasks=previous.about_tasks)
        if len(q.agencies) > 1 and query.combine is Combine.ALL:
            q = replace(q, combine=previous.combine)
    return q
