"""Classify the misses of a bench/agent.py run (its --out CSV) on DEV sets, and print the counts per set.

    python scripts/agent_miss_classes.py build/bench_agent.csv [--show]

Classes, decided from the trace and the expected answer of each missed task (no task text is kept anywhere):
    crash/limit       the step limit, or no answer at all
    date              a date or weekday task
    look-up only      a look-up (search_docs, constitution) answered with no program after it
    look-up + program a program after a look-up, wrong
    wrong tool        a numeric task answered by a tool that is no program (calendar, look-up) or not a number
    form              the answer's number is the expected one before rounding or in another unit (x1000^k, x60,
                      x100), or rounded differently: the computation was right, its form wrong
    program logic     a program that computed something else
--show prints each miss's class, expected answer, answer and trace (DEV sets only: read them, never copy them).
"""
import argparse
import collections
import csv
import math
import sys

ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from agent import DEV_ELSEWHERE, load_tasks, numbers  # noqa: E402

LOOKUPS = ("search_docs(", "constitution(")


def form_only(values: list[float], want: float) -> bool:
    """A number of the answer that is the expected one in another form: unrounded, rounded otherwise (within 1 %), or
    scaled by a unit factor (x60, x100, x1000, x1024, ...)."""
    for x in values:
        if x == 0:
            continue
        for scale in (1, 60, 1 / 60, 100, 1 / 100, 1000, 1 / 1000, 1024, 1 / 1024, 1024 ** 2, 1 / 1024 ** 2, 3600,
                      1 / 3600, 1e6, 1e-6):
            if math.isclose(x * scale, want, rel_tol=0.01) or (scale == 1 and round(x) == want != x):
                return True
    return False


def classify(row: dict, task: dict) -> str:
    steps, answer = row["steps"], row["answer"] or ""
    if row["limit"] == "True" or not answer.strip():
        return "crash/limit"
    if task["kind"] in ("date", "weekday"):
        return "date"
    looked = any(t in steps for t in LOOKUPS)
    computed = "calculator(" in steps
    if looked and not computed:
        return "look-up only" if task["kind"] == "num" else "look-up (text) wrong"
    if looked:
        return "look-up + program"
    if not computed:
        return "wrong tool"
    if task["kind"] == "num" and form_only(numbers(answer), float(task["expected"])):
        return "form"
    if task["kind"] != "num":
        return "program (text answer)"
    return "program logic"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("csv")
    ap.add_argument("--show", action="store_true")
    args = ap.parse_args()
    tasks = {t["task"]: t for name in DEV_ELSEWHERE for t in load_tasks(name)}
    counts: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    with open(args.csv, encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if "(frozen)" in row["run"] or row["task"] not in tasks:
                continue  # only dev sets are classified
            run = row["run"].split("dev:")[-1]
            counts[run]["n"] += 1
            if row["correct"] == "True":
                counts[run]["right"] += 1
                continue
            cls = classify(row, tasks[row["task"]])
            counts[run][cls] += 1
            if args.show:
                print(f"[{run}] {cls:18s} want={tasks[row['task']]['expected']!r} got={row['answer'][:60]!r}\n"
                      f"    {row['task'][:110]}\n    {row['steps'][:300]}")
    classes = sorted({c for v in counts.values() for c in v} - {"n", "right"})
    print(f"{'set':6s} {'right':>7s} " + " ".join(f"{c:>17s}" for c in classes))
    total = collections.Counter()
    for run, c in counts.items():
        total.update(c)
        print(f"{run:6s} {c['right']:3d}/{c['n']:<3d} " + " ".join(f"{c[k]:17d}" for k in classes))
    print(f"{'all':6s} {total['right']:3d}/{total['n']:<3d} " + " ".join(f"{total[k]:17d}" for k in classes))


if __name__ == "__main__":
    main()
