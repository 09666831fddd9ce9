"""Retrieval-augmented generation with LangChain components:

    retriever (langchain_chroma over our collection; score threshold; MMR) → ChatPromptTemplate with numbered
    sources → the chosen provider, streamed, behind LangChain's SQLiteCache (hit/miss is reported).

When no chunk passes the threshold the chain answers "I don't know" without calling the LLM at all.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from core.errors import UserError
from core.vectordb import Hit

SYSTEM = ("You answer questions using only the numbered sources below. Cite the sources you use like [1] or [2]. "
          "If the sources do not contain the answer, say that you don't know. Answer in the language of the "
          "question.\n\nSources:\n{context}")
# small local models follow the last instruction best, so the citation rule is repeated in the user turn
HUMAN = "{question}\n\n(Answer from the sources and cite them like [1].)"
NO_CONTEXT = "__no_context__"


@dataclass
class Retrieval:
    hits: list[Hit]
    messages: list[dict] = field(default_factory=list)
    prompt_text: str = ""

    @property
    def empty(self) -> bool:
        return not self.hits


def retrieve(store, collection: str, embedder, question: str, k: int = 4, threshold: float = 0.0,
             mmr: bool = False, fetch_k: int = 20, mmr_lambda: float = 0.5) -> list[Hit]:
    """Top-k chunks whose relevance passes the threshold; with MMR, diverse ones among the candidates."""
    import numpy as np
    from langchain_chroma import Chroma
    from langchain_core.vectorstores.utils import maximal_marginal_relevance

    from core.embeddings import langchain_embeddings

    if not question.strip():
        raise UserError("vdb.empty_query", "empty question")
    col = store.get(collection, embedder)  # refuses an index built by another embedder
    vs = Chroma(client=store.client, collection_name=collection, embedding_function=langchain_embeddings(embedder))
    scored = vs.similarity_search_with_relevance_scores(question, k=max(fetch_k, k) if mmr else k)
    kept = [(d, s) for d, s in scored if s >= threshold]
    if mmr and kept:
        q = np.asarray(embedder.embed_query(question))
        stored = col.get(ids=[d.id for d, _ in kept], include=["embeddings"])  # stored vectors, not re-embedded
        by_id = dict(zip(stored["ids"], stored["embeddings"]))
        cands = [np.asarray(by_id[d.id]) for d, _ in kept]
        order = maximal_marginal_relevance(q, cands, lambda_mult=mmr_lambda, k=min(k, len(kept)))
        kept = [kept[i] for i in order]
    hits = []
    for doc, score in kept[:k]:
        page = doc.metadata.get("page", -1)
        hits.append(Hit(doc.page_content, doc.metadata.get("source", "?"), int(doc.metadata.get("chunk", -1)),
                        None if page == -1 else page, 1 - score, float(score)))
    return hits


def build_prompt(question: str, hits: list[Hit]) -> Retrieval:
    """The exact messages the LLM receives (shown on the page)."""
    from langchain_core.prompts import ChatPromptTemplate

    context = "\n\n".join(f"[{i}] ({h.source}) {h.text}" for i, h in enumerate(hits, 1))
    template = ChatPromptTemplate.from_messages([("system", SYSTEM), ("human", HUMAN)])
    lc_messages = template.format_messages(context=context, question=question)
    role = {"system": "system", "human": "user", "ai": "assistant"}
    messages = [{"role": role[m.type], "content": m.content} for m in lc_messages]
    text = "\n\n".join(f"### {m['role']}\n{m['content']}" for m in messages)
    return Retrieval(hits, messages, text)


def chain(store, collection: str, embedder, k: int = 4, threshold: float = 0.0, mmr: bool = False):
    """The retrieval half as a LangChain runnable: question → Retrieval (hits + prompt)."""
    from langchain_core.runnables import RunnableLambda

    def _retrieve(question: str) -> dict:
        return {"question": question, "hits": retrieve(store, collection, embedder, question, k, threshold, mmr)}

    return RunnableLambda(_retrieve) | RunnableLambda(lambda x: build_prompt(x["question"], x["hits"]))


class AnswerCache:
    """LangChain's SQLiteCache keyed by the exact prompt and the model + generation settings."""

    def __init__(self, path: Path):
        from langchain_community.cache import SQLiteCache

        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.cache = SQLiteCache(database_path=str(path))

    @staticmethod
    def key(messages: list[dict]) -> str:
        return "\n".join(f"{m['role']}: {m['content']}" for m in messages)

    def lookup(self, messages: list[dict], llm_string: str) -> str | None:
        hit = self.cache.lookup(self.key(messages), llm_string)
        return hit[0].text if hit else None

    def update(self, messages: list[dict], llm_string: str, text: str) -> None:
        from langchain_core.outputs import Generation

        self.cache.update(self.key(messages), llm_string, [Generation(text=text)])

    def clear(self) -> None:
        self.cache.clear()


@dataclass
class AnswerStream:
    """Iterate to get text pieces; afterwards .cached says whether it came from the cache."""
    pieces: Iterator[str]
    cached: bool

    def __iter__(self):
        return iter(self.pieces)


def answer(provider, retrieval: Retrieval, cache: AnswerCache | None = None, stop_event=None,
           **params) -> AnswerStream:
    """Stream the answer. No hits → NO_CONTEXT and the provider is never called."""
    if retrieval.empty:
        return AnswerStream(iter([NO_CONTEXT]), cached=False)
    llm_string = f"{provider.name}|{sorted(params.items())}"
    if cache is not None:
        text = cache.lookup(retrieval.messages, llm_string)
        if text is not None:
            return AnswerStream(iter([text]), cached=True)

    def generate():
        parts = []
        for piece in provider.stream(retrieval.messages, stop_event=stop_event, **params):
            parts.append(piece)
            yield piece
        if cache is not None and parts and not (stop_event is not None and stop_event.is_set()):
            cache.update(retrieval.messages, llm_string, "".join(parts))

    return AnswerStream(generate(), cached=False)


def citations(text: str, n_hits: int) -> list[int]:
    """Source numbers cited in the answer, in order of first use, only those that exist."""
    seen = []
    for m in re.finditer(r"\[(\d+)\]", text):
        i = int(m.group(1))
        if 1 <= i <= n_hits and i not in seen:
            seen.append(i)
    return seen
