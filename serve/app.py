"""An OpenAI-compatible inference server over the course's local model, so any OpenAI client (and the app's
'OpenAI-compatible server' provider) can talk to it:

    python -m serve.app --model smollm2-135m --port 8000
    curl http://127.0.0.1:8000/v1/chat/completions -d '{"model": "x", "messages": [{"role": "user", "content": "hi"}]}'

Endpoints: GET /health, GET /v1/models, POST /v1/chat/completions (stream or not), POST /v1/embeddings.

Batching: with the CTranslate2 engine, requests that arrive together are generated as one batch (up to 8; core.llm.ct2),
each answer ending as soon as its own text does. `min_tokens` (vLLM's extension) holds off the end: load tests at a
fixed length (bench/serve.py).

Function calling: with `tools` (and tool_choice "auto", the default, or "none") the tools go into the model's own
chat template, and <tool_call>{"name": …, "arguments": {…}}</tool_call> blocks the model writes come back as
OpenAI `tool_calls` (finish_reason "tool_calls"), as vLLM's and llama.cpp's servers do for Qwen-style models; the
results go back as role "tool" messages. Unconstrained: a small model may answer in words instead, or misname a
tool (such a call is returned as text). A model whose template has no tools block (SmolLM2) only answers in words.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import threading
import time
import uuid
from contextlib import aclosing
from typing import Literal

from fastapi import Depends, FastAPI, Header, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field, model_validator
from starlette.concurrency import run_in_threadpool

from core.agent.backends import TOOL_CALL as _TOOL_CALL
from core.agent.backends import json_objects as _json_objects
from core.errors import UserError
from core.llm.base import GenParams, check_messages

# Every field is bounded: one request must not be able to buy minutes of CPU for everyone else.
MAX_MESSAGES = 64
MAX_CONTENT_CHARS = 32_000
MAX_PROMPT_CHARS = 64_000
MAX_EMBED_INPUTS = 64
MAX_EMBED_CHARS = 8_000
MAX_RUNNING = 1   # one CPU model: two generations at once only make both slower, unless the provider batches them
MAX_WAITING = 8   # beyond this a client gets 429 and Retry-After instead of a hung request
MAX_TOOLS = 32
MAX_TOOLS_CHARS = 32_000  # all tool schemas together, as JSON: they are part of the prompt
MAX_CALLS = 8
# the largest valid request (64 embedding inputs of 8,000 characters, each escaped as \uXXXX) stays under this
MAX_BODY_BYTES = 4 * 1024 * 1024
_END = object()


class CallFunction(BaseModel):
    name: str = Field(max_length=64)
    arguments: str = Field("{}", max_length=MAX_CONTENT_CHARS)


class ToolCall(BaseModel):
    id: str = Field(max_length=64)
    type: Literal["function"] = "function"
    function: CallFunction


class ChatMessage(BaseModel):
    role: Literal["system", "user", "assistant", "tool"]
    content: str | None = Field("", max_length=MAX_CONTENT_CHARS)
    tool_calls: list[ToolCall] | None = Field(None, max_length=MAX_CALLS)
    tool_call_id: str | None = Field(None, max_length=64)

    @model_validator(mode="after")
    def _tool_fields(self):
        if (self.role == "tool") != bool(self.tool_call_id):
            raise ValueError("a tool message, and only a tool message, carries the tool_call_id it answers")
        if self.tool_calls and self.role != "assistant":
            raise ValueError("only an assistant message carries tool_calls")
        return self

    def for_template(self) -> dict:
        """The message as a chat template reads it: a call's arguments as an object, not a JSON string."""
        out = {"role": self.role, "content": self.content or ""}
        if self.tool_calls:
            out["tool_calls"] = [{"id": c.id, "type": "function",
                                  "function": {"name": c.function.name, "arguments": _object(c.function.arguments)}}
                                 for c in self.tool_calls]
        if self.tool_call_id:
            out["tool_call_id"] = self.tool_call_id
        return out


class FunctionSpec(BaseModel):
    name: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")
    description: str = Field("", max_length=2000)
    parameters: dict = Field(default_factory=lambda: {"type": "object", "properties": {}})


class Tool(BaseModel):
    type: Literal["function"] = "function"
    function: FunctionSpec


def _object(arguments: str) -> dict:
    try:
        value = json.loads(arguments)
    except json.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def tool_calls_in(text: str, names: set[str]) -> tuple[str, list[dict]]:
    """(content, OpenAI tool_calls) from a reply holding <tool_call> blocks, or made only of call objects (the
    tags are special tokens, dropped when the reply is decoded): the words before the first block stay the
    content; a block that is not JSON or names no offered tool stays in the content as written."""
    blocks = list(_TOOL_CALL.finditer(text))
    bare = not blocks and text.strip().startswith("{")
    pieces = [m.group(1) for m in blocks] if blocks else _json_objects(text) if bare else []
    calls, kept = [], []
    for piece in pieces:
        try:
            obj = json.loads(piece)
        except json.JSONDecodeError:
            obj = None
        if not isinstance(obj, dict) or obj.get("name") not in names or len(calls) >= MAX_CALLS:
            kept.append(piece)
            continue
        args = obj.get("arguments", {})
        args = args if isinstance(args, str) else json.dumps(args, ensure_ascii=False)
        calls.append({"id": f"call_{uuid.uuid4().hex[:12]}", "type": "function",
                      "function": {"name": obj["name"], "arguments": args}})
    if not calls:
        return text, []
    before = text[:blocks[0].start()].strip() if blocks else ""
    return "\n".join([before, *kept]).strip(), calls


class ChatRequest(BaseModel):
    model: str = Field("course-local", max_length=200)
    messages: list[ChatMessage] = Field(min_length=1, max_length=MAX_MESSAGES)
    temperature: float = Field(0.7, ge=0, le=2, allow_inf_nan=False)
    top_p: float = Field(0.95, gt=0, le=1, allow_inf_nan=False)
    max_tokens: int | None = Field(256, ge=1, le=4096)
    seed: int | None = Field(None, ge=0, lt=2**32)
    # vLLM's extension: no end before this many tokens (load tests at a fixed length, as vLLM's benchmark does)
    min_tokens: int = Field(0, ge=0, le=4096)
    stream: bool = False
    tools: list[Tool] | None = Field(None, max_length=MAX_TOOLS)
    # forcing a call would need constrained decoding; "required" or a named function is refused, not ignored
    tool_choice: Literal["auto", "none"] = "auto"

    @model_validator(mode="after")
    def _prompt_size(self):
        if sum(len(m.content or "") for m in self.messages) > MAX_PROMPT_CHARS:
            raise ValueError(f"messages hold more than {MAX_PROMPT_CHARS} characters in total")
        if self.tools and len(json.dumps([t.model_dump() for t in self.tools])) > MAX_TOOLS_CHARS:
            raise ValueError(f"tools hold more than {MAX_TOOLS_CHARS} characters of JSON")
        return self


class EmbeddingRequest(BaseModel):
    model: str = Field("e5", max_length=200)
    input: str | list[str] = Field(min_length=1)

    @model_validator(mode="after")
    def _input_size(self):
        texts = [self.input] if isinstance(self.input, str) else self.input
        if len(texts) > MAX_EMBED_INPUTS or any(len(t) > MAX_EMBED_CHARS for t in texts):
            raise ValueError(f"at most {MAX_EMBED_INPUTS} inputs of {MAX_EMBED_CHARS} characters each")
        return self


class Gate:
    """At most MAX_RUNNING heavy jobs at once, MAX_WAITING more queued in arrival order; the rest get 429."""

    def __init__(self, running: int = MAX_RUNNING, waiting: int = MAX_WAITING):
        self.capacity, self.limit, self.admitted = running, running + waiting, 0
        self._sem: asyncio.Semaphore | None = None

    def enter(self) -> int:
        """Claim a place or raise 429; returns how many jobs are ahead (0: runs now)."""
        if self.admitted >= self.limit:
            raise HTTPException(status_code=429, detail="server busy, try again shortly",
                                headers={"Retry-After": "5"})
        ahead = max(0, self.admitted - self.capacity + 1)
        self.admitted += 1
        return ahead

    async def acquire(self) -> None:
        if self._sem is None:  # created on the server's loop, not at import
            self._sem = asyncio.Semaphore(self.capacity)
        await self._sem.acquire()

    def release(self, acquired: bool) -> None:
        self.admitted -= 1
        if acquired:
            self._sem.release()


def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
    """422 without echoing the input: a NaN in it made FastAPI's own error response fail with a 500."""
    errors = [{k: v for k, v in e.items() if k not in ("input", "ctx")} for e in exc.errors()]
    return JSONResponse(status_code=422, content={"detail": jsonable_encoder(errors)})


class RequestGuard:
    """ASGI middleware that decides from the headers alone, before a byte of the body is read: a /v1 request
    without the right key is 401, a declared Content-Length over `limit` is 413, and a body sent without a
    length (chunked) is cut off with 413 as soon as it passes the limit. Otherwise a client could make the
    server read and parse a 400 MB body only to be told its key is wrong."""

    def __init__(self, app, expected: bytes | None, limit: int):
        self.app, self.expected, self.limit = app, expected, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = [(k.lower(), v) for k, v in scope["headers"]]
        if self.expected and scope["path"].startswith("/v1"):
            given = [v for k, v in headers if k == b"authorization"]
            if len(given) != 1 or not secrets.compare_digest(given[0], self.expected):
                return await _refuse(401, "invalid api key", scope, receive, send)
        lengths = {v.strip() for k, v in headers if k == b"content-length"}
        if lengths:
            if len(lengths) > 1 or not all(v.isdigit() for v in lengths):
                return await _refuse(400, "invalid Content-Length", scope, receive, send)
            if int(lengths.pop()) > self.limit:
                return await _refuse(413, f"request body over {self.limit} bytes", scope, receive, send)
        received = 0

        async def counted():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:  # FastAPI re-raises an HTTPException met while reading the body
                    raise HTTPException(status_code=413, detail=f"request body over {self.limit} bytes")
            return message

        await self.app(scope, counted, send)


async def _refuse(status: int, detail: str, scope, receive, send) -> None:
    headers = {"Connection": "close"}  # the unread body is not drained: the connection ends with the answer
    await JSONResponse({"detail": detail}, status_code=status, headers=headers)(scope, receive, send)


def create_app(provider, embedder=None, model_id: str = "course-local", api_key: str | None = None) -> FastAPI:
    """api_key: when set, every /v1 request needs 'Authorization: Bearer <api_key>' (like the real APIs), checked
    before its body is read (RequestGuard), and the /docs and /openapi.json pages are off (a browser cannot send
    the key to them). A body over MAX_BODY_BYTES is 413 whatever the key."""
    expected = f"Bearer {api_key}".encode() if api_key else None

    def check_key(authorization: str | None = Header(default=None)):
        if expected and not secrets.compare_digest((authorization or "").encode(), expected):
            raise HTTPException(status_code=401, detail="invalid api key")

    docs = {} if api_key is None else dict(docs_url=None, redoc_url=None, openapi_url=None)
    app = FastAPI(title="Course app inference server", **docs)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_middleware(RequestGuard, expected=expected, limit=MAX_BODY_BYTES)
    # a provider that generates concurrent requests as one batch (core.llm.ct2: max_batch) lets that many run at
    # once; a one-at-a-time provider (torch) keeps one
    gate = Gate(running=max(1, int(getattr(provider, "max_batch", MAX_RUNNING))))

    @app.get("/health")
    def health():
        return {"status": "ok", "model": provider.name, "queued": gate.admitted}

    @app.get("/v1/models", dependencies=[Depends(check_key)])
    def models():
        return {"object": "list", "data": [{"id": model_id, "object": "model", "owned_by": "course-app"}]}

    @app.post("/v1/chat/completions", dependencies=[Depends(check_key)])
    async def chat(req: ChatRequest, request: Request):
        messages = [m.for_template() for m in req.messages]
        params = dict(temperature=req.temperature, top_p=req.top_p, max_tokens=req.max_tokens or 256, seed=req.seed)
        try:  # refused before anything is sent: a stream holding only a system message must not answer 200
            check_messages(messages)
            GenParams(**params).validate()
        except UserError as exc:
            raise HTTPException(status_code=400, detail=str(exc)) from exc
        tools = [t.model_dump() for t in req.tools or []] if req.tool_choice == "auto" else []
        names = {t["function"]["name"] for t in tools}
        if tools:  # only then: a provider without function calling still serves plain chat
            params["tools"] = tools
        if req.min_tokens:
            params["min_tokens"] = req.min_tokens
        cid, created = f"chatcmpl-{uuid.uuid4().hex[:12]}", int(time.time())
        ahead = gate.enter()
        stop = threading.Event()

        async def pieces():
            """The provider's text, read by a thread of its own and handed to the event loop; what has arrived
            since the last look goes out as one piece. Stops the model when the client goes away.

            Not one thread-pool hop per token: with 8 requests batched that was ~8 hops per generated step, and the
            Python work of each competed for the GIL and the 2 cores with the engine's own per-token callback."""
            acquired = False
            loop = asyncio.get_running_loop()
            inbox: asyncio.Queue = asyncio.Queue()

            def hand(item) -> None:
                try:
                    loop.call_soon_threadsafe(inbox.put_nowait, item)
                except RuntimeError:  # the loop has closed (server shutting down): nobody is reading
                    stop.set()

            def read() -> None:
                try:
                    for piece in provider.stream(messages, stop_event=stop, **params):
                        hand(piece)
                        if stop.is_set():
                            break
                except BaseException as exc:  # raised on the loop, as before
                    hand(exc)
                finally:
                    hand(_END)

            try:
                await gate.acquire()
                acquired = True
                threading.Thread(target=read, daemon=True, name=f"read-{cid}").start()
                while True:
                    got = [await inbox.get()]
                    while not inbox.empty():
                        got.append(inbox.get_nowait())
                    text = "".join(x for x in got if isinstance(x, str))
                    failure = next((x for x in got if isinstance(x, BaseException)), None)
                    if failure is not None:
                        raise failure
                    if text:
                        if await request.is_disconnected():
                            return
                        yield text
                    if got[-1] is _END:
                        return
            finally:  # runs on normal end, on disconnect and on cancellation alike
                stop.set()
                gate.release(acquired)

        headers = {"X-Queue-Position": str(ahead)}
        if not req.stream:
            try:
                async with aclosing(pieces()) as gen:
                    text = "".join([p async for p in gen])
            except UserError as exc:
                raise HTTPException(status_code=400, detail=str(exc)) from exc
            content, calls = tool_calls_in(text, names) if names else (text, [])
            message = {"role": "assistant", "content": content or None, "tool_calls": calls} if calls else \
                {"role": "assistant", "content": text}
            return JSONResponse({"id": cid, "object": "chat.completion", "created": created, "model": model_id,
                                 "choices": [{"index": 0, "message": message,
                                              "finish_reason": "tool_calls" if calls else "stop"}]},
                                headers=headers)

        def chunk(delta, finish=None):
            body = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": model_id,
                    "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
            return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"

        async def sse():
            yield chunk({"role": "assistant"})
            text = []
            try:
                async with aclosing(pieces()) as gen:  # closed at once on disconnect, not whenever GC gets to it
                    async for piece in gen:
                        if names:  # a call is known only once its block is complete: sent at the end
                            text.append(piece)
                        else:
                            yield chunk({"content": piece})
            except UserError as exc:  # headers are gone: say it in the stream, as OpenAI does
                yield f"data: {json.dumps({'error': {'message': str(exc), 'code': exc.key}})}\n\n"
                return
            content, calls = tool_calls_in("".join(text), names) if names else ("", [])
            if content:
                yield chunk({"content": content})
            if calls:
                yield chunk({"tool_calls": [{"index": i, **c} for i, c in enumerate(calls)]})
            yield chunk({}, "tool_calls" if calls else "stop")
            yield "data: [DONE]\n\n"

        return StreamingResponse(sse(), media_type="text/event-stream", headers=headers)

    @app.post("/v1/embeddings", dependencies=[Depends(check_key)])
    async def embeddings(req: EmbeddingRequest):
        if embedder is None:
            raise HTTPException(status_code=404, detail="no embedder loaded")
        texts = [req.input] if isinstance(req.input, str) else req.input
        gate.enter()
        acquired = False
        try:
            await gate.acquire()
            acquired = True
            vecs = await run_in_threadpool(embedder.embed_documents, texts)
        finally:
            gate.release(acquired)
        return {"object": "list", "model": embedder.name,
                "data": [{"object": "embedding", "index": i, "embedding": v.tolist()} for i, v in enumerate(vecs)]}

    return app


def main() -> None:
    import uvicorn

    from core.assets import Registry
    from core.config import Settings
    from core.embeddings import make_embedder
    from core.llm.ct2 import load_provider

    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="qwen2.5-0.5b")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8000)
    ap.add_argument("--engine", choices=["ctranslate2", "torch"], default=None,
                    help="generation engine (default: COURSE_LLM_ENGINE, else ctranslate2 int8, which batches)")
    ap.add_argument("--api-key-env", default="COURSE_SERVE_KEY", help="env var holding the key clients must send")
    args = ap.parse_args()
    settings = Settings.load()
    settings.apply_env()
    registry = Registry(settings.cache_dir)
    provider = load_provider(args.model, registry, settings.cache_dir, args.engine or settings.llm_engine)
    import os

    app = create_app(provider, make_embedder("e5", registry),
                     api_key=os.environ.get(args.api_key_env) or None)
    uvicorn.run(app, host=args.host, port=args.port)


if __name__ == "__main__":
    main()
