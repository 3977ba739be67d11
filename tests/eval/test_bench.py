"""The bench's before/after table of the two query paths (figures made up; nothing is measured here)."""

from __future__ import annotations

from typing import Any

import pytest

from eval.bench import QUERY_PATHS, SERVE_SESSIONS, TARGETS, _met, _paths_table


def _targets(values: dict[str, float | None]) -> dict[str, Any]:
    return {
        key: {
            "target": t.limit,
            "unit": t.unit,
            "value": values.get(key),
            "met": _met(values.get(key), t.limit),
        }
        for key, t in TARGETS.items()
    }


def _path(encoder: str, cold: float, p50: float, serve: dict[str, Any]) -> dict[str, Any]:
    return {
        "query_encoder": encoder,
        "warm_content_p50_ms": p50,
        "warm_content_p95_ms": p50 * 2,
        "cold_content_s": cold,
        "cold_content_cpu_s": cold * 0.8,
        "cold_content_runs": [cold],
        "cold_content_rss_mb": 700.0,
        "serve": serve,
    }


def _row(lines: list[str], label: str) -> list[str]:
    line = next(line for line in lines if line.startswith(label))
    return line[len(label) :].split()


def test_paths_table_puts_before_beside_after_with_the_after_verdicts() -> None:
    before = _path(
        "sentence-transformers",
        9.3,
        20.0,
        {
            "idle_mb": 862.0,
            "peak_mb": 960.0,
            "after_run1_mb": 955.0,
            "after_run2_mb": 958.0,
            "torch_loaded": True,
        },
    )
    after = _path(
        "onnx@0123",
        1.9,
        16.0,
        {
            "idle_mb": 480.0,
            "peak_mb": 650.0,
            "after_run1_mb": 500.0,
            "after_run2_mb": 501.0,
            "torch_loaded": False,
        },
    )
    lines = _paths_table({"before": before, "after": after}, _targets({"content_p50": 16.0}))
    assert "before (sentence-transformers)" in lines[0]
    assert "after (onnx@0123)" in lines[0]
    assert _row(lines, "cold CLI content answer s") == ["9.30", "1.90", "4.9x", "≤", "2", "s", "met"]
    assert _row(lines, "cold CLI content answer, CPU s") == ["7.44", "1.52", "4.9x"]
    assert _row(lines, "warm content p50 ms") == ["20.00", "16.00", "1.2x", "≤", "15", "ms", "MISSED"]
    assert _row(lines, "serve: RSS MB idle") == ["862", "480", "1.8x", "≤", "500", "MB", "met"]
    assert _row(lines, f"serve: RSS MB peak, {SERVE_SESSIONS} sessions") == [
        "960", "650", "1.5x", "≤", "600", "MB", "MISSED",
    ]  # fmt: skip
    assert _row(lines, "serve: torch loaded") == ["yes", "no"]


def test_a_server_that_did_not_start_shows_dashes() -> None:
    before = _path("sentence-transformers", 9.3, 20.0, {})
    after = _path("onnx@0123", 1.9, 16.0, {})
    lines = _paths_table({"before": before, "after": after}, _targets({}))
    assert _row(lines, "serve: RSS MB idle") == ["-", "-", "-", "≤", "500", "MB", "-"]
    assert _row(lines, "serve: torch loaded") == ["-", "-"]


@pytest.mark.parametrize(("label", "encoder"), [("before", "sentence-transformers"), ("after", "onnx")])
def test_the_compared_paths(label: str, encoder: str) -> None:
    assert QUERY_PATHS[label] == encoder
