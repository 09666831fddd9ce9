"""Embeddings, the Chroma store, documents and RAG, with the real shipped models."""
import io
import re

import numpy as np
import pytest

from core import documents as D
from core import rag
from core import vectordb as VDB
from core.assets import Registry
from core.config import Settings
from core.embeddings import ChromaEmbeddingFunction, langchain_embeddings, make_embedder
from core.errors import UserError

REG = Registry(Settings.load().cache_dir)


@pytest.fixture(scope="module")
def e5():
    return make_embedder("e5", REG)


@pytest.fixture(scope="module")
def notes_store(tmp_path_factory, e5):
    store = VDB.VectorStore(tmp_path_factory.mktemp("chroma"))
    chunks = D.split(D.english_notes(), 300, 30)
    store.build("notes__e5", chunks, e5)
    return store, chunks


def test_sentence_from_corpus_returns_its_chunk_first(notes_store, e5):
    store, chunks = notes_store
    target = next(c for c in chunks if "LoRA freezes the pretrained weights" in c.text)
    hits = store.query("notes__e5", e5, "LoRA freezes the pretrained weights and adds two small low-rank matrices", 3)
    assert (hits[0].source, hits[0].chunk) == (target.source, target.index)
    assert hits[0].score > hits[-1].score


def test_korean_question_finds_the_article(tmp_path, e5):
    store = VDB.VectorStore(tmp_path)
    store.build("law__e5", D.split(D.constitution_only(REG), 400, 50), e5)
    hits = store.query("law__e5", e5, "헌법재판소는 어떤 사항을 관장하나요?", 3)
    assert any("제111조" in h.text for h in hits)


def test_index_persists_across_a_new_client(notes_store, e5):
    store, _ = notes_store
    again = VDB.VectorStore(store.path)
    assert "notes__e5" in again.collections()
    assert again.query("notes__e5", e5, "What does dropout do?", 1)[0].source == "02_training.md"


def test_other_embedder_is_refused_not_mixed(notes_store):
    store, _ = notes_store
    minilm = make_embedder("minilm", REG)
    with pytest.raises(UserError) as info:
        store.query("notes__e5", minilm, "tensors", 2)
    assert info.value.key == "vdb.other_embedder" and info.value.params["built"] == "e5"
    assert VDB.collection_name("notes", "e5") != VDB.collection_name("notes", "minilm")


def test_every_offline_embedder_and_adapters_agree():
    texts = ["대한민국은 민주공화국이다.", "A tensor has a shape."]
    for name, dim in (("e5", 384), ("minilm", 384), ("use", 512)):
        emb = make_embedder(name, REG)
        vecs = emb.embed_documents(texts)
        assert vecs.shape == (2, dim) and np.allclose(np.linalg.norm(vecs, axis=1), 1, atol=1e-4)
        assert np.allclose(ChromaEmbeddingFunction(emb)(texts), vecs, atol=1e-6)
        assert np.allclose(langchain_embeddings(emb).embed_query(texts[1]), emb.embed_query(texts[1]), atol=1e-6)


def test_empty_collection_and_empty_query(tmp_path, e5):
    store = VDB.VectorStore(tmp_path)
    with pytest.raises(UserError) as info:
        store.query("missing__e5", e5, "hello")
    assert info.value.key == "vdb.no_index"
    with pytest.raises(UserError):
        store.build("x__e5", [], e5)


def test_citations_point_at_retrieved_chunks():
    assert rag.citations("LoRA trains adapters [2]. See also [1] and [2] and [7].", 3) == [2, 1]


class NeverCalled:
    name, id = "never", "never:none"

    def stream(self, *a, **k):
        raise AssertionError("the LLM must not be called when nothing passes the threshold")


class Counting:
    """Wraps the real local provider and counts calls."""

    def __init__(self, inner, id=None):
        self.inner, self.name, self.calls = inner, inner.name, 0
        self.id = id or inner.id

    def stream(self, messages, **kw):
        self.calls += 1
        yield from self.inner.stream(messages, **kw)


def test_threshold_says_dont_know_without_calling_the_llm(notes_store, e5):
    store, _ = notes_store
    retrieval = rag.chain(store, "notes__e5", e5, k=3, threshold=0.99).invoke("Who won the 1998 World Cup?")
    assert retrieval.empty
    assert list(rag.answer(NeverCalled(), retrieval)) == [rag.NO_CONTEXT]


def test_prompt_numbers_the_sources_and_cache_is_hit(notes_store, e5, tmp_path):
    from core.llm.local import LocalProvider, load_local

    store, _ = notes_store
    retrieval = rag.chain(store, "notes__e5", e5, k=2, threshold=0.5, mmr=True).invoke("What is LoRA?")
    assert len(retrieval.hits) == 2 and retrieval.support
    last = retrieval.messages[-1]
    assert last["role"] == "user" and last["content"].rstrip().endswith("What is LoRA?")
    # only the supporting sentences reach the model, each numbered by the source that holds it
    for s in retrieval.support:
        assert f"[{s.source}] {s.sentence}" in last["content"] and s.sentence in retrieval.hits[s.source - 1].text
    assert "LoRA" in retrieval.support[0].sentence
    lm, tok = load_local("smollm2-135m", REG, Settings.load().cache_dir)
    provider = Counting(LocalProvider("smollm2-135m", lm, tok))
    cache = rag.AnswerCache(tmp_path / "cache.sqlite")
    first = rag.answer(provider, retrieval, cache, temperature=0, max_tokens=24)
    text = "".join(first)
    second = rag.answer(provider, retrieval, cache, temperature=0, max_tokens=24)
    assert text.strip() and not first.cached
    assert second.cached and "".join(second) == text and provider.calls == 1


def _pdf(encrypt: bool = False) -> bytes:
    from pypdf import PdfWriter

    w = PdfWriter()
    w.add_blank_page(200, 200)
    if encrypt:
        w.encrypt("secret")
    buf = io.BytesIO()
    w.write(buf)
    return buf.getvalue()


@pytest.mark.parametrize("name,data,key", [
    ("a.txt", b"", "doc.empty"),
    ("a.txt", b"\x00\x01\x02binary", "doc.binary"),
    ("a.pdf", b"%PDF-1.4 this is not really a pdf", "doc.corrupt"),
    ("a.pdf", _pdf(encrypt=True), "doc.encrypted"),
    ("a.pdf", _pdf(), "doc.no_text"),
    ("a.docx", b"PK not a docx", "doc.corrupt"),
    ("a.exe", b"MZ", "doc.type"),
])
def test_bad_uploads(name, data, key):
    with pytest.raises(UserError) as info:
        D.load_upload(name, data)
    assert info.value.key == key


def test_huge_upload_refused_with_limit():
    with pytest.raises(UserError) as info:
        D.load_upload("big.txt", b"x" * (D.MAX_UPLOAD_BYTES + 1))
    assert info.value.key == "doc.too_big" and info.value.params["limit_mb"] == 20


def test_good_uploads_docx_and_cp949():
    import docx

    d = docx.Document()
    d.add_paragraph("문서 검색 실습")
    buf = io.BytesIO()
    d.save(buf)
    assert D.load_upload("a.docx", buf.getvalue())[0].text == "문서 검색 실습"
    assert D.load_upload("b.txt", "한글 텍스트".encode("cp949"))[0].text == "한글 텍스트"


def test_chunking_follows_articles_and_keeps_metadata():
    chunks = D.split(D.constitution_only(REG), 200, 0)
    assert all(len(c.text) <= 200 for c in chunks)
    assert sum(c.text.startswith("제") for c in chunks) > len(chunks) / 2
    assert chunks[5].metadata == {"source": "대한민국헌법.txt", "chunk": 5, "page": -1}


def test_sentences_split_at_clauses_and_endings():
    text = ("제70조 대통령의 임기는 5년으로 하며, 중임할 수 없다.\n  제71조 ① 국회는 의결한다. 다만, 예외가 있다."
            "\n②정부는 제출한다.")
    assert rag.split_sentences(text) == ["제70조 대통령의 임기는 5년으로 하며, 중임할 수 없다.",
                                         "제71조 ① 국회는 의결한다.", "다만, 예외가 있다.", "②정부는 제출한다."]


def test_long_article_pieces_keep_their_heading():
    chunks = D.split(D.constitution_only(REG), 150, 0)
    art12 = [c.text for c in chunks if c.text.startswith("제12조")]
    assert len(art12) >= 4 and all(len(c.text) <= 150 for c in chunks)
    # no chunk mixes two articles
    assert not any(re.search(r"\n\s*제\d+조", c.text) for c in chunks)


@pytest.fixture(scope="module")
def law_store(tmp_path_factory, e5):
    store = VDB.VectorStore(tmp_path_factory.mktemp("law"))
    store.build("law__e5", D.split(D.constitution_only(REG), 400, 50), e5)
    return store


def test_sentence_selection_finds_the_answering_sentence(law_store, e5):
    # the failing question: chunk-level RAG quoted 제67조 (how the president is elected)
    retrieval = rag.chain(law_store, "law__e5", e5, k=3).invoke("대통령의 임기는 몇 년인가요?")
    best = retrieval.support[0]
    assert "5년" in best.sentence and "대통령" in best.sentence
    assert best.sentence in retrieval.hits[best.source - 1].text
    assert retrieval.sentences_of(best.source)[0] == best.sentence
    assert "5년" in rag.extractive(retrieval).text


def test_unanswerable_question_gets_dont_know_without_the_llm(law_store, e5):
    retrieval = rag.chain(law_store, "law__e5", e5, k=3).invoke("서울에서 부산까지 KTX 요금은 얼마인가요?")
    assert retrieval.empty
    stream = rag.answer(NeverCalled(), retrieval)
    assert list(stream) == [rag.NO_CONTEXT] and stream.result.dont_know


def test_faithfulness_flag_and_citation_follow_the_supporting_sentence():
    hits = [VDB.Hit("제42조 국회의원의 임기는 4년으로 한다.", "a", 0, None, 0.2, 0.8),
            VDB.Hit("제70조 대통령의 임기는 5년으로 하며, 중임할 수 없다.", "a", 1, None, 0.1, 0.9)]
    support = [rag.Support(2, hits[1].text, 0.9), rag.Support(1, hits[0].text, 0.7)]
    retrieval = rag.build_prompt("대통령 임기는?", hits, support)
    good = rag.ground("대통령의 임기는 5년입니다.", retrieval)
    assert good.supported and good.citations == [2] and good.text.endswith("[2]")
    assert good.support == {2: [hits[1].text]}
    made_up = rag.ground("대통령은 국민투표로 해임됩니다. [2]", retrieval)
    assert not made_up.supported and made_up.citations == [2]
    assert rag.ground("모르겠습니다.", retrieval).dont_know


def test_cache_is_keyed_by_provider_id(notes_store, e5, tmp_path):
    from core.llm.local import LocalProvider, load_local
    from core.llm.remote import OpenAICompatible

    a = OpenAICompatible(None, "qwen", base_url="http://127.0.0.1:8001/v1", name="compat")
    b = OpenAICompatible(None, "qwen", base_url="http://127.0.0.1:8002/v1", name="compat")
    c = OpenAICompatible(None, "llama", base_url="http://127.0.0.1:8001/v1", name="compat")
    assert len({a.id, b.id, c.id}) == 3 and a.name == b.name == c.name
    store, _ = notes_store
    retrieval = rag.chain(store, "notes__e5", e5, k=2).invoke("What is LoRA?")
    lm, tok = load_local("smollm2-135m", REG, Settings.load().cache_dir)
    inner = LocalProvider("smollm2-135m", lm, tok)
    first, second = Counting(inner, id=a.id), Counting(inner, id=b.id)
    cache = rag.AnswerCache(tmp_path / "cache.sqlite")
    for provider in (first, second, first):
        "".join(rag.answer(provider, retrieval, cache, temperature=0, max_tokens=12))
    assert first.calls == 1 and second.calls == 1  # same question, two providers: two entries, then a hit
    assert len(cache.cache.lookup(rag.AnswerCache.key(retrieval.messages), rag.llm_key(first, {
        "temperature": 0, "max_tokens": 12}))) == 1


def test_asked_count_expects_the_counter_the_question_names():
    assert rag.asked_count("대통령 몇 년 해?").search("임기는 5년으로 하며")
    assert not rag.asked_count("대통령 몇 년 해?").search("중임할 수 없다")
    assert rag.asked_count("후보는 몇 살부터?").search("40세에 달하여야")  # native 살, Sino-Korean 세
    assert rag.asked_count("재판관은몇명이야").search("9인의 재판관")
    assert rag.asked_count("임시회는 며칠을 넘길 수 없나요?").search("30일을 초과할 수 없다")
    assert rag.asked_count("누가 임명해?") is None and rag.asked_count("며칠째부터 배워요?") is None


def test_headings_are_not_answers_and_list_items_keep_their_lead_in():
    text = "제1절 대통령\n제111조 ① 헌법재판소는 다음 사항을 관장한다.\n1. 탄핵의 심판\n2. 정당의 해산 심판"
    assert rag.answerable_sentences(text) == ["제111조 ① 헌법재판소는 다음 사항을 관장한다.",
                                              "제111조 ① 헌법재판소는 다음 사항을 관장한다. 탄핵의 심판",
                                              "제111조 ① 헌법재판소는 다음 사항을 관장한다. 정당의 해산 심판"]


def test_colloquial_question_is_answered_and_the_unanswerable_refused(law_store, e5):
    ask = rag.chain(law_store, "law__e5", e5, k=3).invoke
    # words that are not in the article ("몇 년 동안 일함" for 임기) still find and pass the answering sentence
    assert "5년" in rag.extractive(ask("대통령은 몇 년 동안 일함?")).text
    assert "헌법재판소" in rag.extractive(ask("정당 해산 심판은 어느 기관이 맡아?")).text  # a list item's owner
    # near the topic but the constitution gives no number of justices; and off-topic
    assert ask("대법관은 모두 몇 명임?").empty
    assert ask("떡볶이 맛집 추천해줘").empty
