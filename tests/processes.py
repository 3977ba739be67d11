"""Helpers for tests that run a real server process on loopback: the benchmark's own (eval/processes.py)."""

from __future__ import annotations

from eval.processes import free_port, start_serve, stop

__all__ = ["free_port", "start_serve", "stop"]
