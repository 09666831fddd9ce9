"""Map provider SDK exceptions to UserError keys the pages can explain (bad key, unreachable, rate limit...),
by the SDKs' own public exception types (openai's, google-genai's APIError codes), never by the transport library
under them (openai 3 moved from httpx to httpx2 without notice). google-genai has no public type for a timeout or
a refused connection: its transport error is chained to Python's own TimeoutError / OSError, which we look for."""
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


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, kind):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


def _key(exc: Exception) -> str:
    import openai
    from google.genai import errors as genai_errors

    if isinstance(exc, openai.APITimeoutError) or _caused_by(exc, TimeoutError):  # a subclass of the next two
        return "llm.timeout"
    if isinstance(exc, openai.APIConnectionError) or _caused_by(exc, OSError):
        return "llm.unreachable"
    if isinstance(exc, openai.APIStatusError):
        return _BY_STATUS.get(exc.status_code, "llm.failed")
    if isinstance(exc, genai_errors.APIError):
        if exc.code == 400 and "api key" in str(exc).lower():  # Gemini answers a bad key with 400 API_KEY_INVALID
            return "llm.bad_key"
        return _BY_STATUS.get(exc.code, "llm.failed")
    return "llm.failed"
