"""Run a metrics generator in a background thread so a page can redraw and stop it.

A page keeps the Job in session_state; a fragment with run_every reads job.metrics and redraws. The Stop
button sets job.stop (a threading.Event) which the generator checks every step — the same event that
core.train.fit and the LoRA TrainerCallback use. Whatever the generator built so far (a model) stays in
job.result, so stopping never loses the trained model.
"""
from __future__ import annotations

import threading
import traceback
from typing import Any, Callable, Iterator


class Job:
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

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    @property
    def stopped_early(self) -> bool:
        return self.stop.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        self._thread.join(timeout)
        return not self._thread.is_alive()
