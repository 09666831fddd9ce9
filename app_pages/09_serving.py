"""Day 9: evaluation metrics, quantization and a real FastAPI inference server."""
import streamlit as st

from ui.i18n import t
from ui.serving import metrics_tab, quantization_tab, server_tab
from ui.widgets import header, tabbed

header("page.serving")
st.caption(t("ev.intro"))
tabbed([("ev.tab.metrics", metrics_tab), ("ev.tab.quant", quantization_tab), ("ev.tab.server", server_tab)])
