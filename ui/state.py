"""Namespaced session_state: State("dnn").get("model") reads st.session_state["dnn.model"]."""
from __future__ import annotations

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
