"""Day 7: LoRA fine-tuning of a small LLM on CPU, with live train/eval loss, Stop and before/after."""
import streamlit as st

from ui.i18n import t
from ui.lora import lora_page
from ui.widgets import header

header("page.lora")
st.caption(t("lora.intro"))
lora_page()
