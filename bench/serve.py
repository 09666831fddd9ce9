"""The inference server under 1, 4 and 8 concurrent clients (prints its figures; not a test): throughput
(generated tokens/s over the run) and p95 latency, one request at a time vs batched, both through serve.app over
HTTP in one run, greedy. Goal (issue 33): throughput with 8 clients >= 3.5x one at a time.

Two workloads: "natural" (each answer ends where the model ends it: most of these short questions take ~10 tokens,
one runs to the limit, and a static batch lasts as long as its longest answer) and "fixed" (every answer exactly
--tokens long, through the server's min_tokens as vLLM's benchmark does with ignore_eos: what the engine's own
3.8x was measured on).

    .venv/bin/python bench/serve.py --model qwen2.5-0.5b --tokens 48
"""
import argparse
import statistics
import threading
import time

from _common import ROOT  # noqa: F401

from core.assets import Registry
from core.config import Settings
from core.evaluate import free_port
from core.llm.base import complete
from core.llm.ct2 import MAX_BATCH, load_ct2
from core.llm.load_test import CLIENTS, run_clients


def serve(provider):
    import uvicorn

    from serve.app import create_app

    port = free_port()
    srv = uvicorn.Server(uvicorn.Config(create_app(provider), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    while not srv.started:
        time.sleep(0.05)
    return srv, thread, f"http://127.0.0.1:{port}/v1/chat/completions"


def main():
    import httpx

    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="qwen2.5-0.5b", choices=["qwen2.5-0.5b", "smollm2-135m"])
    ap.add_argument("--tokens", type=int, default=48, help="max new tokens per request")
    ap.add_argument("--rounds", type=int, default=1, help="requests per client")
    ap.add_argument("--clients", type=int, nargs="+", default=list(CLIENTS))
    ap.add_argument("--repeats", type=int, default=2, help="pairs of runs per setting (the median ratio is shown)")
    ap.add_argument("--lengths", nargs="+", choices=["natural", "fixed"], default=["natural", "fixed"])
    args = ap.parse_args()
    s = Settings.load()
    reg = Registry(s.cache_dir)
    # both servers up at once, and each pair of runs (one at a time, then batched) back to back: on a shared machine
    # the load drifts over minutes, and a ratio of two runs a minute apart measured the drift as much as batching
    servers = {}
    for mode, max_batch in (("one at a time", 1), ("batched", MAX_BATCH)):
        provider = load_ct2(args.model, reg, s.cache_dir, max_batch=max_batch)
        complete(provider, [{"role": "user", "content": "hi"}], temperature=0, max_tokens=2)  # warm-up
        servers[mode] = (provider, *serve(provider))
    ratios: dict = {}
    with httpx.Client(timeout=600, limits=httpx.Limits(max_connections=16)) as http:
        for length in args.lengths:
            for n in args.clients:
                for _ in range(args.repeats):
                    got = {}
                    for mode, (provider, _srv, _thread, url) in servers.items():
                        def ask(prompt, url=url, fixed=length == "fixed"):
                            r = http.post(url, json={"messages": [{"role": "user", "content": prompt}],
                                                     "temperature": 0, "max_tokens": args.tokens,
                                                     "min_tokens": args.tokens if fixed else 0})
                            r.raise_for_status()
                            return r.json()["choices"][0]["message"]["content"]

                        before = len(provider.batches)
                        got[mode] = run_clients(ask, n, args.rounds, provider.count_tokens)
                        got[mode]["batches"] = provider.batches[before:]
                    one, many = got["one at a time"], got["batched"]
                    same = sum(a == b for a, b in zip(sorted(one["answers"]), sorted(many["answers"])))
                    ratios.setdefault((length, n), []).append(many["tok_s"] / one["tok_s"])
                    print(f"  {length:7} {n} clients: throughput {one['tok_s']:5.1f} → {many['tok_s']:5.1f} tok/s "
                          f"({many['tok_s'] / one['tok_s']:.2f}x), p95 {one['p95_s']:5.2f} → {many['p95_s']:5.2f} s, "
                          f"mean {one['mean_s']:5.2f} → {many['mean_s']:5.2f} s; batch sizes {many['batches']}; "
                          f"{same}/{len(one['answers'])} answers identical", flush=True)
    for provider, srv, thread, _url in servers.values():
        srv.should_exit = True
        thread.join(10)
        provider.close()
    print(f"{args.model}, greedy, {args.tokens} new tokens max, {args.rounds} request(s) per client, over HTTP, "
          f"{args.repeats} pair(s) each; batched / one at a time throughput, median of the pairs:")
    for (length, n), rs in ratios.items():
        print(f"  {length:7} {n} clients: {statistics.median(rs):.2f}x  ({', '.join(f'{r:.2f}' for r in rs)})")
    print("  goal: 8 clients >= 3.5x one at a time")


if __name__ == "__main__":
    main()
