"""Day 2: tensors, autograd, gradient descent, linear regression — a playground."""
import streamlit as st

from ui.basics import autograd_tab, gd_tab, linreg_tab, tensor_lab
from ui.i18n import t
from ui.widgets import header

header("page.basics")
tabs = st.tabs([t("basics.tab.tensors"), t("basics.tab.autograd"), t("basics.tab.gd"), t("basics.tab.linreg")])
with tabs[0]:
    tensor_lab()
with tabs[1]:
    autograd_tab()
with tabs[2]:
    gd_tab()
with tabs[3]:
    linreg_tab()
