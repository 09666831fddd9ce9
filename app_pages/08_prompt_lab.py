"""Day 8: prompt engineering side by side: zero-shot, few-shot, chain-of-thought, role; or one prompt at two
temperatures."""
import streamlit as st

from ui.chat import prompt_lab_page
from ui.i18n import t
from ui.widgets import header

header("page.prompt_lab")
st.caption(t("lab.intro"))
prompt_lab_page()
