"""Search benchmark (prints its figures; not a test).

1. Indexing speed: >= 1,000 chunks of the Korean law corpus into Chroma with the default embedder (chunks/s).
2. Query latency after warm-up: p50 / p95 over the question set, for Chroma's plain vector query and for the
   RAG retriever (core.rag.retrieve: e5 + sentence TF-IDF hybrid) on the Korean law corpus (goal p50 <= 50 ms).
3. Retrieval quality: recall@1 and recall@5 on data/questions_ko.csv, on the answerable questions of
   data/rag_questions_ko.csv and data/eval/rag_dev_ko.csv (each names the constitution article that answers it; a
   hit is a retrieved chunk that starts with or contains that article's heading) and of the held-out
   data/eval/rag_heldout_ko.csv (no article column: a hit is a retrieved chunk holding the key answer), plain
   vector search vs the hybrid retriever in the same run (goal hybrid recall@1 >= 0.8, recall@5 >= 0.97); every
   offline embedder's plain recall@5 is printed too.
"""
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
from core.embeddings import OFFLINE, make_embedder

REG = Registry(Settings.load().cache_dir)
QUESTIONS = pd.read_csv(ROOT / "data" / "questions_ko.csv")
RAG_PATHS = {"rag_questions_ko": "data/rag_questions_ko.csv", "rag_dev_ko": "data/eval/rag_dev_ko.csv",
             "rag_heldout_ko": "data/eval/rag_heldout_ko.csv"}
RAG_SETS = {name: pd.read_csv(ROOT / path, keep_default_na=False, dtype=str)
            for name, path in RAG_PATHS.items() if (ROOT / path).exists()}
RAG_SETS = {name: qs[qs.key != ""] for name, qs in RAG_SETS.items()}


def has_article(text: str, n: int) -> bool:
    return re.search(rf"(^|\n)\s*제{n}조(?!\d)", text) is not None


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def recall_at(search, questions, k: int) -> float:
    """Share of questions whose article (or, without an article column, key answer) is among the first k chunks
    that search(question, k) returns."""
    found = 0
    for row in questions.itertuples():
        hits = search(row.question, 5)[:k]
        if "article" in questions:
            found += any(has_article(h.text, int(row.article)) for h in hits)
        else:
            found += any(squash(row.key) in squash(h.text) for h in hits)
    return found / len(questions)


def latency(search, questions) -> tuple[float, float]:
    for q in questions[:5]:
        search(q, 5)  # warm-up
    lat = []
    for q in questions:
        t0 = time.perf_counter()
        search(q, 5)
        lat.append((time.perf_counter() - t0) * 1000)
    lat.sort()
    return statistics.median(lat), lat[int(0.95 * (len(lat) - 1))]


def main():
    tmp = Path(tempfile.mkdtemp())
    store = VDB.VectorStore(tmp)
    e5 = make_embedder("e5", REG)
    chunks = D.split(D.korean_law(REG), 80, 10)
    start = time.perf_counter()
    store.build("bench__e5", chunks, e5)
    secs = time.perf_counter() - start
    print(f"indexing: {len(chunks)} chunks in {secs:.1f} s = {len(chunks) / secs:.1f} chunks/s (e5, Chroma HNSW)")
    korean_law = D.split(D.korean_law(REG), 400, 50)  # the pages' default chunking
    store.build("kl__e5", korean_law, e5)
    plain = lambda q, k: store.query("kl__e5", e5, q, k)  # noqa: E731
    hybrid = lambda q, k: rag.retrieve(store, "kl__e5", e5, q, k)  # noqa: E731
    print(f"korean_law, {len(korean_law)} chunks of <= 400 chars:")
    for label, search in (("plain Chroma query ", plain), ("RAG hybrid retrieve", hybrid)):
        p50, p95 = latency(search, list(QUESTIONS.question))
        print(f"  {label}: p50 {p50:.1f} ms, p95 {p95:.1f} ms over {len(QUESTIONS)} questions (goal p50 <= 50 ms)")
    for qname, qs in RAG_SETS.items():
        r1, r5 = recall_at(hybrid, qs, 1), recall_at(hybrid, qs, 5)
        print(f"  hybrid {qname:17} recall@1 = {r1:.3f}, recall@5 = {r5:.3f}   (goal >= 0.8 / >= 0.97)")
    law = D.split(D.constitution_only(REG), 400, 50)
    print(f"constitution, {len(law)} article-aware chunks of <= 400 chars:")
    for name in OFFLINE:
        emb = make_embedder(name, REG)
        store.build(f"law__{name}", law, emb)
        plain = lambda q, k, n=name, m=emb: store.query(f"law__{n}", m, q, k)  # noqa: E731
        print(f"  {name:7} plain recall@5 = {recall_at(plain, QUESTIONS, 5):.3f}")
        if name == "e5":
            hybrid = lambda q, k, m=emb: rag.retrieve(store, "law__e5", m, q, k)  # noqa: E731
            for qname, qs in (("questions_ko", QUESTIONS), *RAG_SETS.items()):
                for label, search in (("plain ", plain), ("hybrid", hybrid)):
                    print(f"  e5 {label} {qname:17} recall@1 = {recall_at(search, qs, 1):.3f}, "
                          f"recall@5 = {recall_at(search, qs, 5):.3f}   (goal hybrid >= 0.8 / >= 0.97)")


if __name__ == "__main__":
    main()
