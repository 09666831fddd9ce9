"""Days 7–8: LLM chat with voice in/out, and summaries — with no API key and no internet by default."""
import streamlit as st

from ui.chat import chat_tab, summary_tab
from ui.i18n import t
from ui.widgets import header, tabbed

header("page.chat")
st.caption(t("chat.intro"))
tabbed([("chat.tab.chat", chat_tab), ("chat.tab.summary", summary_tab)])
