"""Content questions: hybrid retrieval, then the sentence(s) of the notice that answer, verbatim."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from langchain_core.documents import Document

from assistant.answer import Citation, Reply
from assistant.phrasing import NOT_FOUND, source_label, units_line
from corpus.parser import split_sentences
from corpus.records import Notice

# Words that carry no topic: question words, particles, and words every part of the notice shares.
_STOP = set(
    [
        "的",
        "了",
        "吗",
        "呢",
        "啊",
        "呀",
        "吧",
        "么",
        "嘛",
        "是",
        "有",
        "在",
        "和",
        "与",
        "及",
        "或",
        "也",
        "都",
        "就",
        "要",
        "会",
        "能",
        "可",
        "可以",
        "需要",
        "应该",
        "应当",
        "怎么",
        "怎样",
        "如何",
        "什么",
        "啥",
        "哪",
        "哪些",
        "哪个",
        "哪里",
        "哪儿",
        "为什么",
        "为何",
        "多少",
        "几",
        "谁",
        "吗",
        "请问",
        "请",
        "问",
        "一下",
        "告诉",
        "我",
        "我们",
        "你",
        "您",
        "他",
        "她",
        "它",
        "这",
        "那",
        "这个",
        "那个",
        "这些",
        "那些",
        "其",
        "该",
        "个",
        "项",
        "条",
        "些",
        "种",
        "方面",
        "关于",
        "对于",
        "对",
        "给",
        "把",
        "被",
        "让",
        "从",
        "向",
        "到",
        "于",
        "以",
        "将",
        "还",
        "又",
        "再",
        "并",
        "而",
        "且",
        "但",
        "如果",
        "是否",
        "有没有",
        "没有",
        "不",
        "讲",
        "说",
        "提",
        "提到",
        "规定",
        "要求",
        "内容",
        "通知",
        "文件",
        "本",
        "里",
        "中",
        "上",
        "下",
        "一",
        "有关",
        "相关",
        "具体",
        "主要",
        "哪儿",
        "呀",
        "哦",
        "嗯",
        "好",
        "行",
        "么",
        "产教融合",
        "产教",
        "融合",
        "六安",
        "六安市",
        "市",
        "工作",
        "任务",
        "政府",
        "办公室",
        "知道",
        "想",
        "想问",
        "问问",
        "介绍",
        "一下子",
        "?",
        "!",
        ",",
        ".",
        ":",
        ";",
        "怎么样",
        "怎么办",
        "干嘛",
        "咋",
        "咋样",
        "做",
        "搞",
        "弄",
        "办",
        "来",
        "去",
        "过",
        "着",
        "之",
        "所",
        "为",
        "由",
        "得",
        "地",
    ]
)
# Colloquial filler: words that frame a question but name no topic (这件事里要不要…, 能不能…啊).
_FILLER = set(
    [
        "这种",
        "这样",
        "那样",
        "这件",
        "那件",
        "事里",
        "这事",
        "这个事",
        "这件事",
        "里头",
        "里面",
        "这里",
        "那里",
        "哪里",
        "哪里找",
        "不要",
        "要不要",
        "是不是",
        "能不能",
        "会不会",
        "可不可以",
        "有没有",
        "不会",
        "会",
        "能",
        "能够",
        "一起",
        "一块儿",
        "一块",
        "以后",
        "之后",
        "现在",
        "已经",
        "还",
        "还能",
        "还有",
        "跟",
        "跟着",
        "同",
        "找",
        "走",
        "点",
        "干",
        "干点",
        "能干",
        "开",
        "拿",
        "拿出",
        "当",
        "读",
        "靠",
        "搞",
        "弄",
        "带",
        "带个",
        "个头",
        "想",
        "想要",
        "咋",
        "啥",
        "啥样",
        "样",
        "一下",
        "一点",
        "些",
        "一些",
        "专门",
        "情况",
        "方面",
        "东西",
        "事情",
        "事",
        "政策上",
        "上",
        "里",
        "文件里",
        "文件",
        "提到",
        "说",
        "讲",
        "写",
        "规定",
        "允许",
        "可以",
        "支持不",
        "行不行",
        "好不好",
        "怎么说",
        "怎么讲",
        "什么样",
        "关系",
        "我",
        "我们",
        "你们",
        "他们",
        "咱们",
        "自己",
        "本地",
        "当地",
        "市里",
        "省里",
        "这边",
        "那边",
        "平时",
        "一般",
        "通常",
        "比如",
        "例如",
        "像",
    ]
)
# Everyday words → the notice's own words for the same thing (银行贷款 → 信贷). Both count as the topic.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "贷款": ("信贷", "金融"),
    "借钱": ("信贷",),
    "银行": ("信贷", "金融"),
    "融资": ("信贷", "金融", "股权投资"),
    "经费": ("资金", "财政"),
    "出钱": ("独资", "投资", "资本"),
    "掏钱": ("独资", "投资", "资本"),
    "少交": ("减税",),
    "交税": ("减税", "财税"),
    "网站": ("信息平台",),
    "投钱": ("投资", "资本"),
    "拨款": ("资金", "财政"),
    "钱": ("资金",),
    "补贴": ("补助", "扶持"),
    "税收": ("减税", "财税"),
    "税": ("减税", "财税"),
    "土地": ("用地", "供地"),
    "老师": ("师资", "教师"),
    "教师": ("师资",),
    "大学": ("高等学校", "高校"),
    "高校": ("高等学校",),
    "学徒": ("学徒制",),
    "评选": ("评审",),
    "实习": ("实习实训",),
    "工匠": ("工匠进校园",),
    "专业设置": ("学科专业",),
    "就业率": ("就业质量",),
    "研发": ("技术研发",),
    "科研": ("研究", "科研"),
    "参考": ("来源",),
    "工厂": ("企业",),
    "厂里": ("企业",),
    "公司": ("企业",),
    "单位里": ("企业",),
    "技术员": ("技术人员",),
    "师傅": ("工匠", "技能大师"),
    "职校": ("职业学校", "职业教育"),
    "升大学": ("专升本", "招收职业教育毕业生"),
    "考研": ("研究生入学考试",),
    "课题": ("研究选题", "科研项目"),
    "中小学": ("基础教育",),
    "孩子": ("基础教育", "学生"),
    "劳动": ("劳动实践",),
    "入股": ("股份制", "资本"),
    "分红": ("享有相应权利",),
    "研究所": ("科研院所",),
    "订单": ("订单培养",),
    "预报": ("预测预警",),
    "预测": ("预测预警",),
    "停掉": ("退出",),
    "中介": ("中介服务",),
    "牌子": ("示范城市",),
    "带头": ("示范引领",),
    "公布": ("发布",),
    "毕业": ("毕业生",),
    "找工作": ("就业",),
    "工作情况": ("就业质量",),
    "教学质量": ("教育质量",),
    "质量": ("质量保证",),
    "学费": ("费用",),
    "工人": ("职工", "技能人才"),
    "员工": ("职工",),
    "上班": ("在岗",),
    "理工科": ("新工科",),
    "升级": ("建设", "改革"),
    "产业": ("产业链",),
    "大学生": ("高等学校毕业生",),
    "一笔钱": ("专项引导资金",),
    "专项": ("专项引导资金",),
    "信息": ("信息平台",),
    "平台": ("信息平台", "创新平台"),
    "效果": ("示范引导效应",),
}


def synonyms(term: str) -> tuple[str, ...]:
    """The notice's words for a term, also when the term holds an everyday word (银行贷款 → 信贷, 金融)."""
    found: list[str] = []
    for key, words in SYNONYMS.items():
        if key in term and (len(key) > 1 or term == key):
            found.extend(words)
    return tuple(dict.fromkeys(found))


_GENERIC = {"产教融合", "产教", "融合", "六安", "六安市", "通知", "工作", "任务", "市", "政府"}
_PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)


@dataclass(frozen=True)
class Passage:
    """A verbatim sentence of the notice and where it stands."""

    text: str
    source: str  # task-14, clause-3, preamble, header
    number: int
    score: float


class Terms:
    """Topic terms of a question (jieba), and whether the notice holds them."""

    _lock = threading.Lock()
    _tokenizer: Any = None

    def __init__(self, notice: Notice) -> None:
        self._text = _PUNCT.sub("", notice.text)

    @classmethod
    def _cut(cls, text: str) -> list[str]:
        with cls._lock:
            if cls._tokenizer is None:
                from index.bm25 import shared_tokenizer  # the retriever's own: one dictionary in memory

                cls._tokenizer = shared_tokenizer()
        return list(cls._tokenizer.cut_for_search(text))

    def salient(self, question: str) -> list[str]:
        words = []
        for w in self._cut(_PUNCT.sub(" ", question)):
            w = w.strip()
            if not w or w in _STOP or w in _FILLER or w.isdigit() or (len(w) == 1 and not _is_cjk(w)):
                continue
            if len(w) == 1 and w in "的了吗呢啊吧么是有在和与及或也都就要会能":
                continue
            words.append(w)
        # cut_for_search yields sub-words and the whole word; keep the longest forms that cover the rest.
        longest = [w for w in words if not any(w != o and w in o for o in words)]
        return list(dict.fromkeys(longest))

    @staticmethod
    def expand(terms: list[str]) -> list[str]:
        """The terms and the notice's words for them, for retrieval."""
        out = list(terms)
        for t in terms:
            out.extend(synonyms(t))
        return list(dict.fromkeys(out))

    def coverage(self, terms: list[str]) -> float:
        """Share of topic terms the notice holds (by characters, partial words counted by their bigrams)."""
        topical = [t for t in terms if t not in _GENERIC]
        if any(len(t) > 1 for t in topical):
            topical = [
                t for t in topical if len(t) > 1 or t in SYNONYMS
            ]  # 国 / 足 of 国足 say little either way
        if not topical:
            return 0.0
        total = 0.0
        for t in topical:
            if t in self._text or any(s in self._text for s in synonyms(t)):
                total += 1.0
            elif len(t) >= 3:
                grams = [t[i : i + 2] for i in range(len(t) - 1)]
                total += sum(g in self._text for g in grams) / len(grams) * 0.8
        return total / len(topical)


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def _bigrams(text: str) -> set[str]:
    t = _PUNCT.sub("", text)
    return {t[i : i + 2] for i in range(len(t) - 1)} | set(t)


def overlap(terms: list[str], sentence: str) -> float:
    """How much of the question's topic the sentence holds: whole terms, then their bigrams."""
    topical = [t for t in terms if t not in _GENERIC] or terms
    if not topical:
        return 0.0
    grams = _bigrams(sentence)
    score = 0.0
    for t in topical:
        if t in sentence:
            score += 1.0 + min(len(t), 6) * 0.05
        elif any(s in sentence for s in synonyms(t)):
            score += 0.9
        elif len(t) >= 2:
            parts = [t[i : i + 2] for i in range(len(t) - 1)]
            score += 0.6 * sum(p in grams for p in parts) / len(parts)
    return score / len(topical)


def passages(docs: list[Document], notice: Notice) -> list[Passage]:
    """Split retrieved documents into their verbatim sentences, keeping the fused rank as a prior."""
    out: dict[tuple[str, str], Passage] = {}
    for rank, doc in enumerate(docs):
        meta = doc.metadata
        source = str(meta.get("source", ""))
        kind = str(meta.get("kind", ""))
        number = int(meta.get("number", 0) or 0)
        prior = 1.0 / (rank + 2)
        if kind == "header":
            texts: tuple[str, ...] = (str(meta.get("text") or doc.page_content),)
        elif source.startswith("task-") and notice.task(number):
            texts = notice.tasks[number - 1].sentences
        else:
            texts = split_sentences(doc.page_content)
        for s in texts:
            key = (source, s)
            if key not in out or out[key].score < prior:
                out[key] = Passage(s, source, number, prior)
    return list(out.values())


def best_passages(
    question_terms: list[str], docs: list[Document], notice: Notice, limit: int = 2
) -> list[Passage]:
    """Rank sentences by topic overlap first, fused retrieval rank second; keep one or two."""
    scored = [
        Passage(p.text, p.source, p.number, overlap(question_terms, p.text) + 0.5 * p.score)
        for p in passages(docs, notice)
    ]
    # Header lines (the title, the 抄送 list) are answered by the header route; as content they only echo words.
    if any(p.source != "header" for p in scored):
        scored = [p for p in scored if p.source != "header"]
    scored.sort(key=lambda p: (-p.score, p.source, p.text))
    if not scored:
        return []
    top = scored[0]
    picked = [top]
    for p in scored[1:]:
        if len(picked) >= limit:
            break
        if p.score >= 0.92 * top.score and p.text not in top.text and top.text not in p.text:
            picked.append(p)
    return picked


_MIN_COVERAGE = 0.3
_MIN_OVERLAP = 0.35
log = logging.getLogger(__name__)


class ContentAnswerer:
    """Answers what the notice says about a topic: the gate, retrieval, then the verbatim sentences."""

    def __init__(self, notice: Notice, retrieve: Callable[[str], list[Document]]) -> None:
        self.notice = notice
        self._retrieve = retrieve
        self._terms = Terms(notice)

    def related(self, text: str) -> list[Citation]:
        """The one sentence that best relates to a question being refused, or nothing."""
        terms = self._terms.salient(text)
        if self._terms.coverage(terms) < _MIN_COVERAGE:
            return []
        try:
            docs = self._retrieve(text)
        except Exception:
            log.warning("retrieval for a refusal's context failed", exc_info=True)
            return []
        picked = best_passages(terms, docs, self.notice, limit=1)
        return [Citation(p.source, p.text) for p in picked if overlap(terms, p.text) >= _MIN_OVERLAP]

    def answer(self, text: str) -> Reply:
        """The sentences that answer, each cited; a refusal when the notice does not talk about this."""
        terms = self._terms.salient(text)
        if self._terms.coverage(terms) < _MIN_COVERAGE:
            return Reply(NOT_FOUND, refused=True)
        docs = self._retrieve(text)
        picked = best_passages(terms, docs, self.notice)
        if not picked or overlap(terms, picked[0].text) < _MIN_OVERLAP:
            return Reply(NOT_FOUND, refused=True)
        lines = []
        tasks: list[int] = []
        extra: list[Citation] = []
        for p in picked:
            lines.append(f"「{p.text}」（{source_label(p.source, self.notice)}）")
            if p.source.startswith("task-"):
                tasks.append(p.number)
            else:
                extra.append(Citation(p.source, p.text))
        if tasks:
            units = "；".join(
                f"第{n}项责任单位：{units_line(self.notice.tasks[n - 1])}" for n in dict.fromkeys(tasks)
            )
            lines.append(units + "。")
        return Reply(
            "通知原文：\n" + "\n".join(lines),
            tasks=tuple(tasks),
            cite=tuple(dict.fromkeys(tasks)),
            extra=tuple(extra),
        )
