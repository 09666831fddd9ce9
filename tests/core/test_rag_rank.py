"""The learned answer-unit ranker (core.rag_rank): BM25 over Korean morphemes finds a keyword query's chunk, the
shipped coefficients load and put a unit holding the answer above one that does not, and the chain can use it:
the best unit answers, and the question's answerability is what the frozen threshold compares."""
import json
from pathlib import Path

import numpy as np
import pytest

from core import documents as D
from core import rag
from core import rag_rank as R
from core import vectordb as VDB

ROOT = Path(__file__).resolve().parents[2]
CHUNKS = ["근로자는 근로조건의 향상을 위하여 자주적인 단결권·단체교섭권 및 단체행동권을 가진다.",
          "대통령의 임기는 5년으로 하며, 중임할 수 없다.",
          "모든 국민은 거주·이전의 자유를 가진다.",
          "국회의원의 임기는 4년으로 한다."]


def test_tokens_are_content_morphemes_with_verb_lemmas_so_inflections_match():
    a, b = R.tokens("노동자가 노조를 만들고 파업할 수 있다"), R.tokens("노조를 만들 권리")
    assert "만들다" in a and "만들다" in b  # 만들고 / 만들 → one lemma
    assert "노조" in a and "가" not in a and "를" not in a  # particles are not content
    assert R.tokens("The Adam Optimizer") == ("the", "adam", "optimizer")


def test_bm25_ranks_the_chunk_holding_a_keyword_query_first():
    lex = R.Lexical(CHUNKS, CHUNKS)
    _, chunks, _ = lex.scores("단체행동권")
    assert int(np.argmax(chunks)) == 0 and chunks[0] > 0 and chunks[1] == 0
    _, chunks, _ = lex.scores("거주 이전 자유")
    assert int(np.argmax(chunks)) == 2


def test_the_shipped_ranker_loads_and_puts_the_unit_with_the_answer_first():
    data = json.loads(R.RANKER.read_text(encoding="utf-8"))
    assert tuple(data["features"]) == R.FEATURES and "frozen" not in " ".join(data["trained_on"])
    ranker = R.default_ranker()
    assert 0 < ranker.floor <= ranker.threshold < 1
    # round 3: the shipped refusal reads every feature of the best unit (cover is x_unit_cover again); a closer unit
    # by e5 + coverage, its own or the hand rule's choice, pushes towards answering; round 4 adds novel_sim: a
    # missing noun with no close unit (another subject) pushes towards refusing
    assert ranker.refusal["features"] == [f for f in R.REFUSAL_FEATURES if f != "cover" and f not in R.STANDOUT]
    coef = dict(zip(ranker.refusal["features"], ranker.refusal["coef"]))
    assert coef["hand"] > 0 and coef["hand_best"] > 0 and coef["top_logit"] > 0 and coef["novel_sim"] > 0
    assert ranker.widen == data["widen"] and 0 < ranker.widen < 1
    assert ranker.adjacent == data["adjacent"] and 0 < ranker.adjacent < 1  # round 6: a sentence's next clause
    # two units of one chunk, equally close by e5; one holds the words of the question and the asked-for count
    texts = ["대통령의 임기는 5년으로 한다.", "국무총리는 국회의 동의를 얻어 대통령이 임명한다."]
    lex = R.Lexical(texts, [" ".join(texts)])
    x = R.features("대통령 임기는 몇 년?", np.array([0.9, 0.9], np.float32), np.array([0.9], np.float32),
                   np.array([0, 0]), lex, np.zeros(2, np.float32), ["sentence", "sentence"],
                   np.array([len(t) for t in texts], np.float32), rag.asked_count("대통령 임기는 몇 년?"), texts)
    p = ranker.proba(x)
    assert p[0] > p[1]


def test_a_ranker_fitted_on_other_features_is_refused(tmp_path):
    data = json.loads(R.RANKER.read_text(encoding="utf-8"))
    data["features"] = data["features"][:-1]
    (tmp_path / "r.json").write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValueError, match="other features"):
        R.Ranker.load(tmp_path / "r.json")


@pytest.fixture(scope="module")
def law(tmp_path_factory):
    from core.assets import Registry
    from core.config import Settings
    from core.embeddings import make_embedder

    e5 = make_embedder("e5", Registry(Settings.load().cache_dir))
    store = VDB.VectorStore(tmp_path_factory.mktemp("rank"))
    store.build("law__e5", [D.Chunk(t, "law.txt", i) for i, t in enumerate(CHUNKS)], e5)
    return store, e5


def test_the_chain_with_the_learned_ranker_answers_a_keyword_query_from_its_chunk(law):
    store, e5 = law
    hits = rag.retrieve(store, "law__e5", e5, "단체행동권", k=2, ranker=R.default_ranker())
    assert hits[0].text == CHUNKS[0]
    got = rag.chain(store, "law__e5", e5, k=2, ranker="default").invoke("대통령 임기")
    assert not got.empty and "5년" in rag.extractive(got).text
    ranker = R.default_ranker()
    assert got.confidence >= ranker.threshold  # the answerability of the question, not a unit's probability
    ix = rag._index(store.get("law__e5", e5), e5)
    q = rag._query_vector(e5, "대통령 임기")
    x = ix.features("대통령 임기", q)
    assert got.confidence == pytest.approx(ranker.answerable(x, *ix.hand_view("대통령 임기", q, ranker.proba(x)),
                                                             ix.novel("대통령 임기"), ix.lang_gap("대통령 임기")))
    assert got.support[0].score == pytest.approx(ranker.proba(x).max())


def _with_refusal(features, coef, count_gate=True):
    """The shipped ranker with a small refusal model over `features` (standardised as identity)."""
    base = R.default_ranker()
    refusal = {"features": list(features), "coef": list(coef), "intercept": 0.0, "mean": [0.0] * len(features),
               "scale": [1.0] * len(features), "count_gate": count_gate}
    return R.Ranker(base.coef, base.intercept, base.mean, base.scale, base.answer, 0.5, 0.4, refusal)


def test_refusal_features_are_the_best_units_logit_margin_hand_score_coverage_and_own_features():
    x = np.zeros((3, len(R.FEATURES)), np.float32)
    x[1, R.FEATURES.index("unit_cover")] = 0.75
    x[1, R.FEATURES.index("nouns_missing_doc")] = 2.0
    f = R.refusal_features(np.array([0.5, 2.0, -1.0], np.float32), x, 0.9, 0.8)
    assert len(f) == len(R.REFUSAL_FEATURES)
    assert f[:5].tolist() == pytest.approx([2.0, 1.5, 0.9, 0.75, 0.8])
    assert f[5:5 + len(R.FEATURES)].tolist() == x[1].tolist()  # the best unit's own features (x_…)
    # how far it stands out among the units: z-scores of its logit, e5 cosine and BM25 (all cosines equal here: 0)
    z = np.array([0.5, 2.0, -1.0])
    standout = [R.REFUSAL_FEATURES.index(f) for f in R.STANDOUT]
    assert f[standout].tolist() == pytest.approx([(2.0 - z.mean()) / z.std(), 0.0, 0.0])
    novel, lang = R.REFUSAL_FEATURES.index("novel_sim"), R.REFUSAL_FEATURES.index("lang_gap")
    assert f[novel] == 1.0 and f[lang] == 0.0
    g = R.refusal_features(np.array([0.5, 2.0, -1.0], np.float32), x, 0.9, 0.8, 0.3, 0.9)
    assert g[novel] == pytest.approx(0.3) and g[lang] == pytest.approx(0.9)
    assert f[R.REFUSAL_FEATURES.index("x_nouns_missing_doc")] == 2.0
    assert R.refusal_features(np.zeros(0, np.float32), x[:0], 0.9, 0.8).tolist() == [0.0] * len(R.REFUSAL_FEATURES)


def test_lang_gap_is_how_far_the_questions_script_is_from_the_documents():
    """Round 8: an English question on a Korean document (or the reverse) is told apart from one in the document's
    own script, whatever it asks; mixed text sits between."""
    korean = R.hangul_share("대통령의 임기는 5년으로 하며, 중임할 수 없다.")
    assert korean == 1.0 and R.hangul_share("The model uses AdamW.") == 0.0 and R.hangul_share("2026 ...") == 0.5
    assert R.language_gap("대통령 임기는 몇 년?", korean) == 0.0
    assert R.language_gap("How long is the president's term?", korean) == 1.0
    assert 0.0 < R.language_gap("learning rate 몇으로 해요?", korean) < 1.0
    # the refusal model reads it: with a weight on lang_gap alone the same best unit is judged otherwise
    x = np.zeros((2, len(R.FEATURES)), np.float32)
    ranker = _with_refusal(["lang_gap"], [-10.0])
    ranker.refusal["intercept"] = 5.0
    assert ranker.answerable(x, lang_gap=0.0) > 0.5 > ranker.answerable(x, lang_gap=1.0)


def test_a_small_refusal_model_decides_answerability_and_a_missing_count_refuses():
    x = np.zeros((2, len(R.FEATURES)), np.float32)
    ranker = _with_refusal(["hand"], [10.0])
    low, high = ranker.answerable(x, hand=-0.2), ranker.answerable(x, hand=0.3)
    assert low < 0.5 < high  # monotone in the hand-made score of the best unit
    assert ranker.answerable(x, hand=0.3, count_ok=False) == 0.0  # "how many" asked, no count in the unit
    assert _with_refusal(["hand"], [10.0], count_gate=False).answerable(x, hand=0.3, count_ok=False) == high
    assert _with_refusal(["hand_best"], [10.0]).answerable(x, hand=-5.0, hand_best=0.3) == pytest.approx(high)


def test_a_ranker_with_an_unknown_refusal_feature_is_refused(tmp_path):
    data = json.loads(R.RANKER.read_text(encoding="utf-8"))
    data["refusal"] = {"features": ["made_up"], "coef": [1.0], "intercept": 0.0, "mean": [0.0], "scale": [1.0]}
    (tmp_path / "r.json").write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValueError, match="refusal feature"):
        R.Ranker.load(tmp_path / "r.json")


def test_the_chain_refuses_by_the_hand_score_of_the_learned_units_choice(law):
    store, e5 = law
    ranker = _with_refusal(["hand"], [20.0])  # answer when e5 cosine + coverage of the chosen unit > 0
    ix = rag._index(store.get("law__e5", e5), e5)
    question = "대통령 임기"
    q = rag._query_vector(e5, question)
    got = rag.chain(store, "law__e5", e5, k=2, ranker=ranker).invoke(question)
    assert not got.empty and "5년" in rag.extractive(got).text
    hand, count_ok, hand_best = ix.hand_view(question, q, ranker.proba(ix.features(question, q)))
    assert hand == pytest.approx(rag.confidence(question, got.support[0])) and count_ok
    # the hand-made rule's own choice among all units (k=4: every chunk)
    assert hand_best == pytest.approx(rag.chain(store, "law__e5", e5, k=4, min_support=-1).invoke(question).confidence)
    assert got.confidence == pytest.approx(ranker.answerable(ix.features(question, q), hand, count_ok, hand_best,
                                                             ix.novel(question), ix.lang_gap(question)))
    # the same hand score against a threshold above it: "I don't know"
    strict = _with_refusal(["hand"], [20.0])
    strict.refusal["intercept"] = -20.0 * (hand + 0.01)
    assert rag.chain(store, "law__e5", e5, k=2, ranker=strict).invoke(question).empty


def _list_index(texts, blocks, heads, owner, kinds, answers=None):
    """What core.rag.widen reads of an index: its units' texts, the answers shown (the texts without an FAQ
    question), blocks, context lengths, chunks, kinds, spans."""
    from types import SimpleNamespace

    return SimpleNamespace(sentences=texts, answers=answers or texts, blocks=blocks, heads=heads,
                           owner=np.array(owner), kinds=kinds, spans=[(f"- {t[h:]}",) for t, h in zip(texts, heads)])


def test_an_faq_answer_is_shown_without_its_question_line():
    """Round 8: the question line titles an FAQ answer for ranking, but the answer shown is the answer's own text, so
    its second sentence fits beside it (two sentences at most)."""
    from core.answer_units import units

    text = "**Q: Can my quota be raised temporarily?**\nA: Yes, for deadlines. Ask an admin two days ahead.\n"
    us = units(text)
    assert us[0].text.startswith("Q: Can my quota be raised temporarily?")  # ranked with its question
    answers = [u.text[u.title:] for u in us]
    assert answers == ["Yes, for deadlines.", "Ask an admin two days ahead."]
    ix = _list_index([u.text for u in us], [-1, -1], [0, 0], [0, 0], [u.kind for u in us], answers)
    assert rag.widen(ix, 0, np.array([0.9, 0.5]), 0.25, adjacent=0.15)[0] == \
        "Yes, for deadlines. Ask an admin two days ahead."


def test_widen_takes_the_adjacent_items_of_the_same_list_that_score_high_and_stays_short():
    texts = ["하이퍼파라미터: optimizer AdamW", "하이퍼파라미터: learning rate 3e-4", "하이퍼파라미터: batch 64",
             "다른 목록: epochs 30", "그냥 문장입니다."]
    heads = [len("하이퍼파라미터: ")] * 3 + [len("다른 목록: "), 0]
    ix = _list_index(texts, [0, 0, 0, 1, -1], heads, [0, 0, 0, 0, 0], ["item"] * 4 + ["sentence"])
    p = np.array([0.8, 0.6, 0.05, 0.7, 0.9])
    text, spans = rag.widen(ix, 0, p, 0.25)
    assert text == "하이퍼파라미터: optimizer AdamW; learning rate 3e-4"  # batch scores low; the next list is another
    assert spans == ("- optimizer AdamW", "- learning rate 3e-4")
    assert rag.widen(ix, 0, p, 0.9)[0] == texts[0]  # no neighbour close enough: the unit alone
    assert rag.widen(ix, 4, p, 0.01) == (texts[4], ("- 그냥 문장입니다.",))  # not a list member
    assert rag.widen(ix, 0, np.ones(5), 0.25, max_len=44)[0] == "하이퍼파라미터: optimizer AdamW; learning rate 3e-4"
    assert rag.widen(ix, 0, np.ones(5), 0.25, max_len=20)[0] == texts[0]  # longer than the limit: not widened
    assert rag.widen(ix, 0, np.ones(5), None)[0] == texts[0]  # no ratio: a list item stays alone
    # rows of a table are joined by " / " after their shared header context
    rows = _list_index(["일정: 요일: 목; 장소: 407호", "일정: 요일: 금; 장소: 312호"], [0, 0], [4, 4], [0, 0],
                       ["row", "row"])
    assert rag.widen(rows, 1, np.array([0.5, 0.6]), 0.25)[0] == "일정: 요일: 목; 장소: 407호 / 요일: 금; 장소: 312호"
    # the same block number in another chunk is another list
    other = _list_index(texts[:2], [0, 0], heads[:2], [0, 1], ["item", "item"])
    assert rag.widen(other, 0, np.array([0.8, 0.8]), 0.25)[0] == texts[0]


def test_a_sentence_takes_the_next_clause_of_its_chunk_when_it_scores_high_and_stays_two_sentences():
    """Round 6 (ranker field "adjacent"): a unit of no list or table takes the one unit next to it in its chunk."""
    texts = ["제31조 ② 모든 국민은 그 보호하는 자녀에게 초등교육을 받게 할 의무를 진다.", "③ 의무교육은 무상으로 한다.",
             "④ 교육의 자주성은 보장된다.", "- 목록 항목", "제32조 ① 모든 국민은 근로의 권리를 가진다."]
    ix = _list_index(texts, [-1, -1, -1, 0, -1], [0] * 5, [0, 0, 0, 0, 1], ["sentence"] * 3 + ["item", "sentence"])
    ix.spans = [(t,) for t in texts]
    p = np.array([0.8, 0.5, 0.3, 0.9, 0.9])
    text, spans = rag.widen(ix, 0, p, 0.25, adjacent=0.5)
    # the next clause, without its ③ mark; the extractive answer drops the article's heading and ② (rag.shown)
    assert rag.shown(text) == ("모든 국민은 그 보호하는 자녀에게 초등교육을 받게 할 의무를 진다. "
                               "의무교육은 무상으로 한다.")
    assert spans == (texts[0], texts[1])
    assert rag.widen(ix, 0, p, 0.25)[0] == texts[0]  # adjacent off: the unit alone, as before round 6
    assert rag.widen(ix, 0, p, 0.25, adjacent=0.7)[0] == texts[0]  # the next clause scores too low
    # of the two neighbours the higher one; never a list item, never another chunk (article)
    assert rag.widen(ix, 1, np.array([0.3, 0.8, 0.5, 0.9, 0.9]), 0.25, adjacent=0.5)[1] == (texts[1], texts[2])
    assert rag.widen(ix, 2, np.array([0.1, 0.1, 0.8, 0.9, 0.9]), 0.25, adjacent=0.5)[0] == texts[2]
    assert rag.widen(ix, 4, np.ones(5), 0.25, adjacent=0.1)[0] == texts[4]
    # longer than the limit, or more than two sentences together: the unit alone
    assert rag.widen(ix, 0, p, 0.25, max_len=50, adjacent=0.5)[0] == texts[0]
    ix.sentences = ix.answers = ["첫 문장입니다. 둘째 문장입니다.", "셋째 문장입니다.", "넷째.", "- 항목", "끝."]
    assert rag.widen(ix, 0, np.ones(5), 0.25, adjacent=0.5)[0] == ix.sentences[0]
    assert rag.sentence_count("A: Yes. Post it [1].") == 2


def test_the_chain_shows_and_highlights_the_next_clause_with_a_ranker_that_takes_it(law):
    from dataclasses import replace

    store, e5 = law
    article = "제31조 ② 모든 국민은 그 보호하는 자녀에게 초등교육을 받게 할 의무를 진다. ③ 의무교육은 무상으로 한다."
    store.build("edu__e5", [D.Chunk(article, "law.txt", 0)], e5)
    base = R.default_ranker()
    question = "의무교육은 돈을 내야 하나요?"
    alone = rag.chain(store, "edu__e5", e5, k=1, min_support=-1, ranker=replace(base, adjacent=None)).invoke(question)
    both = rag.chain(store, "edu__e5", e5, k=1, min_support=-1, ranker=replace(base, adjacent=0.0)).invoke(question)
    assert rag.sentence_count(rag.extractive(alone).text) == 1
    answer = rag.extractive(both)
    assert answer.text == ("모든 국민은 그 보호하는 자녀에게 초등교육을 받게 할 의무를 진다. "
                           "의무교육은 무상으로 한다. [1]")
    assert both.sentences_of(1) == ["제31조 ② 모든 국민은 그 보호하는 자녀에게 초등교육을 받게 할 의무를 진다.",
                                    "③ 의무교육은 무상으로 한다."]


def test_a_question_whose_answer_is_removed_becomes_a_near_topic_unanswerable(tmp_path):
    """core.rag_rank.near_topic (the refusal model's made-up unanswerables): the same question on the document
    without the unit that answers it keeps the rest of the topic, and the shipped rule is less sure of it."""
    from core.assets import Registry
    from core.config import Settings
    from core.embeddings import make_embedder

    e5 = make_embedder("e5", Registry(Settings.load().cache_dir))
    store = VDB.VectorStore(tmp_path)
    text = "## 대통령\n- 대통령의 임기는 5년으로 한다.\n\n대통령은 국가의 원수이며, 외국에 대하여 국가를 대표한다."
    others = [D.Chunk(t, "law.txt", i + 1) for i, t in enumerate(CHUNKS) if "5년" not in t]
    store.build("t__e5", [D.Chunk(text, "t.md", 0)] + others, e5)
    ix = rag._index(store.get("t__e5", e5), e5)
    question = "대통령 임기는 몇 년이에요?"
    q = rag._query_vector(e5, question)
    answer = [i for i, s in enumerate(ix.sentences) if "5년" in s]
    assert len(answer) == 1
    x, hand, hand_best, count_ok, novel = R.near_topic(ix, question, q, set(answer))
    assert x.shape == (len(ix.sentences) - len(answer), len(R.FEATURES)) and len(hand) == len(count_ok) == len(x)
    left = [s for i, s in enumerate(ix.sentences) if i not in answer]
    assert list(count_ok) == ["4년" in s for s in left]  # only the 국회의원 unit left holds a number of years
    assert any("원수" in s for s in left)  # the rest of the topic stays
    ranker = R.default_ranker()
    full = ix.features(question, q)
    p_full = ranker.answerable(full, *ix.hand_view(question, q, ranker.proba(full)), ix.novel(question),
                               ix.lang_gap(question))
    top = int(np.argmax(ranker.proba(x)))
    p_near = ranker.answerable(x, float(hand[top]), bool(count_ok[top]), hand_best, novel)
    assert p_near < p_full and p_near < ranker.threshold <= p_full


def test_novel_similarity_is_the_closest_unit_to_the_least_known_missing_noun():
    """novel_sim: a noun of the question that the document never uses, embedded alone, against every unit."""
    units = np.array([[1.0, 0.0], [0.0, 1.0]], np.float32)
    vectors = {"연봉": np.array([0.6, 0.8], np.float32), "노조": np.array([1.0, 0.0], np.float32)}
    vocabulary = {"대통령", "임기"}
    assert R.novel_similarity("대통령 임기는?", vocabulary, vectors.get, units) == 1.0  # every noun occurs
    assert R.novel_similarity("대통령 연봉은?", vocabulary, vectors.get, units) == pytest.approx(0.8)
    assert R.novel_similarity("노조 연봉", vocabulary, vectors.get, units) == pytest.approx(0.8)  # the lowest
