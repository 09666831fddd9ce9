"""What the search and RAG pages share: corpus, embedder and chunking settings, building the index, showing hits."""
from __future__ import annotations

import re

import streamlit as st

from core import documents, embeddings, rag, vectordb
from core.errors import UserError
from ui.i18n import t
from ui.resources import asset_registry, embedder, vector_store
from ui.state import session_id
from ui.widgets import api_key_field, show_user_error

CORPORA = ("constitution", "korean_law", "english_notes", "upload")
EMBEDDERS = embeddings.OFFLINE + embeddings.ONLINE
SEPARATORS = {"law": documents.DEFAULT_SEPARATORS, "paragraph": ["\n\n", "\n", " ", ""],
              "sentence": [". ", "다. ", "\n", " ", ""]}


def get_embedder(name: str):
    """The shared offline embedder, or an online one built with the key typed (or configured) for it."""
    if name in embeddings.ONLINE:
        from core.embeddings import make_embedder

        api_key = api_key_field("OPENAI_API_KEY" if name == "openai" else "GEMINI_API_KEY", t(f"llm.{name}_key"))
        return make_embedder(name, api_key=api_key)
    return embedder(name)


def documents_for(corpus: str, key: str) -> list[documents.Document] | None:
    reg = asset_registry()
    if corpus == "constitution":
        return documents.constitution_only(reg)
    if corpus == "korean_law":
        return documents.korean_law(reg)
    if corpus == "english_notes":
        return documents.english_notes()
    files = st.file_uploader(t("search.upload"), type=["txt", "md", "pdf", "docx"], accept_multiple_files=True,
                             key=f"{key}.files", help=t("search.upload_help"))
    docs = []
    for f in files or []:
        try:
            docs += documents.load_upload(f.name, f.getvalue())
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
    metric = c[2].selectbox(t("search.metric"), vectordb.METRICS, key=f"{key}.metric", help=t("search.metric_help"))
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
    docs = documents_for(corpus, key)
    if docs is None:
        return None
    try:
        chunks = documents.split(docs, size, min(overlap, size - 1), SEPARATORS[sep])
        emb = get_embedder(emb_name)
    except UserError as exc:  # a missing model (AssetError) too
        show_user_error(exc)
        return None
    made = vectordb.chunks_fingerprint(chunks)  # what the index holds: a changed splitter builds a new one
    if corpus == "upload":  # private to this session and keyed by content, not by file names
        name = vectordb.upload_collection_name(session_id(), docs, f"{made}-{metric}-{hnsw}", emb.name)
    else:
        name = vectordb.collection_name(f"{corpus}-{made}-{metric}", emb.name)
    return docs, chunks, emb, name, dict(metric=metric, **hnsw)


def ensure_index(key: str, chunks, emb, name: str, params: dict, auto: bool = False) -> bool:
    store = vector_store()
    built = name in visible_collections()
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


def visible_collections() -> list[str]:
    """The indexes this session may see: the shipped corpora's and its own uploads, never another session's."""
    return [n for n in vector_store().collections() if vectordb.visible_to(n, session_id())]


def _escape(text: str) -> str:
    """Every character Markdown could read as syntax, escaped: a list marker, a heading's # or underline (=== ---), a
    table's |, an ordered list's '1.', emphasis."""
    return re.sub(r"([\\`*_{}\[\]<>#|~$+=.!-])", r"\\\1", text)


def _as_written(markdown: str) -> str:
    """The text's own lines and runs of spaces kept (a plain-text table aligned with spaces, an indented line):
    a hard break at each line end, and spaces after the first of a run made non-breaking."""
    lines = markdown.replace("\t", "    ").split("\n")
    spaced = [re.sub(r"(?:^ +| {2,})", lambda m: "\u00a0" * len(m.group(0)) if m.start() == 0 else
                     " " + "\u00a0" * (len(m.group(0)) - 1), line) for line in lines]
    return "  \n".join(spaced)


def highlight(text: str, query: str, sentences: list[str] = ()) -> str:
    """Bold the query's words (2+ characters) inside a chunk and mark the supporting sentences, escaping markdown and
    keeping the chunk's lines and spacing as written."""
    safe = _escape(text)
    for part in (p for s in sentences for p in rag.split_sentences(s)):  # a list item comes with its lead-in
        bare = _escape(rag.bare(part))
        safe = safe.replace(bare, f":orange-background[{bare}]", 1)
    words = sorted({w for w in re.findall(r"\w{2,}", query)}, key=len, reverse=True)
    for w in words:
        stem = w[:-1] if len(w) > 2 and re.match(r"[가-힣]", w) else w  # drop a Korean particle-ish last syllable
        safe = re.sub(re.escape(stem), lambda m: f"**{m.group(0)}**", safe)
    return _as_written(safe)


def show_hits(hits: list[vectordb.Hit], query: str, numbered: bool = False,
              marks: dict[int, list[str]] | None = None) -> None:
    """Each hit with its score; marks: source number -> supporting sentences to highlight inside it."""
    for i, h in enumerate(hits, 1):
        where = f"{h.source} · chunk {h.chunk}" + (f" · p.{h.page}" if h.page else "")
        with st.container(border=True):
            st.markdown(f"**{'[' + str(i) + '] ' if numbered else ''}{where}** · {t('search.score')} "
                        f"`{h.score:.3f}`")
            st.markdown(highlight(h.text[:800], query, (marks or {}).get(i, [])))
