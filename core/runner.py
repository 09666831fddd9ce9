"""Many chat requests at once against an OpenAI-compatible API, like the OpenAI cookbook's
api_request_parallel_processor.py: an asyncio runner with a concurrency limit, a requests-per-minute and
tokens-per-minute budget, retries with exponential backoff on 429 / 5xx / connection errors, and results appended
to a JSONL file as they arrive, so a run stopped halfway keeps every finished result and a rerun does only the rest.

It talks through the `openai` SDK's AsyncOpenAI, so the same code runs against OpenAI, Gemini (its
OpenAI-compatible endpoint), vLLM / Ollama, or this course's own server (serve/app.py).

The budget is a sliding window: in any `window_s` seconds at most `rpm` requests are sent (retries included, since
a server counts them too) and at most `tpm` tokens are reserved. A request reserves its prompt's estimated tokens
plus its max_tokens before it is sent, so the budget holds even before the server says what was used; when the
server reports more than was reserved (a tokenizer that splits Korean finer than the estimate), the window counts
the reported number from then on.
"""
from __future__ import annotations

import asyncio
import json
import math
import queue
import random
import threading
import time
from collections import deque
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from core.errors import UserError

GEMINI_OPENAI_URL = "https://generativelanguage.googleapis.com/v1beta/openai/"
# USD per million tokens (input, output): list prices when this was written. Check your provider's page; a model
# not listed is counted at 0 (a local or self-hosted server).
PRICES_PER_M = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gemini-2.0-flash": (0.10, 0.40),
    "gemini-2.5-flash": (0.30, 2.50),
}


@dataclass(frozen=True)
class Target:
    """Where requests go: an OpenAI-compatible base URL, its key and model."""
    base_url: str | None
    api_key: str | None
    model: str
    name: str = "compat"


@dataclass
class Budget:
    concurrency: int = 4
    rpm: int = 600
    tpm: int = 1_000_000
    window_s: float = 60.0  # "per minute"; tests shorten it

    def validate(self) -> "Budget":
        if not (1 <= self.concurrency <= 64 and self.rpm >= 1 and self.tpm >= 1 and self.window_s > 0):
            raise UserError("run.bad_budget", "concurrency 1-64, rpm and tpm at least 1")
        return self


@dataclass
class Retry:
    max_retries: int = 6
    base_s: float = 0.5
    max_s: float = 30.0
    request_timeout_s: float = 300.0  # a queued request on a CPU server waits for the jobs ahead of it

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Exponential backoff with jitter (attempt 1 → base .. 2·base), at least what Retry-After asked."""
        wait = min(self.max_s, self.base_s * 2 ** (attempt - 1) * (1 + random.random()))
        return max(wait, retry_after or 0.0)


@dataclass
class Request:
    id: str
    messages: list[dict]
    max_tokens: int = 256
    temperature: float = 0.0


@dataclass
class Result:
    id: str
    text: str | None
    prompt_tokens: int
    completion_tokens: int
    tokens_estimated: bool   # the server sent no usage: counted with estimate_tokens
    attempts: int
    seconds: float
    error: str | None = None


@dataclass
class Stats:
    """What the runner did, for the page and the tests: every send time with the tokens it reserved."""
    sent: list[tuple[float, int]] = field(default_factory=list)
    retries: int = 0
    in_flight: int = 0
    max_in_flight: int = 0
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None

    @property
    def elapsed(self) -> float:
        return (self.finished or time.monotonic()) - self.started


def estimate_tokens(text: str) -> int:
    """A rough count when a server reports no usage: ~3 UTF-8 bytes per token (a Korean syllable is 3 bytes and
    about one token; English is ~4 characters per token, so this overcounts it, which is the safe side)."""
    return max(1, math.ceil(len(text.encode("utf-8")) / 3))


def prompt_tokens(messages: list[dict]) -> int:
    return sum(estimate_tokens(m.get("content") or "") + 4 for m in messages)


def cost_usd(model: str, prompt: int, completion: int) -> float:
    inp, out = PRICES_PER_M.get(model, (0.0, 0.0))
    return (prompt * inp + completion * out) / 1e6


class Window:
    """Sliding-window budget: `take(tokens)` waits until one more request and `tokens` more fit in the window."""

    def __init__(self, budget: Budget, stats: Stats):
        self.budget, self.stats = budget, stats
        self.events: deque[list] = deque()  # [send time, tokens]; tokens grow if the server reports more
        self.lock = asyncio.Lock()

    async def take(self, tokens: int) -> list:
        if tokens > self.budget.tpm:
            raise UserError("run.too_big", "one request needs more tokens than the budget allows",
                            tokens=tokens, tpm=self.budget.tpm)
        async with self.lock:  # one waiter at a time keeps the order fair and the count exact
            while True:
                now = time.monotonic()
                while self.events and self.events[0][0] <= now - self.budget.window_s:
                    self.events.popleft()
                used = sum(n for _, n in self.events)
                if len(self.events) < self.budget.rpm and used + tokens <= self.budget.tpm:
                    entry = [now, tokens]
                    self.events.append(entry)
                    self.stats.sent.append((now, tokens))
                    return entry
                await asyncio.sleep(max(0.005, self.events[0][0] + self.budget.window_s - now))


def done_ids(path: Path) -> set[str]:
    """Ids already written to a results file (a half-written last line from a killed run is ignored)."""
    ids = set()
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                try:
                    ids.add(json.loads(line)["id"])
                except (ValueError, KeyError, TypeError):
                    continue
    except FileNotFoundError:
        pass
    return ids


def read_results(path: Path) -> list[Result]:
    out = []
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                try:
                    out.append(Result(**json.loads(line)))
                except (ValueError, TypeError):
                    continue
    except FileNotFoundError:
        pass
    return out


def _retryable(exc: BaseException) -> tuple[bool, float | None]:
    """(retry?, Retry-After seconds) by the SDK's public error types: 429, 5xx, timeouts, refused connections."""
    import openai

    if isinstance(exc, (openai.APITimeoutError, openai.APIConnectionError)):
        return True, None
    if isinstance(exc, openai.APIStatusError):
        after = None
        try:
            after = float(exc.response.headers.get("retry-after"))
        except (TypeError, ValueError, AttributeError):
            pass
        return exc.status_code == 429 or exc.status_code >= 500, after
    return False, None


async def run(target: Target, requests: list[Request], out_path: Path, budget: Budget | None = None,
              retry: Retry | None = None, stop_event: threading.Event | None = None,
              on_result: Callable[[Result], None] | None = None, stats: Stats | None = None) -> Stats:
    """Send every request not yet in out_path; append each finished Result to out_path at once."""
    import openai

    budget, retry, stats = (budget or Budget()).validate(), retry or Retry(), stats or Stats()
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    finished = done_ids(out_path)
    todo = [r for r in requests if r.id not in finished]
    window = Window(budget, stats)
    gate = asyncio.Semaphore(budget.concurrency)
    client = openai.AsyncOpenAI(api_key=target.api_key or "not-needed", base_url=target.base_url, max_retries=0,
                                timeout=openai.Timeout(retry.request_timeout_s, connect=10.0))

    def write(result: Result) -> None:
        # one write + flush per result: a stop, a crash or a kill keeps everything that finished
        with open(out_path, "a", encoding="utf-8") as f:
            f.write(json.dumps(asdict(result), ensure_ascii=False) + "\n")
            f.flush()
        if on_result is not None:
            on_result(result)

    async def one(req: Request) -> None:
        async with gate:
            start, attempt = time.monotonic(), 0
            reserve = prompt_tokens(req.messages) + req.max_tokens
            while True:
                if stop_event is not None and stop_event.is_set():
                    return
                attempt += 1
                entry = await window.take(reserve)
                stats.in_flight += 1
                stats.max_in_flight = max(stats.max_in_flight, stats.in_flight)
                try:
                    resp = await client.chat.completions.create(model=target.model, messages=req.messages,
                                                                max_tokens=req.max_tokens,
                                                                temperature=req.temperature)
                except Exception as exc:  # SDK errors of many types, sorted by _retryable
                    again, after = _retryable(exc)
                    if again and attempt <= retry.max_retries:
                        stats.retries += 1
                        await asyncio.sleep(retry.delay(attempt, after))
                        continue
                    write(Result(req.id, None, 0, 0, True, attempt, time.monotonic() - start,
                                 f"{type(exc).__name__}: {exc}"[:300]))
                    return
                finally:
                    stats.in_flight -= 1
                text = (resp.choices[0].message.content or "") if resp.choices else ""
                usage = getattr(resp, "usage", None)
                if usage is not None and usage.prompt_tokens is not None:
                    p, c, est = usage.prompt_tokens, usage.completion_tokens or 0, False
                    entry[1] = max(entry[1], p + c)  # the estimate was low: later requests wait for the real use
                else:
                    p, c, est = prompt_tokens(req.messages), estimate_tokens(text), True
                write(Result(req.id, text, p, c, est, attempt, time.monotonic() - start))
                return

    async def watch(tasks) -> None:
        while not all(t.done() for t in tasks):
            if stop_event is not None and stop_event.is_set():
                for t in tasks:
                    t.cancel()  # in-flight requests are dropped; finished ones are already on disk
                return
            await asyncio.sleep(0.05)

    stats.started = time.monotonic()
    tasks = [asyncio.create_task(one(r)) for r in todo]
    try:
        await asyncio.gather(watch(tasks), *tasks, return_exceptions=False)
    except asyncio.CancelledError:
        pass
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await client.close()
        stats.finished = time.monotonic()
    return stats


_END = object()


def run_iter(target: Target, requests: list[Request], out_path: Path, budget: Budget | None = None,
             retry: Retry | None = None, stop_event: threading.Event | None = None,
             stats: Stats | None = None) -> Iterator[Result]:
    """run() from synchronous code (a page's job thread): yields each Result as it is written."""
    box: queue.Queue = queue.Queue()
    errors: list[BaseException] = []

    def target_thread():
        try:
            asyncio.run(run(target, requests, out_path, budget, retry, stop_event, box.put, stats))
        except BaseException as exc:  # re-raised in the caller's thread below
            errors.append(exc)
        finally:
            box.put(_END)

    thread = threading.Thread(target=target_thread, daemon=True, name="runner")
    thread.start()
    while (item := box.get()) is not _END:
        yield item
    thread.join()
    if errors:
        raise errors[0]


def summary(results: list[Result], model: str, seconds: float) -> dict:
    ok = [r for r in results if r.error is None]
    p, c = sum(r.prompt_tokens for r in ok), sum(r.completion_tokens for r in ok)
    return {"done": len(ok), "failed": len(results) - len(ok), "prompt_tokens": p, "completion_tokens": c,
            "estimated": any(r.tokens_estimated for r in ok), "cost_usd": cost_usd(model, p, c),
            "requests_per_s": len(ok) / seconds if seconds > 0 else 0.0,
            "retries": sum(r.attempts - 1 for r in results)}
