"""A tool-using agent whose every step is visible, in a few small modules (read loop.py first):

    loop.py         Step, Call, Reply, execute, run_agent: the loop every backend shares
    registry.py     what the agent knows about a tool (its metadata): the one place a new tool is described
    backends.py     the text protocol, OpenAI and Gemini native function calling
    constrained.py  the local model's constrained tool calls (the offline path)
    program.py      program-aided solving: a short Python program run by a safe evaluator
    examples.py     the worked examples nearest to a task (dynamic few-shot)
(core/duo.py, a writer and a critic taking turns, is the multi-agent demo beside it: chat turns, no tools.)
"""
from .backends import GeminiBackend, OpenAIBackend, TextBackend, make_backend, parse_reply
from .loop import MAX_STEPS, Call, Reply, Step, execute, final_answer, run_agent
from .registry import ToolMeta, meta, tool, tool_schemas

__all__ = ["MAX_STEPS", "Call", "GeminiBackend", "OpenAIBackend", "Reply", "Step", "TextBackend", "ToolMeta",
           "execute", "final_answer", "make_backend", "meta", "parse_reply", "run_agent", "tool", "tool_schemas"]
