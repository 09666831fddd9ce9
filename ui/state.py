"""Namespaced session_state: State("dnn").get("model") reads st.session_state["dnn.model"]."""
from __future__ import annotations

import re
from pathlib import Path
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


def session_runs_dir() -> Path:
    """This session's runs folder (runs_dir/<sid>/): a reload with the same ?sid= lists its runs again, and
    classmates on one server do not see each other's runs unless they ask for all of them."""
    from ui.resources import settings

    return settings().runs_dir / session_id()


def chat_file() -> Path:
    """Where this session's conversation is kept between turns, so a reload finds it again."""
    from ui.resources import settings

    return settings().cache_dir / "chats" / f"{session_id()}.json"


def visible_runs(toggle_key: str | None):
    """This session's runs, or every run on this computer when the user turns the toggle on; the toggle is not
    drawn on a shared server (light mode), where other people's runs are none of a student's business."""
    from core import runs
    from ui.i18n import t
    from ui.resources import settings

    everyone = (toggle_key is not None and not settings().light
                and st.toggle(t("session.all_runs"), key=toggle_key, help=t("session.all_runs_help")))
    return runs.collect_visible(settings().runs_dir, session_id(), everyone)


def load_chat() -> list[dict]:
    """This session's saved conversation; a missing or damaged file is an empty one, never an error."""
    import json

    try:
        saved = json.loads(chat_file().read_text())
    except (OSError, ValueError):
        return []
    ok = isinstance(saved, list) and all(isinstance(m, dict) and m.get("role") in ("user", "assistant")
                                         and isinstance(m.get("content"), str) for m in saved)
    return saved if ok else []


def save_chat(messages: list[dict]) -> None:
    """Keep the conversation after each turn; an empty one removes the file ("clear" means gone)."""
    import json

    path = chat_file()
    if not messages:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")  # a reload mid-write must not find half a file
    tmp.write_text(json.dumps(messages, ensure_ascii=False))
    tmp.replace(path)
