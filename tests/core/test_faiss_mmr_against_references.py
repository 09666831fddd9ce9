"""FAISS and MMR checked against independent references: numpy brute force, and a crafted near-duplicate case."""
import numpy as np
import pytest

from core import documents as D
from core import rag
from core import vectordb as VDB
from core.assets import Registry
from core.config import Settings
from core.embeddings import make_embedder


def _spy_on_faiss(monkeypatch) -> dict:
    """Record the ids each index type returns, so they can be judged against numpy rather than against Flat."""
    import faiss

    seen = {}
    for name in ("IndexFlatIP", "IndexHNSWFlat", "IndexIVFFlat"):
        base = getattr(faiss, name)

        def search(self, q, k, _name=name, _base=base, **kw):
            out = _base.search(self, q, k, **kw)
            seen.setdefault(_name, out[1].copy())  # the first IndexFlatIP built is the exact one; IVF's quantizer is
            return out                             # never searched from Python

        monkeypatch.setattr(faiss, name, type(name, (base,), {"search": search}))
    return seen


def _recall(ids, truth, k):
    return float(np.mean([len(set(a) & set(b)) / k for a, b in zip(ids, truth)]))


@pytest.fixture
def vectors():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(500, 32)).astype("float32")
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    q = x[:40] + rng.normal(scale=0.05, size=(40, 32)).astype("float32")
    truth = np.argsort(-(q @ x.T), axis=1)[:, :5]  # brute force, no FAISS involved
    return x, q, truth


def test_flat_equals_numpy_brute_force_and_reported_recalls_are_true(monkeypatch, vectors):
    x, q, truth = vectors
    seen = _spy_on_faiss(monkeypatch)
    rows = VDB.faiss_compare(x, q, k=5, hnsw_m=4, ef_search=8, nlist=32, nprobe=8)  # neither approximate one exact
    assert [r["index"].split()[0] for r in rows] == ["Flat", "HNSW", "IVF"]
    assert (seen["IndexFlatIP"] == truth).all()  # same neighbours in the same order
    assert rows[0]["recall@5"] == 1.0
    for row, name in zip(rows[1:], ("IndexHNSWFlat", "IndexIVFFlat")):
        assert row["recall@5"] == pytest.approx(_recall(seen[name], truth, 5), abs=1e-3)
    assert 0.8 < rows[1]["recall@5"] < 1 and rows[2]["recall@5"] < 1


def test_ivf_recall_grows_with_nprobe_and_is_exact_when_it_probes_every_list(vectors):
    x, q, _ = vectors
    ivf = {p: VDB.faiss_compare(x, q, k=5, nlist=32, nprobe=p)[2]["recall@5"] for p in (1, 32)}
    assert ivf[32] == 1.0  # every list visited: IVF degenerates to exact search
    assert ivf[1] < 0.9  # one list of 32 misses neighbours on random data: the figure is not a constant


LORA = "LoRA fine-tuning freezes the model and trains small low-rank adapter matrices added to its weights."


def test_mmr_skips_near_duplicates_that_plain_top_k_returns(tmp_path):
    e5 = make_embedder("e5", Registry(Settings.load().cache_dir))
    texts = [LORA, LORA.replace("small", "tiny"), LORA.replace("its weights", "the weights"),
             "Prompt tuning learns a few soft token embeddings in front of the input while the model stays frozen.",
             "Chroma keeps vectors on disk; an HNSW graph finds nearest neighbours quickly.",
             "Fashion-MNIST has ten classes of clothing images, 28 by 28 pixels."]
    store = VDB.VectorStore(tmp_path)
    store.build("dups__e5", [D.Chunk(t, "notes.txt", i) for i, t in enumerate(texts)], e5)
    question = "How does LoRA fine-tuning work?"
    plain = [h.chunk for h in rag.retrieve(store, "dups__e5", e5, question, k=3)]
    mmr = [h.chunk for h in rag.retrieve(store, "dups__e5", e5, question, k=3, mmr=True)]
    assert set(plain) == {0, 1, 2}  # the crafted case: plain top-k is all near-duplicates
    assert mmr[0] in {0, 1, 2} and len(set(mmr) & {0, 1, 2}) == 1  # the best one kept, its copies skipped


def test_near_queries_are_stored_vectors_nudged_and_repeatable():
    from core import vectordb

    x = np.random.default_rng(1).normal(size=(80, 8)).astype(np.float32)
    q = vectordb.near_queries(x, n=50, noise=0.05, seed=0)
    assert q.shape == (50, 8) and q.dtype == np.float32 and np.array_equal(q, vectordb.near_queries(x))
    nearest = np.linalg.norm(q[:, None] - x[None], axis=2).min(1)
    assert 0 < nearest.min() and nearest.max() < 0.05 * 8  # near a stored vector, never one of them exactly
    assert len(vectordb.near_queries(x[:5])) == 5  # a small store: every vector once
