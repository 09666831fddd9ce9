"""The agent page against a scripted OpenAI-compatible server on 127.0.0.1: each step (thought, tool call with
its arguments, observation, answer) is drawn; the writer and critic take turns; bad input is explained."""
import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.serving import uvicorn_thread

ROOT = Path(__file__).resolve().parents[2]
REPLIES = {  # the last user message's start → the scripted model's reply
    "Task: What is 6 * 7?": 'Thought: arithmetic.\n<tool_call>{"name": "calculator", "arguments": '
                            '{"expression": "6 * 7"}}</tool_call>',
    "<tool_response>": "Answer: 6 * 7 = 42",
    "Task: Explain dropout": "Dropout switches units off.",
    "Task: Explain dropout\n\nWriter's": "1. Say why that helps.",
    "Task: Explain dropout\n\nYour previous": "Dropout switches random units off so no unit is relied on.",
}


@pytest.fixture(scope="module")
def scripted_server():
    from fastapi import FastAPI
    from fastapi.responses import StreamingResponse

    app = FastAPI()

    @app.post("/v1/chat/completions")
    def chat(body: dict):
        last = body["messages"][-1]["content"]
        text = next(reply for start, reply in sorted(REPLIES.items(), key=lambda kv: -len(kv[0]))
                    if last.startswith(start))
        chunk = {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": "m",
                 "choices": [{"index": 0, "delta": {"role": "assistant", "content": text}, "finish_reason": "stop"}]}
        return StreamingResponse(iter([f"data: {json.dumps(chunk)}\n\n", "data: [DONE]\n\n"]),
                                 media_type="text/event-stream")  # the provider streams, like the real APIs

    with uvicorn_thread(app) as port:
        yield f"http://127.0.0.1:{port}/v1"


def _open(url):
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=120)
    at.run()
    at.session_state["agent.provider"] = "compat"  # before the page runs: no local model is loaded
    at.session_state["agent.base_url"] = url
    at.switch_page("app_pages/08_agent.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _finish(at, key):
    job = at.session_state[key]
    assert job.wait(60) and job.error is None, job.error
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return job


def test_agent_steps_are_drawn(scripted_server):
    at = _open(scripted_server)
    assert at.title[0].value.endswith("도구를 쓰는 AI 에이전트")
    assert not at.sidebar.toggle(key="agent.native").value  # our server has no tools=: the text protocol
    at.text_area(key="agent.task.calc").input("What is 6 * 7?")
    at.button(key="agent.job.start").click().run()
    job = _finish(at, "agent.job")
    assert [s.kind for s in job.metrics] == ["thought", "call", "observation", "answer"]
    assert any(e.label == "🔧 도구 호출: calculator" for e in at.expander)
    assert any(c.value == "42" for c in at.code)                       # the observation, from the real tool
    assert [s.value for s in at.success] == ["답: 6 * 7 = 42"]  # st.success shows the leading ✅ as its icon
    assert any('"expression"' in j.value for j in at.json)           # the call's arguments
    assert any(c.value == "🔧 calculator의 결과를 그대로 옮김 (모델이 베껴 쓴 것이 아님): 42" for c in at.caption)
    assert sum(c.value == "🧠 모델이 정함" for c in at.caption) == 3  # thought, call and answer: the model decided
    assert any("bench/agent.py" in i.value for i in at.info)  # the measured success of the models


def test_empty_task_is_explained_and_nothing_runs(scripted_server):
    at = _open(scripted_server)
    at.text_area(key="agent.task.calc").input("   ")
    at.button(key="agent.job.start").click().run()
    assert any("과제가 비어 있습니다" in e.value for e in at.error)
    assert "agent.job" not in at.session_state


def test_writer_and_critic_turns_are_drawn(scripted_server):
    at = _open(scripted_server)
    at.text_area(key="agent.duo_task").input("Explain dropout")
    at.button(key="agent.duo_job.start").click().run()
    job = _finish(at, "agent.duo_job")
    assert [turn.role for turn in job.metrics] == ["writer", "critic", "writer"]
    shown = [m.value for m in at.markdown]
    assert "**✍️ 작가 (라운드 0)**" in shown and "**🧐 비평가 (라운드 1)**" in shown
    assert "Dropout switches random units off so no unit is relied on." in shown
