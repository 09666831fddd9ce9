"""core.llm.errors picks the message by the SDK's exception type, not by words in the text. The exceptions come
from real SDK calls against a loopback server that answers with the status the test asks for, stays silent
(timeout), or is not there (refused), so a change of the SDKs' transport cannot hide behind hand-made errors."""
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import openai
import pytest
from google import genai
from google.genai import types

from core.llm.errors import translate
from core.procs import free_port

STATUS = {"401": "UNAUTHENTICATED", "403": "PERMISSION_DENIED", "429": "RESOURCE_EXHAUSTED", "500": "INTERNAL",
          "400": "INVALID_ARGUMENT"}


class _Answer(BaseHTTPRequestHandler):
    """Answers every request with the status code named in its API key ('code-429'), as both SDKs' servers do."""

    def _reply(self):
        key = self.headers.get("x-goog-api-key") or self.headers.get("Authorization", "").removeprefix("Bearer ")
        code = key.removeprefix("code-")[:3]
        message = "API key not valid." if code == "400" else "error 401 in upstream log" if code == "500" else "nope"
        body = json.dumps({"error": {"code": int(code), "message": message, "status": STATUS[code]}}).encode()
        self.send_response(int(code))
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _reply

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Answer)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="module")
def silent():
    """Accepts connections and never answers: every read times out."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    sock.close()


def closed_port() -> str:
    return f"http://127.0.0.1:{free_port()}"


def call_openai(base: str, key: str = "code-200"):
    client = openai.OpenAI(api_key=key, base_url=base + "/v1", timeout=openai.Timeout(0.5), max_retries=0)
    with pytest.raises(Exception) as caught:
        client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
    return translate(caught.value, "OpenAI")


def call_gemini(base: str, key: str = "code-200"):
    client = genai.Client(api_key=key, http_options=types.HttpOptions(
        base_url=base, timeout=500, retry_options=types.HttpRetryOptions(attempts=1)))
    with pytest.raises(Exception) as caught:
        client.models.generate_content(model="gemini-2.0-flash", contents="hi")
    return translate(caught.value, "Gemini")


@pytest.mark.parametrize("call", [call_openai, call_gemini])
@pytest.mark.parametrize("code,key", [("401", "llm.bad_key"), ("403", "llm.bad_key"), ("429", "llm.rate_limit"),
                                      ("500", "llm.failed")])  # '401' in a 500's text decides nothing
def test_status_answers_map_to_keys(server, call, code, key):
    err = call(server, f"code-{code}")
    assert err.key == key and err.params["provider"] in ("OpenAI", "Gemini")


def test_gemini_answers_a_bad_key_with_400(server):
    assert call_gemini(server, "code-400").key == "llm.bad_key"


@pytest.mark.parametrize("call", [call_openai, call_gemini])
def test_a_silent_server_is_a_timeout_and_a_closed_port_is_unreachable(silent, call):
    assert call(silent).key == "llm.timeout"
    assert call(closed_port()).key == "llm.unreachable"


def test_unknown_error_keeps_its_text_as_reason():
    err = translate(RuntimeError("disk full"), "Gemini")
    assert err.key == "llm.failed" and err.params["reason"] == "disk full"
