"""The retrieval chain: question + conversation → answer with citations, composed from LangChain runnables.

    normalise → understand (+ the previous turn) → route ─┬─ table   (exact sets from parsed rows)
                                                          ├─ header / clause facts
                                                          ├─ refusal (what the notice does not state)
                                                          └─ content (hybrid retrieval → verbatim sentences)

Only the content path touches the retriever, so a table question never loads the embedding model.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import Runnable, RunnableBranch, RunnableLambda

from assistant import table
from assistant.answer import Answer, Citation, Reply
from assistant.content import ContentAnswerer
from assistant.header import header_reply
from assistant.normalise import normalise
from assistant.phrasing import ERROR, HELP, TOO_LONG, numeral, source_label
from assistant.scope import MESSAGES, unstated
from assistant.understand import Ask, Query, understand, with_context
from corpus.records import Notice

log = logging.getLogger(__name__)

_TASK_PRONOUN = re.compile(r"(这项|该项|这个任务|该任务|这一项|这条任务|此项)")
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass
class Conversation:
    """One person's conversation: the previous turn's understanding, for follow-ups."""

    previous: Query | None = None
    previous_tasks: tuple[int, ...] = ()
    turns: int = 0

    def reset(self) -> None:
        self.previous = None
        self.previous_tasks = ()
        self.turns = 0


@dataclass(frozen=True)
class _Turn:
    """What flows through the chain."""

    question: str
    text: str = ""
    query: Query | None = None
    previous: Query | None = None
    previous_tasks: tuple[int, ...] = ()
    reply: Reply | None = None
    route: str = ""


class Assistant:
    """Answers questions about one notice. ``retriever_factory`` is called once, on the first content question."""

    def __init__(
        self,
        notice: Notice,
        retriever_factory: Callable[[], BaseRetriever] | None,
        *,
        max_question_chars: int = 500,
        log_questions: bool = False,
    ) -> None:
        if max_question_chars <= 0:
            raise ValueError(f"max_question_chars must be > 0, got {max_question_chars}")
        self.notice = notice
        self._factory = retriever_factory
        self._retriever: BaseRetriever | None = None
        self._lock = threading.Lock()
        self._content_answerer = ContentAnswerer(notice, self._retrieve)
        self.max_question_chars = max_question_chars
        self.log_questions = log_questions
        self.chain = self._build_chain()

    # -- public ------------------------------------------------------------------------------------------------

    def ask(self, question: str, conversation: Conversation | None = None) -> Answer:
        """Answer one question; never raises for what a user typed."""
        start = time.perf_counter()
        question = question if isinstance(question, str) else str(question)
        # A lone surrogate (an undecodable byte from argv, a \ud800 JSON escape) cannot be encoded anywhere.
        question = _SURROGATE.sub("\ufffd", question)
        previous = conversation.previous if conversation else None
        try:
            turn: _Turn = self.chain.invoke(
                _Turn(
                    question=question,
                    previous=previous,
                    previous_tasks=conversation.previous_tasks if conversation else (),
                )
            )
        except Exception:  # a fault of ours, not the user's: one friendly line, details to the log only
            log.exception("answer failed (question sha256 %s)", fingerprint(question))
            turn = _Turn(question=question, reply=Reply(ERROR, refused=True), route="error")
        reply = turn.reply or Reply(ERROR, refused=True)
        if turn.query is not None and turn.query.corrections and turn.route == "table":
            read_as = "，".join(f"「{typed}」按「{name}」理解" for typed, name in turn.query.corrections)
            reply = replace(reply, text=f"（{read_as}。）\n{reply.text}")
        if conversation is not None and turn.query is not None:
            conversation.previous = turn.query
            conversation.previous_tasks = reply.tasks
            conversation.turns += 1
        answer = Answer(
            question=question,
            answer=reply.text,
            refused=reply.refused,
            tasks=tuple(sorted(set(reply.tasks))),
            citations=self._citations(reply),
            latency_ms=(time.perf_counter() - start) * 1000,
            route=turn.route,
            units=turn.query.agencies if turn.query else (),
        )
        self._log(answer)
        return answer

    @property
    def retriever(self) -> BaseRetriever:
        """The hybrid retriever, built on first use (loads the embedding model and opens the index)."""
        with self._lock:
            if self._retriever is None:
                if self._factory is None:
                    raise RuntimeError(
                        "this assistant has no retriever: content questions cannot be answered"
                    )
                self._retriever = self._factory()
            return self._retriever

    def _retrieve(self, text: str) -> list[Document]:
        """Retrieve with the cached retriever; a failure drops it, so the next question reopens the index
        (a restarted Chroma server, an index rebuilt elsewhere) and ``retriever`` can name the fault."""
        retriever = self.retriever
        try:
            return retriever.invoke(text)
        except Exception:
            with self._lock:
                if self._retriever is retriever:
                    self._retriever = None
            raise

    # -- the chain ---------------------------------------------------------------------------------------------

    def _build_chain(self) -> Runnable[_Turn, _Turn]:
        def done(t: _Turn) -> bool:
            return t.reply is not None

        route = RunnableBranch(
            (done, RunnableLambda(lambda t: t)),
            (lambda t: t.route == "content", RunnableLambda(self._content)),
            RunnableLambda(lambda t: t),
        )
        return (
            RunnableLambda(self._check_input).with_config(run_name="check_input")
            | RunnableLambda(self._understand).with_config(run_name="understand")
            | RunnableLambda(self._route).with_config(run_name="route")
            | route.with_config(run_name="answer")
        )

    def _check_input(self, t: _Turn) -> _Turn:
        raw = t.question.strip()
        if len(raw) > self.max_question_chars:
            return replace(
                t, reply=Reply(TOO_LONG.format(limit=self.max_question_chars), refused=True), route="input"
            )
        text = normalise(raw)
        if not re.search(r"[\w\u4e00-\u9fff]", text):
            return replace(t, reply=Reply(HELP, refused=True), route="input")
        return replace(t, text=text)

    def _understand(self, t: _Turn) -> _Turn:
        if t.reply is not None:
            return t
        own = understand(t.text, self.notice)
        q = with_context(own, t.previous)
        prev = t.previous
        rows_asked = (
            own.asks & {Ask.UNITS, Ask.LEAD, Ask.LIST_UNITS} or own.role is not None or "第几项" in own.text
        )
        if (
            not own.has_subject
            and t.previous_tasks
            and (
                (_TASK_PRONOUN.search(q.text) and len(t.previous_tasks) == 1)
                # 谁负责 / 第几项来着 after a content answer that quoted a row: that row.
                or (rows_asked and prev is not None and not prev.has_subject and len(t.previous_tasks) <= 3)
            )
        ):
            q = replace(q, tasks=t.previous_tasks, agencies=())
        if q.subset and t.previous is not None:
            q = replace(q, within=t.previous_tasks)
            if not q.agencies and not q.categories and not q.tasks:
                q = replace(
                    q,
                    agencies=t.previous.agencies,
                    tasks=t.previous.tasks,
                    role=q.role or t.previous.role,
                )
        return replace(t, query=q)

    def _route(self, t: _Turn) -> _Turn:
        if t.reply is not None or t.query is None:
            return t
        q, notice = t.query, self.notice
        text = q.text

        if _is_greeting(text) and not q.has_subject:
            return replace(t, reply=Reply(HELP, refused=True), route="help")
        if q.tasks:
            oos = unstated(text)
            if oos and oos.kind != "issue_date":
                return replace(t, reply=self._unstated_reply(oos.kind, q), route="refusal")
            return replace(t, reply=table.answer_task_numbers(q, notice), route="table")
        oos = unstated(text)
        if oos is not None and oos.kind == "issue_date":
            return replace(t, reply=self._unstated_reply(oos.kind, q), route="refusal")
        if oos is None or oos.kind == "deadline":
            header = header_reply(q.text, self.notice, clause_asked=bool(q.clauses))
            if header is not None:
                return replace(t, reply=header, route="header")
        if oos is not None:
            return replace(t, reply=self._unstated_reply(oos.kind, q), route="refusal")
        if q.agencies and q.alone:
            return replace(t, reply=table.answer_alone(q, notice), route="table")
        if q.unit_count is not None and not q.agencies and q.about_tasks:
            return replace(t, reply=table.answer_tasks_by_unit_count(q, notice), route="table")
        if len(q.agencies) > 1 and re.search(r"(谁|哪个|哪家|哪一个).{0,8}(多|少)|比.{0,6}(多|少)", text):
            return replace(t, reply=table.answer_comparison(q, notice), route="table")
        about_rows = q.about_tasks or q.role or q.pronoun or q.subset or _asks_tasks(text)
        table_asks = q.asks & {
            Ask.UNITS,
            Ask.COUNT,
            Ask.LIST_UNITS,
            Ask.MOST,
            Ask.LEAST,
            Ask.NEGATE,
            Ask.LEAD,
        }
        if q.agencies and not about_rows and not table_asks and q.topic_hits >= 3:
            return replace(t, route="content")
        if q.agencies and (about_rows or q.asks):
            return replace(t, reply=table.answer_agencies(q, notice), route="table")
        if q.unknown_agencies and not q.agencies and not q.categories:
            return replace(t, reply=table.answer_unknown_agency(q, notice), route="table")
        if q.counties and not q.agencies:
            return replace(t, reply=table.answer_counties(q, notice), route="table")
        if q.agencies and not _looks_like_content(q):
            return replace(t, reply=table.answer_agencies(q, notice), route="table")
        clause = self._clause(q)
        if clause is not None:
            return replace(t, reply=clause, route="clause")
        ranks = Ask.MOST in q.asks or Ask.LEAST in q.asks
        if ranks and (q.about_tasks or q.about_units or q.role or re.search(r"单位|部门|类|方面", text)):
            return replace(t, reply=table.answer_ranking(q, notice), route="table")
        if q.exactly is not None and (Ask.LIST_UNITS in q.asks or Ask.UNITS in q.asks):
            return replace(t, reply=table.answer_units_with_count(q, notice), route="table")
        if q.asks & {Ask.UNITS, Ask.LIST_UNITS, Ask.LEAD} or q.role is not None:
            row = table.match_task(q, notice)
            if row is not None:
                sub = replace(q, tasks=(row.number,), asks=q.asks | {Ask.UNITS})
                return replace(t, query=sub, reply=table.answer_task_numbers(sub, notice), route="table")
        topical = q.topic_hits >= 3  # understand() already counted the topic's bigrams the notice holds
        if not topical:
            if q.categories and not _looks_like_content(q):
                return replace(t, reply=table.answer_categories(q, notice), route="table")
            if Ask.LIST_CATEGORIES in q.asks and (q.about_tasks or "类" in text or "方面" in text):
                return replace(t, reply=table.answer_category_list(notice), route="table")
            if Ask.LIST_UNITS in q.asks and not _looks_like_content(q):
                return replace(t, reply=table.answer_units_list(q, notice), route="table")
            if Ask.COUNT in q.asks and q.about_tasks and not _looks_like_content(q):
                return replace(t, reply=table.answer_total(notice), route="table")
        elif q.categories and not _looks_like_content(q) and (q.about_tasks or Ask.COUNT in q.asks):
            return replace(t, reply=table.answer_categories(q, notice), route="table")
        return replace(t, route="content")

    # -- facts of the header and clauses -----------------------------------------------------------------------

    def _clause(self, q: Query) -> Reply | None:
        n = len(self.notice.clauses)
        purpose = (
            re.search(
                r"((?<!项)目的|为什么|为何|为啥|干嘛要|图什么|想达到|意义|宗旨|出发点|背景|初衷)", q.text
            )
            and not q.agencies
            and not q.tasks
        )
        if (q.preamble or (purpose and q.topic_hits <= 3)) and not q.clauses:
            p = self.notice.preamble
            return Reply(f"通知开头一段：{p.text}", extra=(Citation(p.source, p.text),))
        if q.clauses:
            good = [c for c in (self.notice.clause(i) for i in q.clauses) if c is not None]
            if not good:
                return Reply(f"通知正文共{n}条（一至{numeral(n)}），没有第{q.clauses[0]}条。", refused=True)
            lines = [f"第{numeral(c.number)}条「{c.heading}」：{c.text}" for c in good]
            return Reply("\n".join(lines), extra=tuple(Citation(c.source, c.text) for c in good))
        if (
            re.search(
                r"(几条|几部分|几点|哪几条|哪几部分|几个部分|几个方面的要求|正文.*(内容|几)|条的标题|条标题|条的题目|各条|每条|条分别)",
                q.text,
            )
            and not q.about_tasks
        ):
            heads = "；".join(f"{numeral(c.number)}、{c.heading}" for c in self.notice.clauses)
            return Reply(
                f"通知正文共{n}条：{heads}。另有附件「{self.notice.header.attachment_title}」。",
                extra=tuple(Citation(c.source, c.text) for c in self.notice.clauses),
            )
        return None

    # -- refusals and content ----------------------------------------------------------------------------------

    def _unstated_reply(self, kind: str, q: Query) -> Reply:
        message = MESSAGES[kind]
        if kind in ("place", "contact", "issue_date", "person"):
            cites = (Citation("header", self.notice.header.doc_number),) if kind == "issue_date" else ()
            return Reply(message, refused=True, extra=cites)
        if q.tasks:
            good = [n for n in q.tasks if self.notice.task(n)]
            rows = "\n".join(f"第{n}项：{self.notice.tasks[n - 1].content}" for n in good)
            return Reply(
                f"{message}\n通知原文是：\n{rows}" if rows else message,
                refused=True,
                tasks=tuple(good),
                cite=tuple(good),
            )
        related = self._related(q.text)
        if related:
            quotes = "\n".join(f"「{p.text}」（{source_label(p.source)}）" for p in related)
            return Reply(
                f"{message}\n通知相关的原文是：\n{quotes}",
                refused=True,
                extra=tuple(related),
            )
        return Reply(message, refused=True)

    def _related(self, text: str) -> list[Citation]:
        return self._content_answerer.related(text)

    def _content(self, t: _Turn) -> _Turn:
        assert t.query is not None
        reply = self._content_answerer.answer(t.query.text)
        return replace(t, reply=reply, route="refusal" if reply.refused else "content")

    def _citations(self, reply: Reply) -> tuple[Citation, ...]:
        cites = [table.task_citation(self.notice.tasks[n - 1]) for n in reply.cite if self.notice.task(n)]
        out: list[Citation] = []
        # Content citations keep their order of relevance; task rows follow the order the answer gives.
        for c in [*reply.extra, *cites] if reply.extra and not reply.cite else [*cites, *reply.extra]:
            if c not in out:
                out.append(c)
        return tuple(out)

    def _log(self, answer: Answer) -> None:
        shown = (
            answer.question
            if self.log_questions
            else f"sha256:{fingerprint(answer.question)} len={len(answer.question)}"
        )
        log.info(
            "answered %s route=%s refused=%s latency_ms=%.1f sources=%s",
            shown,
            answer.route,
            answer.refused,
            answer.latency_ms,
            ",".join(c.source for c in answer.citations),
        )


def fingerprint(question: str) -> str:
    """A short sha256 prefix that lets logs correlate repeats without holding the text."""
    return hashlib.sha256(question.encode("utf-8", "replace")).hexdigest()[:12]


def _is_greeting(text: str) -> bool:
    return bool(
        re.fullmatch(
            r"(你好|您好|hi|hello|在吗|在不在|谢谢|多谢|再见|你是谁|你能做什么|怎么用|帮助|help)[啊呀吗呢!?。.]*",
            text,
            re.I,
        )
    )


def _asks_tasks(text: str) -> bool:
    return bool(
        re.search(
            r"(任务|工作|事|负责|参与|涉及|承担|牵头|配合|分工|职责|有哪些|管哪|干啥|做啥|几项|多少项)", text
        )
    )


def _looks_like_content(q: Query) -> bool:
    """A question about what the notice says, not about who does which row (怎么 / 如何 / 为什么 …)."""
    return bool(
        re.search(
            r"(怎么|如何|为什么|为何|意义|目的|措施|方式|途径|办法|什么是|是指|含义|意思|从哪|哪里来|哪来)",
            q.text,
        )
    )
