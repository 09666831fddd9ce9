"""Day 9: evaluation metrics, quantization and a real FastAPI inference server."""
from __future__ import annotations

import streamlit as st

from core import evaluate
from core.catalog import LOCAL_MODELS, SMALL_MODEL
from core.errors import UserError
from ui.i18n import t
from ui.resources import asset_registry, settings
from ui.state import State
from ui.widgets import header, metric_columns, show_user_error, tabbed

S = State("serve")


@st.cache_data(show_spinner=False)
def _baseline(case: str):
    return evaluate.sentiment_baseline(case)


def metrics_tab() -> None:
    import plotly.express as px
    import plotly.graph_objects as go

    st.caption(t("ev.metrics_intro"))
    case = st.radio(t("ev.case"), evaluate.METRIC_CASES, format_func=lambda c: t(f"ev.case.{c}"), horizontal=True,
                    key="ev.case")
    y, p, _ = _baseline(case)
    st.caption(t("ev.case_info", n=len(y), pos=sum(y)))
    th = st.slider(t("ev.threshold"), 0.0, 1.0, 0.5, 0.01, key="ev.th", help=t("ev.threshold_help"))
    m = evaluate.at_threshold(y, p, th)
    metric_columns([("accuracy", f"{m.accuracy:.3f}"), ("precision", f"{m.precision:.3f}"),
                    ("recall", f"{m.recall:.3f}"), ("F1", f"{m.f1:.3f}")])
    c1, c2 = st.columns(2)
    cm = px.imshow(m.confusion, x=["negative", "positive"], y=["negative", "positive"], text_auto=True,
                   color_continuous_scale="Blues", labels=dict(x=t("vis.pred"), y=t("vis.true")))
    cm.update_layout(height=340, margin=dict(l=10, r=10, t=30, b=10), title=t("vis.confusion"))
    c1.plotly_chart(cm, key="ev.cm")
    fpr, tpr, auc = evaluate.roc(y, p)
    fig = go.Figure([go.Scatter(x=fpr, y=tpr, mode="lines", name=f"ROC (AUC {auc:.3f})"),
                     go.Scatter(x=[0, 1], y=[0, 1], mode="lines", line=dict(dash="dash"), name=t("ev.chance"))])
    fig.update_layout(height=340, margin=dict(l=10, r=10, t=30, b=10), title="ROC", xaxis_title="FPR",
                      yaxis_title="TPR", legend=dict(x=0.98, y=0.02, xanchor="right", yanchor="bottom"))
    c2.plotly_chart(fig, key="ev.roc")  # the legend sits in the empty lower right, clear of the title


def quantization_tab() -> None:
    mlp_quantization()
    st.divider()
    llm_quantization()


def mlp_quantization() -> None:
    import plotly.express as px

    st.caption(t("ev.quant_intro"))
    if st.button(t("ev.quant_run"), icon="🗜️", key="ev.quant"):
        from core import data, vision
        from core.train import TrainConfig, fit

        with st.spinner(t("common.running")):
            digits = data.digits()
            spec = vision.RunSpec("digits", 1400, 0.1, 64, (), vision.ModelSpec("mlp", (256, 128)),
                                  TrainConfig(epochs=5))
            model, tl, vl, _ = vision.setup(spec, digits)
            for _ in fit(model, tl, vl, spec.train):
                pass
            S.set("quant", evaluate.quantize_compare(model, digits.x_test, digits.y_test))
    if S.get("quant") is None:
        return
    rows, agreement = S.get("quant")
    st.dataframe([{t("ev.model"): r.name, "KB": round(r.size_kb, 1), t("ev.ms"): round(r.ms_per_batch, 2),
                   "accuracy": round(r.accuracy, 4)} for r in rows], hide_index=True)
    fig = px.bar(x=[r.name for r in rows], y=[r.size_kb for r in rows], labels=dict(x="", y="KB"),
                 title=t("ev.size"))
    fig.update_layout(height=280, margin=dict(l=10, r=10, t=40, b=10))
    st.plotly_chart(fig, key="ev.size")
    st.caption(t("ev.quant_summary", ratio=f"{rows[0].size_kb / rows[1].size_kb:.1f}", agree=f"{agreement:.1%}"))


QUANT_PROMPTS = 4   # of core.llm.compare.PROMPTS: enough to see the agreement, fast enough for a class (SmolLM2)
QUANT_TOKENS = 16


def llm_quantization() -> None:
    """CH07 for a language model: every figure measured on this machine by core.llm.compare."""
    from core.llm import compare

    st.caption(t("ev.llm_quant_intro", model=SMALL_MODEL))
    if st.button(t("ev.llm_quant_run"), icon="⚖️", key="ev.llm_quant"):
        status = st.empty()
        try:
            with st.spinner(t("common.running")):
                rows = compare.compare(SMALL_MODEL, asset_registry(), settings().cache_dir,
                                       prompts=compare.PROMPTS[:QUANT_PROMPTS], new_tokens=QUANT_TOKENS,
                                       decode_tokens=32, progress=lambda e: status.caption(e))
            S.set("llm_quant", [r.as_dict() for r in rows])
        except UserError as exc:
            show_user_error(exc)
        status.empty()
    rows = S.get("llm_quant")
    if not rows:
        return
    cols = (("engine", "ev.col.engine"), ("size_mb", "ev.col.size"), ("load_s", "ev.col.load"),
            ("decode_tok_s", "ev.col.decode"), ("ttft_s", "ev.col.ttft"), ("agreement", "ev.col.agree"),
            ("sample", "ev.col.sample"))
    st.dataframe([{t(label): r[key] for key, label in cols} for r in rows], hide_index=True, key="ev.llm_table")
    st.caption(t("ev.llm_quant_note", n=QUANT_TOKENS, k=QUANT_PROMPTS))


def batching() -> None:
    """CH08: concurrent requests one at a time vs generated together, measured by core.llm.load_test."""
    from core.llm import load_test

    st.caption(t("ev.batch_intro", model=SMALL_MODEL))
    if st.button(t("ev.batch_run"), icon="📦", key="ev.batch"):
        try:
            with st.spinner(t("common.running")):
                S.set("batching", load_test.batching_table(SMALL_MODEL, asset_registry(), settings().cache_dir,
                                                           max_tokens=24))
        except UserError as exc:
            show_user_error(exc)
    rows = S.get("batching")
    if not rows:
        return
    st.dataframe([{t("ev.col.mode"): t(f"ev.mode.{r['mode']}"), t("ev.col.clients"): r["clients"],
                   t("ev.col.tok_s"): r["tok_s"], t("ev.col.p95"): r["p95_s"]} for r in rows], hide_index=True,
                 key="ev.batch_table")


def _clear_on_first(pieces, placeholder):
    """The text pieces, removing the 'n ahead of you' note when the first one arrives."""
    for piece in pieces:
        placeholder.empty()
        yield piece


def server_tab() -> None:
    st.caption(t("ev.server_intro"))
    proc = S.get("proc")
    running = proc is not None and proc.poll() is None
    c1, c2 = st.columns(2)
    model = c1.selectbox(t("llm.provider"), list(LOCAL_MODELS), key="ev.model", disabled=running)
    if not running and c2.button(t("ev.start"), type="primary", icon="🚀", key="ev.start"):
        try:
            with st.spinner(t("ev.starting")):
                proc, url = evaluate.start_server(model)
            S.set("proc", proc)
            S.set("url", url)
        except UserError as exc:
            show_user_error(exc)
        else:
            st.rerun()  # redrawn as running: the stop button alone, where the start button was
    if running and c2.button(t("ev.stop"), icon="⏹️", key="ev.stop"):
        evaluate.stop_server(proc)
        S.set("proc", None)
        st.rerun()  # redrawn as stopped: the start button back, the model choice enabled
    batching()
    if not running:
        return
    url = S.get("url")
    st.success(t("ev.running", url=url))
    st.code(f'curl {url}/v1/chat/completions -H "Content-Type: application/json" \\\n'
            f'  -d \'{{"model": "course-local", "messages": [{{"role": "user", "content": "Hello"}}]}}\'',
            language="bash")
    st.caption(t("ev.tools_intro"))
    st.code(f'curl {url}/v1/chat/completions -H "Content-Type: application/json" -d \'{{"model": "course-local",\n'
            '  "messages": [{"role": "user", "content": "What is 1234 times 56?"}],\n'
            '  "tools": [{"type": "function", "function": {"name": "calculator", "parameters": {"type": "object",\n'
            '    "properties": {"expression": {"type": "string"}}, "required": ["expression"]}}}]}\'',
            language="bash")
    question = st.text_input(t("ev.ask"), "What is a tensor?", key="ev.q")
    if st.button(t("ev.send"), icon="📨", key="ev.send"):
        try:
            ahead, pieces = evaluate.ask_server(url, question)
            waiting = st.empty()
            if ahead:  # the header arrives at once; the first token only when the jobs ahead are done
                waiting.info(t("queue.waiting", ahead=ahead), icon="⏳")
            st.write_stream(_clear_on_first(pieces, waiting))
        except UserError as exc:
            show_user_error(exc)


header("page.serving")
st.caption(t("ev.intro"))
tabbed([("ev.tab.metrics", metrics_tab), ("ev.tab.quant", quantization_tab), ("ev.tab.server", server_tab)])
