"""Day 7: inside a transformer — tokenizers, attention heatmaps and sampling settings."""
import streamlit as st

from ui.i18n import t
from ui.transformer import attention_tab, sampling_tab, tokenizers_tab
from ui.widgets import header, tabbed

header("page.transformer")
st.caption(t("tf.intro"))
tabbed([("tf.tab.tok", tokenizers_tab), ("tf.tab.att", attention_tab), ("tf.tab.sample", sampling_tab)])
