"""The constrained agent step: a near-miss tool name maps to the real tool, the answer carries the tool's result
verbatim, a next call must build on the last result, and LocalBackend's batched, cached name scoring agrees with a
plain full forward pass of a real model (SmolLM2-135M) while every call it makes is a valid tool with exactly the
schema's keys."""
import datetime as dt

import pytest

from core import agent as A
from core import tools as T
from core.assets import Registry
from core.config import Settings

S = Settings.load()
DAY = dt.date(2026, 11, 25)


class Scripted:
    name = id = "scripted"

    def __init__(self, replies):
        self.replies = list(replies)

    def stream(self, messages, stop_event=None, **params):
        yield self.replies.pop(0) if self.replies else "Answer: done"


def run_text(replies, task):
    tools = T.make_tools(T.ToolContext(now=lambda: DAY))
    return list(A.run_agent(A.TextBackend(Scripted(replies), tools), tools, task, 4))


def test_near_miss_tool_name_maps_to_the_real_tool_and_a_far_one_is_rejected():
    steps = run_text(['<tool_call>{"name": "calculate", "arguments": {"expression": "123 * 45 + 6"}}</tool_call>',
                      "Answer: 5541"], "What is 123 * 45 + 6?")
    call = next(s for s in steps if s.kind == "call")
    assert call.tool == "calculator" and call.text == "calculate → calculator"
    assert [s.text for s in steps if s.kind == "observation"] == ["5541"]
    steps = run_text(['<tool_call>{"name": "weather", "arguments": {}}</tool_call>', "Answer: ?"], "Seoul weather")
    assert "unknown tool 'weather'" in next(s.text for s in steps if s.kind == "error")


def test_answer_carries_the_tool_result_verbatim_even_when_the_model_miscopies_it():
    steps = run_text(['<tool_call>{"name": "calculator", "arguments": {"expression": "123 * 45 + 6"}}</tool_call>',
                      "Answer: 123 * 45 + 6 = 569"], "What is 123 * 45 + 6?")
    answer = steps[-1]
    assert answer.kind == "answer" and answer.text == "123 * 45 + 6 = 569"  # the model's words stay its own
    assert (answer.tool, answer.source) == ("calculator", "5541")
    assert A.final_answer(steps) == "123 * 45 + 6 = 569\n[calculator] 5541"
    steps = run_text(['<tool_call>{"name": "convert_units", "arguments": {"value": 10, "from_unit": "mile", '
                      '"to_unit": "km"}}</tool_call>', "Answer: 10 mile = 16.09344 km"], "10 miles in km?")
    assert A.final_answer(steps) == "10 mile = 16.09344 km"  # already verbatim: not repeated


def test_a_retrieval_result_is_not_passed_off_as_the_answer():
    assert A.tool_answer("search_docs", "[1] (notes.md) LoRA freezes ...") is None
    assert A.tool_answer("constitution", "임기는 5년 [1].\n---\n[1] (헌법) ...") == "임기는 5년 [1]."


@pytest.mark.parametrize("obs,tool,args,chained", [
    ("10 mile = 16.09344 km", "calculator", {"expression": "16.09344 * 3"}, True),
    ("10 mile = 16.09344 km", "calculator", {"expression": "10 * 3"}, False),       # ignores the result
    ("5541", "calculator", {"expression": "5541"}, False),                          # restates it
    ("25 degC = 77 degF", "calculator", {"expression": "77 + 10"}, True),
    ("5 kg = 11.023113 lb", "convert_units", {"value": 11.023113, "from_unit": "lb", "to_unit": "oz"}, True),
    ("2027-03-05 (Friday)", "today", {"amount": 0}, False),
    ("2026-12-24 (Thursday)", "convert_units", {"value": 2026, "from_unit": "week", "to_unit": "week"}, False),
])
def test_builds_on(obs, tool, args, chained):
    assert A.builds_on("Convert 10 miles to km, then multiply by 3 (or 25 degC, 5 kg)", obs, tool, args) is chained


@pytest.fixture(scope="module")
def small():
    from core.llm.local import LocalProvider, load_local

    lm, tok = load_local("smollm2-135m", Registry(S.cache_dir), S.cache_dir, dtype="float32")
    return LocalProvider("smollm2-135m", lm, tok)


def test_batched_cached_name_scores_match_a_plain_forward_pass(small):
    import torch

    tools = T.make_tools(T.ToolContext(now=lambda: DAY))
    backend = A.make_backend(small, tools)
    assert isinstance(backend, A.LocalBackend)
    messages = backend.start("Convert 42.195 km to miles.")
    prompt = small.tok.apply_chat_template(messages, tools=backend.schemas, add_generation_prompt=True,
                                           tokenize=False) + A.OPENER
    backend._feed(small.tok("unrelated text first", add_special_tokens=False)["input_ids"])  # a stale cache
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


def test_local_backend_calls_only_valid_tools_with_the_schemas_keys(small):
    tools = T.make_tools(T.ToolContext(now=lambda: DAY))
    keys = {t.name: set(t.args_schema.model_json_schema()["properties"]) for t in tools}
    for task in ("What is 17 * 23?", "Convert 5 gallons to liters.", "What day of the week is it today?"):
        steps = list(A.run_agent(A.make_backend(small, tools), tools, task, 3))
        assert steps[-1].kind in ("answer", "limit") and max(s.n for s in steps) <= 3
        for s in steps:
            if s.kind == "call":
                assert s.tool in keys and set(s.args) == keys[s.tool], (task, s)
        for i, s in enumerate(steps):  # whatever the model says, an answer after a result starts from it
            if s.kind == "answer" and s.source:
                assert s.text.startswith(s.source), (task, s)
            if s.kind == "declined":  # a call that ignores the last result is not made: the agent answers
                assert steps[i + 1].kind == "answer" and not A.builds_on(task, steps[i - 2].text, s.tool, s.args)


def test_unused_numbers_are_the_tasks_numbers_no_call_spent():
    called = [{"role": "assistant", "tool_calls": [{"function": {"name": "convert_units", "arguments": {
        "value": 10, "from_unit": "mile", "to_unit": "km"}}}]}]
    assert A.unused_numbers("Convert 10 miles to km, then multiply the result by 3.", called) == ["3"]
    assert A.unused_numbers("A GPU costs 1,250,000 won; 7 of them?", []) == ["1250000", "7"]
    assert A.result_number("10 mile = 16.09344 km") == 16.09344


def test_numbers_are_digits_even_where_the_model_would_spell_them(small):
    """A model pushed towards the word 'four' still fills a number field with digits only."""
    backend = A.make_backend(small, T.make_tools())
    word = small.tok(" four", add_special_tokens=False)["input_ids"][0]

    def spelling(ids, **kw):  # the real model, with the word made by far its likeliest next token
        out = small.lm(ids, **kw)
        out.logits[..., word] += 30
        return out

    backend.lm = spelling
    text = 'Four weeks from now: {"weeks": '
    assert backend._until(text, None, (",", "}")).startswith(" four")  # the reference: left free, it spells
    assert backend._number(text, None, integer=True).isdigit()
    float(backend._number(text, None, integer=False))  # a number JSON and the schema check accept


@pytest.mark.parametrize("said,want", [("Gamma Ray", "gamma ray"), ("Alpha Wave", "alpha wave")])
def test_an_enum_value_is_chosen_among_the_allowed_ones(small, said, want):
    """The model only scores the schema's choices: what it would write ('Gamma Ray') maps to the allowed one."""
    backend = A.make_backend(small, T.make_tools())
    schema = {"function": {"parameters": {"properties": {"kind": {"type": "string", "enum": [
        "alpha wave", "beta decay", "gamma ray"]}}}}}
    head = f'The user picked "{said}". Call: {{"name": "pick", "arguments": '
    args, text = backend._arguments(head, schema, None)
    assert args == {"kind": want} and text.endswith(f'{{"kind": "{want}"')


def test_a_chained_calculation_starts_from_the_result_and_takes_an_unused_number(small):
    backend = A.make_backend(small, T.make_tools())
    head = ('Task: Convert 10 miles to km, then multiply the result by 3.\nResult: 10 mile = 16.09344 km\n'
            '<tool_call>{"name": "calculator", "arguments": ')
    for unused in (["3"], ["3", "7"]):
        expression = backend._chain(head, 16.09344, unused)
        first, op, operand = expression.split(" ")
        assert first == "16.09344" and op in "+-*/" and operand in unused, expression
        assert T.calculator(expression)  # a valid expression for the calculator
