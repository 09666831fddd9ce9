"""LLM-as-judge: parsing, agreement with a ground truth, and the position-swap and length-bias measurements.

Two rule-following judges (Provider-shaped, answering from the prompt they are sent) show that the measurements
tell a biased judge from a fair one; the real local model then runs the same measurement end to end."""
import re

import pytest

from core import judge as J
from core import sql_eval as S


class _Scripted:
    """A Provider whose answer is decide(prompt text): a judge with a known behaviour."""
    name, id = "scripted", "scripted:test"

    def __init__(self, decide):
        self.decide, self.prompts = decide, []

    def models(self):
        return ["scripted"]

    def stream(self, messages, temperature=0.7, top_p=0.95, max_tokens=256, seed=None, stop_event=None):
        text = messages[-1]["content"]
        self.prompts.append(text)
        yield self.decide(text)


def _first_slot(text):
    return "A" if "답변 A" in text else '{"correctness": 5, "grounding": 5, "fluency": 5, "reasons": "좋음"}'


def _reads_the_reference(text):
    """Picks the answer whose result equals the reference result; rubric: 5 when it matches, else 1."""
    ref = re.search(r"정답 결과: (.*)", text).group(1)
    results = re.findall(r"결과: (.*)", text.split("참고 자료:", 1)[1].split("\n", 2)[-1])
    if "답변 A" in text:
        a, b = (r == ref for r in results[:2])
        return "tie" if a == b else "A" if a else "B"
    ok = results[0] == ref
    return f'{{"correctness": {5 if ok else 1}, "grounding": 4, "fluency": 4, "reasons": "비교함"}}'


def _likes_length(text):
    if "답변 A" not in text:  # rubric: more words, more points
        return f'{{"correctness": {min(5, 1 + len(text) // 250)}, "grounding": 3, "fluency": 3, "reasons": "길다"}}'
    parts = re.split(r"답변 [AB]:\n", text)
    return "A" if len(parts[1]) > len(parts[2]) else "B"


@pytest.fixture(scope="module")
def pairs(tmp_path_factory):
    db = S.database(tmp_path_factory.mktemp("sql"))
    return J.labelled_pairs(db, S.load_questions(), 6)


def test_labelled_pairs_are_real_answers_with_different_results(pairs):
    assert len(pairs) == 6
    for p in pairs:
        assert p.better != p.worse and p.better.startswith("SQL: SELECT") and "정답 결과:" in p.context
        assert p.better.split("결과: ", 1)[1] == p.context.split("정답 결과: ", 1)[1]


def test_position_swap_exposes_a_judge_that_always_picks_a(pairs):
    biased = _Scripted(_first_slot)
    rows = list(J.position_swap(biased, pairs))
    assert len(biased.prompts) == 2 * len(pairs)
    first, second = biased.prompts[0], biased.prompts[1]  # the same pair, the answers swapped
    assert first.index(pairs[0].better) < first.index(pairs[0].worse)
    assert second.index(pairs[0].worse) < second.index(pairs[0].better)
    s = J.position_summary(rows)
    assert s == {"n": 6, "consistent": 0.0, "first_slot": 1.0, "correct_when_first": 1.0, "correct_when_second": 0.0}


def test_position_swap_finds_no_bias_in_a_judge_that_reads_the_answers(pairs):
    s = J.position_summary(list(J.position_swap(_Scripted(_reads_the_reference), pairs)))
    assert s["consistent"] == 1.0 and s["first_slot"] == 0.5
    assert s["correct_when_first"] == s["correct_when_second"] == 1.0


def test_length_probe_separates_a_length_loving_judge_from_a_fair_one(pairs):
    items = [J.Item(p.question, p.context, p.better, True) for p in pairs[:3]]
    loving = J.length_summary(list(J.length_probe(_Scripted(_likes_length), items)))
    assert loving["decided"] == 6 and loving["padded_wins"] == 1.0 and loving["score_delta"] > 0
    fair = J.length_summary(list(J.length_probe(_Scripted(_reads_the_reference), items)))
    assert fair["decided"] == 0 and fair["score_delta"] == 0.0  # ties: padding changed nothing


def test_agreement_with_execution_accuracy(pairs):
    items = [J.Item(p.question, p.context, p.better, True) for p in pairs] + \
            [J.Item(p.question, p.context, p.worse, False) for p in pairs]
    rows = list(J.judge_items(_Scripted(_reads_the_reference), items))
    a = J.agreement([r["pass"] for r in rows], [i.truth for i in items])
    assert a["accuracy"] == 1.0 and a["kappa"] == 1.0 and (a["tp"], a["tn"]) == (6, 6)
    always = J.agreement([True] * 12, [i.truth for i in items])  # a judge that passes everything
    assert always["accuracy"] == 0.5 and always["kappa"] == 0.0 and always["fp"] == 6


def test_parsing_scores_and_choices():
    s = J.parse_scores('평가: {"correctness": 4, "grounding": 5, "fluency": 3, "reasons": "대체로 맞음"} 끝')
    assert (s.correctness, s.grounding, s.fluency, s.reasons, s.ok) == (4, 5, 3, "대체로 맞음", True)
    s = J.parse_scores("correctness: 2\ngrounding - 3\nfluency: 9")
    assert (s.correctness, s.grounding, s.fluency, s.ok) == (2, 3, None, False)
    assert not J.parse_scores("모르겠어요").ok
    assert [J.parse_choice(t) for t in ("A", " B입니다", "tie", "동점", "답변 A가 낫다", "???")] == \
        ["A", "B", "tie", "tie", "A", None]


def test_local_model_runs_the_position_swap(pairs):
    """The real 135M local model as the judge: every judgement is asked and the summary is a measured rate."""
    from core.assets import Registry
    from core.config import Settings
    from core.llm.local import LocalProvider, load_local

    cfg = Settings.load()
    lm, tok = load_local("smollm2-135m", Registry(cfg.cache_dir), cfg.cache_dir)
    rows = list(J.position_swap(LocalProvider("smollm2-135m", lm, tok), pairs[:2]))
    s = J.position_summary(rows)
    assert s["n"] == 2 and 0.0 <= s["first_slot"] <= 1.0 and 0.0 <= s["consistent"] <= 1.0
    assert all(r["better_first"] in ("A", "B", "tie", None) for r in rows)
