"""index.runtime: the collector paused and restored, the quick exit registered once, free memory returned."""

from __future__ import annotations

import gc
import platform
import subprocess
import sys
from collections.abc import Iterator

import pytest

from index import runtime


@pytest.fixture
def collector() -> Iterator[None]:
    """Whatever a test does to the collector, the session gets it back as it was."""
    enabled = gc.isenabled()
    yield
    if enabled:
        gc.enable()
    else:
        gc.disable()


@pytest.mark.usefixtures("collector")
@pytest.mark.parametrize("enabled", [True, False])
def test_the_collector_is_paused_then_restored(enabled: bool) -> None:
    (gc.enable if enabled else gc.disable)()
    with runtime.collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled() is enabled


@pytest.mark.usefixtures("collector")
def test_the_collector_is_restored_when_the_command_fails() -> None:
    gc.enable()
    with pytest.raises(ValueError, match="boom"), runtime.collector_paused():
        raise ValueError("boom")
    assert gc.isenabled()


@pytest.mark.usefixtures("collector")
def test_one_shot_runs_the_command_with_the_collector_paused() -> None:
    gc.enable()
    seen: list[bool] = []

    @runtime.one_shot
    def command(a: int, *, b: int) -> int:
        seen.append(gc.isenabled())
        return a + b

    assert command(2, b=3) == 5
    assert seen == [False]
    assert gc.isenabled()
    assert command.__name__ == "command"


def test_a_one_shot_process_exits_with_its_output_and_status() -> None:
    code = (
        "import sys\n"
        "from index.runtime import one_shot\n"
        "@one_shot\n"
        "def run():\n"
        "    print('answer')\n"
        "    return 3\n"
        "sys.exit(run())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert (done.returncode, done.stdout, done.stderr) == (3, "answer\n", "")


def test_quick_exit_registers_once(monkeypatch: pytest.MonkeyPatch) -> None:
    registered: list[object] = []
    monkeypatch.setattr(runtime, "_EXIT_REGISTERED", False)
    monkeypatch.setattr(runtime.atexit, "register", registered.append)
    runtime.quick_exit()
    runtime.quick_exit()
    assert registered == [gc.freeze]


def test_release_memory_trims_on_glibc() -> None:
    glibc = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"
    assert runtime.release_memory() is glibc


def test_malloc_arenas_are_limited_on_glibc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    glibc = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"
    # 64 is above glibc's own limit here (8 per core): the test process keeps its allocator as it was.
    assert runtime.limit_malloc_arenas(64) is glibc


def test_a_deployers_malloc_arena_max_stands(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert runtime.limit_malloc_arenas() is False


def test_malloc_arenas_must_be_positive() -> None:
    with pytest.raises(ValueError, match="arenas must be > 0, got 0"):
        runtime.limit_malloc_arenas(0)
