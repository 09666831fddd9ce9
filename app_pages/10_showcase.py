"""Day 10: the showcase — the student's saved work across the app (runs, search indexes, LoRA adapters, chats),
each with a full-screen present view, and a run exported as a self-contained HTML report."""
from __future__ import annotations

import json

import streamlit as st

from core import report, runs, vectordb
from core.errors import UserError
from ui.i18n import t
from ui.resources import settings, vector_store
from ui.state import session_id
from ui.widgets import header, line_chart, metric_columns, show_user_error

PRESENT = "showcase.present"  # what is on the big screen now: (kind, id) or None
# present mode: the sidebar and Streamlit's toolbar go, the content gets the whole width and bigger type
PRESENT_CSS = """<style>
[data-testid="stSidebar"], [data-testid="stHeader"], [data-testid="stToolbar"] {display: none !important;}
.block-container {max-width: 100% !important; padding-top: 1rem !important;}
[data-testid="stMarkdownContainer"] p, [data-testid="stMetricValue"] {font-size: 1.6rem !important;}
</style>"""


def _run_view(run: runs.Run, big: bool = False) -> None:
    finals = [(k, f"{v:.4g}" if isinstance(v, float) else v) for k, v in run.final.items()
              if isinstance(v, (int, float, str))][:6]
    if finals:
        metric_columns(finals)
    for metric in runs.metrics_of([run]):
        st.plotly_chart(line_chart(runs.curves([run], metric), x_title=t("runs.x"), y_title=metric, title=metric,
                                   height=520 if big else 300), key=f"showcase.{run.id}.{metric}.{big}")
    if not big:
        with st.expander(t("showcase.settings")):
            st.json(run.settings, expanded=False)


def _adapters() -> list[dict]:
    """LoRA adapters saved by the LoRA page: folder, base model, rank and targets from adapter_config.json."""
    found = []
    for cfg in sorted((settings().cache_dir / "lora").glob("*/adapter/adapter_config.json"), reverse=True):
        try:
            meta = json.loads(cfg.read_text())
        except (OSError, ValueError):
            continue
        found.append({"id": cfg.parent.parent.name, "base": str(meta.get("base_model_name_or_path", "?")),
                      "r": meta.get("r"), "targets": ", ".join(map(str, meta.get("target_modules") or [])),
                      "path": str(cfg.parent)})
    return found


def _indexes() -> list[str]:
    """Search indexes this session may see: the shared corpora and its own uploads."""
    try:
        names = vector_store().collections()
    except UserError as exc:
        show_user_error(exc)
        return []
    return [n for n in names if vectordb.visible_to(n, session_id())]


def _present_button(kind: str, item_id: str) -> None:
    if st.button(t("showcase.present"), key=f"showcase.present.{kind}.{item_id}", icon="🎤"):
        st.session_state[PRESENT] = (kind, item_id)
        st.rerun()


def runs_tab(all_runs: list[runs.Run]) -> None:
    if not all_runs:
        st.info(t("showcase.no_runs"))
        return
    by_id = {r.id: r for r in all_runs}
    chosen = st.selectbox(t("showcase.run"), list(by_id), key="showcase.run",
                          format_func=lambda i: f"{by_id[i].created} · {by_id[i].page} · {by_id[i].name}")
    run = by_id[chosen]
    c1, c2 = st.columns(2)
    with c1:
        _present_button("run", run.id)
    title = c2.text_input(t("showcase.report_title"), value=f"{run.page} · {run.name}", key="showcase.title")
    c2.download_button(t("showcase.export"), report.run_html(run, title, script=run.script, note=t("showcase.note")),
                       file_name=f"{run.id}.html", mime="text/html", key="showcase.export", icon="📄")
    _run_view(run)
    if run.script:
        with st.expander(t("showcase.script")):
            st.code(run.script, language="python")


def indexes_tab() -> None:
    names = _indexes()
    if not names:
        st.info(t("showcase.no_indexes"))
        return
    for name in names:
        st.markdown(f"- `{name}`")


def adapters_tab() -> None:
    found = _adapters()
    if not found:
        st.info(t("showcase.no_adapters"))
        return
    st.dataframe(found, hide_index=True)


def chats_tab() -> None:
    messages = st.session_state.get("chat.messages") or []
    if not messages:
        st.info(t("showcase.no_chats"))
        return
    _present_button("chat", "current")
    for m in messages:
        with st.chat_message(m["role"]):
            st.markdown(m["content"])


def present(kind: str, item_id: str, all_runs: list[runs.Run]) -> None:
    st.markdown(PRESENT_CSS, unsafe_allow_html=True)
    if st.button(t("showcase.exit"), key="showcase.exit", icon="↩️"):
        st.session_state[PRESENT] = None
        st.rerun()
    if kind == "run":
        run = next((r for r in all_runs if r.id == item_id), None)
        if run is None:
            st.session_state[PRESENT] = None
            st.rerun()
        st.title(f"{run.page} · {run.name}")
        _run_view(run, big=True)
    else:
        st.title(t("showcase.chat_title"))
        for m in st.session_state.get("chat.messages") or []:
            with st.chat_message(m["role"]):
                st.markdown(m["content"])


all_runs, _ = runs.collect(settings().runs_dir)
if st.session_state.get(PRESENT):
    present(*st.session_state[PRESENT], all_runs)
    st.stop()

header("page.showcase")
st.caption(t("showcase.intro"))
metric_columns([(t("showcase.tab.runs"), len(all_runs)), (t("showcase.tab.adapters"), len(_adapters())),
                (t("showcase.tab.chats"), len(st.session_state.get("chat.messages") or []))])
tabs = st.tabs([t("showcase.tab.runs"), t("showcase.tab.indexes"), t("showcase.tab.adapters"), t("showcase.tab.chats")])
for tab, draw in zip(tabs, (lambda: runs_tab(all_runs), indexes_tab, adapters_tab, chats_tab)):
    with tab:
        draw()
