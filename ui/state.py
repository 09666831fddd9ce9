"""Namespaced session_state: State("dnn").get("model") reads st.session_state["dnn.model"]."""
from __future__ import annotations

import re
from typing import Any

import streamlit as st


class State:
    def __init__(self, namespace: str, **defaults: Any):
        self.ns = namespace
        for name, value in defaults.items():
            self.setdefault(name, value)

    def key(self, name: str) -> str:
        return f"{self.ns}.{name}"

    def get(self, name: str, default: Any = None) -> Any:
        return st.session_state.get(self.key(name), default)

    def set(self, name: str, value: Any) -> None:
        st.session_state[self.key(name)] = value

    def setdefault(self, name: str, value: Any) -> Any:
        if self.key(name) not in st.session_state:
            st.session_state[self.key(name)] = value
        return st.session_state[self.key(name)]

    def __contains__(self, name: str) -> bool:
        return self.key(name) in st.session_state


SESSION_KEY = "app.sid"


def session_id() -> str:
    """This browser session's private namespace (uploads, runs, chats), kept in the URL as ?sid=… so a reload
    finds the same work again. A missing or malformed sid gets a fresh random one; it is never derived from input."""
    from core.vectordb import new_session_namespace

    sid = st.session_state.get(SESSION_KEY)
    if sid is None:
        given = st.query_params.get("sid", "")
        sid = given if re.fullmatch(r"[0-9a-f]{16}", given or "") else new_session_namespace()
        st.session_state[SESSION_KEY] = sid
    if st.query_params.get("sid") != sid:  # page switches may drop query parameters: put it back every run
        st.query_params["sid"] = sid
    return sid
