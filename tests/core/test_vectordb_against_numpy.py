"""The Chroma store and index names checked against numpy: every metric's distance and score, hit metadata,
batching, refusals with their parameters, and the names that keep one session's uploads from another's.

The embedder here is a fixed table of vectors, so every expected distance is computed independently with numpy;
the store's behaviour does not depend on which model made the vectors.

Surviving mutants judged equivalent (bench/mutation.py vectordb):
- `namespace or "XXXX"`: None is refused by the pattern either way.
- `to_bytes(8, )`: "big" is the default byte order; `encode("UTF-8")`: the same codec as "utf-8".
- `run(..., train=True)` as the default: training a Flat or HNSW index is a no-op.
- `col.query(...)` without `include=`: Chroma's default includes documents, metadatas and distances.
- `get_collection(..., embedding_function=None)`: queries always pass our own query vectors, so Chroma never
  calls the function on a collection it has opened.
- `meta.get("page", None)` for -1: a chunk without a page comes back as None either way.
"""
import hashlib

import numpy as np
import pytest

from core import documents as D
from core import vectordb as VDB
from core.errors import UserError

RNG = np.random.default_rng(7)
WORDS = ["apple", "banana", "cherry", "grape", "lemon", "mango", "peach"]
TABLE = {w: v for w, v in zip(WORDS, RNG.normal(size=(len(WORDS), 6)))}


class TableEmbedder:
    """Vectors from a fixed table (not normalised, so cosine, l2 and ip all differ)."""

    def __init__(self, name="table", dim=6):
        self.name, self.dim = name, dim

    def embed_documents(self, texts):
        return np.stack([TABLE[t.split()[0]] for t in texts])

    def embed_query(self, text):
        return TABLE[text.split()[0]]


def _chunks(words=WORDS, page=None):
    return [D.Chunk(w, f"{w[0]}.txt", i, page if i % 2 else None) for i, w in enumerate(words)]


@pytest.fixture
def store(tmp_path):
    return VDB.VectorStore(tmp_path / "chroma")


def _expected(metric: str, query: str) -> list[tuple[str, float]]:
    x, q = np.stack([TABLE[w] for w in WORDS]), TABLE[query]
    if metric == "cosine":
        d = 1 - x @ q / (np.linalg.norm(x, axis=1) * np.linalg.norm(q))
    elif metric == "ip":
        d = 1 - x @ q
    else:
        d = ((x - q) ** 2).sum(1)  # Chroma's l2 is the squared distance
    order = np.argsort(d)
    return [(WORDS[i], float(d[i])) for i in order]


@pytest.mark.parametrize("metric,score", [("cosine", lambda d: 1 - d), ("ip", lambda d: 1 - d),
                                          ("l2", lambda d: 1 / (1 + d))])
def test_every_metric_ranks_and_scores_as_numpy_does(store, metric, score):
    emb = TableEmbedder()
    store.build("fruit", _chunks(page=3), emb, metric=metric, m=8, ef_construction=50, ef_search=50)
    hits = store.query("fruit", emb, "grape", k=4)
    want = _expected(metric, "grape")[:4]
    assert [h.text for h in hits] == [w for w, _ in want]
    for hit, (word, dist) in zip(hits, want):
        i = WORDS.index(word)
        assert hit.distance == pytest.approx(dist, rel=1e-4, abs=1e-5)
        assert hit.score == pytest.approx(score(dist), rel=1e-4, abs=1e-5)
        assert (hit.source, hit.chunk, hit.page) == (f"{word[0]}.txt", i, 3 if i % 2 else None)


def test_default_k_and_collections_built_elsewhere(store):
    from core.embeddings import ChromaEmbeddingFunction

    emb = TableEmbedder()
    store.build("fruit", _chunks(), emb)
    assert len(store.query("fruit", emb, "apple")) == 5
    # a collection made without our metric or page metadata: cosine scoring is assumed and the page is unknown
    col = store.client.create_collection("plain", metadata={"embedder": "table", "dim": 6},
                                         embedding_function=ChromaEmbeddingFunction(emb))
    col.add(ids=["a", "b"], documents=["apple", "banana"],
            embeddings=[TABLE["apple"].tolist(), TABLE["banana"].tolist()],
            metadatas=[{"source": "s.txt", "chunk": 0}, {"source": "s.txt", "chunk": 1}])
    hits = store.query("plain", emb, "apple", k=2)
    assert [(h.text, h.page) for h in hits] == [("apple", None), ("banana", None)]
    assert all(h.score == pytest.approx(1 - h.distance) for h in hits)


def test_k_larger_than_the_index_returns_every_chunk(store):
    emb = TableEmbedder()
    store.build("few", _chunks(WORDS[:3]), emb)
    assert len(store.query("few", emb, "apple", k=10)) == 3


def test_build_reports_progress_per_batch_and_stores_its_settings(store):
    emb, seen = TableEmbedder(), []
    col = store.build("fruit", _chunks(), emb, metric="l2", m=12, ef_construction=60, ef_search=70, batch=3,
                      progress=lambda done, total: seen.append((done, total)), corpus_info={"corpus": "demo"})
    assert seen == [(3, 7), (6, 7), (7, 7)]
    assert col.count() == 7
    assert store.get("fruit", emb).metadata == {"embedder": "table", "dim": 6, "metric": "l2", "chunks": 7,
                                                "corpus": "demo"}
    hnsw = store.get("fruit", emb).configuration["hnsw"]
    assert (hnsw["space"], hnsw["max_neighbors"], hnsw["ef_construction"], hnsw["ef_search"]) == ("l2", 12, 60, 70)
    vecs, docs, metas = store.vectors("fruit", emb)
    assert docs == WORDS and np.allclose(vecs, np.stack([TABLE[w] for w in WORDS]), atol=1e-6)
    assert metas[1] == {"source": "b.txt", "chunk": 1, "page": -1}
    assert len(store.vectors("fruit", emb, limit=2)[1]) == 2


class IndexEmbedder(TableEmbedder):
    """Texts "w<i>": vector i of a seeded table, for indexes larger than the fruit list."""

    VECS = np.random.default_rng(3).normal(size=(2001, 6))

    def embed_documents(self, texts):
        return self.VECS[[int(t[1:]) for t in texts]]


def test_the_map_shows_at_most_2000_vectors_by_default(store):
    emb = IndexEmbedder()
    store.build("many", [D.Chunk(f"w{i}", "m.txt", i) for i in range(2001)], emb, batch=1000)
    vecs, docs, _ = store.vectors("many", emb)
    assert len(docs) == 2000 and vecs.shape == (2000, 6)


def test_rebuild_replaces_and_delete_reports_what_it_did(store):
    emb = TableEmbedder()
    store.build("bbb", _chunks(), emb)
    store.build("aaa", _chunks(WORDS[:2]), emb)
    store.build("bbb", _chunks(WORDS[:4]), emb)  # the same name again: a fresh index, not an appended one
    assert store.collections() == ["aaa", "bbb"]
    assert store.get("bbb", emb).count() == 4
    assert store.delete("aaa") is True and store.delete("aaa") is False
    assert store.collections() == ["bbb"]


def _error(fn, *args, **kw) -> UserError:
    with pytest.raises(UserError) as info:
        fn(*args, **kw)
    return info.value


def _refusal(fn, *args, **kw) -> tuple[str, dict, str]:
    err = _error(fn, *args, **kw)
    return err.key, err.params, str(err)


def test_refusals_and_their_parameters(store):
    from core.embeddings import ChromaEmbeddingFunction

    emb = TableEmbedder()
    # (key, params, English message for the log) of each refusal
    assert _refusal(store.build, "x", _chunks(), emb, metric="dot") == ("vdb.bad_metric", {}, "unknown metric dot")
    assert _refusal(store.build, "x", [], emb) == ("vdb.no_chunks", {}, "nothing to index")
    assert "x" not in store.collections()
    store.build("fruit", _chunks(), emb)
    assert _refusal(store.query, "fruit", emb, " \n") == ("vdb.empty_query", {}, "empty question")
    assert _refusal(store.query, "nothing", emb, "apple") == ("vdb.no_index", {"name": "nothing"}, "no index nothing")
    assert _refusal(store.query, "fruit", TableEmbedder("other"), "apple") == (
        "vdb.other_embedder", {"built": "table", "used": "other"}, "index built with another embedder")
    assert _refusal(store.get, "fruit", TableEmbedder(dim=5))[0] == "vdb.other_embedder"
    store.client.create_collection("empty", metadata={"embedder": "table", "dim": 6},
                                   embedding_function=ChromaEmbeddingFunction(emb))
    assert _refusal(store.query, "empty", emb, "apple") == ("vdb.empty_index", {"name": "empty"},
                                                            "the index is empty")
    store.client.create_collection("bare", embedding_function=ChromaEmbeddingFunction(emb))  # no embedder recorded
    assert _refusal(store.get, "bare", emb)[:2] == ("vdb.other_embedder", {"built": "?", "used": "table"})
    store.client.create_collection("nodim", metadata={"embedder": "table"},
                                   embedding_function=ChromaEmbeddingFunction(emb))
    assert store.get("nodim", emb).name == "nodim"  # no dimension recorded: the embedder's own is assumed


# ---- names ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("corpus,embedder,name", [
    ("notes", "e5", "notes__e5"),
    ("my notes/v2", "text-embedding-3", "my-notes-v2__text-embedding-3"),
    ("_법률_", "e5", "e5"),                          # non-ASCII becomes '-', then the edges are trimmed
    ("한글", "임베딩", "corpus"),
    ("x" * 70, "e5", "x" * 60),
    ("XRay Notes", "E5X", "XRay-Notes__E5X"),        # upper case kept; only '-' and '_' trimmed at the edges
])
def test_collection_names(corpus, embedder, name):
    assert VDB.collection_name(corpus, embedder) == name


def test_an_index_name_changes_with_what_it_holds():
    """The pages name an index by its chunks: the same chunks, the same index (reused); other chunk settings or a
    splitter that writes one chunk differently (an app update), another index, never the stale one."""
    from core.documents import Chunk, Document, split

    docs = [Document("첫 문장입니다. 둘째 문장은 조금 더 깁니다. " * 40, "a.txt")]
    chunks = split(docs, 400, 50)
    assert VDB.chunks_fingerprint(chunks) == VDB.chunks_fingerprint(split(docs, 400, 50))
    assert VDB.chunks_fingerprint(chunks) != VDB.chunks_fingerprint(split(docs, 300, 50))
    edited = [Chunk(chunks[0].text + " ", chunks[0].source, chunks[0].index)] + chunks[1:]
    assert VDB.chunks_fingerprint(edited) != VDB.chunks_fingerprint(chunks)
    moved = [Chunk(c.text, "b.txt", c.index) for c in chunks]
    assert VDB.chunks_fingerprint(moved) != VDB.chunks_fingerprint(chunks)


NS = "0123456789abcdef0123"


def _upload(docs=None, ns=NS, settings="400/50", embedder="e5"):
    docs = docs if docs is not None else [D.Document("hello", "a.txt", 1), D.Document("world", "b.txt")]
    return VDB.upload_collection_name(ns, docs, settings, embedder)


def test_upload_name_format():
    name = _upload()
    prefix, ns, content, tail = name.split("__")[0].split("-")
    assert (prefix, ns, len(content), len(tail)) == ("up", NS[:16], 20, 8)
    assert tail == hashlib.sha256(b"400/50|e5").hexdigest()[:8] and name.endswith("__e5")
    assert _upload(embedder="text-embedding-3-small").endswith("__text-embeddi")
    assert _upload(embedder="../..").endswith("__emb")
    assert _upload(embedder="-a-").endswith("__a")


def test_upload_names_are_stable_across_releases():
    # a persisted upload index is found again by its name: the content hash must not drift between versions
    assert _upload() == "up-0123456789abcdef-637b7741a3a4820286e5-08e4bf9b__e5"
    # file names decoded with surrogateescape (undecodable bytes) still hash; the embedder's case is kept
    odd = [D.Document("caf\udce9", "x\udcff.txt")]
    assert _upload(odd, embedder="XE5-BigX") == "up-0123456789abcdef-1a697ddb15aacd13e80b-6bbca81b__XE5-BigX"


def test_upload_name_follows_content_not_order_or_framing():
    a, b = D.Document("hello", "a.txt", 1), D.Document("world", "b.txt")
    base = _upload([a, b])
    assert _upload([b, a]) == base
    assert _upload([D.Document("hello", "a.txt", 1), D.Document("world", "b.txt", 0)]) != base  # None vs page 0
    assert _upload([D.Document("hello!", "a.txt", 1), b]) != base
    assert _upload([D.Document("hello", "a.txt", 2), b]) != base
    # the same bytes framed differently (source|text boundary moved) are different content
    assert _upload([D.Document("ab", "x")]) != _upload([D.Document("b", "xa")])
    assert _upload(settings="400/0") != base and _upload(embedder="minilm") != base
    # the namespace separates sessions, the settings/embedder tail does not touch the content hash
    assert _upload(ns="f" * 16).split("-")[2] == base.split("-")[2]
    assert _upload(settings="400/0").split("-")[2] == base.split("-")[2]


def test_upload_docs_sort_by_source_then_page():
    p1, p2 = D.Document("one", "a.pdf", 1), D.Document("two", "a.pdf", 2)
    assert _upload([p2, p1]) == _upload([p1, p2])
    none, first = D.Document("x", "c.txt"), D.Document("y", "c.txt", 1)
    assert _upload([first, none]) == _upload([none, first])


@pytest.mark.parametrize("ns", ["abcdef12", "a" * 64])
def test_namespace_lengths_accepted(ns):
    assert _upload(ns=ns).startswith(f"up-{ns[:16]}-")


@pytest.mark.parametrize("ns", ["abcdef1", "a" * 65, "ABCDEF12", "abcdef12\n", "", None, "../../etc"])
def test_bad_namespaces_refused(ns):
    assert _refusal(_upload, ns=ns) == ("vdb.bad_namespace", {}, "invalid session namespace")


def test_visibility():
    mine = _upload()
    assert VDB.visible_to("notes__e5", None) and VDB.visible_to("notes__e5", "ffff0000")
    assert VDB.visible_to(mine, NS)
    assert not VDB.visible_to(mine, None) and not VDB.visible_to(mine, "")
    assert not VDB.visible_to(mine, "ffffffffffffffff")
    assert not VDB.visible_to(mine, NS[:15])  # a prefix of someone's namespace is not theirs
    assert VDB.visible_to(mine, NS[:16] + "zz")  # only the first 16 characters are kept in names


def test_session_namespaces_are_random_hex():
    a, b = VDB.new_session_namespace(), VDB.new_session_namespace()
    assert a != b and len(a) == 16 and int(a, 16) >= 0
    assert _upload(ns=a).startswith(f"up-{a}-")


# ---- a shared Chroma server -----------------------------------------------------------------------------------
@pytest.mark.parametrize("url", ["ftp://host:8000", "http://", "http:///x"])
def test_not_an_http_url(url):
    assert _refusal(VDB.VectorStore, "unused", url=url) == ("vdb.bad_url", {"url": url}, "not an http(s) URL")


@pytest.mark.parametrize("url,host,port,ssl", [
    ("chroma.local:8001", "chroma.local", 8001, False),
    ("http://chroma.local", "chroma.local", 80, False),
    ("https://chroma.local", "chroma.local", 443, True),
    ("https://chroma.local:9443/", "chroma.local", 9443, True),
])
def test_server_address_is_parsed_and_a_dead_server_is_a_clear_error(monkeypatch, url, host, port, ssl):
    import chromadb

    asked = {}

    def refuse(**kw):
        asked.update(kw)
        raise ConnectionError("connection refused " * 30)

    monkeypatch.setattr(chromadb, "HttpClient", refuse)
    err = _error(VDB.VectorStore, "unused", url=url)
    assert (asked["host"], asked["port"], asked["ssl"]) == (host, port, ssl)
    assert asked["settings"].anonymized_telemetry is False
    assert (err.key, err.params) == ("vdb.server_unreachable", {"url": url})
    assert str(err) == str(ConnectionError("connection refused " * 30))[:200]  # the reason, cut for the log


def test_faiss_names_carry_their_settings_and_nlist_is_capped():
    x = RNG.normal(size=(100, 8)).astype("float32")
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    rows = VDB.faiss_compare(x, x[:5], k=3, hnsw_m=4, ef_search=8, nlist=32, nprobe=2)
    assert [r["index"] for r in rows] == ["Flat (exact)", "HNSW (M=4, efSearch=8)", "IVF (nlist=12, nprobe=2)"]
    assert all(set(r) == {"index", "recall@3", "build ms", "query ms"} for r in rows)
    assert VDB.faiss_compare(x[:7], x[:2], k=2, nlist=32)[2]["index"] == "IVF (nlist=1, nprobe=4)"


def test_faiss_defaults_and_float64_input():
    x = RNG.normal(size=(300, 8))  # float64, as numpy makes it: converted, not refused by FAISS
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    rows = VDB.faiss_compare(x, x[:4])
    assert [r["index"] for r in rows] == ["Flat (exact)", "HNSW (M=16, efSearch=32)", "IVF (nlist=32, nprobe=4)"]
    assert rows[0]["recall@5"] == 1.0


def test_approximate_indexes_search_by_inner_product_too():
    # vectors of very different lengths: inner product and L2 disagree about the neighbours, so an approximate
    # index built with the default (L2) metric would miss the exact inner-product answer even when searching
    # exhaustively
    x = (RNG.normal(size=(320, 8)) * RNG.uniform(0.1, 10, size=(320, 1))).astype("float32")
    rows = VDB.faiss_compare(x, x[:20], k=5, hnsw_m=16, ef_search=256, nlist=8, nprobe=8)
    assert rows[1]["recall@5"] > 0.95 and rows[2]["recall@5"] == 1.0


def test_faiss_timings_are_milliseconds_per_build_and_per_query(monkeypatch):
    class Clock:
        """Every reading is `step` seconds after the last: each build and each search takes exactly one step."""
        now, step = 1000.0, 0.25

        @classmethod
        def perf_counter(cls):
            cls.now += cls.step
            return cls.now

    monkeypatch.setattr(VDB, "time", Clock)
    x = RNG.normal(size=(64, 4)).astype("float32")
    rows = VDB.faiss_compare(x, x[:8], k=2, nlist=4)
    assert [(r["build ms"], r["query ms"]) for r in rows] == [(250.0, 31.25)] * 3  # 250 ms / 8 queries
    Clock.step = 1 / 3
    rows = VDB.faiss_compare(x, x[:3], k=2, nlist=4)
    assert [(r["build ms"], r["query ms"]) for r in rows] == [(333.3, 111.111)] * 3  # rounded for the table


def test_a_store_folder_is_created_with_its_parents(tmp_path):
    """A settings path like ~/.cache/course-app/chroma on a first run: none of its folders exist yet."""
    store = VDB.VectorStore(tmp_path / "new" / "cache" / "chroma")
    store.build("few", _chunks(WORDS[:3]), TableEmbedder())
    assert (tmp_path / "new" / "cache" / "chroma").is_dir() and store.get("few", TableEmbedder()).count() == 3
