"""Helpers for the processes the app starts and measures: a free local port for a child server, and the peak
memory of a process tree sampled in a thread (the benches' and the hostile tests' memory bounds)."""
from __future__ import annotations

import socket
import threading


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now (the OS picks it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PeakRSS:
    """Samples the summed RSS of a process and (with `children`) its descendants in a thread; `peak` in bytes,
    `base` the first sample (taken on entering). A child just forked from a big process reports the parent's shared
    pages as its own RSS, so a bound on one process's own growth passes children=False."""

    def __init__(self, pid: int, every: float = 0.25, children: bool = True):
        import psutil

        self.root, self.every, self.peak, self.base = psutil.Process(pid), every, 0, 0
        self.children = children
        self._stop = threading.Event()
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
            self.peak = max(self.peak, self.sample())
            self._stop.wait(self.every)

    def __enter__(self) -> "PeakRSS":
        self.base = self.peak = self.sample()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
