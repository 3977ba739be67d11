"""Latency, cold start, build time, memory and throughput of the assistant, beside the naive peer's.

Figures only: each is printed next to its target with met / missed, and nothing here asserts. Ratios are
always peer / assistant.
"""

from __future__ import annotations

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

from eval.runner import SupportsAsk
from eval.scoring import percentile
from index.settings import Settings

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
    "content_p50": Target("warm content answer p50", 40.0, "ms"),
    "cold_table": Target("cold start to first table answer (CLI)", 2.0, "s"),
    "build": Target("index build, `notice-qa index --force` in a fresh process", 20.0, "s"),
    "rss": Target("peak RSS of the serving process (after warm and concurrent runs)", 800.0, "MB"),
}


def run_bench(settings: Settings, out_path: Path | None, *, quick: bool = False) -> int:
    """Measure, print and write the figures (``reports/bench.json`` by default); 1 if a CLI run failed."""
    from assistant.wiring import load_assistant
    from eval.peer import NaivePeer
    from index.embeddings import SentenceTransformerEmbeddings

    reps = 3 if quick else 20
    cold_runs = 1 if quick else 3
    answers_per_level = 40 if quick else 200
    mixed = [q for pair in zip(TABLE_QUESTIONS, CONTENT_QUESTIONS, strict=True) for q in pair]

    _say(f"bench: {'quick' if quick else 'full'} run, {os.cpu_count()} CPUs")
    assistant = load_assistant(settings)
    first = _time_call(lambda: assistant.ask(CONTENT_QUESTIONS[0]))  # loads the model, opens the index
    warm = {
        "table": _warm_latency(assistant, TABLE_QUESTIONS, reps),
        "content": _warm_latency(assistant, CONTENT_QUESTIONS, reps),
    }
    rss_after_warm = _self_rss_mb()
    throughput = {str(n): _throughput(assistant, mixed, n, answers_per_level) for n in (1, 4, 16)}
    rss_serving = _self_rss_mb()

    embeddings = SentenceTransformerEmbeddings(settings.resolved_model_dir)
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
        "build": build["cold_s"],
        "rss": rss_serving,
    }
    targets = {
        key: {"target": t.limit, "unit": t.unit, "value": values[key], "met": _met(values[key], t.limit)}
        for key, t in TARGETS.items()
    }
    report: dict[str, Any] = {
        "environment": _environment(quick),
        "first_content_answer_ms": first,
        "warm": warm,
        "cold": cold,
        "build": build,
        "rss": rss,
        "throughput": throughput,
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
    rss: list[float] = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="notice-qa-cold-") as tmp:
            peak = Path(tmp) / "vmhwm"
            cmd = [sys.executable, "-c", _PEAK_RSS_WRAPPER, str(peak), module, *args]
            started = time.perf_counter()
            proc = subprocess.run(cmd, capture_output=True, env=env, check=False)
            elapsed = time.perf_counter() - started
            if proc.returncode != 0:
                last = (proc.stderr.decode("utf-8", "replace").strip().splitlines() or ["no output"])[-1]
                failures.append(f"python -m {module} {' '.join(args)} exited {proc.returncode}: {last}")
                continue
            times.append(elapsed)
            if peak.is_file():
                rss.append(int(peak.read_text() or 0) / 1024)
    return {
        "runs": [round(t, 3) for t in times],
        "median_s": statistics.median(times) if times else None,
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

    header = ("figure", "assistant", "peer", "peer/asst", "target")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(5)]
    lines = [
        "  ".join(
            cell.ljust(widths[i]) if i in (0, 4) else cell.rjust(widths[i]) for i, cell in enumerate(row)
        )
        for row in [header, *rows]
    ]
    lines.insert(1, "-" * len(lines[0]))
    env = r["environment"]
    lines.append(
        f"({env['cpus']} CPUs, torch threads {env['torch_threads']}, load average "
        f"{' '.join(f'{x:.2f}' for x in env['load_average'])}; "
        f"first content answer {r['first_content_answer_ms']:.0f} ms)"
    )
    return "\n".join(lines)


def _fmt(x: float | None, spec: str, suffix: str = "") -> str:
    return "-" if x is None else f"{x:{spec}}{suffix}"
