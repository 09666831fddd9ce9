"""The inference server (serve/app.py) under hostile requests, through the real FastAPI app.

The model is a test double that yields numbered tokens until told to stop: what is under test here is the server's
limits, queue and stop event, which must hold whatever model sits behind them."""
import json
import queue
import threading
import time

import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient

from serve import app as S
from tests.hostile.conftest import bounded
from tests.serving import uvicorn_thread

KEY = "right-key"
AUTH = {"Authorization": f"Bearer {KEY}"}
USER = [{"role": "user", "content": "hi"}]
TOOL = {"type": "function", "function": {"name": "t", "parameters": {"type": "object", "properties": {}}}}


class EndlessModel:
    """Like LocalProvider: a worker thread makes a token every 10 ms until max_tokens or the stop event, and the
    generator hands them over. Closing the generator alone would NOT stop that thread: only the event does."""

    name = "endless"

    def __init__(self):
        self.gate = threading.Event()  # cleared: generations wait here (to fill the queue)
        self.gate.set()
        self.running = 0  # worker threads still producing
        self.stopped_early = threading.Event()
        self.finished = threading.Event()

    def _work(self, out: queue.Queue, max_tokens: int, stop_event):
        self.running += 1
        try:
            self.gate.wait(30)
            for i in range(max_tokens):
                if stop_event is not None and stop_event.is_set():
                    self.stopped_early.set()
                    return
                time.sleep(0.01)
                out.put(f"t{i} ")
            self.finished.set()
        finally:
            self.running -= 1
            out.put(None)

    def stream(self, messages, temperature=0.7, top_p=0.95, max_tokens=256, seed=None, stop_event=None):
        out: queue.Queue = queue.Queue()
        threading.Thread(target=self._work, args=(out, max_tokens, stop_event), daemon=True).start()
        while (piece := out.get()) is not None:
            yield piece


class Embedder:
    name, dim = "fake-e5", 4

    def embed_documents(self, texts):
        return np.ones((len(texts), self.dim), dtype=np.float32)


@pytest.fixture
def client():
    return TestClient(S.create_app(EndlessModel(), Embedder(), api_key=KEY))


def _chat(client, raw: str | None = None, **body):
    if raw is not None:
        return client.post("/v1/chat/completions", content=raw, headers={**AUTH, "content-type": "application/json"})
    return client.post("/v1/chat/completions", json={"messages": USER, "max_tokens": 3, **body}, headers=AUTH)


@pytest.mark.parametrize("raw", [
    '{"messages": [{"role": "user", "content": "hi"}], "temperature": NaN}',
    '{"messages": [{"role": "user", "content": "hi"}], "temperature": Infinity}',
    '{"messages": [{"role": "user", "content": "hi"}], "top_p": NaN}',
    '{"messages": [{"role": "user", "content": "hi"}], "top_p": -Infinity}',
])
def test_non_finite_numbers_are_422_not_500(sandbox, client, raw):
    r = _chat(client, raw)
    assert r.status_code == 422 and "detail" in r.json()


@pytest.mark.parametrize("body", [
    dict(temperature=2.5), dict(top_p=0), dict(max_tokens=10**9), dict(max_tokens=0), dict(seed=-1),
    dict(seed=2**70), dict(messages=[]), dict(messages=USER * (S.MAX_MESSAGES + 1)),
    dict(messages=[{"role": "user", "content": "x" * (S.MAX_CONTENT_CHARS + 1)}]),
    dict(messages=[{"role": "user", "content": "x" * 30_000}] * 3),               # each fine, together too much
    dict(messages=[{"role": "tool", "content": "hi"}]), dict(model="m" * 1000),
    dict(tools=[TOOL] * (S.MAX_TOOLS + 1)), dict(tool_choice="required"),
    dict(tools=[{"type": "function", "function": {"name": "rm -rf /"}}]),
    dict(tools=[{"type": "function", "function": {"name": "t", "parameters": {"x": "y" * S.MAX_TOOLS_CHARS}}}]),
    dict(messages=[{"role": "user", "content": "hi", "tool_calls": [
        {"id": "c", "type": "function", "function": {"name": "t", "arguments": "{}"}}]}]),
])
def test_every_field_is_bounded(sandbox, client, body):
    with bounded(5):
        assert _chat(client, **body).status_code == 422


@pytest.mark.parametrize("stream", [True, False])
def test_only_a_system_message_is_a_clear_400(sandbox, client, stream):
    r = _chat(client, messages=[{"role": "system", "content": "be nice"}], stream=stream)
    assert r.status_code == 400 and "empty" in r.json()["detail"]


@pytest.mark.parametrize("payload", [
    {"input": "x" * (S.MAX_EMBED_CHARS + 1)}, {"input": ["a"] * (S.MAX_EMBED_INPUTS + 1)}, {"input": []},
    {"input": ["ok", "y" * (S.MAX_EMBED_CHARS + 1)]}, {"input": 5},
])
def test_embedding_inputs_are_bounded(sandbox, client, payload):
    with bounded(5):
        assert client.post("/v1/embeddings", json=payload, headers=AUTH).status_code == 422


def test_embeddings_within_limits_work(sandbox, client):
    r = client.post("/v1/embeddings", json={"input": ["a", "b"]}, headers=AUTH)
    assert r.status_code == 200 and len(r.json()["data"]) == 2


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": KEY},
                                     {"Authorization": f"Bearer {KEY} "}, {"Authorization": "Bearer " + "k" * 10_000}])
def test_wrong_or_missing_key_is_401(sandbox, client, headers):
    assert client.get("/v1/models", headers=headers).status_code == 401
    assert client.post("/v1/chat/completions", json={"messages": USER}, headers=headers).status_code == 401


def test_key_is_compared_in_constant_time(monkeypatch, client):
    calls = []
    real = S.secrets.compare_digest
    monkeypatch.setattr(S.secrets, "compare_digest", lambda a, b: calls.append(1) or real(a, b))
    assert client.get("/v1/models", headers=AUTH).status_code == 200 and calls


def test_docs_are_closed_when_a_key_is_set(sandbox, client):
    for path in ("/docs", "/redoc", "/openapi.json"):
        assert client.get(path).status_code == 404
        assert client.get(path, headers=AUTH).status_code == 404
    open_app = TestClient(S.create_app(EndlessModel()))
    assert open_app.get("/openapi.json").status_code == 200  # no key: a local classroom server keeps its docs


def test_streamed_answer_and_queue_header(sandbox, client):
    r = _chat(client, stream=True)
    lines = [json.loads(x[6:]) for x in r.text.split("\n\n") if x.startswith("data: {")]
    assert r.status_code == 200 and r.headers["x-queue-position"] == "0"
    assert "".join(c["choices"][0]["delta"].get("content", "") for c in lines) == "t0 t1 t2 "


# ---- a real server: disconnects and the queue --------------------------------------------------------------------
@pytest.fixture
def live():
    model = EndlessModel()
    with uvicorn_thread(S.create_app(model, api_key=KEY), log_level="error") as port:
        yield f"http://127.0.0.1:{port}", model
        model.gate.set()


def test_client_disconnect_stops_generation(sandbox, live):
    url, model = live
    body = {"messages": USER, "max_tokens": 3000, "stream": True}  # 30 s of tokens if nothing stops it
    with httpx.Client(timeout=10) as http:
        with http.stream("POST", url + "/v1/chat/completions", json=body, headers=AUTH) as r:
            got = 0
            for line in r.iter_lines():
                got += line.startswith("data: {")
                if got >= 5:
                    break  # leaving the block closes the connection mid-stream
    assert model.stopped_early.wait(5), "generation ran on after the client left"
    assert not model.finished.is_set()
    deadline = time.time() + 5
    while model.running and time.time() < deadline:
        time.sleep(0.05)
    assert model.running == 0


def test_concurrent_generations_queue_then_429(sandbox, live):
    url, model = live
    model.gate.clear()  # every generation waits: the first runs, the next MAX_WAITING queue, one more is refused
    results: dict[int, httpx.Response] = {}

    def ask(i):
        with httpx.Client(timeout=30) as http:
            results[i] = http.post(url + "/v1/chat/completions", json={"messages": USER, "max_tokens": 2},
                                   headers=AUTH)

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(S.MAX_RUNNING + S.MAX_WAITING)]
    for th in threads:
        th.start()
        time.sleep(0.05)  # arrival order = queue order
    deadline = time.time() + 5
    while httpx.get(url + "/health").json()["queued"] < len(threads) and time.time() < deadline:
        time.sleep(0.05)
    assert model.running == S.MAX_RUNNING  # one generation at a time on the shared model
    extra = httpx.post(url + "/v1/chat/completions", json={"messages": USER}, headers=AUTH, timeout=10)
    assert extra.status_code == 429 and extra.headers["retry-after"]
    model.gate.set()
    for th in threads:
        th.join(30)
    assert all(r.status_code == 200 for r in results.values()) and len(results) == len(threads)
    positions = sorted(int(r.headers["x-queue-position"]) for r in results.values())
    assert positions == list(range(len(threads)))


def test_starting_the_server_leaves_no_log_file(sandbox, monkeypatch):
    """The in-app 'start server' button: its log used to stay in /tmp, one file per start."""
    import sys

    from core import evaluate as EV
    from core.errors import UserError

    monkeypatch.setattr(sys, "executable", "/bin/false")  # a child that dies at once: the log is read, then?
    with bounded(10), pytest.raises(UserError) as info:
        EV.start_server(timeout=5)
    assert info.value.key == "ev.server_died"
    assert list(sandbox["tmp"].iterdir()) == []
