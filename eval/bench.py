"""Latency, cold start, build time, memory and throughput of the assistant, beside the naive peer's.

Figures only: each is printed next to its target with met / missed, and nothing here asserts. Ratios are
always peer / assistant. A second table puts the two query paths side by side in the same run: questions
embedded by sentence-transformers (torch, the path before) and by the ONNX export (the default now), each
over its own index in a temp folder — cold CLI content answer, warm content latency, and the RSS of a real
``notice-qa serve`` idle, during 64 concurrent sessions and after them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from corpus.settings import Settings
from eval.processes import free_port, start_serve, stop
from eval.runner import SupportsAsk
from eval.scoring import percentile
from index.embeddings import QueryEncoder

DEFAULT_OUT = Path("reports") / "bench.json"

TABLE_QUESTIONS: tuple[str, ...] = (
    "哪些任务由市人社局牵头？",
    "第12项由谁负责？",
    "市人社局负责哪些任务？",
    "市教育局参与了几项任务？",
    "市财政局配合哪些任务？",
    "第二十一项任务由哪些部门负责",
    "谁牵头的任务最多",
    "第10项属于哪类任务",
    "任务分成几类？",
    "市经信委有哪些任务",
)
CONTENT_QUESTIONS: tuple[str, ...] = (
    "产教融合资金从哪来？",
    "高等教育要融入什么体系",
    "新工科建设是哪项任务里提的",
    "社会资本能参与举办职业教育吗",
    "订单培养的费用谁给补助",
    "学生去企业实习实训有什么规定",
    "股权投资基金用来支持什么",
    "现代新型学徒制的主要内容是什么",
    "企业投资建设职业学校的用地怎么解决",
    "江淮杰出工匠进校园是哪个任务里的",
)


@dataclass(frozen=True)
class Target:
    """A figure's goal: ``value <= limit`` is met."""

    name: str
    limit: float
    unit: str


TARGETS: dict[str, Target] = {
    "table_p50": Target("warm table answer p50", 5.0, "ms"),
    "content_p50": Target("warm content answer p50", 15.0, "ms"),
    "cold_table": Target("cold start to first table answer (CLI)", 2.0, "s"),
    "cold_content": Target("cold start to first content answer (CLI)", 2.0, "s"),
    "build": Target("index build, `notice-qa index --force` in a fresh process", 20.0, "s"),
    "rss": Target("peak RSS of the bench process (after warm and concurrent runs)", 800.0, "MB"),
    "serve_idle": Target("RSS of `notice-qa serve`, idle after its first answers", 500.0, "MB"),
    "serve_burst": Target("RSS of `notice-qa serve`, peak under 64 sessions", 600.0, "MB"),
}

# The query paths compared side by side: before (torch at query time) and after (the ONNX export).
QUERY_PATHS: dict[str, QueryEncoder] = {"before": "sentence-transformers", "after": "onnx"}
SERVE_SESSIONS = 64
_SERVE_START_TIMEOUT = 180.0  # model load and app start on a slow, shared machine
_SETTLE_SECONDS = 3.0  # quiet time before an idle or after-burst RSS reading


def run_bench(settings: Settings, out_path: Path | None, *, quick: bool = False) -> int:
    """Measure, print and write the figures (``reports/bench.json`` by default); 1 if a CLI run failed."""
    from assistant.wiring import load_assistant
    from eval.peer import NaivePeer
    from index.embeddings import SentenceTransformerEmbeddings

    reps = 3 if quick else 20
    cold_runs = 1 if quick else 3
    answers_per_level = 40 if quick else 200
    mixed = [q for pair in zip(TABLE_QUESTIONS, CONTENT_QUESTIONS, strict=True) for q in pair]

    load_at_start = os.getloadavg()
    _say(
        f"bench: {'quick' if quick else 'full'} run, {os.cpu_count()} CPUs, load average {load_at_start[0]:.2f}"
    )
    assistant = load_assistant(settings)
    first = _time_call(lambda: assistant.ask(CONTENT_QUESTIONS[0]))  # loads the model, opens the index
    warm = {
        "table": _warm_latency(assistant, TABLE_QUESTIONS, reps),
        "content": _warm_latency(assistant, CONTENT_QUESTIONS, reps),
    }
    rss_after_warm = _self_rss_mb()
    throughput = {str(n): _throughput(assistant, mixed, n, answers_per_level) for n in (1, 4, 16)}
    rss_serving = _self_rss_mb()

    # The peer stays the tutorial's: sentence-transformers for its questions too.
    embeddings = SentenceTransformerEmbeddings(
        settings.resolved_model_dir, query_encoder="sentence-transformers"
    )
    embeddings.embed_query("预热")  # so that the peer's build time, like the index's, excludes the model load
    peer = NaivePeer(embeddings)
    peer.ask(CONTENT_QUESTIONS[0])
    for kind, questions in (("table", TABLE_QUESTIONS), ("content", CONTENT_QUESTIONS)):
        p = _warm_latency(peer, questions, reps)
        warm[kind] |= {"peer_p50_ms": p["p50_ms"], "peer_p95_ms": p["p95_ms"]}
        warm[kind]["ratio_p50"] = _ratio(p["p50_ms"], warm[kind]["p50_ms"])
    for n, figures in throughput.items():
        p = _throughput(peer, mixed, int(n), answers_per_level)
        figures |= {"peer_per_s": p["per_s"], "ratio": _ratio(p["per_s"], figures["per_s"])}

    failures: list[str] = []
    build = _build_times(settings, failures)
    build |= {"peer_s": peer.build_ms / 1000}
    build["ratio"] = _ratio(build["peer_s"], build["warm_s"])
    cold = {
        "table": _cold("ui.cli", ["ask", TABLE_QUESTIONS[0]], cold_runs, failures),
        "content": _cold("ui.cli", ["ask", CONTENT_QUESTIONS[0]], cold_runs, failures),
        "peer_table": _cold("eval", ["peer", TABLE_QUESTIONS[0]], cold_runs, failures),
        "peer_content": _cold("eval", ["peer", CONTENT_QUESTIONS[0]], cold_runs, failures),
    }
    for kind in ("table", "content"):
        cold[kind]["ratio"] = _ratio(cold[f"peer_{kind}"]["median_s"], cold[kind]["median_s"])
    paths = {
        label: _query_path(settings, encoder, reps, cold_runs, quick, failures)
        for label, encoder in QUERY_PATHS.items()
    }

    rss = {
        "serving_mb": rss_serving,
        "after_warm_mb": rss_after_warm,
        "cli_table_mb": cold["table"]["max_rss_mb"],
        "cli_content_mb": cold["content"]["max_rss_mb"],
        "peer_cli_table_mb": cold["peer_table"]["max_rss_mb"],
        "peer_cli_content_mb": cold["peer_content"]["max_rss_mb"],
    }
    values = {
        "table_p50": warm["table"]["p50_ms"],
        "content_p50": warm["content"]["p50_ms"],
        "cold_table": cold["table"]["median_s"],
        "cold_content": paths["after"]["cold_content_s"],
        "build": build["cold_s"],
        "rss": rss_serving,
        "serve_idle": paths["after"]["serve"].get("idle_mb"),
        "serve_burst": paths["after"]["serve"].get("peak_mb"),
    }
    targets = {
        key: {"target": t.limit, "unit": t.unit, "value": values[key], "met": _met(values[key], t.limit)}
        for key, t in TARGETS.items()
    }
    report: dict[str, Any] = {
        "environment": _environment(quick) | {"load_average_at_start": load_at_start},
        "first_content_answer_ms": first,
        "warm": warm,
        "cold": cold,
        "build": build,
        "rss": rss,
        "throughput": throughput,
        "query_paths": paths,
        "targets": targets,
        "failures": failures,
    }
    print(format_report(report))
    path = out_path or DEFAULT_OUT
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"figures: {path}")
    for failure in failures:
        print(f"FAILED: {failure}", file=sys.stderr)
    return 1 if failures else 0


# -- measurements --------------------------------------------------------------------------------


def _time_call(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def _warm_latency(asker: SupportsAsk, questions: Sequence[str], reps: int) -> dict[str, Any]:
    """Wall time of ``ask`` per question, each asked ``reps`` times after one untimed pass."""
    for q in questions:
        asker.ask(q)
    times: list[float] = []
    for _ in range(reps):
        for q in questions:
            started = time.perf_counter()
            asker.ask(q)
            times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {"n": len(times), "p50_ms": percentile(times, 50), "p95_ms": percentile(times, 95)}


def _throughput(asker: SupportsAsk, questions: Sequence[str], callers: int, count: int) -> dict[str, Any]:
    """Answers per second for ``count`` answers spread over ``callers`` threads."""
    work = [questions[i % len(questions)] for i in range(count)]
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=callers) as pool:
        list(pool.map(asker.ask, work))
    seconds = time.perf_counter() - started
    return {"callers": callers, "answers": count, "seconds": seconds, "per_s": count / seconds}


def _query_path(
    settings: Settings, encoder: QueryEncoder, reps: int, cold_runs: int, quick: bool, failures: list[str]
) -> dict[str, Any]:
    """One query path over its own index in a temp data dir: warm content latency in this process, a cold
    CLI content answer, and a real ``notice-qa serve`` measured idle, under load and after it."""
    from assistant.wiring import load_assistant
    from corpus.parser import parse_notice
    from index.embeddings import SentenceTransformerEmbeddings
    from index.store import build_index

    model_dir = settings.resolved_model_dir
    with tempfile.TemporaryDirectory(prefix=f"notice-qa-bench-{encoder}-") as tmp:
        update = {"data_dir": Path(tmp), "model_dir": model_dir, "chroma_url": None, "query_encoder": encoder}
        temp = settings.model_copy(update=update)
        embeddings = SentenceTransformerEmbeddings(model_dir, query_encoder=encoder)
        notice = parse_notice()
        build_index(temp, embeddings, notice, progress=False)  # current before any child process opens it
        _say(f"bench: query path {encoder} ({embeddings.query_encoder_id})")
        assistant = load_assistant(temp, notice)
        assistant.ask(CONTENT_QUESTIONS[0])
        warm = _warm_latency(assistant, CONTENT_QUESTIONS, reps)
        env = {
            "NOTICE_QA_DATA_DIR": tmp,
            "NOTICE_QA_MODEL_DIR": str(model_dir),
            "NOTICE_QA_CHROMA_URL": "",
            "NOTICE_QA_QUERY_ENCODER": encoder,
        }
        cold = _cold("ui.cli", ["ask", CONTENT_QUESTIONS[0]], cold_runs, failures, env=env)
        serve = _serve_memory(env, 5.0 if quick else 15.0, failures)
    return {
        "query_encoder": embeddings.query_encoder_id,
        "warm_content_p50_ms": warm["p50_ms"],
        "warm_content_p95_ms": warm["p95_ms"],
        "cold_content_s": cold["median_s"],
        "cold_content_cpu_s": cold["median_cpu_s"],
        "cold_content_runs": cold["runs"],
        "cold_content_rss_mb": cold["max_rss_mb"],
        "serve": serve,
    }


def _serve_memory(env: dict[str, str], seconds: float, failures: list[str]) -> dict[str, Any]:
    """RSS of ``notice-qa serve`` (staff mode, loopback): idle after one pass of questions, the peak under two
    runs of SERVE_SESSIONS sessions, and after each run; whether torch is mapped into the process."""
    from eval.load import read_rss_mb

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    token = "bench-token"
    child_env = (
        os.environ
        | {
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "GRADIO_ANALYTICS_ENABLED": "False",
            "NOTICE_QA_KIOSK": "false",
            "NOTICE_QA_API_TOKEN": token,
        }
        | env
    )
    label = env["NOTICE_QA_QUERY_ENCODER"]
    figures: dict[str, Any] = {}
    with tempfile.TemporaryFile() as log:
        proc = start_serve(port, child_env, log)
        try:
            started = time.perf_counter()
            if not _wait_healthy(url, proc, _SERVE_START_TIMEOUT):
                log.seek(0)
                last = (log.read().decode("utf-8", "replace").strip().splitlines() or ["no output"])[-1]
                failures.append(f"notice-qa serve ({label}) did not start: {last}")
                return figures
            figures["start_s"] = round(time.perf_counter() - started, 2)
            warm = asyncio.run(_sessions(url, token, 1, 0.0, None))  # one pass: loads the query encoder
            if warm["errors"]:
                failures.append(f"notice-qa serve ({label}) did not answer: {warm['errors']}")
                return figures
            time.sleep(_SETTLE_SECONDS)
            figures["idle_mb"] = read_rss_mb(proc.pid)
            peaks: list[float] = []
            for run in (1, 2):
                result = asyncio.run(_sessions(url, token, SERVE_SESSIONS, seconds, proc.pid))
                if result["errors"]:
                    failures.append(f"notice-qa serve ({label}) run {run}: {result['errors']}")
                peaks.append(result["peak_mb"])
                figures[f"run{run}_answers_per_s"] = result["answers_per_s"]
                figures[f"run{run}_p50_ms"] = result["p50_ms"]
                time.sleep(_SETTLE_SECONDS)
                figures[f"after_run{run}_mb"] = read_rss_mb(proc.pid)
            figures["peak_mb"] = max(peaks)
            figures["torch_loaded"] = _maps_torch(proc.pid)
        except (TimeoutError, OSError) as exc:  # a hung run or a vanished server is a failure, not a crash
            failures.append(f"notice-qa serve ({label}): {type(exc).__name__} {exc}")
        finally:
            stop(proc)
    return figures


async def _sessions(url: str, token: str, sessions: int, seconds: float, pid: int | None) -> dict[str, Any]:
    """``sessions`` conversations (eval.load's scripts) against ``POST /api/ask`` for ``seconds`` (each at
    least one script), sampling the server's RSS every second; answers/s, p50, peak RSS and error kinds."""

    from eval.load import CONVERSATIONS, ask, load_client, read_rss_mb

    latencies: list[float] = []
    errors: dict[str, int] = {}
    peak = [read_rss_mb(pid) or 0.0] if pid else [0.0]
    headers = {"authorization": f"Bearer {token}"}
    started = time.monotonic()
    deadline = started + seconds

    async def converse(i: int) -> None:
        n = 0
        while n == 0 or time.monotonic() < deadline:
            for question in CONVERSATIONS[(i + n) % len(CONVERSATIONS)]:
                outcome = await ask(client, url, question, f"bench-{i}-{n}", 60.0)
                if outcome.kind == "ok":
                    latencies.append(outcome.latency_ms)
                elif outcome.kind != "busy":
                    errors[outcome.detail or outcome.kind] = errors.get(outcome.detail or outcome.kind, 0) + 1
            n += 1

    async def sample(stop: asyncio.Event) -> None:
        while pid and not stop.is_set():
            peak.append(read_rss_mb(pid) or 0.0)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 1.0)

    async with load_client(sessions, 60.0, headers) as client:
        stop = asyncio.Event()
        sampler = asyncio.create_task(sample(stop))
        await asyncio.wait_for(asyncio.gather(*(converse(i) for i in range(sessions))), seconds + 120.0)
        stop.set()
        await sampler
    if pid:
        peak.append(read_rss_mb(pid) or 0.0)
    wall = time.monotonic() - started
    latencies.sort()
    return {
        "answers_per_s": len(latencies) / wall if wall > 0 else None,
        "p50_ms": percentile(latencies, 50),
        "peak_mb": max(peak),
        "errors": errors,
    }


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], timeout: float) -> bool:
    import httpx

    deadline = time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=5, trust_env=False).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    return False


def _maps_torch(pid: int) -> bool | None:
    """Whether torch's library is mapped into ``pid`` (None when /proc cannot tell)."""
    try:
        return "libtorch" in Path(f"/proc/{pid}/maps").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def _build_times(settings: Settings, failures: list[str]) -> dict[str, Any]:
    """A forced rebuild into a temp data_dir: ``notice-qa index --force`` in a fresh process (cold: imports and
    model load included), then in this process with a loaded model (warm: splitting, embedding, writing)."""
    from corpus.parser import parse_notice
    from index.embeddings import SentenceTransformerEmbeddings
    from index.store import build_index

    with tempfile.TemporaryDirectory(prefix="notice-qa-bench-") as tmp:
        model_dir = settings.resolved_model_dir
        env = {"NOTICE_QA_DATA_DIR": tmp, "NOTICE_QA_MODEL_DIR": str(model_dir), "NOTICE_QA_CHROMA_URL": ""}
        cold = _cold("ui.cli", ["index", "--force"], 1, failures, env=env)
        temp = Settings(data_dir=Path(tmp), model_dir=model_dir, chroma_url=None)
        embeddings = SentenceTransformerEmbeddings(model_dir)
        embeddings.embed_query("预热")  # load the model outside the timed build
        started = time.perf_counter()
        index = build_index(temp, embeddings, parse_notice(), progress=False)
        warm_s = time.perf_counter() - started
    return {
        "cold_s": cold["median_s"],
        "cold_rss_mb": cold["max_rss_mb"],
        "warm_s": warm_s,
        "documents": len(index.documents),
    }


# Runs a module as ``python -m`` would, then writes the process's own peak RSS (VmHWM) to argv[1] at exit.
# Neither wait4's rusage nor getrusage in the child will do: Linux folds the pre-exec memory (a copy of this
# already large process) into the child's maxrss, so every child would report the parent's size.
_PEAK_RSS_WRAPPER = """
import atexit, runpy, sys
out, module = sys.argv[1], sys.argv[2]
def _peak():
    with open("/proc/self/status") as f:
        kib = next((line.split()[1] for line in f if line.startswith("VmHWM:")), "0")
    with open(out, "w") as f:
        f.write(kib)
atexit.register(_peak)
sys.argv = [module, *sys.argv[3:]]
runpy.run_module(module, run_name="__main__", alter_sys=True)
"""


def _cold(
    module: str, args: list[str], runs: int, failures: list[str], *, env: dict[str, str] | None = None
) -> dict[str, Any]:
    """Wall time and peak RSS of ``python -m module args`` in a fresh process, median over ``runs``."""
    env = os.environ | {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"} | (env or {})
    times: list[float] = []
    cpu: list[float] = []
    rss: list[float] = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="notice-qa-cold-") as tmp:
            peak = Path(tmp) / "vmhwm"
            cmd = [sys.executable, "-c", _PEAK_RSS_WRAPPER, str(peak), module, *args]
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            proc = subprocess.run(cmd, capture_output=True, env=env, check=False)
            elapsed = time.perf_counter() - started
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            if proc.returncode != 0:
                last = (proc.stderr.decode("utf-8", "replace").strip().splitlines() or ["no output"])[-1]
                failures.append(f"python -m {module} {' '.join(args)} exited {proc.returncode}: {last}")
                continue
            times.append(elapsed)
            # CPU seconds (user + system, all threads): less swayed than wall time by others' load on the cores.
            cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
            if peak.is_file():
                rss.append(int(peak.read_text() or 0) / 1024)
    return {
        "runs": [round(t, 3) for t in times],
        "median_s": statistics.median(times) if times else None,
        "median_cpu_s": statistics.median(cpu) if cpu else None,
        "max_rss_mb": max(rss) if rss else None,
    }


def _self_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def _environment(quick: bool) -> dict[str, Any]:
    import torch

    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "load_average": os.getloadavg(),
        "quick": quick,
    }


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def _met(value: float | None, limit: float) -> bool | None:
    return None if value is None else value <= limit


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- the printed report --------------------------------------------------------------------------


def format_report(r: dict[str, Any]) -> str:
    """The figures as a compact text table: assistant, peer, peer/assistant, target, met / missed."""
    t = r["targets"]
    rows: list[tuple[str, str, str, str, str]] = []

    def add(
        label: str, value: float | None, peer: float | None, ratio: float | None, fmt: str, key: str = ""
    ) -> None:
        target = verdict = ""
        if key:
            target = f"≤ {t[key]['target']:g} {t[key]['unit']}"
            verdict = {True: "met", False: "MISSED", None: "-"}[t[key]["met"]]
        rows.append(
            (label, _fmt(value, fmt), _fmt(peer, fmt), _fmt(ratio, ".2f", "x"), f"{target} {verdict}".strip())
        )

    for kind in ("table", "content"):
        w = r["warm"][kind]
        add(f"warm {kind} p50 ms", w["p50_ms"], w["peer_p50_ms"], w["ratio_p50"], ".2f", f"{kind}_p50")
        add(
            f"warm {kind} p95 ms", w["p95_ms"], w["peer_p95_ms"], _ratio(w["peer_p95_ms"], w["p95_ms"]), ".2f"
        )
    for kind in ("table", "content"):
        c = r["cold"][kind]
        p = r["cold"][f"peer_{kind}"]
        add(
            f"cold {kind} CLI s",
            c["median_s"],
            p["median_s"],
            c["ratio"],
            ".2f",
            "cold_table" if kind == "table" else "",
        )
    b = r["build"]
    add("build s (CLI, cold)", b["cold_s"], None, None, ".2f", "build")
    add("build s (model loaded)", b["warm_s"], b["peer_s"], b["ratio"], ".2f")
    m = r["rss"]
    add("RSS MB serving", m["serving_mb"], None, None, ".0f", "rss")
    add("RSS MB after warm runs", m["after_warm_mb"], None, None, ".0f")
    for kind in ("table", "content"):
        mine, peer = m[f"cli_{kind}_mb"], m[f"peer_cli_{kind}_mb"]
        add(f"RSS MB CLI {kind}", mine, peer, _ratio(peer, mine), ".0f")
    for n, tp in r["throughput"].items():
        add(f"answers/s, {n} callers", tp["per_s"], tp["peer_per_s"], tp["ratio"], ".1f")

    lines = _table(("figure", "assistant", "peer", "peer/asst", "target"), rows)
    if r.get("query_paths"):
        lines += ["", *_paths_table(r["query_paths"], t)]
    env = r["environment"]
    start = env.get("load_average_at_start")
    lines.append(
        f"({env['cpus']} CPUs, torch threads {env['torch_threads']}, load average "
        + (f"{' '.join(f'{x:.2f}' for x in start)} at the start, " if start else "")
        + f"{' '.join(f'{x:.2f}' for x in env['load_average'])} at the end; "
        f"first content answer {r['first_content_answer_ms']:.0f} ms)"
    )
    return "\n".join(lines)


def _table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> list[str]:
    """Rows under a header and a rule; the first and last columns left-aligned, the rest right-aligned."""
    last = len(header) - 1
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(
            cell.ljust(widths[i]) if i in (0, last) else cell.rjust(widths[i]) for i, cell in enumerate(row)
        )
        for row in [header, *rows]
    ]
    lines.insert(1, "-" * len(lines[0]))
    return lines


def _paths_table(paths: dict[str, Any], t: dict[str, Any]) -> list[str]:
    """Before (sentence-transformers queries) and after (ONNX queries), the after column against the targets."""
    before, after = paths["before"], paths["after"]
    rows: list[tuple[str, ...]] = []

    def add(label: str, key: str, fmt: str, target: str = "", serve: bool = False) -> None:
        b = before["serve"].get(key) if serve else before.get(key)
        a = after["serve"].get(key) if serve else after.get(key)
        verdict = ""
        if target:
            limit = t[target]["target"]
            verdict = (
                f"≤ {limit:g} {t[target]['unit']} "
                + {True: "met", False: "MISSED", None: "-"}[_met(a, limit)]
            )
        rows.append((label, _fmt(b, fmt), _fmt(a, fmt), _fmt(_ratio(b, a), ".1f", "x"), verdict))

    add("cold CLI content answer s", "cold_content_s", ".2f", "cold_content")
    add("cold CLI content answer, CPU s", "cold_content_cpu_s", ".2f")
    add("RSS MB CLI content", "cold_content_rss_mb", ".0f")
    add("warm content p50 ms", "warm_content_p50_ms", ".2f", "content_p50")
    add("warm content p95 ms", "warm_content_p95_ms", ".2f")
    add("serve: start to healthy s", "start_s", ".1f", serve=True)
    add("serve: RSS MB idle", "idle_mb", ".0f", "serve_idle", serve=True)
    add(f"serve: RSS MB peak, {SERVE_SESSIONS} sessions", "peak_mb", ".0f", "serve_burst", serve=True)
    add("serve: RSS MB after run 1", "after_run1_mb", ".0f", serve=True)
    add("serve: RSS MB after run 2", "after_run2_mb", ".0f", serve=True)
    add(f"serve: answers/s, {SERVE_SESSIONS} sessions", "run2_answers_per_s", ".1f", serve=True)
    torch_row = tuple(
        {True: "yes", False: "no", None: "-"}[p["serve"].get("torch_loaded")] for p in (before, after)
    )
    rows.append(("serve: torch loaded", *torch_row, "", ""))
    header = (
        "query path",
        f"before ({before['query_encoder']})",
        f"after ({after['query_encoder']})",
        "b/a",
        "",
    )
    return _table(header, rows)


def _fmt(x: float | None, spec: str, suffix: str = "") -> str:
    return "-" if x is None else f"{x:{spec}}{suffix}"
