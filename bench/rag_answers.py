"""RAG answer benchmark (prints its figures; not a test).

The default chain (e5 → hybrid retrieval over answer units, k=3 → the supporting unit; --mode llm adds Qwen2.5-0.5B
local, greedy, on the page's int8 engine or --engine torch) on every question set, each labelled:

  dev          sets whose misses were read while designing (core.answer_units, the answer rule in core.rag):
               own (data/rag_questions_ko.csv), dev (data/eval/rag_dev_ko.csv), heldout (data/eval/rag_heldout_ko.csv,
               held out for #18, read since), upload (data/eval/rag_upload_ko.txt + questions) and syllabus
               (data/eval/dev_upload_syllabus_ko.md + questions: a list-heavy Markdown upload written for #34);
               since round 3 also styles, bootcamp, lecture (data/eval/frozen/) and constitution2, handout, faq
               (data/eval/frozen/set2/): written by someone who saw neither the method nor the other sets, they were
               the independent sets of rounds 1 and 2 and are read and trained on now; since round 6 also
               constitution3, clubrules, modelcard (data/eval/frozen/set3/, the independent sets of round 3); since
               round 7 also constitution4, labnotice (a plain-text upload), cheatsheet (data/eval/frozen/set4/);
  independent  a set written by someone who saw neither the method nor the other sets, copied in unchanged,
               measured with the frozen rule; its questions, keys and misses are never printed: constitution5,
               dormfaq (a plain-text Q/A handbook), readme (data/eval/frozen/set5/, written before round 5);
               constitution6, policy (a plain-text company handbook in articles), workshop (Markdown EN/KO workshop
               notes; data/eval/frozen/set6/, written before round 6); constitution7, labguide (a Korean lab guide
               exported from slides as Markdown), releasenotes (plain-text English release notes;
               data/eval/frozen/set7/, written before round 7; a merge gate since round 8); constitution8, libraryfaq (a
               plain-text Korean library FAQ and rules), toolreadme (an English Markdown README;
               data/eval/frozen/set8/, written before round 8).

An upload is indexed through core.documents.load_upload → split(400, 50), as on the page. A CSV has columns
question,key; key is '|'-separated acceptable phrases, empty = unanswerable. An answer is right when it answers
(not "I don't know", not the not-certain closest passage) directly (at most two sentences and 200 characters
without citation marks) and holds one key phrase (every one for the sets of rounds 2–4, see ALL_KEYS; spaces
ignored). Per set and mode it prints: the share of answerable questions answered, key accuracy over all
answerable questions, false refusals (answerable but refused), refusal on unanswerable questions, how often the
not-certain closest passage held the key, and the median seconds per answer after the index is built.

--rule learned (default, the page's rule since issue #34 round 3: core.rag_rank, BM25 over kiwi morphemes + relative
e5 + coverage, a logistic regression fitted on the dev sets by scripts/train_rag_ranker.py picks the unit and widens
it to the adjacent list items it also scores high, a refusal model over that unit's features decides, its threshold
in data/rag_ranker.json; --ranker FILE for another fitted file) or hand (e5 cosine + coverage, core.rag.MIN_SUPPORT).
The learned rule is fitted on every dev set: its figures here are in-sample; the estimate for an unseen set is the
leave-one-set-out table that scripts/train_rag_ranker.py --loso prints.
A new set is one SETS entry: a question,key CSV, the document (LAW or a file uploaded as on the page) and its label.
--sweep prints the rule sweep over the dev sets (how MIN_SUPPORT was chosen); --curve FILE writes the risk–coverage
points of the dev sets for the RAG page; --every N keeps every Nth question (for the slow LLM mode).
"""
import argparse
import json
import re
import statistics
import tempfile
import time
from pathlib import Path

import pandas as pd
from _common import ROOT

from core import documents as D
from core import rag, rag_rank
from core import vectordb as VDB
from core.assets import Registry
from core.config import Settings
from core.embeddings import make_embedder

EVAL = ROOT / "data" / "eval"
LAW = "constitution"
SET2 = EVAL / "frozen" / "set2"
SET3 = EVAL / "frozen" / "set3"
SET4 = EVAL / "frozen" / "set4"
SET5 = EVAL / "frozen" / "set5"
SET6 = EVAL / "frozen" / "set6"
SET7 = EVAL / "frozen" / "set7"
SET8 = EVAL / "frozen" / "set8"
# name: (questions, document (LAW = the shipped constitution), label)
SETS = {
    "own": (ROOT / "data" / "rag_questions_ko.csv", LAW, "dev"),
    "dev": (EVAL / "rag_dev_ko.csv", LAW, "dev"),
    "heldout": (EVAL / "rag_heldout_ko.csv", LAW, "dev"),
    "upload": (EVAL / "rag_upload_questions_ko.csv", EVAL / "rag_upload_ko.txt", "dev"),
    "syllabus": (EVAL / "dev_upload_syllabus_ko_questions.csv", EVAL / "dev_upload_syllabus_ko.md", "dev"),
    # the independent sets of rounds 1 and 2 (data/eval/frozen/, written by someone who saw neither the method nor
    # the other sets) became dev sets in round 3: their misses are read and the ranker is trained on them
    "styles": (EVAL / "frozen" / "rag_constitution_styles.csv", LAW, "dev"),
    "bootcamp": (EVAL / "frozen" / "upload_bootcamp_ko_questions.csv", EVAL / "frozen" / "upload_bootcamp_ko.md",
                 "dev"),
    "lecture": (EVAL / "frozen" / "upload_lecture_notes_en_questions.csv",
                EVAL / "frozen" / "upload_lecture_notes_en.md", "dev"),
    # second round (data/eval/frozen/set2/README.md): a right answer holds EVERY '|'-separated phrase of its key
    "constitution2": (SET2 / "rag_constitution_fresh.csv", LAW, "dev"),
    "handout": (SET2 / "upload_lab_handout_ko_questions.csv", SET2 / "upload_lab_handout_ko.md", "dev"),
    "faq": (SET2 / "upload_faq_en_questions.csv", SET2 / "upload_faq_en.md", "dev"),
    # third round (data/eval/frozen/set3/README.md), the same key rule: independent in round 3, dev since round 6
    "constitution3": (SET3 / "rag_constitution_q3.csv", LAW, "dev"),
    "clubrules": (SET3 / "upload_club_rules_ko_questions.csv", SET3 / "upload_club_rules_ko.md", "dev"),
    "modelcard": (SET3 / "upload_model_card_en_questions.csv", SET3 / "upload_model_card_en.md", "dev"),
    # fourth round (data/eval/frozen/set4/README.md, written before round 4), the same key rule: independent in
    # rounds 4-6 (read as totals only, a merge gate), dev since round 7
    "constitution4": (SET4 / "rag_constitution_q4.csv", LAW, "dev"),
    "labnotice": (SET4 / "upload_lab_notice_ko_questions.csv", SET4 / "upload_lab_notice_ko.txt", "dev"),
    "cheatsheet": (SET4 / "upload_cheatsheet_mixed_questions.csv", SET4 / "upload_cheatsheet_mixed.md", "dev"),
    # fifth round (data/eval/frozen/set5/README.md, written before round 5), the same key rule
    "constitution5": (SET5 / "rag_constitution_q5.csv", LAW, "independent"),
    "dormfaq": (SET5 / "upload_dorm_faq_ko_questions.csv", SET5 / "upload_dorm_faq_ko.txt", "independent"),
    "readme": (SET5 / "upload_service_readme_questions.csv", SET5 / "upload_service_readme.md", "independent"),
    # sixth round (data/eval/frozen/set6/README.md, written before round 6), the same key rule
    "constitution6": (SET6 / "rag_constitution_q6.csv", LAW, "independent"),
    "policy": (SET6 / "upload_company_policy_ko_questions.csv", SET6 / "upload_company_policy_ko.txt", "independent"),
    "workshop": (SET6 / "upload_workshop_notes_questions.csv", SET6 / "upload_workshop_notes.md", "independent"),
    # seventh round (data/eval/frozen/set7/README.md, written before round 7), the same key rule
    "constitution7": (SET7 / "rag_constitution_q7.csv", LAW, "independent"),
    "labguide": (SET7 / "upload_lab_guide_ko_questions.csv", SET7 / "upload_lab_guide_ko.md", "independent"),
    "releasenotes": (SET7 / "upload_release_notes_en_questions.csv", SET7 / "upload_release_notes_en.txt",
                     "independent"),
    # eighth round (data/eval/frozen/set8/README.md, written before round 8), the same key rule
    "constitution8": (SET8 / "rag_constitution_q8.csv", LAW, "independent"),
    "libraryfaq": (SET8 / "upload_library_faq_ko_questions.csv", SET8 / "upload_library_faq_ko.txt", "independent"),
    "toolreadme": (SET8 / "upload_tool_readme_en_questions.csv", SET8 / "upload_tool_readme_en.md", "independent"),
}
ALL_KEYS = {"constitution2", "handout", "faq", "constitution3", "clubrules", "modelcard", "constitution4",
            "labnotice", "cheatsheet", "constitution5", "dormfaq", "readme", "constitution6", "policy", "workshop",
            "constitution7", "labguide", "releasenotes", "constitution8", "libraryfaq", "toolreadme"}


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text).lower()


def keys_of(key: str) -> list[str]:
    return [k for k in key.split("|") if k.strip()]


def has_key(text: str, key: str, every: bool = False) -> bool:
    return (all if every else any)(squash(k) in squash(text) for k in keys_of(key))


def is_direct(text: str) -> bool:
    """At most two sentences and 200 characters once citation marks are removed: not a pasted chunk."""
    body = re.sub(r"\[\d+\]", "", text).strip()
    return 0 < len(body) <= 200 and rag.sentence_count(body) <= 2


def ask(q, store, collection, e5, provider, mode, min_support, ranker):
    """(result, seconds) for one question, as the page answers it."""
    start = time.perf_counter()
    retrieval = rag.chain(store, collection, e5, k=3, min_support=min_support, ranker=ranker).invoke(q)
    if mode == "extract" or retrieval.empty:
        result = rag.extractive(retrieval)
    else:
        stream = rag.answer(provider, retrieval, temperature=0, seed=0)
        for _ in stream:
            pass
        result = stream.result
    return retrieval, result, time.perf_counter() - start


def run_set(name, label, questions, store, collection, e5, provider, mode, min_support, ranker, show_misses):
    n_ans = n_un = answered = right = refused_un = closest_right = 0
    secs, misses = [], []
    for q, key in zip(questions.question, questions.key):
        retrieval, result, sec = ask(q, store, collection, e5, provider, mode, min_support, ranker)
        secs.append(sec)
        if not keys_of(key):
            n_un += 1
            refused_un += result.dont_know
            if not result.dont_know:
                misses.append(f"    should not know: {q} -> {result.text[:80]!r}")
            continue
        n_ans += 1
        answered += not result.dont_know
        ok = not result.dont_know and is_direct(result.text) and has_key(result.text, key, name in ALL_KEYS)
        right += ok
        closest_right += result.origin == "closest" and has_key(result.text, key, name in ALL_KEYS)
        if not ok:
            misses.append(f"    missed [{key}]: {q} -> {result.text[:80]!r}")
    print(f"| {name} | {label} | {mode} | {n_ans}+{n_un} | {answered / max(n_ans, 1):.2f} | "
          f"{right / max(n_ans, 1):.2f} ({right}/{n_ans}) | {1 - answered / max(n_ans, 1):.2f} | "
          + (f"{refused_un / n_un:.2f} ({refused_un}/{n_un})" if n_un else "–")
          + f" | {closest_right} | {statistics.median(secs):.3f} |", flush=True)
    if show_misses and label == "dev":  # an independent set's misses are never printed
        print("\n".join(misses))


def points(questions, store, collection, e5, ranker="default", every=False):
    """(confidence, right if answered, answerable) per question: the best unit's confidence with no rule at all
    (every: a right answer holds every key phrase, as for the ALL_KEYS sets)."""
    out = []
    for q, key in zip(questions.question, questions.key):
        retrieval = rag.chain(store, collection, e5, k=3, min_support=-1, ranker=ranker).invoke(q)
        best = retrieval.support[0] if retrieval.support else None
        text = rag.extractive(retrieval).text if best else ""
        count = rag.asked_count(q) if ranker is None else None  # the learned ranker weighs the count itself
        conf = retrieval.confidence if best and (count is None or count.search(best.sentence)) else 0.0
        out.append((round(conf, 4), bool(best) and is_direct(text) and has_key(text, key, every), bool(keys_of(key))))
    return out


def sweep(pts):
    ans = [p for p in pts if p[2]]
    un = [p for p in pts if not p[2]]
    for th in sorted({round(p[0], 2) for p in pts}):
        kept = [p for p in ans if p[0] >= th]
        refused = sum(p[0] < th for p in un) / max(len(un), 1)
        print(f"  min_support {th:.3f}: false refusal {1 - len(kept) / len(ans):.2f}, refusal on unanswerable "
              f"{refused:.2f}, key accuracy {sum(p[1] for p in kept) / len(ans):.2f}")


def index_builder(reg=None):
    """(store, e5, collection(doc) -> name): each document indexed once, as the RAG page does by default."""
    reg = reg or Registry(Settings.load().cache_dir)
    e5 = make_embedder("e5", reg)
    store = VDB.VectorStore(Path(tempfile.mkdtemp()))
    built: dict = {}

    def collection(doc) -> str:
        if doc not in built:
            name = f"c{len(built)}__e5"
            docs = D.constitution_only(reg) if doc == LAW else D.load_upload(doc.name, doc.read_bytes())
            store.build(name, D.split(docs, 400, 50), e5)  # the RAG page's default settings
            built[doc] = name
        return built[doc]

    return store, e5, collection


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", default="extract", choices=["llm", "extract", "both"])
    ap.add_argument("--sets", default=",".join(SETS))
    ap.add_argument("--every", type=int, default=1, help="keep every Nth question (the LLM mode is slow)")
    ap.add_argument("--engine", default="ctranslate2", choices=["ctranslate2", "torch"],
                    help="the LLM mode's engine: int8 as on the page, or torch fp32 (issue 33's quality check)")
    ap.add_argument("--min-support", type=float, default=None, help="default: the rule's frozen threshold")
    ap.add_argument("--rule", default="learned", choices=["hand", "learned"],
                    help="learned (the page's default): the ranker in data/rag_ranker.json; hand: e5 cosine + coverage")
    ap.add_argument("--ranker", type=Path, default=None,
                    help="with --rule learned: another fitted ranker file (scripts/train_rag_ranker.py --candidates)")
    ap.add_argument("--sweep", action="store_true", help="the rule sweep over the dev sets")
    ap.add_argument("--curve", type=Path, help="write the dev sets' risk-coverage points here (JSON)")
    ap.add_argument("--show-misses", action="store_true", help="dev sets only")
    args = ap.parse_args()
    s = Settings.load()
    reg = Registry(s.cache_dir)
    store, e5, collection = index_builder(reg)

    names = [n for n in args.sets.split(",") if n]
    model = rag_rank.default_ranker(args.ranker) if args.rule == "learned" else None
    ranker = model
    min_support = args.min_support if args.min_support is not None else (model.threshold if model else rag.MIN_SUPPORT)
    floor = model.floor if model else rag.CLOSEST_FLOOR
    if args.sweep or args.curve:
        pts = {n: points(pd.read_csv(SETS[n][0], keep_default_na=False, dtype=str), store, collection(SETS[n][1]), e5,
                         ranker, n in ALL_KEYS)
               for n in names if SETS[n][2] == "dev" and SETS[n][0].exists()}
        if args.sweep:
            print("rule sweep over the dev sets " + ", ".join(pts))
            sweep([p for v in pts.values() for p in v])
        if args.curve:
            args.curve.write_text(json.dumps({"rule": args.rule, "min_support": min_support, "floor": floor,
                                              "sets": pts}, ensure_ascii=False))
            print(f"wrote {args.curve}")
        return
    provider = None
    modes = ["extract", "llm"] if args.mode == "both" else [args.mode]
    if "llm" in modes:
        from core.llm.ct2 import load_provider

        provider = load_provider("qwen2.5-0.5b", reg, s.cache_dir, engine=args.engine)
        print(f"model qwen2.5-0.5b on {args.engine} ({provider.id})")
    print(f"rule {args.rule}" + (f" ({args.ranker})" if args.ranker else "")
          + f", min_support {min_support}, closest floor {floor}, every {args.every}")
    print("| set | label | mode | answerable+unanswerable | answered | key accuracy | false refusal | "
          "refusal on unanswerable | closest held key | median s |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name in names:
        path, doc, label = SETS[name]
        if not path.exists() or (doc != LAW and not doc.exists()):
            print(f"| {name} | {label} | (no {path.relative_to(ROOT)} yet) |")
            continue
        questions = pd.read_csv(path, keep_default_na=False, dtype=str).iloc[::args.every]
        col = collection(doc)
        for mode in modes:
            run_set(name, label, questions, store, col, e5, provider, mode, min_support, ranker, args.show_misses)


if __name__ == "__main__":
    main()
