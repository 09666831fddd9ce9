"""The agent loop, as LangChain's AgentExecutor runs it, with every step visible:

    run_agent(backend, tools, task, max_steps, stop_event) -> Iterator[Step]
        thought → call (tool + arguments) → observation (or error) → ... → answer | limit | stopped

A backend turns the conversation into one model turn (a Reply) with start(task) -> state, ask(state, stop_event,
final) -> Reply and record(state, reply, results); backends.py and constrained.py differ only in how the model is
asked. Every step says what decided it (`by`): the model, a constraint on the model, a fixed policy, or the tool.
"""
from __future__ import annotations

import difflib
import json
import threading
from dataclasses import dataclass, field
from typing import Iterator

from core.errors import UserError

from .registry import answer_part

MAX_STEPS = 12
MAX_CALLS_PER_TURN = 2


@dataclass
class Step:
    kind: str            # thought | program | call | observation | error | answer | limit | stopped
    n: int               # the model turn it belongs to (1-based)
    text: str = ""
    tool: str | None = None
    args: dict | None = None
    source: str | None = None  # answer only: the tool result it rests on, verbatim
    by: str = ""         # what decided this step: model | constraint | policy | tool

    def shown(self) -> str:
        """The text as the user sees it: an answer carries its tool result unless it already holds it."""
        return f"{self.text}\n[{self.tool}] {self.source}" if self.source and self.source not in self.text \
            else self.text


@dataclass
class Call:
    name: str
    args: dict
    id: str = ""


@dataclass
class Reply:
    thought: str = ""
    program: str = ""     # a program the model wrote, which the call runs (shown as its own step)
    calls: list[Call] = field(default_factory=list)
    answer: str | None = None
    error: str | None = None  # a malformed call, fed back to the model as an observation
    by: str = "model"     # what decided this turn
    raw: object = None    # what the backend needs to record the turn


def execute(tool, args: dict) -> tuple[str, bool]:
    """Validate the arguments against the tool's schema and run it: (observation, ok). A failure is a flag, and
    its text tells the model what was wrong."""
    from pydantic import ValidationError

    props = (tool.args_schema.model_json_schema() if tool.args_schema else {}).get("properties", {})
    if "__text__" in args and len(props) == 1:  # a bare string for a one-argument tool
        args = {next(iter(props)): args["__text__"]}
    args = dict(args)  # the call as the model wrote it stays on the page
    for key, value in args.items():  # a near-miss choice ('miles', 'friday') means the close allowed one
        allowed = [str(v) for v in props.get(key, {}).get("enum", [])]
        if allowed and isinstance(value, str) and value not in allowed:
            args[key] = next(iter(difflib.get_close_matches(value, allowed, 1, 0.8)), value)
    unknown = [k for k in args if k not in props]
    if unknown:
        return f"unknown argument(s) {', '.join(unknown)}; {tool.name} takes {', '.join(props) or 'none'}", False
    try:
        return str(tool.invoke(args)), True
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:3])
        return f"bad arguments for {tool.name}: {problems}", False
    except (UserError, ValueError, ArithmeticError) as exc:  # a tool that fails is a flag, not a crash
        return str(exc), False


def run_agent(backend, tools, task: str, max_steps: int = 6, stop_event: threading.Event | None = None
              ) -> Iterator[Step]:
    """Run the agent, yielding each step as it happens. Stops at an answer, the step limit or stop_event."""
    if not task.strip():
        raise UserError("agent.empty_task", "the task is empty")
    if not 1 <= max_steps <= MAX_STEPS:
        raise UserError("agent.bad_steps", "step limit out of range", limit=MAX_STEPS)
    by_name = {t.name: t for t in tools}
    state = backend.start(task)
    done: dict[str, str] = {}  # call signature → observation, to catch a model repeating itself
    last = None  # (tool, observation) of the latest successful call

    def stopped() -> bool:
        return stop_event is not None and stop_event.is_set()

    for n in range(1, max_steps + 1):
        if stopped():
            yield Step("stopped", n)
            return
        reply = backend.ask(state, stop_event, final=n == max_steps)  # the last turn is told to answer
        if stopped():
            yield Step("stopped", n)
            return
        if reply.thought:
            yield Step("thought", n, reply.thought, by="model")  # the model's words or scores
        if reply.program:
            yield Step("program", n, reply.program, by="model")
        if reply.error:
            yield Step("error", n, reply.error, by="model")
            backend.record(state, reply, [])
            continue
        if not reply.calls:
            source = answer_part(last[1]) if last else None
            yield Step("answer", n, reply.answer or "", tool=last[0] if last else None, source=source, by=reply.by)
            return
        if n == max_steps:
            break
        results = []
        for call in reply.calls[:MAX_CALLS_PER_TURN]:
            wrote = call.name
            if call.name not in by_name:  # a near miss ('calculate') means the close valid tool
                call.name = next(iter(difflib.get_close_matches(call.name, by_name, 1, 0.6)), call.name)
            yield Step("call", n, f"{wrote} → {call.name}" if wrote != call.name else "", tool=call.name,
                       args=call.args, by=reply.by)
            sig = f"{call.name}:{json.dumps(call.args, sort_keys=True, ensure_ascii=False)}"
            if call.name not in by_name:
                obs, ok = f"unknown tool {call.name!r}; tools: {', '.join(by_name)}", False
            elif sig in done:
                obs, ok = f"{done[sig]}\n(you already called this; give the final answer now)", True
            else:
                obs, ok = execute(by_name[call.name], call.args)
                if ok:
                    done[sig] = obs
            yield Step("observation" if ok else "error", n, obs, tool=call.name, by="tool")
            results.append((call, obs, ok))
            last = (call.name, obs) if ok else last
        backend.record(state, reply, results)
    yield Step("limit", max_steps, by="policy")


def final_answer(steps: list[Step]) -> str | None:
    return next((s.shown() for s in reversed(steps) if s.kind == "answer"), None)
