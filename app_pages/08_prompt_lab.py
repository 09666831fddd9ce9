"""Day 8: prompt engineering side by side: zero-shot, few-shot, chain-of-thought, role; or one prompt at two
temperatures."""
from __future__ import annotations

import streamlit as st

from core.errors import UserError
from ui.i18n import t
from ui.llm import provider_picker
from ui.widgets import header, show_user_error

EXAMPLES = [{"input": "배송이 빠르고 포장도 꼼꼼해요", "output": "positive"},
            {"input": "한 번 쓰고 고장 났어요", "output": "negative"}]


def prompt_lab_page() -> None:
    import pandas as pd

    from core.prompts import TEMPLATES, build

    with st.sidebar:
        provider = provider_picker("lab")
        max_tokens = st.slider(t("llm.max_tokens"), 16, 512, 160, 16, key="lab.max")
    mode = st.radio(t("lab.mode"), ["two_prompts", "two_temps"], format_func=lambda m: t(f"lab.mode.{m}"),
                    horizontal=True, key="lab.mode")
    text = st.text_area(t("lab.input"), t("lab.input_default"), key="lab.input", height=80)
    st.caption(t("lab.examples"))
    examples = st.data_editor(pd.DataFrame(EXAMPLES), num_rows="dynamic", key="lab.editor", width="stretch")
    cols = st.columns(2)
    specs = []
    for i, col in enumerate(cols):
        with col:
            if mode == "two_prompts" or i == 0:
                template = st.selectbox(t("lab.template"), TEMPLATES, index=[0, 1][i] if mode == "two_prompts" else 0,
                                        format_func=lambda x: t(f"lab.tpl.{x}"), key=f"lab.tpl{i}")
                task = st.text_area(t("lab.task"), t("lab.task_default"), key=f"lab.task{i}", height=80)
                role = st.text_input(t("lab.role"), t("lab.role_default"), key=f"lab.role{i}",
                                     disabled=template != "role")
            temp = st.slider("temperature", 0.0, 1.5, [0.0, 1.2][i], 0.1, key=f"lab.temp{i}")
            specs.append((template, task, role, temp))
    if not st.button(t("lab.run"), type="primary", icon="🧪", key="lab.run") or provider is None:
        return
    for col, (template, task, role, temp) in zip(cols, specs):
        with col:
            try:
                messages = build(template, task, text, examples.to_dict("records"), role)
                with st.expander(t("lab.messages"), icon="🧾"):
                    st.json(messages)
                with st.container(border=True):
                    st.write_stream(provider.stream(messages, temperature=temp, max_tokens=max_tokens, seed=0))
            except UserError as exc:
                show_user_error(exc)


header("page.prompt_lab")
st.caption(t("lab.intro"))
prompt_lab_page()
