"""Round 7 of issue #34 (core.rag_rank.AGREEMENT): does the best unit hold the kind of fact the question asks for,
and does the document use the question's terms. A near-topic question on an upload ("강사 이름이 누구예요?" on a
syllabus that names no one) is answered by the closest unit unless the refusal model sees these."""
import numpy as np
import pytest

from core import documents as D
from core import rag
from core import rag_rank as R
from core import vectordb as VDB


@pytest.mark.parametrize("question,kind", [
    ("11월 특강 연사가 누구예요?", "person"), ("멘토는 누가 정하나요?", "person"),
    ("Who proposed the ADF test?", "person"),
    ("종강 파티는 어디서 해요?", "place"), ("Where is the lab?", "place"),
    ("중간고사는 언제야", "time"), ("What time does it start?", "time"),
    ("투표는 몇 살부터 할 수 있나요?", "number"), ("수강료 얼마야?", "number"), ("How many GPUs are there?", "number"),
    ("대통령의 임기는 무엇인가요?", None), ("What is dropout?", None), ("점심 식사는 제공돼?", None),
    ("최저임금 시간당 금액", None),
])
def test_the_interrogative_says_which_kind_of_fact_is_asked(question, kind):
    assert R.asked_type(question) == kind


@pytest.mark.parametrize("text,held,lacks", [
    ("국회의원의 임기는 4년으로 한다.", {"number", "time"}, {"person", "place"}),
    ("처음 한 달 동안은 선배 연구원 한 명이 멘토로 배정된다.", {"number"}, {"person"}),
    ("장소: B동 312호 세미나실", {"place", "number"}, set()),
    ("매주 금요일 오후에 모인다.", {"time"}, {"number"}),
    ("질문은 조교 박지훈에게 메일로 보낸다.", {"person"}, {"number", "time"}),
    ("The test was proposed by David Dickey.", {"person"}, {"number"}),
    ("외부 연사 초청 특강", set(), {"person", "place", "number", "time"}),
])
def test_a_unit_holds_the_kinds_of_fact_its_tokens_name(text, held, lacks):
    got = R.held_types(text)
    assert held <= got and not lacks & got


def test_agreement_sees_a_missing_kind_and_terms_the_document_or_the_chunk_lacks():
    vocab = set(R.tokens("국회의원의 임기는 4년으로 한다. 대통령의 임기는 5년으로 한다. 검찰총장은 대통령이 임명한다."))
    chunk = set(R.tokens("국회의원의 임기는 4년으로 한다."))
    # asks an amount; the unit holds a number but the document never says 연봉
    t, doc, ch = R.agreement("국회의원 연봉은 얼마예요?", "국회의원의 임기는 4년으로 한다.", vocab, chunk)
    assert t == 0.0 and doc == pytest.approx(1 / 3) and ch == 0.0  # 국회 + 의원 in, 연봉 out; 얼마 is no term
    # asks a person, the unit holds none; every term is in the document, 검찰총장's words not in the unit's chunk
    t, doc, ch = R.agreement("검찰총장 임기는 누가 정해요?", "국회의원의 임기는 4년으로 한다.", vocab, chunk)
    assert t == 1.0 and doc == 0.0 and 0 < ch < 1
    # English function words are not terms: an English question whose subject is in the document misses nothing
    assert R.agreement("What is the term of the president?", "x", {"term", "president"}, {"term"})[1:] == [0.0, 0.5]
    assert R.agreement("대통령 임기", "대통령의 임기는 5년으로 한다.", vocab, vocab) == [0.0, 0.0, 0.0]


def test_refusal_features_carry_the_agreement_before_novel_sim():
    x = np.zeros((2, len(R.FEATURES)), np.float32)
    f = R.refusal_features(np.array([0.1, 0.2], np.float32), x, 0.5, 0.5, 0.7, [1.0, 0.25, 0.5])
    assert [f[R.REFUSAL_FEATURES.index(a)] for a in R.AGREEMENT] == [1.0, 0.25, 0.5]
    assert f[-1] == pytest.approx(0.7)
    assert [R.refusal_features(np.array([0.1, 0.2], np.float32), x, 0.5, 0.5)[R.REFUSAL_FEATURES.index(a)]
            for a in R.AGREEMENT] == [0.0, 0.0, 0.0]


@pytest.fixture(scope="module")
def syllabus(tmp_path_factory):
    from core.assets import Registry
    from core.config import Settings
    from core.embeddings import make_embedder

    e5 = make_embedder("e5", Registry(Settings.load().cache_dir))
    store = VDB.VectorStore(tmp_path_factory.mktemp("agree"))
    text = ("# 딥러닝 특강 안내\n\n- 일정: 11월 7일(토) 오후 2시\n- 수강 인원: 한 반에 최대 24명\n"
            "- 준비물: 개인 노트북\n\n특강은 외부 연사를 초청해 진행합니다.\n")
    store.build("syl__e5", [D.Chunk(text, "syllabus.md", 0)], e5)
    return store, e5


def test_a_near_topic_question_asking_a_kind_of_fact_the_document_lacks_is_refused_by_the_mechanism(syllabus):
    """The same small refusal model (answer unless the best unit lacks the asked kind of fact): a question asking
    who gives the lecture is refused (no unit names a person), one asking how many may attend is answered."""
    store, e5 = syllabus
    base = R.default_ranker()
    refusal = {"features": ["type_missing"], "coef": [-10.0], "intercept": 5.0, "mean": [0.0], "scale": [1.0],
               "count_gate": False}
    ranker = R.Ranker(base.coef, base.intercept, base.mean, base.scale, base.answer, 0.5, 0.4, refusal,
                      base.widen, base.adjacent)
    chain = rag.chain(store, "syl__e5", e5, k=1, ranker=ranker)
    who = chain.invoke("특강 연사가 누구예요?")
    assert who.empty  # the closest unit ("외부 연사를 초청해") names no one
    many = chain.invoke("특강 수강 인원은 몇 명이에요?")
    assert not many.empty and "24명" in rag.extractive(many).text



def test_a_near_topic_question_asking_an_amount_the_document_never_names_is_refused_by_the_mechanism(syllabus):
    """A refusal model over terms_missing_doc alone: 수강료 (a fee) is nowhere in the syllabus, whose closest unit
    holds a number of something else (최대 24명); the question about what it does hold is answered."""
    store, e5 = syllabus
    base = R.default_ranker()
    refusal = {"features": ["terms_missing_doc"], "coef": [-20.0], "intercept": 5.0, "mean": [0.0], "scale": [1.0],
               "count_gate": False}
    ranker = R.Ranker(base.coef, base.intercept, base.mean, base.scale, base.answer, 0.5, 0.4, refusal,
                      base.widen, base.adjacent)
    chain = rag.chain(store, "syl__e5", e5, k=1, ranker=ranker)
    assert chain.invoke("특강 수강료는 얼마예요?").empty
    many = chain.invoke("특강 수강 인원은 몇 명이에요?")
    assert not many.empty and "24명" in rag.extractive(many).text
