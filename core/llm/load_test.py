"""Many clients at once against one local model: throughput and p95 latency, one request at a time vs generated
together as a batch (core.llm.ct2). The Serving page runs it in-process; bench/serve.py runs it over HTTP against
serve.app, where the queue and the 429 are part of the path."""
from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Callable

from core.llm.base import complete
from core.llm.compare import PROMPTS

CLIENTS = (1, 4, 8)


def p95(values: list[float]) -> float:
    """The 95th percentile (nearest rank): with 8 latencies, the largest."""
    ordered = sorted(values)
    return ordered[max(0, -(-95 * len(ordered) // 100) - 1)] if ordered else 0.0


def run_clients(ask: Callable[[str], str], n_clients: int, requests_each: int = 1,
                count_tokens: Callable[[str], int] = len) -> dict:
    """n_clients threads, each asking requests_each questions in turn, all starting together. ask(prompt) → answer.
    Returns tokens/s over the whole run, p95 and mean latency per request, and the answers."""
    latencies: list[float] = []
    answers: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    start_line = threading.Barrier(n_clients + 1)

    def client(k: int):
        start_line.wait()
        for r in range(requests_each):
            prompt = PROMPTS[(k * requests_each + r) % len(PROMPTS)]
            t0 = time.perf_counter()
            try:
                text = ask(prompt)
            except BaseException as exc:  # reported, not swallowed
                with lock:
                    errors.append(exc)
                return
            with lock:
                latencies.append(time.perf_counter() - t0)
                answers.append(text)

    threads = [threading.Thread(target=client, args=(k,), daemon=True) for k in range(n_clients)]
    for th in threads:
        th.start()
    start_line.wait()
    t0 = time.perf_counter()
    for th in threads:
        th.join()
    total = time.perf_counter() - t0
    if errors:
        raise errors[0]
    tokens = sum(count_tokens(a) for a in answers)
    return {"clients": n_clients, "requests": len(answers), "seconds": round(total, 2),
            "tok_s": round(tokens / total, 1), "p95_s": round(p95(latencies), 2),
            "mean_s": round(sum(latencies) / len(latencies), 2), "answers": answers}


def batching_table(model: str, registry, cache_dir: Path, clients=CLIENTS, requests_each: int = 1,
                   max_tokens: int = 32, progress: Callable[[str], None] | None = None) -> list[dict]:
    """For each number of clients: one at a time (an engine that takes one request per step) vs batched (the
    same engine taking up to 8 together), in this process, greedy."""
    from core.llm.ct2 import MAX_BATCH, load_ct2

    rows = []
    for mode, max_batch in (("one_at_a_time", 1), ("batched", MAX_BATCH)):
        provider = load_ct2(model, registry, cache_dir, max_batch=max_batch)
        try:
            complete(provider, [{"role": "user", "content": "hi"}], temperature=0, max_tokens=2)  # warm-up
            for n in clients:
                if progress:
                    progress(f"{mode} × {n}")
                def ask(prompt, provider=provider):
                    return complete(provider, [{"role": "user", "content": prompt}], temperature=0,
                                    max_tokens=max_tokens)

                got = run_clients(ask, n, requests_each, provider.count_tokens)
                rows.append({"mode": mode, **{k: v for k, v in got.items() if k != "answers"}})
        finally:
            provider.close()
    return rows
