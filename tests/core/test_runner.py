"""The asyncio runner against a loopback OpenAI-compatible server that answers 429 every other time: every request
finishes once, the budget is never exceeded, and a stopped run keeps what it had and a rerun does only the rest."""
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from core import runner as R


class FlakyServer:
    """/v1/chat/completions: every odd-numbered request gets 429 (half the time), the others a completion that
    echoes the last user message after `delay` seconds. Records arrival times and the most requests at once."""

    def __init__(self, delay: float = 0.02, fail_every: int = 2, usage: bool = True, prompt_tokens: int = 7):
        self.lock = threading.Lock()
        self.count = self.in_flight = self.max_in_flight = 0
        self.arrivals: list[float] = []
        self.answered: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with outer.lock:
                    outer.count += 1
                    n = outer.count
                    outer.arrivals.append(time.monotonic())
                    outer.in_flight += 1
                    outer.max_in_flight = max(outer.max_in_flight, outer.in_flight)
                try:
                    if fail_every and (n - 1) % fail_every == 0:
                        self._send(429, {"error": {"message": "rate limited", "type": "rate_limit"}})
                        return
                    time.sleep(delay)
                    text = "echo:" + body["messages"][-1]["content"]
                    reply = {"id": "x", "object": "chat.completion", "created": 0, "model": body["model"],
                             "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                                          "finish_reason": "stop"}]}
                    if usage:
                        reply["usage"] = {"prompt_tokens": prompt_tokens, "completion_tokens": 3,
                                          "total_tokens": prompt_tokens + 3}
                    with outer.lock:
                        outer.answered.append(body["messages"][-1]["content"])
                    self._send(200, reply)
                finally:
                    with outer.lock:
                        outer.in_flight -= 1

            def _send(self, code, obj):
                data = json.dumps(obj).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    made = []

    def make(**kw):
        made.append(FlakyServer(**kw))
        return made[-1]

    yield make
    for s in made:
        s.close()


def _requests(n, max_tokens=8):
    return [R.Request(f"r{i:02d}", [{"role": "user", "content": f"q{i:02d}"}], max_tokens=max_tokens)
            for i in range(n)]


def _lines(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


FAST_RETRY = R.Retry(max_retries=6, base_s=0.01, max_s=0.05)


def test_retries_429_until_every_request_finishes_once(server, tmp_path):
    srv = server()
    out = tmp_path / "results.jsonl"
    stats = R.Stats()
    got = list(R.run_iter(R.Target(srv.url, None, "m"), _requests(12), out, R.Budget(concurrency=4), FAST_RETRY,
                          stats=stats))
    lines = _lines(out)
    assert sorted(r["id"] for r in lines) == [f"r{i:02d}" for i in range(12)]  # each once, none lost
    assert all(r["error"] is None and r["text"] == "echo:q" + r["id"][1:] for r in lines)
    assert {r.id for r in got} == {r["id"] for r in lines}  # yielded as written
    assert srv.count > 12 and stats.retries == srv.count - 12  # the 429s were retried, not given up
    assert any(r["attempts"] > 1 for r in lines)
    assert srv.max_in_flight <= 4 and stats.max_in_flight <= 4
    s = R.summary([R.Result(**r) for r in lines], "gpt-4o-mini", 1.0)
    assert (s["done"], s["prompt_tokens"], s["completion_tokens"]) == (12, 84, 36) and not s["estimated"]
    assert s["cost_usd"] == pytest.approx((84 * 0.15 + 36 * 0.60) / 1e6)


def test_gives_up_after_max_retries_and_records_the_error(server, tmp_path):
    srv = server(fail_every=1)  # 429 always
    out = tmp_path / "r.jsonl"
    list(R.run_iter(R.Target(srv.url, None, "m"), _requests(2), out, R.Budget(concurrency=2),
                    R.Retry(max_retries=2, base_s=0.01, max_s=0.02)))
    lines = _lines(out)
    assert len(lines) == 2 and all(r["attempts"] == 3 and "429" in r["error"] for r in lines)
    assert srv.count == 6


def test_never_exceeds_requests_or_tokens_per_window(server, tmp_path):
    srv = server(usage=False)
    window, rpm = 0.5, 5
    reqs = _requests(10, max_tokens=20)
    reserve = R.prompt_tokens(reqs[0].messages) + 20
    tpm = 4 * reserve  # the token budget binds first: 4 requests per window
    stats = R.Stats()
    start = time.monotonic()
    list(R.run_iter(R.Target(srv.url, None, "m"), reqs, tmp_path / "r.jsonl",
                    R.Budget(concurrency=8, rpm=rpm, tpm=tpm, window_s=window), FAST_RETRY, stats=stats))
    elapsed = time.monotonic() - start
    sent = [t for t, _ in stats.sent]
    assert len(sent) == srv.count >= 15  # 10 requests and their retries, all sent through the window
    for i, t in enumerate(sent):
        in_window = [(u, n) for u, n in stats.sent[i:] if u < t + window]
        assert len(in_window) <= rpm and sum(n for _, n in in_window) <= tpm
    arrivals = srv.arrivals  # the server's own clock agrees, less up to 0.2 s of delivery jitter on a busy machine
    assert max(sum(1 for u in arrivals if t <= u < t + window - 0.2) for t in arrivals) <= 4
    assert elapsed >= (srv.count / 4 - 1) * window  # it waited rather than overspending
    lines = _lines(tmp_path / "r.jsonl")
    assert all(r["tokens_estimated"] and r["completion_tokens"] > 0 for r in lines)  # no usage: estimated


def test_reported_usage_above_the_estimate_is_counted_against_the_budget(server, tmp_path):
    srv = server(fail_every=0, prompt_tokens=1000)  # a tokenizer that counts far more than our estimate
    stats = R.Stats()
    list(R.run_iter(R.Target(srv.url, None, "m"), _requests(4), tmp_path / "r.jsonl",
                    R.Budget(concurrency=1, tpm=1500, window_s=0.4), FAST_RETRY, stats=stats))
    sent = [t for t, _ in stats.sent]
    assert len(sent) == 4
    for i, t in enumerate(sent):  # 1003 reported tokens each: two fit in 1500 only before the first is known
        assert sum(1 for u in sent[i:] if u < t + 0.4) <= 2
    assert sent[2] - sent[0] >= 0.4


def test_stop_keeps_finished_results_and_a_rerun_does_only_the_rest(server, tmp_path):
    srv = server(delay=0.15)
    out = tmp_path / "r.jsonl"
    stop = threading.Event()
    seen = []
    for result in R.run_iter(R.Target(srv.url, None, "m"), _requests(20), out, R.Budget(concurrency=2), FAST_RETRY,
                             stop_event=stop):
        seen.append(result.id)
        if len(seen) == 5:
            stop.set()
    first = _lines(out)
    assert 5 <= len(first) < 20
    assert [r["id"] for r in first] == seen  # everything yielded is on disk, in the order it finished
    time.sleep(0.5)  # the request cancelled in flight still ends on the server side
    again = list(R.run_iter(R.Target(srv.url, None, "m"), _requests(20), out, R.Budget(concurrency=4), FAST_RETRY))
    final = _lines(out)
    assert sorted(r["id"] for r in final) == [f"r{i:02d}" for i in range(20)]  # each exactly once
    assert {r.id for r in again}.isdisjoint(seen)  # the rerun asked only for the missing ones
    assert len(again) == 20 - len(first)  # exactly the rest (one cancelled at the stop may reach the server late)


def test_a_half_written_line_from_a_killed_run_is_ignored(tmp_path):
    out = tmp_path / "r.jsonl"
    out.write_text('{"id": "r00", "text": "a", "prompt_tokens": 1, "completion_tokens": 1, "tokens_estimated": false,'
                   ' "attempts": 1, "seconds": 0.1, "error": null}\n{"id": "r01", "te', encoding="utf-8")
    assert R.done_ids(out) == {"r00"}
    assert [r.id for r in R.read_results(out)] == ["r00"]


def test_budget_and_backoff_rules():
    with pytest.raises(R.UserError):
        R.Budget(concurrency=0).validate()
    retry = R.Retry(base_s=1.0, max_s=10.0)
    assert 1.0 <= retry.delay(1) <= 2.0 and 4.0 <= retry.delay(3) <= 8.0 and retry.delay(10) == 10.0
    assert retry.delay(1, retry_after=5.0) == 5.0
