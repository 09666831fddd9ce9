"""Day 10: the final-project starter — a small working AI service to copy (scripts/new_project.py) and grow."""
import streamlit as st

from core import final_project as project
from core.errors import UserError
from ui.i18n import t
from ui.widgets import header, show_user_error


@st.cache_resource(show_spinner=False)
def _model():
    return project.train()  # once per server process, shared by every session


header("page.final_project")
st.caption(t("project.intro"))
with st.expander(t("project.howto"), icon="🧭"):
    st.markdown(t("project.steps"))
    st.code("python scripts/new_project.py my_classifier --title-ko '내 분류기' --title-en 'My classifier'",
            language="bash")

st.subheader(t("project.demo"))
text = st.text_area(t("project.input"), placeholder=t("project.placeholder"), key="project.text")
if st.button(t("project.run"), type="primary", key="project.go", icon="✨"):
    try:
        with st.spinner(t("common.running")):
            result = project.predict(_model(), text)
        st.metric(t("project.label"), t(f"project.l.{result.label}"), f"{result.confidence:.0%}")
        st.progress(result.confidence)
    except UserError as exc:
        show_user_error(exc)
