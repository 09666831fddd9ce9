"""Bounds every hostile test shares: a UserError (or HTTP status) within a time and a memory budget, and no file
written anywhere but the temporary and cache folders the test hands out."""
from __future__ import annotations

import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path

# docx, pypdf, torch, PIL: imported once here, as in a running app, so the time bounds measure the work and not
# a first import
import docx  # noqa: F401
import pypdf  # noqa: F401
import pytest
import torch  # noqa: F401
from PIL import Image  # noqa: F401

from core.errors import UserError
from core.procs import PeakRSS
from ui.strings import EN, KO

ROOT = Path(__file__).resolve().parents[2]
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
_watch: dict = {"roots": None, "writes": []}


def _audit(event: str, args: tuple) -> None:
    """Python's audit events see every open/mkdir/rename/remove, whichever library makes it."""
    roots = _watch["roots"]
    if roots is None:
        return
    paths = []
    if event == "open":
        path, mode, flags = args
        if (isinstance(mode, str) and any(c in mode for c in "wax+")) or (flags or 0) & _WRITE_FLAGS:
            paths.append(path)
    elif event in ("os.mkdir", "os.remove", "os.rmdir", "os.truncate", "os.symlink", "os.link"):
        paths.append(args[0])
    elif event in ("os.rename", "shutil.copyfile", "shutil.move"):
        paths.append(args[1])
    for p in paths:
        if isinstance(p, int):
            continue
        p = os.path.abspath(os.fsdecode(p))
        if not any(p == r or p.startswith(r + os.sep) for r in roots):
            _watch["writes"].append((event, p))


sys.addaudithook(_audit)


@pytest.fixture
def sandbox(tmp_path, monkeypatch):
    """tmp and cache folders for the test; any write elsewhere fails it (checked after the test)."""
    tmp, cache = tmp_path / "tmp", tmp_path / "cache"
    tmp.mkdir()
    cache.mkdir()
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    monkeypatch.setenv("TMPDIR", str(tmp))
    _watch["roots"], _watch["writes"] = [str(tmp_path), "/dev"], []
    yield {"tmp": tmp, "cache": cache}
    writes, _watch["roots"] = list(_watch["writes"]), None
    assert writes == [], f"written outside the sandbox: {writes[:5]}"


class CutOff(BaseException):
    """Raised by cutoff(): a BaseException, so no `except Exception` in the code under test can swallow it."""


@contextmanager
def cutoff(seconds: float):
    """Interrupt the block (CutOff) once `seconds` have passed: an input that would keep the code busy for an hour
    fails its test in seconds instead of hanging the suite (main thread only: SIGALRM)."""
    import signal

    def _alarm(_signum, _frame):
        raise CutOff(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextmanager
def bounded(seconds: float = 5.0, rss_mb: float = 300.0):
    """The block must finish within `seconds` and grow this process's RSS by at most `rss_mb` (sampled every 5 ms,
    so a spike that is freed again still counts)."""
    with PeakRSS(os.getpid(), every=0.005, children=False) as rss:
        start = time.perf_counter()
        yield
        elapsed = time.perf_counter() - start
    grown = (rss.peak - rss.base) / 2**20
    assert elapsed < seconds, f"took {elapsed:.1f} s (bound {seconds} s)"
    assert grown < rss_mb, f"RSS grew {grown:.0f} MB (bound {rss_mb} MB)"


def refused(fn, *args, key: str | None = None, seconds: float = 5.0, rss_mb: float = 300.0, **kwargs) -> UserError:
    """fn(*args) must raise a UserError (with `key` when given) inside the bounds; returns it. Work that runs on
    past 3x the time bound is interrupted there (the test fails then instead of hanging)."""
    with bounded(seconds, rss_mb), cutoff(3 * seconds):
        with pytest.raises(UserError) as info:
            fn(*args, **kwargs)
    err = info.value
    if key is not None:
        assert err.key == key, f"{err.key} ({err})"
    for table in (KO, EN):  # what the page will show: a translated message, its placeholders all filled
        assert table[err.key].format(**err.params)
    return err
