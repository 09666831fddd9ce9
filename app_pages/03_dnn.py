"""Day 3: train an MLP on Fashion-MNIST with live charts, Stop, analysis and run comparison."""
import streamlit as st

from ui.i18n import t
from ui.vision import vision_page
from ui.widgets import header

header("page.dnn")
st.caption(t("dnn.intro"))
vision_page("dnn")
