"""Day 8: an AI agent that calls tools with every step visible, and two agents (writer, critic) taking turns."""
from __future__ import annotations

import json

import streamlit as st

from core.errors import UserError
from ui.i18n import t
from ui.jobs import job_panel
from ui.llm import provider_picker
from ui.resources import asset_registry, embedder, vector_store
from ui.state import State
from ui.widgets import header

S = State("agent")
EXAMPLES = ("calc", "units", "date", "law", "notes", "two")
# measured by bench/agent.py --providers local (programs on the int8 engine, as the page runs): --sets
# frozen/set8/agent_q8.csv (36 tasks written outside the project before round 8, read only as a total, 2026-12-07:
# 18/36 before the round and on its final code; median from the final run, 2 cores, nothing else running);
# --sets v1,set2,set3,set4 (written outside the project, dev sets since their items were read: 18, 20, 18, 20 of 36
# after round 7) and, before round 3's pool, --sets fresh4,fresh3,heldout,tasks --every 3. set5, set6 and set7
# (merge gates, read as totals only): 18 + 16 + 15 of 36.
MEASURED = {"unseen": "0.50 (18/36)", "unseen_set": "set8",
            "outside": "0.50 (18/36), 0.56 (20/36), 0.50 (18/36), 0.56 (20/36)",
            "dev": "0.72 (23/32)", "median": "6"}


def _tools(provider):
    from core.tools import ToolContext, make_tools

    # the constitution tool answers with an API model; with the local one by its best sentence (a 0.5B model's RAG
    # answer would cost up to 120 tokens per look-up), as bench/agent.py measures it
    local = hasattr(provider, "lm")
    ctx = ToolContext(vector_store(), embedder("e5"), asset_registry(), None if local else provider)
    return ctx, make_tools(ctx)


def _shown(text: str) -> str:
    """A tool's result with its fixed English markers in the reader's language (the model read them as written)."""
    from core.tools import NOT_FOUND, WEAK_MATCH

    return text.replace(WEAK_MATCH, t("agent.weak_match")).replace(NOT_FOUND, t("agent.not_found"))


def _draw_steps(job) -> None:
    if job.running and (not job.metrics or job.metrics[-1].kind in ("observation", "error")):
        st.caption(t("agent.waiting"))
    for n in sorted({s.n for s in job.metrics}):
        with st.chat_message("assistant", avatar="🤖"):
            st.markdown(f"**{t('agent.turn', n=n)}**")
            for step in (s for s in job.metrics if s.n == n):
                if step.by and step.kind not in ("observation", "stopped"):  # what decided it
                    st.caption(t(f"agent.by.{step.by}"))
                if step.kind == "thought":
                    st.markdown(f"{t('agent.thought')}: {step.text}")
                elif step.kind == "program":
                    st.caption(t("agent.program"))
                    st.code(step.text, language="python")
                elif step.kind == "call":
                    with st.expander(t("agent.call", tool=step.tool), expanded=True):
                        if step.text:  # the model's near-miss name, mapped onto a real tool
                            st.caption(t("agent.mapped", names=step.text))
                        st.json(step.args)
                elif step.kind == "observation":
                    with st.expander(t("agent.observation", tool=step.tool), expanded=True):
                        st.code(_shown(step.text), language=None)
                elif step.kind == "error":
                    st.warning(f"{t('agent.error')}\n\n`{step.text}`")
                elif step.kind == "answer":
                    st.success(f"{t('agent.answer')}: {_shown(step.text) or t('agent.no_answer')}")
                    if step.source:  # which part is the tool's result, verbatim, and not the model's copy
                        st.caption(t("agent.from_tool", tool=step.tool, result=step.source))
                elif step.kind == "limit":
                    st.warning(t("agent.limit", n=n))
                elif step.kind == "stopped":
                    st.info(t("agent.stopped"))


def agent_tab(provider, max_steps: int, native: bool) -> None:
    example = st.selectbox(t("agent.example"), EXAMPLES, format_func=lambda e: t(f"agent.ex.{e}"),
                           key=S.key("example"))
    task = st.text_area(t("agent.task"), t(f"agent.ex.{example}"), key=S.key(f"task.{example}"), height=80)

    def start():
        from core.agent import make_backend, run_agent

        if provider is None:
            raise UserError("agent.no_provider", "no provider")
        if not task.strip():
            raise UserError("agent.empty_task", "the task is empty")
        ctx, tools = _tools(provider)
        backend = make_backend(provider, tools, native)

        def work(stop):
            ctx.stop_event = stop
            return run_agent(backend, tools, task, max_steps, stop)

        return work

    job_panel(S.key("job"), t("agent.run"), start, _draw_steps, icon="🛠️")


def duo_tab(provider) -> None:
    st.caption(t("agent.duo_intro"))
    task = st.text_area(t("agent.duo_task"), t("agent.duo_default"), key=S.key("duo_task"), height=80)
    rounds = st.slider(t("agent.rounds"), 1, 3, 1, key=S.key("rounds"))

    def start():
        from core.duo import writer_critic

        if provider is None:
            raise UserError("agent.no_provider", "no provider")
        if not task.strip():
            raise UserError("agent.empty_task", "the task is empty")
        return lambda stop: writer_critic(provider, task, rounds, stop)

    def live(job):
        for turn in job.metrics:
            avatar = "✍️" if turn.role == "writer" else "🧐"
            with st.chat_message(turn.role, avatar=avatar):
                st.markdown(f"**{t(f'agent.{turn.role}', n=turn.round)}**")
                st.markdown(turn.text)
        if job.running:
            st.caption(t("agent.waiting"))

    job_panel(S.key("duo_job"), t("agent.duo_run"), start, live, icon="👥")


def agent_page() -> None:
    with st.sidebar:
        st.subheader(t("agent.settings"))
        provider = provider_picker("agent")
        max_steps = st.slider(t("agent.max_steps"), 1, 12, 5, key=S.key("max_steps"))
        remote = provider is not None and getattr(provider, "name", "") in ("openai", "gemini", "compat")
        native = st.toggle(t("agent.native"), value=remote and provider.name != "compat", disabled=not remote,
                           help=t("agent.native_help"), key=S.key("native"))
        if not remote:
            st.caption(t("agent.native_local"))
    st.caption(t("agent.small_hint"))
    local = provider is not None and hasattr(provider, "lm")
    st.info(t("agent.measured_local" if local or provider is None else "agent.measured_api", **MEASURED), icon="📏")
    with st.expander(t("agent.tools"), icon="🧰"):
        from core.agent import tool_schemas
        from core.tools import ToolContext, make_tools

        for schema in tool_schemas(make_tools(ToolContext())):  # schemas only: no index is built here
            st.code(json.dumps(schema["function"], ensure_ascii=False, indent=1), language="json")
    tab_agent, tab_duo = st.tabs([t("agent.tab.agent"), t("agent.tab.duo")])
    with tab_agent:
        agent_tab(provider, max_steps, native)
    with tab_duo:
        duo_tab(provider)


header("page.agent")
st.caption(t("agent.intro"))
agent_page()
