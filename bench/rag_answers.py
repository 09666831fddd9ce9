"""RAG answer benchmark (prints its figures; not a test).

For the default chain (e5 → hybrid retrieval, k=3 → the supporting sentence → Qwen2.5-0.5B local, greedy) on
  - data/rag_questions_ko.csv: the project's own plain-language questions on the shipped constitution,
  - data/eval/rag_heldout_ko.csv: questions written separately by someone who never saw the method (if present),
  - data/eval/rag_upload_ko.txt + rag_upload_questions_ko.csv: a "user upload" indexed through load_upload,
it prints key-answer accuracy (a direct answer: at most two sentences and 200 characters without citation marks,
containing the key), cited-source accuracy (of the correct answers, the share whose cited source holds the key),
"I don't know" accuracy on unanswerable questions (empty key), how often the faithfulness flag held, the median
seconds per answer and the median time to first token.

--mode extract answers with the best supporting sentence itself (no LLM): the extractive baseline in the same run.
--sweep prints the don't-know sweep (e5 cosine + coverage) used to calibrate core.rag.MIN_SUPPORT (own and dev only).
"""
import argparse
import re
import statistics
import tempfile
import time
from pathlib import Path

import pandas as pd
from _common import ROOT

from core import documents as D
from core import rag
from core import vectordb as VDB
from core.assets import Registry
from core.config import Settings
from core.embeddings import make_embedder

SETS = {"own": ROOT / "data" / "rag_questions_ko.csv", "dev": ROOT / "data" / "eval" / "rag_dev_ko.csv",
        "heldout": ROOT / "data" / "eval" / "rag_heldout_ko.csv",
        "upload": ROOT / "data" / "eval" / "rag_upload_questions_ko.csv"}
UPLOAD = ROOT / "data" / "eval" / "rag_upload_ko.txt"


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def is_direct(text: str) -> bool:
    """At most two sentences and 200 characters once citation marks are removed: not a pasted chunk."""
    body = re.sub(r"\[\d+\]", "", text).strip()
    return 0 < len(body) <= 200 and len([s for s in re.split(r"(?<=[.!?])\s+", body) if s.strip()]) <= 2


def run_set(name, questions, store, collection, e5, provider, mode, min_support):
    right = cited_right = idk_right = answerable = unanswerable = supported = 0
    secs, ttft, misses = [], [], []
    for q, key in zip(questions.question, questions.key):
        start = time.perf_counter()
        retrieval = rag.chain(store, collection, e5, k=3, min_support=min_support).invoke(q)
        first = None
        if mode == "extract":
            result = rag.extractive(retrieval)
            first = time.perf_counter()
        else:
            stream = rag.answer(provider, retrieval, temperature=0, seed=0)
            for _ in stream:
                first = first or time.perf_counter()
            result = stream.result
        end = time.perf_counter()
        secs.append(end - start)
        ttft.append((first or end) - start)
        if not key:
            unanswerable += 1
            idk_right += result.dont_know
            if not result.dont_know:
                misses.append(f"    should not know: {q} -> {result.text[:80]!r}")
            continue
        answerable += 1
        ok = not result.dont_know and is_direct(result.text) and squash(key) in squash(result.text)
        right += ok
        supported += result.supported
        if ok:
            cited_right += any(squash(key) in squash(retrieval.hits[i - 1].text) for i in result.citations)
        else:
            misses.append(f"    missed [{key}]: {q} -> {result.text[:80]!r}")
    print(f"  {name:8} key-answer acc {right / max(answerable, 1):.3f} ({right}/{answerable})   "
          f"cited-source acc {cited_right / max(right, 1):.3f}   don't-know acc "
          f"{idk_right / max(unanswerable, 1):.3f} ({idk_right}/{unanswerable})   supported {supported}/{answerable}   "
          f"median {statistics.median(secs):.2f} s/answer, first token {statistics.median(ttft):.2f} s")
    return misses


def sweep(questions, store, collection, e5):
    """Best supporting sentence's e5 cosine + coverage of answerable vs unanswerable questions, to pick MIN_SUPPORT."""
    scores = {True: [], False: []}
    for q, key in zip(questions.question, questions.key):
        sup = rag.chain(store, collection, e5, k=3, min_support=-1).invoke(q).support
        best = sup[0].relevance + rag.COVERAGE_WEIGHT * rag.coverage(q, sup[0].sentence) if sup else 0
        scores[bool(key)].append(best)
    for th in (0.86, 0.88, 0.89, 0.90, 0.91, 0.92, 0.94):
        keep = sum(s >= th for s in scores[True]) / len(scores[True])
        idk = sum(s < th for s in scores[False]) / max(len(scores[False]), 1)
        print(f"  min_support {th:.2f}: answerable kept {keep:.2f}, unanswerable refused {idk:.2f}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", default="llm", choices=["llm", "extract"])
    ap.add_argument("--sets", default="own,dev,heldout,upload")
    ap.add_argument("--limit", type=int, default=0, help="first N questions of each set (0 = all)")
    ap.add_argument("--min-support", type=float, default=rag.MIN_SUPPORT)
    ap.add_argument("--sweep", action="store_true")
    ap.add_argument("--show-misses", action="store_true")
    args = ap.parse_args()
    s = Settings.load()
    reg = Registry(s.cache_dir)
    e5 = make_embedder("e5", reg)
    store = VDB.VectorStore(Path(tempfile.mkdtemp()))
    store.build("law__e5", D.split(D.constitution_only(reg), 400, 50), e5)  # the RAG page's default settings
    upload_docs = D.load_upload(UPLOAD.name, UPLOAD.read_bytes())  # the upload path: bytes → documents → chunks
    store.build("upload__e5", D.split(upload_docs, 400, 50), e5)
    provider = None
    if args.mode == "llm":
        from core.llm.local import LocalProvider, load_local

        lm, tok = load_local("qwen2.5-0.5b", reg, s.cache_dir)
        provider = LocalProvider("qwen2.5-0.5b", lm, tok)
        print(f"model qwen2.5-0.5b in {lm.dtype}")
    print(f"mode {args.mode}, min_support {args.min_support}")
    for name in args.sets.split(","):
        if not SETS[name].exists():
            print(f"  {name:8} (no {SETS[name].relative_to(ROOT)} yet)")
            continue
        questions = pd.read_csv(SETS[name], keep_default_na=False, dtype=str)
        if args.limit:
            questions = pd.concat([questions[questions.key != ""].head(args.limit),
                                   questions[questions.key == ""].head(max(args.limit // 4, 1))])
        collection = "upload__e5" if name == "upload" else "law__e5"
        if args.sweep and name in ("own", "dev"):
            sweep(questions, store, collection, e5)
        misses = run_set(name, questions, store, collection, e5, provider, args.mode, args.min_support)
        if args.show_misses:
            print("\n".join(misses))


if __name__ == "__main__":
    main()
