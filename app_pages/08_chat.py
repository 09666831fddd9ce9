"""Days 7–8: LLM chat with voice in/out, and summaries — with no API key and no internet by default."""
import streamlit as st

from ui.chat import chat_tab, summary_tab
from ui.i18n import t
from ui.widgets import header

header("page.chat")
st.caption(t("chat.intro"))
tab_chat, tab_summary = st.tabs([t("chat.tab.chat"), t("chat.tab.summary")])
with tab_chat:
    chat_tab()
with tab_summary:
    summary_tab()
