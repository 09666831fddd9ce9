"""An OpenAI-compatible inference server over the course's local model, so any OpenAI client (and the app's
'OpenAI-compatible server' provider) can talk to it:

    python -m serve.app --model smollm2-135m --port 8000
    curl http://127.0.0.1:8000/v1/chat/completions -d '{"model": "x", "messages": [{"role": "user", "content": "hi"}]}'

Endpoints: GET /health, GET /v1/models, POST /v1/chat/completions (stream or not), POST /v1/embeddings.
"""
from __future__ import annotations

import argparse
import json
import time
import uuid

from fastapi import Depends, FastAPI, Header, HTTPException
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from core.errors import UserError


class ChatMessage(BaseModel):
    role: str
    content: str


class ChatRequest(BaseModel):
    model: str = "course-local"
    messages: list[ChatMessage] = Field(min_length=1)
    temperature: float = Field(0.7, ge=0, le=2)
    top_p: float = Field(0.95, gt=0, le=1)
    max_tokens: int | None = Field(256, ge=1, le=4096)
    seed: int | None = None
    stream: bool = False


class EmbeddingRequest(BaseModel):
    model: str = "e5"
    input: str | list[str]


def create_app(provider, embedder=None, model_id: str = "course-local", api_key: str | None = None) -> FastAPI:
    """api_key: when set, every /v1 request needs 'Authorization: Bearer <api_key>' (like the real APIs)."""

    def check_key(authorization: str | None = Header(default=None)):
        if api_key and authorization != f"Bearer {api_key}":
            raise HTTPException(status_code=401, detail="invalid api key")

    app = FastAPI(title="Course app inference server")

    @app.get("/health")
    def health():
        return {"status": "ok", "model": provider.name}

    @app.get("/v1/models", dependencies=[Depends(check_key)])
    def models():
        return {"object": "list", "data": [{"id": model_id, "object": "model", "owned_by": "course-app"}]}

    @app.post("/v1/chat/completions", dependencies=[Depends(check_key)])
    def chat(req: ChatRequest):
        messages = [m.model_dump() for m in req.messages]
        params = dict(temperature=req.temperature, top_p=req.top_p, max_tokens=req.max_tokens or 256, seed=req.seed)
        cid, created = f"chatcmpl-{uuid.uuid4().hex[:12]}", int(time.time())
        try:
            pieces = provider.stream(messages, **params)
            if not req.stream:
                text = "".join(pieces)
                return {"id": cid, "object": "chat.completion", "created": created, "model": model_id,
                        "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                                     "finish_reason": "stop"}]}
        except UserError as exc:
            raise HTTPException(status_code=400, detail=str(exc)) from exc

        def sse():
            def chunk(delta, finish=None):
                body = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": model_id,
                        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
                return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"

            yield chunk({"role": "assistant"})
            for piece in pieces:
                yield chunk({"content": piece})
            yield chunk({}, "stop")
            yield "data: [DONE]\n\n"

        return StreamingResponse(sse(), media_type="text/event-stream")

    @app.post("/v1/embeddings", dependencies=[Depends(check_key)])
    def embeddings(req: EmbeddingRequest):
        if embedder is None:
            raise HTTPException(status_code=404, detail="no embedder loaded")
        texts = [req.input] if isinstance(req.input, str) else req.input
        vecs = embedder.embed_documents(texts)
        return {"object": "list", "model": embedder.name,
                "data": [{"object": "embedding", "index": i, "embedding": v.tolist()} for i, v in enumerate(vecs)]}

    return app


def main() -> None:
    import uvicorn

    from core.assets import Registry
    from core.config import Settings
    from core.embeddings import make_embedder
    from core.llm.local import LocalProvider, load_local

    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="qwen2.5-0.5b")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8000)
    ap.add_argument("--api-key-env", default="COURSE_SERVE_KEY", help="env var holding the key clients must send")
    args = ap.parse_args()
    settings = Settings.load()
    settings.apply_env()
    registry = Registry(settings.cache_dir)
    lm, tok = load_local(args.model, registry, settings.cache_dir)
    import os

    app = create_app(LocalProvider(args.model, lm, tok), make_embedder("e5", registry),
                     api_key=os.environ.get(args.api_key_env) or None)
    uvicorn.run(app, host=args.host, port=args.port)


if __name__ == "__main__":
    main()
