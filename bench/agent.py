"""Agent benchmark (prints its figures; not a test).

Tasks needing one or two tool calls, with checkable answers. Two kinds of set, labelled as such in every line:
    DEV sets: tasks, heldout, fresh, fresh2, fresh3, fresh4, wordproblems (data/eval/agent_*.csv), and v1, set2,
        set3, set4 (data/eval/frozen/agent_independent.csv, frozen/set2/agent_fresh_independent.csv,
        frozen/set3/agent_q3.csv, frozen/set4/agent_q4.csv: written by someone who saw neither the code nor any other
        set, read as totals first, then item by item (v1, set2 since issue 29's third round, set3 since the sixth,
        set4 since the seventh), so DEV sets now). Their misses were read while the agent was designed: their
        figures are in-distribution.
    frozen: any other CSV under data/eval/frozen/, named by its path there: read only as a score. Now
        --sets frozen/set5/agent_q5.csv (written before the fifth round; a merge gate since), frozen/set6/agent_q6.csv
        (before the sixth; a merge gate since), frozen/set7/agent_q7.csv (before the seventh; a merge gate since) and
        frozen/set8/agent_q8.csv (before the eighth).
        The bench prints no task, answer or trace of it, and writes none of its rows to --out.
For each provider it prints the success rate, model turns per task, how many runs hit the step limit (and how many
answers the last allowed turn forced), and the mean and median seconds per task:
    local    the local model in process, constrained tool calls (core.agent.constrained); its programs written on
             CTranslate2 int8 as in the app (--engine torch: on torch fp32)
    text     the same model with the free-text tool protocol (TextBackend)
    compat   the same kind of model behind the project's own OpenAI-compatible server (serve/app.py started as a
             subprocess on 127.0.0.1), reached with the official openai client
    plain    baseline: the local model answering with no tools at all

    python bench/agent.py --providers local,text,compat,plain [--sets v1,set2,fresh4,...] [--every K]
                          [--model qwen2.5-0.5b] [--limit N] [--bf16]
"""
import argparse
import csv
import datetime as dt
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

from _common import ROOT

from core.agent import final_answer, make_backend, run_agent
from core.assets import Registry
from core.config import Settings
from core.embeddings import make_embedder
from core.llm.local import LocalProvider, load_local
from core.llm.remote import OpenAICompatible
from core.numbers import strip_thousands
from core.procs import free_port
from core.tools import WEEKDAYS, ToolContext, make_tools
from core.vectordb import VectorStore

KO_WEEKDAYS = ("월요일", "화요일", "수요일", "목요일", "금요일", "토요일", "일요일")


def numbers(text: str) -> list[float]:
    return [float(x) for x in re.findall(r"-?\d+(?:\.\d+)?", strip_thousands(text))]


def direct(answer: str) -> str:
    """The answer itself: its words before the first citation mark ('… 5년으로 한다. [1] (file) …'), empty when
    longer than 200 characters. A pasted source that happens to hold the key is no answer."""
    text = re.split(r"\[\d+\]", answer, maxsplit=1)[0].strip()
    return text if len(text) <= 200 else ""


def correct(answer: str | None, kind: str, expected: str, today: dt.date) -> bool:
    """The independent check of a final answer: the number, the date, the weekday or one of the phrases, in the
    answer itself (see direct)."""
    answer = direct(answer or "")
    if not answer:
        return False
    if kind == "num":
        want = float(expected)  # whole numbers exactly (1048571 is not 2**20); others to 0.05 % (rounded)
        tol = 0 if want.is_integer() else 0.0005 * abs(want)
        return any(abs(x - want) <= tol for x in numbers(answer))
    if kind == "date":
        day = today + dt.timedelta(days=int(expected))
        return day.isoformat() in answer or f"{day.year}년 {day.month}월 {day.day}일" in answer
    if kind == "weekday":
        i = (today + dt.timedelta(days=int(expected))).weekday()
        return WEEKDAYS[i].lower() in answer.lower() or KO_WEEKDAYS[i] in answer
    return any(p.lower() in answer.lower() for p in expected.split("|"))


# sets written outside the project whose items have since been read: dev sets
DEV_ELSEWHERE = {"v1": "frozen/agent_independent.csv", "set2": "frozen/set2/agent_fresh_independent.csv",
                 "set3": "frozen/set3/agent_q3.csv", "set4": "frozen/set4/agent_q4.csv"}


def frozen(name: str) -> bool:
    """A set read only as a score: a CSV under data/eval/frozen/ named by its path, not one of the dev sets."""
    return name.startswith("frozen/") and name.endswith(".csv")


def load_tasks(name: str) -> list[dict]:
    path = name if frozen(name) else DEV_ELSEWHERE.get(name, f"agent_{name}.csv")
    with open(ROOT / "data" / "eval" / path, encoding="utf-8") as f:
        return list(csv.DictReader(f))


def label(name: str) -> str:
    return f"{name} (frozen)" if frozen(name) else f"dev:{name}"


def start_server(model: str, threads: int):
    """serve/app.py as its own process, as a class would run it; returns (process, base_url)."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "serve.app", "--model", model, "--port", str(port)], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "COURSE_SERVE_KEY": "", "OMP_NUM_THREADS": str(threads)})
    import urllib.request

    deadline = time.time() + 600
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2)
            return proc, f"http://127.0.0.1:{port}/v1"
        except OSError as exc:
            if proc.poll() is not None:
                raise RuntimeError("the server exited during start-up") from exc
            time.sleep(1)
    proc.kill()
    raise RuntimeError("the server did not start in 10 minutes")


def run_set(label: str, provider, ctx, tasks, max_steps: int, writer, plain: bool = False,
            constrained: bool = True, hidden: bool = False) -> None:
    """One provider on one set. hidden (a frozen set): only the aggregate is printed, no task is written."""
    tools = make_tools(ctx)
    ok = turns = limits = forced = 0
    times = []
    for i, task in enumerate(tasks, 1):
        t0 = time.perf_counter()
        if plain:
            from core.llm.base import complete

            answer = complete(provider, [{"role": "user", "content": task["task"]}], temperature=0, max_tokens=120)
            steps_n, hit_limit, trace = 1, False, ""
        else:
            backend = make_backend(provider, tools, constrained=constrained)
            steps = list(run_agent(backend, tools, task["task"], max_steps))
            answer, steps_n, hit_limit = final_answer(steps), steps[-1].n, steps[-1].kind == "limit"
            forced += steps[-1].kind == "answer" and steps_n == max_steps
            trace = " | ".join(f"{s.tool}({json.dumps(s.args, ensure_ascii=False)})" if s.kind == "call" else
                               f"{s.kind}: {s.text[:60]}" for s in steps if s.kind != "thought")
        good = correct(answer, task["kind"], task["expected"], ctx.now())
        ok += good
        turns += steps_n
        limits += hit_limit
        times.append(time.perf_counter() - t0)
        if hidden:
            print(f"  [{label}] {i}/{len(tasks)} done", end="\r", flush=True)
            continue
        print(f"  [{label}] {i:2d} {'✓' if good else '✗'} turns={steps_n} {times[-1]:5.1f}s  {task['task'][:50]!r} → "
              f"{(answer or '')[:90]!r}", flush=True)
        writer.writerow([label, task["task"], good, steps_n, hit_limit, f"{times[-1]:.1f}", answer, trace])
    n = len(tasks)
    print(" " * 60 if hidden else "", end="\r" if hidden else "")  # the progress line wiped
    print(f"{label}: success {ok}/{n} = {ok / n:.2f}, turns/task {turns / n:.2f}, step limit hit {limits}, "
          f"answer forced by the last turn {forced}, {statistics.mean(times):.1f} s/task mean, "
          f"{statistics.median(times):.1f} s median", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--providers", default="local,compat,plain")
    ap.add_argument("--model", default="qwen2.5-0.5b", choices=["qwen2.5-0.5b", "smollm2-135m"])
    ap.add_argument("--sets", default="v1,set2", help="dev sets (v1, set2, set3, set4, tasks, heldout, fresh, "
                    "fresh2, fresh3, fresh4, wordproblems) and/or a frozen set by its path under data/eval "
                    "(frozen/set7/x.csv: its score only)")
    ap.add_argument("--limit", type=int, default=0, help="only the first N tasks of each set")
    ap.add_argument("--every", type=int, default=1, help="every k-th task of each set (a spread of all task kinds)")
    ap.add_argument("--max-steps", type=int, default=5)
    ap.add_argument("--bf16", action="store_true", help="run the in-process model in bfloat16 (faster with native "
                                                         "bf16; far slower without it)")
    ap.add_argument("--threads", type=int, default=1,
                    help="torch threads; on a shared, loaded CPU one thread generated 3x faster than two")
    ap.add_argument("--engine", default="ct2", choices=["torch", "ct2"],
                    help="local: programs written by CTranslate2 int8 (the app's default engine) or by torch fp32; "
                    "tool choices and arguments are always scored on torch")
    ap.add_argument("--out", default=str(ROOT / "build" / "bench_agent.csv"))
    args = ap.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    s = Settings.load()
    s.apply_env()
    reg = Registry(s.cache_dir)
    # --every and --limit thin the dev sets only: a frozen set is always run whole
    sets = {name: load_tasks(name) if frozen(name) else load_tasks(name)[::args.every][:args.limit or None]
            for name in args.sets.split(",")}
    lm, tok = load_local(args.model, reg, s.cache_dir)
    if args.bf16:
        lm = lm.to(torch.bfloat16)
    local = LocalProvider(args.model, lm, tok)
    if args.engine == "ct2":  # as the agent page runs it: the int8 engine, with the same torch model for its insides
        from core.llm.ct2 import load_ct2

        local = load_ct2(args.model, reg, s.cache_dir, torch_loader=lambda: (lm, tok))
    store, embedder = VectorStore(tempfile.mkdtemp(prefix="agent-bench-")), make_embedder("e5", reg)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    print(f"model {args.model}{' bf16' if args.bf16 else ''}, engine {args.engine}, "
          f"step limit {args.max_steps}, "
          f"tasks {', '.join(f'{label(k)}={len(v)}' for k, v in sets.items())}", flush=True)
    # line-buffered: a run stopped early (a slow machine, Ctrl-C) keeps every finished task's row and trace
    with open(args.out, "w", newline="", encoding="utf-8", buffering=1) as f:
        writer = csv.writer(f)
        writer.writerow(["run", "task", "correct", "turns", "limit", "seconds", "answer", "steps"])
        for name in args.providers.split(","):
            server = None
            if name == "compat":
                server, base_url = start_server(args.model, args.threads)
                provider = OpenAICompatible(None, "course-local", base_url=base_url, name="compat")
                provider.client = provider.client.with_options(timeout=600)  # a loaded CPU answers slowly
            else:
                provider = local
            try:
                for set_name, tasks in sets.items():
                    # the constitution tool answers with an API model; with the local one, by its best sentence (a
                    # 0.5B model's RAG answer costs up to 120 tokens per look-up), as on the agent page
                    ctx = ToolContext(store, embedder, reg, provider if name == "compat" else None)
                    run_set(f"{name}/{label(set_name)}", provider, ctx, tasks, args.max_steps, writer,
                            plain=name == "plain", constrained=name != "text", hidden=frozen(set_name))
            finally:
                if server is not None:
                    server.terminate()
                    server.wait(30)


if __name__ == "__main__":
    main()
