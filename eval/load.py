"""`python -m eval.load`: drive a running app's ``POST /api/ask`` with concurrent sessions, or with a burst.

Examples:
    NOTICE_QA_API_TOKEN=... python -m eval.load --url http://127.0.0.1:7860 --sessions 16 32 --seconds 30 --pid 12345
    python -m eval.load --url http://127.0.0.1:7860 --burst 128 --timeout 30

Each session holds short conversations (table and content questions, a follow-up that needs the previous
turn) under its own session id. A run stops by itself at ``--seconds`` or ``--max-requests``, whichever
comes first, and every request is bounded by ``--timeout``. ``/api/ask`` exists only with a bearer token: the
client sends ``--token`` (default: the server's own setting, ``NOTICE_QA_API_TOKEN``). Only a server on this machine (loopback) is
driven. Figures are printed and written as JSON (reports/load.json); the exit status is 1 when a request
failed or hung, and nothing here asserts.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from corpus.errors import NoticeQAError
from eval.scoring import percentile

if TYPE_CHECKING:
    import httpx

DEFAULT_OUT = Path("reports") / "load.json"
DEFAULT_TIMEOUT = 60.0
DEFAULT_MAX_REQUESTS = 20_000
MAX_CLIENTS = 1_000  # sessions or burst size: a load client, not a flood
RSS_INTERVAL = 1.0
BUSY_RETRIES = 3  # a busy turn is retried, so that its follow-up still has its context
BUSY_BACKOFF = 0.25
# After the deadline, requests in flight get their own timeout; this is the margin beyond both.
_GRACE = 5.0

# Every question appears once, so what it answers is fixed: a follow-up always follows the same turn.
CONVERSATIONS: tuple[tuple[str, ...], ...] = (
    ("哪些任务由市人社局牵头？", "那市财政局呢？", "产教融合资金从哪来？"),
    ("人才培养方面有哪些任务？", "其中市人社局参与的有哪些？", "学生去企业实习实训有什么规定"),
    ("第12项由谁负责？", "社会资本能参与举办职业教育吗", "市教育局负责几项任务？"),
)
BURST_QUESTION = "第12项由谁负责？"
TOKEN_ENV = "NOTICE_QA_API_TOKEN"  # the app's setting api_token: the bearer token of /api/ask


class LoadError(NoticeQAError):
    """An expected failure of the load client (bad URL, server unreachable): one line, exit status 1."""


@dataclass(frozen=True)
class Outcome:
    """One request. ``kind``: ok, busy (a 503 "busy" reply), error, or timeout (no reply in time)."""

    question: str
    kind: str
    latency_ms: float
    status: int | None = None
    tasks: tuple[int, ...] = ()
    detail: str = ""


@dataclass
class RunReport:
    """The figures of one run; ``latency_ms`` is over answered requests, ``busy_latency_ms`` over refusals."""

    mode: str
    clients: int
    seconds: float
    wall_seconds: float
    requests: int
    ok: int
    busy: int
    errors: int
    timeouts: int
    throughput_rps: float
    latency_ms: dict[str, float | None]
    busy_latency_ms: dict[str, float | None]
    error_kinds: dict[str, int] = field(default_factory=dict)
    rss_mb: dict[str, Any] | None = None
    tasks_seen: dict[str, list[list[int]]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def check_loopback(url: str) -> str:
    """``url`` without a trailing slash; LoadError unless it is http(s) on 127.0.0.0/8, ::1 or localhost."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise LoadError(f"--url must look like http://127.0.0.1:7860, got {url!r}")
    host = parts.hostname
    if host != "localhost":
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            raise LoadError(
                f"refusing to load {host!r}: the load client only drives a server on this machine "
                "(127.0.0.1, ::1 or localhost)"
            )
    return url.rstrip("/")


def answer_tasks(body: object) -> tuple[int, ...]:
    """The tasks of a valid ``Answer.to_json()`` body; ValueError naming the first field that is wrong."""
    if not isinstance(body, dict):
        raise ValueError(f"answer is {type(body).__name__}, expected an object")
    for name, kind in (("question", str), ("answer", str), ("refused", bool), ("tasks", list)):
        if not isinstance(body.get(name), kind):
            raise ValueError(f"answer field {name!r} is {body.get(name)!r}")
    if not body["answer"].strip():
        raise ValueError("answer field 'answer' is empty")
    tasks = body["tasks"]
    if not all(isinstance(t, int) and not isinstance(t, bool) for t in tasks) or tasks != sorted(set(tasks)):
        raise ValueError(f"answer field 'tasks' is not ascending task numbers: {tasks!r}")
    citations = body.get("citations")
    if not isinstance(citations, list) or not all(
        isinstance(c, dict) and isinstance(c.get("source"), str) and isinstance(c.get("text"), str)
        for c in citations
    ):
        raise ValueError(f"answer field 'citations' is {citations!r}")
    if not isinstance(body.get("latency_ms"), int | float):
        raise ValueError(f"answer field 'latency_ms' is {body.get('latency_ms')!r}")
    return tuple(tasks)


def read_rss_mb(pid: int) -> float | None:
    """VmRSS of ``pid`` in MiB from /proc, or None once the process is gone."""
    try:
        text = Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return None


def summarise(
    mode: str,
    outcomes: Sequence[Outcome],
    *,
    clients: int,
    seconds: float,
    wall_seconds: float,
    rss_samples: Sequence[tuple[float, float]] | None = None,
) -> RunReport:
    """Counts, throughput (answers per second of wall time), latency percentiles and RSS of one run."""

    def spread(values: list[float]) -> dict[str, float | None]:
        values = sorted(values)
        figures = {f"p{q}": percentile(values, q) for q in (50, 95, 99)}
        figures["max"] = values[-1] if values else None
        return {k: None if v is None else round(v, 1) for k, v in figures.items()}

    kinds = Counter(o.kind for o in outcomes)
    seen: dict[str, list[list[int]]] = {}
    for o in outcomes:
        if o.kind == "ok" and list(o.tasks) not in seen.setdefault(o.question, []):
            seen[o.question].append(list(o.tasks))
    rss: dict[str, Any] | None = None
    if rss_samples:
        rss = {
            "start": rss_samples[0][1],
            "end": rss_samples[-1][1],
            "max": max(mb for _, mb in rss_samples),
            "samples": [list(s) for s in rss_samples],
        }
    return RunReport(
        mode=mode,
        clients=clients,
        seconds=seconds,
        wall_seconds=round(wall_seconds, 2),
        requests=len(outcomes),
        ok=kinds["ok"],
        busy=kinds["busy"],
        errors=kinds["error"],
        timeouts=kinds["timeout"],
        throughput_rps=round(kinds["ok"] / wall_seconds, 2) if wall_seconds > 0 else 0.0,
        latency_ms=spread([o.latency_ms for o in outcomes if o.kind == "ok"]),
        busy_latency_ms=spread([o.latency_ms for o in outcomes if o.kind == "busy"]),
        error_kinds=dict(Counter(o.detail for o in outcomes if o.kind in ("error", "timeout"))),
        rss_mb=rss,
        tasks_seen=seen,
    )


async def ask(
    client: httpx.AsyncClient, url: str, question: str, session: str | None, timeout: float
) -> Outcome:
    """POST one question to ``{url}/api/ask``; never raises, whatever the server does."""
    import httpx

    payload: dict[str, str] = {"question": question}
    if session is not None:
        payload["session"] = session
    started = time.perf_counter()

    def done(kind: str, status: int | None = None, tasks: tuple[int, ...] = (), detail: str = "") -> Outcome:
        return Outcome(question, kind, (time.perf_counter() - started) * 1000, status, tasks, detail)

    try:
        # httpx's timeout is per phase; wait_for bounds the whole request.
        response = await asyncio.wait_for(client.post(f"{url}/api/ask", json=payload), timeout)
    except (TimeoutError, httpx.TimeoutException):
        return done("timeout", detail="timeout")
    except httpx.HTTPError as exc:
        return done("error", detail=type(exc).__name__)
    try:
        body = response.json()
    except ValueError:
        return done("error", response.status_code, detail=f"http_{response.status_code}_not_json")
    if response.status_code == 503 and isinstance(body, dict) and body.get("error") == "busy":
        return done("busy", 503)
    if response.status_code != 200:
        return done("error", response.status_code, detail=f"http_{response.status_code}")
    try:
        tasks = answer_tasks(body)
    except ValueError:
        return done("error", 200, detail="invalid_answer")
    return done("ok", 200, tasks)


class _Budget:
    """At most ``left`` more requests in this run (used on one event loop only)."""

    def __init__(self, left: int) -> None:
        self.left = left

    def take(self) -> bool:
        if self.left <= 0:
            return False
        self.left -= 1
        return True


async def _session(
    client: httpx.AsyncClient,
    url: str,
    index: int,
    scripts: Sequence[Sequence[str]],
    deadline: float,
    budget: _Budget,
    timeout: float,
    outcomes: list[Outcome],
) -> None:
    """Conversations one after another until the deadline or the budget; a new session id for each."""
    cycle = 0
    while time.monotonic() < deadline:
        script = scripts[(index + cycle) % len(scripts)]
        session = f"load-{index}-{cycle}"
        cycle += 1
        for question in script:
            for _ in range(1 + BUSY_RETRIES):
                if time.monotonic() >= deadline or not budget.take():
                    return
                outcome = await ask(client, url, question, session, timeout)
                outcomes.append(outcome)
                if outcome.kind != "busy":
                    break
                await asyncio.sleep(BUSY_BACKOFF)
            if outcome.kind != "ok":  # a follow-up without its context would answer something else
                break


async def _sample_rss(
    pid: int, started: float, samples: list[tuple[float, float]], stop: asyncio.Event
) -> None:
    while True:
        mb = read_rss_mb(pid)
        if mb is not None:
            samples.append((round(time.monotonic() - started, 1), round(mb, 1)))
        if stop.is_set():
            return
        with contextlib.suppress(TimeoutError):  # the interval passed; sample again
            await asyncio.wait_for(stop.wait(), RSS_INTERVAL)


# The server (uvicorn, as Gradio starts it) closes a connection idle for 5 s; a client that keeps one as long
# races it, and a request sent as the server closes fails with ReadError. Idle connections expire sooner here.
KEEPALIVE_EXPIRY_S = 2.0


def load_client(clients: int, timeout: float, headers: dict[str, str] | None = None) -> httpx.AsyncClient:
    """The load generator's HTTP client: ``clients`` connections, loopback only, idle ones dropped in time."""
    import httpx

    limits = httpx.Limits(
        max_connections=clients, max_keepalive_connections=clients, keepalive_expiry=KEEPALIVE_EXPIRY_S
    )
    # trust_env=False: loopback traffic must never go through a proxy from the environment.
    return httpx.AsyncClient(timeout=timeout, limits=limits, trust_env=False, headers=headers)


def _authorise(client: httpx.AsyncClient, token: str | None) -> httpx.AsyncClient:
    """``client`` sending ``Authorization: Bearer <token>`` with every request (nothing without a token)."""
    if token:
        client.headers["authorization"] = f"Bearer {token}"
    return client


async def _warm_up(
    client: httpx.AsyncClient, url: str, scripts: Sequence[Sequence[str]], timeout: float
) -> None:
    """One of each script's questions, untimed: loads the model and checks the server answers at all."""
    for question in dict.fromkeys(q for script in scripts for q in script):
        outcome = await ask(client, url, question, None, timeout)
        if outcome.status == 401:
            raise LoadError(
                f"{url}/api/ask refused the token (401): pass --token or set {TOKEN_ENV} to the server's token"
            )
        if outcome.kind in ("error", "timeout"):
            raise LoadError(f"{url}/api/ask did not answer the warm-up question ({outcome.detail})")


async def _run_sessions(
    url: str,
    sessions: int,
    seconds: float,
    *,
    max_requests: int,
    timeout: float,
    pid: int | None,
    scripts: Sequence[Sequence[str]],
    warmup: bool,
    token: str | None = None,
) -> RunReport:
    outcomes: list[Outcome] = []
    samples: list[tuple[float, float]] = []
    async with _authorise(load_client(sessions, timeout), token) as client:
        if warmup:
            await _warm_up(client, url, scripts, timeout)
        started = time.monotonic()
        deadline = started + seconds
        stop = asyncio.Event()
        sampler = asyncio.create_task(_sample_rss(pid, started, samples, stop)) if pid else None
        budget = _Budget(max_requests)
        workers = [
            _session(client, url, i, scripts, deadline, budget, timeout, outcomes) for i in range(sessions)
        ]
        try:
            # Each request is bounded already; this bounds the run even if that ever failed.
            await asyncio.wait_for(asyncio.gather(*workers), seconds + timeout + _GRACE)
        except TimeoutError:
            outcomes.append(Outcome("", "timeout", (seconds + timeout + _GRACE) * 1000, detail="run_timeout"))
        wall = time.monotonic() - started
        stop.set()
        if sampler is not None:
            await sampler
    return summarise(
        "sessions", outcomes, clients=sessions, seconds=seconds, wall_seconds=wall, rss_samples=samples
    )


async def _run_burst(
    url: str, n: int, *, timeout: float, pid: int | None, question: str, token: str | None = None
) -> RunReport:
    async with _authorise(load_client(n, timeout), token) as client:
        started = time.monotonic()
        before = read_rss_mb(pid) if pid else None
        outcomes = await asyncio.gather(*(ask(client, url, question, None, timeout) for _ in range(n)))
        wall = time.monotonic() - started
        after = read_rss_mb(pid) if pid else None
    samples: list[tuple[float, float]] = [(0.0, round(before, 1))] if before is not None else []
    if after is not None:
        samples.append((round(wall, 1), round(after, 1)))
    return summarise("burst", outcomes, clients=n, seconds=timeout, wall_seconds=wall, rss_samples=samples)


def _check_counts(name: str, value: int, limit: int) -> None:
    if not 0 < value <= limit:
        raise LoadError(f"{name} must be within 1..{limit}, got {value}")


def run_load(
    url: str,
    sessions: int,
    seconds: float,
    *,
    max_requests: int = DEFAULT_MAX_REQUESTS,
    timeout: float = DEFAULT_TIMEOUT,
    pid: int | None = None,
    scripts: Sequence[Sequence[str]] = CONVERSATIONS,
    warmup: bool = True,
    token: str | None = None,
) -> RunReport:
    """``sessions`` concurrent conversations against ``url`` for ``seconds`` (at most ``max_requests``),
    sending ``token`` as the bearer token of ``/api/ask``."""
    url = check_loopback(url)
    _check_counts("sessions", sessions, MAX_CLIENTS)
    _check_counts("max_requests", max_requests, 10 * DEFAULT_MAX_REQUESTS)
    if not 0 < seconds <= 3600 or timeout <= 0:
        raise LoadError(f"need 0 < seconds <= 3600 and timeout > 0, got {seconds}, {timeout}")
    if not scripts or not all(scripts):
        raise LoadError("need at least one non-empty conversation")
    return asyncio.run(
        _run_sessions(
            url,
            sessions,
            seconds,
            max_requests=max_requests,
            timeout=timeout,
            pid=pid,
            scripts=scripts,
            warmup=warmup,
            token=token,
        )
    )


def run_burst(
    url: str,
    n: int,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    pid: int | None = None,
    question: str = BURST_QUESTION,
    token: str | None = None,
) -> RunReport:
    """``n`` one-off questions sent at once: each must be answered, refused as busy, or time out (a hang)."""
    url = check_loopback(url)
    _check_counts("burst", n, MAX_CLIENTS)
    if timeout <= 0:
        raise LoadError(f"timeout must be > 0, got {timeout}")
    return asyncio.run(_run_burst(url, n, timeout=timeout, pid=pid, question=question, token=token))


def _show(report: RunReport) -> None:
    lat, rss = report.latency_ms, report.rss_mb
    label = (
        f"{report.clients} sessions × {report.seconds:g} s"
        if report.mode == "sessions"
        else f"burst of {report.clients}"
    )
    print(f"{label}: {report.requests} requests in {report.wall_seconds:g} s")
    print(
        f"  ok {report.ok}  busy {report.busy}  errors {report.errors}  timeouts {report.timeouts}"
        f"  throughput {report.throughput_rps:g} answers/s"
    )
    print(f"  latency ms  p50 {lat['p50']}  p95 {lat['p95']}  p99 {lat['p99']}  max {lat['max']}")
    if report.busy:
        print(
            f"  busy replies within {report.busy_latency_ms['max']} ms (p50 {report.busy_latency_ms['p50']})"
        )
    if report.error_kinds:
        print(f"  error kinds: {report.error_kinds}")
    if rss:
        print(f"  server RSS MiB  start {rss['start']}  end {rss['end']}  max {rss['max']}")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m eval.load",
        description="Load a running notice-qa app (staff mode, loopback only) through POST /api/ask.",
        epilog="example: python -m eval.load --url http://127.0.0.1:7860 --sessions 16 32 --seconds 30 --pid 1234",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--url", default="http://127.0.0.1:7860", help="the app (default %(default)s)")
    p.add_argument(
        "--sessions",
        type=int,
        nargs="+",
        help="concurrent sessions; several values, several runs (default 16, none with --burst alone)",
    )
    p.add_argument("--seconds", type=float, default=30.0, help="length of each sessions run")
    p.add_argument("--max-requests", type=int, default=DEFAULT_MAX_REQUESTS, help="cap per run")
    p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="per request, in seconds")
    p.add_argument("--questions", nargs="+", metavar="Q", help="one conversation every session asks instead")
    p.add_argument(
        "--burst",
        type=int,
        metavar="N",
        help="N one-off questions at once, past the queue (after any --sessions runs)",
    )
    p.add_argument("--pid", type=int, help="the server's process id, to sample its RSS from /proc")
    p.add_argument(
        "--token",
        default=os.environ.get(TOKEN_ENV) or None,
        help=f"bearer token of /api/ask (default: ${TOKEN_ENV}, as the server reads it)",
    )
    p.add_argument("--no-warmup", action="store_true", help="skip the untimed first question of each kind")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON report (default %(default)s)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    scripts = [tuple(args.questions)] if args.questions else CONVERSATIONS
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    # --burst alone is a burst only; with --sessions, the burst follows the sessions runs.
    runs = args.sessions if args.sessions is not None else ([] if args.burst is not None else [16])
    try:
        reports = [
            run_load(
                args.url,
                n,
                args.seconds,
                max_requests=args.max_requests,
                timeout=args.timeout,
                pid=args.pid,
                scripts=scripts,
                warmup=not args.no_warmup,
                token=args.token,
            )
            for n in runs
        ]
        if args.burst is not None:
            reports.append(
                run_burst(args.url, args.burst, timeout=args.timeout, pid=args.pid, token=args.token)
            )
    except LoadError as exc:
        print(f"eval.load: {exc}", file=sys.stderr)
        return 1
    for report in reports:
        _show(report)
    document = {
        "url": args.url,
        "started_at": started_at,
        "runs": [r.to_json() for r in reports],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 1 if any(r.errors or r.timeouts for r in reports) else 0


if __name__ == "__main__":
    sys.exit(main())
