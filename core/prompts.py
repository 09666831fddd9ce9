"""Prompt-engineering templates for the prompt lab, built with LangChain's prompt classes."""
from __future__ import annotations

from core.errors import UserError

TEMPLATES = ("zero_shot", "few_shot", "cot", "role")
COT_SUFFIX = "Let's think step by step, then give the final answer on the last line."


def build(template: str, task: str, text: str, examples: list[dict] | None = None, role: str = "") -> list[dict]:
    """Messages for one template. examples: [{"input": ..., "output": ...}] for few-shot."""
    from langchain_core.prompts import ChatPromptTemplate, FewShotChatMessagePromptTemplate

    if not (task.strip() or text.strip()):
        raise UserError("llm.empty_prompt", "the prompt is empty")
    parts: list = []
    if template == "role":
        parts.append(("system", "You are {role}."))
    elif template not in TEMPLATES:
        raise UserError("pl.bad_template", f"unknown template {template}")
    parts.append(("system", "{task}"))
    if template == "few_shot":
        shots = [e for e in (examples or []) if str(e.get("input", "")).strip() and str(e.get("output", "")).strip()]
        if not shots:
            raise UserError("pl.no_examples", "few-shot needs at least one complete example")
        example_prompt = ChatPromptTemplate.from_messages([("human", "{input}"), ("ai", "{output}")])
        parts.append(FewShotChatMessagePromptTemplate(examples=shots, example_prompt=example_prompt))
    parts.append(("human", "{text}" + ("\n\n" + COT_SUFFIX if template == "cot" else "")))
    prompt = ChatPromptTemplate.from_messages(parts)
    role_of = {"system": "system", "human": "user", "ai": "assistant"}
    return [{"role": role_of[m.type], "content": m.content}
            for m in prompt.format_messages(task=task, text=text, role=role or "a helpful assistant")]
