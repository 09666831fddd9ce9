"""The provider interface every page talks to:

    provider.stream(messages, temperature=0.7, top_p=0.95, max_tokens=256, seed=None, stop_event=None)
        -> Iterator[str]   (text pieces as they are generated)
    provider.name, provider.models()
    provider.id   "kind:model@base_url" — what answer caches key on, so two servers or two models never share answers

messages are OpenAI-style dicts: {"role": "system" | "user" | "assistant", "content": "..."}.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Protocol

from core.errors import UserError

Message = dict  # {"role": ..., "content": ...}


class Provider(Protocol):
    name: str
    id: str

    def models(self) -> list[str]: ...

    def stream(self, messages: list[Message], temperature: float = 0.7, top_p: float = 0.95, max_tokens: int = 256,
               seed: int | None = None, stop_event=None) -> Iterator[str]: ...


@dataclass
class GenParams:
    temperature: float = 0.7
    top_p: float = 0.95
    max_tokens: int = 256
    seed: int | None = None

    def validate(self) -> "GenParams":
        if not 0 <= self.temperature <= 2 or not 0 < self.top_p <= 1 or not 1 <= self.max_tokens <= 4096:
            raise UserError("llm.bad_params", "temperature 0–2, top_p (0, 1], max tokens 1–4096")
        return self


def check_messages(messages: list[Message]) -> None:
    if not messages or not any(m.get("content", "").strip() for m in messages if m.get("role") == "user"):
        raise UserError("llm.empty_prompt", "the prompt is empty")


def complete(provider: Provider, messages: list[Message], **params) -> str:
    return "".join(provider.stream(messages, **params))


def provider_id(kind: str, model: str, base_url: str | None = None) -> str:
    """One string naming where answers come from: provider kind, model id and server."""
    return f"{kind}:{model}" + (f"@{base_url.rstrip('/')}" if base_url else "")
