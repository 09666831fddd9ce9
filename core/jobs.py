"""Run a metrics generator in a background thread so a page can redraw and stop it.

`Job(make).start()` calls `make(job.stop)` in a thread and appends every item it yields to `job.metrics`; a
failure lands in `job.error` / `job.error_exc` instead of killing the thread silently. `job.stop` is a
threading.Event the generator checks every step — the same event core.train.fit and the LoRA TrainerCallback
use. A Job keeps no result: whatever the work builds (a model) is created before the thread starts and kept by
the caller (pages keep it in session_state), so a Stop never loses it. Pages use it through ui.jobs.job_panel.
"""
from __future__ import annotations

import threading
import traceback
from typing import Any, Callable, Iterator


class Job:
    """One background run of a metrics generator; see the module docstring."""

    def __init__(self, make: Callable[[threading.Event], Iterator[Any]], name: str = "job"):
        self.name = name
        self.stop = threading.Event()
        self.metrics: list[Any] = []
        self.error: str | None = None
        self.error_exc: BaseException | None = None
        self._make = make
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> "Job":
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            for item in self._make(self.stop):
                self.metrics.append(item)
        except Exception as exc:  # shown on the page; the thread must not die silently
            self.error_exc = exc
            self.error = f"{type(exc).__name__}: {exc}"
            traceback.print_exc()
        finally:  # what the work closed over (a model, a provider) is the caller's to keep, not the finished job's:
            self._make = None  # a page's cache can free a big model once its job is over

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    @property
    def stopped_early(self) -> bool:
        return self.stop.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        self._thread.join(timeout)
        return not self._thread.is_alive()
