"""Day 6: retrieval-augmented generation with cited sources (LangChain + Chroma + the chosen LLM)."""
import streamlit as st

from ui.i18n import t
from ui.search import rag_page
from ui.widgets import header

header("page.rag")
st.caption(t("rag.intro"))
rag_page()
