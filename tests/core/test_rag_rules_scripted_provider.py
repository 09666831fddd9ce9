"""core.rag's own logic without a model: sentence splitting and the answerability rules checked against values
worked out by hand, answer() driven by a scripted provider (the words a model might say, so the one-sentence stop,
citation marks, fallback and cache are what is tested), and retrieval over a bag-of-words embedder whose cosines
the test computes itself.

Surviving mutants judged equivalent (bench/mutation.py rag):
- _query_vector's "query: " key prefix changed: it only keeps query vectors apart from sentence vectors in a
  private cache; a sentence would have to begin with the new prefix to collide.
- _sentence_vectors forgetting the oldest 10,001 cached vectors instead of 10,000 when it passes 20,000: how much
  it forgets is a memory trade-off, not a result.
- retrieve's meta.get("chunk", -1) / meta.get("page", -1) defaults changed: every chunk VectorStore.build stores
  carries its source, chunk and page, so the defaults are never read.
"""
import re
import threading

import numpy as np
import pytest

from core import documents as D
from core import rag
from core import vectordb as VDB
from core.errors import UserError

ART70 = "제70조 대통령의 임기는 5년으로 하며, 중임할 수 없다."
ART42 = "제42조 국회의원의 임기는 4년으로 한다."


def _retrieval(question="대통령 임기는?"):
    hits = [VDB.Hit(ART42, "a", 0, None, 0.2, 0.8), VDB.Hit(ART70, "a", 1, None, 0.1, 0.9)]
    return rag.build_prompt(question, hits, [rag.Support(2, ART70, 0.9)])


# ---- sentences and answerability ------------------------------------------------------------------------------
def test_split_sentences_at_english_ends_headings_and_one_letter_scraps():
    assert rag.split_sentences("LoRA trains adapters. It freezes the model! (Fast) too.\nx\nDone here") == [
        "LoRA trains adapters.", "It freezes the model!", "(Fast) too.", "Done here"]
    assert rag.split_sentences("a.b. lower case stays") == ["a.b. lower case stays"]
    assert rag.split_sentences("제5조\n① 국회는 의결한다.\n② 정부는 제출한다.") == [
        "제5조 ① 국회는 의결한다.", "② 정부는 제출한다."]
    assert rag.split_sentences("제5조의2\n① 조항이다.") == ["제5조의2 ① 조항이다."]


def test_answerable_sentences_drop_law_part_headings_and_a_numbered_item_keeps_its_lead_sentence():
    assert rag.answerable_sentences("1. 탄핵의 심판\n제1장 총강\n국회는 법률을 만든다.\n2. 예산 심의") == [
        "탄핵의 심판", "국회는 법률을 만든다.", "국회는 법률을 만든다. 예산 심의"]
    assert rag.answerable_sentences("It works!\nSays \"yes\"\n1. item") == [
        "It works!", "Says \"yes\"", "Says \"yes\" item"]


def test_bare_removes_only_a_leading_article_heading():
    assert rag.bare(ART70) == "대통령의 임기는 5년으로 하며, 중임할 수 없다."
    assert rag.bare("제12조의3 신체의 자유") == "신체의 자유"
    assert rag.bare("헌법 제70조에 따라") == "헌법 제70조에 따라"


@pytest.mark.parametrize("question,yes,no", [
    ("후보는 몇 살부터?", "40세에 달하여야", "40살이 아닌 마흔"),
    ("몇 세부터?", "40세", "40년"),
    ("재판관은 몇 명?", "9명으로", "9년"),
    ("몇 인이야?", "9인의 재판관", "9일"),
    ("며칠 걸려?", "30일 이내", "30년"),
    ("몇 일?", "3일", "3월"),
    ("몇 번 연임?", "1차에 한하여", "1년"),
    ("몇 회 연임?", "2번", "2명"),
    ("몇 차례?", "3회", "3일"),
    ("몇 개월이야?", "6개월 이내", "6년"),
    ("몇 월이야?", "6월", "6일"),
    ("몇 퍼센트?", "3분의 2", "3년"),
    ("몇 %야?", "50%", "50명"),
    ("몇 분의 몇?", "3분의 2", "3%"),
])
def test_asked_count_maps_every_counter(question, yes, no):
    pattern = rag.asked_count(question)
    assert pattern.search(yes) and not pattern.search(no)


def test_asked_count_needs_a_counter_right_after_the_question_word():
    assert rag.asked_count("몇 년째 일해?") is None and rag.asked_count("며칠 째야?") is None
    assert rag.asked_count("몇몇 사람") is None and rag.asked_count("임기는 5년") is None
    assert rag.asked_count("몇년").search("5 년")  # a space between number and counter is fine


def test_coverage_counts_content_word_stems_exactly():
    # content words: LoRA, rank (what/is/the are stop words, "a" too short); both present in any case or spacing
    assert rag.coverage("What is the LoRA rank?", "lora RANK is eight") == 1.0
    assert rag.coverage("What is the LoRA rank?", "the LoRA adapter") == 0.5
    # Korean stems are two syllables; 몇 is a question word; the closing predicate 인가요 is dropped
    assert rag.coverage("대통령의 임기는 몇 년인가요?", "대통 령은 5년 임 기를") == 1.0
    assert rag.coverage("대통령의 임기는 몇 년인가요?", "대통령은 국민이 뽑는다") == 0.5
    assert rag.coverage("국회의원 임기 알려주나", "국회의원") == 0.5  # …나 closes a question too
    assert rag.coverage("국회의원 임기 언제", "임기") == 0.5  # a question word is not a content word
    assert rag.coverage("LoRA", "lora") == 1.0
    assert rag.coverage("뭐야?", "아무 문장") == 0.0 and rag.coverage("", "x") == 0.0


def test_overlap_is_the_share_of_answer_bigrams_found():
    assert rag.overlap("대통령 임기 [2]", ["대통령의 임기는 5년"]) == 1.0
    # answer bigrams 대통 통령 령은 국회 회가 → two found
    assert rag.overlap("대통령은 국회가", ["대통령의 임기"]) == pytest.approx(2 / 5)
    assert rag.overlap("a b", ["a"]) == 0.5  # one-letter words count as themselves
    assert rag.overlap("[1] !!", ["anything"]) == 0.0 and rag.overlap("word", []) == 0.0


def test_dont_know_phrases_in_any_case():
    assert rag.is_dont_know(f"  {rag.NO_CONTEXT}\n") and rag.is_dont_know("I DON'T KNOW that")
    assert rag.is_dont_know("그건 모르겠습니다") and rag.is_dont_know("It is not in the sources.")
    assert not rag.is_dont_know("임기는 5년입니다.") and not rag.is_dont_know(f"x{rag.NO_CONTEXT}y z")


def test_retrieval_is_empty_without_hits_or_without_support():
    r = _retrieval()
    assert not r.empty and r.sentences_of(2) == [ART70] and r.sentences_of(1) == []
    assert rag.Retrieval([], support=r.support).empty and rag.Retrieval(r.hits).empty


def test_prompt_has_system_one_worked_example_and_the_numbered_support():
    r = _retrieval("대통령 임기는?")
    assert [m["role"] for m in r.messages] == ["system", "user", "assistant", "user"]
    assert r.messages[0]["content"] == rag.SYSTEM
    assert (r.messages[1]["content"], r.messages[2]["content"]) == rag.SHOTS[0]
    assert r.messages[3]["content"] == f"근거:\n[2] {ART70}\n\n질문: 대통령 임기는?"
    assert r.prompt_text == "\n\n".join(f"### {m['role']}\n{m['content']}" for m in r.messages)
    assert rag.build_prompt("q", r.hits).support == [] and "근거:\n\n\n질문: q" in rag.build_prompt("q", []).prompt_text


def test_citations_keep_first_use_order_and_only_existing_sources():
    assert rag.citations("[0] [3] [2] [1] [2] [4]", 3) == [3, 2, 1]
    assert rag.citations("no marks", 3) == []


# ---- grounding ---------------------------------------------------------------------------------------------------
def test_ground_cites_the_leaning_source_when_the_model_forgot_the_mark():
    hits = [VDB.Hit(ART42, "a", 0, None, 0.2, 0.8), VDB.Hit(ART70, "a", 1, None, 0.1, 0.9)]
    r = rag.build_prompt("임기?", hits, [rag.Support(1, ART42, 0.8), rag.Support(2, ART70, 0.7)])
    g = rag.ground("대통령의 임기는 5년입니다.", r)
    assert (g.citations, g.supported, g.dont_know) == ([2], True, False)
    assert g.text == "대통령의 임기는 5년입니다. [2]" and g.support == {2: [ART70]}
    # the model's own mark wins over the leaning source, even when that source does not back it
    g = rag.ground("국회의원의 임기는 4년 [2]", r)
    assert (g.citations, g.supported, g.text) == ([2], False, "국회의원의 임기는 4년 [2]")
    # a mark to a hit without a supporting sentence, or to no hit at all, is dropped
    three = rag.build_prompt("임기?", hits + [hits[0]], r.support)
    g = rag.ground("국회의원의 임기는 4년 [3][4][1]", three)
    assert g.citations == [1] and g.text == "국회의원의 임기는 4년 [1]" and g.supported
    nothing = rag.ground("anything", rag.Retrieval(hits))
    assert (nothing.citations, nothing.supported, nothing.dont_know) == ([], False, True)
    both = rag.ground("대통령과 국회의원의 임기 [2][1]", r)
    assert both.citations == [2, 1] and both.text == "대통령과 국회의원의 임기 [2][1]"


def test_supported_needs_half_the_answer_bigrams():
    r = _retrieval()
    # 대통 통령 (found) + 가나 나다 (not): exactly half is enough, one bigram less is not
    assert rag.ground("대통령 가나다", r).supported
    assert not rag.ground("대통령 가나다라", r).supported


def test_extractive_and_checked_fall_back_to_the_sentence_without_heading_or_clause_mark():
    hits = [VDB.Hit("제71조 ① 국회는 의결한다.", "a", 0, None, 0.1, 0.9)]
    r = rag.build_prompt("q", hits, [rag.Support(1, "제71조 ① 국회는 의결한다.", 0.9)])
    e = rag.extractive(r)
    assert (e.text, e.citations, e.supported, e.origin) == ("국회는 의결한다. [1]", [1], True, "extract")
    assert e.support == {1: ["제71조 ① 국회는 의결한다."]}
    empty = rag.extractive(rag.Retrieval(hits))
    assert (empty.text, empty.citations, empty.supported, empty.dont_know) == (rag.NO_CONTEXT, [], False, True)
    c = rag.checked("대통령이 정합니다.", r)
    assert (c.text, c.origin, c.model_text) == ("국회는 의결한다. [1]", "extract", "대통령이 정합니다.")
    good = rag.checked("국회는 의결한다", r)
    assert (good.origin, good.model_text, good.supported) == ("llm", "", True)
    assert rag.checked("x", rag.Retrieval(hits)).dont_know


# ---- answer(): streaming, the one-sentence stop, marks, the cache ---------------------------------------------
class Scripted:
    """Says the given pieces, recording what it was asked with."""

    def __init__(self, pieces, id="scripted:a"):
        self.pieces, self.id, self.name = pieces, id, "scripted"
        self.calls, self.params, self.stop, self.closed = 0, None, None, False

    def stream(self, messages, stop_event=None, **params):
        self.calls += 1
        self.params, self.stop, self.messages = params, stop_event, messages
        try:
            yield from self.pieces
        except GeneratorExit:
            self.closed = True
            raise


def test_answer_stops_at_the_first_line_break_and_adds_the_missing_mark():
    r = _retrieval()
    p = Scripted(["대통령의 임기는 ", "5년입니다.", "\n다음 질문", " 더"])
    stream = rag.answer(p, r, temperature=0)
    assert "".join(stream) == "대통령의 임기는 5년입니다. [2]"
    assert p.stop.is_set() and p.closed and p.messages == r.messages
    assert p.params == {"temperature": 0, "max_tokens": 60}
    assert (stream.cached, stream.result.citations, stream.result.origin) == (False, [2], "llm")


def test_a_leading_line_break_does_not_end_the_answer_and_own_marks_are_kept():
    p = Scripted(["\n", "대통령의 임기는 5년입니다. [2]"])
    stream = rag.answer(p, _retrieval(), max_tokens=9)
    assert "".join(stream) == "\n대통령의 임기는 5년입니다. [2]"
    assert not p.stop.is_set() and p.params == {"max_tokens": 9}


def test_an_unsupported_answer_is_replaced_by_the_sentence_and_keeps_the_models_words():
    stream = rag.answer(Scripted(["국회가 정합니다."]), _retrieval())
    assert "".join(stream) == "국회가 정합니다."  # no marks on words the sources do not back
    assert stream.result.origin == "extract" and stream.result.model_text == "국회가 정합니다."
    assert stream.result.text == "대통령의 임기는 5년으로 하며, 중임할 수 없다. [2]"


def test_empty_retrieval_never_calls_the_provider():
    p = Scripted(["x"])
    stream = rag.answer(p, rag.Retrieval(_retrieval().hits))
    assert list(stream) == [rag.NO_CONTEXT] and p.calls == 0 and stream.result.dont_know
    assert stream.cached is False and (stream.result.citations, stream.result.supported) == ([], False)


def test_the_users_stop_reaches_the_provider():
    user = threading.Event()
    p = Scripted(["대통령의 임기는 5년"])
    stream = rag.answer(p, _retrieval(), stop_event=user)
    "".join(stream)
    assert not p.stop.is_set()
    user.set()
    assert p.stop.is_set()


def test_cache_hits_on_same_prompt_provider_and_settings_only(tmp_path):
    r, cache = _retrieval(), rag.AnswerCache(tmp_path / "a" / "b" / "cache.sqlite")
    first = Scripted(["대통령의 임기는 5년입니다."])
    text = "".join(rag.answer(first, r, cache, temperature=0))
    again = Scripted(["different"])
    hit = rag.answer(again, r, cache, temperature=0)
    assert hit.cached and "".join(hit) == text == "대통령의 임기는 5년입니다. [2]" and again.calls == 0
    assert hit.result.citations == [2] and hit.result.supported
    stored = cache.lookup(r.messages, rag.llm_key(first, {"temperature": 0, "max_tokens": 60}))
    assert stored == "대통령의 임기는 5년입니다."  # the model's words; the marks are added on the way out
    assert (tmp_path / "a" / "b" / "cache.sqlite").stat().st_size > 0
    for other in (dict(temperature=0.5), dict(temperature=0, max_tokens=8)):
        assert not rag.answer(Scripted(["x"]), r, cache, **other).cached
    assert not rag.answer(Scripted(["x"], id="scripted:b"), r, cache, temperature=0).cached
    assert not rag.answer(Scripted(["x"]), _retrieval("다른 질문"), cache, temperature=0).cached
    cache.clear()
    assert not rag.answer(Scripted(["x"]), r, cache, temperature=0).cached


def test_stopped_or_blank_answers_are_not_cached(tmp_path):
    r, cache = _retrieval(), rag.AnswerCache(tmp_path / "cache.sqlite")
    stop = threading.Event()
    stop.set()
    "".join(rag.answer(Scripted(["대통령의 임기는 5년"]), r, cache, stop_event=stop))
    "".join(rag.answer(Scripted(["  "]), r, cache, stop_event=threading.Event()))
    assert cache.lookup(r.messages, rag.llm_key(Scripted([]), {"max_tokens": 60})) is None
    "".join(rag.answer(Scripted(["대통령의 임기는 5년"]), r, cache, stop_event=threading.Event()))
    assert cache.lookup(r.messages, rag.llm_key(Scripted([]), {"max_tokens": 60})) == "대통령의 임기는 5년"


def test_cache_key_and_llm_key():
    msgs = [{"role": "system", "content": "s"}, {"role": "user", "content": "u"}]
    assert rag.AnswerCache.key(msgs) == "system: s\nuser: u"
    p = Scripted([])
    assert rag.llm_key(p, {"b": 1, "a": 2}) == rag.llm_key(p, {"a": 2, "b": 1}) == "scripted:a|[('a', 2), ('b', 1)]"


# ---- retrieval over a bag-of-words embedder ------------------------------------------------------------------
VOCAB = ["lora", "adapter", "rank", "dropout", "tensor", "gpu", "president", "term", "court", "cat"]


class BagOfWords:
    """Counts of a few words (+ a constant so no vector is zero), L2-normalised: cosines the test can reason about."""
    name, dim = "bow", len(VOCAB) + 1

    def _vec(self, text):
        words = re.findall(r"[a-z]+", text.lower())
        v = np.array([sum(w.startswith(x) for w in words) for x in VOCAB] + [0.3], dtype=np.float32)
        return v / np.linalg.norm(v)

    def embed_documents(self, texts):
        return np.stack([self._vec(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def embed_query(self, text):
        return self._vec(text)


TEXTS = ["LoRA trains a low rank adapter. The base stays frozen.",
         "Dropout zeroes a tensor. Cat cat cat cat cat.",
         "A GPU multiplies tensor blocks. Tensor cores are fast.",
         "The president serves one term. The court decides cases.",
         "Cat cat cat. Lora adapter rank gpu tensor dropout court term president."]


@pytest.fixture()
def bow_store(tmp_path):
    store, emb = VDB.VectorStore(tmp_path), BagOfWords()
    chunks = [D.Chunk(t, f"s{i}.md", i, page=3 if i == 1 else None) for i, t in enumerate(TEXTS)]
    store.build("bow", chunks, emb)
    return store, emb


def test_retrieve_ranks_by_best_sentence_and_reports_the_chunks_dense_cosine(bow_store):
    store, emb = bow_store
    q = "lora adapter rank"
    hits = rag.retrieve(store, "bow", emb, q, k=3)
    dense = emb.embed_documents(TEXTS) @ emb.embed_query(q)
    assert [h.chunk for h in hits][:2] == [0, 4] and len(hits) == 3
    for h in hits:
        assert h.score == pytest.approx(dense[h.chunk], abs=1e-5) and h.distance == pytest.approx(1 - h.score, abs=1e-6)
        assert (h.source, h.text) == (f"s{h.chunk}.md", TEXTS[h.chunk])
    # chunk 1's first sentence is the question itself, though the whole chunk is mostly about cats: it outranks
    # chunk 2, whose whole-chunk cosine is higher
    hits = rag.retrieve(store, "bow", emb, "tensor dropout", k=5)
    assert [h.chunk for h in hits[:2]] == [1, 2] and hits[0].score < hits[1].score
    assert hits[0].page == 3 and hits[1].page is None


def test_retrieve_threshold_is_on_the_dense_cosine(bow_store):
    store, emb = bow_store
    q = "president term court"
    dense = emb.embed_documents(TEXTS) @ emb.embed_query(q)
    cut = float(np.sort(dense)[-2])  # keeps exactly the two closest chunks
    hits = rag.retrieve(store, "bow", emb, q, k=5, threshold=cut - 1e-4)
    assert sorted(h.chunk for h in hits) == sorted(np.argsort(-dense)[:2].tolist())
    assert rag.retrieve(store, "bow", emb, q, k=5, threshold=1.01) == []


def test_retrieve_refuses_an_empty_question_and_an_emptied_index(bow_store):
    store, emb = bow_store
    with pytest.raises(UserError) as info:
        rag.retrieve(store, "bow", emb, "   ")
    assert (info.value.key, str(info.value)) == ("vdb.empty_query", "empty question")
    col = store.get("bow", emb)
    col.delete(ids=col.get()["ids"])
    with pytest.raises(UserError) as info:
        rag.retrieve(store, "bow", emb, "lora")
    assert (info.value.key, info.value.params, str(info.value)) == ("vdb.empty_index", {"name": "bow"},
                                                                    "the index is empty")


def _mmr(q, vecs, k, lam):
    """Maximal marginal relevance written out: the closest first, then the best trade of closeness vs redundancy."""
    picked = [int(np.argmax(vecs @ q))]
    while len(picked) < k:
        gain = [lam * (v @ q) - (1 - lam) * max(v @ vecs[j] for j in picked) if i not in picked else -np.inf
                for i, v in enumerate(vecs)]
        picked.append(int(np.argmax(gain)))
    return picked


def test_mmr_takes_k_diverse_chunks_from_the_fetch_k_best(bow_store):
    store, emb = bow_store
    vecs, q = emb.embed_documents(TEXTS), emb.embed_query("tensor gpu")
    for lam in (0.5, 1.0, 0.2):
        got = rag.retrieve(store, "bow", emb, "tensor gpu", k=3, mmr=True, mmr_lambda=lam)
        assert [h.chunk for h in got] == _mmr(q, vecs, 3, lam)
    assert [h.chunk for h in rag.retrieve(store, "bow", emb, "tensor gpu", k=3, mmr=True, mmr_lambda=0.2)] != [
        h.chunk for h in rag.retrieve(store, "bow", emb, "tensor gpu", k=3)]
    assert len(rag.retrieve(store, "bow", emb, "tensor gpu", k=4, mmr=True, fetch_k=1)) == 4


def test_chain_keeps_the_best_sentence_numbered_by_its_hit_and_applies_min_support(bow_store):
    store, emb = bow_store
    r = rag.chain(store, "bow", emb, k=2, min_support=0.5).invoke("lora adapter rank")
    assert [h.chunk for h in r.hits] == [0, 4]
    assert [(s.source, s.sentence) for s in r.support] == [(1, "LoRA trains a low rank adapter.")]
    s = r.support[0]
    assert s.relevance == pytest.approx(float(emb.embed_query(rag.bare(s.sentence)) @ emb.embed_query(
        "lora adapter rank")), abs=1e-5) and s.score > s.relevance
    two = rag.chain(store, "bow", emb, k=2, sentences=2, min_support=0.0).invoke("lora adapter rank")
    assert len(two.support) == 2 and {x.source for x in two.support} <= {1, 2}
    assert rag.chain(store, "bow", emb, k=2, min_support=1.2).invoke("lora adapter rank").empty
    assert len(rag.chain(store, "bow", emb).invoke("lora adapter rank").hits) == 4  # k=4 by default


def test_two_collections_of_one_store_keep_their_own_sentences(bow_store):
    store, emb = bow_store
    other = [t.replace("LoRA", "Lora cat") for t in TEXTS]  # as many chunks, other sentences
    store.build("bow2", [D.Chunk(t, "o.md", i) for i, t in enumerate(other)], emb)
    for name, texts in (("bow", TEXTS), ("bow2", other), ("bow", TEXTS)):
        r = rag.chain(store, name, emb, k=1, min_support=0.0).invoke("lora adapter rank")
        assert r.support[0].sentence in texts[r.hits[0].chunk]


LAW = ["대통령의 임기는 5년으로 한다.", "국회의원의 임기는 4년으로 한다.", "대통령은 국가를 대표한다."]


@pytest.fixture()
def law_bow(tmp_path):
    """Korean sentences hold none of the embedder's words: every e5-like cosine is exactly 1, so what decides is
    the lexical score, the asked-for count and the coverage of the question's words."""
    store, emb = VDB.VectorStore(tmp_path), BagOfWords()
    store.build("law", [D.Chunk(t, "law.txt", i) for i, t in enumerate(LAW)], emb)
    return store, emb


def test_sentence_score_is_cosine_plus_weighted_tfidf_plus_the_count_bonus(law_bow):
    from sklearn.feature_extraction.text import TfidfVectorizer

    store, emb = law_bow
    ix = rag._index(store.get("law", emb), emb)
    question = "대통령 임기는 몇 년?"
    q = emb.embed_query(question)
    tfidf = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 3), sublinear_tf=True).fit(ix.sentences)
    lexical = (tfidf.transform(ix.sentences) @ tfidf.transform([question]).T).toarray().ravel()
    count = np.array([bool(re.search(r"\d\s*년", s)) for s in ix.sentences])
    want = ix.sentence_vectors @ q + 0.15 * lexical + 0.05 * count
    assert np.allclose(ix.sentence_scores(question, q), want, atol=1e-5)


def test_chain_drops_sentences_without_the_count_or_below_cosine_plus_coverage(law_bow):
    store, emb = law_bow
    ask = rag.chain(store, "law", emb, k=3, sentences=3, min_support=0.0).invoke
    # all three sentences are close (cosine 1); only two hold a number of years
    assert sorted(s.sentence for s in ask("대통령 임기는 몇 년?").support) == sorted(LAW[:2])
    assert len(ask("대통령 임기는?").support) == 3
    # coverage of 대통 + 임기: 1.0 for the president's term (1 + 0.05), 0.5 for the assembly's (1 + 0.025)
    strict = rag.chain(store, "law", emb, k=3, sentences=3, min_support=1.04).invoke("대통령 임기는 몇 년?")
    assert [s.sentence for s in strict.support] == [LAW[0]]
    loose = rag.chain(store, "law", emb, k=3, sentences=3, min_support=1.02).invoke("대통령 임기는 몇 년?")
    assert len(loose.support) == 2


def test_a_rebuilt_collection_is_read_afresh_and_two_stores_do_not_mix(bow_store, tmp_path_factory):
    store, emb = bow_store
    other = [t.replace("LoRA", "Lora cat") for t in TEXTS]  # as many chunks, other sentences
    assert rag.retrieve(store, "bow", emb, "lora adapter rank", k=1)[0].text == TEXTS[0]
    store.build("bow", [D.Chunk(t, "o.md", i) for i, t in enumerate(other)], emb)
    assert rag.retrieve(store, "bow", emb, "lora adapter rank", k=1)[0].text == other[0]
    second = VDB.VectorStore(tmp_path_factory.mktemp("second"))
    second.build("bow", [D.Chunk(t, "s.md", i) for i, t in enumerate(TEXTS)], emb)
    for s, texts in ((second, TEXTS), (store, other)):
        r = rag.chain(s, "bow", emb, k=1, min_support=0.0).invoke("lora adapter rank")
        assert r.hits[0].text == texts[0] and r.support[0].sentence in texts[0]


def test_a_heading_only_chunk_still_ranks_but_supports_nothing_while_a_fragment_answers(tmp_path):
    store, emb = VDB.VectorStore(tmp_path), BagOfWords()
    store.build("heads", [D.Chunk("제1장 총강", "h.md", 0), D.Chunk("Lora adapter rank", "h.md", 1)], emb)
    hits = rag.retrieve(store, "heads", emb, "lora adapter", k=2)
    assert [h.chunk for h in hits] == [1, 0]
    assert rag.answerable_sentences("제1장 총강") == []
    got = rag.chain(store, "heads", emb, k=2, min_support=0.0).invoke("lora adapter")
    assert [(s.source, s.sentence) for s in got.support] == [(1, "Lora adapter rank")]  # a fragment is a unit
