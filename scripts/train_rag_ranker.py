"""Fit the RAG answer-unit ranker (core.rag_rank) on the DEV question sets only and write data/rag_ranker.json.

For every dev question (bench/rag_answers.py SETS labelled "dev": own, dev, heldout, upload, syllabus), every answer
unit of its document's index is one row: the features of core.rag_rank.FEATURES, label 1 when the unit, shown as
the extractive answer, holds one of the question's key phrases (unanswerable questions: every unit 0). A logistic
regression (scikit-learn, seeded, standardised features) is fitted on all rows. A second one, over each question's
best unit (core.rag_rank.question_features: its logit, margin, share and features), says whether the question is
answerable at all; its rows come from unit rankers that never saw the question's set.

The answer threshold is chosen on out-of-set answerability (each dev set scored by models fitted on the other dev
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
from core.rag_rank import FEATURES, RANKER, REFUSAL_FEATURES, question_features, refusal_features  # noqa: E402

MAX_FALSE_REFUSAL = 0.10
FLOOR_SHARE = 0.05
ANSWER_C = 0.3  # the answerability model's regularisation: of 0.03, 0.3 and 3 the best out-of-set refusal on dev
# Round 2: small refusal models over core.rag_rank.REFUSAL_FEATURES (the best unit still chosen by the ranker),
# each judged leave-one-set-out on dev; --refusal NAME ships one of them instead of the 25-feature answerability.
REFUSALS = {"hand": ("hand",), "hand_best": ("hand_best",), "logit_hand": ("top_logit", "hand"),
            "small4": ("top_logit", "margin", "hand", "cover"), "small5": REFUSAL_FEATURES}


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
            q = rag._query_vector(e5, question)
            x = ix.features(question, q)
            y = np.array([bool(B.keys_of(key)) and B.is_direct(s) and B.has_key(s, key) for s in shown], dtype=int)
            per.append((x, y, bool(B.keys_of(key)), (ix, question, q)))
        out[name] = per
    return out


def _lr(x, y, c):
    """A seeded logistic regression on standardised features: (mean, scale, coef, intercept)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(x)
    scale = np.where(scaler.scale_ > 0, scaler.scale_, 1.0)
    lr = LogisticRegression(C=c, max_iter=3000, random_state=0).fit((x - scaler.mean_) / scale, y)
    return scaler.mean_, scale, lr.coef_[0], float(lr.intercept_[0])


def fit(per_sets):
    """The unit ranker: every unit of every question is a row, label = it holds the key."""
    x = np.concatenate([p[0] for per in per_sets for p in per])
    y = np.concatenate([p[1] for per in per_sets for p in per])
    return _lr(x, y, 1.0)


def _logits(x, model):
    mean, scale, coef, b = model
    return ((x - mean) / scale) @ coef + b


def questions(per, model):
    """Per question: (question_features under the unit ranker `model`, best unit holds the key, answerable,
    (REFUSAL_FEATURES, the best unit holds an asked-for count))."""
    out = []
    for x, y, answerable, (ix, question, q) in per:
        z = _logits(x, model)
        hand, count_ok, hand_best = ix.hand_view(question, q, z)
        out.append((question_features(z, x), bool(len(z) and y[int(np.argmax(z))]), answerable,
                    (refusal_features(z, x, hand, hand_best), count_ok)))
    return out


def refusal_points(qrows, names, c=1.0):
    """A small refusal model over the REFUSAL_FEATURES `names`: (mean, scale, coef, intercept) and a function of
    qrows → answer_points (a "how many" question whose best unit lacks the count: probability 0)."""
    idx = [REFUSAL_FEATURES.index(f) for f in names]

    def xs(rows_):
        return np.array([r[3][0][idx] for r in rows_])

    def fit_(rows_):
        return _lr(xs(rows_), np.array([int(r[2]) for r in rows_]), c)

    def points_(rows_, model):
        p = 1 / (1 + np.exp(-_logits(xs(rows_), model)))
        return [(float(pi) if r[3][1] else 0.0, r[1], r[2]) for pi, r in zip(p, rows_)]

    return fit_, points_


def per_set(points, threshold, label):
    """Key accuracy / false refusal / refusal on unanswerable of one set's points at a threshold."""
    ans = [p for p in points if p[2]]
    un = [p for p in points if not p[2]]
    right = sum(p[1] and p[0] >= threshold for p in ans)
    print(f"    {label}: key accuracy {right / max(len(ans), 1):.2f}, false refusal "
          f"{sum(p[0] < threshold for p in ans) / max(len(ans), 1):.2f}, refusal on unanswerable "
          + (f"{sum(p[0] < threshold for p in un) / len(un):.2f} ({sum(p[0] < threshold for p in un)}/{len(un)})"
             if un else "-") + f", right + refused {right + sum(p[0] < threshold for p in un)}")


def fit_answer(qrows):
    """The answerability model: one row per question (its best unit under the ranker), label = answerable."""
    return _lr(np.array([r[0] for r in qrows]), np.array([int(r[2]) for r in qrows]), ANSWER_C)


def answer_points(qrows, model):
    """(answerability probability, best unit holds the key, answerable) per question."""
    p = 1 / (1 + np.exp(-_logits(np.array([r[0] for r in qrows]), model)))
    return [(float(pi), r[1], r[2]) for pi, r in zip(p, qrows)]


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
    ap.add_argument("--refusal", choices=["none", *REFUSALS], default="logit_hand",
                    help="the shipped refusal model (round 2: logit_hand; none: the 25-feature answerability model)")
    ap.add_argument("--candidates", type=Path, help="also write every refusal candidate here as rag_ranker_NAME.json")
    args = ap.parse_args()
    names = [n for n, (_, _, label) in B.SETS.items() if label == "dev"]
    data = rows(names)
    qrows = {}
    for held in names:  # each dev set's questions seen through a unit ranker that never saw that set
        qrows[held] = questions(data[held], fit([data[n] for n in names if n != held]))
        ans = [r for r in qrows[held] if r[2]]
        print(f"out of set {held}: top-1 key accuracy {sum(r[1] for r in ans) / max(len(ans), 1):.2f}")
    oof, by_set = [], {}
    for held in names:  # and its answerability by a model fitted on the other sets' questions
        by_set[held] = answer_points(qrows[held], fit_answer([r for n in names if n != held for r in qrows[n]]))
        oof += by_set[held]
    print("pooled out-of-set rule:")
    threshold, floor = choose(oof)
    for held in names:
        per_set(by_set[held], threshold, held)
    mean, scale, coef, b = fit([data[n] for n in names])
    a_mean, a_scale, a_coef, a_b = fit_answer([r for n in names for r in qrows[n]])
    print("in-sample (all dev sets, final models):")
    final = questions([p for n in names for p in data[n]], (mean, scale, coef, b))
    choose(answer_points(final, (a_mean, a_scale, a_coef, a_b)))

    def r(v):
        return [round(float(c), 6) for c in v]

    refusals = {}
    for name, feats in REFUSALS.items():  # the small refusal models, leave-one-set-out
        fit_r, points_r = refusal_points(qrows, feats)
        oof_r, set_r = [], {}
        for held in names:
            set_r[held] = points_r(qrows[held], fit_r([q for n in names if n != held for q in qrows[n]]))
            oof_r += set_r[held]
        print(f"refusal {name} {feats}, pooled out-of-set rule:")
        th, fl = choose(oof_r)
        for held in names:
            per_set(set_r[held], th, held)
        m_r, s_r, c_r, b_r = fit_r([q for n in names for q in qrows[n]])
        refusals[name] = {"features": list(feats), "coef": r(c_r), "intercept": round(b_r, 6), "mean": r(m_r),
                          "scale": r(s_r), "count_gate": True, "threshold": round(th, 4), "floor": round(fl, 4)}

    def write(path, refusal):
        th, fl = (refusal.pop("threshold"), refusal.pop("floor")) if refusal else (threshold, floor)
        path.write_text(json.dumps({
            "features": list(FEATURES), "coef": r(coef), "intercept": round(b, 6), "mean": r(mean),
            "scale": r(scale),
            "answer": {"coef": r(a_coef), "intercept": round(a_b, 6), "mean": r(a_mean), "scale": r(a_scale)},
            **({"refusal": refusal} if refusal else {}),
            "threshold": round(th, 4), "floor": round(fl, 4), "trained_on": names,
            "rule": f"highest refusal of unanswerable with <= {MAX_FALSE_REFUSAL:.0%} false refusals, out of set",
        }, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {path}")

    if args.candidates:
        args.candidates.mkdir(parents=True, exist_ok=True)
        for name, refusal in refusals.items():
            write(args.candidates / f"rag_ranker_{name}.json", dict(refusal))
    write(args.out, dict(refusals[args.refusal]) if args.refusal != "none" else None)


if __name__ == "__main__":
    main()
