"""The constrained local backend and the program evaluator: the safe evaluator computes what Python computes and
refuses everything else; LocalBackend's batched, cached name scores agree with a plain forward pass of a real model
(SmolLM2-135M); every call it makes is a valid tool with exactly the schema's keys; numbers are digits and closed
choices stay in their list whatever the model prefers; what follows a result is the tool's metadata; a tool
registered outside core/agent is called; the error cap, the step limit and Stop end a run."""
import datetime as dt
import math
import threading
from typing import Literal

import pytest

from core import agent as A
from core import tools as T
from core.agent import constrained as C
from core.agent.program import computes, evaluate
from core.assets import Registry
from core.config import Settings
from core.errors import UserError

S = Settings.load()
DAY = dt.date(2026, 11, 25)


# ---- the program evaluator -----------------------------------------------------------------------------------
@pytest.mark.parametrize("code, value", [
    ("price = 2400 / 3\nanswer = price * 7", 2400 / 3 * 7),
    ("answer = ceil(60000 / 64)", math.ceil(60000 / 64)),
    ("answer = factorial(12) // 1000", math.factorial(12) // 1000),
    ("h = 325 // 100\nm = 325 % 100 * 60 // 100\nanswer = h * 60 + m", 325 // 100 * 60 + 325 % 100 * 60 // 100),
    ("answer = round(235146 * 4 / 1e6, 2)", round(235146 * 4 / 1e6, 2)),
    ("answer = max(3, 9) - min(4, abs(-2))", 7),
    ("x = 1000\nfor _ in range(3):\n    x *= 1.04\nprint(x)", 1000 * 1.04 ** 3),  # a printed value answers
    ("a = 5\nif a > 3:\n    b = 1\nelse:\n    b = 2\nanswer = b if a else 0", 1),
    ("total = 78 + 85 + 91\ntotal / 3", (78 + 85 + 91) / 3),                    # a last bare expression
    ("answer = floor(sqrt(50))", 7), ("answer = sum([1, 2, 3])", 6),
])
def test_the_evaluator_computes_what_python_computes(code, value):
    assert evaluate(code) == pytest.approx(value)


@pytest.mark.parametrize("code, key", [
    ("import os", "agent.program_refused"), ("answer = (1).__class__", "agent.program_refused"),
    ("answer = [1, 2][0]", "agent.program_refused"), ("while True:\n    pass", "agent.program_refused"),
    ("def f():\n    return 1", "agent.program_refused"), ("answer = 'a' * 3", "agent.program_refused"),
    ("answer = lambda: 1", "agent.program_refused"), ("answer = eval('1')", "agent.program_name"),
    ("answer = open('f')", "agent.program_name"), ("answer = y + 1", "agent.program_name"),
    ("answer = 2 ** 5000", "agent.program_math"), ("answer = factorial(10 ** 6)", "agent.program_math"),
    ("x = 0\nfor i in range(10 ** 9):\n    x += i", "agent.program_long"), ("answer = 1 +", "agent.program_syntax"),
    ("print('hi')", "agent.program_empty"), ("answer = [0] * 10 ** 9", "agent.program_refused"),
])
def test_the_evaluator_refuses_what_a_calculator_does_not_offer(code, key):
    with pytest.raises(UserError) as info:
        evaluate(code)
    assert info.value.key == key


def test_a_program_that_copies_a_number_computes_nothing():
    assert not computes("answer = 5") and not computes("x = 4\nanswer = x")
    assert computes("answer = 4 - 1") and computes("answer = round(4.2)") and computes("x = 1\nx += 1")


# ---- the constrained backend with a real model ----------------------------------------------------------------
@pytest.fixture(scope="module")
def small():
    from core.llm.local import LocalProvider, load_local

    lm, tok = load_local("smollm2-135m", Registry(S.cache_dir), S.cache_dir, dtype="float32")
    return LocalProvider("smollm2-135m", lm, tok)


def _pushed(small, piece):
    """The real model with the first token of piece made by far its likeliest next token."""
    token = small.tok(piece, add_special_tokens=False)["input_ids"][0]

    def lm(ids, **kw):
        out = small.lm(ids, **kw)
        out.logits[..., token] += 30
        return out
    return lm


def test_batched_cached_name_scores_match_a_plain_forward_pass(small):
    import torch

    tools = T.make_tools(T.ToolContext(now=lambda: DAY))
    backend = A.make_backend(small, tools)
    assert isinstance(backend, C.LocalBackend)
    prompt = backend._prompt(backend.start("Convert 42.195 km to miles."))
    backend._feed(small.tok("unrelated text first", add_special_tokens=False)["input_ids"])  # stale cache
    name, probs = backend.choose(prompt, backend.names)
    reference = {}
    prefix = small.tok(prompt, add_special_tokens=False)["input_ids"]
    for n in backend.names:  # independent: one uncached forward over the whole text per candidate
        full = small.tok(prompt + n + '",', add_special_tokens=False)["input_ids"]
        with torch.no_grad():
            lp = small.lm(torch.tensor([full])).logits[0].log_softmax(-1)
        reference[n] = sum(lp[i - 1, full[i]].item() for i in range(len(prefix), len(full)))
    ref = torch.tensor(list(reference.values())).softmax(0).tolist()
    assert name == max(reference, key=reference.get)
    assert list(probs.values()) == pytest.approx(ref, abs=1e-3)


def test_a_tool_a_program_can_call_is_offered_as_the_program_tool(small):
    backend = A.make_backend(small, T.make_tools())
    assert backend.names == ["calculator", "calendar"]  # convert_units runs inside the calculator's programs


def test_local_backend_calls_only_valid_tools_with_the_schemas_keys(small):
    tools = T.make_tools(T.ToolContext(now=lambda: DAY))
    keys = {t.name: set(t.args_schema.model_json_schema()["properties"]) for t in tools}
    for task in ("What is 17 * 23?", "What day of the week is it 3 days from today?"):
        steps = list(A.run_agent(A.make_backend(small, tools), tools, task, 3))
        assert steps[-1].kind == "answer" and max(s.n for s in steps) <= 3
        for s in steps:
            if s.kind == "call":
                assert s.tool in keys and set(s.args) == keys[s.tool], (task, s)
            if s.kind == "program":  # what the model wrote is shown, and it is what the call runs
                assert steps[steps.index(s) + 1].args == {"expression": s.text}
        answer = steps[-1]
        if answer.source:  # an answering result is the answer, verbatim (a fixed policy)
            assert answer.text == answer.source and answer.by == "policy"


def test_numbers_are_digits_even_where_the_model_would_spell_them(small):
    backend = A.make_backend(small, T.make_tools())
    backend.lm = _pushed(small, " four")
    text = 'Four weeks from now: {"weeks": '
    assert backend._until(text, None, (",", "}")).startswith(" four")  # left free, it spells
    assert backend._digits(text, None, integer=True).isdigit()
    float(backend._digits(text, None, integer=False))


def test_a_closed_choice_stays_in_its_list_and_a_number_is_one_of_the_tasks(small):
    """A model pushed towards a word outside the list still picks a listed value; the amount is the task's."""
    tools = T.make_tools(T.ToolContext(now=lambda: DAY))
    backend = A.make_backend(small, tools)
    backend.lm = _pushed(small, "tomorrow")
    prompt = backend._prompt(backend.start("What is the date 45 days from today?"))
    args = backend._arguments(prompt, "calendar", next(t for t in tools if t.name == "calendar"), None)
    assert args["amount"] == 45 and args["unit"] in ("days", "weeks", "months", "years")
    assert args["direction"] in ("later", "ago") and args["weekday"] in ("none",) + T.WEEKDAYS


def _after(backend, task, name, content, ok=True, code=""):
    messages = backend.start(task)
    messages += [{"role": "assistant", "content": "", "tool_calls": [{"function": {"name": name, "arguments": {}}}]},
                 {"role": "tool", "name": name, "content": content, "ok": ok, "code": code}]
    return messages


def test_what_follows_a_result_is_the_tools_metadata(small):
    def lookup(question: str) -> str:
        """Look a fact up."""
        return ""

    tools = T.make_tools(T.ToolContext(now=lambda: DAY)) + [A.tool(lookup, result="evidence", task_arg="question")]
    backend = A.make_backend(small, tools)
    backend.lm = _pushed(small, "calendar")  # a model that would rather call another tool
    reply = backend.ask(_after(backend, "What is 12 * 3?", "calculator", "36"))
    assert not reply.calls and reply.answer == "36" and reply.by == "policy"  # an answering result answers
    reply = backend.ask(_after(backend, "How long is the term?", "lookup", "The term is 4 years. [1]\n---\n[1] x"))
    assert reply.thought.split()[0] in (C.FINAL, "calculator")  # after evidence: answer or compute, nothing else
    assert "calendar" not in reply.thought


def test_evidence_with_nothing_to_compute_on_answers(small):
    """A task and a retrieved sentence with no number in either: a program would have to invent its numbers, so the
    sentence answers (a fixed policy), even with a model that would rather call the calculator."""
    def lookup(question: str) -> str:
        """Look a fact up."""
        return ""

    tools = T.make_tools(T.ToolContext(now=lambda: DAY)) + [A.tool(lookup, result="evidence", task_arg="question")]
    backend = A.make_backend(small, tools)
    backend.lm = _pushed(small, "calculator")
    fact = "The capital is Sejong and Seoul. [1]\n---\n[1] (notes.txt) The capital is Sejong and Seoul."
    reply = backend.ask(_after(backend, "Where is the capital?", "lookup", fact))
    assert not reply.calls and reply.answer == "The capital is Sejong and Seoul. [1]" and reply.by == "policy"
    reply = backend.ask(_after(backend, "Where is the capital?", "lookup", "The term is 4 years. [1]"))
    assert reply.thought.split()[0] in (C.FINAL, "calculator")  # a number to compute on: the model chooses


def test_after_two_errors_the_agent_answers_with_what_it_has(small):
    backend = A.make_backend(small, T.make_tools())
    messages = _after(backend, "What is 12 * 3?", "calculator", "error: bad", ok=False, code="x +")
    messages += messages[2:]  # the same failed call twice
    reply = backend.ask(messages)
    assert not reply.calls and reply.answer is not None


def test_a_registered_tool_is_called_by_the_local_model(small):
    """One place to add a tool: a currency table registered here, with no edit in core/agent."""
    rates = {"USD": 1380.0, "EUR": 1490.0, "JPY": 9.2}

    def exchange(amount: float, currency: Literal["USD", "EUR", "JPY"]) -> str:
        """Convert an amount of a foreign currency to Korean won."""
        return f"{amount:g} {currency} = {amount * rates[currency]:g} KRW"

    tools = [A.tool(exchange, result="answer")]
    steps = list(A.run_agent(A.make_backend(small, tools), tools, "How many won is 250 EUR?", 3))
    call = next(s for s in steps if s.kind == "call")
    assert call.tool == "exchange" and call.args["amount"] == 250 and call.args["currency"] in rates
    assert steps[-1].kind == "answer" and steps[-1].text == next(s.text for s in steps if s.kind == "observation")


def test_the_step_limit_and_stop_end_a_local_run(small):
    tools = T.make_tools()
    steps = list(A.run_agent(A.make_backend(small, tools), tools, "What is 17 * 23?", 1))
    assert [s.kind for s in steps][-1] == "answer" and steps[-1].n == 1  # the last allowed turn answers
    stop = threading.Event()
    stop.set()
    assert [s.kind for s in A.run_agent(A.make_backend(small, tools), tools, "What is 17 * 23?", 3, stop)] == \
        ["stopped"]


def test_the_first_choice_is_shown_the_nearest_pool_tasks_and_their_tools(small):
    """Few-shot tool choice: the pool's nearest tasks come before the task as turns that call their tool; only
    tools this backend offers, no program on a looked-up fact (a later step's example). That the shown tools pull
    the choice is measured with the default model, whose chat template writes the calls (test_default_model.py)."""
    from core.agent.examples import ExamplePool
    from core.embeddings import make_embedder

    rows = [("What date is it 9 days from now?", "", "calendar"), ("오늘부터 5주 뒤는 며칠이야?", "", "calendar"),
            ("What weekday was it 40 days ago?", "", "calendar"),
            ("Facts: The term is 6 years.\nTask: How many days from now does the term end?", "term = 6", "calculator"),
            ("What did the notes say about the date of the exam?", "", "search_docs"),
            ("How much is 12 apples at 300 won?", "answer = 12 * 300", "calculator")]
    pool = ExamplePool(rows, make_embedder("e5", Registry(S.cache_dir)), k=2)
    tools = T.make_tools()  # no retrieval tools: search_docs is not offered
    backend = A.make_backend(small, tools)
    backend.start("Which date will it be in 30 days?")
    assert backend.pool is None and backend._shots() == []  # no pool: no examples
    backend.pool = pool
    shots = backend._shots()
    shown = [m["content"] for m in shots if m["role"] == "user"]
    assert len(shown) == C.CHOICE_SHOTS and not any(s.startswith(C.FACTS) or "notes" in s for s in shown)
    near = [t for _, (t, _, tool) in pool.nearest(backend.task) if tool in backend.names and not t.startswith("Facts")]
    assert shown == near[:C.CHOICE_SHOTS][::-1]  # the nearest last, next to the task
    assert all(m["tool_calls"][0]["function"]["name"] in backend.names for m in shots if m["role"] == "assistant")
    assert [s.kind for s in A.run_agent(backend, tools, "Which date will it be in 30 days?", 2)][-1] == "answer"


def test_every_worked_example_in_the_pool_runs_and_names_a_tool_of_the_agent():
    """The pool is data a student extends: each program runs in the calculator, each line names a real tool."""
    import json

    names = {t.name for t in T.make_tools(T.ToolContext(now=lambda: DAY))} | {"search_docs", "constitution"}
    with open(T.EXAMPLES_FILE, encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    assert len(rows) >= 120 and len({r["task"] for r in rows}) == len(rows)
    for row in rows:
        assert row["tool"] in names, row
        if row.get("program"):
            value = T.calculator(row["program"])
            assert value and not value.startswith("error"), row


# ---- the task's numbers first, the int8 engine -------------------------------------------------------------
def test_the_task_numbers_line_lists_each_number_as_written():
    line = C.numbers_line("연봉 4,200만원에서 30%를 내고, nn.Linear(512, 256) float32 모델은 4,200만원에")
    assert line == "# numbers: 4,200만 (=42000000), 30%를, 512, 256\n"  # glued units kept, digits inside words not;
    # a number with Korean place units read whole, with its value
    assert C.numbers_line("What is twelve times three?") == ""
    assert evaluate(line + "answer = 42000000 * 0.7") == pytest.approx(29400000)  # a comment: the program runs


def test_programs_start_with_the_task_numbers_on_either_engine(small):
    """The torch engine writes greedily after the numbers line; the program it returns starts with that line."""
    tools = T.make_tools()
    backend = A.make_backend(small, tools)
    backend.start("A box holds 12 eggs. How many boxes for 150 eggs?")
    assert backend._program(tools[0], "", [], None).startswith("# numbers: 12, 150\n")


def test_on_the_int8_engine_programs_are_written_there_and_tool_choices_on_torch(small):
    """A provider with an int8 engine (the app's default) writes the programs there, greedily, one call a program;
    the tool choice is scored on the torch model of the same weights."""
    from core.llm.ct2 import load_ct2

    engine = load_ct2("smollm2-135m", Registry(S.cache_dir), S.cache_dir, torch_loader=lambda: (small.lm, small.tok))
    calls, real = [], engine.continuations
    engine.continuations = lambda text, **k: calls.append(text) or real(text, **k)  # a spy on the real engine
    tools = T.make_tools()
    backend = A.make_backend(engine, tools)
    backend.start("What is 12 * 3 + 4?")
    code = backend._program(tools[0], "", [], None)
    assert len(calls) == 1 and calls[0].endswith(C.CODE + "# numbers: 12, 3, 4\n")
    assert code == ("# numbers: 12, 3, 4\n" + real(calls[0], max_tokens=160, stop="```")[0]).strip()
    steps = list(A.run_agent(backend, tools, "What is 12 * 3 + 4?", 2))
    assert steps[0].kind == "thought" and "calculator" in steps[0].text  # the torch model's scores
    assert len(calls) == 1 + sum(s.kind == "program" for s in steps) and steps[-1].kind == "answer"
