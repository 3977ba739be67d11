"""A server process on loopback, for the benchmark and the tests: a free port, `notice-qa serve` started with
its output in a file, and a clean stop. One copy, used by eval/bench.py and by tests/processes.py."""

from __future__ import annotations

import socket
import subprocess
import sys
from typing import IO


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_serve(port: int, env: dict[str, str], out: IO[bytes] | int) -> subprocess.Popen[bytes]:
    """`notice-qa serve` on 127.0.0.1:``port`` with ``env``, its stdout and stderr to ``out``."""
    return subprocess.Popen(
        [sys.executable, "-m", "ui.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
    )


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Terminate a server process, killing it if it has not exited within 15 s."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(15)
