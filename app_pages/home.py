"""Course home: the course map and the environment panel."""
import streamlit as st

from ui.course import DAYS, pages_for_day
from ui.home import environment_panel
from ui.i18n import t

st.title(t("home.title"))
st.write(t("home.intro"))

st.subheader(t("home.map"))
cols = st.columns(2)
for i, day in enumerate(DAYS):
    with cols[i % 2].container(border=True):
        st.markdown(f"**{t('nav.day', n=day.number, title=t(day.title_key))}**")
        st.caption(t(day.goal_key))
        for spec in pages_for_day(day.number):
            if spec.exists:
                st.page_link(spec.path, label=t(spec.title_key), icon=spec.icon)
            else:
                st.markdown(f"{spec.icon} {t(spec.title_key)} · _{t('home.coming')}_")

environment_panel()
