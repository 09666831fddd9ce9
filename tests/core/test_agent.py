"""The agent's tools one by one, the agent loop with a scripted model (call → observation → answer, a malformed
call → error observation → recovery, the step limit, Stop), a tool registered outside core/agent, native OpenAI
function calling against a scripted OpenAI-style server, the writer–critic turns, and the loop against the
project's own server (serve/app.py)."""
import datetime as dt
import json
import threading
from typing import Literal

import pytest

from core import agent as A
from core import tools as T
from core.agent.backends import json_objects
from core.agent.registry import answer_part
from core.assets import Registry
from core.config import Settings
from core.errors import UserError
from tests.serving import uvicorn_thread

S = Settings.load()
REG = Registry(S.cache_dir)
DAY = dt.date(2026, 11, 25)  # a Wednesday


class Scripted:
    """A provider that replies from a script and keeps every prompt it was sent."""
    name = id = "scripted"

    def __init__(self, replies):
        self.replies, self.prompts = list(replies), []

    def stream(self, messages, stop_event=None, **params):
        self.prompts.append([dict(m) for m in messages])
        yield self.replies.pop(0) if self.replies else "Answer: done"


def call(name, **args):
    return f'Thought: use {name}.\n<tool_call>{json.dumps({"name": name, "arguments": args})}</tool_call>'


def run(replies, task="What is 123 * 45 + 6?", max_steps=5, tools=None, stop=None):
    provider = Scripted(replies)
    tools = tools or T.make_tools(T.ToolContext(now=lambda: DAY))
    steps = list(A.run_agent(A.TextBackend(provider, tools), tools, task, max_steps, stop))
    return steps, provider


# ---- tools ---------------------------------------------------------------------------------------------------
def test_calculator_runs_expressions_and_programs_like_python_and_refuses_code():
    assert T.calculator("123 * 45 + 6") == str(123 * 45 + 6)
    assert T.calculator("2^10 + 1,234") == str(2**10 + 1234)
    assert float(T.calculator("3847 / 17")) == pytest.approx(3847 / 17, rel=1e-9)
    assert T.calculator("0.1 + 0.2") == "0.3"
    assert T.calculator("price = 2400 / 3\nanswer = price * 7") == "5600"
    assert T.calculator("round(convert_units(72, 'degF', 'degC'), 1)") == "22.2"  # (72 - 32) * 5 / 9 = 22.22…
    assert T.calculator("m = 325 / 100 * 60\nprint(m // 60, '시간', m % 60, '분')") == "3시간 15분"  # words: a line
    assert T.calculator("print(7 // 2, 'boxes and', 7 % 2, 'left')") == "3 boxes and 1 left"
    assert T.calculator("x = 3\nprint(x * 2)") == "6"  # a number alone printed is the value
    for bad, key in [("x + 1", "agent.program_name"), ("__import__('os')", "agent.program_name"),
                     ("1/0", "agent.program_math"), ("open('f').read()", "agent.program_refused"),
                     ("import os", "agent.program_refused"), ("answer = (", "agent.program_syntax"),
                     ("convert_units(5, 'kg', 12)", "agent.bad_unit")]:  # a number where a unit belongs
        with pytest.raises(UserError) as info:
            T.calculator(bad)
        assert info.value.key == key, bad


def test_convert_units_against_definitions():
    assert T.convert_units(10, "mile", "km").endswith("= 16.09344 km")  # 1 mile = 1.609344 km exactly
    assert "= 100 degC" in T.convert_units(212, "degF", "degC")
    assert "= 37 섭씨" in T.convert_units(98.6, "화씨", "섭씨")
    assert float(T.convert_units(121, "평", "m**2").split("= ")[1].split()[0]) == pytest.approx(400)
    with pytest.raises(UserError) as info:
        T.convert_units(1, "kg", "km")
    assert info.value.key == "agent.unit_mismatch"
    with pytest.raises(UserError) as info:
        T.convert_units(1, "blorp", "km")
    assert info.value.key == "agent.bad_unit"


def test_today_and_offsets():
    """Reference dates read off a calendar: 2026-11-25 is a Wednesday."""
    assert T.today(now=lambda: DAY) == "2026-11-25 (Wednesday)"
    assert T.today(100, now=lambda: DAY) == "2027-03-05 (Friday)"
    assert T.today(30, "days", "ago", now=lambda: DAY) == "2026-10-26 (Monday)"
    assert T.today(4, "weeks", now=lambda: DAY) == "2026-12-23 (Wednesday)"
    assert T.today(1, "weeks", "later", "Friday", now=lambda: DAY) == "2026-12-04 (Friday)"  # 다음 주 금요일
    assert T.today(0, weekday="Monday", now=lambda: DAY) == "2026-11-23 (Monday)"            # this week's Monday
    assert T.today(3, "months", now=lambda: DAY) == "2027-02-25 (Thursday)"
    assert T.today(1, "months", now=lambda: dt.date(2027, 1, 31)) == "2027-02-28 (Sunday)"  # clamped
    assert T.today(1, "years", "ago", now=lambda: DAY) == "2025-11-25 (Tuesday)"
    with pytest.raises(UserError):
        T.today(100_001, now=lambda: DAY)


def test_date_and_unit_arguments_are_closed_choices():
    """The schema the model sees lists the choices; the tool takes a count and words, never a signed offset."""
    schemas = {s["function"]["name"]: s["function"]["parameters"]["properties"] for s in A.tool_schemas(T.make_tools())}
    assert schemas["calendar"]["direction"]["enum"] == ["later", "ago"]
    assert schemas["calendar"]["amount"]["minimum"] == 0
    assert "Friday" in schemas["calendar"]["weekday"]["enum"] and "degF" in schemas["convert_units"]["to_unit"]["enum"]
    tools = {t.name: t for t in T.make_tools(T.ToolContext(now=lambda: DAY))}
    assert A.execute(tools["calendar"], {"amount": 2, "unit": "days", "direction": "ago"}) == ("2026-11-23 (Monday)",
                                                                                               True)
    obs, ok = A.execute(tools["calendar"], {"amount": -3})
    assert not ok and "amount" in obs
    args = {"value": 10, "from_unit": "miles", "to_unit": "킬로미터"}  # a near miss, and a Korean alias
    assert A.execute(tools["convert_units"], args) == ("10 mile = 16.09344 km", True)
    assert args["from_unit"] == "miles"  # the call as written stays as it was shown
    obs, ok = A.execute(tools["convert_units"], {"value": 1, "from_unit": "blorp", "to_unit": "km"})
    assert not ok and "from_unit" in obs


@pytest.fixture(scope="module")
def ctx(tmp_path_factory):
    from core.embeddings import make_embedder
    from core.vectordb import VectorStore

    return T.ToolContext(VectorStore(tmp_path_factory.mktemp("chroma")), make_embedder("e5", REG), REG)


def test_the_example_pool_puts_the_nearest_worked_example_next_to_the_task(ctx):
    from core.agent.examples import ExamplePool

    kinds = [("Convert 20 degrees Celsius to Fahrenheit.", "answer = convert_units(20, 'degC', 'degF')"),
             ("8 friends share a 56,000 won bill. How much does each pay?", "answer = 56000 / 8"),
             ("How many steps is one epoch of 1,000 images with batch size 30, rounding up?",
              "answer = ceil(1000 / 30)"),
             ("A 90 minute film starts at 14:10. When does it end?", "end = 14 * 60 + 10 + 90")]
    pool = ExamplePool(kinds, ctx.embedder, k=2)
    for task, want in [("What is 451 degrees Fahrenheit in Celsius?", 0),
                       ("3명이 27,000원을 똑같이 내면 한 명에 얼마?", 1),
                       ("batch 64, 5,000 samples: iterations per epoch?", 2)]:
        shown = pool(task)
        assert len(shown) == 2 and shown[-1] == kinds[want], (task, shown)  # the nearest last, next to the task
    tools = {t.name: t for t in T.make_tools(ctx)}  # with an embedder the calculator's examples are the pool
    pool = A.meta(tools["calculator"]).examples
    assert isinstance(pool, ExamplePool) and len(pool.examples) >= 30 and len(pool("5 miles in km")) == pool.k


def test_search_docs_finds_the_right_note_and_puts_its_answering_sentence_first(ctx):
    for query, note, sentence in [("What does LoRA freeze?", "06_finetuning.md", "LoRA freezes the pretrained"),
                                  ("what does dropout do", "02_training.md", "Dropout randomly switches off"),
                                  ("early stopping watches", "02_training.md", "Early stopping watches the val")]:
        best, sources = ctx.search_docs(query).split("\n---\n")
        assert best.startswith(sentence) and best.endswith("[1]") and note in sources.split("\n")[0], query


def test_a_weak_retrieval_answers_with_its_closest_sentence_marked_never_the_snippets(ctx):
    """A Korean question on the English notes passes no support threshold: the closest sentence answers, marked
    weak, and the agent's answer is that sentence, not the source list."""
    obs = ctx.search_docs("ResNet 깊은 네트워크 학습 추가한 것")
    answer = answer_part(obs)
    assert answer.startswith(T.WEAK_MATCH) and "skip connections" in answer and "(03_cnn.md)" not in answer
    assert "(03_cnn.md)" in obs.split("\n---\n")[1]  # the snippets are still observed


def test_a_long_sentence_answers_with_its_clause_that_shares_the_querys_words():
    long = ("Plain RNNs forget long-range information because gradients vanish; the LSTM adds gates and a cell "
            "state that decide what to keep, and the GRU is a lighter variant with two gates. [1]")
    assert T.clause("강의 노트에 GRU는 게이트가 몇 개?", long) == "the GRU is a lighter variant with two gates. [1]"
    assert T.clause("What does the LSTM add?", long).startswith("the LSTM adds gates")
    short = "LoRA freezes the weights; GRU is small. [2]"
    assert T.clause("GRU?", short) == short  # a short sentence stays whole


def test_constitution_rag_retrieves_the_article_and_answers_with_the_llm(ctx):
    sources = ctx.constitution("대통령의 임기는 몇 년인가요?")
    assert "대통령의 임기는 5년" in sources.replace("\n", " ")
    ctx.provider = Scripted(["대통령의 임기는 5년입니다 [1]."])
    try:
        out = ctx.constitution("대통령의 임기는 몇 년인가요?")
    finally:
        ctx.provider = None
    assert out.startswith("대통령의 임기는 5년입니다 [1].") and "[1] (대한민국헌법.txt)" in out
    ctx.provider = Scripted(["대법관의 임기는 10년입니다 [1]."])  # close wording, a number the article lacks
    try:
        out = ctx.constitution("대법관의 임기는 몇 년인가요?")
    finally:
        ctx.provider = None
    assert answer_part(out).startswith("대법관의 임기는 6년")  # not the model's 10년
    assert [t.name for t in T.make_tools(ctx)] == ["calculator", "convert_units", "calendar", "search_docs",
                                                   "constitution"]
    assert [A.meta(t).result for t in T.make_tools(ctx)] == ["answer"] * 3 + ["evidence"] * 2


# ---- parsing and the loop -------------------------------------------------------------------------------------
def test_parse_reply_variants():
    r = A.parse_reply(call("calculator", expression="1+1"))
    assert r.calls[0].name == "calculator" and r.calls[0].args == {"expression": "1+1"} and r.thought
    r = A.parse_reply('```json\n{"tool": "today", "args": {"offset_days": 3}}\n```')
    assert (r.calls[0].name, r.calls[0].args) == ("today", {"offset_days": 3})
    r = A.parse_reply('<tool_call>{"name": "calculator", "arguments": "{\\"expression\\": \\"2*3\\"}"}</tool_call>')
    assert r.calls[0].args == {"expression": "2*3"}
    assert A.parse_reply("Thought: done.\nAnswer: 42").answer == "42"
    assert A.parse_reply("The answer is 42.").answer == "The answer is 42."
    r = A.parse_reply("Thought: I need the date.")  # stopped before acting: told so, not taken as the answer
    assert r.error and r.answer is None and r.thought == "I need the date."
    assert A.parse_reply('<tool_call>{"name": "calculator", "arguments": {expression: 2}}</tool_call>').error
    assert json_objects('a {"x": 1} b {"y": {"z": 2}} {bad') == ['{"x": 1}', '{"y": {"z": 2}}', '{bad']


def test_call_observation_answer():
    steps, provider = run([call("calculator", expression="123 * 45 + 6"), "Answer: 5541"])
    assert [s.kind for s in steps] == ["thought", "call", "observation", "answer"]
    assert steps[1].tool == "calculator" and steps[1].args == {"expression": "123 * 45 + 6"}
    assert steps[2].text == "5541" and steps[3].text == "5541" and steps[3].n == 2
    assert [s.by for s in steps] == ["model", "model", "tool", "model"]  # the model decides every step here
    assert "<tool_response>\n5541\n</tool_response>" in provider.prompts[1][-1]["content"]  # the result went back


def test_malformed_call_gives_error_observation_then_recovers():
    steps, provider = run(['<tool_call>{"name": "calculator", "arguments": {expression: 2+2}}</tool_call>',
                           call("convert_units", value="ten", from_unit="mile", to_unit="km"),
                           call("convert_units", value=10, from_unit="mile", to_unit="km"),
                           "Answer: 16.09 km"], task="Convert 10 miles to km")
    kinds = [s.kind for s in steps]
    assert kinds == ["error", "thought", "call", "error", "thought", "call", "observation", "answer"]
    assert "malformed" in steps[0].text and "bad arguments" in steps[3].text and "value" in steps[3].text
    assert "16.09344 km" in steps[6].text
    assert "malformed" in provider.prompts[1][-1]["content"]  # the model saw its mistake
    assert "error: bad arguments" in provider.prompts[2][-1]["content"]  # a failed call is flagged as an error


def test_unknown_tool_and_repeated_call_are_observed():
    steps, _ = run([call("weather", city="Seoul"), call("calculator", expression="2*3"), "<tool_call>{oops",
                    call("calculator", expression="2*3"), "Answer: 6"])
    errors = [s.text for s in steps if s.kind == "error"]
    assert errors and "unknown tool 'weather'" in errors[0]
    assert "already called" in [s.text for s in steps if s.kind == "observation"][-1]


def test_a_tool_registered_outside_core_agent_is_called():
    """One place to add a tool: a function with its metadata, passed in the list; nothing in core/agent changes."""
    rates = {"USD": 1380.0, "EUR": 1490.0, "JPY": 9.2}

    def exchange(amount: float, currency: Literal["USD", "EUR", "JPY"]) -> str:
        """Convert an amount of a foreign currency to Korean won."""
        return f"{amount:g} {currency} = {amount * rates[currency]:g} KRW"

    tools = T.make_tools() + [A.tool(exchange, result="answer")]
    steps, provider = run([call("exchange", amount=100, currency="USD"), "Answer: 138000원"], tools=tools,
                          task="100달러는 몇 원?")
    assert '"name": "exchange"' in provider.prompts[0][0]["content"]  # its schema reached the model
    assert next(s.text for s in steps if s.kind == "observation") == "100 USD = 138000 KRW"
    assert A.final_answer(steps) == "138000원\n[exchange] 100 USD = 138000 KRW"
    with pytest.raises(TypeError):
        A.tool(exchange, reslt="answer")  # a misspelt metadata key is refused, not ignored


def test_step_limit_stops_a_looping_model():
    steps, provider = run([call("calculator", expression=f"{i} + 1") for i in range(10)], max_steps=3)
    assert steps[-1].kind == "limit" and steps[-1].by == "policy" and len(provider.prompts) == 3
    assert max(s.n for s in steps) == 3 and "No more tool calls" in provider.prompts[-1][-1]["content"]


def test_stop_event_ends_the_run():
    stop = threading.Event()
    provider = Scripted([call("calculator", expression=f"{i} + 1") for i in range(10)])
    tools = T.make_tools()
    got = []
    for step in A.run_agent(A.TextBackend(provider, tools), tools, "add", 8, stop):
        got.append(step)
        if step.kind == "observation":
            stop.set()
    assert got[-1].kind == "stopped" and len(provider.prompts) == 1


def test_bad_task_and_limits():
    for task, steps, key in [("  ", 3, "agent.empty_task"), ("hi", 0, "agent.bad_steps"),
                             ("hi", A.MAX_STEPS + 1, "agent.bad_steps")]:
        with pytest.raises(UserError) as info:
            list(A.run_agent(A.TextBackend(Scripted([]), []), [], task, steps))
        assert info.value.key == key


def test_writer_and_critic_take_turns():
    provider = Scripted(["draft one", "1. too short", "draft two", "1. add an example", "draft three"])
    from core.duo import writer_critic

    turns = list(writer_critic(provider, "Explain dropout", rounds=2))
    assert [(t.role, t.round) for t in turns] == [("writer", 0), ("critic", 1), ("writer", 1), ("critic", 2),
                                                 ("writer", 2)]
    assert "draft one" in provider.prompts[1][-1]["content"]          # the critic reads the draft
    assert "1. too short" in provider.prompts[2][-1]["content"]       # the writer reads the critique
    assert turns[-1].text == "draft three"


# ---- servers --------------------------------------------------------------------------------------------------
def test_native_openai_function_calling_round_trip():
    """OpenAIBackend against a scripted OpenAI-style server: tools= goes out, tool_calls come back, the tool
    result returns as a role=tool message with the call's id."""
    from fastapi import FastAPI

    from core.llm.remote import OpenAICompatible

    seen = []
    app = FastAPI()

    @app.post("/v1/chat/completions")
    def chat(body: dict):
        seen.append(body)
        if len(seen) == 1:
            msg = {"role": "assistant", "content": "I will calculate.", "tool_calls": [
                {"id": "call_1", "type": "function",
                 "function": {"name": "calculator", "arguments": json.dumps({"expression": "6*7"})}}]}
        else:
            msg = {"role": "assistant", "content": "6*7 = 42"}
        return {"id": "x", "object": "chat.completion", "created": 0, "model": "m",
                "choices": [{"index": 0, "message": msg, "finish_reason": "stop"}]}

    with uvicorn_thread(app) as port:
        tools = T.make_tools()
        backend = A.make_backend(OpenAICompatible(None, "m", base_url=f"http://127.0.0.1:{port}/v1", name="compat"),
                                 tools, native=True)
        steps = list(A.run_agent(backend, tools, "What is 6*7?", 4))
    assert [s.kind for s in steps] == ["thought", "call", "observation", "answer"]
    assert steps[2].text == "42" and steps[3].text == "6*7 = 42"
    assert {t["function"]["name"] for t in seen[0]["tools"]} == {"calculator", "convert_units", "calendar"}
    assert seen[1]["messages"][-1] == {"role": "tool", "tool_call_id": "call_1", "content": "42"}


def test_agent_loop_against_the_projects_own_server():
    """serve/app.py over SmolLM2, reached with the openai client: the loop's mechanics, not the model's wisdom."""
    from core.llm.local import LocalProvider, load_local
    from core.llm.remote import OpenAICompatible
    from serve.app import create_app

    lm, tok = load_local("smollm2-135m", REG, S.cache_dir)
    with uvicorn_thread(create_app(LocalProvider("smollm2-135m", lm, tok))) as port:
        provider = OpenAICompatible(None, "course-local", base_url=f"http://127.0.0.1:{port}/v1", name="compat")
        provider.client = provider.client.with_options(timeout=300)  # a CPU model reads a long tool prompt first
        sent = []
        stream = provider.stream
        provider.stream = lambda messages, **kw: (sent.append(messages), stream(messages, **kw))[1]
        tools = T.make_tools()
        backend = A.make_backend(provider, tools)
        assert isinstance(backend, A.TextBackend)
        steps = list(A.run_agent(backend, tools, "What is 17 * 3?", 3))
    assert steps[-1].kind in ("answer", "limit") and 1 <= len(sent) <= 3
    assert all(s.n <= 3 for s in steps) and all(s.kind in ("thought", "call", "observation", "error", "answer",
                                                           "limit") for s in steps)
    assert '"name": "calculator"' in sent[0][0]["content"]  # the tools' JSON schemas reached the server
    for s in steps:
        if s.kind == "call" and s.tool == "calculator" and set(s.args) == {"expression"}:
            following = steps[steps.index(s) + 1]
            assert following.kind in ("observation", "error")
