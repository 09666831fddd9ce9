"""Day 6: sentence embeddings + Chroma semantic search, with a FAISS comparison."""
from __future__ import annotations

import streamlit as st

from core import embeddings, vectordb
from core.errors import UserError
from ui.charts import embedding_map_figure
from ui.i18n import t
from ui.resources import embedder, vector_store
from ui.retrieval import ensure_index, index_settings, show_hits
from ui.widgets import header, show_user_error


def search_page() -> None:
    st.subheader(t("search.step_index"))
    got = index_settings("search")
    if got is None:
        return
    docs, chunks, emb, name, params = got
    with st.expander(t("search.preview", n=len(chunks), docs=len(docs)), icon="✂️"):
        for c in chunks[:6]:
            st.text(f"[{c.source} #{c.index}] {c.text[:300]}")
    if not ensure_index("search", chunks, emb, name, params, auto=emb.name == "e5" and len(chunks) <= 200):
        return
    st.subheader(t("search.step_query"))
    c1, c2 = st.columns([4, 1])
    query = c1.text_input(t("search.query"), t("search.query_default"), key="search.q")
    k = c2.slider("top-k", 1, 10, 4, key="search.k")
    compare = st.toggle(t("search.compare"), key="search.compare")
    try:
        hits = vector_store().query(name, emb, query, k)
    except UserError as exc:
        show_user_error(exc)
        return
    if not compare:
        show_hits(hits, query)
    else:
        other_name = st.selectbox(t("search.other"), [e for e in embeddings.OFFLINE if e != emb.name],
                                  format_func=lambda x: t(f"search.emb.{x}"), key="search.other")
        other = embedder(other_name)
        other_col = vectordb.collection_name(name.rsplit("__", 1)[0], other.name)
        left, right = st.columns(2)
        with left:
            st.markdown(f"**{t(f'search.emb.{emb.name}')}**")
            show_hits(hits, query)
        with right:
            st.markdown(f"**{t(f'search.emb.{other.name}')}**")
            if ensure_index("search.other", chunks, other, other_col, params):
                show_hits(vector_store().query(other_col, other, query, k), query)
    _map(name, emb, query, hits)
    _faiss(name, emb)


def _map(name: str, emb, query: str, hits) -> None:
    vecs, docs, metas = vector_store().vectors(name, emb)
    if len(vecs) < 3:
        return
    top = {(h.source, h.chunk) for h in hits}
    fig = embedding_map_figure(vecs, emb.embed_query(query), [d[:80] for d in docs],
                               [(m["source"], m["chunk"]) in top for m in metas],
                               {"chunks": t("search.chunks"), "top": t("search.top_hits"), "query": t("search.query"),
                                "title": t("search.map")})
    st.plotly_chart(fig, key="search.map")


def _faiss(name: str, emb) -> None:
    with st.expander(t("search.faiss"), icon="⚡"):
        st.caption(t("search.faiss_help"))
        c = st.columns(3)
        ef = c[0].select_slider("HNSW efSearch", [4, 8, 16, 32, 64, 128], 16, key="faiss.ef")
        nprobe = c[1].select_slider("IVF nprobe", [1, 2, 4, 8, 16], 2, key="faiss.nprobe")
        if c[2].button(t("search.faiss_run"), key="faiss.run"):
            vecs = vector_store().vectors(name, emb)[0].astype("float32")
            st.dataframe(vectordb.faiss_compare(vecs, vectordb.near_queries(vecs), k=5, ef_search=ef, nprobe=nprobe),
                         hide_index=True)


header("page.search")
st.caption(t("search.intro"))
search_page()
