"""Fit the RAG answer-unit ranker (core.rag_rank) on the DEV question sets only and write data/rag_ranker.json.

For every dev question (bench/rag_answers.py SETS labelled "dev": own, dev, heldout, upload, syllabus), every answer
unit of its document's index is one row: the features of core.rag_rank.FEATURES, label 1 when the unit, shown as
the extractive answer, holds one of the question's key phrases (unanswerable questions: every unit 0). A logistic
regression (scikit-learn, seeded, standardised features) is fitted on all rows.

The answer threshold is chosen on out-of-set probabilities (each dev set scored by a model fitted on the other dev
sets), so it is not chosen on the rows the coefficients saw: the highest refusal of unanswerable questions with at
most 10 % of answerable ones refused. The not-certain floor: the probability below which only 5 % of answerable
questions' best units fall (out of set). The independent sets (data/eval/frozen/) are never read here.

    .venv/bin/python scripts/train_rag_ranker.py [--out data/rag_ranker.json]
"""
import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import rag_answers as B  # noqa: E402  (bench/: the question sets and the answer check)

from core import rag  # noqa: E402
from core.rag_rank import FEATURES, RANKER  # noqa: E402

MAX_FALSE_REFUSAL = 0.10
FLOOR_SHARE = 0.05


def rows(names):
    """Per dev set: a list of (features, labels, answerable) per question."""
    import pandas as pd

    store, e5, collection = B.index_builder()
    out = {}
    for name in names:
        path, doc, _ = B.SETS[name]
        qs = pd.read_csv(path, keep_default_na=False, dtype=str)
        col = collection(doc)
        ix = rag._index(store.get(col, e5), e5)
        shown = [rag.shown(s) for s in ix.sentences]
        per = []
        for question, key in zip(qs.question, qs.key):
            x = ix.features(question, rag._query_vector(e5, question))
            y = np.array([bool(B.keys_of(key)) and B.is_direct(s) and B.has_key(s, key) for s in shown], dtype=int)
            per.append((x, y, bool(B.keys_of(key))))
        out[name] = per
    return out


def fit(per_sets):
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    x = np.concatenate([x for per in per_sets for x, _, _ in per])
    y = np.concatenate([y for per in per_sets for _, y, _ in per])
    scaler = StandardScaler().fit(x)
    scale = np.where(scaler.scale_ > 0, scaler.scale_, 1.0)
    lr = LogisticRegression(C=1.0, max_iter=2000, random_state=0).fit((x - scaler.mean_) / scale, y)
    return scaler.mean_, scale, lr.coef_[0], float(lr.intercept_[0])


def best(per, model):
    """(probability of the best unit, it holds the key, answerable) per question."""
    mean, scale, coef, b = model
    out = []
    for x, y, answerable in per:
        p = 1 / (1 + np.exp(-(((x - mean) / scale) @ coef + b)))
        j = int(np.argmax(p)) if len(p) else -1
        out.append((float(p[j]) if j >= 0 else 0.0, bool(j >= 0 and y[j]), answerable))
    return out


def choose(points):
    ans = [p for p in points if p[2]]
    un = [p for p in points if not p[2]]
    chosen = 0.0
    for th in sorted({p[0] for p in points}):
        if sum(p[0] < th for p in ans) / len(ans) <= MAX_FALSE_REFUSAL:
            chosen = th
    floor = float(np.quantile([p[0] for p in ans], FLOOR_SHARE))
    kept = [p for p in ans if p[0] >= chosen]
    print(f"  threshold {chosen:.4f}: false refusal {1 - len(kept) / len(ans):.2f}, refusal on unanswerable "
          f"{sum(p[0] < chosen for p in un) / max(len(un), 1):.2f}, "
          f"key accuracy {sum(p[1] for p in kept) / len(ans):.2f}"
          f" (top-1 with no refusal {sum(p[1] for p in ans) / len(ans):.2f}); floor {floor:.4f}")
    return chosen, min(floor, chosen)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=RANKER)
    args = ap.parse_args()
    names = [n for n, (_, _, label) in B.SETS.items() if label == "dev"]
    data = rows(names)
    oof = []
    for held in names:  # each dev set scored by a model that never saw it
        model = fit([data[n] for n in names if n != held])
        pts = best(data[held], model)
        ans = [p for p in pts if p[2]]
        print(f"out of set {held}: top-1 key accuracy {sum(p[1] for p in ans) / max(len(ans), 1):.2f}")
        oof += pts
    print("pooled out-of-set rule:")
    threshold, floor = choose(oof)
    mean, scale, coef, b = fit([data[n] for n in names])
    print("in-sample (all dev sets, final model):")
    choose(best([p for n in names for p in data[n]], (mean, scale, coef, b)))
    args.out.write_text(json.dumps({
        "features": list(FEATURES), "coef": [round(float(c), 6) for c in coef], "intercept": round(b, 6),
        "mean": [round(float(m), 6) for m in mean], "scale": [round(float(s), 6) for s in scale],
        "threshold": round(threshold, 4), "floor": round(floor, 4), "trained_on": names,
        "rule": f"highest refusal of unanswerable with <= {MAX_FALSE_REFUSAL:.0%} false refusals, out of set",
    }, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
