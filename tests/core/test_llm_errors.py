"""core.llm.errors picks the message by the SDK's exception type, not by words in the text."""
import httpx
import openai
import pytest
from google.genai import errors as genai_errors

from core.llm.errors import translate

REQ = httpx.Request("POST", "http://127.0.0.1:9/v1/chat/completions")


def _status(cls, code: int, text: str = "nope"):
    return cls(text, response=httpx.Response(code, request=REQ), body=None)


@pytest.mark.parametrize("exc,key", [
    (_status(openai.AuthenticationError, 401), "llm.bad_key"),
    (_status(openai.PermissionDeniedError, 403), "llm.bad_key"),
    (_status(openai.RateLimitError, 429), "llm.rate_limit"),
    (_status(openai.InternalServerError, 500, "error 401 in upstream log"), "llm.failed"),  # text alone decides nothing
    (openai.APITimeoutError(request=REQ), "llm.timeout"),
    (openai.APIConnectionError(request=REQ), "llm.unreachable"),
    (genai_errors.ClientError(400, {"error": {"message": "API key not valid.", "status": "INVALID_ARGUMENT"}}),
     "llm.bad_key"),
    (genai_errors.ClientError(429, {"error": {"message": "Resource exhausted", "status": "RESOURCE_EXHAUSTED"}}),
     "llm.rate_limit"),
    (genai_errors.ServerError(503, {"error": {"message": "overloaded", "status": "UNAVAILABLE"}}), "llm.failed"),
])
def test_sdk_errors_map_to_keys(exc, key):
    err = translate(exc, "OpenAI")
    assert err.key == key and err.params["provider"] == "OpenAI"


def test_unknown_error_keeps_its_text_as_reason():
    err = translate(RuntimeError("disk full"), "Gemini")
    assert err.key == "llm.failed" and err.params["reason"] == "disk full"
