"""Reusable Streamlit widgets: live charts, stop button, show-code expander, API-key field, friendly errors."""
from __future__ import annotations

from typing import Mapping, Sequence

import streamlit as st

from ui.i18n import t


def line_chart(series: Mapping[str, tuple[Sequence[float], Sequence[float]]], *, x_title: str, y_title: str,
               title: str | None = None, log_y: bool = False, height: int = 320):
    """A plotly figure with one line per series name → (xs, ys). Cheap to rebuild on every redraw."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for name, (xs, ys) in series.items():
        fig.add_trace(go.Scatter(x=list(xs), y=list(ys), mode="lines+markers" if len(xs) < 40 else "lines",
                                 name=name))
    fig.update_layout(title=title, xaxis_title=x_title, yaxis_title=y_title, height=height,
                      margin=dict(l=10, r=10, t=40 if title else 10, b=10), legend=dict(orientation="h"))
    if log_y:
        fig.update_yaxes(type="log")
    return fig


def stop_button(job, key: str) -> None:
    """Sets the job's threading.Event; the training loop checks it every step."""
    if job is not None and job.running:
        if st.button(t("common.stop"), key=key, type="secondary", icon="⏹️"):
            job.stop.set()
            st.toast(t("common.stopping"))


def show_code(code: str, filename: str = "train.py") -> None:
    """The exact runnable script for the chosen settings, to paste into Colab or run locally."""
    with st.expander(t("common.show_code"), icon="🧾"):
        st.caption(t("common.show_code_help"))
        st.code(code, language="python")
        st.download_button(t("common.download_script"), code, file_name=filename, mime="text/x-python")


def api_key_field(name: str, label: str) -> str | None:
    """A password field that defaults to the configured key. The value is never echoed, logged or saved."""
    from ui.resources import settings

    configured = settings().api_keys.get(name)
    typed = st.text_input(label, type="password", key=f"apikey.{name}",
                          placeholder=t("common.key_configured") if configured else t("common.key_missing"))
    return typed or configured or None


def show_user_error(exc) -> None:
    """A core.errors.UserError as a friendly, translated message (never a traceback)."""
    st.error(t(exc.key, **exc.params), icon="⚠️")


def show_job_error(job) -> None:
    """A background job's failure: translated when it is a UserError, the exception's text otherwise."""
    from core.errors import UserError

    if isinstance(job.error_exc, UserError):
        show_user_error(job.error_exc)
    elif job.error_exc is not None:
        st.error(f"{t('common.error')}: {job.error}")


def header(title_key: str) -> None:
    """The page title with its course-map icon, so every page looks the same."""
    from ui.course import PAGES

    icon = next((p.icon for p in PAGES if p.title_key == title_key), "")
    st.title(f"{icon} {t(title_key)}".strip())


def live_job(key: str, render, interval: float = 0.5) -> None:
    """Redraw a background core.jobs.Job stored at st.session_state[key] every `interval` s while it runs.

    Only the fragment reruns while polling; when the job finishes one full rerun shows the final results and
    polling stops (run_every is None when nothing runs)."""
    job = st.session_state.get(key)
    running = job is not None and job.running

    @st.fragment(run_every=interval if running else None)
    def _view():
        current = st.session_state.get(key)
        if current is None:
            return
        render(current)
        if running and not current.running:
            st.rerun()

    _view()


def metric_columns(items) -> None:
    """A row of st.metric cards: [(label, value), ...]."""
    for col, (label, value) in zip(st.columns(len(items)), items):
        col.metric(label, value)


def tabbed(sections) -> None:
    """[(label key, render function), ...] → one tab per section, each drawn by its function."""
    for tab, (_, render) in zip(st.tabs([t(key) for key, _ in sections]), sections):
        with tab:
            render()
