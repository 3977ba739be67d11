"""How a notice-qa process collects garbage and hands memory back: start-up and exit costs, idle RSS.

Measured on the 2-core machine (README, "Accuracy and speed"): a cold content answer builds about a million
long-lived objects (LangChain, Chroma, jieba's dictionary, the lexicons), and the cyclic collector walked them
five times over during start-up (~0.5 s) and again at interpreter exit (~0.5 s), while nothing it could free
was there to find. Loading the ONNX session leaves ~35 MB of freed parse buffers that glibc keeps in its
arenas unless asked to give them back, and a server's threads each grow an arena of their own. Nothing here
changes what any answer says.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import functools
import gc
import os
import threading
from collections.abc import Callable, Iterator
from typing import ParamSpec, TypeVar, cast

P = ParamSpec("P")
R = TypeVar("R")

_EXIT_REGISTERED = False
_EXIT_LOCK = threading.Lock()


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Hold the cyclic garbage collector off for a start-up; restore it as it was afterwards.

    Reference counting still frees everything that is not in a cycle; the cycles made while importing and
    loading are few and are collected once the collector runs again."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def quick_exit() -> None:
    """At interpreter exit, freeze what is alive so that the final collections do not walk it (once per process).

    Frozen objects are still freed by reference counting when their modules are torn down; only the
    collector's passes over them are skipped."""
    global _EXIT_REGISTERED
    with _EXIT_LOCK:
        if not _EXIT_REGISTERED:
            atexit.register(gc.freeze)
            _EXIT_REGISTERED = True


def one_shot(run: Callable[P, R]) -> Callable[P, R]:
    """For a command that starts, answers and exits (``notice-qa ask``): the collector paused while it runs,
    and a quick exit after it."""

    @functools.wraps(run)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        quick_exit()
        with collector_paused():
            return run(*args, **kwargs)

    return wrapper


def release_memory() -> bool:
    """Give the heap's free pages back to the OS (glibc ``malloc_trim``); False where there is no glibc."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True


_M_ARENA_MAX = -8  # glibc's mallopt parameter (malloc.h)


def limit_malloc_arenas(arenas: int = 2) -> bool:
    """Let glibc keep at most ``arenas`` malloc arenas (as ``MALLOC_ARENA_MAX`` would), for a server whose many
    threads would otherwise each grow one (up to 8 per core) and keep its freed pages: measured on ``notice-qa
    serve`` after two runs of 64 sessions, ~11 MB less, the same answers per second. Call it before the threads
    start; False where there is no glibc. A deployer's own ``MALLOC_ARENA_MAX`` stands."""
    if arenas <= 0:
        raise ValueError(f"arenas must be > 0, got {arenas}")
    if os.environ.get("MALLOC_ARENA_MAX"):
        return False
    mallopt = _libc_function("mallopt", (ctypes.c_int, ctypes.c_int))
    return mallopt is not None and mallopt(_M_ARENA_MAX, arenas) == 1


def _malloc_trim() -> Callable[..., int] | None:
    return _libc_function("malloc_trim", (ctypes.c_size_t,))


@functools.cache
def _libc_function(name: str, argtypes: tuple[type, ...]) -> Callable[..., int] | None:
    try:
        function = getattr(ctypes.CDLL(None), name)  # the process's own symbols: glibc's, where it is glibc
    except (OSError, AttributeError):  # musl, macOS: no such call; memory stays with the allocator
        return None
    function.argtypes = list(argtypes)
    function.restype = ctypes.c_int
    return cast(Callable[..., int], function)
