"""Day 5: Word2Vec (skip-gram / CBOW) with gensim: a word map, neighbours and analogies."""
import streamlit as st

from ui.i18n import t
from ui.sequence import word2vec_page
from ui.widgets import header

header("page.word2vec")
st.caption(t("w2v.intro"))
word2vec_page()
