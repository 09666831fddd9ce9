"""What the agent knows about a tool, all in one place: the tool's own metadata. A student adds a tool with `tool()`
(or any LangChain tool whose `metadata` holds these keys) and passes it in the list; nothing in core/agent changes.

    result    what its result means: "answer" (it answers the task: a number, a date) or "evidence" (a sentence
              to answer from, or to compute on)
    program   the name of the argument that holds a short program (the calculator): the local model writes a
              program there (see program.py) instead of one value at a time
    examples  for a program tool: worked examples, (task, program) pairs the local model is shown, or a callable
              task -> pairs (an ExamplePool of examples.py: the nearest examples to the task; its tasks that name
              other tools are shown before the local model's first tool choice)
    covers    for a program tool: the tools its programs can call; the local model is offered the program tool in
              their place (fewer choices that do not overlap, and a program can round or add after a conversion)
    task_arg  the argument that is the task itself (a retrieval query): copied, never retyped by a small model
    choices   a hook (task, key, args so far) -> allowed values of a closed-list argument for this task, or None
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class ToolMeta:
    result: str = "answer"
    program: str | None = None
    examples: tuple = ()
    covers: tuple = ()
    task_arg: str | None = None
    choices: Callable | None = None


def meta(tool) -> ToolMeta:
    """A tool's agent metadata, with the defaults for a plain LangChain tool."""
    known = {k: v for k, v in (getattr(tool, "metadata", None) or {}).items() if k in ToolMeta.__dataclass_fields__}
    return ToolMeta(**known)


def tool(func, name: str | None = None, args_schema=None, **metadata):
    """A LangChain StructuredTool from a function (its docstring is the description the model reads), with the agent
    metadata above: tool(convert_currency, result="answer")."""
    from langchain_core.tools import StructuredTool

    bad = set(metadata) - set(ToolMeta.__dataclass_fields__)
    if bad:
        raise TypeError(f"unknown tool metadata: {', '.join(sorted(bad))}")
    return StructuredTool.from_function(func, name=name, args_schema=args_schema, metadata=metadata)


def tool_schemas(tools) -> list[dict]:
    """OpenAI-format JSON schemas of LangChain tools (the same for every provider)."""
    from langchain_core.utils.function_calling import convert_to_openai_tool

    return [convert_to_openai_tool(t) for t in tools]


def answer_part(observation: str) -> str:
    """The part of a result that answers: before a tool's '---' (the sources below it are for reading)."""
    return observation.split("\n(you already")[0].split("\n---")[0].strip()
