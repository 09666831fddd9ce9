"""Widgets several pages share: line chart, show-code expander, API-key field, friendly errors, header, tabs."""
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


def show_code(code: str, filename: str = "train.py", files: Mapping[str, bytes] | None = None) -> None:
    """The exact runnable script for the chosen settings, to paste into Colab or run locally; `files` are data
    files the script reads from its own folder (e.g. an uploaded dataset), offered for download beside it."""
    with st.expander(t("common.show_code"), icon="🧾"):
        st.caption(t("common.show_code_help"))
        st.code(code, language="python")
        st.download_button(t("common.download_script"), code, file_name=filename, mime="text/x-python")
        for name, data in (files or {}).items():
            st.download_button(t("common.download_data", name=name), data, file_name=name, key=f"code.{name}")


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


def header(title_key: str) -> None:
    """The page title with its course-map icon, so every page looks the same."""
    from ui.course import PAGES

    icon = next((p.icon for p in PAGES if p.title_key == title_key), "")
    st.title(f"{icon} {t(title_key)}".strip())


def metric_columns(items) -> None:
    """A row of st.metric cards: [(label, value), ...]."""
    for col, (label, value) in zip(st.columns(len(items)), items):
        col.metric(label, value)


def tabbed(sections) -> None:
    """[(label key, render function), ...] → one tab per section, each drawn by its function."""
    for tab, (_, render) in zip(st.tabs([t(key) for key, _ in sections]), sections):
        with tab:
            render()


def precision_select(key: str, model=None, device: str = "cpu") -> str:
    """fp32 / bf16 / auto (default), with what the choice resolves to on this hardware and why beside it."""
    from core.train import PRECISIONS, plan_precision

    c1, c2 = st.columns([1, 3])
    choice = c1.selectbox(t("precision.label"), PRECISIONS, index=PRECISIONS.index("auto"), key=key,
                          format_func=lambda p: t(f"precision.opt.{p}"), help=t("precision.help"))
    plan = plan_precision(choice, device, model)  # bf16 support is checked once per process
    c2.caption(t("precision.runs_as", label=plan.label, reason=t(plan.reason, **plan.detail)))
    return choice
