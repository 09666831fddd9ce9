"""Map provider SDK exceptions to UserError keys the pages can explain (bad key, unreachable, rate limit...)."""
from __future__ import annotations

from core.errors import UserError


def translate(exc: Exception, provider: str) -> UserError:
    name = type(exc).__name__
    text = str(exc)
    low = text.lower()
    if "authentication" in name.lower() or "401" in text or "api key" in low or "api_key" in low or "permission" in low:
        return UserError("llm.bad_key", text, provider=provider)
    if "ratelimit" in name.lower() or "429" in text or "quota" in low:
        return UserError("llm.rate_limit", text, provider=provider)
    if "timeout" in name.lower() or "timed out" in low:
        return UserError("llm.timeout", text, provider=provider)
    if "connection" in name.lower() or "connect" in low or "resolve" in low or "unreachable" in low:
        return UserError("llm.unreachable", text, provider=provider)
    return UserError("llm.failed", text, provider=provider, reason=text[:300])
