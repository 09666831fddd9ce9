"""Why the learned RAG rule misses answerable questions, leave-one-set-out, on the dev sets only (issue #34 round 6).

Every answerable question of a dev set is answered as scripts/train_rag_ranker.py --loso scores it (the unit ranker,
refusal model and threshold fitted on the other sets) and each miss gets one class:

  a  refused although the chosen answer (the best unit, widened) holds the key
  b  a wrong unit chosen although a unit holding the key is in the 3 retrieved chunks
  c  no single unit holds the key (granularity: the key runs over several units of one chunk — an FAQ answer of
     several sentences, a row without its header, an item without its lead-in —, or the unit holding it is too long
     to be a direct answer); c* when the chunk that holds it is not among the 3 retrieved
  d  a unit holds the key but its chunk is not among the 3 retrieved (retrieval missed)
  e  no chunk holds the key (it spans chunks, or the key is not written as in the text)

It reads the rows train_rag_ranker.py collected (--cache; they must hold the chunk texts, "docs", collected since
round 6) and prints the counts per set, the median length of the answers given, and with --show the misses (dev sets
only: set5 and later are never read).

    .venv/bin/python scripts/rag_miss_classes.py --cache /tmp/rows.pkl [--show c,b] [--adjacent 0.5]
"""
import argparse
import pickle
import statistics
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import train_rag_ranker as T  # noqa: E402

B = T.B
CLASSES = ("a", "b", "c", "c*", "d", "e")
RETRIEVED = 3  # chunks, as the page retrieves them (k=3)


def classify(study, name, r, z, text, p, th):
    """(class or "" for a right answer, the answer given or "" when refused)."""
    units = study.data[name][0]
    answered = p >= th
    if study.right(name, r, text):
        return ("" if answered else "a"), (text if answered else "")
    shown, owner, docs = units["shown"], units["owner"], units["docs"]
    best = np.full(len(docs), -np.inf)
    np.maximum.at(best, owner, z)
    retrieved = set(np.argsort(-best)[:RETRIEVED].tolist())
    good = [j for j, s in enumerate(shown) if study.right(name, r, s)]
    given = text if answered else ""
    if good:
        return ("b" if any(owner[j] in retrieved for j in good) else "d"), given
    every = name in B.ALL_KEYS
    holding = [c for c, d in enumerate(docs) if B.has_key(d, r["key"], every)]
    if holding:
        return ("c" if any(c in retrieved for c in holding) else "c*"), given
    return "e", given


def run(study, show=()):
    names = study.names
    totals = dict.fromkeys(CLASSES, 0)
    lengths = []
    print("| set | answerable | right | " + " | ".join(CLASSES) + " | unanswerable refused |")
    print("|---|---|---|" + "---|" * len(CLASSES) + "---|")
    for held in names:
        rest = [n for n in names if n != held]
        model = study.ranker(rest)
        refusal, th = T.out_of_set(study, rest, 0.0)
        units, per = study.data[held][:2]
        rows = study.questions(held, model)
        probs = T.refusal_points(rows, refusal)
        counts = dict.fromkeys(CLASSES, 0)
        right = refused_un = 0
        for r, (p, _, _) in zip(per, probs):
            z, top, _ = T._refusal_row(r, model)
            text = T._widened(units, z, top, T.WIDEN, T.ADJACENT)
            if p >= th:
                lengths.append(len(text))
            if not r["answerable"]:
                refused_un += p < th
                continue
            cls, given = classify(study, held, r, z, text, p, th)
            if not cls:
                right += 1
                continue
            counts[cls] += 1
            if cls in show:
                print(f"    {cls} [{r['key']}] {r['question']} -> {given[:100]!r} (best: {text[:100]!r})")
        for c in CLASSES:
            totals[c] += counts[c]
        n_ans = sum(r["answerable"] for r in per)
        print(f"| {held} | {n_ans} | {right} | " + " | ".join(str(counts[c]) for c in CLASSES)
              + f" | {refused_un}/{len(per) - n_ans} |", flush=True)
    print("| total | | | " + " | ".join(str(totals[c]) for c in CLASSES) + " | |")
    print(f"median length of the answers given (answerable and not): {statistics.median(lengths):.0f} characters "
          f"({len(lengths)} answered)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cache", type=Path, required=True, help="rows written by scripts/train_rag_ranker.py --cache")
    ap.add_argument("--show", default="", help="comma-separated classes whose misses to print (dev sets only)")
    ap.add_argument("--adjacent", type=float, default=None, help="score with this ADJACENT ratio (default: off)")
    args = ap.parse_args()
    T.ADJACENT = args.adjacent
    data = pickle.loads(args.cache.read_bytes())
    assert all(B.SETS[n][2] == "dev" for n in data), "only dev sets are diagnosed"
    assert all("docs" in d[0] for d in data.values()), "rows collected before round 6: collect them again"
    run(T.Study(data), [c for c in args.show.split(",") if c])


if __name__ == "__main__":
    main()
