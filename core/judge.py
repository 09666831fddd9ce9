"""LLM-as-judge: a rubric prompt (correctness, grounding, fluency; 1–5 each with reasons), a pairwise prompt, and
measurements of how far a judge can be trusted: agreement with a ground truth (execution accuracy of the SQL task)
and two classic biases, position (A/B swapped) and length (the same answer padded with words that add nothing).

Any core.llm Provider can judge. Nothing here knows the items: the biases are measured by running the same
judgement twice with one thing changed.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from core.llm.base import complete

CRITERIA = ("correctness", "grounding", "fluency")
RUBRIC = """당신은 공정하고 엄격한 평가자입니다. 질문, 참고 자료, 답변을 읽고 답변을 세 기준으로 1~5점 평가하세요.
- correctness: 답이 질문에 맞고 참고 자료와 일치하는가 (5: 완전히 맞음, 1: 틀림)
- grounding: 참고 자료에 근거하는가, 없는 내용을 지어내지 않았는가
- fluency: 읽기 쉽고 자연스러운가
길이가 길다고 점수를 더 주지 마세요. 다른 말 없이 JSON 한 줄로만 답하세요:
{"correctness": 점수, "grounding": 점수, "fluency": 점수, "reasons": "짧은 이유"}"""
PAIRWISE = """당신은 공정한 평가자입니다. 질문과 참고 자료를 보고 두 답변 A와 B 중 질문에 더 정확하게 답한 것을
고르세요. 순서나 길이에 끌리지 마세요. 다른 말 없이 A, B 또는 tie 중 하나만 쓰세요."""
# Words that add length and no content: the length-bias probe appends them to an answer.
PADDING = ("\n\n덧붙여 설명드리면, 위 답변은 질문의 의도와 주어진 자료를 처음부터 끝까지 꼼꼼하게 검토한 뒤 "
           "여러 관점에서 다시 확인하여 작성한 것입니다. 가능한 한 정확하고 친절하게, 빠짐없이 설명하고자 "
           "노력했으며, 추가로 궁금한 점이 있으면 언제든지 다시 질문해 주시면 성심껏 자세히 답변드리겠습니다.")


@dataclass
class JudgeScore:
    correctness: int | None
    grounding: int | None
    fluency: int | None
    reasons: str
    raw: str

    @property
    def ok(self) -> bool:
        return None not in (self.correctness, self.grounding, self.fluency)


@dataclass(frozen=True)
class Item:
    """One thing to judge: question, the context the answer should rest on, the answer; truth when known."""
    question: str
    context: str
    answer: str
    truth: bool | None = None


@dataclass(frozen=True)
class Pair:
    """Two answers to one question, the first known to be the better one."""
    question: str
    context: str
    better: str
    worse: str


def _clamp(value) -> int | None:
    try:
        n = int(round(float(value)))
    except (TypeError, ValueError):
        return None
    return n if 1 <= n <= 5 else None


def parse_scores(text: str) -> JudgeScore:
    """The judge's JSON, or failing that 'correctness: 4'-style pairs; a score outside 1–5 counts as missing."""
    found: dict = {}
    for m in re.finditer(r"\{.*?\}", text, re.S):
        try:
            found = json.loads(m.group(0))
            break
        except ValueError:
            continue
    scores = {}
    for name in CRITERIA:
        value = found.get(name) if isinstance(found, dict) else None
        if value is None:
            m = re.search(rf"{name}\W{{0,4}}(\d)", text, re.I)
            value = m.group(1) if m else None
        scores[name] = _clamp(value)
    reasons = str(found.get("reasons", "")) if isinstance(found, dict) else ""
    return JudgeScore(scores["correctness"], scores["grounding"], scores["fluency"], reasons or text.strip()[:300],
                      text)


def parse_choice(text: str) -> str | None:
    """'A', 'B' or 'tie' from the judge's answer (the first one it names), None when it names none."""
    m = re.search(r"(?<![A-Za-z])(tie|A|B)(?![A-Za-z])|(동점|무승부)", text.strip(), re.I)
    if not m:
        return None
    word = (m.group(1) or "tie").lower()
    return "tie" if word == "tie" else word.upper()


def rubric_messages(item: Item) -> list[dict]:
    return [{"role": "system", "content": RUBRIC},
            {"role": "user", "content": f"질문: {item.question}\n\n참고 자료:\n{item.context}\n\n답변:\n{item.answer}"}]


def pair_messages(question: str, context: str, a: str, b: str) -> list[dict]:
    return [{"role": "system", "content": PAIRWISE},
            {"role": "user", "content": f"질문: {question}\n\n참고 자료:\n{context}\n\n답변 A:\n{a}\n\n답변 B:\n{b}"}]


def score(provider, item: Item, max_tokens: int = 160, stop_event=None) -> JudgeScore:
    return parse_scores(complete(provider, rubric_messages(item), temperature=0.0, max_tokens=max_tokens, seed=0,
                                 stop_event=stop_event))


def choose(provider, question: str, context: str, a: str, b: str, stop_event=None) -> str | None:
    return parse_choice(complete(provider, pair_messages(question, context, a, b), temperature=0.0, max_tokens=8,
                                 seed=0, stop_event=stop_event))


# ---------------------------------------------------------------- measurements

def agreement(judge_pass: list[bool], truth: list[bool]) -> dict:
    """How often the judge's verdict equals the ground truth, and Cohen's kappa (agreement beyond chance)."""
    from sklearn.metrics import cohen_kappa_score

    n = len(truth)
    if n == 0:
        return {"n": 0, "accuracy": 0.0, "kappa": 0.0, "tp": 0, "fp": 0, "fn": 0, "tn": 0}
    pairs = list(zip(judge_pass, truth))
    kappa = cohen_kappa_score(truth, judge_pass) if len(set(truth) | set(judge_pass)) > 1 else 1.0
    return {"n": n, "accuracy": sum(j == t for j, t in pairs) / n, "kappa": float(0.0 if kappa != kappa else kappa),
            "tp": sum(j and t for j, t in pairs), "fp": sum(j and not t for j, t in pairs),
            "fn": sum(t and not j for j, t in pairs), "tn": sum(not j and not t for j, t in pairs)}


def judge_items(provider, items: list[Item], pass_at: int = 4, stop_event=None) -> Iterator[dict]:
    """Rubric scores per item, with the verdict (correctness ≥ pass_at) beside the truth."""
    for item in items:
        if stop_event is not None and stop_event.is_set():
            return
        s = score(provider, item, stop_event=stop_event)
        yield {"item": item, "score": s, "pass": bool(s.correctness and s.correctness >= pass_at)}


def position_swap(provider, pairs: list[Pair], stop_event=None) -> Iterator[dict]:
    """Each pair judged twice: better answer shown first (as A), then second (as B). An unbiased judge's choice
    follows the answer, not the slot."""
    for p in pairs:
        if stop_event is not None and stop_event.is_set():
            return
        first = choose(provider, p.question, p.context, p.better, p.worse, stop_event)
        second = choose(provider, p.question, p.context, p.worse, p.better, stop_event)
        yield {"pair": p, "better_first": first, "better_second": second}


def position_summary(rows: list[dict]) -> dict:
    """consistent: the same answer wins in both orders (or tie twice); first_slot: share of decided choices that
    picked A (0.5 is unbiased); accuracy by slot: the better answer picked when it was A, when it was B."""
    n = len(rows)
    if n == 0:
        return {"n": 0, "consistent": 0.0, "first_slot": 0.0, "correct_when_first": 0.0, "correct_when_second": 0.0}
    consistent = sum((r["better_first"], r["better_second"]) in {("A", "B"), ("B", "A"), ("tie", "tie")}
                     for r in rows)
    decided = [c for r in rows for c in (r["better_first"], r["better_second"]) if c in ("A", "B")]
    return {"n": n, "consistent": consistent / n,
            "first_slot": decided.count("A") / len(decided) if decided else 0.0,
            "correct_when_first": sum(r["better_first"] == "A" for r in rows) / n,
            "correct_when_second": sum(r["better_second"] == "B" for r in rows) / n}


def length_probe(provider, items: list[Item], stop_event=None) -> Iterator[dict]:
    """Each answer against itself padded with PADDING, in both orders (so position cancels), plus both rubric
    scores. A judge without length bias ties them or splits evenly."""
    for item in items:
        if stop_event is not None and stop_event.is_set():
            return
        padded = item.answer + PADDING
        a = choose(provider, item.question, item.context, item.answer, padded, stop_event)
        b = choose(provider, item.question, item.context, padded, item.answer, stop_event)
        plain = score(provider, item, stop_event=stop_event)
        long = score(provider, Item(item.question, item.context, padded, item.truth), stop_event=stop_event)
        yield {"item": item, "plain_first": a, "padded_first": b, "plain": plain, "padded": long}


def length_summary(rows: list[dict]) -> dict:
    """padded_wins: share of decided choices that picked the padded copy (0.5 or ties: no length bias);
    score_delta: mean correctness of padded minus plain, over items where both parsed."""
    # plain_first: plain is A, padded is B; padded_first: padded is A, plain is B
    decided = [c == "B" for r in rows if (c := r["plain_first"]) in ("A", "B")] + \
              [c == "A" for r in rows if (c := r["padded_first"]) in ("A", "B")]
    both = [(r["plain"].correctness, r["padded"].correctness) for r in rows
            if r["plain"].correctness and r["padded"].correctness]
    return {"n": len(rows), "decided": len(decided),
            "padded_wins": sum(decided) / len(decided) if decided else 0.0,
            "score_delta": sum(b - a for a, b in both) / len(both) if both else 0.0}


# ---------------------------------------------------------------- SQL answers as judge items

def sql_answer(sql: str, outcome, max_rows: int = 8) -> str:
    """A model's SQL answer as text a judge reads: the query and the first rows it returned (or its error)."""
    if outcome.error:
        return f"SQL: {sql or '(없음)'}\n결과: 실행 실패 ({outcome.error})"
    rows = ", ".join(str(tuple(r)) for r in outcome.rows[:max_rows])
    more = f" … 외 {len(outcome.rows) - max_rows}행" if len(outcome.rows) > max_rows else ""
    return f"SQL: {sql}\n결과: {rows or '(빈 결과)'}{more}"


def reference(outcome, max_rows: int = 8) -> str:
    rows = ", ".join(str(tuple(r)) for r in outcome.rows[:max_rows])
    return f"정답 결과: {rows}" + (f" … 외 {len(outcome.rows) - max_rows}행" if len(outcome.rows) > max_rows else "")


def items_from_scored(scored: list, with_reference: bool = True, schema: str = "") -> list[Item]:
    """Judge items from core.sql_eval results; the truth is execution accuracy."""
    return [Item(s.question.question, reference(s.gold) if with_reference else schema, sql_answer(s.sql, s.pred),
                 s.exec_match) for s in scored]


def labelled_pairs(db: Path, questions: list, n: int, with_reference: bool = True, schema: str = "") -> list[Pair]:
    """Pairs with a known better answer, no model needed: the gold query's answer against the answer of the next
    question of the same kind (a real query, wrong for this question: its result differs)."""
    from core.sql_eval import run_sql

    pairs = []
    for i, q in enumerate(questions):
        if len(pairs) >= n:
            break
        gold = run_sql(db, q.gold_sql)
        for other in questions[i + 1:] + questions[:i]:
            if other.kind != q.kind:
                continue
            wrong = run_sql(db, other.gold_sql)
            if wrong.ok and sorted(map(repr, wrong.rows)) != sorted(map(repr, gold.rows)):
                ctx = reference(gold) if with_reference else schema
                pairs.append(Pair(q.question, ctx, sql_answer(q.gold_sql, gold), sql_answer(other.gold_sql, wrong)))
                break
    return pairs
