"""The opt-in "LLM check" of answerability (core.rag_check), measured: the learned ranker picks the two best units
(data/rag_ranker.json), the local Qwen2.5-0.5B (CTranslate2 int8) gives P("Yes") that they answer the question.

Thresholds are chosen on the DEV sets only (pooled: the highest refusal of unanswerable questions with at most 10 %
false refusals), then applied unchanged to the independent v1 sets (styles, bootcamp, lecture), printed as totals.
Two rules: "llm" (answer when P(yes) reaches its threshold) and "both" (the shipped learned refusal AND P(yes)).
Per set: key accuracy, false refusal, refusal on unanswerable, right + refused, and the median seconds of the check
alone and of retrieval + check. The second-round independent sets are never run here.
Round 3 of issue #34: styles, bootcamp and lecture are dev sets now (bench/rag_answers.py SETS) and the shipped ranker
was trained on them, so their figures here are in-sample ("dev (was v1)"), not independent.

    .venv/bin/python bench/rag_llm_check.py [--every N]
"""
import argparse
import statistics
import time

import pandas as pd
import rag_answers as B
from _common import ROOT  # noqa: F401  (the repository on sys.path)

from core import rag, rag_check, rag_rank
from core.assets import Registry
from core.config import Settings
from core.llm.ct2 import load_ct2

DEV = ["own", "dev", "heldout", "upload", "syllabus"]
V1 = ["styles", "bootcamp", "lecture"]
MAX_FALSE_REFUSAL = 0.10


def points(name, store, collection, e5, ranker, provider, every):
    """Per question: (P(yes), learned answerability, right if answered, answerable, check s, total s)."""
    path, doc, _ = B.SETS[name]
    qs = pd.read_csv(path, keep_default_na=False, dtype=str).iloc[::every]
    col = collection(doc)
    out = []
    for q, key in zip(qs.question, qs.key):
        start = time.perf_counter()
        got = rag.chain(store, col, e5, k=3, sentences=2, min_support=-1, ranker=ranker).invoke(q)
        units = [rag.shown(s.sentence) for s in got.support]
        mid = time.perf_counter()
        p = rag_check.p_yes(provider, q, units)
        end = time.perf_counter()
        text = rag.extractive(got).text if got.support else ""
        right = bool(got.support) and B.is_direct(text) and B.has_key(text, key)
        out.append((p, got.confidence, right, bool(B.keys_of(key)), end - mid, end - start))
    return out


def rule(pts, th_llm, th_learned):
    return [(p[0] >= th_llm and p[1] >= th_learned, p) for p in pts]


def figures(decided):
    ans = [(a, p) for a, p in decided if p[3]]
    un = [(a, p) for a, p in decided if not p[3]]
    right = sum(a and p[2] for a, p in ans)
    refused = sum(not a for a, _ in un)
    return right, len(ans), sum(not a for a, _ in ans), refused, len(un)


def choose(pts, th_learned):
    """The highest P(yes) threshold with at most MAX_FALSE_REFUSAL of answerable questions refused (dev, pooled)."""
    best = 0.0
    for th in sorted({p[0] for p in pts}):
        _, n_ans, false_ref, _, _ = figures(rule(pts, th, th_learned))
        if false_ref / n_ans <= MAX_FALSE_REFUSAL:
            best = th
    return best


def show(name, label, pts, th_llm, th_learned, rname):
    right, n_ans, false_ref, refused, n_un = figures(rule(pts, th_llm, th_learned))
    print(f"| {name} | {label} | {rname} | {right / n_ans:.2f} ({right}/{n_ans}) | {false_ref / n_ans:.2f} | "
          f"{refused / max(n_un, 1):.2f} ({refused}/{n_un}) | {right + refused} | "
          f"{statistics.median(p[4] for p in pts):.3f} | {statistics.median(p[5] for p in pts):.3f} |", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--every", type=int, default=1)
    args = ap.parse_args()
    s = Settings.load()
    reg = Registry(s.cache_dir)
    store, e5, collection = B.index_builder(reg)
    ranker = rag_rank.default_ranker()
    provider = load_ct2("qwen2.5-0.5b", reg, s.cache_dir)
    try:
        dev = {n: points(n, store, collection, e5, ranker, provider, args.every) for n in DEV}
        pooled = [p for v in dev.values() for p in v]
        th = {"llm": (choose(pooled, -1.0), -1.0), "both": (choose(pooled, ranker.threshold), ranker.threshold)}
        print(f"frozen on dev: llm P(yes) >= {th['llm'][0]:.4f}; both: learned >= {ranker.threshold} and P(yes) >= "
              f"{th['both'][0]:.4f}")
        print("| set | label | rule | key accuracy | false refusal | refusal on unanswerable | right + refused | "
              "median check s | median total s |")
        print("|---|---|---|---|---|---|---|---|---|")
        for rname, (t_llm, t_learned) in th.items():
            for n, pts in dev.items():
                show(n, "dev", pts, t_llm, t_learned, rname)
        v1 = {n: points(n, store, collection, e5, ranker, provider, args.every) for n in V1}
        for rname, (t_llm, t_learned) in th.items():
            for n, pts in v1.items():
                show(n, "dev (was v1)" if B.SETS[n][2] == "dev" else B.SETS[n][2], pts, t_llm, t_learned, rname)
    finally:
        provider.close()


if __name__ == "__main__":
    main()
