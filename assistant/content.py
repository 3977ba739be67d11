"""Content questions: the gate (does the notice talk about this?), hybrid retrieval, then the sentence(s) that
answer, verbatim and each cited.

Words: the question's topic terms (jieba, less the project's one stop-word list) and the notice's own words for
them (``corpus.synonyms``: a general near-synonym list plus a short domain list). Meaning: the dense similarity
the retriever reports for every passage and sentence. The gate and the sentence pick use both.
"""

from __future__ import annotations

import logging
import math
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from langchain_core.documents import Document

from assistant.answer import Citation, Reply
from assistant.phrasing import NOT_FOUND, source_label, units_line
from corpus.bilingual import has_english, notice_bridge
from corpus.parser import split_sentences
from corpus.records import Notice, Source
from corpus.synonyms import Lexicon, notice_lexicon, stopwords

log = logging.getLogger(__name__)

_PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)
# What a question asks for follows its question word, up to the clause's end: 有什么「好处」, 给哪些实打实的「扶持」.
_ASKED = re.compile(r"(?:什么样的|什么样|什么|哪些|哪几|哪种|哪类|何种|啥)([^，,。？?！!；;：:、\s]{1,10})")
# How much more the asked-for word counts than the question's other topic words when sentences are compared.
FOCUS_WEIGHT = 1.5
# A sentence holding the asked-for term answers before a better-scored one without it, down to this share.
FOCUS_FLOOR = 0.4
_FUNCTION_CHARS = "的了吗呢啊吧么是有在和与及或也都就要会能"
_LATIN_WORD = re.compile(r"^[A-Za-z]")


@dataclass(frozen=True)
class Gate:
    """ "The notice talks about this": enough of the topic's words, or enough meaning, or some of both.

    In scope when ``coverage >= coverage_alone``, or ``dense >= dense_alone``, or
    ``coverage >= coverage_min and dense >= dense_min``. Calibrated by ``python -m eval.calibrate`` on
    ``eval/data/gate_calibration.jsonl`` (in- and out-of-scope questions, none from the eval sets).
    """

    coverage_alone: float = 0.6
    dense_alone: float = 0.76
    coverage_min: float = 0.4
    dense_min: float = 0.70
    # The model's similarity is calibrated on Chinese: an English question also needs 60% of its English words
    # to lead to words of the notice (corpus.bilingual).
    english_coverage: float = 0.6

    def admits(self, coverage: float, dense: float, *, english_share: float | None = None) -> bool:
        """``english_share``: for an English question, the share of its English words the notice holds."""
        if english_share is not None and english_share < self.english_coverage:
            return False
        return (
            coverage >= self.coverage_alone
            or dense >= self.dense_alone
            or (coverage >= self.coverage_min and dense >= self.dense_min)
        )


GATE = Gate()
# A sentence is quoted when its fused evidence reaches this much (else the question is refused).
_MIN_EVIDENCE = 0.35
# Weight of meaning against words in the sentence pick: evidence = overlap + DENSE_WEIGHT * (sim - DENSE_FLOOR).
DENSE_WEIGHT = 2.0
DENSE_FLOOR = 0.6


@dataclass(frozen=True)
class Passage:
    """A verbatim sentence of the notice, where it stands, and its evidence."""

    text: str
    source: str  # task-14, clause-3, preamble, header
    number: int
    score: float
    dense: float = 0.0  # the sentence's own dense similarity (its passage's when it has none of its own)
    index: int = 0  # place of the sentence in its passage, from 0

    @property
    def kind(self) -> str:
        """task, clause, preamble or header (``corpus.records.Source`` parses the id)."""
        return Source.parse(self.source).kind


@dataclass(frozen=True)
class Evidence:
    """What the gate and the sentence pick look at for one question."""

    terms: list[str]
    coverage: float
    dense: float
    overlap: float  # the best topic overlap of a retrieved sentence (rare words count more)
    docs: list[Document]
    focus: frozenset[str] = frozenset()  # the term the question asks for (有什么好处 → 好处)


class Terms:
    """Topic terms of a question (jieba), the notice's words for them, and how much of them the notice holds."""

    _lock = threading.Lock()
    _tokenizer: Any = None

    def __init__(self, notice: Notice, lexicon: Lexicon | None = None) -> None:
        self._text = _PUNCT.sub("", notice.text)
        self._lexicon = lexicon
        self._stop = stopwords()
        self._sentences: list[str] = [s for c in (notice.preamble, *notice.clauses) for s in c.sentences]
        self._sentences += [s for t in notice.tasks for s in t.sentences]
        self._weights: dict[str, float] = {}

    @property
    def lexicon(self) -> Lexicon:
        if self._lexicon is None:
            self._lexicon = notice_lexicon()
        return self._lexicon

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
            if not w or w in self._stop or w.isdigit() or (len(w) == 1 and not _is_cjk(w)):
                continue
            if len(w) == 1 and (w in _FUNCTION_CHARS or not self.synonyms(w)):
                continue  # 进 / 出 / 叫 name no topic; 税 does (→ 财税, 减税)
            words.append(w)
        # cut_for_search yields sub-words and the whole word; keep the longest forms that cover the rest,
        # unless a form is only stop words run together (不能自己 = 不能 + 自己).
        words = [w for w in words if not self._all_stop(w)]
        # A domain word the tokenizer cut apart (能少交点税 → 能少 / 交点) is still a term: 少交.
        words += [k for k in self.lexicon.domain_words_in(question) if not any(k in w for w in words)]
        longest = [w for w in words if not any(w != o and w in o for o in words)]
        return list(dict.fromkeys(longest))

    def focus(self, question: str, terms: list[str]) -> frozenset[str]:
        """The topic term a question asks for: the last one in the phrase after its question word (the head of
        that phrase: 哪些实打实的扶持 → 扶持). Empty when the question word asks for no topic (哪一条)."""
        from assistant.understand import words  # the vocabulary's one reader

        frame = set(words()["questions"]["frame"])
        found: set[str] = set()
        for m in _ASKED.finditer(question):
            phrase = m.group(1)
            held = [t for t in terms if t in phrase and t not in frame]
            if held:
                found.add(max(held, key=lambda t: phrase.rfind(t)))
        return frozenset(found)

    def _all_stop(self, word: str) -> bool:
        """Whether ``word`` splits wholly into stop words (and function characters)."""
        n = len(word)
        ok = [True] + [False] * n
        for end in range(1, n + 1):
            ok[end] = any(
                ok[start] and (word[start:end] in self._stop or word[start:end] in _FUNCTION_CHARS)
                for start in range(max(0, end - 4), end)
            )
        return n > 1 and ok[n]

    def synonyms(self, term: str) -> tuple[str, ...]:
        return self.lexicon.synonyms(term)

    def expand(self, terms: list[str]) -> list[str]:
        """The terms and the notice's words for them, for retrieval."""
        return self.lexicon.expand(terms)

    def coverage(self, terms: list[str]) -> float:
        """Share of topic terms the notice holds (by characters, partial words counted by their bigrams)."""
        topical = terms
        if any(len(t) > 1 for t in topical):
            # 国 / 足 of 国足 say little either way, unless the lexicon knows them (税 → 财税)
            topical = [t for t in topical if len(t) > 1 or self.synonyms(t)]
        if not topical:
            return 0.0
        total = 0.0
        for t in topical:
            if t in self._text or any(s in self._text for s in self.synonyms(t)):
                total += 1.0
            elif len(t) >= 3:
                grams = [t[i : i + 2] for i in range(len(t) - 1)]
                share = sum(g in self._text for g in grams) / len(grams)
                if len(t) >= 4:  # 大学老师: its halves by synonym (高等学校, 教师)
                    halves = [t[i : i + 2] for i in range(0, len(t) - 1, 2)]
                    share = max(share, sum(self._held(h) for h in halves) / len(halves))
                total += share * 0.8
        return total / len(topical)

    def _held(self, word: str) -> bool:
        return word in self._text or any(s in self._text for s in self.synonyms(word))

    def weight(self, term: str) -> float:
        """How much a term tells sentences apart: 1 + log((n - df + 0.5) / (df + 0.5)) over the notice's n
        sentences, df of them holding it or a synonym (rare words count more; at least 0.3). A compound the
        notice holds only by its halves (财政资金 → 财政, 资金) weighs what its halves weigh on average; a term
        it does not hold at all weighs 1: it cannot favour any sentence."""
        if term not in self._weights:
            words = (term, *self.synonyms(term))
            df = sum(any(w in s for w in words) for s in self._sentences)
            n = len(self._sentences)
            if df:
                value = max(0.3, 1.0 + math.log((n - df + 0.5) / (df + 0.5)))
            else:
                halves = [term[i : i + 2] for i in range(0, len(term) - 1, 2)] if len(term) >= 4 else []
                held = [self.weight(h) for h in halves if self._held(h)]
                value = sum(held) / len(held) if held else 1.0
            self._weights[term] = value
        return self._weights[term]

    def matches(self, term: str, sentence: str) -> bool:
        """Whether the sentence holds the term itself or one of the notice's words for it."""
        return term in sentence or any(s in sentence for s in self.synonyms(term))

    def overlap(self, terms: list[str], sentence: str, focus: frozenset[str] = frozenset()) -> float:
        """How much of the question's topic the sentence holds (whole terms, their synonyms, then bigrams),
        each term weighted by how rare it is in the notice (税 says more than 企业), and the term the question
        asks for (``focus``) more than the rest."""
        if not terms:
            return 0.0
        grams = _bigrams(sentence)
        score = total = 0.0
        for t in terms:
            w = self.weight(t) * (FOCUS_WEIGHT if t in focus else 1.0)
            total += w
            if t in sentence:
                score += w * (1.0 + min(len(t), 6) * 0.05)
            elif any(s in sentence for s in self.synonyms(t)):
                score += w * 0.9
            elif len(t) >= 2:
                # Part of a compound: its bigrams, or its two-character halves by synonym (管理体制 → 治理).
                parts = [t[i : i + 2] for i in range(len(t) - 1)]
                share = sum(p in grams for p in parts) / len(parts)
                if len(t) >= 4:
                    halves = [t[i : i + 2] for i in range(0, len(t) - 1, 2)]
                    found = sum(h in sentence or any(x in sentence for x in self.synonyms(h)) for h in halves)
                    share = max(share, found / len(halves))
                score += w * 0.6 * share
        return score / total


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def _bigrams(text: str) -> set[str]:
    t = _PUNCT.sub("", text)
    return {t[i : i + 2] for i in range(len(t) - 1)} | set(t)


def _sim(value: object) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


def passages(docs: list[Document], notice: Notice) -> list[Passage]:
    """Split retrieved documents into their verbatim sentences, each with its own dense similarity where the
    retriever reported it, keeping the fused rank as a prior."""
    out: dict[tuple[str, str], Passage] = {}
    for rank, doc in enumerate(docs):
        meta = doc.metadata
        source = str(meta.get("source", ""))
        kind = str(meta.get("kind", ""))
        number = int(meta.get("number", 0) or 0)
        prior = 1.0 / (rank + 2)
        own = _sim(meta.get("dense_sim"))
        sims = [_sim(s) for s in meta.get("sentence_sims") or ()]
        if kind == "header":
            texts: tuple[str, ...] = (str(meta.get("text") or doc.page_content),)
        elif kind == "task" and notice.task(number):
            texts = notice.tasks[number - 1].sentences
        else:
            texts = split_sentences(doc.page_content)
        first = int(meta.get("sentence", 1) or 1) - 1 if kind in ("task_sentence", "sentence") else 0
        for i, s in enumerate(texts):
            dense = sims[i] if i < len(sims) and len(texts) > 1 else own
            if sims and (kind == "clause" and i == 0 or len(_PUNCT.sub("", s)) <= 10):
                dense = max(dense, own)  # a heading stands for its passage: 三、切实加大政策扶持。
            key = (source, s)
            old = out.get(key)
            if old is None or old.score < prior or old.dense < dense:
                out[key] = Passage(
                    s,
                    source,
                    number,
                    max(prior, old.score if old else 0.0),
                    max(dense, old.dense if old else 0.0),
                    first + i,
                )
    return list(out.values())


def _heading_like(p: Passage, notice: Notice) -> bool:
    """A clause's heading line, or a short lead sentence (强化师资队伍建设。) that only names a topic."""
    if p.kind == "clause" and p.index == 0:
        return True
    return p.kind == "task" and len(_PUNCT.sub("", p.text)) <= 10


def _siblings(p: Passage, notice: Notice) -> tuple[str, ...]:
    if p.kind == "task" and notice.task(p.number):
        return notice.tasks[p.number - 1].sentences
    if p.kind == "clause" and notice.clause(p.number):
        return notice.clauses[p.number - 1].sentences[1:]  # past the heading
    return (p.text,)


def evidence_score(
    terms: Terms, question_terms: list[str], p: Passage, focus: frozenset[str] = frozenset()
) -> float:
    """Fused evidence for one sentence: topic overlap (with synonyms), meaning, and the fused rank."""
    return (
        terms.overlap(question_terms, p.text, focus)
        + DENSE_WEIGHT * max(0.0, p.dense - DENSE_FLOOR)
        + 0.3 * p.score
    )


def best_passages(
    terms: Terms,
    question_terms: list[str],
    docs: list[Document],
    notice: Notice,
    limit: int = 4,
    focus: frozenset[str] = frozenset(),
) -> list[Passage]:
    """The answering sentences, best first: the top one by fused evidence, the other sentences of its passage
    that answer nearly as well, and another passage's sentence only when it answers as well as the top."""
    scored = [
        Passage(p.text, p.source, p.number, evidence_score(terms, question_terms, p, focus), p.dense, p.index)
        for p in passages(docs, notice)
    ]
    # Header lines (the title, the 抄送 list) are answered by the header route; as content they only echo words.
    if any(p.source != "header" for p in scored):
        scored = [p for p in scored if p.source != "header"]
    scored.sort(key=lambda p: (-p.score, p.source, p.index))
    if not scored:
        return []
    # What the question asks for must be answered: when the best sentence does not hold the asked-for term
    # (有什么好处) and a nearly-as-good one does (…加大政策扶持), that one answers.
    if focus and not any(terms.matches(f, scored[0].text) for f in focus):
        holding = [
            p
            for p in scored
            if p.score >= FOCUS_FLOOR * scored[0].score and any(terms.matches(f, p.text) for f in focus)
        ]
        if holding:
            scored.remove(holding[0])
            scored.insert(0, holding[0])
    top = scored[0]
    if _heading_like(top, notice):
        order = _siblings(top, notice)
        # A heading names the topic; the sentences under it say what the notice does about it.
        body = [
            q for q in scored if q.source == top.source and q.text in _siblings(top, notice) and q is not top
        ]
        picked = [top] if top.kind == "task" else []
        picked += [q for q in body if q.text != top.text]
        known = {q.text for q in picked}
        for s in _siblings(top, notice):
            if s not in known and len(picked) < limit + 2:
                picked.append(Passage(s, top.source, top.number, top.score, top.dense))
                known.add(s)
        # In the notice's order; each keeps the top's evidence, since they answer as a block.
        block = sorted(picked, key=lambda q: order.index(q.text) if q.text in order else 0) or [top]
        return [Passage(q.text, q.source, q.number, top.score, q.dense, q.index) for q in block]
    picked = [top]
    answered = {t for t in question_terms if terms.matches(t, top.text)}
    for p in scored[1:]:
        if len(picked) >= limit:
            break
        if p.text in top.text or top.text in p.text:
            continue
        same = p.source == top.source
        # 土地、贷款、税收都列一下: a sentence of the same passage that answers a term no picked sentence answers.
        new_terms = {t for t in question_terms if t not in answered and terms.matches(t, p.text)}
        if _heading_like(p, notice) and p.kind == "clause":
            continue  # a heading only names the topic the picked sentences answer
        if (same and (p.score >= 0.85 * top.score or (new_terms and p.score >= 0.5 * top.score))) or (
            not same and p.score >= 0.95 * top.score and len(picked) < 2
        ):
            picked.append(p)
            answered |= new_terms
    return picked


class ContentAnswerer:
    """Answers what the notice says about a topic: the gate, retrieval, then the verbatim sentences."""

    def __init__(
        self, notice: Notice, retrieve: Callable[[str], list[Document]], *, gate: Gate = GATE
    ) -> None:
        self.notice = notice
        self._retrieve = retrieve
        self._terms = Terms(notice)
        self.gate = gate

    def _topic(self, text: str) -> tuple[str, list[str]]:
        """The question as searched and its topic terms. An English question carries the notice's words for
        its English words (CC-CEDICT, ``corpus.bilingual``), so the words, the gate and retrieval see the
        notice's vocabulary; an English word with no such word (restaurant) stays a term the notice lacks."""
        if not has_english(text):
            return text, self._terms.salient(text)
        words, missing = notice_bridge().read(text)
        searched = f"{text} {' '.join(words)}" if words else text
        terms = [t for t in self._terms.salient(searched) if not _LATIN_WORD.match(t)]
        return searched, terms + missing

    def evidence(self, text: str) -> Evidence:
        """The question's terms, their coverage in the notice, and the retrieved documents with the best
        dense similarity among them."""
        text, terms = self._topic(text)
        focus = self._terms.focus(text, terms)
        coverage = self._terms.coverage(terms)
        docs = self._retrieve(text)
        dense = max((_sim(d.metadata.get("dense_sim")) for d in docs), default=0.0)
        overlap = max((self._terms.overlap(terms, p.text) for p in passages(docs, self.notice)), default=0.0)
        return Evidence(terms, coverage, dense, overlap, docs, focus)

    def related(self, text: str) -> list[Citation]:
        """The one sentence that best relates to a question being refused, or nothing."""
        text, terms = self._topic(text)
        if self._terms.coverage(terms) < self.gate.coverage_min:
            return []
        try:
            docs = self._retrieve(text)
        except Exception:
            log.warning("retrieval for a refusal's context failed", exc_info=True)
            return []
        focus = self._terms.focus(text, terms)
        picked = best_passages(self._terms, terms, docs, self.notice, limit=1, focus=focus)[:1]
        return [
            Citation(p.source, p.text)
            for p in picked
            if self._terms.overlap(terms, p.text) >= _MIN_EVIDENCE and not _heading_like(p, self.notice)
        ]

    def answer(self, text: str) -> Reply:
        """The sentences that answer, each cited; a refusal when the notice does not talk about this."""
        ev = self.evidence(text)
        english = has_english(text)
        if not self.gate.admits(
            ev.coverage, ev.dense, english_share=notice_bridge().share(text) if english else None
        ):
            return Reply(NOT_FOUND, refused=True)
        picked = best_passages(self._terms, ev.terms, ev.docs, self.notice, focus=ev.focus)
        if not picked or picked[0].score < _MIN_EVIDENCE:
            return Reply(NOT_FOUND, refused=True)
        lines = []
        tasks: list[int] = []
        extra: list[Citation] = []
        for p in picked:
            lines.append(f"「{p.text}」（{source_label(p.source, self.notice)}）")
            if p.kind == "task":
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
            tasks=tuple(dict.fromkeys(tasks)),
            cite=tuple(dict.fromkeys(tasks)),
            extra=tuple(extra),
        )
