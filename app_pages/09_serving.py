"""Day 9: evaluation metrics, quantization and a real FastAPI inference server."""
import streamlit as st

from ui.i18n import t
from ui.serving import metrics_tab, quantization_tab, server_tab
from ui.widgets import header

header("page.serving")
st.caption(t("ev.intro"))
tabs = st.tabs([t("ev.tab.metrics"), t("ev.tab.quant"), t("ev.tab.server")])
with tabs[0]:
    metrics_tab()
with tabs[1]:
    quantization_tab()
with tabs[2]:
    server_tab()
