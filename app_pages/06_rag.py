"""Day 6: retrieval-augmented generation with cited sources (LangChain + Chroma + the chosen LLM)."""
from __future__ import annotations

import streamlit as st

from core import rag
from core.errors import UserError
from ui.i18n import t
from ui.llm import provider_picker
from ui.resources import answer_cache, vector_store
from ui.retrieval import ensure_index, index_settings, show_hits
from ui.widgets import header, show_user_error


def rag_page() -> None:
    with st.expander(t("rag.index_settings"), icon="🗂️"):
        got = index_settings("rag")
    if got is None:
        return
    _, chunks, emb, name, params = got
    if not ensure_index("rag", chunks, emb, name, params, auto=emb.name == "e5" and len(chunks) <= 200):
        return
    c = st.columns(4)
    k = c[0].slider("top-k", 1, 8, 3, key="rag.k")
    threshold = c[1].slider(t("rag.threshold"), 0.0, 1.0, 0.80, 0.01, key="rag.th", help=t("rag.threshold_help"))
    mmr = c[2].toggle("MMR", key="rag.mmr", help=t("rag.mmr_help"))
    use_cache = c[3].toggle(t("rag.cache"), True, key="rag.cache")
    with st.sidebar:
        st.markdown(f"**{t('rag.model')}**")
        provider = provider_picker("rag")
        temperature = st.slider("temperature", 0.0, 1.5, 0.0, 0.1, key="rag.temp")
        max_tokens = st.slider(t("llm.max_tokens"), 32, 512, 200, 16, key="rag.max")
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
        retrieval = rag.chain(vector_store(), name, emb, k, threshold, mmr).invoke(question)
    except UserError as exc:
        show_user_error(exc)
        return
    item = {"question": question, "retrieval": retrieval, "answer": None, "cached": False, "threshold": threshold}
    with st.chat_message("assistant"):
        if not retrieval.empty and provider is not None:
            try:
                stream = rag.answer(provider, retrieval, answer_cache() if use_cache else None,
                                    temperature=temperature, max_tokens=max_tokens, seed=0)
                item["answer"] = st.write_stream(stream)
                item["cached"] = stream.cached
            except UserError as exc:
                show_user_error(exc)
                return
    if retrieval.empty or item["answer"] is not None:
        history.append(item)
        st.rerun()  # draw it like the earlier turns, with its sources


def _render_turn(item: dict) -> None:
    retrieval = item["retrieval"]
    st.chat_message("user").write(item["question"])
    with st.chat_message("assistant"):
        if retrieval.empty:
            st.warning(t("rag.dont_know", th=f"{item['threshold']:.2f}"))
            return
        st.markdown(item["answer"])
        st.caption(t("rag.cache_hit") if item["cached"] else t("rag.cache_miss"))
        cited = rag.citations(item["answer"], len(retrieval.hits))
        st.markdown(f"**{t('rag.sources')}**" + (f" · {t('rag.cited', n=', '.join(f'[{i}]' for i in cited))}"
                                                if cited else f" · {t('rag.not_cited')}"))
        with st.expander(t("rag.prompt"), icon="🧾"):
            st.code(retrieval.prompt_text, language=None, wrap_lines=True)
        show_hits(retrieval.hits, item["question"], numbered=True)


header("page.rag")
st.caption(t("rag.intro"))
rag_page()
