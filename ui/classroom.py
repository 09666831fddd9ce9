"""The classroom: instructor mode (replays of shipped runs), lesson links with presets and hidden controls, and a
reset of this session.

A lesson link works like TensorFlow Playground's URL state::

    ?page=dnn&preset=overfit&hide=optimizer,seed     # a named preset, two controls hidden
    ?page=dnn&epochs=20&dropout=0.3&mode=teach        # single settings by their short names

Home.py calls `route()` between st.navigation and the page run: it switches to the page, writes the preset into
session_state before the page's widgets exist (so they start from it), and hides the named controls with CSS on
Streamlit's `st-key-<key>` element classes.
"""
from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import streamlit as st

from core.errors import UserError
from ui.i18n import LANG_KEY, t

RUNS_DIR = Path(__file__).resolve().parent.parent / "assets" / "runs"
TEACH_KEY = "class.teach"
# How long a replay takes in total; tests set 0. Long enough to watch the curve grow, short enough for class.
REPLAY_SECONDS = float(os.environ.get("COURSE_REPLAY_SECONDS", "4"))

_VISION = {"dataset": "ds", "val": "val", "augment": "aug", "epochs": "epochs", "lr": "lr", "optimizer": "opt",
           "batch": "batch", "schedule": "sched", "patience": "pat", "seed": "seed"}


def _vision_controls(kind: str, **extra: str) -> dict[str, str]:
    return {alias: f"{kind}.{suffix}" for alias, suffix in _VISION.items()} | {
        "subset": f"{kind}.subset.fashion_mnist"} | {alias: f"{kind}.{suffix}" for alias, suffix in extra.items()}


# page alias → its file, its controls (short name → widget key) and its presets (name → {short name: value})
LESSONS: dict[str, dict[str, Any]] = {
    "dnn": {
        "path": "app_pages/03_dnn.py",
        "controls": _vision_controls("dnn", hidden="hidden", activation="act", dropout="dropout", batchnorm="bn"),
        "types": {"augment": list, "hidden": str},
        "presets": {
            "overfit": {"dataset": "fashion_mnist", "subset": 300, "hidden": "512,256", "dropout": 0.0,
                        "batchnorm": False, "augment": [], "epochs": 20, "lr": 3e-3, "optimizer": "adam"},
            "underfit": {"dataset": "fashion_mnist", "subset": 6000, "hidden": "4", "dropout": 0.5, "epochs": 1,
                         "lr": 1e-4, "optimizer": "sgd"},
            "good": {"dataset": "fashion_mnist", "subset": 6000, "hidden": "256,128", "dropout": 0.2,
                     "batchnorm": True, "epochs": 5, "lr": 1e-3, "optimizer": "adam"},
        },
    },
    "cnn": {
        "path": "app_pages/04_cnn.py",
        "controls": _vision_controls("cnn", arch="arch", width="width", dropout="dropout", finetune="ft"),
        "types": {"augment": list},
        "presets": {
            "scratch": {"dataset": "fashion_mnist", "arch": "vgg", "width": 16, "epochs": 2},
            "transfer": {"dataset": "fashion_mnist", "arch": "efficientnet", "finetune": 0, "epochs": 1,
                         "subset": 1000},
            "lenet": {"dataset": "fashion_mnist", "arch": "lenet", "epochs": 2},
        },
    },
    "linreg": {
        "path": "app_pages/02_pytorch_basics.py",
        "controls": {"lr": "lr.lr", "epochs": "lr.epochs", "delay": "lr.delay"},
        "presets": {"too_fast": {"lr": 0.3, "epochs": 100}, "too_slow": {"lr": 0.001, "epochs": 200},
                    "good": {"lr": 0.03, "epochs": 200}},
    },
    "sequence": {
        "path": "app_pages/05_sequence.py",
        "controls": {"tokenizer": "seq.tok", "cells": "seq.cells", "embed": "seq.embed", "hidden": "seq.hidden",
                     "layers": "seq.layers", "bidirectional": "seq.bidir", "dropout": "seq.drop",
                     "epochs": "seq.epochs", "lr": "seq.lr", "seed": "seq.seed", "max_len": "seq.maxlen"},
        "types": {"cells": list},
        "presets": {"rnn_vs_lstm": {"cells": ["rnn", "lstm"]}, "rnn": {"cells": ["rnn"]},
                    "lstm": {"cells": ["lstm"]}, "gru": {"cells": ["gru"]}},
    },
    "lora": {
        "path": "app_pages/07_lora.py",
        "controls": {"steps": "lora.steps", "lr": "lora.lr", "batch": "lora.batch", "max_len": "lora.maxlen",
                     "seed": "lora.seed"},
        "presets": {"quick": {"steps": 10, "batch": 2, "max_len": 128}},
    },
}
_RESERVED = {"page", "preset", "hide", "mode"}


# ---- instructor mode ----------------------------------------------------------------------------------------
def teaching() -> bool:
    """Instructor mode: the sidebar switch, which `?mode=teach` turns on when a session starts."""
    if TEACH_KEY not in st.session_state:
        st.session_state[TEACH_KEY] = st.query_params.get("mode") == "teach"
    return bool(st.session_state[TEACH_KEY])


def sidebar(page_path: str) -> None:
    """The instructor switch; in instructor mode also the lesson link and the classroom reset."""
    teaching()
    st.sidebar.toggle(t("class.teach"), key=TEACH_KEY, help=t("class.teach_help"))
    if st.session_state.pop("class.reset_done", False):
        st.toast(t("class.reset_done"), icon="🧹")
    if not st.session_state[TEACH_KEY]:
        return
    with st.sidebar.expander(t("class.tools"), icon="🧑‍🏫"):
        _lesson_link(page_path)
        _reset_controls()


def load_run(name: str) -> tuple[dict, Path]:
    """A precomputed run shipped in assets/runs/<name>.json and the folder of its other files."""
    path = RUNS_DIR / f"{name}.json"
    if not path.is_file():
        raise UserError("class.no_run", f"no {path}")
    return json.loads(path.read_text(encoding="utf-8")), path.parent


def replayer(records: Iterable[Any], after: Callable[[], None] | None = None) -> Callable[[Any], Iterator[Any]]:
    """work(stop) yielding the stored records spread over REPLAY_SECONDS, so the page's live() draws them as it
    drew the real run; `after()` runs at the end (e.g. what the page's own work does once training ends)."""
    records = list(records)
    delay = REPLAY_SECONDS / max(len(records), 1)

    def work(stop):
        for record in records:
            if stop.is_set():
                return
            yield record
            if delay:
                time.sleep(delay)
        if after is not None:
            after()

    return work


# ---- lesson links -------------------------------------------------------------------------------------------
def lesson_for(path: str) -> str | None:
    return next((alias for alias, lesson in LESSONS.items() if lesson["path"] == path), None)


def widget_class(key: str) -> str:
    """The CSS class Streamlit gives a keyed element (its frontend replaces anything outside [A-Za-z0-9_-])."""
    return "st-key-" + re.sub(r"[^a-zA-Z0-9_-]", "-", key.strip())


def _decode(raw: str, kind: type | None) -> Any:
    if kind is list:
        return [v for v in raw.split(",") if v]
    if kind is str:
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw  # text values (an optimizer's name, "256,128") travel as they are


def _encode(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ",".join(map(str, value))
    return json.dumps(value) if isinstance(value, bool) else str(value)


def lesson_values(alias: str, params: dict[str, str]) -> dict[str, Any]:
    """Widget key → value from a link's preset and single settings (single settings win); unknown names are
    ignored, an unknown preset adds nothing."""
    lesson = LESSONS[alias]
    types = lesson.get("types", {})
    chosen = dict(lesson["presets"].get(params.get("preset", ""), {}))
    chosen |= {name: _decode(raw, types.get(name)) for name, raw in params.items()
               if name in lesson["controls"] and name not in _RESERVED}
    return {lesson["controls"][name]: value for name, value in chosen.items()}


def hidden_keys(alias: str, hide: str) -> list[str]:
    """`hide=optimizer,seed` → the widget keys; full widget keys work too."""
    controls = LESSONS[alias]["controls"]
    return [controls.get(name, name) for name in (n.strip() for n in hide.split(",")) if name]


def route(pages: dict[str, Any], current) -> None:
    """Apply `?page=…` once per session and link: switch to the page, preset its widgets, hide the named
    controls (on every run while the link's parameters are in the URL)."""
    params = {k: st.query_params[k] for k in st.query_params}
    alias = params.get("page")
    if alias not in LESSONS or LESSONS[alias]["path"] not in pages:
        return
    target = pages[LESSONS[alias]["path"]]
    if current.url_path != target.url_path:
        if st.session_state.get("class.routed") != params:
            st.session_state["class.routed"] = params
            st.switch_page(target, query_params=params)
        return
    if st.session_state.get("class.applied") != params:
        st.session_state["class.applied"] = params
        st.session_state["class.routed"] = params
        for key, value in lesson_values(alias, params).items():
            st.session_state[key] = value
    hide = hidden_keys(alias, params.get("hide", ""))
    if hide:
        css = ",".join(f".{widget_class(k)}" for k in hide)
        st.html(f"<style>{css}{{display:none !important}}</style>")


def _lesson_link(page_path: str) -> None:
    """The link that reopens the current page with its current settings: a teacher hands it out."""
    alias = lesson_for(page_path)
    if alias is None:
        st.caption(t("class.no_link"))
        return
    controls = LESSONS[alias]["controls"]
    hide = st.multiselect(t("class.hide"), list(controls), key="class.link_hide")
    query = {"page": alias} | {name: _encode(st.session_state[key]) for name, key in controls.items()
                               if key in st.session_state}
    if hide:
        query["hide"] = ",".join(hide)
    from urllib.parse import urlencode

    st.caption(t("class.link"))
    st.code("?" + urlencode(query, safe=","), language=None, wrap_lines=True)  # the code box has a copy button


# ---- reset --------------------------------------------------------------------------------------------------
_KEEP = (LANG_KEY, TEACH_KEY)


def reset_session(state) -> list[str]:
    """Stop this session's jobs and drop every key of this session but the language and instructor mode.
    `state` is this session's st.session_state: other sessions (and files on disk) are never touched."""
    dropped = [k for k in list(state.keys()) if k not in _KEEP]
    for key in dropped:
        stop = getattr(state[key], "stop", None)
        if hasattr(stop, "set"):  # a running Job: let its thread end
            stop.set()
        del state[key]
    return dropped


def _reset_controls() -> None:
    if not st.session_state.get("class.confirm"):
        st.button(t("class.reset"), icon="🧹", key="class.reset",
                  on_click=lambda: st.session_state.__setitem__("class.confirm", True))
        return
    st.warning(t("class.reset_confirm"))
    c1, c2 = st.columns(2)
    c1.button(t("class.reset_yes"), type="primary", key="class.reset_yes", on_click=_do_reset)
    c2.button(t("class.reset_no"), key="class.reset_no",
              on_click=lambda: st.session_state.__setitem__("class.confirm", False))


def _do_reset() -> None:
    reset_session(st.session_state)
    st.session_state["class.reset_done"] = True
