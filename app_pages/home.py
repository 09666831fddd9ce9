"""Course home: the course map and the environment panel (versions, device, mode, API keys by name, assets)."""
from __future__ import annotations

import platform
from importlib import metadata

import streamlit as st

from ui.course import DAYS, pages_for_day
from ui.i18n import t
from ui.resources import asset_registry, settings


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "—"


def environment_panel() -> None:
    s = settings()
    st.subheader(t("home.env"))
    c1, c2, c3 = st.columns(3)
    c1.markdown(f"**{t('home.versions')}**  \nPython {platform.python_version()}  \n"
                f"torch {_version('torch')}  \nstreamlit {_version('streamlit')}  \n"
                f"transformers {_version('transformers')}")
    c2.markdown(f"**{t('home.device')}**  \n`{s.device_hint()}`")  # no torch import on first paint
    c2.markdown(f"**{t('home.mode')}**  \n" + (t("home.mode_online") if s.online else t("home.mode_offline")))
    c2.caption(t("home.mode_help"))
    c2.markdown(f"**{t('home.servers')}**  \n"
                + (t("home.chroma_server", url=s.chroma_url) if s.chroma_url else t("home.chroma_embedded")) + "  \n"
                + (t("home.llm_server", url=s.llm_base_url) if s.llm_base_url else t("home.llm_local")))
    c2.caption(t("home.servers_help"))
    keys = s.configured_keys()
    c3.markdown(f"**{t('home.keys')}**  \n" + "  \n".join(
        f"`{name}`: {t('home.key_set') if ok else t('home.key_unset')}" for name, ok in keys.items()))

    st.markdown(f"**{t('home.assets')}**")
    statuses = asset_registry().statuses()
    rows = [(st_.asset.title, t(f"status.{st_.state}"), st_.asset.used_by,
             str(st_.path) if st_.state == "ready" else (st_.detail or st_.asset.install)) for st_ in statuses]
    not_ready = [x for x in statuses if x.state not in ("ready", "online-only")]
    if not_ready:
        st.warning(t("home.some_missing", n=len(not_ready)) + " " + t("home.assets_help"))
    else:
        st.success(t("home.all_ready"))
    # a markdown table, not st.dataframe: that would load pandas and pyarrow (~0.3 s) on the app's first paint
    cells = [[t("home.asset_col"), t("home.status_col"), t("home.used_col"), t("home.where_col")], ["---"] * 4]
    cells += [[str(c).replace("|", "\\|") for c in row] for row in rows]
    st.markdown("\n".join("| " + " | ".join(row) + " |" for row in cells))


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
