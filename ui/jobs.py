"""The job panel: Start → (busy check) → Stop → live redraw → results, for any long run in a background thread.

Every page that trains something uses `job_panel`; the work itself is a generator run by core.jobs.Job.
"""
from __future__ import annotations

import logging
import os
import threading
from typing import Any, Callable, Iterator

import streamlit as st

from core.errors import UserError
from core.jobs import Job
from ui.classroom import teaching
from ui.i18n import t
from ui.resources import settings
from ui.widgets import show_user_error

Work = Callable[[Any], Iterator[Any]]  # work(stop: threading.Event) -> iterator of metrics
_ACTIVE = "jobs.active"  # session key of the panel whose job runs now: one heavy job per session
# Heavy jobs of all sessions share the process: as many run at once as there are cores (one in light mode, a small
# cloud box); a later Start queues, saying so. Five MLP trainings side by side in one server on 2 cores finished
# none in 6 minutes (their live charts and steps fought for the GIL); queued, each takes its ~10 s in turn.
_SLOTS = {True: threading.Semaphore(1), False: threading.Semaphore(os.cpu_count() or 2)}
_RUNNING = [0]  # heavy jobs running in this process now (queued ones excluded)
_COUNT = threading.Lock()
_log = logging.getLogger(__name__)


class _Gate:
    """Wraps work so it first waits for a process-wide slot (checking Stop while it waits)."""

    def __init__(self, work: Work, light: bool):
        self.work, self.slots = work, _SLOTS[light]
        self.waiting = True

    def __call__(self, stop):
        # run once: what the work closed over (a model) goes with this run, so the page's caches free it once the
        # run is over or stopped
        work, self.work = self.work, None
        while not self.slots.acquire(timeout=0.2):
            if stop.is_set():
                return
        self.waiting = False
        with _COUNT:
            _RUNNING[0] += 1
        try:
            yield from work(stop)
        finally:
            with _COUNT:
                _RUNNING[0] -= 1
            self.slots.release()


def job_panel(key: str, label: str, start: Callable[[], Work | None], live: Callable[[Job], None],
              done: Callable[[Job], None] | None = None, *, button_key: str | None = None, icon: str = "🚀",
              disabled: bool = False, interval: float = 0.5,
              replay: Callable[[], Work | None] | None = None) -> Job | None:
    """One background job kept at st.session_state[key], with its Start and Stop buttons and live view.

    - `start()` runs on the click, in the script thread: it prepares data and model (stash in session_state
      whatever must survive a Stop) and returns `work(stop)`, a generator that checks the threading.Event
      `stop`. It may raise UserError (shown, nothing starts) or return None (nothing starts); any other
      exception is shown as a translated failure with its details folded away, and nothing starts either.
    - `live(job)` draws `job.metrics` (everything `work` yielded so far); it reruns every `interval` s while
      the job runs, and once more when it ends. The job's error, if any, is shown above it.
    - `done(job)` draws the results once the job has ended (finished, stopped or failed).
    - `replay()` (optional) is the instructor-mode twin of `start()`: it restores a shipped run's model/state
      into session_state as `start()` would and returns work yielding the stored metrics (ui.classroom.replayer),
      so `live` and `done` draw it unchanged. Its button shows next to Start in instructor mode only.
    While any panel's job runs in this session, every Start button is disabled with a note saying so. Heavy jobs
    of all sessions run at most one per core (one in light mode); a later Start queues, saying so, and live views
    redraw less often while several jobs run.

    Example (a new page)::

        def start():
            model = make_model()
            st.session_state["gan.model"] = model          # Stop never loses it
            return lambda stop: fit(model, loader, None, TrainConfig(epochs=3), stop)

        job_panel("gan.job", t("vis.train"), start,
                  live=lambda job: st.line_chart([m.loss for m in job.metrics]),
                  done=lambda job: st.image(sample(st.session_state["gan.model"])))
    """
    active = st.session_state.get(_ACTIVE)
    other = st.session_state.get(active) if active and active != key else None
    busy_here = _running(st.session_state.get(key))
    busy_other = _running(other)
    blocked = busy_here or busy_other
    with_replay = replay is not None and teaching()
    cols = st.columns([1, 1, 2]) if with_replay else [st]
    clicked = None
    if cols[0].button(label, type="primary", icon=icon, key=button_key or f"{key}.start",
                      disabled=disabled or blocked):
        clicked = start
    if with_replay and cols[1].button(t("class.replay"), icon="▶️", key=f"{key}.replay", disabled=blocked,
                                      help=t("class.replay_help")):
        clicked = replay
    if clicked is not None:
        try:
            work = clicked()
        except UserError as exc:
            show_user_error(exc)
            work = None
        except Exception as exc:  # no check foresaw this input: said in words, the page and the app go on
            show_unexpected_error(exc)
            work = None
        if work is not None:
            if clicked is start:
                work = _Gate(work, settings().light)
                st.session_state[f"{key}.gate"] = work
            else:
                st.session_state.pop(f"{key}.gate", None)
            st.session_state[key] = Job(work, key.split(".")[0]).start()  # named after its page's namespace
            st.session_state[_ACTIVE] = key
            busy_here = True
    if busy_here:
        st.caption(t("jobs.busy"))
    elif busy_other:
        st.caption(t("jobs.busy_other", name=other.name))
    _stop_button(st.session_state.get(key), f"{key}.stop")
    _live_view(key, live, interval)
    job = st.session_state.get(key)
    if done is not None and job is not None and not job.running:
        done(job)
    return job


def _running(job) -> bool:
    return job is not None and job.running


def _stop_button(job, key: str) -> None:
    """Sets the job's threading.Event; the work checks it every step."""
    if _running(job) and st.button(t("common.stop"), key=key, type="secondary", icon="⏹️"):
        job.stop.set()
        st.toast(t("common.stopping"))


def _live_view(key: str, live: Callable[[Job], None], interval: float) -> None:
    """Only the fragment reruns while polling; when the job ends one full rerun draws the results and polling
    stops (run_every is None when nothing runs)."""
    running = _running(st.session_state.get(key))

    # every redraw costs the server's GIL, which the running jobs need too: slower redraws when several run
    @st.fragment(run_every=interval * max(1, _RUNNING[0]) if running else None)
    def _view():
        job = st.session_state.get(key)
        if job is None:
            return
        gate = st.session_state.get(f"{key}.gate")
        if job.running and gate is not None and gate.waiting:
            st.info(t("class.queued"), icon="⏳")
        show_job_error(job)
        live(job)
        if running and not job.running:
            st.rerun()

    _view()


def metrics_so_far(job: Job) -> list:
    """The job's metrics so far; while there are none yet, a 'running' note in their place."""
    metrics = list(job.metrics)
    if not metrics:
        st.info(t("common.running"))
    return metrics


def show_job_error(job: Job) -> None:
    """A job's failure: its translated message when it is a UserError, a translated 'this failed' with the details
    folded away otherwise."""
    if isinstance(job.error_exc, UserError):
        show_user_error(job.error_exc)
    elif job.error_exc is not None:
        show_unexpected_error(job.error_exc)


def show_unexpected_error(exc: BaseException) -> None:
    """Any other exception from start() or the work: a translated message, and the traceback in a closed
    'details' expander (for the instructor or a bug report), never a raw traceback on the page."""
    import traceback

    _log.error("job failed", exc_info=exc)
    st.error(t("jobs.failed", kind=type(exc).__name__), icon="⚠️")
    with st.expander(t("jobs.details"), icon="🔎"):
        st.code("".join(traceback.format_exception(exc)).strip()[-6000:], language="text")
