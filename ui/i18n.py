"""t(KEY) → Korean (default) or English text. Tables live in ui/strings/ (one module per area)."""
from __future__ import annotations

import streamlit as st

from ui.strings import EN, KO

TABLES = {"ko": KO, "en": EN}
LANG_KEY = "app.lang"


def current_language() -> str:
    return st.session_state.get(LANG_KEY, _default_language())


def _default_language() -> str:
    from ui.resources import settings

    return settings().language


def t(key: str, **kwargs) -> str:
    """Look the key up in the current language, falling back to Korean, then to the key itself."""
    lang = current_language()
    text = TABLES.get(lang, KO).get(key) or KO.get(key) or key
    return text.format(**kwargs) if kwargs else text


def language_switch() -> None:
    """Sidebar radio; the choice lives in session_state so every page sees it, and in the URL (?lang=en) so a
    browser reload, which starts a new session, keeps it."""
    if LANG_KEY not in st.session_state:
        given = st.query_params.get("lang")
        st.session_state[LANG_KEY] = given if given in TABLES else _default_language()
    st.sidebar.radio(
        "🌐 언어 / Language",
        options=list(TABLES),
        format_func=lambda code: {"ko": "한국어", "en": "English"}[code],
        key=LANG_KEY,
        horizontal=True,
    )
    if st.query_params.get("lang") != st.session_state[LANG_KEY]:  # page switches may drop query parameters
        st.query_params["lang"] = st.session_state[LANG_KEY]
