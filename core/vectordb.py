"""Chroma vector store (persistent, under the data dir) and a FAISS comparison of exact vs approximate search.

One collection per (corpus, embedder): a collection remembers which embedder and dimension built it, so vectors
of different models never mix — querying with another embedder is refused with a clear message."""
from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from core.errors import UserError

if TYPE_CHECKING:  # numpy loads lazily: Home's first paint reads this module (session namespaces)
    import numpy as np

METRICS = ("cosine", "l2", "ip")


@dataclass
class Hit:
    text: str
    source: str
    chunk: int
    page: int | None
    distance: float
    score: float  # similarity in [0, 1]-ish: 1 - cosine distance, or 1 / (1 + l2), or the inner product


def collection_name(corpus: str, embedder: str) -> str:
    name = re.sub(r"[^a-zA-Z0-9_-]", "-", f"{corpus}__{embedder}")[:60]
    return name.strip("-_") or "corpus"


UPLOAD_PREFIX = "up-"


def new_session_namespace() -> str:
    """A random, unguessable namespace for one user's uploads (keep it in the URL to survive a reload)."""
    import secrets

    return secrets.token_hex(8)


def upload_collection_name(namespace: str, docs, settings: str, embedder: str) -> str:
    """The collection for one session's uploaded documents: the session namespace plus a hash of the CONTENT.

    File names and lengths say nothing about content (two users' 'notes.pdf' of the same size used to share
    one index), and without the namespace one session's upload would be listed and answered from in another's.
    settings: the chunking/index options, so changing them builds a new index instead of reusing a stale one."""
    import hashlib

    if not re.fullmatch(r"[0-9a-f]{8,64}", namespace or ""):
        raise UserError("vdb.bad_namespace", "invalid session namespace")
    content = _digest(part for d in sorted(docs, key=lambda d: (d.source, d.page or 0))
                      for part in (d.source, str(d.page), d.text))
    tail = hashlib.sha256(f"{settings}|{embedder}".encode()).hexdigest()[:8]
    emb = re.sub(r"[^a-zA-Z0-9_-]", "-", embedder)[:12].strip("-_") or "emb"
    return f"{UPLOAD_PREFIX}{namespace[:16]}-{content[:20]}-{tail}__{emb}"


def chunks_fingerprint(chunks) -> str:
    """A short hash of what an index holds (each chunk's text and place): part of an index's name, so an index built
    by an older splitter (or other chunk settings) is never read as this one's."""
    return _digest(part for c in chunks for part in (c.text, c.source, str(c.index), str(c.page)))[:10]


def _digest(parts) -> str:
    """sha256 (hex) of text parts, each length-prefixed: no ambiguous concatenation ("ab" + "c" is not "a" + "bc")."""
    import hashlib

    digest = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8", "surrogatepass")
        digest.update(len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()


def visible_to(name: str, namespace: str | None) -> bool:
    """Shipped-corpus indexes are shared; an upload index only belongs to the session that built it."""
    if not name.startswith(UPLOAD_PREFIX):
        return True
    return bool(namespace) and name.startswith(f"{UPLOAD_PREFIX}{namespace[:16]}-")


def _http_client(url: str, settings):
    """chromadb.HttpClient for http(s)://host:port, checked with a heartbeat so a wrong address fails now, clearly."""
    from urllib.parse import urlparse

    import chromadb

    parts = urlparse(url if "://" in url else f"http://{url}")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UserError("vdb.bad_url", "not an http(s) URL", url=url)
    try:
        client = chromadb.HttpClient(host=parts.hostname, port=parts.port or (443 if parts.scheme == "https" else 80),
                                     ssl=parts.scheme == "https", settings=settings)
        client.heartbeat()
    except Exception as exc:  # chromadb raises plain ValueError/ConnectionError/httpx errors for a bad server
        raise UserError("vdb.server_unreachable", str(exc)[:200], url=url) from exc
    return client


def _score(metric: str, distance: float) -> float:
    if metric == "cosine":
        return 1.0 - distance
    if metric == "ip":
        return 1.0 - distance  # Chroma's ip distance is 1 - <a, b>
    return 1.0 / (1.0 + distance)


class VectorStore:
    def __init__(self, persist_dir: Path, url: str = ""):
        """Embedded Chroma under persist_dir, or, with url (COURSE_CHROMA_URL), one Chroma server the whole class
        shares (`chroma run --path ./chroma --port 8000`)."""
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        self.path = Path(persist_dir)
        self.url = url
        settings = ChromaSettings(anonymized_telemetry=False)
        if url:
            self.client = _http_client(url, settings)
            return
        self.path.mkdir(parents=True, exist_ok=True)
        self.client = chromadb.PersistentClient(path=str(self.path), settings=settings)

    def collections(self) -> list[str]:
        return sorted(c.name for c in self.client.list_collections())

    def get(self, name: str, embedder):
        """An existing collection, after checking it was built by this embedder."""
        from chromadb.errors import NotFoundError

        from core.embeddings import ChromaEmbeddingFunction

        try:
            col = self.client.get_collection(name, embedding_function=ChromaEmbeddingFunction(embedder))
        except (NotFoundError, ValueError) as exc:
            raise UserError("vdb.no_index", f"no index {name}", name=name) from exc
        meta = col.metadata or {}
        if meta.get("embedder") != embedder.name or int(meta.get("dim", embedder.dim)) != embedder.dim:
            raise UserError("vdb.other_embedder", "index built with another embedder",
                            built=meta.get("embedder", "?"), used=embedder.name)
        return col

    def build(self, name: str, chunks, embedder, metric: str = "cosine", m: int = 16, ef_construction: int = 100,
              ef_search: int = 100, batch: int = 64, progress=None, corpus_info: dict | None = None):
        """(Re)create the collection and add all chunks with their metadata. progress(done, total) per batch."""
        from core.embeddings import ChromaEmbeddingFunction

        if metric not in METRICS:
            raise UserError("vdb.bad_metric", f"unknown metric {metric}")
        if not chunks:
            raise UserError("vdb.no_chunks", "nothing to index")
        self.delete(name)
        col = self.client.create_collection(
            name, embedding_function=ChromaEmbeddingFunction(embedder),
            metadata={"embedder": embedder.name, "dim": embedder.dim, "metric": metric, "chunks": len(chunks),
                      **(corpus_info or {})},
            configuration={"hnsw": {"space": metric, "max_neighbors": m, "ef_construction": ef_construction,
                                    "ef_search": ef_search}})
        for start in range(0, len(chunks), batch):
            part = chunks[start:start + batch]
            vecs = embedder.embed_documents([c.text for c in part])
            col.add(ids=[f"{c.source}#{c.index}" for c in part], documents=[c.text for c in part],
                    embeddings=[v.tolist() for v in vecs], metadatas=[c.metadata for c in part])
            if progress:
                progress(min(start + batch, len(chunks)), len(chunks))
        return col

    def delete(self, name: str) -> bool:
        if name in self.collections():
            self.client.delete_collection(name)
            return True
        return False

    def query(self, name: str, embedder, text: str, k: int = 5) -> list[Hit]:
        if not text.strip():
            raise UserError("vdb.empty_query", "empty question")
        col = self.get(name, embedder)
        if col.count() == 0:
            raise UserError("vdb.empty_index", "the index is empty", name=name)
        metric = (col.metadata or {}).get("metric", "cosine")
        res = col.query(query_embeddings=[embedder.embed_query(text).tolist()], n_results=min(k, col.count()),
                        include=["documents", "metadatas", "distances"])
        hits = []
        for doc, meta, dist in zip(res["documents"][0], res["metadatas"][0], res["distances"][0]):
            page = meta.get("page", -1)
            hits.append(Hit(doc, meta["source"], int(meta["chunk"]), None if page == -1 else page, float(dist),
                            _score(metric, float(dist))))
        return hits

    def vectors(self, name: str, embedder, limit: int = 2000):
        """(embeddings, documents, metadatas) of a collection, for the 2-D map."""
        import numpy as np

        col = self.get(name, embedder)
        res = col.get(limit=limit, include=["embeddings", "documents", "metadatas"])
        return np.asarray(res["embeddings"]), res["documents"], res["metadatas"]


# ---- FAISS: exact vs approximate ----------------------------------------------------------------------------
def near_queries(vectors: np.ndarray, n: int = 50, noise: float = 0.05, seed: int = 0) -> np.ndarray:
    """Up to n stored vectors picked at random, each nudged by Gaussian noise: queries near the data but not
    identical to a stored vector, so an approximate index can miss the exact neighbour."""
    import numpy as np

    rng = np.random.default_rng(seed)
    picked = vectors[rng.choice(len(vectors), min(n, len(vectors)), replace=False)].astype(np.float32)
    return picked + rng.normal(0, noise, picked.shape).astype(np.float32)


def faiss_compare(vectors: np.ndarray, queries: np.ndarray, k: int = 5, hnsw_m: int = 16, ef_search: int = 32,
                  nlist: int = 32, nprobe: int = 4) -> list[dict]:
    """Flat (exact) vs HNSW vs IVF on the same normalised vectors (inner product = cosine): recall@k against the
    exact answer, build time and mean query latency."""
    import faiss
    import numpy as np

    x = np.ascontiguousarray(vectors, dtype=np.float32)
    q = np.ascontiguousarray(queries, dtype=np.float32)
    d = x.shape[1]
    out = []

    def run(name, index, train=False):
        t0 = time.perf_counter()
        if train:
            index.train(x)
        index.add(x)
        build = time.perf_counter() - t0
        t0 = time.perf_counter()
        _, ids = index.search(q, k)
        latency = (time.perf_counter() - t0) / len(q) * 1000
        return name, ids, build, latency

    flat = run("Flat (exact)", faiss.IndexFlatIP(d))
    hnsw_index = faiss.IndexHNSWFlat(d, hnsw_m, faiss.METRIC_INNER_PRODUCT)
    hnsw_index.hnsw.efSearch = ef_search
    hnsw = run(f"HNSW (M={hnsw_m}, efSearch={ef_search})", hnsw_index)
    nlist = max(1, min(nlist, len(x) // 8))
    ivf_index = faiss.IndexIVFFlat(faiss.IndexFlatIP(d), d, nlist, faiss.METRIC_INNER_PRODUCT)
    ivf_index.nprobe = nprobe
    ivf = run(f"IVF (nlist={nlist}, nprobe={nprobe})", ivf_index, train=True)
    truth = flat[1]
    for name, ids, build, latency in (flat, hnsw, ivf):
        recall = np.mean([len(set(a) & set(b)) / k for a, b in zip(ids, truth)])
        out.append({"index": name, f"recall@{k}": round(float(recall), 3), "build ms": round(build * 1000, 1),
                    "query ms": round(latency, 3)})
    return out
