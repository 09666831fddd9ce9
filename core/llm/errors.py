"""Map provider SDK exceptions to UserError keys the pages can explain (bad key, unreachable, rate limit...),
by the SDKs' own exception types: openai's status errors and google-genai's APIError codes."""
from __future__ import annotations

from core.errors import UserError

_BY_STATUS = {401: "llm.bad_key", 403: "llm.bad_key", 429: "llm.rate_limit"}


def translate(exc: Exception, provider: str) -> UserError:
    """A UserError for any exception an OpenAI or Gemini call raised; unknown ones keep their text as the reason."""
    key = _key(exc)
    text = str(exc)
    if key == "llm.failed":
        return UserError(key, text, provider=provider, reason=text[:300])
    return UserError(key, text, provider=provider)


def _key(exc: Exception) -> str:
    import httpx
    import openai
    from google.genai import errors as genai_errors

    if isinstance(exc, (openai.APITimeoutError, httpx.TimeoutException)):  # before APIConnectionError: a subclass
        return "llm.timeout"
    if isinstance(exc, (openai.APIConnectionError, httpx.TransportError)):
        return "llm.unreachable"
    if isinstance(exc, openai.APIStatusError):
        return _BY_STATUS.get(exc.status_code, "llm.failed")
    if isinstance(exc, genai_errors.APIError):
        if exc.code == 400 and "api key" in str(exc).lower():  # Gemini answers a bad key with 400 API_KEY_INVALID
            return "llm.bad_key"
        return _BY_STATUS.get(exc.code, "llm.failed")
    return "llm.failed"
