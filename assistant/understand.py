"""Read a normalised question into a typed query (``assistant.query``); the only place a question is read.

The question is scanned once into tokens — entities from the lexicon (units, categories, task numbers,
counties, quoted text) and general words from ``corpus/data/words.toml`` (roles, negation, connectives,
question words). The table grammar composes: the tokens are split into parts at connectives; in each part
a role word gives the units before it their role and a negation flips the condition; a role word with no
unit of its own continues the previous part's units (「参与但不是牵头」). The question words pick the
projection and the aggregate. Which kind of question it is comes from one ordered table, ``ROUTES``.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from assistant.header import header_reply
from assistant.query import (
    Aggregate,
    Alone,
    CategoryIs,
    CellText,
    ClauseQuery,
    Cond,
    ContentQuery,
    Everything,
    HasRole,
    HeaderQuery,
    Intent,
    Not,
    NumberIn,
    Or,
    Projection,
    Refusal,
    SmallTalk,
    TableQuery,
    UnitCount,
    UnitIs,
    conj,
)
from assistant.scope import unstated
from corpus.agencies import AGENCIES, alias_table
from corpus.lexicon import load_lexicon
from corpus.pinyin import syllable
from corpus.records import Notice, Role

# --- the general words -------------------------------------------------------------------------------------


@cache
def words() -> dict[str, dict[str, tuple[str, ...]]]:
    """corpus/data/words.toml: each class → its alternatives, longest first."""
    raw = tomllib.loads(resources.files("corpus").joinpath("data", "words.toml").read_text(encoding="utf-8"))
    return {
        section: {k: tuple(sorted(v, key=len, reverse=True)) for k, v in entries.items()}
        for section, entries in raw.items()
    }


def _alternation(items: tuple[str, ...]) -> str:
    return "|".join(re.escape(i) for i in items)


def has_word(text: str, section: str, key: str) -> bool:
    return any(w in text for w in words()[section][key])


ROLE_OF = {"lead": Role.LEAD, "assist": Role.ASSIST, "co": Role.CO, "any": None, "assist_after": Role.ASSIST}


# --- tokens ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Token:
    kind: str  # unit, category, numbers, county, text, role, neg, split, or, each, except, except_end,
    #            pronoun_unit, previous_rows, one_row, q:<class>, unknown_unit
    value: Any = None  # the unit's name, the numbers, the word … by kind
    start: int = 0
    end: int = 0


@dataclass
class Scan:
    """What one question names, in order, and the tokens the grammar reads."""

    tokens: list[Token] = field(default_factory=list)
    source: str = ""
    injected: bool = False  # the question carried "facts" or instructions of its own
    units: list[str] = field(default_factory=list)
    unknown_units: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    numbers: list[int] = field(default_factory=list)
    counties: list[str] = field(default_factory=list)
    clauses: list[int] = field(default_factory=list)
    corrections: list[tuple[str, str]] = field(default_factory=list)

    def has(self, kind: str) -> bool:
        return any(t.kind == kind for t in self.tokens)


# Task numbers: 第12项, 12号, 序号12, 任务12, 第1到第10项, 前五项, 最后三项.
_RANGE = re.compile(r"第?(\d{1,2})项?(?:到|至|-|~|—|－|～)第?(\d{1,2})(?:项|号|条)")
_FIRST_N = re.compile(r"(前|后|最后|末尾|倒数)(\d{1,2})(?:项|个任务|条)")
_AFTER_N = re.compile(r"第(\d{1,2})项(及)?(以后|之后|往后|后面|以前|之前|前面)(的)?")
_TASK_NUMBER = re.compile(
    r"(?:第|序号|编号|No\.?|no\.?|#)\s*(\d{1,4})\s*(?:项|号)"
    r"|(?:序号|编号|No\.?|no\.?|#)\s*(\d{1,4})"
    r"|任务\s*(\d{1,4})(?![项类条个])"
    r"|(?<![\d〕])(\d{1,4})\s*号(?!文)"
    r"|第(\d{1,4})(?:条|个)(?=任务|工作)"
    r"|^(\d{1,2})项(?!任务)"
)
_DOC_NUMBER = re.compile(r"[\u4e00-\u9fff]*〔\d{4}〕\d+号")
_CLAUSE_NUMBER = re.compile(r"第(\d{1,3})(?:条|点|款|部分|段)")
_CATEGORY_NUMBER = re.compile(r"第(\d)(?:类|大类|个方面|个类别)")
_QUOTED = re.compile(r"[“\"「『‘']([^”\"」』’']{2,30})[”\"」』’']")
_ROW_CONTEXT = re.compile(r"任务|附件|分工表|表里|表中|项")
_UNIT_COUNT = re.compile(
    r"(只有|仅有|只|仅|有|列了|列有|超过|多于|至少|不少于|不到|少于)?(\d{1,2})个(?:或)?(以上|以下|及以上|及以下)?(?:责任)?(?:单位|部门)"
)

# 责任单位只有2个 / 责任单位不到3个 / 责任单位在5个以上: the count after the noun.
_UNIT_COUNT_AFTER = re.compile(
    r"(?:责任单位|单位|部门)(?:数|数量)?(?:有|是|为|共)?(只有|仅有|只|仅|超过|多于|至少|不少于|不到|少于|在|有)?(\d{1,2})个(以上|以下|及以上|及以下)?"
)


def _count_op(pre: str, n: int, post: str) -> tuple[str, int]:
    """(只有, 2, '') → ('==', 2); (超过, 4, '') → ('>=', 5); (在, 5, 以上) → ('>=', 5)."""
    if post in ("以上", "及以上") or pre in ("至少", "不少于"):
        return ">=", n
    if post in ("以下", "及以下"):
        return "<=", n
    if pre in ("超过", "多于"):
        return ">=", n + 1
    if pre in ("不到", "少于"):
        return "<=", n - 1
    return "==", n


# An agency-like name the table does not hold: 市民政局, 省教育厅, 市卫健委 …
_AGENCY_LIKE = re.compile(
    r"((?:六安|安徽|省|市|县|区)?[\u4e00-\u9fff]{1,8}?(?:局|委员会|委|厅|办公室|办|署|分行|支行|分局|中心|协会|联合会|集团|公司|大学|学院|法院|检察院))"
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
_AGENCY_NOISE_PREFIX = re.compile(
    r"^(?:请问|问一下|那么|那|由|和|与|跟|及|是|让|被|归|给|对|向|在|的|哪些任务|哪些|什么|哪个)+"
)
_NOT_AGENCIES = {
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
}


@cache
def _alias_keys() -> list[tuple[str, str]]:
    keys = {unicodedata.normalize("NFKC", alias): a.name for alias, a in alias_table().items()}
    for a in AGENCIES:
        for e in a.english:
            keys.setdefault(e, a.name)
    return sorted(keys.items(), key=lambda kv: -len(kv[0]))


@cache
def _vocabulary() -> tuple[tuple[str, str], ...]:
    """Every general word with its token kind, longest first."""
    w = words()
    vocab: list[tuple[str, str]] = []
    sections = (
        ("roles", ("lead", "assist", "co", "any", "assist_after")),
        ("polarity", ("not_negation", "negation")),
        (
            "connectives",
            (
                "split",
                "or",
                "each",
                "except",
                "except_end",
                "pronoun_unit",
                "previous_rows",
                "one_row",
                "back",
            ),
        ),
        ("questions", tuple(w["questions"])),
    )
    for section, kinds in sections:
        for k in kinds:
            for item in w[section][k]:
                kind = {"roles": "role:", "questions": "q:"}.get(section, "") + k
                if section == "polarity":
                    kind = "neg" if k == "negation" else "skip"
                vocab.append((item.lower() if item.isascii() else item, kind))
    vocab.sort(key=lambda x: -len(x[0]))
    return tuple(vocab)


@cache
def _syllable(ch: str) -> str:
    return syllable(ch)  # pypinyin's character table, without loading its phrase dictionary


def syllables(text: str) -> tuple[str, ...]:
    """Toneless pinyin, one syllable per character, each read on its own (so both sides of a comparison
    are read the same way, whatever the phrase)."""
    return tuple(_syllable(c) for c in text)


@cache
def _pinyin_index() -> dict[tuple[str, ...], list[str]]:
    """Toneless syllables of every alias of two or more characters → the aliases (for homophone typos)."""
    index: dict[tuple[str, ...], list[str]] = {}
    for alias, _ in _alias_keys():
        if len(alias) >= 2 and all("\u4e00" <= c <= "\u9fff" for c in alias):
            index.setdefault(syllables(alias), []).append(alias)
    return index


def _sounds_like(window: str, notice_text: str) -> str | None:
    """An alias that sounds like ``window`` (经信为 → 经信委, 总公会 → 总工会, 编半 → 编办) and shares a
    character with it; a window the notice itself holds is a real word, not a typo."""
    if window in notice_text:
        return None
    for alias in _pinyin_index().get(syllables(window), []):
        same = sum(a == b for a, b in zip(alias, window, strict=True))
        if alias != window and same >= max(1, len(alias) - 1) - (1 if len(alias) >= 4 else 0):
            return alias
    return None


def _near_spelling(name: str) -> str | None:
    """A long near-spelling of an alias (人力资源社保局); short names never guess: 市民政局 is not 市财政局."""
    import difflib

    if len(name) < 5:
        return None
    best, score = None, 0.0
    for alias, _ in _alias_keys():
        if len(alias) < 4:
            continue
        r = difflib.SequenceMatcher(None, name, alias).ratio()
        if r > score:
            best, score = alias, r
    return best if score >= 0.8 else None


def scan(text: str, notice: Notice) -> Scan:
    """Find every entity and general word of a normalised question, in order."""
    s = Scan(source=text)
    lowered = text.lower()
    taken = [False] * len(text)
    spans: list[Token] = []
    aliases = dict(_alias_keys())

    def take(start: int, end: int, kind: str, value: object) -> None:
        for j in range(start, end):
            taken[j] = True
        spans.append(Token(kind, value, start, end))

    def free(start: int, end: int) -> bool:
        return not any(taken[start:end])

    # Quoted text first: a quoted category or unit is that entity; other quoted text is literal cell text.
    for m in _QUOTED.finditer(text):
        inner = m.group(1)
        if inner in notice.categories:
            take(m.start(), m.end(), "category", inner)
        elif inner in aliases:
            take(m.start(), m.end(), "unit", aliases[inner])
        elif any(inner in t.units_raw for t in notice.tasks) or (
            any(inner in t.content for t in notice.tasks) and _ROWS_ASKED.search(text) and len(inner) <= 6
        ):
            take(m.start(), m.end(), "text", inner)  # 责任单位里带"会同"的有几项
    # Task numbers (a document number like 皖政办〔2018〕4号 is not task 4).
    masked_doc = _DOC_NUMBER.sub(lambda m: "\0" * len(m.group(0)), text)
    total = len(notice.tasks)
    for m in _RANGE.finditer(masked_doc):
        lo, hi = int(m.group(1)), int(m.group(2))
        if 0 < lo < hi and free(m.start(), m.end()):
            take(m.start(), m.end(), "numbers", tuple(range(lo, min(hi, total) + 1)))
    for m in _FIRST_N.finditer(masked_doc):
        n = int(m.group(2))
        if 0 < n <= total and free(m.start(), m.end()):
            nums = range(1, n + 1) if m.group(1) == "前" else range(total - n + 1, total + 1)
            take(m.start(), m.end(), "numbers", tuple(nums))
    for m in _AFTER_N.finditer(masked_doc):
        n = int(m.group(1))
        if 0 < n <= total and free(m.start(), m.end()):
            inclusive = bool(m.group(2))
            if m.group(3) in ("以后", "之后", "往后", "后面"):
                nums = range(n if inclusive else n + 1, total + 1)
            else:
                nums = range(1, n + 1 if inclusive else n)
            take(m.start(), m.end(), "numbers", tuple(nums))
    row_context = bool(_ROW_CONTEXT.search(masked_doc))
    for m in _CLAUSE_NUMBER.finditer(masked_doc):
        num = int(m.group(1))
        if not free(m.start(), m.end()):
            continue
        if num > len(notice.clauses) or (m.group(0).endswith("条") and row_context and "任务" in masked_doc):
            take(m.start(), m.end(), "numbers", (num,))  # 第20条: the notice has 3 clauses, so a row
        else:
            take(m.start(), m.end(), "clause", num)
    for m in _TASK_NUMBER.finditer(masked_doc):
        if free(m.start(), m.end()):
            num = int(next(g for g in m.groups() if g))
            take(m.start(), m.end(), "numbers", (num,))
    for m in _CATEGORY_NUMBER.finditer(masked_doc):
        i = int(m.group(1))
        if 1 <= i <= len(notice.categories) and free(m.start(), m.end()):
            take(m.start(), m.end(), "category", notice.categories[i - 1])
    for m in _UNIT_COUNT_AFTER.finditer(text):
        if free(m.start(), m.end()):
            pre, n, post = m.group(1) or "", int(m.group(2)), m.group(3) or ""
            take(m.start(), m.end(), "unit_count", _count_op(pre, n, post))
    for m in _UNIT_COUNT.finditer(text):
        if free(m.start(), m.end()):
            pre, n, post = m.group(1) or "", int(m.group(2)), m.group(3) or ""
            if pre or post:
                take(m.start(), m.end(), "unit_count", _count_op(pre, n, post))
    # Units: groups (税务局 = 国税局 + 地税局), then every alias, longest first; English names in lower case.
    lex = load_lexicon()
    for group, members in lex.groups.items():
        for prefix in ("六安市", "市", ""):
            i = text.find(prefix + group)
            if i != -1 and free(i, i + len(prefix + group)):
                take(i, i + len(prefix + group), "units", members)
    for alias, name in _alias_keys():
        hay = lowered if alias.isascii() else text
        start = 0
        while (i := hay.find(alias, start)) != -1:
            start = i + 1
            end = i + len(alias)
            if alias.isascii() and (
                (i > 0 and hay[i - 1].isalpha()) or (end < len(hay) and hay[end].isalpha())
            ):
                continue  # "education" inside another word
            if free(i, end):
                take(i, end, "unit", name)
    # Categories by full name or a distinctive part.
    for cat in notice.categories:
        for key in sorted((cat, *lex.category_keys.get(cat, ())), key=len, reverse=True):
            i = text.find(key)
            if i != -1 and free(i, i + len(key)):
                take(i, i + len(key), "category", cat)
                break
    for county, shorts in lex.counties.items():
        for key in (county, *shorts):
            i = text.find(key)
            if i != -1 and free(i, i + len(key)):
                take(i, i + len(key), "unit", "各县区政府（管委）")
                s.counties.append(county)
                break
    # General words, found once: longest first over the whole question (是什么角色 is 什么角色, not 是什么 + 角色).
    chars = set(lowered)
    hits: list[tuple[int, int, str, str]] = []
    for item, kind in _vocabulary():
        if item[0] not in chars:
            continue
        hay = lowered if item.isascii() else text
        start = 0
        while (i := hay.find(item, start)) != -1:
            start = i + 1
            end = i + len(item)
            inside_word = (i > 0 and hay[i - 1].isalpha()) or (end < len(hay) and hay[end].isalpha())
            if not (item.isascii() and item.strip().isalpha() and inside_word):  # "no" inside "know"
                hits.append((i, end, kind, item))
    # Characters of a general word (会同 in 没写会同) are never part of a misheard name.
    worded = [False] * len(text)
    for i, end, _, item in hits:
        if len(item) >= 2:
            worded[i:end] = [True] * (end - i)
    # Names the table does not hold: a homophone or near spelling of an alias, or an unknown office.
    _read_unknown_names(text, notice, worded, take, free, s)
    for i, end, kind, item in hits:
        if free(i, end):
            take(i, end, kind, item)
    for ch_i, ch in enumerate(text):
        if not taken[ch_i] and ch in "，,；;。!！?？、":
            spans.append(Token("split", ch, ch_i, ch_i + 1))
    spans.sort(key=lambda t: t.start)
    s.tokens = [t for t in spans if t.kind != "skip"]
    for t in s.tokens:
        if t.kind == "unit" and t.value not in s.units:
            s.units.append(str(t.value))
        elif t.kind == "units":
            s.units.extend(u for u in t.value if u not in s.units)
        elif t.kind == "category" and t.value not in s.categories:
            s.categories.append(str(t.value))
        elif t.kind == "numbers":
            s.numbers.extend(n for n in t.value if n not in s.numbers)
        elif t.kind == "county" and t.value not in s.counties:
            s.counties.append(str(t.value))
        elif t.kind == "clause" and t.value not in s.clauses:
            s.clauses.append(int(t.value))
    return s


def _read_unknown_names(
    text: str,
    notice: Notice,
    worded: list[bool],
    take: Callable[[int, int, str, object], None],
    free: Callable[[int, int], bool],
    s: Scan,
) -> None:
    aliases = dict(_alias_keys())
    # Homophones of an alias, 2 to 6 characters, where nothing else was read.
    for size in (6, 5, 4, 3, 2):
        for i in range(0, len(text) - size + 1):
            window = text[i : i + size]
            if not free(i, i + size) or not all("\u4e00" <= c <= "\u9fff" for c in window):
                continue
            if any(worded[i : i + size]):
                continue
            alias = _sounds_like(window, notice.text)
            if alias is not None:
                take(i, i + size, "unit", aliases[alias])
                s.corrections.append((window, aliases[alias]))
    masked = "".join(c if free(i, i + 1) else "\0" for i, c in enumerate(text))
    for chunk_m in re.finditer(r"[^\0,，、。?？!！;；:：\s和与及跟或]+", masked):
        chunk = chunk_m.group(0)
        for m in _AGENCY_LIKE.finditer(chunk):
            name = _AGENCY_NOISE_PREFIX.sub("", m.group(1))
            after = chunk[m.end() : m.end() + 1]
            if not name or name[-1] + after in _NOT_NAME_ENDINGS:
                continue  # 企业委托 / 评审办法: the suffix starts another word
            if re.search(r"[哪什么要是的了吗呢有在把将对为让那这个几]", name) or len(name) > 10:
                continue
            if len(name) < 3 or name in _NOT_AGENCIES or name in notice.text:
                continue
            placed = name.startswith(("市", "省", "县", "区", "六安", "安徽", "中国", "国家"))
            if name.endswith("办") and not placed:
                continue  # 企业办职业教育: a verb, not an office
            if name.endswith(("大学", "学院", "公司", "集团", "中心", "协会", "联合会")) and not placed:
                continue  # 我们公司 / 或者大学: a kind of body spoken of, not a body of the table's kind
            start = chunk_m.start() + m.start() + (len(m.group(1)) - len(name))
            near = _near_spelling(name)
            if near is not None:
                take(start, start + len(name), "unit", aliases[near])
                s.corrections.append((name, aliases[near]))
            elif name not in s.unknown_units:
                s.unknown_units.append(name)
                take(start, start + len(name), "unknown_unit", name)


# --- the table grammar -----------------------------------------------------------------------------------------


@dataclass
class Parts:
    """What the grammar read from the tokens."""

    conds: list[Cond] = field(default_factory=list)
    focus: list[str] = field(default_factory=list)  # units named positively
    ask_role: Role | None = None
    ask_role_said: bool = False  # a role word belongs to the question (由谁牵头), not to a condition
    focus_role: Role | None = None
    excluded_units: list[str] = field(default_factory=list)
    except_roles: list[Role | None] = field(
        default_factory=list
    )  # 除了牵头的: those units left out of a list
    any_or: bool = False
    pronoun_unit: bool = False
    previous_rows: bool = False
    one_row: bool = False


def _role_set(role: Role | None) -> frozenset[Role]:
    return frozenset() if role is None else frozenset({role})


def compose(s: Scan, previous_units: tuple[str, ...] = ()) -> Parts:
    """Conditions from the tokens: parts split at connectives, roles to the units before them, polarity."""
    p = Parts()
    pending: list[tuple[str, bool]] = []  # (unit, negated)
    forward: list[tuple[Role | None, bool]] = []  # roles said before their unit (牵头单位不是X, led by X)
    last: list[str] = []
    last_conds: list[int] = []  # where the last flush put its conditions (for 牵头或者共同负责)
    neg = False
    in_except = False
    except_units: list[tuple[str, bool]] = []
    asked_since_unit = False
    units_in_or = False
    after_or = False
    sealed = False
    asks_tasks = s.has("q:tasks") or s.has("q:count")
    asks_units = s.has("q:who")

    def flush(role: Role | None, negated: bool) -> None:
        nonlocal pending, last, last_conds
        if role is Role.CO and len(pending) > 1:
            role = None  # 市教育局和市科技局共同负责: both are named, whatever their roles
        group = [UnitIs(u, _role_set(role)) for u, _ in pending]
        negs = [n or negated for _, n in pending]
        start = len(p.conds)
        nonlocal sealed
        sealed = False
        if units_in_or and len(group) > 1 and not any(negs):
            p.conds.append(Or(tuple(group)))
        else:
            for c, n in zip(group, negs, strict=True):
                p.conds.append(Not(c) if n else c)
        last_conds = list(range(start, len(p.conds)))
        for (u, _), n in zip(pending, negs, strict=True):
            if not n and u not in p.focus:
                p.focus.append(u)
        if role is not None and not any(negs):
            p.focus_role = role
        last = [u for u, _ in pending]
        pending = []

    def flush_forward() -> None:
        """The units just named take the roles said before them (以非牵头身份参与…？市财政局: not lead, any)."""
        nonlocal pending
        if not forward or not pending:
            return
        units = list(pending)
        for role, negated in forward:
            pending = list(units)
            flush(role, negated)
        forward.clear()

    def widen(role: Role | None) -> None:
        """牵头或者共同负责: the last units' role becomes either role."""
        for i in last_conds:
            c = p.conds[i]
            if isinstance(c, UnitIs):
                p.conds[i] = UnitIs(c.unit, frozenset() if role is None or not c.roles else c.roles | {role})
        p.focus_role = None

    for tok in s.tokens:
        k = tok.kind
        if k == "except":
            in_except = True
        elif k == "except_end" or (k == "split" and in_except):
            in_except = False
            # 除了市教育局以外: the unit is left out of a ranking or list; 除了市教育局牵头的: those rows go.
            p.excluded_units.extend(u for u, _ in except_units)
            except_units = []
            if k == "except_end" and forward:
                forward[-1] = (forward[-1][0], True)  # 牵头的之外，它还参与了哪些
            neg = False
        elif k == "neg":
            neg = True
        elif k in ("unit", "units"):
            names = [str(tok.value)] if k == "unit" else [str(u) for u in tok.value]
            if sealed and pending and not in_except:
                flush(None, False)
            sealed = False
            for name in names:
                if in_except:
                    except_units.append((name, True))
                else:
                    pending.append((name, neg))
            if not in_except:
                neg = False
                flush_forward()
            asked_since_unit = False
        elif k == "pronoun_unit":
            if pending or last:
                continue  # 它 inside a question that already named the unit
            if previous_units:
                p.pronoun_unit = True
                pending.extend((u, neg) for u in previous_units)
                neg = False
                flush_forward()
        elif k == "or":
            after_or = True
            units_in_or = bool(pending) or units_in_or
            p.any_or = True
            continue
        elif k.startswith("q:"):
            if k in ("q:who", "q:role"):
                asked_since_unit = True
        elif k == "role:assist_after" and _unit_follows(s.tokens, tok):
            if pending:
                flush(None, neg)  # 市教育局会同市有关部门: the units before are named; those after assist
            forward.append((Role.ASSIST, False))
            neg = False
        elif k == "role:assist_after" and not pending:
            c7: Cond = HasRole(Role.ASSIST)  # 责任单位没写会同: no unit assists in the row
            p.conds.append(Not(c7) if neg else c7)
            neg = False
        elif k.startswith("role:"):
            role = ROLE_OF[k[5:]]
            if in_except and not except_units:
                p.except_roles.append(role)  # 第7项除了牵头的还有谁
                continue
            if in_except and except_units:
                for u, _ in except_units:  # 除了市教育局牵头的（以外）
                    p.conds.append(Not(UnitIs(u, _role_set(role))))
                except_units = []
            elif pending:
                flush(role, neg)
            elif after_or and last_conds:
                widen(role)
            elif last and _unit_follows(s.tokens, tok, same_part=True):
                forward.append(
                    (role, neg)
                )  # 教育局牵头、又不涉及各县区政府: the verb takes the unit after it
            elif last and not asked_since_unit:
                for u in last:  # 参与但不是牵头: the role continues the previous part's units
                    c = UnitIs(u, _role_set(role))
                    p.conds.append(Not(c) if neg else c)
            elif _unit_follows(s.tokens, tok):
                forward.append((role, neg))  # 牵头单位不是市发改委 / led by the NDRC: the unit comes after
            elif asks_tasks and not asks_units and role is not None:
                c2: Cond = HasRole(role)  # 哪些任务没有配合单位: a property of the row
                p.conds.append(Not(c2) if neg else c2)
            elif not p.ask_role_said or role is not None:
                p.ask_role = role
                p.ask_role_said = True
            neg = False
        elif k == "category":
            c3: Cond = CategoryIs(str(tok.value))
            p.conds.append(Not(c3) if (neg or in_except) else c3)
            neg = False
        elif k == "numbers":
            c4: Cond = NumberIn(frozenset(tok.value))
            p.conds.append(Not(c4) if (neg or in_except) else c4)
            neg = False
        elif k == "unit_count":
            op, n = tok.value
            c5: Cond = UnitCount(op, n)
            p.conds.append(Not(c5) if neg else c5)
            neg = False
        elif k == "text":
            c6: Cond = CellText(str(tok.value))
            p.conds.append(Not(c6) if neg else c6)
            neg = False
        elif k == "previous_rows":
            p.previous_rows = True
        elif k == "one_row":
            p.one_row = True
        elif k == "split":
            neg = False
            if pending and tok.value not in ("、", "和"):
                sealed = True  # 有市金融办，但不是市财政局牵头: a new unit after this starts its own part
            units_in_or = False if not pending else units_in_or
        after_or = False
    if pending:
        if forward:
            flush_forward()
        else:
            flush(None, False)
    p.excluded_units.extend(u for u, _ in except_units)
    if _EITHER_ROLE.search(s_text(s)):
        # 牵头的和参与的都算 / 不管是不是牵头: every role of each unit counts.
        p.conds = [UnitIs(c.unit) if isinstance(c, UnitIs) else c for c in p.conds]
        p.focus_role = None
    p.conds = list(dict.fromkeys(p.conds))
    # 发改委参与了几项，其中它牵头的有几项: participating and leading is leading.
    for c in [c for c in p.conds if isinstance(c, UnitIs) and not c.roles]:
        if any(isinstance(o, UnitIs) and o.unit == c.unit and o.roles for o in p.conds):
            p.conds.remove(c)
    # Task numbers named one by one are alternatives (第4项和第6项): one set, not an intersection.
    numbered = [c for c in p.conds if isinstance(c, NumberIn)]
    if len(numbered) > 1:
        union = NumberIn(frozenset().union(*(c.numbers for c in numbered)))
        p.conds = [c for c in p.conds if not isinstance(c, NumberIn)]
        p.conds.insert(0, union)
    return p


_EITHER_ROLE = re.compile(
    r"(不管|无论|不论|不限于|不区分|包括).{0,6}(牵头|配合|参与)|(牵头|配合)(与否|不牵头|不配合)|(牵头|配合|参与)的?[和与或及、].{0,4}(都算|都行|都要|都包括|都列)|都算|都行"
)


def s_text(s: Scan) -> str:
    """The text a scan was made from, as far as its tokens reach (for whole-question patterns)."""
    return s.source


_ROWS_ASKED = re.compile(r"几项|多少项|哪些任务|哪几项|哪项|哪些项|有几个任务|的任务|哪条任务|是哪个任务")
_NO_OTHERS = re.compile(r"(没有|没|无|不含)(其他|其它|别的|另外的)(单位|部门)")
_ONLY = re.compile(r"(只有|仅有|就只有|只是)")


def masked_text(s: Scan) -> str:
    """The question with every entity blanked out (支持保障 names a category, not the verb 支持)."""
    chars = list(s.source)
    for t in s.tokens:
        if t.kind in ("unit", "units", "category", "numbers", "county", "text", "unknown_unit", "unit_count"):
            for i in range(t.start, min(t.end, len(chars))):
                chars[i] = "|"
    return "".join(chars)


def _unit_follows(tokens: list[Token], role_token: Token, *, same_part: bool = False) -> bool:
    """A unit with no role of its own comes after this role word: in the same part with no other role word
    between (牵头单位不是市发改委 / led by the NDRC), or after the part ends (以非牵头身份参与的有哪些？市财政局)."""
    after = unit_seen = crossed = blocked = False
    for t in tokens:
        if t is role_token:
            after = True
            continue
        if not after:
            continue
        if unit_seen:
            if t.kind.startswith("role:"):
                return False  # the unit has a role of its own
            if t.kind in ("split", "unit", "units"):
                return True
        elif t.kind in ("q:who", "except"):
            return False
        elif t.kind.startswith("role:") and not crossed:
            blocked = True  # 牵头单位要会同有关部门: a nearer role word in this part governs the unit
        elif t.kind == "split":
            if same_part:
                return False
            crossed = True
        elif t.kind in ("unit", "units", "pronoun_unit"):
            if blocked and not crossed:
                return False
            unit_seen = True
    return unit_seen


def table_query(
    s: Scan, text: str, previous_units: tuple[str, ...] = (), *, rows_given: bool = False
) -> tuple[TableQuery, Parts]:
    """The table query a question asks: conditions composed, then the projection and the aggregate.

    ``rows_given``: the conversation supplies the rows (它 / 这几项 / a question with no subject of its own).
    """
    p = compose(s, previous_units)
    if rows_given or s.has("pronoun_unit") and not previous_units:
        p.one_row = True
    conds = list(p.conds)
    has = s.has
    units = p.focus
    most, least = has("q:most"), has("q:least")
    rank_role = p.ask_role if p.ask_role_said else p.focus_role

    if has_word(text, "questions", "alone") and units:
        conds = [c for c in conds if not (isinstance(c, UnitIs) and c.unit in units)]
        conds.extend(Alone(u) for u in units)

    def q(
        projection: Projection = Projection.TASKS,
        aggregate: Aggregate = Aggregate.NONE,
        rank_role: Role | None = None,
        n: int | None = None,
    ) -> TableQuery:
        return TableQuery(
            where=conj(conds),
            projection=projection,
            aggregate=aggregate,
            least=least and not most,
            focus=tuple(units),
            focus_role=p.focus_role,
            exclude=tuple(p.excluded_units),
            exclude_roles=tuple(p.except_roles),
            rank_role=rank_role,
            n=n,
        )

    # 只有市教育局会同市有关部门、没有其他单位: the rows list exactly the units named.
    if units and (_NO_OTHERS.search(text) or (len(units) >= 2 and _ONLY.search(text))):
        conds.append(UnitCount("==", len(units)))
    numbers_named = [c for c in conds if isinstance(c, NumberIn)]
    few_rows = sum(len(c.numbers) for c in numbers_named) if numbers_named else 0
    # Comparisons.
    if has("q:compare") and few_rows >= 2 and len(numbers_named) >= 1:
        return q(Projection.UNITS, Aggregate.COMPARE_ROWS), p
    if len(units) >= 2 and re.search(
        r"(谁|哪个|哪家|哪一个).{0,8}(多|少)|比.{0,6}(多|少)|(多|少)(还是|吗|呢|[?？]|$)|more|fewer", text
    ):
        conds = [c for c in conds if not (isinstance(c, UnitIs) and c.unit in units)]
        return q(aggregate=Aggregate.COMPARE_UNITS, rank_role=rank_role), p
    # Rankings.
    if most or least:
        by_category = has("q:category") or has("q:categories_all") or re.search(r"类|方面", masked_text(s))
        if by_category and not has("q:who"):
            return q(aggregate=Aggregate.RANK_CATEGORIES), p
        if re.search(r"(哪项|哪个任务|哪一项|哪条|which task)", text) and re.search(r"单位|部门|unit", text):
            return q(Projection.UNITS, Aggregate.RANK_ROWS), p
        conds = [c for c in conds if not (isinstance(c, UnitIs) and c.unit in units)]
        return q(aggregate=Aggregate.RANK_UNITS, rank_role=rank_role), p
    # Units named in exactly n rows: 只负责了1项的单位.
    only = re.search(r"(?:只|仅|正好|恰好)(?:负责|参与|涉及|有|承担|牵头|配合)?了?(\d{1,2})项", text)
    if only and has("q:who") and not units:
        return q(aggregate=Aggregate.UNITS_WITH_COUNT, rank_role=rank_role, n=int(only.group(1))), p
    # Per category.
    if has("q:categories_all") and not numbers_named and not p.previous_rows and not has("q:who"):
        return q(aggregate=Aggregate.BY_CATEGORY), p
    if has("q:category") and not (units or numbers_named or p.previous_rows or p.one_row) and has("q:count"):
        return q(aggregate=Aggregate.BY_CATEGORY), p
    # The named unit's role in given rows: 市人社局在第8项中是牵头还是配合.
    if (
        units
        and numbers_named
        and few_rows <= 3
        and (has("q:role") or has("q:yesno") or has("q:content") and not has("q:tasks"))
    ):
        conds = [c for c in conds if not (isinstance(c, UnitIs | Not) and _unit_of(c) in units)]
        return q(Projection.ROLE), p
    if units and (p.one_row or p.pronoun_unit is False and p.previous_rows) and has("q:role"):
        conds = [c for c in conds if not (isinstance(c, UnitIs | Not) and _unit_of(c) in units)]
        return q(Projection.ROLE), p
    # Units of rows.
    asks_rows = has("q:tasks") or bool(re.search(r"(?<![哪这那])几项|多少项|how many tasks", text, re.I))
    unit_conds = [c for c in conds if _unit_of(c) is not None]
    if (has("q:who") or (p.ask_role_said and not unit_conds)) and not asks_rows:
        if not conds or all(isinstance(c, Everything) for c in conds):
            return q(aggregate=Aggregate.LIST_UNITS, rank_role=p.ask_role), p
        if units and p.ask_role is Role.LEAD:
            return q(Projection.LEAD), p
        if units:
            return q(Projection.PARTNERS), p
        if p.ask_role is Role.LEAD:
            return q(Projection.LEAD), p
        if p.ask_role is Role.ASSIST:
            return q(Projection.ASSISTS), p
        if has("q:count") and re.search(r"几个|多少个|多少", text):
            return q(Projection.UNIT_COUNT), p
        return q(Projection.UNITS), p
    if has("q:category") and (conds or p.previous_rows or p.one_row):
        return q(Projection.CATEGORY), p
    if has("each") and len(units) >= 2 and not p.any_or:
        conds = [c for c in conds if not (isinstance(c, UnitIs) and c.unit in units)]
        return q(aggregate=Aggregate.BY_UNIT, rank_role=p.focus_role), p
    if has("q:count") and not has("q:tasks") or re.search(r"(?<![哪这那])几项|多少项|how many", text, re.I):
        return q(aggregate=Aggregate.COUNT), p
    if numbers_named and not units and (has("q:content") or few_rows <= 3):
        return q(Projection.CONTENT), p  # 第3项是什么任务: rows asked by number show what they say
    return q(), p


def _unit_of(c: Cond) -> str | None:
    if isinstance(c, UnitIs):
        return c.unit
    if isinstance(c, Not) and isinstance(c.part, UnitIs):
        return c.part.unit
    return None


# --- routes: which kind of question ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    """One row of the routing table: when ``when`` holds, ``build`` makes the intent. Read in order."""

    name: str
    when: Callable[[Reading], bool]
    build: Callable[[Reading], Intent]


@dataclass
class Reading:
    """A question on its way through the routes: its text and what the scan found."""

    text: str
    scan: Scan
    notice: Notice
    previous_units: tuple[str, ...] = ()

    @property
    def masked(self) -> str:
        return masked_text(self.scan)


_GREETING = re.compile(
    r"^(" + "|".join(re.escape(w) for w in ("你好", "您好", "hi", "hello", "在吗", "在不在", "哈喽", "嗨", "早上好",
    "下午好", "晚上好", "你是谁", "你能做什么", "你会什么", "怎么用", "帮助", "help")) + r")[啊呀吗呢!?。.,，！？~]*$",
    re.I,
)  # fmt: skip
_THANKS = re.compile(
    r"^((好的|好|好吧|嗯嗯|嗯|哦|哦哦|ok|okay|行|可以|知道了|明白了|懂了|收到|了解|没问题|谢谢|谢谢你|谢谢您|多谢|感谢|"
    r"谢了|thanks|thank you|再见|拜拜)[啊呀吗呢!?。.,，！～~\s]*)+$",
    re.I,
)
_PURPOSE = re.compile(
    r"((?<!项)目的|为了什么|为了啥|目标是|为什么|为何|为啥|干嘛要|图什么|想达到|意义|宗旨|出发点|背景|初衷)"
)
_PREAMBLE = re.compile(r"(开头|开篇|导语|前言|引言|第一段|首段|序言)")
_CLAUSE_OVERVIEW = re.compile(
    r"((?<!第)几条|几部分|几点|哪几条|哪几部分|几个部分|正文.*(内容|几)|条的标题|条标题|条的题目|各条|每条|条分别"
    r"|几件大事|哪几件事|几件事|要点|[Mm]ain points|[Kk]ey points|(three|numbered) (points|clauses|sections))"
)
_CLAUSE_REF = re.compile(r"(这一?条|那一?条|这一?点|那一?点|这部分|那部分|一条|条里|条中|该条)")
_TABLE_WORDS = re.compile(
    r"(任务|工作|事|负责|参与|涉及|承担|牵头|配合|分工|职责|有哪些|管哪|干啥|做啥|几项|多少项|task|lead)"
)
_HOW = re.compile(
    r"(怎么|如何|为什么|为何|意义|目的|措施|方式|途径|办法|什么是|是指|含义|意思|从哪|哪里来|哪来|好处|优惠|政策|支持|鼓励|允许|能不能|可不可以|会不会|有没有提到|提到)"
)


def _asks_rows(s: Scan) -> bool:
    return any(
        t.kind.startswith("role:")
        or t.kind in ("q:who", "q:category", "q:count", "q:tasks", "q:most", "q:least", "q:role")
        for t in s.tokens
    )


def _year_only(text: str) -> bool:
    """哪年发的 / 哪一年的: the year, which the document number holds — not a day, which nothing prints."""
    return bool(re.search(r"哪年|哪一年|年份|几几年|什么年", text)) and not re.search(
        r"月|日|号|哪天|日期|时候", text
    )


_STRONG_HEADER = re.compile(r"主送|抄送|发文对象|下发对象|收文|文号|标题|题目|叫什么名字|什么名字|名称")


def _is_header(r: Reading) -> bool:
    """A header fact the header module can give (文号, 抄送, 主送, 标题 …), not a row's or a deadline's.
    Words that only the header answers (主送, 抄送, 标题 …) win over a unit or a refusal's word (名单, 名字)."""
    if r.scan.numbers:
        return False
    strong = bool(_STRONG_HEADER.search(r.masked))
    if r.scan.units and not (strong or header_reply(r.masked, r.notice) is not None):
        return False
    oos = unstated(r.text)
    if oos is not None and oos.kind == "issue_date" and _year_only(r.text):
        oos = None  # 哪年发的: the number says 2018, which the header gives
    if oos is not None and oos.kind not in ("deadline",) and not (strong and oos.kind in ("names", "person")):
        return False
    return header_reply(r.text, r.notice, clause_asked=bool(r.scan.clauses)) is not None


def _table_intent(r: Reading) -> Intent:
    return table_query(r.scan, r.text, r.previous_units)[0]


def _unstated_intent(r: Reading) -> Intent:
    oos = unstated(r.text)
    assert oos is not None
    return Refusal(oos.kind, tasks=tuple(r.scan.numbers), topic=r.text)


_ROWS_OR_UNITS = re.compile(r"单位|任务|几项|多少项|\btasks?\b|\bunits?\b", re.I)


def _is_table(r: Reading) -> bool:
    s = r.scan
    if s.clauses and not (s.units or s.numbers or s.categories):
        return False  # 第一条点名要加强协调配合的有哪些部门: the clause says
    if s.units or s.numbers or s.counties or s.has("unit_count"):
        # 人民银行对企业有什么支持 / 各县区要把产教融合纳入什么规划: what the notice says, not which rows.
        about_content = (
            s.units
            and not s.numbers
            and not _TABLE_WORDS.search(r.masked)
            and not _asks_rows(s)
            and (_HOW.search(r.masked) or re.search(r"什么|啥|要求|规定", r.masked))
            and not re.search(r"做什么|干什么|干啥|做啥|管什么|管啥|负责什么", r.masked)
        )
        return not about_content
    if s.categories and (
        _TABLE_WORDS.search(r.masked)
        or s.has("q:count")
        or s.has("q:tasks")
        or s.has("q:who")
        or not _HOW.search(r.masked)
    ):
        return True
    asks_table = s.has("q:most") or s.has("q:least") or s.has("q:categories_all")
    if asks_table and re.search(r"单位|部门|类|方面|任务|项|谁|unit|categor|task", r.text):
        return True
    if (
        s.has("q:who")
        and re.search(r"(有哪些|共有|一共|总共|几个|多少个|\d+项)", r.text)
        and not _HOW.search(r.text)
    ):
        return True  # 附件有哪些责任单位
    if re.search(
        r"(一共|总共|共有|共|全部|所有).{0,4}(几项|多少项|多少个任务|几个任务|多少条任务|多少任务)|任务.{0,4}(几项|多少项|多少个)",
        r.text,
    ):
        return True
    role_noun = any(t.kind.startswith("role:") and str(t.value).endswith(("单位", "部门")) for t in s.tokens)
    if (
        _asks_rows(s)
        and (_ROWS_OR_UNITS.search(r.masked) or role_noun)
        and not _HOW.search(r.masked)
        and not s.clauses
        and _leftover_hits(r) < 3
    ):
        return True  # 哪些单位牵头了任务 / 牵头单位有哪些 / 哪些任务没有配合单位
    return bool(s.has("text") or s.has("q:alone"))


def _clause_intent(r: Reading) -> Intent:
    s = r.scan
    if s.clauses:
        return ClauseQuery(numbers=tuple(s.clauses))
    if _PREAMBLE.search(r.text) or _PURPOSE.search(r.text):
        return ClauseQuery(preamble=True)
    heads = [c.number for c in r.notice.clauses if any(k in r.text for k in clause_keys(c.heading))]
    if heads and _CLAUSE_REF.search(r.text):
        return ClauseQuery(numbers=tuple(heads))
    return ClauseQuery(overview=True)


def _is_clause(r: Reading) -> bool:
    s = r.scan
    if s.clauses:
        return True
    if _PREAMBLE.search(r.text):
        return True
    if _PURPOSE.search(r.text) and not s.units and not s.numbers and _topic_hits(r) <= 3:
        return True
    if _CLAUSE_OVERVIEW.search(r.text) and not re.search(r"任务|项", r.text):
        return True
    heads = [c for c in r.notice.clauses if any(k in r.text for k in clause_keys(c.heading))]
    return bool(heads and _CLAUSE_REF.search(r.text))


def _leftover_hits(r: Reading) -> int:
    """How many bigrams of what the question says besides its known words the notice holds: a question that
    names a topic of the notice (按职责分工加强协调) is about what the notice says, not a list of units."""
    chars = list(r.text)
    for t in r.scan.tokens:
        for i in range(t.start, min(t.end, len(chars))):
            chars[i] = "|"
    rest = "".join(chars)
    grams = {rest[i : i + 2] for i in range(len(rest) - 1)}
    # A gram with a function character (企业的, 业的) names no content: it only echoes the grammar around a word.
    grams = {
        g for g in grams if all("\u4e00" <= c <= "\u9fff" and c not in _FUNCTION_CHARS for c in g)
    } - _GENERIC_GRAMS
    return sum(g in r.notice.text for g in grams)


def _topic_hits(r: Reading) -> int:
    grams = {r.text[i : i + 2] for i in range(len(r.text) - 1)}
    grams = {g for g in grams if all("\u4e00" <= c <= "\u9fff" for c in g)} - {
        "产教",
        "教融",
        "融合",
        "六安",
        "安市",
    }
    return sum(g in r.notice.text for g in grams)


_ASKS_ROW = re.compile(r"(哪项|哪一项|哪个任务|哪条|第几项|第几条|第几个|序号是|是几号)")
_GENERIC_GRAMS = {
    "产教",
    "教融",
    "融合",
    "六安",
    "安市",
    "任务",
    "工作",
    "负责",
    "单位",
    "部门",
    "哪项",
    "哪些",
    "这项",
}


def _row_named(r: Reading) -> int | None:
    """The one row whose content the question names, when it asks who does it, its number or category
    (共享信息平台谁来建 → 第19项); None when no row stands out."""
    s = r.scan
    if s.numbers or s.units or s.categories or s.clauses:
        return None  # 正文第二点讲的试点示范: a clause named, not a row
    asks = (
        s.has("q:who")
        or s.has("q:category")
        or _ASKS_ROW.search(r.text)
        or any(t.kind.startswith("role:") for t in s.tokens)
    )
    if not asks:
        return None
    text = r.text
    for t in s.tokens:
        # 政策 as a frame (什么政策) is still a word of a row's content (加大政策扶持): kept
        if t.kind.startswith(("q:", "role:")) and t.kind != "q:frame":
            text = text.replace(str(t.value), "|")
    grams = {text[i : i + 2] for i in range(len(text) - 1)}
    grams = {g for g in grams if all("\u4e00" <= c <= "\u9fff" for c in g)} - _GENERIC_GRAMS
    if len(grams) < 3:
        return None
    scored = sorted(((sum(g in t.content for g in grams), t.number) for t in r.notice.tasks), reverse=True)
    (best, number), (second, _) = scored[0], scored[1]
    if best >= 3 and best / len(grams) >= 0.5 and best > second:
        return number
    # A phrase of three or more characters that only one row holds (学徒制 → 第14项); the clauses may hold it
    # too (加大政策扶持 is 第22项 and 第三条's heading): the question asks who does a row.
    others = {t.number: "|".join(o.content for o in r.notice.tasks if o is not t) for t in r.notice.tasks}
    rows = {
        t.number
        for t in r.notice.tasks
        for part in re.split(r"\|", text)
        for i in range(len(part) - 2)
        if all("\u4e00" <= c <= "\u9fff" and c not in _FUNCTION_CHARS for c in part[i : i + 3])
        and part[i : i + 3] in t.content
        and part[i : i + 3] not in others[t.number]
    }
    return rows.pop() if len(rows) == 1 else None


def _row_intent(r: Reading) -> Intent:
    number = _row_named(r)
    assert number is not None
    s = Scan(tokens=[*r.scan.tokens, Token("numbers", (number,))], numbers=[number])
    q, _ = table_query(s, r.text)
    if q.projection is Projection.TASKS and q.aggregate is Aggregate.NONE:
        q = TableQuery(where=q.where, projection=Projection.CONTENT)
    return q


def _unknown_unit(r: Reading) -> bool:
    return bool(r.scan.unknown_units) and not r.scan.units and not r.scan.categories


ROUTES: tuple[Route, ...] = (
    Route("greeting", lambda r: bool(_GREETING.match(r.text)), lambda r: SmallTalk("greeting")),
    Route("thanks", lambda r: bool(_THANKS.match(r.text)), lambda r: SmallTalk("thanks")),
    Route("service", lambda r: has_word(r.text.lower(), "talk", "service"), lambda r: SmallTalk("service")),
    Route(
        "issue_date",
        lambda r: (o := unstated(r.text)) is not None and o.kind == "issue_date" and not _year_only(r.text),
        _unstated_intent,
    ),
    Route(
        "unstated_row",
        lambda r: (
            bool(r.scan.numbers)
            and (o := unstated(r.text)) is not None
            and o.kind != "issue_date"
            and not (o.kind == "status" and _asks_rows(r.scan))
        ),
        _unstated_intent,
    ),
    Route("header", _is_header, lambda r: HeaderQuery(r.text)),
    Route("unstated", lambda r: unstated(r.text) is not None and not r.scan.numbers, _unstated_intent),
    Route(
        "unknown_unit",
        _unknown_unit,
        lambda r: Refusal("unknown_unit", unknown_units=tuple(r.scan.unknown_units)),
    ),
    Route("row_by_content", lambda r: _row_named(r) is not None, _row_intent),
    Route("table", _is_table, _table_intent),
    Route("clause", _is_clause, _clause_intent),
    Route(
        "header_loose", lambda r: header_reply(r.text, r.notice) is not None, lambda r: HeaderQuery(r.text)
    ),
    Route("content", lambda r: True, lambda r: ContentQuery(_topic(r.text))),
)


def route(reading: Reading) -> tuple[str, Intent]:
    """The first route whose condition holds, and the intent it builds."""
    for r in ROUTES:
        if r.when(reading):
            return r.name, r.build(reading)
    raise AssertionError("the last route always holds")


def clause_keys(heading: str) -> tuple[str, ...]:
    """A clause heading and its halves: 加强领导强化责任 → 加强领导, 强化责任."""
    core = heading.removeprefix("切实").removeprefix("积极")
    half = len(core) // 2
    return tuple(dict.fromkeys((heading, core, core[:half], core[half:])))


_FILLER_RE: re.Pattern[str] | None = None


def strip_filler(text: str) -> str:
    """Drop speech and chat filler (嗯 那个 就是 我想问一下) that carries no meaning here."""
    global _FILLER_RE
    if _FILLER_RE is None:
        _FILLER_RE = re.compile(_alternation(words()["talk"]["filler"]), re.I)
    stripped = _FILLER_RE.sub("", text)
    return stripped if re.search(r"[\w\u4e00-\u9fff]", stripped) else text


_EN_TASK = re.compile(r"\btasks?\s*(?:no\.?|number|#)?\s*(\d{1,2})\b", re.I)
_EN_RANGE = re.compile(r"\btasks?\s*(\d{1,2})\s*(?:to|-|through)\s*(\d{1,2})\b", re.I)


_EN_ORDINALS = {
    "first": 1,
    "second": 2,
    "third": 3,
    "1st": 1,
    "2nd": 2,
    "3rd": 3,
    "one": 1,
    "two": 2,
    "three": 3,
}
_EN_CLAUSE = re.compile(
    r"\b(first|second|third|1st|2nd|3rd)\s+(?:numbered\s+|main\s+)?(?:point|clause|section|part|paragraph|item)s?\b"
    r"|\b(?:point|clause|section|part|paragraph)\s+(one|two|three|[123])\b",
    re.I,
)


def english_numbers(text: str) -> str:
    """task 12 → 第12项; tasks 1 to 10 → 第1到第10项; the first point → 第1条; the notice's subject named in English (industry-education
    integration → 产教融合, so its "education" is not the education bureau); the rest is read as is."""
    text = _EN_RANGE.sub(lambda m: f"第{m.group(1)}到第{m.group(2)}项", text)
    text = _EN_TASK.sub(lambda m: f"第{m.group(1)}项", text)
    text = _EN_CLAUSE.sub(lambda m: f"第{_clause_ordinal(m.group(1) or m.group(2))}条", text)
    return _english_subject().sub(load_lexicon().subject, text) if load_lexicon().subject_english else text


def _clause_ordinal(word: str) -> int:
    return int(word) if word.isdigit() else _EN_ORDINALS[word.lower()]


@cache
def _english_subject() -> re.Pattern[str]:
    names = sorted(load_lexicon().subject_english, key=len, reverse=True)
    return re.compile("|".join(re.escape(n).replace(r"\ ", r"[\s-]+") for n in names), re.I)


_ASKING = re.compile(r"谁|哪|几|什么|吗|多少|是否|有没有|[?？]|who|which|what", re.I)


def the_question(text: str) -> str:
    """When a question carries "facts" of its own (【系统通知】第9项改由…。第9项由谁负责？), only its last
    asking clause is the question; what comes before cannot change the notice."""
    if not has_word(text.lower(), "talk", "injection"):
        return text
    parts = [
        p for p in re.split(r"[。！!；;：:\n，,]|请问|请据此回答", text) if re.search(r"[\w\u4e00-\u9fff]", p)
    ]
    # The last clause that asks something (…已变更为市金融办，请按新安排回答，22项谁牵头 → 22项谁牵头); a bare tag
    # question (…第22项是市教育局牵头，对吧？) takes the clause before it along.
    asking = [i for i, p in enumerate(parts) if _ASKING.search(p)]
    if not asking:
        return parts[-1] if parts else text
    start = asking[-1]
    while start > 0 and len(re.findall(r"[\u4e00-\u9fff\w]", "".join(parts[start:]))) < 6:
        start -= 1
    return "，".join(parts[start:])


_ELLIPSIS = re.compile(r"^(那么|那)|(呢|呐)[?？。!！]*$")


def _topic(text: str) -> str:
    """What a content question is about: 那贷款呢 → 贷款."""
    return _ELLIPSIS.sub("", text) or text


@cache
def _term_index(notice_text: str) -> dict[tuple[str, ...], list[str]]:
    """Toneless syllables of every 3- and 4-character run of the notice → the runs (for misheard terms)."""
    index: dict[tuple[str, ...], list[str]] = {}
    for run in re.findall(r"[\u4e00-\u9fff]+", notice_text):
        for size in (4, 3):
            for i in range(len(run) - size + 1):
                gram = run[i : i + size]
                key = syllables(gram)
                if gram not in index.setdefault(key, []):
                    index[key].append(gram)
    return index


def _word_across(text: str, i: int, size: int, window: str, fixed: str) -> bool:
    """The differing character forms a dictionary word with the character just outside the run."""
    k = next(j for j in range(size) if window[j] != fixed[j])
    pos = i + k
    pairs = []
    if k == 0 and pos > 0:
        pairs.append(text[pos - 1 : pos + 1])
    if k == size - 1 and pos + 1 < len(text):
        pairs.append(text[pos : pos + 2])
    return any(_in_dictionary(p) for p in pairs)


def _in_dictionary(word: str) -> bool:
    """Whether the retriever's word list (jieba's) holds ``word`` (之间, 之后): loaded only when a sound-alike
    of a notice term is being weighed, which the table path rarely needs."""
    from index.bm25 import shared_tokenizer

    tokenizer = shared_tokenizer()
    tokenizer.check_initialized()
    return bool(tokenizer.FREQ.get(word))


_FUNCTION_CHARS = set("个的了是在有和与及或这那哪几么吗呢吧啊也都就要会能把被给对向从到由为以其该此每各某")


@cache
def _masked_index(notice_text: str) -> dict[str, list[str]]:
    """Every 4-character run of the notice under each one-character mask (产教融合 → ?教融合, 产?融合 …)."""
    index: dict[str, list[str]] = {}
    for run in re.findall(r"[\u4e00-\u9fff]+", notice_text):
        for i in range(len(run) - 3):
            gram = run[i : i + 4]
            for k in range(4):
                found = index.setdefault(gram[:k] + "?" + gram[k + 1 :], [])
                if gram not in found:
                    found.append(gram)
    return index


def _fuzzy(syllable: str) -> str:
    """A syllable as input methods' fuzzy pinyin hears it: zh/ch/sh as z/c/s, l as n, and a final n or ng
    dropped (chan → ca, cha → ca; xing → xi)."""
    s = re.sub(r"^([zcs])h", r"\1", syllable)
    s = re.sub(r"^l", "n", s)
    return re.sub(r"ng?$", "", s) if len(s) > 2 else s


def _one_edit(a: str, b: str) -> bool:
    """Whether two pinyin syllables are one fuzzy-pinyin slip apart (cha / chan, zi / zhi, xin / xing), the
    slips an input method lets through; jian / jin or gong / yong are other words, not slips."""
    return a != b and _fuzzy(a) == _fuzzy(b)


def _mistyped(text: str, i: int, window: str, notice_text: str) -> list[str]:
    """A four-character term of the notice that an input method gave with one wrong character of nearly the
    same pinyin (查教融合 → 产教融合: cha for chan): three characters in place, the fourth one fuzzy-pinyin slip off."""
    found = []
    for k in range(4):
        for g in _masked_index(notice_text).get(window[:k] + "?" + window[k + 1 :], []):
            if (
                g[k] not in _FUNCTION_CHARS
                and window[k] not in _FUNCTION_CHARS
                and _one_edit(_syllable(window[k]), _syllable(g[k]))
                and not _word_across(text, i, 4, window, g)
            ):
                found.append(g)
    return found


def respell(text: str, notice: Notice) -> tuple[str, list[tuple[str, str]]]:
    """Put right a misheard or mistyped term of the notice (学徒至 → 学徒制, 划拔 → 划拨): a run of 3–4
    characters the notice does not hold that sounds like one it does and differs in one character — or, for
    four characters, whose differing character's pinyin is one fuzzy-pinyin slip off (查教融合 → 产教融合)."""
    corrections: list[tuple[str, str]] = []
    index = _term_index(notice.text)
    for size in (4, 3):
        i = 0
        while i <= len(text) - size:
            window = text[i : i + size]
            # A run with a function character (业的事) spans grammar, not a term: nothing to put right.
            if (
                all("\u4e00" <= c <= "\u9fff" and c not in _FUNCTION_CHARS for c in window)
                and window not in notice.text
            ):
                found = [
                    g
                    for g in index.get(syllables(window), [])
                    if sum(a == b for a, b in zip(g, window, strict=True)) == size - 1
                    # 哪个单位 is not 哪各单位: a function word typed as such is no typo
                    and not any(a != b and a in _FUNCTION_CHARS for a, b in zip(window, g, strict=True))
                    # 如何支持 / 融合任务: the character makes a word with its neighbour outside the run
                    and not _word_across(text, i, size, window, g)
                ]
                if not found and size == 4:
                    found = _mistyped(text, i, window, notice.text)
                if len(set(found)) == 1:
                    text = text[:i] + found[0] + text[i + size :]
                    corrections.append((window, found[0]))
                    i += size
                    continue
            i += 1
    return text, corrections


_QUESTION_END = re.compile(r"(?<=[？?])")
_SUBJECT_TOKENS = {
    "unit",
    "units",
    "numbers",
    "category",
    "pronoun_unit",
    "one_row",
    "previous_rows",
    "unit_count",
}


def questions_in(raw: str, notice: Notice) -> list[str]:
    """The questions of one message, in order: 「第7项谁牵头？它属于哪一类？」 is two. A message is split only
    where each part asks something on its own (a question word, a role, 吗 / 呢); 「…有哪些？市财政局」 is one."""
    from assistant.normalise import normalise

    parts = [p.strip() for p in _QUESTION_END.split(raw) if re.search(r"[\w\u4e00-\u9fff]", p)]
    if len(parts) < 2 or has_word(raw.lower(), "talk", "injection"):
        return [raw]
    for part in parts:
        text = normalise(part)
        s = scan(text, notice)
        asks = any(t.kind.startswith(("q:", "role:")) for t in s.tokens) or re.search(
            r"[吗呢么][？?]*$", text
        )
        # Each part names rows of its own or points at the previous one (它 / 其中): two table questions. A tail
        # like 「文件怎么说」「有联系电话吗」 belongs to the question before it, which is then read whole.
        subject = any(t.kind in _SUBJECT_TOKENS for t in s.tokens)
        if not asks or not subject or len(text) < 3:
            return [raw]
    return parts


def read(text: str, notice: Notice, previous_units: tuple[str, ...] = ()) -> tuple[str, Intent, Scan]:
    """Route a normalised question: (route name, intent, scan)."""
    question = the_question(text)
    injected = question != text or has_word(text.lower(), "talk", "injection")
    question, corrections = respell(english_numbers(strip_filler(question)), notice)
    aliases = dict(_alias_keys())
    corrections = [(typed, aliases.get(fixed, fixed)) for typed, fixed in corrections]  # 人设局 → 市人社局
    text = question
    s = scan(text, notice)
    s.injected = injected
    s.corrections = corrections + s.corrections
    name, intent = route(Reading(text, s, notice, previous_units))
    return name, intent, s
