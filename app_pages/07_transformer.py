"""Day 7: inside a transformer — tokenizers, attention heatmaps and sampling settings."""
import streamlit as st

from ui.i18n import t
from ui.transformer import attention_tab, sampling_tab, tokenizers_tab
from ui.widgets import header

header("page.transformer")
st.caption(t("tf.intro"))
tabs = st.tabs([t("tf.tab.tok"), t("tf.tab.att"), t("tf.tab.sample")])
with tabs[0]:
    tokenizers_tab()
with tabs[1]:
    attention_tab()
with tabs[2]:
    sampling_tab()
