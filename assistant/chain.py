"""The chain: question + conversation → answer with citations, composed from LangChain runnables.

check input (the one limit) → normalise → understand (typed query; + the conversation) → answer by its type
    TableQuery  → engine over the parsed rows → phrasing
    HeaderQuery → header facts      ClauseQuery → clauses      Refusal / SmallTalk → their message
    ContentQuery → hybrid retrieval → verbatim sentences (the only path that touches the model)

``Assistant.ask`` is the one owner of a turn's input limit, input cleaning and log line (assistant/turnlog.py):
the CLI, the page and both APIs hand it what the user typed and show what it returns.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import Runnable, RunnableLambda

from assistant.answer import TOO_LONG_ROUTE, Answer, Citation, Reply
from assistant.content import ContentAnswerer
from assistant.conversation import Conversation, follow_up
from assistant.engine import execute
from assistant.header import header_reply
from assistant.normalise import normalise
from assistant.phrasing import (
    ERROR,
    HELP,
    NOT_FOUND,
    TOO_LONG,
    numeral,
    nums,
    render_table,
    source_label,
    task_citation,
)
from assistant.query import (
    ClauseQuery,
    ContentQuery,
    HeaderQuery,
    Intent,
    NumberIn,
    Refusal,
    SmallTalk,
    TableQuery,
    walk,
)
from assistant.scope import MESSAGES
from assistant.turnlog import TurnLog
from assistant.understand import questions_in, read
from corpus.records import Notice

__all__ = ["ERROR", "HELP", "TOO_LONG_ROUTE", "Assistant", "Conversation"]

log = logging.getLogger(__name__)

_SURROGATE = re.compile("[\ud800-\udfff]")
INJECTED = "（问题中附带的“通知”、调整或指令不能改变通知原文；以下按六政办秘〔2018〕123号原文回答。）"
SMALL_TALK = {
    "greeting": HELP,
    "thanks": "不客气。还想了解六政办秘〔2018〕123号通知的哪方面内容，可以接着问。",
    "service": "抱歉，我只能回答关于六政办秘〔2018〕123号通知（深化产教融合重点工作）的问题，不能代办事务或撰写材料。",
}


@dataclass(frozen=True)
class _Turn:
    """What flows through the chain."""

    question: str
    conversation: Conversation | None = None
    text: str = ""
    route: str = ""
    intent: Intent | None = None
    units: tuple[str, ...] = ()
    counties: tuple[str, ...] = ()
    corrections: tuple[tuple[str, str], ...] = ()
    injected: bool = False
    reply: Reply | None = None


class Assistant:
    """Answers questions about one notice. ``retriever_factory`` is called once, on the first content question."""

    def __init__(
        self,
        notice: Notice,
        retriever_factory: Callable[[], BaseRetriever] | None,
        *,
        max_question_chars: int = 500,
        turn_log: TurnLog | None = None,
    ) -> None:
        if max_question_chars <= 0:
            raise ValueError(f"max_question_chars must be > 0, got {max_question_chars}")
        self.notice = notice
        self._factory = retriever_factory
        self._retriever: BaseRetriever | None = None
        self._lock = threading.Lock()
        self._content_answerer = ContentAnswerer(notice, self._retrieve)
        self._category_of = {t.number: t.category for t in notice.tasks}
        self.max_question_chars = max_question_chars
        self.turn_log = turn_log or TurnLog()
        self._answerers: dict[type, Callable[[_Turn], Reply]] = {
            TableQuery: self._table,
            HeaderQuery: self._header,
            ClauseQuery: self._clause,
            ContentQuery: self._content,
            Refusal: self._refusal,
            SmallTalk: self._small_talk,
        }
        self.chain = self._build_chain()

    # -- public ------------------------------------------------------------------------------------------------

    def ask(
        self, question: str, conversation: Conversation | None = None, *, via: str | None = "python"
    ) -> Answer:
        """Answer one question; never raises for what a user typed. Logs the turn's one line as ``via`` (cli,
        page, api, openai); ``via=None`` for a turn replayed to rebuild a conversation, which is not logged again.

        A message that asks two things (「第7项谁牵头？它属于哪一类？」) gets both answers, in order, the second
        reading the first as the conversation does."""
        start = time.perf_counter()
        question = question if isinstance(question, str) else str(question)
        # A lone surrogate (an undecodable byte from argv, a \ud800 JSON escape) cannot be encoded anywhere.
        question = _SURROGATE.sub("\ufffd", question)
        parts = (
            questions_in(question, self.notice) if len(question) <= self.max_question_chars else [question]
        )
        if len(parts) > 1:
            conversation = conversation if conversation is not None else Conversation()
        turns = [self._turn(part, conversation, via) for part in parts]
        reply = turns[0][1] if len(turns) == 1 else _joined([r for _, r in turns])
        turn = turns[-1][0]
        answer = Answer(
            question=question,
            answer=reply.text,
            refused=reply.refused,
            tasks=tuple(sorted(set(reply.tasks))),
            citations=self._citations(reply),
            latency_ms=(time.perf_counter() - start) * 1000,
            route=turn.route,
            units=turn.units,
        )
        if via is not None:
            self.turn_log.turn(answer, via=via)
        return answer

    def _turn(self, question: str, conversation: Conversation | None, via: str | None) -> tuple[_Turn, Reply]:
        """One question through the chain, its notes added and the conversation moved on."""
        try:
            turn: _Turn = self.chain.invoke(_Turn(question=question, conversation=conversation))
        except Exception as exc:  # ours, not the user's: one friendly line; type and frames to the log
            self.turn_log.failure(question, exc, via=via or "replay")
            turn = _Turn(question=question, reply=Reply(ERROR, refused=True), route="error")
        reply = turn.reply or Reply(ERROR, refused=True)
        if turn.corrections and not reply.refused:
            read_as = "，".join(f"「{typed}」按「{name}」理解" for typed, name in turn.corrections)
            reply = replace(reply, text=f"（{read_as}。）\n{reply.text}")
        if turn.injected and not isinstance(turn.intent, SmallTalk):
            reply = replace(reply, text=f"{INJECTED}\n{reply.text}")
        if conversation is not None and turn.intent is not None:
            if isinstance(turn.intent, SmallTalk) or (reply.refused and not reply.tasks):
                conversation.turns += 1  # small talk and refusals (off-topic, injection) keep the subject
            else:
                conversation.remember(turn.intent, reply.tasks, turn.units)
        return turn, reply

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

    def warm(self) -> None:
        """Load the embedding model and open the index now, so the first content question does not wait.

        Never raises: a fault here (an index still being built, a server not up yet) is logged, and the first
        content question opens the index again and names the fix."""
        if self._factory is None:
            return
        try:
            self._content_answerer.answer("产教融合的政策支持")
        except Exception as exc:  # the first real question reports it with its fix
            log.warning("warm start failed: %s", type(exc).__name__)

    def warm_in_background(self) -> threading.Thread:
        """``warm`` on a daemon thread: the page comes up at once and the model loads beside it."""
        thread = threading.Thread(target=self.warm, name="warm-start", daemon=True)
        thread.start()
        return thread

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
        return (
            RunnableLambda(self._check_input).with_config(run_name="check_input")
            | RunnableLambda(self._understand).with_config(run_name="understand")
            | RunnableLambda(self._answer).with_config(run_name="answer")
        )

    def _check_input(self, t: _Turn) -> _Turn:
        raw = t.question.strip()
        if len(raw) > self.max_question_chars:
            reply = Reply(TOO_LONG.format(limit=self.max_question_chars), refused=True)
            return replace(t, reply=reply, route=TOO_LONG_ROUTE)
        text = normalise(raw)
        if not re.search(r"[\w\u4e00-\u9fff]", text):
            return replace(t, reply=Reply(HELP, refused=True), route="input")
        return replace(t, text=text)

    def _understand(self, t: _Turn) -> _Turn:
        if t.reply is not None:
            return t
        conv = t.conversation
        last_units = conv.last_units if conv else ()
        route, intent, s = read(t.text, self.notice, last_units)
        route, intent = follow_up(route, intent, s, t.text, conv, self._category_of)
        units = tuple(intent.focus) if isinstance(intent, TableQuery) else tuple(s.units)
        return replace(
            t,
            route=route,
            intent=intent,
            units=units,
            counties=tuple(s.counties),
            corrections=tuple(s.corrections),
            injected=s.injected,
        )

    def _answer(self, t: _Turn) -> _Turn:
        if t.reply is not None or t.intent is None:
            return t
        reply = self._answerers[type(t.intent)](t)
        route = "refusal" if reply.refused and t.route not in ("input", "error") else _route_name(t.intent)
        return replace(t, reply=reply, route=route)

    # -- one answerer per kind of intent --------------------------------------------------------------------------

    def _table(self, t: _Turn) -> Reply:
        assert isinstance(t.intent, TableQuery)
        reply = render_table(execute(t.intent, self.notice), self.notice)
        if t.counties:
            note = f"通知没有按县区分别列任务；{'、'.join(t.counties)}属于「各县区政府（管委）」，以下是各县区政府（管委）的任务。\n"
            reply = replace(reply, text=note + reply.text)
        bad = [n for n in _asked_numbers(t.intent) if self.notice.task(n) is None]
        if bad:
            total = len(self.notice.tasks)
            missing = f"附件共列{total}项任务（第1至{total}项），没有{nums(bad)}。"
            if not reply.tasks:
                return Reply(missing, refused=True)
            reply = replace(reply, text=f"{reply.text}\n{missing}")
        return reply

    def _header(self, t: _Turn) -> Reply:
        assert isinstance(t.intent, HeaderQuery)
        return header_reply(t.intent.topic, self.notice) or self._content_answerer.answer(t.intent.topic)

    def _clause(self, t: _Turn) -> Reply:
        assert isinstance(t.intent, ClauseQuery)
        q, notice = t.intent, self.notice
        n = len(notice.clauses)
        if q.preamble:
            p = notice.preamble
            return Reply(f"通知开头一段：{p.text}", extra=(Citation(p.source, p.text),))
        if q.numbers:
            good = [c for c in (notice.clause(i) for i in q.numbers) if c is not None]
            if not good:
                return Reply(f"通知正文共{n}条（一至{numeral(n)}），没有第{q.numbers[0]}条。", refused=True)
            lines = [f"第{numeral(c.number)}条「{c.heading}」：{c.text}" for c in good]
            return Reply("\n".join(lines), extra=tuple(Citation(c.source, c.text) for c in good))
        heads = "；".join(f"{numeral(c.number)}、{c.heading}" for c in notice.clauses)
        return Reply(
            f"通知正文共{n}条：{heads}。另有附件「{notice.header.attachment_title}」。",
            extra=tuple(Citation(c.source, c.text) for c in notice.clauses),
        )

    def _content(self, t: _Turn) -> Reply:
        assert isinstance(t.intent, ContentQuery)
        return self._content_answerer.answer(t.intent.topic)

    def _small_talk(self, t: _Turn) -> Reply:
        assert isinstance(t.intent, SmallTalk)
        # A greeting or thanks gets a reply, not a refusal; a request to do something is refused.
        return Reply(SMALL_TALK.get(t.intent.kind, HELP), refused=t.intent.kind == "service")

    def _refusal(self, t: _Turn) -> Reply:
        assert isinstance(t.intent, Refusal)
        q = t.intent
        if q.kind == "unknown_unit":
            names = "、".join(q.unknown_units)
            listed = "、".join(self.notice.units)
            return Reply(
                f"{names}不在本通知附件的责任单位中，通知没有给它分配任务。\n表中的责任单位有：{listed}。",
                refused=True,
            )
        message = MESSAGES.get(q.kind, NOT_FOUND)
        if q.kind in ("place", "contact", "issue_date", "person"):
            cites = (Citation("header", self.notice.header.doc_number),) if q.kind == "issue_date" else ()
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
        related = self._content_answerer.related(q.topic)
        if q.kind in _NUMBER_KINDS and related and _states_the_number(q.topic, related[0].text):
            return self._content_answerer.answer(q.topic)  # 每年评几次 → 每年组织一次: the notice says it
        if related:
            quotes = "\n".join(f"「{p.text}」（{source_label(p.source, self.notice)}）" for p in related)
            return Reply(f"{message}\n通知相关的原文是：\n{quotes}", refused=True, extra=tuple(related))
        return Reply(message, refused=True)

    # -- citations ----------------------------------------------------------------------------------------------

    def _citations(self, reply: Reply) -> tuple[Citation, ...]:
        cites = [task_citation(self.notice.tasks[n - 1]) for n in reply.cite if self.notice.task(n)]
        out: list[Citation] = []
        # Content citations keep their order of relevance; task rows follow the order the answer gives.
        for c in [*reply.extra, *cites] if reply.extra and not reply.cite else [*cites, *reply.extra]:
            if c not in out:
                out.append(c)
        return tuple(out)


def _joined(replies: list[Reply]) -> Reply:
    """The answers to the questions of one message, one after the other."""
    return Reply(
        "\n\n".join(r.text for r in replies),
        tasks=tuple(dict.fromkeys(n for r in replies for n in r.tasks)),
        cite=tuple(dict.fromkeys(n for r in replies for n in r.cite)),
        refused=all(r.refused for r in replies),
        extra=tuple(dict.fromkeys(c for r in replies for c in r.extra)),
    )


def _route_name(intent: Intent) -> str:
    return {
        TableQuery: "table",
        HeaderQuery: "header",
        ClauseQuery: "clause",
        ContentQuery: "content",
        Refusal: "refusal",
        SmallTalk: "help",
    }[type(intent)]


def _asked_numbers(q: TableQuery) -> list[int]:
    """Task numbers the question named itself (not the previous answer's), in order."""
    out: list[int] = []
    for c in walk(q.where):
        if isinstance(c, NumberIn) and not c.previous:
            out.extend(n for n in sorted(c.numbers) if n not in out)
    return out


# Refusals of a number the notice is thought not to give; when the related sentence gives that very count
# (几次 → 一次), the notice does answer.
_NUMBER_KINDS = frozenset({"count", "stats", "amount"})
_NUMERAL = "一二两三四五六七八九十百千万0123456789"


def _states_the_number(question: str, sentence: str) -> bool:
    """Whether ``sentence`` states the count ``question`` asks for: a numeral before the asked classifier."""
    asked = re.search(r"(?:多少|几)([次个家所名位批期届轮])", question)
    return asked is not None and re.search(f"[{_NUMERAL}]{asked.group(1)}", sentence) is not None
