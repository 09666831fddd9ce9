"""Function calling on the project's own OpenAI-compatible server (serve/app.py): the tools reach the model's chat
template, the calls it writes come back as OpenAI tool_calls (plain and streamed), results go back as tool
messages; and the default Qwen model, asked through the openai client, calls the calculator with a right
expression."""
import json

import pytest
from fastapi.testclient import TestClient

from core.tools import calculator
from serve import app as S

CALC = {"type": "function", "function": {"name": "calculator", "description": "Evaluate arithmetic",
                                         "parameters": {"type": "object",
                                                        "properties": {"expression": {"type": "string"}},
                                                        "required": ["expression"]}}}
ASK = [{"role": "user", "content": "What is 6 times 7?"}]


class Scripted:
    """Says its lines in turn, keeping what each request handed it (messages, tools)."""
    name = "scripted"

    def __init__(self, *lines):
        self.lines, self.seen = list(lines), []

    def stream(self, messages, stop_event=None, tools=None, **params):
        self.seen.append({"messages": messages, "tools": tools})
        yield from self.lines.pop(0)


def _post(provider, **body):
    client = TestClient(S.create_app(provider))
    return client.post("/v1/chat/completions", json={"messages": ASK, "tools": [CALC], **body})


@pytest.mark.parametrize("reply", [
    '<tool_call>\n{"name": "calculator", "arguments": {"expression": "6*7"}}\n</tool_call>',
    '{"name": "calculator", "arguments": {"expression": "6*7"}}',  # the tags are special tokens, decoded away
])
def test_a_call_the_model_writes_comes_back_as_tool_calls(reply):
    model = Scripted(reply)
    r = _post(model).json()
    choice = r["choices"][0]
    assert choice["finish_reason"] == "tool_calls" and choice["message"]["content"] is None
    [call] = choice["message"]["tool_calls"]
    assert call["type"] == "function" and call["id"].startswith("call_")
    assert call["function"]["name"] == "calculator"
    assert json.loads(call["function"]["arguments"]) == {"expression": "6*7"}
    assert model.seen[0]["tools"] == [CALC]


def test_results_go_back_to_the_template_as_tool_messages_with_object_arguments():
    model = Scripted("42입니다.")
    call = {"id": "call_1", "type": "function",
            "function": {"name": "calculator", "arguments": '{"expression": "6*7"}'}}
    history = ASK + [{"role": "assistant", "content": None, "tool_calls": [call]},
                     {"role": "tool", "tool_call_id": "call_1", "content": "42"}]
    r = _post(model, messages=history).json()
    assert r["choices"][0] == {"index": 0, "message": {"role": "assistant", "content": "42입니다."},
                               "finish_reason": "stop"}
    sent = model.seen[0]["messages"]
    assert sent[1]["tool_calls"][0]["function"]["arguments"] == {"expression": "6*7"}  # what templates expect
    assert sent[2] == {"role": "tool", "content": "42", "tool_call_id": "call_1"}


def test_streamed_call_arrives_as_a_tool_calls_delta():
    client = TestClient(S.create_app(Scripted('{"name": "calculator", "arguments": {"expression": "2+2"}}')))
    with client.stream("POST", "/v1/chat/completions", json={"messages": ASK, "tools": [CALC], "stream": True}) as r:
        events = [json.loads(line[6:]) for line in r.iter_lines() if line.startswith("data: {")]
    deltas = [e["choices"][0] for e in events]
    [call] = next(d["delta"]["tool_calls"] for d in deltas if d["delta"].get("tool_calls"))
    assert call["index"] == 0 and json.loads(call["function"]["arguments"]) == {"expression": "2+2"}
    assert deltas[-1]["finish_reason"] == "tool_calls"
    assert not any(d["delta"].get("content") for d in deltas)


@pytest.mark.parametrize("body, reply", [
    ({"tool_choice": "none"}, '{"name": "calculator", "arguments": {"expression": "6*7"}}'),  # no tools asked
    ({}, '{"name": "rm_rf", "arguments": {}}'),  # a tool nobody offered
    ({}, "6 곱하기 7은 42입니다."),
])
def test_text_that_is_no_offered_call_stays_the_answer(body, reply):
    model = Scripted(reply)
    choice = _post(model, **body).json()["choices"][0]
    assert choice["finish_reason"] == "stop" and choice["message"]["content"] == reply
    assert "tool_calls" not in choice["message"]
    assert model.seen[0]["tools"] == (None if body else [CALC])


@pytest.mark.default_model
def test_qwen_calls_the_calculator_through_the_openai_client():
    from openai import OpenAI

    from core.assets import Registry
    from core.config import Settings
    from core.llm.local import LocalProvider, load_local
    from tests.serving import uvicorn_thread

    settings = Settings.load()
    lm, tok = load_local("qwen2.5-0.5b", Registry(settings.cache_dir), settings.cache_dir)
    with uvicorn_thread(S.create_app(LocalProvider("qwen2.5-0.5b", lm, tok))) as port:
        client = OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="none", timeout=300)
        res = client.chat.completions.create(model="course-local", messages=[
            {"role": "user", "content": "What is 1234 times 56? Use the calculator."}], tools=[CALC], temperature=0,
            max_tokens=60)
    [call] = res.choices[0].message.tool_calls
    assert res.choices[0].finish_reason == "tool_calls" and call.function.name == "calculator"
    assert calculator(json.loads(call.function.arguments)["expression"]) == "69104"
