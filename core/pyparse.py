"""Python's `ast.parse` and `ast.literal_eval` behind one lock, for every place the project reads Python syntax.

CPython 3.11 keeps the AST constructor's recursion depth in state that all threads share, so two threads turning
source into `ast` objects at once can fail with "SystemError: AST constructor recursion depth mismatch"
(python/cpython#106905, fixed in 3.12). The app parses in Streamlit's script threads and in job threads at the
same time, so the project's own parsing goes through here; Streamlit's magic, the other user, is switched off in
.streamlit/config.toml."""
from __future__ import annotations

import ast
import threading

_LOCK = threading.Lock()


def parse(source: str, mode: str = "exec") -> ast.AST:
    with _LOCK:
        return ast.parse(source, mode=mode)


def literal_eval(text: str):
    with _LOCK:
        return ast.literal_eval(text)
