"""API providers: OpenAI, any OpenAI-compatible server by base URL (vLLM, Ollama, LM Studio, our own FastAPI
server) and Google Gemini (google-genai; the old google-generativeai SDK is deprecated upstream). Timeouts are
short and errors become UserErrors the page explains; a key is never logged."""
from __future__ import annotations

from typing import Iterator

from core.errors import UserError
from core.llm.base import GenParams, Message, check_messages, provider_id
from core.llm.errors import translate

TIMEOUT_S = 10.0


class OpenAICompatible:
    def __init__(self, api_key: str | None, model: str = "gpt-4o-mini", base_url: str | None = None,
                 name: str = "openai"):
        from openai import OpenAI

        if not api_key and base_url is None:
            raise UserError("llm.no_key", "an API key is needed", provider=name)
        self.name, self.model = name, model
        self.client = OpenAI(api_key=api_key or "not-needed", base_url=base_url, timeout=TIMEOUT_S, max_retries=0)
        self.id = provider_id(name, model, str(self.client.base_url))

    def models(self) -> list[str]:
        try:
            return sorted(m.id for m in self.client.models.list())
        except Exception as exc:  # SDK errors of many types
            raise translate(exc, self.name) from exc

    def stream(self, messages: list[Message], temperature: float = 0.7, top_p: float = 0.95, max_tokens: int = 256,
               seed: int | None = None, stop_event=None) -> Iterator[str]:
        check_messages(messages)
        p = GenParams(temperature, top_p, max_tokens, seed).validate()
        try:
            chunks = self.client.chat.completions.create(model=self.model, messages=messages, stream=True,
                                                         temperature=p.temperature, top_p=p.top_p,
                                                         max_tokens=p.max_tokens, seed=p.seed)
            for chunk in chunks:
                if stop_event is not None and stop_event.is_set():
                    chunks.close()
                    return
                if chunk.choices and chunk.choices[0].delta.content:
                    yield chunk.choices[0].delta.content
        except UserError:
            raise
        except Exception as exc:  # SDK errors of many types
            raise translate(exc, self.name) from exc


class GeminiProvider:
    def __init__(self, api_key: str | None, model: str = "gemini-2.0-flash"):
        from google import genai
        from google.genai import types

        if not api_key:
            raise UserError("llm.no_key", "an API key is needed", provider="gemini")
        self.name, self.model, self._types = "gemini", model, types
        self.id = provider_id("gemini", model)
        self.client = genai.Client(api_key=api_key,
                                   http_options=types.HttpOptions(timeout=int(TIMEOUT_S * 1000)))

    def models(self) -> list[str]:
        try:
            return sorted(m.name for m in self.client.models.list())
        except Exception as exc:  # SDK errors of many types
            raise translate(exc, "gemini") from exc

    def stream(self, messages: list[Message], temperature: float = 0.7, top_p: float = 0.95, max_tokens: int = 256,
               seed: int | None = None, stop_event=None) -> Iterator[str]:
        check_messages(messages)
        p = GenParams(temperature, top_p, max_tokens, seed).validate()
        system = "\n".join(m["content"] for m in messages if m["role"] == "system") or None
        contents = [self._types.Content(role="model" if m["role"] == "assistant" else "user",
                                        parts=[self._types.Part(text=m["content"])])
                    for m in messages if m["role"] != "system"]
        config = self._types.GenerateContentConfig(system_instruction=system, temperature=p.temperature,
                                                   top_p=p.top_p, max_output_tokens=p.max_tokens, seed=p.seed)
        try:
            for chunk in self.client.models.generate_content_stream(model=self.model, contents=contents,
                                                                    config=config):
                if stop_event is not None and stop_event.is_set():
                    return
                if chunk.text:
                    yield chunk.text
        except Exception as exc:  # SDK errors of many types
            raise translate(exc, "gemini") from exc
