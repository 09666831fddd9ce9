"""Fit the RAG answer-unit ranker (core.rag_rank) on every dev question set, estimate leave-one-SET-out what carries
to an unseen set, compare with the hand-made rule the same way, and write data/rag_ranker.json.

Round 3 of issue #34: the sets of bench/rag_answers.py labelled "dev" are 11 sets (own, dev, heldout, upload,
syllabus and the former independent sets styles, bootcamp, lecture, constitution2, handout, faq). For every question
every answer unit of its document's index is one row: the features of core.rag_rank.FEATURES, label 1 when the unit,
shown as the extractive answer, is direct and holds one of the question's key phrases (unanswerable questions: every
unit 0). The unit ranker is a logistic regression (scikit-learn, seeded, standardised) over all rows. The refusal
model is a second one over each question's best unit (core.rag_rank.REFUSAL_FEATURES), label = answerable, its rows
coming from unit rankers that never saw the question's set. The answer: the best unit, widened to the adjacent items
of its list or table that the ranker also scores at least WIDEN × the best one's probability (core.rag.widen). The
threshold: the highest refusal of unanswerable questions with at most 10 % of answerable ones refused (out of set);
the not-certain floor: the probability below which 5 % of answerable questions' best units fall (out of set).

Leave-one-set-out (--loso, printed before the final fit): each set is scored by a ranker, refusal model and threshold
fitted on the other sets (the refusal rows of each training set from a ranker that saw neither it nor the held-out
set), and the hand rule (core.rag.MIN_SUPPORT) both as shipped and with its threshold chosen the same way. A right
answer holds its key phrase (every phrase for the sets in bench/rag_answers.ALL_KEYS) and is direct. Since round 6
the lead's third sets (constitution3, clubrules, modelcard) are dev sets too: 14 sets; since round 7 also set4's
(constitution4, labnotice, cheatsheet): 17. Only sets labelled "dev" in bench/rag_answers.SETS are read; the lead's
later sets (set5 on) never are. Seeded: the same data give the same file.

Round 4 (variants, none adopted; bench/rag_refusal_test.md): --make-near key,word collects near-topic unanswerables
made from every answerable question (core.rag_rank.near_topic: the question on its document without the units that
hold its key and their list or table — "key" — and also without the question's rarest word of those units — "word"),
and --near KIND:WEIGHT,... adds them to the refusal model's training folds (never the held-out set's own), one
leave-one-set-out row per variant; --refusal all adds the STANDOUT features. Adopted: novel_sim in the refusal model
(--refusal round3 without it); the defaults fit the shipped rule. Round 8 adds lang_gap (core.rag_rank.language_gap:
the question's script against the document's; --refusal novel without it, round 4–7's rule).

    .venv/bin/python scripts/train_rag_ranker.py [--loso] [--cache /tmp/rag_rows.pkl] [--out data/rag_ranker.json]
        [--make-near key,word --near none,key:0.25,word:0.5 --no-hand] [--refusal round3|all]
"""
import argparse
import json
import pickle
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import rag_answers as B  # noqa: E402  (bench/: the question sets and the answer check)

from core import rag  # noqa: E402
from core import rag_rank as R  # noqa: E402
from core.rag_rank import FEATURES, RANKER, REFUSAL_FEATURES, near_topic, refusal_features, tokens  # noqa: E402

MAX_NEAR_DROP = 12  # a near-topic question drops at most this many units (a key phrase found everywhere: none)
MAX_FALSE_REFUSAL = 0.10
FLOOR_SHARE = 0.05
RANKER_C = 1.0  # the unit ranker's regularisation: of 1, 0.1 and 0.01 the best leave-one-set-out (round 3)
REFUSAL_C = 0.1  # the refusal model's: of 1, 0.3, 0.1, 0.03 and 0.01 over all REFUSAL_FEATURES, idem
# the refusal model's inputs: every REFUSAL_FEATURES but "cover" (the best unit's x_unit_cover again) and STANDOUT
# (round 4: z-scores among the document's units; --refusal all adds them: +1 right + refused, no more unanswerables
# refused leave-one-set-out, not adopted). novel_sim is in since round 4 (its test: bench/rag_refusal_test.md);
# --refusal round3 leaves it out. lang_gap is in since round 8; --refusal novel leaves it out.
REFUSAL_USED = tuple(f for f in REFUSAL_FEATURES if f != "cover" and f not in R.STANDOUT)
USED = [REFUSAL_FEATURES.index(f) for f in REFUSAL_USED]


def use_refusal(features):
    """Fit the refusal model over these REFUSAL_FEATURES (the --refusal variants)."""
    global REFUSAL_USED, USED
    REFUSAL_USED = tuple(features)
    USED = [REFUSAL_FEATURES.index(f) for f in REFUSAL_USED]


NEAR_KIND = "key"  # which near-topic unanswerables (Study.near)
# the weight of a near-topic unanswerable in the refusal model's fit: 0 (none), as shipped — with 0.25, 0.5 or 1
# fewer real unanswerables were refused leave-one-set-out (bench/rag_refusal_test.md, round 4)
NEAR_WEIGHT = 0.0
WIDEN = 0.25  # of none, 0.5, 0.25 and 0.1, idem (bench/rag_refusal_test.md)
# round 6: an answer of no list or table takes the unit next to it scoring at least ADJACENT × the best one's
# probability (core.rag.grow_block); None: off. Of none, 0.5, 0.35, 0.25 and 0.15 the best leave-one-set-out
# (bench/rag_refusal_test.md, round 6); --adjacent compares values.
ADJACENT = 0.15


def collect(names, near_kinds=("key", "word")):
    """Per set: (the index's units: shown text, owner chunk, kind, list block, context length; per question: its
    features, hand-made scores, count check and the hand rule's own answer)."""
    import pandas as pd

    store, e5, collection = B.index_builder()
    out = {}
    for name in names:
        path, doc, _ = B.SETS[name]
        qs = pd.read_csv(path, keep_default_na=False, dtype=str)
        col = collection(doc)
        ix = rag._index(store.get(col, e5), e5)
        # the answer as the page shows it (an FAQ answer without its question: core.rag._Index.answers)
        units = {"shown": [rag.shown(s) for s in ix.answers], "sentences": list(ix.answers), "docs": list(ix.docs),
                 "owner": ix.owner.copy(), "kinds": list(ix.kinds), "blocks": list(ix.blocks),
                 "heads": list(ix.heads), "spans": list(ix.spans)}
        per = []
        for question, key in zip(qs.question, qs.key):
            q = rag._query_vector(e5, question)
            count = rag.asked_count(question)
            hand = (ix.sentence_vectors @ q + rag.COVERAGE_WEIGHT * np.array(
                [rag.coverage(question, s) for s in ix.sentences], np.float32)).astype(np.float32)
            scores = ix.sentence_scores(question, q)
            got = rag.chain(store, col, e5, k=3, min_support=-1).invoke(question)  # the hand rule, as bench runs it
            best = got.support[0] if got.support else None
            conf = got.confidence if best and (count is None or count.search(best.sentence)) else 0.0
            per.append({"question": question, "key": key, "x": ix.features(question, q), "hand": hand,
                        "hand_best": float(hand[int(np.argmax(scores))]) if len(scores) else 0.0,
                        "count_ok": np.array([count is None or bool(count.search(s)) for s in ix.sentences]),
                        "hand_rule": (float(conf), rag.extractive(got).text if best else ""),
                        "novel": ix.novel(question)})
        near = {"key": [], "word": []}
        unit_tokens = [set(tokens(s)) for s in ix.plain]
        for question, key in zip(qs.question, qs.key):
            drop = near_drop(units, key)
            for kind, d in (("key", drop), ("word", drop and word_drop(question, drop, unit_tokens))):
                if d and kind in near_kinds:
                    x, hand, hand_best, count_ok, novel = near_topic(ix, question, rag._query_vector(e5, question), d)
                    near[kind].append({"question": question, "x": x, "hand": hand, "hand_best": hand_best,
                                       "count_ok": count_ok, "novel": novel, "dropped": len(d)})
        out[name] = (units, per, near)
        print(f"collected {name}: {len(per)} questions (near-topic: {len(near['key'])} key, "
              f"{len(near['word'])} word), {len(ix.sentences)} units", flush=True)
    return out


def near_drop(units, key):
    """The units to remove so that an answerable question becomes a near-topic unanswerable: every unit holding one
    of its key phrases, with the rest of its list or table (so no unit left holds it); none when no unit holds it or
    when more than MAX_NEAR_DROP units would go (a phrase found everywhere: not one part of the document)."""
    if not B.keys_of(key):
        return set()
    shown, blocks, owner = units["shown"], units["blocks"], units["owner"]
    holds = {i for i, s in enumerate(shown) if B.has_key(s, key)}
    drop = holds | {i for i in range(len(shown)) for j in holds
                    if blocks[j] >= 0 and blocks[i] == blocks[j] and owner[i] == owner[j]}
    if not holds or len(drop) > MAX_NEAR_DROP:
        return set()
    return drop


def word_drop(question, drop, unit_tokens):
    """A near-topic unanswerable of the other kind: besides `drop` (near_drop), every unit holding the question's
    word that is rarest in the document among the words of the dropped units, so the document no longer uses it at
    all (a question about 연봉 on a constitution that never says 연봉); none when that word is in more than
    MAX_NEAR_DROP units."""
    held = set().union(*(unit_tokens[i] for i in drop))
    words = [w for w in dict.fromkeys(tokens(question)) if w in held]
    if not words:
        return set()
    df = {w: [i for i, t in enumerate(unit_tokens) if w in t] for w in words}
    rare = min(words, key=lambda w: len(df[w]))
    more = set(df[rare]) | drop
    return more if len(more) <= MAX_NEAR_DROP else set()


class Study:
    """The collected rows of every set, the fits over any subset of sets, and the rules' points per question."""

    def __init__(self, data):
        self.data, self.names, self._rankers = data, list(data), {}
        for units, per, *_ in data.values():
            share = R.hangul_share(" ".join(units["docs"]))  # as core.rag._Index.lang_gap reads the document
            for r in per:
                r["answerable"] = bool(B.keys_of(r["key"]))
                r["lang_gap"] = R.language_gap(r["question"], share)
                r["y"] = np.array([r["answerable"] and B.is_direct(s) and B.has_key(s, r["key"])
                                   for s in units["shown"]], dtype=int)

    def right(self, name, r, text):
        return B.is_direct(text) and B.has_key(text, r["key"], name in B.ALL_KEYS)

    def ranker(self, sets):
        """The unit ranker fitted on these sets: (mean, scale, coef, intercept)."""
        key = tuple(sorted(sets))
        if key not in self._rankers:
            per = [r for n in sets for r in self.data[n][1]]
            self._rankers[key] = _lr(np.concatenate([r["x"] for r in per]), np.concatenate([r["y"] for r in per]),
                                     RANKER_C)
        return self._rankers[key]

    def questions(self, name, model, widen=WIDEN):
        """Per question of a set under a unit ranker: (REFUSAL_FEATURES, best unit holds the count, answer right,
        answerable)."""
        units, per = self.data[name][:2]
        out = []
        for r in per:
            z, top, f = _refusal_row(r, model)
            text = _widened(units, z, top, widen, ADJACENT) if widen or ADJACENT else units["shown"][top]
            out.append((f, bool(r["count_ok"][top]), self.right(name, r, text), r["answerable"]))
        return out

    def near(self, name, model, kind=NEAR_KIND):
        """The near-topic unanswerables of one kind ("key": near_drop, "word": word_drop) made from a set's
        answerable questions (core.rag_rank.near_topic) as questions() rows."""
        out = []
        for r in self.data[name][2][kind] if len(self.data[name]) > 2 else []:
            _, top, f = _refusal_row(r, model)
            out.append((f, bool(r["count_ok"][top]), False, False))
        return out

    def training(self, sets, near_weight, kind=NEAR_KIND):
        """The refusal model's rows from these sets, each set's through a unit ranker that saw none of them but it
        excluded (the held-out set is never in `sets`), with its near-topic unanswerables weighted near_weight."""
        rows, weights = [], []
        for t in sets:
            model = self.ranker([n for n in sets if n != t])
            real = self.questions(t, model)
            near = self.near(t, model, kind) if near_weight else []
            rows += real + near
            weights += [1.0] * len(real) + [near_weight] * len(near)
        return rows, np.array(weights)

    def hand_points(self, name):
        """(confidence, right, answerable) per question under the hand rule (its own unit and confidence)."""
        return [(r["hand_rule"][0], self.right(name, r, r["hand_rule"][1]), r["answerable"])
                for r in self.data[name][1]]


def _widened(units, z, top, ratio, adjacent=None):
    """core.rag.widen on the collected units: the same growth (core.rag.grow_block) and join, over the shown text."""
    shown, kinds = units["shown"], units["kinds"]
    block = units["blocks"][top] >= 0

    def text(idx):
        first = idx[0]
        head = units["heads"][first] - (len(units["sentences"][first]) - len(shown[first]))
        return rag.join_units(shown, idx, head, kinds[first] == "row", block)

    def fits(idx):
        t = text(idx)
        return len(t) <= rag.MAX_ANSWER and (block or rag.sentence_count(t) <= rag.MAX_SENTENCES)

    keep = rag.grow_block(top, 1 / (1 + np.exp(-z)), ratio, units["blocks"], units["owner"], fits,
                          adjacent)
    return text(keep)


def _refusal_row(r, model):
    """One collected question under a unit ranker: (its units' logits, the best unit, its REFUSAL_USED features)."""
    z = _logits(r["x"], model)
    top = int(np.argmax(z))
    return z, top, refusal_features(z, r["x"], float(r["hand"][top]), r["hand_best"], r.get("novel", 1.0),
                                    r.get("lang_gap", 0.0))[USED]


def _lr(x, y, c, weight=None):
    """A seeded logistic regression on standardised features: (mean, scale, coef, intercept)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(x)
    scale = np.where(scaler.scale_ > 0, scaler.scale_, 1.0)
    lr = LogisticRegression(C=c, max_iter=3000, random_state=0).fit((x - scaler.mean_) / scale, y,
                                                                      sample_weight=weight)
    return scaler.mean_, scale, lr.coef_[0], float(lr.intercept_[0])


def _logits(x, model):
    mean, scale, coef, b = model
    return ((x - mean) / scale) @ coef + b


def fit_refusal(qrows, weight=None):
    return _lr(np.array([r[0] for r in qrows]), np.array([int(r[3]) for r in qrows]), REFUSAL_C, weight)


def refusal_points(qrows, model):
    """(answerability probability, right, answerable) per question (a "how many" question whose best unit lacks
    the count: 0)."""
    p = 1 / (1 + np.exp(-_logits(np.array([r[0] for r in qrows]), model)))
    return [(float(pi) if r[1] else 0.0, r[2], r[3]) for pi, r in zip(p, qrows)]


def choose(points):
    """The highest refusal of unanswerable questions with at most MAX_FALSE_REFUSAL of answerable ones refused."""
    ans = [p for p in points if p[2]]
    chosen = 0.0
    for th in sorted({p[0] for p in points}):
        if sum(p[0] < th for p in ans) / len(ans) <= MAX_FALSE_REFUSAL:
            chosen = th
    return chosen


def score(points, th):
    ans = [p for p in points if p[2]]
    un = [p for p in points if not p[2]]
    return {"right": sum(p[1] and p[0] >= th for p in ans), "answerable": len(ans),
            "false_refusal": sum(p[0] < th for p in ans), "refused": sum(p[0] < th for p in un),
            "unanswerable": len(un), "top1": sum(p[1] for p in ans), "threshold": th}


def out_of_set(study, rest, weight=NEAR_WEIGHT, kind=NEAR_KIND):
    """(refusal model, threshold) fitted on the sets `rest` only: how a held-out set is scored."""
    train, w = study.training(rest, weight, kind)
    model = fit_refusal(train, w)
    return model, choose(refusal_points(train, model))


def loso(study, variants=((NEAR_KIND, NEAR_WEIGHT),), hand=True):
    """Leave-one-set-out figures of the learned rule (one row per (kind, weight) of the near-topic unanswerables in
    the refusal fit; weight 0: none) and of the hand rule (as shipped and re-thresholded)."""
    names = study.names
    out = {_label(k, w): {} for k, w in variants}
    if hand:
        out |= {"hand (MIN_SUPPORT 0.87)": {}, "hand (threshold out of set)": {}}
    for held in names:
        rest = [n for n in names if n != held]
        for k, w in variants:
            model, th = out_of_set(study, rest, w, k)
            out[_label(k, w)][held] = score(
                refusal_points(study.questions(held, study.ranker(rest)), model), th)
        if not hand:
            continue
        out["hand (MIN_SUPPORT 0.87)"][held] = score(study.hand_points(held), rag.MIN_SUPPORT)
        out["hand (threshold out of set)"][held] = score(
            study.hand_points(held), choose([p for n in rest for p in study.hand_points(n)]))
    return out


def _label(kind, weight):
    return f"learned (near-topic {kind} × {weight:g})" if weight else "learned (no near-topic)"


def print_loso(results):
    print("| rule | " + " | ".join(next(iter(results.values()))) + " | right + refused | refused | mean key acc | "
          "mean false refusal |")
    print("|---|" + "---|" * (len(next(iter(results.values()))) + 4))
    for rule, per in results.items():
        cells = [f"{v['right']}/{v['answerable']}, {v['refused']}/{v['unanswerable']}" for v in per.values()]
        right, refused = sum(v["right"] for v in per.values()), sum(v["refused"] for v in per.values())
        acc = np.mean([v["right"] / v["answerable"] for v in per.values()])
        fr = np.mean([v["false_refusal"] / v["answerable"] for v in per.values()])
        print(f"| {rule} | " + " | ".join(cells) + f" | {right + refused} | {refused} | {acc:.3f} | {fr:.3f} |")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=RANKER)
    ap.add_argument("--loso", action="store_true", help="print the leave-one-set-out table of both rules first")
    ap.add_argument("--cache", type=Path, help="collected rows: read from here if present, else written here")
    ap.add_argument("--near", default=f"{NEAR_KIND}:{NEAR_WEIGHT:g}",
                    help="comma-separated KIND:WEIGHT of the near-topic unanswerables for --loso (key or word; "
                         "none: without); the first one fits the written file")
    ap.add_argument("--refusal", default="lang", choices=["lang", "novel", "round3", "all"],
                    help="the refusal model's inputs: every REFUSAL_FEATURES but cover and STANDOUT (as shipped since "
                         "round 8), the same without lang_gap (round 4-7's), without novel_sim too (round 3's), or "
                         "all but cover")
    ap.add_argument("--make-near", default="", help="the kinds of near-topic unanswerables to make (key,word)")
    ap.add_argument("--no-hand", action="store_true", help="--loso without the hand rule's rows")
    ap.add_argument("--adjacent", default="",
                    help="comma-separated ADJACENT ratios (none: off) to compare leave-one-set-out; the last one "
                         "fits the written file (default: ADJACENT)")
    args = ap.parse_args()
    if args.refusal == "all":
        use_refusal(f for f in REFUSAL_FEATURES if f != "cover")
    elif args.refusal == "novel":
        use_refusal(f for f in REFUSAL_USED if f != "lang_gap")
    elif args.refusal == "round3":
        use_refusal(f for f in REFUSAL_USED if f not in ("novel_sim", "lang_gap"))
    args.near = [(v.split(":")[0], float(v.split(":")[1])) if ":" in v else (NEAR_KIND, 0.0)
                 for v in args.near.split(",")]
    names = [n for n, (_, _, label) in B.SETS.items() if label == "dev"]
    if args.cache and args.cache.exists():
        data = pickle.loads(args.cache.read_bytes())
        assert list(data) == names, f"{args.cache} holds other sets: delete it"
    else:
        data = collect(names, args.make_near.split(","))
        if args.cache:
            args.cache.write_bytes(pickle.dumps(data))
    study = Study(data)
    global ADJACENT
    for adjacent in [None if v == "none" else float(v) for v in args.adjacent.split(",") if v] or [ADJACENT]:
        ADJACENT = adjacent
        if args.loso:
            print(f"leave-one-set-out (each set scored by rules fitted on the other sets), adjacent {ADJACENT}, "
                  "right/answerable, refused/unanswerable:")
            print_loso(loso(study, args.near, not args.no_hand))
    # the final models: the ranker on all sets, the refusal on every set's questions through a ranker without it
    mean, scale, coef, b = study.ranker(names)
    oof, weight = study.training(names, args.near[0][1], args.near[0][0])
    r_mean, r_scale, r_coef, r_b = fit_refusal(oof, weight)
    points = refusal_points(oof, (r_mean, r_scale, r_coef, r_b))
    threshold = choose(points)
    floor = min(float(np.quantile([p[0] for p in points if p[2]], FLOOR_SHARE)), threshold)
    print(f"threshold {threshold:.4f} (out of set, pooled: {score(points, threshold)}), floor {floor:.4f}")
    final = refusal_points([q for t in names for q in study.questions(t, (mean, scale, coef, b))],
                           (r_mean, r_scale, r_coef, r_b))
    print(f"in-sample (final models on all their training sets): {score(final, threshold)}")
    print("near-topic unanswerables made: " + ", ".join(f"{k} {sum(len(d[2][k]) for d in data.values())}"
                                                      for k in ("key", "word")) + f"; used: {_label(*args.near[0])}")

    def r(v):
        return [round(float(c), 6) for c in v]

    args.out.write_text(json.dumps({
        "features": list(FEATURES), "coef": r(coef), "intercept": round(b, 6), "mean": r(mean), "scale": r(scale),
        "answer": {"coef": [], "intercept": 0.0, "mean": [], "scale": []},
        "refusal": {"features": list(REFUSAL_USED), "coef": r(r_coef), "intercept": round(r_b, 6),
                    "mean": r(r_mean), "scale": r(r_scale), "count_gate": True},
        "threshold": round(threshold, 4), "floor": round(floor, 4), "widen": WIDEN, "adjacent": ADJACENT,
        "trained_on": names,
        "near_topic": {"kind": args.near[0][0], "weight": args.near[0][1]},
        "rule": f"highest refusal of unanswerable with <= {MAX_FALSE_REFUSAL:.0%} false refusals, out of set",
    }, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
