"""The review store: answers that went wrong, kept so staff can correct them and eval can learn from them.

Only three kinds of turn are kept: a 👎 (``down``), a refusal (``refused``) and an error (``error``). The
question is scrubbed of phone numbers, ID numbers, e-mail addresses and long digit runs before it is stored
and capped at the question length limit; entries older than ``settings.review.retention_days`` are deleted.
Nothing is stored when ``NOTICE_QA_REVIEW=off``.

One SQLAlchemy 2 Core schema serves SQLite (a file under the data folder, WAL mode, the default) and
PostgreSQL (``NOTICE_QA_REVIEW_URL=postgresql://…``, for replicas sharing one store). The schema carries
its version in ``review_meta``; ``ReviewStore.migrate`` brings an older store up to ``SCHEMA_VERSION``.

``Feedback`` ties the store to the app: it remembers recent answers by an opaque id (so a 👍/👎 can name
one), rate-limits each client, and never lets a store failure reach the chat: the log says why.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import logging
import re
import secrets
import threading
import time
from collections import Counter, OrderedDict, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import Enum
from typing import Any

from corpus.errors import NoticeQAError
from corpus.settings import Settings

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 2
KINDS: tuple[str, ...] = ("down", "refused", "error")
APPS: tuple[str, ...] = ("desk", "kiosk", "api")
VERDICTS: tuple[str, ...] = ("right", "refuse", "expect")
KIND_LABELS = {"down": "没帮助", "refused": "拒答", "error": "出错"}  # no emoji: kiosks may lack the font
APP_LABELS = {"desk": "工作台", "kiosk": "自助机", "api": "API"}
VERDICT_LABELS = {"right": "回答正确", "refuse": "应当拒答", "expect": "期望答案"}


class ReviewError(NoticeQAError):
    """The review store could not do what was asked (bad value, unknown entry, database failure)."""


# Order matters: e-mail and ID numbers before phones, phones before the catch-all digit run.
_DIGIT = "[0-9０-９]"
_SCRUBBERS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "[邮箱]"),
    (re.compile(rf"(?<![0-9０-９]){_DIGIT}{{17}}[0-9０-９Xx]"), "[证件号]"),
    (re.compile(rf"(?:\+?86[ -]?)?1[3-9]{_DIGIT}[ -]?{_DIGIT}{{4}}[ -]?{_DIGIT}{{4}}"), "[电话]"),
    (re.compile(rf"(?<![0-9０-９])0{_DIGIT}{{2,3}}[ -]{_DIGIT}{{7,8}}"), "[电话]"),
    (re.compile(rf"{_DIGIT}{{6,}}"), "[数字]"),
)


def scrub(text: str, limit: int) -> str:
    """``text`` without phone numbers, ID numbers, e-mail addresses or runs of 6+ digits, cut to ``limit``."""
    for pattern, mark in _SCRUBBERS:
        text = pattern.sub(mark, text)
    return text[:limit]


@dataclass(frozen=True)
class NewEntry:
    """A turn to keep, before it is stored (the question not yet scrubbed)."""

    kind: str
    app: str
    question: str
    previous: str = ""
    answer: str = ""
    route: str = ""
    tasks: tuple[int, ...] = ()
    sources: tuple[str, ...] = ()
    reason: str = ""


@dataclass(frozen=True)
class Entry:
    """A stored entry with the staff's verdict, if any."""

    id: int
    created_at: datetime
    kind: str
    app: str
    question: str
    previous: str
    answer: str
    route: str
    tasks: tuple[int, ...]
    sources: tuple[str, ...]
    reason: str
    verdict: str | None
    expect_tasks: tuple[int, ...] | None
    expect_phrase: str


def parse_tasks(text: str) -> tuple[int, ...] | None:
    """``"3, 5，12"`` → (3, 5, 12); None when ``text`` is not a list of task numbers."""
    parts = [p for p in re.split(r"[\s,，、;；]+", text.strip()) if p]
    if not parts or not all(p.isdigit() and int(p) > 0 for p in parts):
        return None
    return tuple(sorted({int(p) for p in parts}))


def _join(values: Iterable[object]) -> str:
    return ",".join(str(v) for v in values)


def _ints(text: str | None) -> tuple[int, ...]:
    return tuple(int(p) for p in (text or "").split(",") if p)


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def engine_url(settings: Settings) -> str:
    """The SQLAlchemy URL: ``settings.review.url`` (postgresql:// uses psycopg 3), else SQLite in data_dir."""
    url = (settings.review.url or "").strip()
    if not url:
        return f"sqlite:///{settings.data_dir / 'review.sqlite3'}"
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


class ReviewStore:
    """The entries table behind SQLAlchemy Core; ``migrate()`` once, then add, list, mark, purge, export."""

    def __init__(self, url: str, *, retention_days: int = 90, question_limit: int = 500) -> None:
        if retention_days <= 0:
            raise ValueError(f"retention_days must be > 0, got {retention_days}")
        import sqlalchemy as sa

        self.retention_days = retention_days
        self.question_limit = question_limit
        if url.startswith("sqlite:///"):
            from pathlib import Path

            folder = Path(url.removeprefix("sqlite:///")).parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise ReviewError(f"cannot make the review store's folder {folder}: {exc.strerror}") from exc
        try:
            self.engine = sa.create_engine(url, pool_pre_ping=True)
        except Exception as exc:
            raise ReviewError(f"cannot open it: {type(exc).__name__}: {exc}") from exc
        if self.engine.dialect.name not in ("sqlite", "postgresql"):
            raise ReviewError(
                f"the review store must be SQLite or PostgreSQL, got {self.engine.dialect.name}"
            )
        if self.engine.dialect.name == "sqlite":
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        self.meta = sa.MetaData()
        self.meta_table = sa.Table(
            "review_meta",
            self.meta,
            sa.Column("key", sa.String(32), primary_key=True),
            sa.Column("value", sa.String(64), nullable=False),
        )
        self.entries_table = sa.Table(
            "review_entries",
            self.meta,
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("created_at", sa.DateTime, nullable=False),
            sa.Column("kind", sa.String(16), nullable=False),
            sa.Column("app", sa.String(16), nullable=False),
            sa.Column("question", sa.Text, nullable=False),
            sa.Column("previous", sa.Text, nullable=False, default=""),
            sa.Column("answer", sa.Text, nullable=False, default=""),
            sa.Column("route", sa.String(32), nullable=False, default=""),
            sa.Column("tasks", sa.String(200), nullable=False, default=""),
            sa.Column("sources", sa.Text, nullable=False, default=""),
            sa.Column("reason", sa.Text, nullable=False, default=""),
            sa.Column("verdict", sa.String(16), nullable=True),
            sa.Column("expect_tasks", sa.String(200), nullable=True),
            sa.Column("expect_phrase", sa.Text, nullable=False, default=""),
            sa.Column("reviewed_at", sa.DateTime, nullable=True),
        )
        # Version 2's step: an index for "newest first" and retention, on stores made by version 1.
        self._created_index = sa.Index("ix_review_entries_created_at", self.entries_table.c.created_at)

    @classmethod
    def from_settings(cls, settings: Settings) -> ReviewStore | None:
        """The migrated store the settings name, or None when ``settings.review.enabled`` is off."""
        if not settings.review.enabled:
            return None
        store = cls(
            engine_url(settings),
            retention_days=settings.review.retention_days,
            question_limit=settings.assistant.max_question_chars,
        )
        store.migrate()
        return store

    # -- schema -------------------------------------------------------------------------------------

    def schema_version(self) -> int:
        """The store's schema version: 0 when empty."""
        import sqlalchemy as sa

        with self._begin() as conn:
            if not sa.inspect(conn).has_table("review_meta"):
                return 0
            row = conn.execute(
                sa.select(self.meta_table.c.value).where(self.meta_table.c.key == "schema_version")
            ).first()
        return int(row[0]) if row else 0

    def migrate(self) -> int:
        """Bring the store to ``SCHEMA_VERSION`` step by step; returns the version it found."""
        import sqlalchemy as sa

        found = self.schema_version()
        if found > SCHEMA_VERSION:
            raise ReviewError(f"review store has schema {found}, newer than this program's {SCHEMA_VERSION}")
        steps: dict[int, Callable[[Any], None]] = {
            1: lambda conn: self.meta.create_all(conn, tables=[self.meta_table, self.entries_table]),
            2: lambda conn: self._created_index.create(conn, checkfirst=True),
        }
        with self._begin() as conn:
            for version in range(found + 1, SCHEMA_VERSION + 1):
                steps[version](conn)
                table = self.meta_table
                conn.execute(sa.delete(table).where(table.c.key == "schema_version"))
                conn.execute(sa.insert(table).values(key="schema_version", value=str(version)))
        return found

    @contextlib.contextmanager
    def _begin(self) -> Iterator[Any]:
        """A transaction; any database error (unreachable, read-only, full) becomes one ReviewError line."""
        import sqlalchemy as sa

        try:
            with self.engine.begin() as conn:
                yield conn
        except sa.exc.SQLAlchemyError as exc:
            raise ReviewError(describe(exc)) from exc

    # -- entries ------------------------------------------------------------------------------------

    def add(self, entry: NewEntry, *, now: datetime | None = None) -> int:
        """Store ``entry`` scrubbed; its id. Raises ReviewError for a bad kind or app, or a database failure."""
        import sqlalchemy as sa

        if entry.kind not in KINDS:
            raise ReviewError(f"kind must be one of {', '.join(KINDS)}, got {entry.kind!r}")
        if entry.app not in APPS:
            raise ReviewError(f"app must be one of {', '.join(APPS)}, got {entry.app!r}")
        limit = self.question_limit
        values = {
            "created_at": now or _utcnow(),
            "kind": entry.kind,
            "app": entry.app,
            "question": scrub(entry.question, limit),
            "previous": scrub(entry.previous, limit),
            "answer": scrub(entry.answer, 20 * limit),
            "route": entry.route[:32],
            "tasks": _join(entry.tasks)[:200],
            "sources": _join(entry.sources),
            # The kiosk keeps no reason (nothing typed beyond the question).
            "reason": "" if entry.app == "kiosk" else scrub(entry.reason, 200),
            "expect_phrase": "",
        }
        with self._begin() as conn:
            key = conn.execute(sa.insert(self.entries_table).values(**values)).inserted_primary_key
        if key is None:
            raise ReviewError("the database gave no id for the new entry")
        return int(key[0])

    def set_reason(self, entry_id: int, reason: str) -> None:
        """Add the desk user's short reason to an entry (scrubbed, 200 characters at most)."""
        self._update(entry_id, reason=scrub(reason.strip(), 200))

    def mark(self, entry_id: int, verdict: str, expectation: str = "") -> Entry:
        """Record the staff's verdict: right, refuse, or expect (task numbers, or a phrase the answer has)."""
        if verdict not in VERDICTS:
            raise ReviewError(f"verdict must be one of {', '.join(VERDICTS)}, got {verdict!r}")
        tasks: tuple[int, ...] | None = None
        phrase = ""
        if verdict == "expect":
            expectation = expectation.strip()
            if not expectation:
                raise ReviewError("期望答案需要任务编号（如 3,5）或答案应包含的短语")
            tasks = parse_tasks(expectation)
            phrase = "" if tasks is not None else scrub(expectation, 200)
        self._update(
            entry_id,
            verdict=verdict,
            expect_tasks=None if tasks is None else _join(tasks),
            expect_phrase=phrase,
            reviewed_at=_utcnow(),
        )
        entry = self.get(entry_id)
        assert entry is not None  # _update checked it exists
        return entry

    def _update(self, entry_id: int, **values: Any) -> None:
        import sqlalchemy as sa

        table = self.entries_table
        with self._begin() as conn:
            result = conn.execute(sa.update(table).where(table.c.id == entry_id).values(**values))
        if result.rowcount == 0:
            raise ReviewError(f"no review entry {entry_id}")

    def get(self, entry_id: int) -> Entry | None:
        import sqlalchemy as sa

        with self._begin() as conn:
            row = conn.execute(
                sa.select(self.entries_table).where(self.entries_table.c.id == entry_id)
            ).first()
        return None if row is None else _entry(row)

    def entries(
        self,
        *,
        kind: str | None = None,
        app: str | None = None,
        since: date | None = None,
        until: date | None = None,
        reviewed: bool | None = None,
        limit: int | None = None,
    ) -> list[Entry]:
        """Entries newest first, filtered by kind, app, day range (inclusive) and whether staff marked them."""
        import sqlalchemy as sa

        t = self.entries_table
        query = sa.select(t).order_by(t.c.created_at.desc(), t.c.id.desc())
        if kind:
            query = query.where(t.c.kind == kind)
        if app:
            query = query.where(t.c.app == app)
        if since:
            query = query.where(t.c.created_at >= datetime.combine(since, datetime.min.time()))
        if until:
            query = query.where(
                t.c.created_at < datetime.combine(until + timedelta(days=1), datetime.min.time())
            )
        if reviewed is not None:
            query = query.where(t.c.verdict.is_not(None) if reviewed else t.c.verdict.is_(None))
        if limit:
            query = query.limit(limit)
        with self._begin() as conn:
            return [_entry(row) for row in conn.execute(query)]

    def purge(self, *, now: datetime | None = None) -> int:
        """Delete entries older than the retention period; how many went."""
        import sqlalchemy as sa

        cutoff = (now or _utcnow()) - timedelta(days=self.retention_days)
        t = self.entries_table
        with self._begin() as conn:
            return int(conn.execute(sa.delete(t).where(t.c.created_at < cutoff)).rowcount)

    def close(self) -> None:
        self.engine.dispose()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
    except Exception as exc:  # a read-only file: reads still work; writes fail and are logged
        logger.warning("review store: cannot set WAL mode: %s", type(exc).__name__)
    finally:
        cursor.close()


def describe(exc: BaseException) -> str:
    """A database error as one line without its SQL or parameters (they would quote the question)."""
    orig = getattr(exc, "orig", None) or exc
    first = str(orig).strip().splitlines()[0] if str(orig).strip() else ""
    return f"{type(orig).__name__}: {first}"[:200]


def _entry(row: Any) -> Entry:
    m = row._mapping
    return Entry(
        id=int(m["id"]),
        created_at=m["created_at"],
        kind=m["kind"],
        app=m["app"],
        question=m["question"],
        previous=m["previous"] or "",
        answer=m["answer"] or "",
        route=m["route"] or "",
        tasks=_ints(m["tasks"]),
        sources=tuple(s for s in (m["sources"] or "").split(",") if s),
        reason=m["reason"] or "",
        verdict=m["verdict"],
        expect_tasks=None if m["expect_tasks"] is None else _ints(m["expect_tasks"]),
        expect_phrase=m["expect_phrase"] or "",
    )


def open_store(settings: Settings) -> ReviewStore | None:
    """The app's store, old entries purged; None when review is off or the store cannot be opened (logged)."""
    try:
        store = ReviewStore.from_settings(settings)
        if store is not None:
            store.purge()
    except Exception as exc:  # an unwritable data folder must not stop the app: the chat answers on
        logger.warning("review: store not available, feedback will not be stored: %s", describe(exc))
        return None
    return store


# -- what staff take away ---------------------------------------------------------------------------


def eval_case(entry: Entry) -> dict[str, Any] | None:
    """A reviewed entry as one case of ``eval.cases``' JSONL format; None when not reviewed."""
    if entry.verdict is None:
        return None
    turns = [t for t in (entry.previous, entry.question) if t.strip()]
    expect: dict[str, Any]
    if entry.verdict == "refuse":
        kind, expect = "refusal", {"refused": True}
    elif entry.verdict == "expect":
        kind = "followup" if len(turns) > 1 else "robustness"
        expect = {"refused": False}
        if entry.expect_tasks is not None:
            expect["tasks"] = list(entry.expect_tasks)
        if entry.expect_phrase:
            expect["contains"] = [entry.expect_phrase]
    else:  # the answer given was right: keep what it was
        kind = "followup" if len(turns) > 1 else ("refusal" if entry.kind == "refused" else "robustness")
        expect = {"refused": entry.kind == "refused"}
        if entry.tasks and entry.kind != "refused":
            expect["tasks"] = list(entry.tasks)
    return {"id": f"review-{entry.id}", "kind": kind, "turns": turns, "expect": expect}


def eval_jsonl(entries: Iterable[Entry]) -> str:
    """The reviewed entries as eval cases, one JSON object per line."""
    cases = [c for e in entries if (c := eval_case(e)) is not None]
    return "".join(json.dumps(c, ensure_ascii=False) + "\n" for c in cases)


CSV_FIELDS = (
    "id",
    "created_at",
    "kind",
    "app",
    "question",
    "previous",
    "answer",
    "route",
    "tasks",
    "sources",
    "reason",
    "verdict",
    "expect_tasks",
    "expect_phrase",
)


def entries_csv(entries: Iterable[Entry]) -> str:
    """The entries as CSV with a header row (UTF-8 text; cells starting with = + - @ are quoted as text)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_FIELDS)
    for e in entries:
        row = [
            e.id,
            e.created_at.isoformat(timespec="seconds"),
            e.kind,
            e.app,
            e.question,
            e.previous,
            e.answer,
            e.route,
            _join(e.tasks),
            _join(e.sources),
            e.reason,
            e.verdict or "",
            "" if e.expect_tasks is None else _join(e.expect_tasks),
            e.expect_phrase,
        ]
        # A spreadsheet would run a cell starting with = + - @ as a formula.
        writer.writerow([f"'{v}" if isinstance(v, str) and v[:1] in "=+-@" else v for v in row])
    return out.getvalue()


_TOPIC_STOP = frozenset(
    {"哪些", "什么", "怎么", "多少", "是否", "可以", "这个", "那个", "请问", "一下", "有没有"}
)


def stats(entries: Sequence[Entry], top: int = 10) -> dict[str, Any]:
    """Counts by kind, ISO week and route, and the most frequent words of unanswered questions."""
    import jieba

    unanswered = [e.question for e in entries if e.kind in ("refused", "error") or e.verdict == "refuse"]
    words: Counter[str] = Counter()
    for q in unanswered:
        words.update(
            {w for w in jieba.lcut(q) if len(w) >= 2 and w not in _TOPIC_STOP and not w.startswith("[")}
        )
    weeks = Counter(
        f"{e.created_at.isocalendar().year}-W{e.created_at.isocalendar().week:02d}" for e in entries
    )
    return {
        "total": len(entries),
        "reviewed": sum(e.verdict is not None for e in entries),
        "by_kind": dict(Counter(e.kind for e in entries).most_common()),
        "by_app": dict(Counter(e.app for e in entries).most_common()),
        "by_week": dict(sorted(weeks.items())),
        "by_route": dict(Counter(e.route or "-" for e in entries).most_common()),
        "unanswered_topics": words.most_common(top),
    }


# -- the app's side ---------------------------------------------------------------------------------


class Verdict(str, Enum):
    """What became of one 👍/👎."""

    STORED = "stored"  # a 👎 kept for review
    THANKS = "thanks"  # a 👍, or a 👎 on an entry already kept: nothing new stored
    UNKNOWN = "unknown"  # no such answer id, or it expired
    LIMITED = "limited"  # too many from this client just now
    FAILED = "failed"  # the store failed; the log says why


# A verdict as an HTTP status and error code (``POST /api/feedback``).
FEEDBACK_STATUS: dict[Verdict, tuple[int, str]] = {
    Verdict.STORED: (200, ""),
    Verdict.THANKS: (200, ""),
    Verdict.FAILED: (200, ""),  # the log says why; the client's feedback was well-formed
    Verdict.UNKNOWN: (404, "unknown_answer"),
    Verdict.LIMITED: (429, "rate_limited"),
}


@dataclass
class _Recent:
    entry: NewEntry
    at: float
    stored_id: int | None = None
    rated: bool = False


@dataclass
class Feedback:
    """Recent answers by id, 👍/👎 on them, and the review store behind (None: nothing is stored).

    An answer id lives ``ttl_seconds`` (at most ``capacity`` are remembered); a client may rate at most
    ``rate_limit`` answers per ``rate_window`` seconds.
    """

    store: ReviewStore | None
    ttl_seconds: float = 3600.0
    capacity: int = 5000
    rate_limit: int = 20
    rate_window: float = 60.0
    clock: Callable[[], float] = time.monotonic
    _recent: OrderedDict[str, _Recent] = field(default_factory=OrderedDict)
    _hits: dict[str, deque[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _purged_at: float = float("-inf")

    def answered(self, entry: NewEntry) -> str:
        """Remember an answer and return its id; a refusal or an error is stored at once."""
        self._purge_now_and_then()
        answer_id = secrets.token_urlsafe(12)
        recent = _Recent(entry, self.clock())
        if entry.kind in ("refused", "error"):
            recent.stored_id = self._store(entry)
        with self._lock:
            self._recent[answer_id] = recent
            while len(self._recent) > self.capacity:
                self._recent.popitem(last=False)
        return answer_id

    def rate(
        self, answer_id: str, helpful: bool, *, client: str = "", reason: str = ""
    ) -> tuple[Verdict, int | None]:
        """A 👍 (helpful) or 👎 on an answer; the verdict and the stored entry's id, if any."""
        now = self.clock()
        with self._lock:
            hits = self._hits.setdefault(client, deque())
            while hits and now - hits[0] > self.rate_window:
                hits.popleft()
            if len(hits) >= self.rate_limit:
                return Verdict.LIMITED, None
            hits.append(now)
            if len(self._hits) > self.capacity:  # forget idle clients
                for key in [k for k, v in self._hits.items() if not v or now - v[-1] > self.rate_window]:
                    del self._hits[key]
            recent = self._recent.get(answer_id)
            if recent is None or now - recent.at > self.ttl_seconds:
                self._recent.pop(answer_id, None)
                return Verdict.UNKNOWN, None
            already = recent.rated
            recent.rated = True
        if already:  # a second tap stores nothing new; a reason typed after the 👎 joins its entry
            if not helpful and recent.stored_id is not None and reason.strip():
                self.add_reason(recent.stored_id, reason)
            return Verdict.THANKS, recent.stored_id
        if helpful or recent.stored_id is not None:
            if not helpful and recent.stored_id is not None and reason.strip():
                self.add_reason(recent.stored_id, reason)
            return Verdict.THANKS, recent.stored_id
        entry = NewEntry(**{**recent.entry.__dict__, "kind": "down", "reason": reason})
        stored = self._store(entry)
        recent.stored_id = stored
        if self.store is None:
            return Verdict.THANKS, None
        return (Verdict.STORED, stored) if stored is not None else (Verdict.FAILED, None)

    def _purge_now_and_then(self) -> None:
        """Retention while the app runs: at most one purge an hour."""
        now = self.clock()
        if self.store is None or now - self._purged_at < 3600:
            return
        self._purged_at = now
        try:
            self.store.purge()
        except Exception as exc:
            logger.warning("review: old entries not purged: %s", describe(exc))

    def add_reason(self, entry_id: int, reason: str) -> bool:
        if self.store is None or not reason.strip():
            return False
        try:
            self.store.set_reason(entry_id, reason)
        except ReviewError as exc:
            logger.warning("review: reason not stored: %s", exc)
            return False
        return True

    def _store(self, entry: NewEntry) -> int | None:
        if self.store is None:
            return None
        try:
            return self.store.add(entry)
        except ReviewError as exc:  # a full or read-only disk must not stop the chat
            logger.warning("review: %s entry not stored: %s", entry.kind, exc)
            return None
        except Exception as exc:
            logger.warning("review: %s entry not stored: %s", entry.kind, describe(exc))
            return None
