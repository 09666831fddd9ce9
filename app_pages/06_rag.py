"""Day 6: retrieval-augmented generation with cited sources (LangChain + Chroma + the chosen LLM)."""
from __future__ import annotations

import streamlit as st

from core import rag, rag_rank
from core.errors import UserError
from ui.i18n import t
from ui.llm import provider_picker
from ui.resources import answer_cache, vector_store
from ui.retrieval import ensure_index, index_settings, show_hits
from ui.widgets import header, show_user_error

# Extractive is the default: on a 2-core laptop the 0.5B model needs seconds per answer and its words are replaced
# by the supporting sentence whenever the sources do not back them, while the sentence itself is instant and cited.
MODES = ("extract", "llm")
# Whether to answer: the learned rule (the default since issue #34 round 3: core.rag_rank's ranker picks the answer
# unit and widens it to the list items it also scores high, or since round 6 a sentence to the next clause it also
# scores high; a refusal model over that unit's features decides) or the hand-made rule (e5 cosine + coverage).
# Leave-one-set-out over the 17 dev sets the learned rule had 398 right answers + refused unanswerable questions and
# refused 70 of 123, the hand rule 365 and 64 as shipped: bench/rag_refusal_test.md.
RULES = ("learned", "hand")


def rag_page() -> None:
    with st.expander(t("rag.index_settings"), icon="🗂️"):
        got = index_settings("rag")
    if got is None:
        return
    _, chunks, emb, name, params = got
    if not ensure_index("rag", chunks, emb, name, params, auto=emb.name == "e5" and len(chunks) <= 200):
        return
    with st.sidebar:
        rule = st.radio(t("rag.rule"), RULES, format_func=lambda r: t(f"rag.rule.{r}"), key="rag.rule",
                        help=t("rag.rule_help"))
    ranker = rag_rank.default_ranker() if rule == "learned" else None
    c = st.columns(5)
    k = c[0].slider("top-k", 1, 8, 3, key="rag.k")
    threshold = c[1].slider(t("rag.threshold"), 0.0, 1.0, 0.80, 0.01, key="rag.th", help=t("rag.threshold_help"))
    if ranker is None:
        min_support = c[2].slider(t("rag.min_support"), 0.70, 1.0, rag.MIN_SUPPORT, 0.005, key="rag.min_support",
                                  help=t("rag.min_support_help"))
    else:  # the learned rule's confidence is a probability: its own slider, from its frozen threshold
        min_support = c[2].slider(t("rag.min_support"), 0.0, 1.0, float(ranker.threshold), 0.01,
                                  key="rag.min_support.learned", help=t("rag.min_support_help_learned"))
    mmr = c[3].toggle("MMR", key="rag.mmr", help=t("rag.mmr_help"))
    use_cache = c[4].toggle(t("rag.cache"), True, key="rag.cache")
    with st.expander(t("rag.curve"), icon="📈"):
        _risk_coverage(min_support, rule)
    provider = None
    with st.sidebar:
        mode = st.radio(t("rag.mode"), MODES, format_func=lambda m: t(f"rag.mode.{m}"), key="rag.mode",
                        help=t("rag.mode_help"))
        if mode == "llm":
            st.markdown(f"**{t('rag.model')}**")
            provider = provider_picker("rag")
            temperature = st.slider("temperature", 0.0, 1.5, 0.0, 0.1, key="rag.temp")
            max_tokens = st.slider(t("llm.max_tokens"), 16, 256, 60, 4, key="rag.max")
    history = st.session_state.setdefault("rag.history", [])  # kept across reruns and settings changes
    for item in history:
        _render_turn(item)
    question = st.chat_input(t("rag.ask"), key="rag.question")
    if not history and not question:
        st.info(t("rag.hint"))
    if not question:
        return
    st.chat_message("user").write(question)
    try:
        retrieval = rag.chain(vector_store(), name, emb, k, threshold, mmr, min_support=min_support,
                              ranker=ranker).invoke(question)
    except UserError as exc:
        show_user_error(exc)
        return
    item = {"question": question, "retrieval": retrieval, "result": None, "cached": False, "threshold": threshold,
            "mode": mode}
    if mode == "extract" or retrieval.empty:
        item["result"] = rag.extractive(retrieval)
    elif provider is not None:
        with st.chat_message("assistant"):
            try:
                stream = rag.answer(provider, retrieval, answer_cache() if use_cache else None,
                                    temperature=temperature, max_tokens=max_tokens, seed=0)
                st.write_stream(stream)
            except UserError as exc:
                show_user_error(exc)
                return
        item["result"], item["cached"] = stream.result, stream.cached
    if item["result"] is not None:
        history.append(item)
        st.rerun()  # draw it like the earlier turns, with its sources


@st.cache_data
def _curve_points(rule: str) -> list:
    import json

    data = json.loads(rag.RISK_COVERAGE_FILES[rule].read_text(encoding="utf-8"))
    return [p for pts in data["sets"].values() for p in pts]


def _risk_coverage(min_support: float, rule: str = "hand") -> None:
    """Share of answerable bench questions answered vs accuracy of the answered, over thresholds; the current one
    marked: what the answer-confidence slider trades."""
    import plotly.graph_objects as go

    points = _curve_points(rule)
    grid = [x / 200 for x in range(160, 201)] if rule == "hand" else [x / 50 for x in range(51)]
    curve = rag.risk_coverage(points, grid)
    now = rag.risk_coverage(points, [min_support])[0]
    fig = go.Figure()
    fig.add_scatter(x=[c["coverage"] for c in curve], y=[c["accuracy"] for c in curve], mode="lines+markers",
                    text=[f"{c['threshold']:.3f}" for c in curve], name=t("rag.curve"),
                    hovertemplate="threshold %{text}<br>%{x:.2f} → %{y:.2f}<extra></extra>")
    fig.add_scatter(x=[now["coverage"]], y=[now["accuracy"]], mode="markers", marker={"size": 14, "color": "red"},
                    name=t("rag.curve_now"))
    fig.update_layout(height=320, margin={"t": 10, "b": 10}, xaxis_title=t("rag.curve_x"),
                      yaxis_title=t("rag.curve_y"), xaxis_range=[0, 1.02], yaxis_range=[0, 1.02])
    st.plotly_chart(fig, key="rag.curve_fig")
    st.caption(t("rag.curve_caption", n=len(points), th=f"{min_support:.3f}", cov=f"{now['coverage']:.2f}",
                 acc=f"{now['accuracy']:.2f}", ref=f"{now['refused_unanswerable']:.2f}"))


def _render_turn(item: dict) -> None:
    retrieval, result = item["retrieval"], item["result"]
    st.chat_message("user").write(item["question"])
    with st.chat_message("assistant"):
        if result.origin == "closest":  # between "sure" and "nothing relevant": the closest unit, not certain
            st.warning(t("rag.closest_answer"))
            st.markdown(result.text)
            cited = ", ".join(f"[{i}]" for i in result.citations)
            st.markdown(f"**{t('rag.sources')}** · {t('rag.cited', n=cited)}")
            show_hits(retrieval.hits, item["question"], numbered=True,
                      marks={i: retrieval.sentences_of(i) for i in result.citations})
            return
        if result.dont_know:
            st.warning(t("rag.dont_know", th=f"{item['threshold']:.2f}") if not retrieval.hits
                       else t("rag.no_support"))
            if retrieval.hits:  # the student can still read what came closest, and judge the refusal
                with st.expander(t("rag.closest"), icon="🔎"):
                    show_hits(retrieval.hits, item["question"], numbered=True)
            return
        st.markdown(result.text)
        if result.origin == "extract" and result.model_text:
            st.warning(t("rag.unsupported"))
            st.caption(t("rag.model_said", text=result.model_text))
        if item["mode"] == "extract":
            st.caption(t("rag.extract_note"))
        else:
            st.caption(t("rag.cache_hit") if item["cached"] else t("rag.cache_miss"))
        cited = ", ".join(f"[{i}]" for i in result.citations)
        st.markdown(f"**{t('rag.sources')}** · {t('rag.cited', n=cited)}")
        if item["mode"] == "llm":
            with st.expander(t("rag.prompt"), icon="🧾"):
                st.code(retrieval.prompt_text, language=None, wrap_lines=True)
        show_hits(retrieval.hits, item["question"], numbered=True,
                  marks={i: retrieval.sentences_of(i) for i in result.citations})


header("page.rag")
st.caption(t("rag.intro"))
rag_page()
