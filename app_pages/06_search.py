"""Day 6: sentence embeddings + Chroma semantic search, with a FAISS comparison."""
import streamlit as st

from ui.i18n import t
from ui.search import search_page
from ui.widgets import header

header("page.search")
st.caption(t("search.intro"))
search_page()
