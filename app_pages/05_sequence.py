"""Day 5: RNN / LSTM / GRU sentiment, with a TF-IDF baseline beside it."""
import streamlit as st

from ui.i18n import t
from ui.sequence import sentiment_page
from ui.widgets import header

header("page.sequence")
st.caption(t("seq.intro"))
sentiment_page()
