"""LLM evaluation benchmark (prints its figures; not a test).

1. Korean Text-to-SQL execution accuracy of a local model, zero-shot and few-shot (and with sample rows), on a
   subset of data/sql/questions_ko.csv taken in turn from each kind (the local model is slow on a shared 2-core
   CPU: ~10 s per question for Qwen 0.5B; pass --n 63 for the whole set). Exact match and invalid rate beside it.
2. The local model as a judge: agreement (accuracy, Cohen's kappa) with execution accuracy on the labelled pairs
   (gold answer vs another question's answer) and on the model's own few-shot answers; position-swap and
   length-padding measurements.
3. The asyncio runner against the project's own server (python -m serve.app): throughput at concurrency 1, 4, 8
   for the same N requests (--requests, 24 by default: more requests than slots, as the evaluation's 63), and the
   ratio to one at a time, per round and the median of --repeats rounds:

    .venv/bin/python bench/llm_eval.py --skip sql judge --requests 24 --repeats 3
"""
import argparse
import os
import tempfile
import time
from pathlib import Path

from _common import ROOT  # noqa: F401

from core import evaluate
from core import judge as J
from core import runner as R
from core import sql_eval as Q
from core.assets import Registry
from core.config import Settings
from core.llm.local import LocalProvider, load_local


def sql_accuracy(provider, db, questions, variant, rows, max_tokens):
    start = time.perf_counter()
    results = list(Q.generate_and_score(provider, db, questions, variant, rows, max_tokens))
    s = Q.summarise(results)
    print(f"  {variant:9s} rows={rows}: EX {s.execution_accuracy:.1%}  EM {s.exact_match:.1%}  "
          f"invalid {s.invalid_rate:.1%}  (n={s.n}, {time.perf_counter() - start:.0f} s)")
    print("    by kind: " + ", ".join(f"{k} {v:.0%}" for k, v in s.by_kind.items()))
    return results


def judge_figures(provider, db, questions, scored, n_items, n_pairs):
    pairs = J.labelled_pairs(db, questions, n_items // 2)
    items = [J.Item(p.question, p.context, a, ok) for p in pairs for a, ok in ((p.better, True), (p.worse, False))]
    for name, batch in (("labelled set", items), ("model's own answers", J.items_from_scored(scored[:n_items]))):
        start = time.perf_counter()
        rows = list(J.judge_items(provider, batch))
        a = J.agreement([r["pass"] for r in rows], [i.truth for i in batch])
        parsed = sum(r["score"].ok for r in rows) / max(len(rows), 1)
        print(f"  agreement on {name}: {a['accuracy']:.1%}, kappa {a['kappa']:.2f} (n={a['n']}, tp {a['tp']} "
              f"fp {a['fp']} fn {a['fn']} tn {a['tn']}, parsed {parsed:.0%}, {time.perf_counter() - start:.0f} s)")
    s = J.position_summary(list(J.position_swap(provider, pairs[:n_pairs])))
    print(f"  position swap (n={s['n']}): consistent {s['consistent']:.0%}, picked A {s['first_slot']:.0%}, "
          f"right when better is A {s['correct_when_first']:.0%}, when B {s['correct_when_second']:.0%}")
    probe = [J.Item(p.question, p.context, p.worse, False) for p in pairs[:n_pairs]]
    s = J.length_summary(list(J.length_probe(provider, probe)))
    print(f"  length padding (n={s['n']}): padded picked {s['padded_wins']:.0%} of {s['decided']} decided, "
          f"correctness change {s['score_delta']:+.2f}")


def throughput(server_model, questions, db, n_requests, max_tokens, repeats):
    """The runner against one warm server at concurrency 1, 4 and 8, over the same N requests (the evaluation's own
    shape: more requests than slots, so a free slot meets a waiting request). Each round runs the three levels back
    to back and its ratios are to that round's concurrency 1: on a shared machine the load drifts over minutes, and
    a ratio of two runs far apart measures the drift as much as the server. The median round is printed last."""
    import statistics

    schema = Q.schema_text(db)
    reqs = [R.Request(q.id, Q.build_messages(q.question, schema), max_tokens) for q in questions[:n_requests]]
    proc, url = evaluate.start_server(server_model)
    ratios: dict[int, list[float]] = {}
    rates: dict[int, list[float]] = {}
    try:
        # steady state: the server keeps the schema's system prompt from its second use on (core.llm.ct2), so two
        # requests go first, uncounted, and every concurrency level below meets the same warm server
        warm = Path(tempfile.mkdtemp()) / "warm.jsonl"
        target = R.Target(url + "/v1", os.environ.get("COURSE_SERVE_KEY"), "course-local")
        list(R.run_iter(target, reqs[:2], warm, R.Budget(concurrency=1), R.Retry()))
        for rnd in range(repeats):
            base = None
            for conc in (1, 4, 8):
                out = Path(tempfile.mkdtemp()) / "r.jsonl"
                stats = R.Stats()
                list(R.run_iter(target, reqs, out, R.Budget(concurrency=conc), R.Retry(), stats=stats))
                res = R.read_results(out)
                s = R.summary(res, "course-local", stats.elapsed)
                base = base or s["requests_per_s"]
                ratios.setdefault(conc, []).append(s["requests_per_s"] / base)
                rates.setdefault(conc, []).append(s["requests_per_s"])
                print(f"  round {rnd + 1} concurrency {conc}: {s['requests_per_s']:.2f} req/s ({s['done']} done, "
                      f"{s['failed']} failed, {stats.retries} retries, {s['completion_tokens']} tokens, "
                      f"{stats.elapsed:.1f} s) = {s['requests_per_s'] / base:.2f}x one at a time", flush=True)
    finally:
        evaluate.stop_server(proc)
    print(f"  median of {repeats} round(s), {len(reqs)} requests each (shared machine: other jobs share the cores):")
    for conc in (1, 4, 8):
        print(f"  concurrency {conc}: {statistics.median(rates[conc]):.2f} req/s, "
              f"{statistics.median(ratios[conc]):.2f}x one at a time "
              f"(rounds: {', '.join(f'{r:.2f}' for r in ratios[conc])})")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="qwen2.5-0.5b", choices=["qwen2.5-0.5b", "smollm2-135m"])
    ap.add_argument("--n", type=int, default=14, help="questions per prompt variant (2 per kind by default)")
    ap.add_argument("--max-tokens", type=int, default=128)
    ap.add_argument("--judge-items", type=int, default=12)
    ap.add_argument("--judge-pairs", type=int, default=6)
    ap.add_argument("--server-model", default="qwen2.5-0.5b", help="the server's own default model")
    ap.add_argument("--requests", type=int, default=24, help="runner requests per concurrency level (the evaluation "
                    "sends 63: more requests than slots)")
    ap.add_argument("--repeats", type=int, default=1, help="rounds of concurrency 1, 4, 8 (the median is shown)")
    ap.add_argument("--skip", nargs="*", default=[], choices=["sql", "judge", "runner"])
    args = ap.parse_args()
    s = Settings.load()
    db = Q.database(s.cache_dir)
    questions = Q.load_questions()
    subset = Q.spread(questions, args.n)
    provider = None
    scored = []
    if "sql" not in args.skip or "judge" not in args.skip:
        lm, tok = load_local(args.model, Registry(s.cache_dir), s.cache_dir)
        provider = LocalProvider(args.model, lm, tok)
    if "sql" not in args.skip:
        print(f"Text-to-SQL execution accuracy, {args.model}, {len(subset)} of {len(questions)} questions "
              f"(DEV set; shared 2-core CPU):")
        sql_accuracy(provider, db, subset, "zero_shot", 0, args.max_tokens)
        scored = sql_accuracy(provider, db, subset, "few_shot", 0, args.max_tokens)
        sql_accuracy(provider, db, subset, "few_shot", 3, args.max_tokens)
    if "judge" not in args.skip:
        print(f"{args.model} as the judge (reference result shown):")
        judge_figures(provider, db, questions, scored, args.judge_items, args.judge_pairs)
    if "runner" not in args.skip:
        print(f"Runner throughput against serve.app ({args.server_model}), {args.requests} requests, "
              f"max_tokens {args.max_tokens // 4}:")
        throughput(args.server_model, Q.spread(questions, args.requests), db, args.requests, args.max_tokens // 4,
                   args.repeats)


if __name__ == "__main__":
    main()
