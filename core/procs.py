"""Helpers for the processes the app starts and measures: a free local port for a child server, and the peak
memory of a process tree sampled in a thread (the benches' and the hostile tests' memory bounds)."""
from __future__ import annotations

import ctypes
import socket
import threading

# glibc mallopt parameters (malloc.h)
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD, _M_ARENA_MAX = -1, -3, -8


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now (the OS picks it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PeakRSS:
    """Samples the summed RSS of a process and (with `children`) its descendants in a thread; `peak` in bytes,
    `base` the first sample (taken on entering), `window_peak` the peak since the last `new_window()` (one step of
    a walk: its own peak, not the walk's so far). A child just forked from a big process reports the parent's
    shared pages as its own RSS, so a bound on one process's own growth passes children=False."""

    def __init__(self, pid: int, every: float = 0.25, children: bool = True):
        import psutil

        self.root, self.every, self.peak, self.base, self.window_peak = psutil.Process(pid), every, 0, 0, 0
        self.children = children
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def sample(self) -> int:
        import psutil

        total = 0
        for proc in [self.root, *(self.root.children(recursive=True) if self.children else [])]:
            try:
                total += proc.memory_info().rss
            except psutil.Error:  # a child that just ended
                pass
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            rss = self.sample()
            with self._lock:
                self.peak = max(self.peak, rss)
                self.window_peak = max(self.window_peak, rss)
            self._stop.wait(self.every)

    def new_window(self) -> None:
        """Start a new window: `window_peak` counts from the RSS now."""
        rss = self.sample()
        with self._lock:
            self.peak = max(self.peak, rss)
            self.window_peak = rss

    def __enter__(self) -> "PeakRSS":
        self.base = self.peak = self.window_peak = self.sample()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def lean_heap(mmap_threshold: int = 128 * 1024, arenas: int = 2) -> bool:
    """Make this process hand freed memory back to the OS (light mode on a small box). glibc raises its mmap
    threshold each time a big block is freed (up to 32 MB), so later tensors land on the heap, where a freed model
    leaves holes the OS never gets back; a fixed threshold keeps every big block in its own mapping, returned when
    it is freed, and the heap's top is trimmed sooner. Arenas (one per thread, up to 8 per core) are capped for
    threads that ask for one from now on. The same as MALLOC_MMAP_THRESHOLD_ / MALLOC_TRIM_THRESHOLD_ /
    MALLOC_ARENA_MAX, which a host such as Community Cloud does not let an app set before it starts. False where
    the C library is not glibc (macOS, musl): nothing changes there.

    Native libraries that bundle their own mimalloc (Kiwi, the Korean analyser: ~250 MB kept after it is freed)
    read MIMALLOC_PURGE_DELAY when they load: 0 hands their freed pages back at once instead of caching them. Set
    here, before any of them is imported; a value the host already set is kept."""
    import os

    os.environ.setdefault("MIMALLOC_PURGE_DELAY", "0")  # mimalloc's documented option (0: purge at once)
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        return False
    return all([mallopt(_M_MMAP_THRESHOLD, mmap_threshold), mallopt(_M_TRIM_THRESHOLD, mmap_threshold),
                mallopt(_M_ARENA_MAX, arenas)])


def trim_heap() -> None:
    """Return the heap's free pages to the OS now (glibc's malloc_trim; a no-op elsewhere)."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass
