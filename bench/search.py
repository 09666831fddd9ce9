"""Search benchmark (prints its figures; not a test).

1. Indexing speed: >= 1,000 chunks of the Korean law corpus into Chroma with the default embedder (chunks/s).
2. Query latency after warm-up: p50 / p95 over the question set (goal p50 <= 50 ms).
3. Retrieval quality: recall@5 on data/questions_ko.csv (each question names the constitution article that
   answers it; a hit is a retrieved chunk that contains that article's heading). Goal >= 0.7 with the default
   embedder; every offline embedder's figure is printed.
"""
import re
import statistics
import tempfile
import time
from pathlib import Path

import pandas as pd
from _common import ROOT

from core import documents as D
from core import vectordb as VDB
from core.assets import Registry
from core.config import Settings
from core.embeddings import make_embedder

REG = Registry(Settings.load().cache_dir)
QUESTIONS = pd.read_csv(ROOT / "data" / "questions_ko.csv")


def has_article(text: str, n: int) -> bool:
    return re.search(rf"(^|\n)\s*제{n}조(?!\d)", text) is not None


def recall_at_5(store, name, emb) -> float:
    found = 0
    for q, art in zip(QUESTIONS.question, QUESTIONS.article):
        found += any(has_article(h.text, int(art)) for h in store.query(name, emb, q, 5))
    return found / len(QUESTIONS)


def main():
    tmp = Path(tempfile.mkdtemp())
    store = VDB.VectorStore(tmp)
    e5 = make_embedder("e5", REG)
    chunks = D.split(D.korean_law(REG), 80, 10)
    start = time.perf_counter()
    store.build("bench__e5", chunks, e5)
    secs = time.perf_counter() - start
    print(f"indexing: {len(chunks)} chunks in {secs:.1f} s = {len(chunks) / secs:.1f} chunks/s (e5, Chroma HNSW)")
    for q in QUESTIONS.question[:5]:
        store.query("bench__e5", e5, q, 5)  # warm-up
    lat = []
    for q in QUESTIONS.question:
        t0 = time.perf_counter()
        store.query("bench__e5", e5, q, 5)
        lat.append((time.perf_counter() - t0) * 1000)
    lat.sort()
    print(f"query latency over {len(lat)} questions: p50 {statistics.median(lat):.1f} ms, "
          f"p95 {lat[int(0.95 * (len(lat) - 1))]:.1f} ms   (goal p50 <= 50 ms)")
    law = D.split(D.constitution_only(REG), 400, 50)
    print(f"recall@5 on {len(QUESTIONS)} Korean questions (constitution, {len(law)} chunks of 400 chars):")
    for name in ("e5", "minilm", "use"):
        emb = make_embedder(name, REG)
        store.build(f"law__{name}", law, emb)
        r = recall_at_5(store, f"law__{name}", emb)
        print(f"  {name:7} recall@5 = {r:.3f}" + ("   (default; goal >= 0.7)" if name == "e5" else ""))


if __name__ == "__main__":
    main()
