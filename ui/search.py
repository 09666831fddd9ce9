"""Day 6: semantic search over a Chroma index, and RAG with cited sources."""
from __future__ import annotations

import hashlib
import re

import streamlit as st

from core import documents as D
from core import rag
from core import vectordb as VDB
from core.errors import UserError
from ui.i18n import t
from ui.resources import answer_cache, asset_registry, embedder, vector_store
from ui.widgets import api_key_field, show_user_error

CORPORA = ("constitution", "korean_law", "english_notes", "upload")
EMBEDDERS = ("e5", "minilm", "use", "openai", "gemini")
SEPARATORS = {"law": D.DEFAULT_SEPARATORS, "paragraph": ["\n\n", "\n", " ", ""],
              "sentence": [". ", "다. ", "\n", " ", ""]}


def get_embedder(name: str, key: str):
    if name in ("openai", "gemini"):
        from core.embeddings import make_embedder

        api_key = api_key_field("OPENAI_API_KEY" if name == "openai" else "GEMINI_API_KEY", t(f"llm.{name}_key"))
        return make_embedder(name, api_key=api_key)
    return embedder(name)


def _documents(corpus: str, key: str) -> list[D.Document] | None:
    reg = asset_registry()
    if corpus == "constitution":
        return D.constitution_only(reg)
    if corpus == "korean_law":
        return D.korean_law(reg)
    if corpus == "english_notes":
        return D.english_notes()
    files = st.file_uploader(t("search.upload"), type=["txt", "md", "pdf", "docx"], accept_multiple_files=True,
                             key=f"{key}.files", help=t("search.upload_help"))
    docs = []
    for f in files or []:
        try:
            docs += D.load_upload(f.name, f.getvalue())
        except UserError as exc:
            show_user_error(exc)
    if not docs:
        st.info(t("search.upload_hint"))
        return None
    return docs


def index_settings(key: str):
    """Corpus, embedder, chunking and index settings → (docs, chunks, embedder, collection name, params)."""
    c = st.columns(3)
    corpus = c[0].selectbox(t("search.corpus"), CORPORA, format_func=lambda x: t(f"search.corpus.{x}"),
                            key=f"{key}.corpus")
    emb_name = c[1].selectbox(t("search.embedder"), EMBEDDERS, format_func=lambda x: t(f"search.emb.{x}"),
                              key=f"{key}.emb")
    metric = c[2].selectbox(t("search.metric"), VDB.METRICS, key=f"{key}.metric", help=t("search.metric_help"))
    c = st.columns(3)
    size = c[0].slider(t("search.chunk_size"), 100, 2000, 400, 50, key=f"{key}.size")
    overlap = c[1].slider(t("search.overlap"), 0, 400, 50, 10, key=f"{key}.overlap")
    sep = c[2].selectbox(t("search.separators"), list(SEPARATORS), format_func=lambda x: t(f"search.sep.{x}"),
                         key=f"{key}.sep")
    with st.expander(t("search.hnsw"), icon="🕸️"):
        h = st.columns(3)
        hnsw = dict(m=h[0].slider("M", 4, 64, 16, key=f"{key}.m"),
                    ef_construction=h[1].slider("ef_construction", 16, 400, 100, key=f"{key}.efc"),
                    ef_search=h[2].slider("ef_search", 8, 400, 100, key=f"{key}.efs"))
        st.caption(t("search.hnsw_help"))
    docs = _documents(corpus, key)
    if docs is None:
        return None
    try:
        chunks = D.split(docs, size, min(overlap, size - 1), SEPARATORS[sep])
        emb = get_embedder(emb_name, key)
    except UserError as exc:
        show_user_error(exc)
        return None
    except Exception as exc:  # AssetError: a missing model, explained on Home
        st.error(t("llm.unavailable", reason=str(exc)))
        return None
    fingerprint = hashlib.sha1("|".join(f"{d.source}:{len(d.text)}" for d in docs).encode()).hexdigest()[:6]
    name = VDB.collection_name(f"{corpus}-{fingerprint}-{size}-{overlap}-{sep}-{metric}", emb.name)
    return docs, chunks, emb, name, dict(metric=metric, **hnsw)


def ensure_index(key: str, chunks, emb, name: str, params: dict, auto: bool = False) -> bool:
    store = vector_store()
    built = name in store.collections()
    c1, c2, c3 = st.columns([2, 2, 3])
    label = t("search.rebuild") if built else t("search.build")
    if c1.button(label, key=f"{key}.build", type="secondary" if built else "primary", icon="🧱") or (
            auto and not built):
        bar = st.progress(0.0, text=t("search.indexing", done=0, total=len(chunks)))
        try:
            store.build(name, chunks, emb, progress=lambda d, n: bar.progress(
                d / n, text=t("search.indexing", done=d, total=n)), **params)
            built = True
            bar.empty()
        except UserError as exc:
            show_user_error(exc)
    if built:
        confirm = c3.checkbox(t("search.confirm_delete"), key=f"{key}.confirm")
        if c2.button(t("search.delete"), key=f"{key}.delete", disabled=not confirm, icon="🗑️"):
            store.delete(name)
            st.toast(t("search.deleted"))
            built = False
    st.caption(t("search.index_status", name=name, n=len(chunks)) if built else t("search.not_built"))
    return built


def highlight(text: str, query: str) -> str:
    """Bold the query's words (2+ characters) inside a chunk, escaping markdown."""
    safe = re.sub(r"([\\`*_{}\[\]<>#|~$])", r"\\\1", text)
    words = sorted({w for w in re.findall(r"\w{2,}", query)}, key=len, reverse=True)
    for w in words:
        stem = w[:-1] if len(w) > 2 and re.match(r"[가-힣]", w) else w  # drop a Korean particle-ish last syllable
        safe = re.sub(re.escape(stem), lambda m: f"**{m.group(0)}**", safe)
    return safe


def show_hits(hits: list[VDB.Hit], query: str, numbered: bool = False) -> None:
    for i, h in enumerate(hits, 1):
        where = f"{h.source} · chunk {h.chunk}" + (f" · p.{h.page}" if h.page else "")
        with st.container(border=True):
            st.markdown(f"**{'[' + str(i) + '] ' if numbered else ''}{where}** · {t('search.score')} "
                        f"`{h.score:.3f}`")
            st.markdown(highlight(h.text[:800], query))


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
        other_name = st.selectbox(t("search.other"), [e for e in ("e5", "minilm", "use") if e != emb.name],
                                  format_func=lambda x: t(f"search.emb.{x}"), key="search.other")
        other = embedder(other_name)
        other_col = VDB.collection_name(name.rsplit("__", 1)[0], other.name)
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
    import numpy as np
    import plotly.graph_objects as go
    from sklearn.decomposition import PCA

    vecs, docs, metas = vector_store().vectors(name, emb)
    if len(vecs) < 3:
        return
    q = emb.embed_query(query)
    pca = PCA(n_components=2, random_state=0).fit(vecs)
    xy, qxy = pca.transform(vecs), pca.transform(q[None, :])[0]
    top = {(h.source, h.chunk) for h in hits}
    is_top = np.array([(m["source"], m["chunk"]) in top for m in metas])
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=xy[~is_top, 0], y=xy[~is_top, 1], mode="markers", name=t("search.chunks"),
                             text=[d[:80] for d, f in zip(docs, is_top) if not f], marker=dict(size=6, opacity=0.5),
                             hovertemplate="%{text}<extra></extra>"))
    fig.add_trace(go.Scatter(x=xy[is_top, 0], y=xy[is_top, 1], mode="markers", name=t("search.top_hits"),
                             text=[d[:80] for d, f in zip(docs, is_top) if f], marker=dict(size=10),
                             hovertemplate="%{text}<extra></extra>"))
    fig.add_trace(go.Scatter(x=[qxy[0]], y=[qxy[1]], mode="markers", name=t("search.query"),
                             marker=dict(size=16, symbol="star")))
    fig.update_layout(height=420, title=t("search.map"), margin=dict(l=10, r=10, t=40, b=10))
    st.plotly_chart(fig, key="search.map")


def _faiss(name: str, emb) -> None:
    with st.expander(t("search.faiss"), icon="⚡"):
        st.caption(t("search.faiss_help"))
        c = st.columns(3)
        ef = c[0].select_slider("HNSW efSearch", [4, 8, 16, 32, 64, 128], 16, key="faiss.ef")
        nprobe = c[1].select_slider("IVF nprobe", [1, 2, 4, 8, 16], 2, key="faiss.nprobe")
        if c[2].button(t("search.faiss_run"), key="faiss.run"):
            import numpy as np

            vecs = vector_store().vectors(name, emb)[0].astype("float32")
            rng = np.random.default_rng(0)
            queries = vecs[rng.choice(len(vecs), min(50, len(vecs)), replace=False)]
            queries = queries + rng.normal(0, 0.05, queries.shape).astype("float32")  # near, not identical
            st.dataframe(VDB.faiss_compare(vecs, queries, k=5, ef_search=ef, nprobe=nprobe), hide_index=True)


# ---- RAG ------------------------------------------------------------------------------------------------------
def rag_page() -> None:
    from ui.llm import provider_picker

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
