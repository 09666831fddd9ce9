"""The constrained agent step: a near-miss tool name maps to the real tool, the answer carries the tool's result
verbatim, a next call must build on the last result, and LocalBackend's batched, cached name scoring agrees with a
plain full forward pass of a real model (SmolLM2-135M) while every call it makes is a valid tool with exactly the
schema's keys."""
import ast
import datetime as dt
import re

import pytest

from core import agent as A
from core import tools as T
from core.assets import Registry
from core.config import Settings

S = Settings.load()
DAY = dt.date(2026, 11, 25)


class Scripted:
    name = id = "scripted"

    def __init__(self, replies):
        self.replies = list(replies)

    def stream(self, messages, stop_event=None, **params):
        yield self.replies.pop(0) if self.replies else "Answer: done"


def run_text(replies, task):
    tools = T.make_tools(T.ToolContext(now=lambda: DAY))
    return list(A.run_agent(A.TextBackend(Scripted(replies), tools), tools, task, 4))


def test_near_miss_tool_name_maps_to_the_real_tool_and_a_far_one_is_rejected():
    steps = run_text(['<tool_call>{"name": "calculate", "arguments": {"expression": "123 * 45 + 6"}}</tool_call>',
                      "Answer: 5541"], "What is 123 * 45 + 6?")
    call = next(s for s in steps if s.kind == "call")
    assert call.tool == "calculator" and call.text == "calculate → calculator"
    assert [s.text for s in steps if s.kind == "observation"] == ["5541"]
    steps = run_text(['<tool_call>{"name": "weather", "arguments": {}}</tool_call>', "Answer: ?"], "Seoul weather")
    assert "unknown tool 'weather'" in next(s.text for s in steps if s.kind == "error")


def test_answer_carries_the_tool_result_verbatim_even_when_the_model_miscopies_it():
    steps = run_text(['<tool_call>{"name": "calculator", "arguments": {"expression": "123 * 45 + 6"}}</tool_call>',
                      "Answer: 123 * 45 + 6 = 569"], "What is 123 * 45 + 6?")
    answer = steps[-1]
    assert answer.kind == "answer" and answer.text == "123 * 45 + 6 = 569"  # the model's words stay its own
    assert (answer.tool, answer.source) == ("calculator", "5541")
    assert A.final_answer(steps) == "123 * 45 + 6 = 569\n[calculator] 5541"
    steps = run_text(['<tool_call>{"name": "convert_units", "arguments": {"value": 10, "from_unit": "mile", '
                      '"to_unit": "km"}}</tool_call>', "Answer: 10 mile = 16.09344 km"], "10 miles in km?")
    assert A.final_answer(steps) == "10 mile = 16.09344 km"  # already verbatim: not repeated


def test_a_retrieval_result_answers_with_its_sentence_never_its_snippets():
    assert A.tool_answer("search_docs", "LoRA freezes the weights [1]\n---\n[1] (notes.md) LoRA freezes ...") == \
        "LoRA freezes the weights [1]"
    assert A.tool_answer("constitution", "임기는 5년 [1].\n---\n[1] (헌법) ...") == "임기는 5년 [1]."


@pytest.mark.parametrize("obs,tool,args,chained", [
    ("10 mile = 16.09344 km", "calculator", {"expression": "16.09344 * 3"}, True),
    ("10 mile = 16.09344 km", "calculator", {"expression": "10 * 3"}, False),       # ignores the result
    ("5541", "calculator", {"expression": "5541"}, False),                          # restates it
    ("25 degC = 77 degF", "calculator", {"expression": "77 + 10"}, True),
    ("5 kg = 11.023113 lb", "convert_units", {"value": 11.023113, "from_unit": "lb", "to_unit": "oz"}, True),
    ("2027-03-05 (Friday)", "today", {"amount": 0}, False),
    ("2026-12-24 (Thursday)", "convert_units", {"value": 2026, "from_unit": "week", "to_unit": "week"}, False),
])
def test_builds_on(obs, tool, args, chained):
    assert A.builds_on("Convert 10 miles to km, then multiply by 3 (or 25 degC, 5 kg)", obs, tool, args) is chained


@pytest.fixture(scope="module")
def small():
    from core.llm.local import LocalProvider, load_local

    lm, tok = load_local("smollm2-135m", Registry(S.cache_dir), S.cache_dir, dtype="float32")
    return LocalProvider("smollm2-135m", lm, tok)


def test_batched_cached_name_scores_match_a_plain_forward_pass(small):
    import torch

    tools = T.make_tools(T.ToolContext(now=lambda: DAY))
    backend = A.make_backend(small, tools)
    assert isinstance(backend, A.LocalBackend)
    messages = backend.start("Convert 42.195 km to miles.")
    prompt = small.tok.apply_chat_template(messages, tools=backend.schemas, add_generation_prompt=True,
                                           tokenize=False) + A.OPENER
    backend._feed(small.tok("unrelated text first", add_special_tokens=False)["input_ids"])  # a stale cache
    name, probs = backend.choose(prompt, backend.names)
    reference = {}
    prefix = small.tok(prompt, add_special_tokens=False)["input_ids"]
    for n in backend.names:  # independent: one uncached forward over the whole text per candidate
        full = small.tok(prompt + n + '",', add_special_tokens=False)["input_ids"]
        with torch.no_grad():
            lp = small.lm(torch.tensor([full])).logits[0].log_softmax(-1)
        reference[n] = sum(lp[i - 1, full[i]].item() for i in range(len(prefix), len(full)))
    ref = torch.tensor(list(reference.values())).softmax(0).tolist()
    assert name == max(reference, key=reference.get)
    assert list(probs.values()) == pytest.approx(ref, abs=1e-3)


def test_local_backend_calls_only_valid_tools_with_the_schemas_keys(small):
    tools = T.make_tools(T.ToolContext(now=lambda: DAY))
    keys = {t.name: set(t.args_schema.model_json_schema()["properties"]) for t in tools}
    for task in ("What is 17 * 23?", "Convert 5 gallons to liters.", "What day of the week is it today?"):
        steps = list(A.run_agent(A.make_backend(small, tools), tools, task, 3))
        assert steps[-1].kind in ("answer", "limit") and max(s.n for s in steps) <= 3
        for s in steps:
            if s.kind == "call":
                assert s.tool in keys and set(s.args) == keys[s.tool], (task, s)
        for i, s in enumerate(steps):  # whatever the model says, an answer after a result starts from it
            if s.kind == "answer" and s.source:
                assert s.text.startswith(s.source), (task, s)
            if s.kind == "declined":  # a call that ignores the last result is not made: the agent answers
                assert steps[i + 1].kind == "answer" and not A.builds_on(task, steps[i - 2].text, s.tool, s.args)


def test_unused_numbers_are_the_tasks_numbers_no_call_spent():
    called = [{"role": "assistant", "tool_calls": [{"function": {"name": "convert_units", "arguments": {
        "value": 10, "from_unit": "mile", "to_unit": "km"}}}]}]
    assert A.unused_numbers("Convert 10 miles to km, then multiply the result by 3.", called) == ["3"]
    assert A.unused_numbers("A GPU costs 1,250,000 won; 7 of them?", []) == ["1250000", "7"]
    assert A.result_number("10 mile = 16.09344 km") == 16.09344


def test_numbers_are_digits_even_where_the_model_would_spell_them(small):
    """A model pushed towards the word 'four' still fills a number field with digits only."""
    backend = A.make_backend(small, T.make_tools())
    word = small.tok(" four", add_special_tokens=False)["input_ids"][0]

    def spelling(ids, **kw):  # the real model, with the word made by far its likeliest next token
        out = small.lm(ids, **kw)
        out.logits[..., word] += 30
        return out

    backend.lm = spelling
    text = 'Four weeks from now: {"weeks": '
    assert backend._until(text, None, (",", "}")).startswith(" four")  # the reference: left free, it spells
    assert backend._number(text, None, integer=True).isdigit()
    float(backend._number(text, None, integer=False))  # a number JSON and the schema check accept


@pytest.mark.parametrize("said,want", [("Gamma Ray", "gamma ray"), ("Alpha Wave", "alpha wave")])
def test_an_enum_value_is_chosen_among_the_allowed_ones(small, said, want):
    """The model only scores the schema's choices: what it would write ('Gamma Ray') maps to the allowed one."""
    backend = A.make_backend(small, T.make_tools())
    schema = {"function": {"parameters": {"properties": {"kind": {"type": "string", "enum": [
        "alpha wave", "beta decay", "gamma ray"]}}}}}
    head = f'The user picked "{said}". Call: {{"name": "pick", "arguments": '
    args, text = backend._arguments(head, schema, None)
    assert args == {"kind": want} and text.endswith(f'{{"kind": "{want}"')


def test_a_chained_calculation_starts_from_the_result_and_takes_an_unused_number(small):
    backend = A.make_backend(small, T.make_tools())
    head = ('Task: Convert 10 miles to km, then multiply the result by 3.\nResult: 10 mile = 16.09344 km\n'
            '<tool_call>{"name": "calculator", "arguments": ')
    for unused in (["3"], ["3", "7"]):
        expression = backend._chain(head, 16.09344, unused)
        first, op, operand = expression.split(" ")
        assert first == "16.09344" and op in "+-*/" and operand in unused, expression
        assert T.calculator(expression)  # a valid expression for the calculator


# ---- the task as the model reads it, and the tools' own constraints ------------------------------------------
@pytest.mark.parametrize("task,read", [
    ("세 과목 점수 87; 92; 78의 평균", "3 과목 점수 87; 92; 78의 평균"),   # a native numeral before a counter
    ("열두 명이 피자 네 판을 나눠 먹으면", "12 명이 피자 4 판을 나눠 먹으면"),
    ("Seven friends split 91 dollars", "7 friends split 91 dollars"),
    ("내일모레는 무슨 요일?", "2일 후는 무슨 요일?"),                       # read before 내일 and 모레 alone
    ("그저께 날짜", "2일 전 날짜"), ("글피", "3일 후"), ("어제", "1일 전"),
    ("What is the date the day after tomorrow?", "What is the date 2 days from today?"),
    ("2의 20제곱은?", "2 ** 20은?"), ("3847 나누기 17", "3847 / 17"), ("12 곱하기 3 더하기 4", "12 * 3 + 4"),
    ("5 squared plus 1", "5 ** 2 + 1"), ("What is 18% of 2500?", "What is 18 / 100 * 2500?"),
    ("2500의 18%는?", "2500 * 18 / 100는?"), ("A GPU costs 1,250,000 won", "A GPU costs 1250000 won"),
    ("세금은 얼마?", "세금은 얼마?"), ("네, 좋아요", "네, 좋아요"),           # not numerals
    ("30평은 몇 제곱미터?", "30평은 몇 제곱미터?"), ("which one is it", "which one is it"),
    ("(12.5 + 7.3) × 4 − 19", "(12.5 + 7.3) * 4 - 19"), ("84 ÷ 4", "84 / 4"), ("3x4, 2 · 5", "3 * 4, 2 * 5"),
    ("two to the power of twelve, minus one hundred", "2 ** 12 - 100"),             # compounds, a comma
    ("twenty-three plus one thousand two hundred and five", "23 + 1205"),
    ("seventy and eighty", "70 and 80"), ("someone often tense", "someone often tense"),  # no one number
    ("삼백사십오 곱하기 이십칠은?", "345 * 27은?"), ("삼 더하기 사", "3 + 4"),             # Sino-Korean numbers
    ("1,250,000원에서 5만원 쿠폰", "1250000원에서 50000원 쿠폰"), ("1억 2천만 원", "120000000 원"),
    ("삼십일 후", "30일 후"),                                                         # 일 the day counter
    ("이만큼 천천히, 오사카 사이", "이만큼 천천히, 오사카 사이"),                          # words, not numbers
    ("친구 셋이랑 87000원을 나누면", "친구 3이랑 87000원을 나누면"), ("리셋이 필요", "리셋이 필요"),
    ("열흘 뒤", "10일 뒤"), ("이틀 전", "2일 전"), ("보름 후", "15일 후"),                # native day counts
    # a percentage with a change word changes the number before it
    ("1,250,000원인데 20% 할인받고", "1250000 * (100 - 20) / 100원인데 할인받고"),
    ("The bill is 64 dollars; add a 15% tip.", "The bill is 64 * (100 + 15) / 100 dollars; add a tip."),
    ("3만원에 부가세 10%", "30000 * (100 + 10) / 100원에 부가세"), ("syntax 5 and 10%", "syntax 5 and 10%"),
])
def test_read_task_writes_number_words_relative_days_and_operators_as_symbols(task, read):
    assert A.read_task(task) == read


@pytest.mark.parametrize("text,value", [("삼백사십오", 345), ("이십칠", 27), ("5만", 50000), ("3천", 3000),
                                        ("2억", 200000000), ("1억 2천만", 120000000), ("만", 10000),
                                        ("천천", None), ("십백", None), ("이일", None), ("오사", None)])
def test_korean_numbers_read_their_scales(text, value):
    assert A.korean_number(text) == value


def test_relative_days_read_by_read_task_give_the_right_date():
    """End to end with the tool: the offset read_task writes is the one a calendar gives (independent check)."""
    for word, days in [("내일모레", 2), ("모레", 2), ("내일", 1), ("어제", -1), ("그제", -2), ("글피", 3),
                       ("열흘 후", 10), ("사흘 전", -3), ("이레 뒤", 7)]:
        amount, direction = A.read_task(word).replace("뒤", "후").split("일 ")
        got = T.today(int(amount), "days", "later" if direction == "후" else "ago", now=lambda: DAY)
        assert got.startswith((DAY + dt.timedelta(days=days)).isoformat()), word
    assert A.read_task("세 과목 평균, 내일", numbers=False) == "세 과목 평균, 1일 후"  # what the model is shown


@pytest.mark.parametrize("task,value,src,dst", [
    ("30평은 몇 제곱미터인가요?", 30, "pyeong", "m**2"),
    ("How many kilograms is 150 pounds?", 150, "lb", "kg"),
    ("화씨 98.6도는 섭씨 몇 도인가요?", 98.6, "degF", "degC"),
    ("100 km/h는 초속 몇 m/s인가요?", 100, "km/hour", "m/s"),       # 초속 is no 'second'; km/h is no 'km'
    ("A parcel of 1,250 grams: how many ounces?", 1250, "g", "oz"),
])
def test_unit_choices_take_the_unit_next_to_the_value_and_a_compatible_target(task, value, src, dst):
    assert T.unit_choices(task, "from_unit", {"value": value}) == [src]
    assert T.unit_choices(task, "to_unit", {"value": value, "from_unit": src}) == [dst]
    # a task naming no target: any unit of the same kind, never the source itself nor another kind
    anything = T.unit_choices("Convert 5 kg", "to_unit", {"value": 5, "from_unit": "kg"})
    assert "lb" in anything and "g" in anything and "kg" not in anything and "km" not in anything


def test_a_percentage_counts_as_used_when_written_as_a_fraction():
    called = [{"role": "assistant", "tool_calls": [{"function": {"name": "calculator", "arguments": {
        "expression": "0.18 * 2500"}}}]}]
    assert A.unused_numbers("What is 18% of 2500?", called) == []
    assert A.unused_numbers("What is 18% of 2500, plus 7?", called) == ["7"]


def _pushed(small, piece):
    """The real model with the first token of piece made by far its likeliest next token."""
    token = small.tok(piece, add_special_tokens=False)["input_ids"][0]

    def lm(ids, **kw):
        out = small.lm(ids, **kw)
        out.logits[..., token] += 30
        return out
    return lm


def test_an_expression_is_spelled_only_with_arithmetic_and_closes_balanced(small):
    backend = A.make_backend(small, T.make_tools())
    backend.lm = _pushed(small, " plus")
    text = 'Compute (15 + 27) * 3 - 8.\n{"expression": "'
    assert "plus" in backend._until(text, None, ('"',))  # the reference: left free, it writes the word
    alphabet = T.make_tools()[0].metadata["alphabet"]["expression"]
    expression = backend._spelled(text, None, alphabet)
    assert expression and set(expression) <= set(alphabet) and expression.count("(") == expression.count(")")
    float(T.calculator(expression))  # one whole expression the calculator accepts
    backend.lm = _pushed(small, "0")  # a model that would write numbers the task never had ('0.15')
    numbers = ["15", "27", "3", "8"]
    assert "0" in backend._spelled(text, None, alphabet)  # the reference: left free, it does
    expression = backend._spelled(text, None, alphabet, numbers)
    assert expression and set(re.findall(r"[\d.]+", expression)) <= set(numbers), expression
    float(T.calculator(expression))


def test_a_spelled_number_is_used_at_most_as_often_as_the_task_has_it():
    assert not A._literals_ok("87000 / 87000", ["87000", "3"], complete=True)   # a bill shared by 3: not by itself
    assert A._literals_ok("87000 / 3", ["87000", "3"], complete=True)
    assert A._literals_ok("1250000 * (100 - 20) / 100", ["1250000", "20", "100", "100"], complete=True)
    assert not A._literals_ok("87000 / 8", ["87000", "3"]) and A._literals_ok("87000 / 8", ["87000", "3", "87"])


def test_an_amount_shared_among_a_count_divides_the_larger(small):
    backend = A.make_backend(small, T.make_tools())
    backend.lm = _pushed(small, "3")  # a model that writes the count first
    task = "친구 3이랑 87000원을 똑같이 나누면 한 명당 얼마야?"
    text = f'Task: {task}\n{{"name": "calculator", "arguments": {{"expression": "'
    assert backend._expression(text, None, "0123456789.+-*/() ", task) == "87000 / 3"
    assert backend._expression(text, None, "0123456789.+-*/() ", "What is 3 divided into 87000?") == "3 / 87000"


def _after(backend, task, name, args, result):
    messages = backend.start(task)
    messages += [{"role": "assistant", "content": "", "tool_calls": [{"function": {"name": name, "arguments": args}}]},
                 {"role": "tool", "name": name, "content": result}]
    return backend.ask(messages)


def test_after_a_numeric_result_the_unused_task_numbers_are_chained_then_it_answers(small):
    tools = T.make_tools(T.ToolContext(now=lambda: DAY))
    backend = A.make_backend(small, tools)
    reply = _after(backend, "Compute (15 + 27) * 3 - 8.", "calculator", {"expression": "15 + 27"}, "42")
    first, op, operand = reply.calls[0].args["expression"].split(" ")
    assert reply.calls[0].name == "calculator" and first == "42" and op in "+-*/" and operand in ("3", "8")
    reply = _after(backend, "Compute 15 + 27.", "calculator", {"expression": "15 + 27"}, "42")
    assert not reply.calls and reply.answer.startswith("42")  # every number used: the result is the answer
    reply = _after(backend, "30평은 몇 제곱미터?", "convert_units",
                   {"value": 30, "from_unit": "pyeong", "to_unit": "m**2"}, "30 pyeong = 99.173554 m**2")
    assert not reply.calls and reply.answer.startswith("30 pyeong = 99.173554 m**2")


def test_the_first_call_is_among_the_hinted_tools_and_units_follow_the_task(small):
    tools = T.make_tools(T.ToolContext(now=lambda: DAY))
    backend = A.make_backend(small, tools)
    backend.lm = _pushed(small, "calculator")  # a model that would always calculate
    task = "What do the course notes say early stopping watches?"
    reply = backend.ask(backend.start(task))
    assert reply.calls[0].name == "search_docs" and reply.calls[0].args["query"] == task  # copied, not retyped
    backend.lm = small.lm
    schema = next(s for s in backend.schemas if s["function"]["name"] == "convert_units")
    task = "30평은 몇 제곱미터인가요?"
    args, _ = backend._arguments(f'Task: {task}\n{{"name": "convert_units", "arguments": ', schema, None, task=task)
    assert args == {"value": 30, "from_unit": "pyeong", "to_unit": "m**2"}


@pytest.mark.parametrize("task,expression", [
    ("Compute (15 + 27) * 3 - 8.", "(15 + 27) * 3 - 8"), ("2의 20제곱은?", "2 ** 20"), ("3847 나누기 17", "3847 / 17"),
    ("What is 18% of 2500?", "18 / 100 * 2500"), ("오늘은 2026-11-26, 3일 후는?", None),
    ("Convert 42.195 km to miles.", None),
])
def test_an_expression_the_task_writes_out_is_copied(task, expression):
    alphabet = T.make_tools()[0].metadata["alphabet"]["expression"]
    got = A.written(A.read_task(task), alphabet)
    assert got == expression
    if got:
        assert float(T.calculator(got)) == pytest.approx(eval(got))  # the copy evaluates as written


@pytest.mark.parametrize("task,ops", [
    ("25도를 화씨로 바꾼 다음 10을 더하면?", ["+"]), ("5 kg을 파운드로 바꾼 뒤 2를 곱하면?", ["*"]),
    ("4 명이 52000원을 똑같이 나누면?", ["/"]), ("Convert 10 miles to km, then multiply the result by 3.", ["*"]),
    ("What is the average of 10, 20 and 45?", ["+", "/"]), ("What is 18% of 2500?", ["+", "-", "*", "/"]),
    ("7 notebooks at 3450 won each, paid with 50000: my change?", ["-", "*"]), ("5만원 쿠폰을 쓰면", ["-"]),
])
def test_operations_are_the_ones_the_task_words_name(task, ops):
    assert A.operations(task) == ops


@pytest.mark.parametrize("task,expression,turned", [
    ("paid with a 50000 won bill for 7 at 3450 each", "7 * 3450 - 50000", "50000 - 7 * 3450"),
    ("paid 50000 for 7 at 3450 each", "50000 - 7 * 3450", "50000 - 7 * 3450"),     # already not negative
    ("3 minus 5 plus 1", "3 - 5 + 1", "3 - 5 + 1"),                                 # two top-level terms: as is
    ("영하 3도에서 15도 내려가면", "3 - 15", "3 - 15"),                              # the task allows negatives
    ("What is -5 and 2?", "2 - 5", "2 - 5"),
])
def test_a_difference_asked_in_words_is_turned_the_right_way_round(task, expression, turned):
    assert A.nonnegative(task, expression) == turned
    assert float(T.calculator(turned)) == pytest.approx(eval(turned))


def test_an_average_divides_the_last_sum_by_its_number_of_terms():
    def called(*expressions):
        return [{"role": "assistant", "tool_calls": [{"function": {"name": "calculator", "arguments": {
            "expression": e}}}]} for e in expressions]
    assert A.averaged_sum("What is the average of 10, 20 and 45?", called("10 + 20 + 45")) == 3
    assert A.averaged_sum("평균은?", called("(87 + 92 + 78 + 60)")) == 4
    assert A.averaged_sum("What is the average of 10, 20 and 45?", called("10 + 20 + 45", "75 / 3")) == 0  # done
    assert A.averaged_sum("What is the sum of 10, 20 and 45?", called("10 + 20 + 45")) == 0  # no average asked


def test_a_chained_step_uses_the_operator_the_task_names_and_an_average_divides(small):
    backend = A.make_backend(small, T.make_tools(T.ToolContext(now=lambda: DAY)))
    for said in (" -", " *"):  # a model that would rather subtract or multiply
        backend.lm = _pushed(small, said)
        reply = _after(backend, "25도(섭씨)를 화씨로 바꾼 다음 10을 더하면 얼마인가요?", "convert_units",
                       {"value": 25, "from_unit": "degC", "to_unit": "degF"}, "25 degC = 77 degF")
        assert reply.calls[0].args == {"expression": "77 + 10"}
    reply = _after(backend, "What is the average of 10, 20 and 45?", "calculator", {"expression": "10 + 20 + 45"},
                   "75")
    assert reply.calls[0].args == {"expression": "75 / 3"} and float(T.calculator("75 / 3")) == 25


@pytest.mark.parametrize("task,hinted", [
    ("How many kilograms is 150 pounds?", ["convert_units"]),    # a plain conversion: no calculator to recall 0.45
    ("30평은 몇 제곱미터인가요?", ["convert_units"]),                # 제곱미터 is a unit, not a power
    ("5 kg을 파운드로 바꾼 뒤 2를 곱하면 얼마인가요?", ["calculator", "convert_units"]),  # a conversion, then a product
    ("세 과목 점수 87; 92; 78의 평균을 계산해 주세요.", ["calculator"]),  # 평균 is no 평 (a unit)
    # numbers and no document named: a word problem for the calculator ('notebook' is no note, 'average' no RAG)
    ("I bought 7 notebooks at 3,450 won each and paid with 50,000 won.", ["calculator"]),
    ("노트북이 1,250,000원인데 20% 할인받고 5만원 쿠폰을 쓰면?", ["calculator"]),
    ("The average of 4 and 9 in the course notes' RNN example?", ["calculator", "search_docs"]),
    ("강의 노트에 GRU는 게이트가 몇 개라고 나와 있어?", ["search_docs"]),  # a look-up: 몇 개 is no calculation
    ("2 hours is how many minutes?", ["convert_units"]),  # two units and no keyword: still a conversion
    ("What day of the week will it be 3 days from today?", ["today"]),  # day/week: a date, not a conversion
])
def test_hints_leave_the_calculator_out_of_a_plain_conversion(task, hinted):
    names = [t.name for t in T.make_tools()] + ["search_docs", "constitution"]
    assert A.hint_tools(A.read_task(task), names) == hinted


def test_an_expression_uses_each_task_number_at_most_as_often_as_the_task_has_it():
    assert A._literals_ok("52000 / 4", ["4", "52000"], complete=True)
    assert not A._literals_ok("52000 / 52000", ["4", "52000"], complete=True)
    assert not A._literals_ok("2 * 2", ["2"]) and A._literals_ok("2 * 2", ["2", "2"])
    assert A._literals_ok("52000 / 5", ["52000", "4", "50"]) and not A._literals_ok("52000 / 7", ["52000", "4"])


@pytest.mark.parametrize("code, expression, value", [
    ("price_each = 2400 / 3\nanswer = price_each * 7", "2400 / 3 * 7", 5600),
    ("a = 1 + 2\nb = a * 3\nanswer = b - a", "(1 + 2) * 3 - (1 + 2)", 6),  # brackets where precedence needs them
    ("total = 78 + 85 + 91\ntotal / 3", "(78 + 85 + 91) / 3", 84.6666666667),  # a last bare expression answers
    ("x = 2 ** 10\nx = x + 1\ny = -x", "-(2 ** 10 + 1)", -1025),              # else the last one assigned
])
def test_a_straight_line_program_is_inlined_into_the_expression_it_computes(code, expression, value):
    assert ast.unparse(A.program_expression(code)) == expression
    assert float(T.calculator(expression)) == pytest.approx(value)


@pytest.mark.parametrize("code", [
    "answer = 3210",                        # a number alone: the model computed it in its head
    "import os\nanswer = 1 + 1",            # statements other than assignments
    "x = convert(3, 'km', 'mile') * 2",     # calls
    "answer = (1).__class__",               # attributes
    "answer = 'a' * 3",                     # strings
    "answer = y + 1",                       # an unknown name
    "answer = 7 // 2",                      # an operator the calculator does not have
    "answer = 1 +",                         # not Python
    "\n".join(f"a{i} = {i} + 1" for i in range(20)),  # longer than a short program
])
def test_anything_but_plain_arithmetic_is_no_program(code):
    assert A.program_expression(code) is None


def _planned(task, code):
    backend = A.LocalBackend.__new__(A.LocalBackend)  # only the plan's state: no model is needed to run one
    backend.reading, backend.choices = A.read_task(task), {t.name: (t.metadata or {}).get("choices")
                                                           for t in T.make_tools()}
    backend.plan, backend.pending = A.program_expression(code, calls=True), None
    return backend


def _run_plan(backend):
    tools = {t.name: t for t in T.make_tools()}
    calls, call = [], backend._next_planned()
    while call is not None:
        calls.append(call)
        obs, ok = A.execute(tools[call.name], call.args)
        assert ok, obs
        call = backend._next_planned(A.result_number(obs))
    return calls, backend.plan.value


def test_a_plan_is_computed_by_the_tools_innermost_first_with_the_units_held_to_the_task():
    task = "I ran 10 km this morning and 8 more tonight. How far is that in miles?"
    calls, value = _run_plan(_planned(task, "total = 10 + 8\nanswer = convert(total, 'km', 'mile')"))
    assert [(c.name, c.args) for c in calls] == [
        ("calculator", {"expression": "10 + 8"}),
        ("convert_units", {"value": 18.0, "from_unit": "km", "to_unit": "mile"})]
    assert value == pytest.approx(18 / 1.609344, rel=1e-6)
    # the model's units swapped ('mile' → 'km'): held to the task's, the unit next to the number first
    calls, value = _run_plan(_planned("30평은 몇 제곱미터이고 그 절반은?", "answer = convert(30, 'm**2', '평') / 2"))
    assert calls[0].args == {"value": 30, "from_unit": "pyeong", "to_unit": "m**2"}
    assert calls[1].name == "calculator" and value == pytest.approx(30 * 400 / 121 / 2, rel=1e-6)


def test_a_plan_without_conversions_is_one_calculator_call_and_a_negative_difference_turns():
    calls, value = _run_plan(_planned("7 notebooks at 3450 won each, paid with 50000. Change?",
                                      "cost = 7 * 3450\nanswer = cost - 50000"))
    assert [c.args["expression"] for c in calls] == ["50000 - 7 * 3450"] and value == 25850


def test_a_computed_value_keeps_the_programs_own_unit():
    calls, value = _run_plan(_planned("I ran 10 km and 8 more. How many miles?",
                                      "metres = (10 + 8) * 1000\nanswer = convert(metres, 'm', 'mile')"))
    assert calls[1].args == {"value": 18000.0, "from_unit": "m", "to_unit": "mile"}
    assert value == pytest.approx(18 / 1.609344, rel=1e-6)
