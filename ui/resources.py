"""Process-wide resources, created once per server process with st.cache_resource."""
from __future__ import annotations

import streamlit as st

from core.config import Settings


def _secrets() -> dict:
    try:
        return dict(st.secrets)
    except Exception:  # no secrets.toml: perfectly normal on a student laptop
        return {}


@st.cache_resource(show_spinner=False)
def settings() -> Settings:
    s = Settings.load(secrets=_secrets())
    s.apply_env()
    return s


@st.cache_resource(show_spinner=False)
def asset_registry():
    from core.assets import Registry

    return Registry(settings().cache_dir)
