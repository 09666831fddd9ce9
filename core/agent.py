"""A tool-using agent whose every step is visible, and a writer–critic pair taking turns.

    run_agent(backend, tools, task, max_steps, stop_event) -> Iterator[Step]
        thought → call (tool + arguments) → observation (or error) → ... → [declined call] answer | limit | stopped

A backend turns the conversation into one model reply (thought, tool calls or an answer):
    LocalBackend     an in-process model (the offline path), constrained: the task read by read_task (the model
                     sees 내일모레 as '2일 후'; the mechanisms also read '세 과목' as 3, '2의 20제곱' as '2 ** 20');
                     the tokenizer's own template with tools=, the tool-call opener prefilled, the first tool
                     scored among the hinted ones (calibrated against a content-free task); a word problem (the
                     calculator chosen and no expression written out, or a conversion with more numbers than the one
                     converted) first written by the model as a short program, computed by the tools: each
                     convert() innermost first, then the rest inlined into one calculator call; else the arguments
                     written value by value for the schema's keys (a closed-list value scored among the choices the tool
                     allows for the task, e.g. the unit next to the number; a number digits only; an expression
                     copied from the task or spelled only with arithmetic tokens); after a result the policy is
                     fixed: a numeric result with task numbers still unused goes on as a chained calculation
                     (operator and operand chosen by score), any other result is answered, the answer starting
                     with it verbatim
    TextBackend      any core.llm provider (e.g. the project's own server): tools described in the
                     system prompt in Qwen2.5's own format (<tools>, <tool_call>{json}</tool_call>), few-shot
                     turns, keyword hints; the reply is parsed leniently, a near-miss
                     enum value snapped to the closest allowed one, the arguments validated against the tool's
                     JSON schema; a malformed call becomes an error observation the model can correct, and a
                     next call must build on the last result, else the model answers.
    OpenAIBackend    native function calling (tools=, tool_calls) of OpenAI and servers that implement it
    GeminiBackend    native function calling of google-genai
Every model turn is one step; the last allowed turn is told to answer, so no run goes past the step limit.
"""
from __future__ import annotations

import difflib
import json
import re
import threading
import weakref
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterator

from core.errors import UserError
from core.tools import format_number

MAX_STEPS = 12
MAX_CALLS_PER_TURN = 2
# tools whose result is itself the answer: it goes verbatim next to the model's sentence, so a small model can't
# miscopy a number; a retrieval tool's answer is its part before the cited sources (its best sentence)
ANSWERING_TOOLS = {"calculator", "convert_units", "today", "constitution", "search_docs"}
NUMERIC_TOOLS = {"calculator", "convert_units"}  # whose result is one number a next calculation can build on


@dataclass
class Step:
    kind: str            # thought | program | call | observation | error | declined | answer | limit | stopped
    n: int               # the model turn it belongs to (1-based)
    text: str = ""
    tool: str | None = None
    args: dict | None = None
    source: str | None = None  # answer only: the tool result it rests on, verbatim (shown apart from the model's words)

    def shown(self) -> str:
        """The text as the user sees it: an answer carries its tool result verbatim, after the model's words
        unless they already start from it."""
        return f"{self.text}\n[{self.tool}] {self.source}" if self.source and self.source not in self.text \
            else self.text


@dataclass
class Call:
    name: str
    args: dict
    id: str = ""


@dataclass
class Reply:
    thought: str = ""
    program: str = ""  # the program the model wrote for the task, which the calls compute (LocalBackend)
    calls: list[Call] = field(default_factory=list)
    answer: str | None = None
    error: str | None = None  # a malformed call, fed back to the model as an observation
    declined: Call | None = None  # a call the model proposed that does not build on the last result
    raw: object = None        # what the backend needs to record the turn


def tool_schemas(tools) -> list[dict]:
    """OpenAI-format JSON schemas of LangChain tools (the same for every provider)."""
    from langchain_core.utils.function_calling import convert_to_openai_tool

    return [convert_to_openai_tool(t) for t in tools]


# ---- keyword hints: a small model picks the right tool far more often when told which one fits --------------
HINTS = {
    "calculator": r"\d\s*[-+*/^×÷x]\s*\d|계산|곱|나누|더하|빼|합|평균|퍼센트|%|제곱|sum|average|percent|multipl|divid|"
                  r"plus|minus|times|total|how much|how many|몇 개|얼마",
    "convert_units": r"km|mile|마일|킬로|kg|lb|파운드|°|섭씨|화씨|celsius|fahrenheit|inch|인치|피트|feet|foot|"
                     r"meter|metre|미터|gallon|갤런|liter|litre|리터|mph|km/h|\d\s*평|ounce|온스|pound|gram|yard|"
                     r"acre|hectare|convert|변환|환산",
    "today": r"today|\bdate\b|day of the week|weekday|오늘|날짜|요일|며칠|며칠 후|days from now|days ago|일 후|일 전|"
             r"tomorrow|yesterday|from now|\bago\b|next week|last week|내일|어제|모레|그제|다음 주|지난 주|주 후|주 전",
    # whole words: 'note' is no cue in 'notebook' (노트북), nor 'rag' in 'average'
    "search_docs": r"\b(?:notes?|course|q?lora|rag|cnn|rnn|lstm|gru|resnet|tensors?|embeddings?|vectors?|"
                   r"fine-tun\w*|serving|overfit\w*|dropout)\b|강의|노트(?!북)|자료|수업",
    "constitution": r"헌법|constitution|대통령|국회|법률|국민|기본권|선거|대법|president|national assembly|"
                    r"citizen|supreme court",
}


DOCUMENT_CUE = r"\bnotes?\b|course|lecture|강의|노트(?!북)|자료|수업|헌법|constitution"


def hint_tools(task: str, available: list[str]) -> list[str]:
    """The tools whose keywords the task has; the calculator, not a retrieval tool, for a task with numbers that
    names no document; only the retrieval tool for one that names a document and has no numbers; not the
    calculator for a plain conversion between two units the task names (measured: picked, it multiplied by a
    factor it had to recall)."""
    from core.tools import compatible, mentioned_units

    low = task.lower()
    names = [name for name, pattern in HINTS.items() if name in available and re.search(pattern, low)]
    retrieval = ("search_docs", "constitution")
    if len(task_numbers(task)) < 2 and re.search(DOCUMENT_CUE, low) and set(names) & set(retrieval):
        # a document named and nothing to compute: a look-up ('강의 노트에 게이트가 몇 개'), 몇 개 no calculation
        names = [n for n in names if n in retrieval]
    elif len(task_numbers(task)) >= 2 and not re.search(DOCUMENT_CUE, low):
        # numbers and no document named: a word problem ('7 notebooks at 3450 won each'), not a look-up
        names = [n for n in names if n not in retrieval]
        if "calculator" in available and not set(names) & {"calculator", "convert_units", "today"}:
            names.append("calculator")
    units = mentioned_units(task)
    conversion = len(units) == 2 and compatible(*units) and "today" not in names and not any(
        re.search(words, task, re.I) for words in OPERATION_WORDS.values())
    if conversion and "convert_units" in available:  # '2 hours is how many minutes?' names no keyword
        return [n for n in names if n != "calculator"] + ([] if "convert_units" in names else ["convert_units"])
    return names


# ---- the task as a small model reads it best: number words as digits, relative days as offsets ---------------
# a small model copies digits well but does not turn '세 과목' into 3 or '내일모레' into 2 days itself (measured:
# the average of three scores came out as their sum; 내일모레 as 0 days), so fixed tables rewrite them first
# native numerals: the forms before a counter (두, 세, 네) and the ones standing alone before a particle (둘, 셋, 넷)
KO_UNITS = {"두": 2, "세": 3, "네": 4, "둘": 2, "셋": 3, "넷": 4, "다섯": 5, "여섯": 6, "일곱": 7, "여덟": 8, "아홉": 9}
KO_TENS = {"열": 10, "스물": 20, "스무": 20}
# native numerals only count before a counter: '세 과목' is 3, but '세금' or '네, 좋아요' are not numbers; 'one'/'한'
# are left as words: mostly 'a' ('한 사람당', 'which one'), and a stray 1 would enter the calculation
KO_COUNTERS = ("개", "명", "번", "과목", "사람", "마리", "권", "장", "잔", "살", "시간", "달", "개월", "주", "주일",
               "해", "가지", "곳", "대", "병", "벌", "켤레", "그릇", "조각", "층", "줄", "쪽", "점", "회", "차례",
               "배", "수", "숫자", "값", "학생", "팀", "분", "일", "박스", "상자", "묶음", "봉지", "통", "판", "송이",
               "그루", "인분", "알", "컵", "캔", "접시", "바퀴", "단계", "원", "달러", "년", "퍼센트")
KO_PARTICLES = ("이서", "이랑", "이", "은", "는", "을", "를", "의", "에게", "에", "와", "과", "도", "으로", "로", "만",
                "하고", "가")
# Sino-Korean numerals (삼백사십오 = 345), and a scale after digits ('5만원' = 50000, '3천', '2억')
SINO_DIGITS = {"일": 1, "이": 2, "삼": 3, "사": 4, "오": 5, "육": 6, "칠": 7, "팔": 8, "구": 9}
SINO_SCALES = {"십": 10, "백": 100, "천": 1000, "만": 10 ** 4, "억": 10 ** 8}
KO_OPERATION_WORDS = r"곱하기|더하기|빼기|나누기"
EN_NUMBERS = {w: i for i, w in enumerate(
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen "
    "eighteen nineteen twenty".split(), 1)} | {"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
                                               "eighty": 80, "ninety": 90}
EN_SCALES = {"hundred": 100, "thousand": 1000, "million": 10 ** 6, "billion": 10 ** 9}
# longest first, so 내일모레 is read before 내일 and 그저께 before 그제; native day counts (열흘 = 10 days) as days
RELATIVE_DAYS = [("내일모레", "2일 후"), ("그저께", "2일 전"), ("그제", "2일 전"), ("모레", "2일 후"),
                 ("글피", "3일 후"), ("내일", "1일 후"), ("어제", "1일 전"),
                 ("여드레", "8일"), ("아흐레", "9일"), ("하루", "1일"), ("이틀", "2일"), ("사흘", "3일"),
                 ("나흘", "4일"), ("닷새", "5일"), ("엿새", "6일"), ("이레", "7일"), ("열흘", "10일"), ("보름", "15일"),
                 ("the day after tomorrow", "2 days from today"), ("the day before yesterday", "2 days ago"),
                 ("tomorrow", "1 day from today"),
                 ("yesterday", "1 day ago")]
# symbols first (× ÷ −, 'x' or '·' between numbers), then powers, so '5 squared plus 1' has a number before 'plus'
# when that is read; a comma may stand before a spelled operator ('2 ** 12, minus 100')
OPERATORS = [(r"×", "*"), (r"÷", "/"), (r"[−–]", "-"), (r"(?<=[\d)])\s*[x·]\s*(?=[\d(])", " * "),
             (r"(\d)\s*의\s*(\d+)\s*제곱(?!미터|센티|킬로|근)", r"\1 ** \2"),
             (r"(\d)\s*의\s*제곱(?!미터|센티|킬로|근)", r"\1 ** 2"), (r"(\d)\s*squared\b", r"\1 ** 2"),
             (r"(\d)\s*cubed\b", r"\1 ** 3"), (r"(\d),?\s*(?:to the power of|raised to)\s*(?=\d)", r"\1 ** "),
             (r"(\d),?\s*더하기\s*(?=\d)", r"\1 + "), (r"(\d),?\s*빼기\s*(?=\d)", r"\1 - "),
             (r"(\d),?\s*곱하기\s*(?=\d)", r"\1 * "), (r"(\d),?\s*나누기\s*(?=\d)", r"\1 / "),
             (r"(\d),?\s*plus\s*(?=\d)", r"\1 + "), (r"(\d),?\s*minus\s*(?=\d)", r"\1 - "),
             (r"(\d),?\s*(?:times|multiplied by)\s*(?=\d)", r"\1 * "), (r"(\d),?\s*divided by\s*(?=\d)", r"\1 / "),
             (r"(\d+(?:\.\d+)?)\s*%\s*of\s*(?=\d)", r"\1 / 100 * "),          # 18% of 2500
             (r"(\d+(?:\.\d+)?)\s*의\s*(\d+(?:\.\d+)?)\s*(?:%|퍼센트)", r"\1 * \2 / 100")]  # 2500의 18%


# a percentage with a change word changes the number before it: '1250000원인데 20% 할인' → 1250000 * (100 - 20) / 100
# (measured: left to the model, it wrote 1250000 * 20 / 100, the discount instead of the price)
PERCENT_CHANGES = {"-": r"할인|인하|감소|\b(?:off|discount|decrease|cheaper|reduc\w*)\b",
                   "+": r"인상|증가|할증|세금|부가세|이자|팁|\b(?:increase|markup|surcharge|tax|tip|interest|raise)\b"}


def _percent_changes(text: str) -> str:
    """'X … N% <change word>' and 'X … <change word> N%' as 'X * (100 ∓ N) / 100 …': the changed amount, one
    expression to copy."""
    number, percent = r"(?<![\d.])(\d+(?:\.\d+)?)", r"\s*(?:%|퍼센트|percent)"
    for sign, words in PERCENT_CHANGES.items():
        change = rf"\1 * (100 {sign} \3) / 100\2"
        text = re.sub(rf"{number}([^\d?!]{{0,25}}?){number}{percent}\s*(?={words})", change, text, flags=re.I)
        text = re.sub(rf"{number}([^\d?!]{{0,25}}?(?:{words}))(?:\s+of)?\s*{number}{percent}", change, text,
                      flags=re.I)
    return text


def korean_number(text: str) -> int | float | None:
    """The value of a Korean number with scales ('삼백사십오' 345, '5만' 50000, '1억 2천만' 120000000); None when
    it has no scale or its parts are out of order ('천천', '오사')."""
    total = section = 0
    cur, small, big = None, 10 ** 4, 10 ** 12  # the last digit(s), the last scale in the section and overall
    tokens = re.findall(r"\d+(?:\.\d+)?|\S", text.replace(" ", ""))
    if not any(t in SINO_SCALES for t in tokens):
        return None
    for tok in tokens:
        if tok in SINO_SCALES:
            scale = SINO_SCALES[tok]
            if scale >= 10 ** 4:  # 만, 억 close a section: its value counts that many
                if scale >= big or (section == 0 and cur is None and total):
                    return None
                total += (section + (cur or 0) or 1) * scale
                section, cur, small, big = 0, None, 10 ** 4, scale
            else:
                if scale >= small:
                    return None
                section += (1 if cur is None else cur) * scale
                cur, small = None, scale
        elif cur is not None:
            return None  # two numbers in a row: '이일' is no number
        else:
            cur = float(tok) if tok[0].isdigit() else SINO_DIGITS[tok]
    value = total + section + (cur or 0)
    return int(value) if float(value).is_integer() else value


def _korean_numbers(text: str) -> str:
    """Korean numbers with scales as digits, where they stand as a number: before a particle, a counter, an
    operator word or no Korean at all ('이만큼' and '천천히' stay words); a single Sino-Korean digit only next to
    an operator word ('삼 곱하기 사'); a final 일 before 후/뒤/전 is the day counter ('삼십일 후' = 30일 후)."""
    digits, scales = "".join(SINO_DIGITS), "".join(SINO_SCALES)
    after = "|".join(sorted(KO_COUNTERS + KO_PARTICLES, key=len, reverse=True)) + "|" + KO_OPERATION_WORDS

    def read(m: re.Match) -> str:
        run, rest, before = m.group(0), text[m.end():], text[:m.start()]
        if not re.match(rf"\s?(?:{KO_OPERATION_WORDS})|[^가-힣]|$|(?:{after})(?![가-힣])|(?:{after})", rest):
            return run
        day = run.endswith("일") and len(run) > 1 and re.match(r"\s?(?:후|뒤|전|동안|만에|째)", rest)
        body = run[:-1] if day else run
        value = korean_number(body)
        if value is None and (day or re.match(rf"\s?(?:{KO_OPERATION_WORDS})", rest)
                              or re.search(rf"(?:{KO_OPERATION_WORDS})\s?$", before)):
            value = SINO_DIGITS.get(body)  # a single digit syllable: only where it is plainly a number
        return run if value is None else f"{value}{'일' if day else ''}"

    return re.sub(rf"(?<![가-힣\d.])(?:\d+(?:\.\d+)?|[{digits}{scales}])(?:(?<=[만억])\s)?"
                  rf"(?:(?:\d+(?:\.\d+)?|[{digits}{scales}])(?:(?<=[만억])\s(?=[\d{digits}{scales}]))?)*", read, text)


def _english_numbers(text: str) -> str:
    """English number words as digits: one word ('twelve' 12) or a compound ('twenty-three', 'one hundred and
    five', 'two thousand'); a lone 'one' stays a word (mostly 'a': 'which one'), as do sums of words that are no
    one number ('seventy and eighty')."""
    word = "|".join(sorted([*EN_NUMBERS, *EN_SCALES], key=len, reverse=True))

    def each(m: re.Match) -> str:  # word by word, a lone 'one' left as a word
        return re.sub(rf"\b(?:{word})\b", lambda w: w.group(0) if w.group(0).lower() == "one" else
                      str({**EN_NUMBERS, **EN_SCALES}[w.group(0).lower()]), m.group(0), flags=re.I)

    def read(m: re.Match) -> str:
        words = re.findall(rf"{word}|and", m.group(0).lower())
        if words == ["one"]:
            return m.group(0)
        total = cur = 0
        for prev, w in zip([""] + words, words):
            if w == "and":
                if prev not in EN_SCALES:  # 'and' joins only after a scale: 'one hundred and five'
                    return each(m)
            elif w in EN_SCALES:
                if EN_SCALES[w] == 100:
                    cur = (cur or 1) * 100
                else:
                    total, cur = total + (cur or 1) * EN_SCALES[w], 0
            elif cur % 100 and (cur % 10 or EN_NUMBERS[w] >= 10):  # 'seventy eighty', 'two three': no number
                return each(m)
            else:
                cur += EN_NUMBERS[w]
        return str(total + cur)

    return re.sub(rf"\b(?:{word})(?:(?:-|\s+|\s+and\s+)(?:{word}))*\b", read, text, flags=re.I)


# the operators a task's words ask for: a small model left free subtracted for '10을 더하면' (77 - 10)
OPERATION_WORDS = {"+": r"더하|더한|합계|합은|합을|plus|\badd|\bsum\b|평균|average|\bmean\b",
                   "-": r"빼|뺀|minus|subtract|\bless\b|difference|할인|쿠폰|거스름|잔돈|남은|남는|환불|discount|"
                        r"coupon|\bchange\b|\bleft\b|remain|refund",
                   "*": r"(?<!제)곱|\d\s*배|times|multipl|product|twice|double|제곱(?!미터|센티|킬로)|squared|"
                        r"cubed|power|\beach\b|apiece|\d\s*\S*\s*씩|개당|장당|권당",
                   "/": r"나누|나눈|똑같이|\bsplit|\bshare|divid|평균|average|\bmean\b"}
AVERAGE = re.compile(r"평균|average|\bmean\b", re.I)
SHARING = re.compile(r"똑같이|나눠|나누어|[명인]당|각자|\bsplit|\bshare|\beach\b|\bper (?:person|head)|apiece|evenly",
                     re.I)


def operations(task: str) -> list[str]:
    """The operators the task's words name ('곱하면' → *), all four when it names none."""
    named = [op for op, words in OPERATION_WORDS.items() if re.search(words, task, re.I)]
    return named or list(OPERATION_WORDS)


def read_task(task: str, numbers: bool = True) -> str:
    """The task with Korean and English relative days as offsets ('내일모레' → '2일 후', '열흘' → '10일'), and
    (numbers=True) number words as digits (Korean native numerals before a counter or alone before a particle,
    Sino-Korean numbers and scales, English number words) and arithmetic words and symbols as operators
    ('2의 20제곱' → '2 ** 20', '×' → '*'). Everything else stays as written."""
    for word, offset in RELATIVE_DAYS:
        task = re.sub(("(?<![가-힣])" if re.match("[가-힣]", word) else "") + re.escape(word), offset, task,
                      flags=re.I)
    if not numbers:
        return task
    counters = "|".join(sorted(KO_COUNTERS, key=len, reverse=True))
    particles = "|".join(sorted(KO_PARTICLES, key=len, reverse=True))

    def native(m: re.Match) -> str:
        return str(KO_TENS.get(m.group(1) or "", 0) + KO_UNITS.get(m.group(2) or "", 0))

    text = re.sub(rf"(?<![가-힣\d])(열|스물|스무)?(두|세|네|둘|셋|넷|다섯|여섯|일곱|여덟|아홉)?"
                  rf"(?=\s?(?:{counters})(?![가-힣])|\s?(?:{counters})(?:[은는이가을를의에도씩당]|으로|로|에서|부터|까지)"
                  rf"|(?<=[둘셋넷섯곱덟홉])(?:{particles})(?![가-힣]))",
                  lambda m: native(m) if m.group(0) else "", task)
    text = _english_numbers(text)
    text = re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", text)  # 1,250,000원 → 1250000원: one number for the calculator
    text = _percent_changes(_korean_numbers(text))
    for pattern, repl in OPERATORS:
        text = re.sub(pattern, repl, text, flags=re.I)
    return text


# ---- the text protocol (local models, any chat-completions server without tools=) ----------------------------
SYSTEM = """You are an agent that solves the task with tools. You may call these tools:
<tools>
{tools}
</tools>
To call a tool, write one short thought, then exactly one call:
Thought: <why>
<tool_call>{{"name": "<tool name>", "arguments": {{<arguments as JSON>}}}}</tool_call>
The result comes back in <tool_response>. When you have what you need, reply:
Answer: <the answer, with the number or fact from the tool result>
Rules: use the calculator for every calculation, convert_units for units, today for dates, search_docs for the \
course notes, constitution for the Korean constitution. Never compute in your head. Answer in the task's language."""

# worked examples with the real tools: measured, an example from an unrelated domain (a weather tool) made the
# model stop after its thought without any call (compat 1/13, was 1/3); these can be copied into an unrelated task
FEW_SHOT = [
    ("Task: What is 48 * 27 - 5?",
     'Thought: I need arithmetic.\n<tool_call>{"name": "calculator", "arguments": {"expression": "48 * 27 - 5"}}'
     '</tool_call>', "1291", "Answer: 48 * 27 - 5 = 1291"),
    ("Task: 12 파운드는 몇 kg인가요?",
     'Thought: 단위 변환이 필요합니다.\n<tool_call>{"name": "convert_units", "arguments": {"value": 12, '
     '"from_unit": "lb", "to_unit": "kg"}}</tool_call>', "12 lb = 5.443108 kg",
     "Answer: 12 파운드는 약 5.443 kg입니다."),
]
TAG = re.compile(r"<tool_call>\s*(.*?)\s*(?:</tool_call>|$)", re.S)
ANSWER = re.compile(r"^\s*(?:final\s+answer|answer|답|최종\s*답)\s*[:：]\s*", re.I | re.M)


def _json_objects(text: str):
    """Every JSON object that decodes starting at some '{' (the model may wrap it in prose or code fences)."""
    dec = json.JSONDecoder()
    for m in re.finditer(r"\{", text):
        try:
            obj, _ = dec.raw_decode(text[m.start():])
        except json.JSONDecodeError:
            continue
        if isinstance(obj, dict):
            yield obj


def _as_call(obj: dict) -> Call | None:
    name = obj.get("name") or obj.get("tool") or obj.get("function")
    if isinstance(name, dict):  # {"function": {"name": ..., "arguments": ...}}
        return _as_call(name)
    if not isinstance(name, str):
        return None
    args = obj.get("arguments", obj.get("args", obj.get("parameters", obj.get("input", {}))))
    if isinstance(args, str):  # some models double-encode the arguments
        try:
            args = json.loads(args)
        except json.JSONDecodeError:
            args = {"__text__": args}
    return Call(name, args if isinstance(args, dict) else {"__text__": args})


def parse_reply(text: str) -> Reply:
    """A model's text → thought + tool call, or an answer, or an error saying what was malformed."""
    text = text.strip()
    tagged = TAG.search(text)
    start = tagged.start() if tagged else text.find("{")
    before = text[:start] if start >= 0 else text
    thought = re.sub(r"^\s*thought\s*[:：]\s*", "", before, flags=re.I).strip()
    answer = ANSWER.search(text)
    if answer and (start < 0 or answer.start() < start):
        return Reply(thought=re.sub(r"^\s*thought\s*[:：]\s*", "", text[:answer.start()], flags=re.I).strip(),
                     answer=text[answer.end():].strip())
    if tagged or start >= 0:
        body = tagged.group(1) if tagged else text[start:]
        calls = [c for c in map(_as_call, _json_objects(body)) if c is not None][:MAX_CALLS_PER_TURN]
        if calls:
            return Reply(thought=thought, calls=calls)
        if tagged or '"name"' in body:
            return Reply(thought=thought, error="malformed tool call: write <tool_call>{\"name\": \"...\", "
                                                "\"arguments\": {...}}</tool_call> with valid JSON")
    if re.match(r"\s*thought\s*[:：]", text, re.I):  # a thought alone: the model stopped before acting
        return Reply(thought=thought, error="no tool call and no 'Answer:': write one of them")
    return Reply(answer=text)  # plain prose with no call is the model's answer


class TextBackend:
    """Tool use over plain chat: works with every provider, including the offline ones."""

    def __init__(self, provider, tools, temperature: float = 0.0, max_tokens: int = 160, hints: bool = True):
        self.provider, self.tools, self.hints = provider, tools, hints
        self.params = dict(temperature=temperature, max_tokens=max_tokens)

    def start(self, task: str) -> list[dict]:
        schemas = "\n".join(json.dumps(s, ensure_ascii=False) for s in tool_schemas(self.tools))
        messages = [{"role": "system", "content": SYSTEM.format(tools=schemas)}]
        names = [t.name for t in self.tools]
        for question, call, result, answer in FEW_SHOT:
            if call.split('"name": "')[1].split('"')[0] in names:
                messages += [{"role": "user", "content": question}, {"role": "assistant", "content": call},
                             {"role": "user", "content": f"<tool_response>\n{result}\n</tool_response>"},
                             {"role": "assistant", "content": answer}]
        task = read_task(task, numbers=False)
        self.task, self.last = task, None
        hint = hint_tools(task, names) if self.hints else []
        note = f"\n(Hint: tools that fit: {', '.join(hint)})" if hint else ""
        messages.append({"role": "user", "content": f"Task: {task}{note}"})
        return messages

    def ask(self, messages: list[dict], stop_event=None, final: bool = False) -> Reply:
        if final:
            messages = messages + [{"role": "user", "content": "No more tool calls: reply with 'Answer: ...' now."}]
        text = "".join(self.provider.stream(messages, stop_event=stop_event, **self.params))
        reply = parse_reply(text)
        reply.raw = text
        by_name = {t.name: t for t in self.tools}
        for call in reply.calls:
            if call.name in by_name:
                notes = task_choices(by_name[call.name], self.task, call.args)
                reply.thought = " · ".join(filter(None, [reply.thought, *notes]))
        if self.last and reply.calls and not final and not builds_on(self.task, self.last, reply.calls[0].name,
                                                                     reply.calls[0].args):
            answer = self.ask(messages, stop_event, final=True)  # the same rule as LocalBackend's
            answer.declined, answer.thought = reply.calls[0], reply.thought or answer.thought
            return answer
        return reply

    def record(self, messages: list[dict], reply: Reply, results: list[tuple[Call, str]]) -> None:
        ok = [obs for _, obs in results if not obs.startswith("error")]
        self.last = ok[-1] if ok else None
        messages.append({"role": "assistant", "content": reply.raw})
        observations = [obs for _, obs in results] or [f"error: {reply.error}"]
        body = "\n".join(f"<tool_response>\n{obs}\n</tool_response>" for obs in observations)
        messages.append({"role": "user", "content": f"{body}\nIf this answers the task, reply 'Answer: ...'."})


class OpenAIBackend:
    """Native function calling of the OpenAI chat completions API (OpenAI, vLLM, Ollama... with tools=)."""

    def __init__(self, provider, tools, temperature: float = 0.0, max_tokens: int = 300):
        self.client, self.model, self.name = provider.client, provider.model, provider.name
        self.schemas, self.temperature, self.max_tokens = tool_schemas(tools), temperature, max_tokens

    def start(self, task: str) -> list[dict]:
        return [{"role": "system", "content": "Solve the task with the tools; never compute in your head. Answer "
                                              "briefly in the task's language."},
                {"role": "user", "content": task}]

    def ask(self, messages: list[dict], stop_event=None, final: bool = False) -> Reply:
        from core.llm.errors import translate

        try:
            res = self.client.chat.completions.create(model=self.model, messages=messages, tools=self.schemas,
                                                      tool_choice="none" if final else "auto",
                                                      temperature=self.temperature, max_tokens=self.max_tokens)
        except Exception as exc:  # SDK errors of many types
            raise translate(exc, self.name) from exc
        msg = res.choices[0].message
        if not msg.tool_calls:
            return Reply(answer=msg.content or "", raw=msg)
        calls, error = [], None
        for tc in msg.tool_calls[:MAX_CALLS_PER_TURN]:
            try:
                args = json.loads(tc.function.arguments or "{}")
                calls.append(Call(tc.function.name, args if isinstance(args, dict) else {}, tc.id))
            except json.JSONDecodeError:
                error = f"malformed JSON arguments for {tc.function.name}"
        return Reply(thought=msg.content or "", calls=[] if error else calls, error=error, raw=msg)

    def record(self, messages: list[dict], reply: Reply, results: list[tuple[Call, str]]) -> None:
        msg = reply.raw
        messages.append({"role": "assistant", "content": msg.content or "",
                         "tool_calls": [tc.model_dump() for tc in msg.tool_calls[:MAX_CALLS_PER_TURN]]})
        for call, obs in results:
            messages.append({"role": "tool", "tool_call_id": call.id, "content": obs})
        if not results:  # a malformed call: every tool_call id still needs an answer
            for tc in msg.tool_calls[:MAX_CALLS_PER_TURN]:
                messages.append({"role": "tool", "tool_call_id": tc.id, "content": reply.error})


class GeminiBackend:
    """Native function calling of google-genai (automatic calling off: the agent runs the tools itself)."""

    def __init__(self, provider, tools, temperature: float = 0.0, max_tokens: int = 300):
        types = provider._types
        self.client, self.model, self.types = provider.client, provider.model, types
        decls = [types.FunctionDeclaration(name=s["function"]["name"], description=s["function"]["description"],
                                           parameters_json_schema=s["function"]["parameters"])
                 for s in tool_schemas(tools)]
        self.config = dict(tools=[types.Tool(function_declarations=decls)], temperature=temperature,
                           max_output_tokens=max_tokens,
                           automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
                           system_instruction="Solve the task with the tools; never compute in your head. Answer "
                                              "briefly in the task's language.")

    def start(self, task: str) -> list:
        return [self.types.Content(role="user", parts=[self.types.Part(text=task)])]

    def ask(self, contents: list, stop_event=None, final: bool = False) -> Reply:
        from core.llm.errors import translate

        mode = "NONE" if final else "AUTO"
        config = self.types.GenerateContentConfig(
            **self.config, tool_config=self.types.ToolConfig(
                function_calling_config=self.types.FunctionCallingConfig(mode=mode)))
        try:
            res = self.client.models.generate_content(model=self.model, contents=contents, config=config)
        except Exception as exc:  # SDK errors of many types
            raise translate(exc, "gemini") from exc
        calls = [Call(fc.name, dict(fc.args or {}), fc.id or "") for fc in (res.function_calls or [])]
        text = "".join(p.text for p in (res.candidates[0].content.parts or []) if p.text) if res.candidates else ""
        if not calls:
            return Reply(answer=text, raw=res)
        return Reply(thought=text, calls=calls[:MAX_CALLS_PER_TURN], raw=res)

    def record(self, contents: list, reply: Reply, results: list[tuple[Call, str]]) -> None:
        contents.append(reply.raw.candidates[0].content)
        contents.append(self.types.Content(role="user", parts=[
            self.types.Part.from_function_response(name=call.name, response={"result": obs}) for call, obs in results]))


# ---- constrained tool calling for an in-process model (the offline path) -------------------------------------
FINAL = "final_answer"
FINAL_SCHEMA = {"type": "function", "function": {
    "name": FINAL, "description": "Give the final answer to the user once the tool results contain it.",
    "parameters": {"type": "object", "properties": {"answer": {"type": "string", "description": "the answer"}},
                   "required": ["answer"]}}}
LOCAL_SYSTEM = ("You are an agent. Call one tool at a time; never compute, convert or recall facts in your head. "
                "When a tool result answers the task, call final_answer with a short answer in the task's language.")
OPENER = '<tool_call>\n{"name": "'


NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def tool_answer(tool: str, observation: str) -> str | None:
    """The part of a tool's result that is itself an answer (None for tools whose result needs reading)."""
    if tool not in ANSWERING_TOOLS:
        return None
    return observation.split("\n(you already")[0].split("\n---")[0].strip()


def builds_on(task: str, observation: str, tool: str, args: dict) -> bool:
    """Whether a next call uses a number the last tool produced (one the task did not have) and does more than
    restate it: a chained step. A small model cannot judge 'done' itself (its yes/no is near chance), but it does
    repeat or restart calls when done; only a call that consumes the result is let through."""
    cited = re.sub(r"\[\d+\]|\d{4}-\d\d-\d\d", "", observation)  # citation marks and dates are not numbers
    new = {float(x) for x in NUMBER.findall(cited)} - {float(x) for x in NUMBER.findall(task)}
    values = " ".join(str(v) for v in args.values())
    used = [float(x) for x in NUMBER.findall(values)]
    if not any(abs(x - y) <= 0.001 * abs(y) for x in used for y in new):
        return False
    return tool != "calculator" or bool(re.search(r"\d\s*[-+*/^]\s*\(?\s*-?\d", values))


def result_number(observation: str) -> float:
    """The number a tool produced: the first one after its '=' ('10 mile = 16.09344 km' → 16.09344, not the 2 of
    'm**2'), in whichever notation the calculator wrote it ('1.5e-07')."""
    return float(re.findall(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?", observation.split("=")[-1])[0])


def unit_pair(task: str) -> bool:
    """Whether the task names two different units one converts to the other ('10 km ... in miles')."""
    from core.tools import compatible, mentioned_units

    units = mentioned_units(task)
    return any(compatible(a, b) for i, a in enumerate(units) for b in units[i + 1:])


def task_numbers(task: str) -> list[str]:
    """The task's numbers as written, without thousands separators, each once."""
    return list(dict.fromkeys(NUMBER.findall(re.sub(r"(?<=\d),(?=\d{3})", "", task))))


def averaged_sum(task: str, messages: list[dict]) -> int:
    """For a task asking for an average: how many terms the last calculation summed with nothing divided yet
    ('10 + 20 + 45' → 3); 0 otherwise."""
    calls = [c for m in messages for c in m.get("tool_calls") or []]
    if not AVERAGE.search(task) or not calls or calls[-1]["function"]["name"] != "calculator":
        return 0
    expression = str(calls[-1]["function"]["arguments"].get("expression", ""))
    if any("/" in str(c["function"]["arguments"].get("expression", "")) for c in calls):
        return 0
    terms = [t for t in re.split(r"\+", expression.replace("(", "").replace(")", "")) if t.strip()]
    return len(terms) if len(terms) > 1 and all(NUMBER.fullmatch(t.strip()) for t in terms) else 0


def unused_numbers(task: str, messages: list[dict]) -> list[str]:
    """The task's numbers, as written, that no earlier tool call used (a percentage counts as used as 0.18 too)."""
    used = {float(x) for m in messages for c in m.get("tool_calls") or []
            for x in NUMBER.findall(" ".join(map(str, c["function"]["arguments"].values())))}
    plain = re.sub(r"(?<=\d),(?=\d{3})", "", task)
    return list(dict.fromkeys(m.group(1) for m in re.finditer(r"(-?\d+(?:\.\d+)?)(\s*%)?", plain)
                              if float(m.group(1)) not in used
                              and not (m.group(2) and float(m.group(1)) / 100 in used)))


SIGNED = re.compile(r"(?<![\d)\s])\s*-\s*\d|영하|음수|below zero|negative", re.I)


def nonnegative(task: str, expression: str) -> str:
    """'L - R' as 'R - L' when it comes out below zero and the task has no negative number: an amount left, a
    change or a difference asked in words is not negative (measured: the model wrote '7 * 3450 - 50000' for the
    change from a 50000 won bill). Only an expression whose one top-level + or - is that minus is turned."""
    from core.tools import calculator

    depth, cuts = 0, []
    for i, c in enumerate(expression):
        depth += (c == "(") - (c == ")")
        if depth == 0 and c in "+-" and expression[:i].strip() and expression[:i].strip()[-1] not in "+-*/(":
            cuts.append(i)
    if len(cuts) != 1 or expression[cuts[0]] != "-" or SIGNED.search(task):
        return expression
    try:
        if float(calculator(expression)) >= 0:
            return expression
    except (UserError, ValueError):
        return expression
    return f"{expression[cuts[0] + 1:].strip()} - {expression[:cuts[0]].strip()}"


def written(task: str, alphabet: str) -> str | None:
    """The longest run of the task made of the alphabet with an operator between numbers ('(15 + 27) * 3 - 8'):
    an expression the task writes out is copied, not retyped (measured: retyping, the model dropped the
    brackets and got 88)."""
    runs = [r.strip(" .") for r in re.findall(f"[{re.escape(alphabet)}]+", re.sub(r"\d{4}-\d\d-\d\d", " ", task))]
    runs = [r for r in runs if re.search(r"\d\s*(?:[-+/]|\*\*?)\s*\(?\s*\d", r) and r.count("(") == r.count(")")]
    return max(runs, key=len) if runs else None


def _literals_ok(text: str, numbers: list[str], complete: bool = False) -> bool:
    """Whether every number literal in text is one of numbers, each used at most as often as listed (measured:
    '87000 / 87000' for a bill shared by 3); the last may be the start of one unless complete."""
    literals = re.findall(r"[\d.]+", text)
    if not literals:
        return True
    *whole, last = literals
    left = Counter(numbers)
    left.subtract(whole)
    if min(left.values(), default=0) < 0:
        return False
    ends = not complete and not re.search(r"[^\d.]$", text)  # text stops inside its last literal
    return any(n.startswith(last) for n, c in left.items() if c > 0) if ends else left[last] > 0


# a word problem is first written as a short arithmetic program (program-aided reasoning, Gao et al. 2022): a
# coder model writes 'price_each = 2400 / 3' far more reliably than it plans one tool call at a time
PROGRAM_SYSTEM = ("Solve the user's task by writing a short Python program that uses only numbers, variables and "
                  "arithmetic (+ - * / ** and parentheses). Write every number of the task as a Python number, one "
                  "step per line, and store the result in a variable named answer. Reply with the code only.")
PROGRAM_SHOTS = (
    ("사과 3개에 2,400원이면 사과 7개는 얼마야?", "price_each = 2400 / 3\nanswer = price_each * 7"),
    ("A 40,000 won jacket is 25% off. What do I pay?", "price = 40000\nanswer = price * (100 - 25) / 100"),
)
PROGRAM_CONVERT = ("\nFor a unit change call convert(value, from_unit, to_unit) with unit names such as km, mile, kg, "
                   "g, lb, liter, ml, degC, degF, hour, minute, m**2, pyeong.")
PROGRAM_CONVERT_SHOT = ("I swam 400 m and then 350 m more. How many yards is that?",
                        "metres = 400 + 350\nanswer = convert(metres, 'm', 'yard')")
PROGRAM_OPENER = "```python\n"
MAX_PROGRAM_LINES = 12


def program_expression(code: str, calls: bool = False):
    """A straight-line arithmetic program as one expression (an ast node): each variable replaced by its
    definition ('a = 2400 / 3' + 'answer = a * 7' → 2400 / 3 * 7). The value is 'answer' (else the last one
    assigned). None for anything but assignments of numbers, names and + - * / ** (no strings, attributes or
    calls; with calls=True, convert(value, 'unit', 'unit') too): the tools then compute it (see _next_planned)."""
    import ast

    try:
        tree = ast.parse(code.strip())
    except (SyntaxError, ValueError):
        return None
    ops = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.USub, ast.UAdd)
    env: dict[str, ast.expr] = {}
    last = None

    def inlined(node):  # the node with every name replaced by its definition; None where not allowed
        if isinstance(node, ast.Constant):
            ok = isinstance(node.value, (int, float)) and not isinstance(node.value, bool)
            return node if ok else None
        if isinstance(node, ast.Name):
            return env.get(node.id)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ops):
            operand = inlined(node.operand)
            return operand and ast.UnaryOp(node.op, operand)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ops):
            left, right = inlined(node.left), inlined(node.right)
            return left and right and ast.BinOp(left, node.op, right)
        if calls and isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "convert" \
                and not node.keywords and len(node.args) == 3 and all(
                isinstance(u, ast.Constant) and isinstance(u.value, str) for u in node.args[1:]):
            value = inlined(node.args[0])
            return value and ast.Call(node.func, [value, *node.args[1:]], [])
        return None

    if not tree.body or len(tree.body) > MAX_PROGRAM_LINES:
        return None
    for stmt in tree.body:
        if isinstance(stmt, ast.Expr) and stmt is tree.body[-1]:  # a last bare expression is the answer
            stmt = ast.Assign(targets=[ast.Name("answer", ast.Store())], value=stmt.value)
        if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)):
            return None
        value = inlined(stmt.value)
        if value is None:
            return None
        env[stmt.targets[0].id] = value
        last = stmt.targets[0].id
    value = env.get("answer", env[last])
    if not any(isinstance(n, (ast.BinOp, ast.Call)) for n in ast.walk(value)):
        return None  # a number alone is no calculation (measured: 'answer = 3210' for 345 × 27)
    return value


_ALPHABET_TOKENS: dict = {}
_KV: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # model → its key/value cache (see LocalBackend)
_KV_PROGRAM: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # the same for the program prompt


def _alphabet_tokens(tok, alphabet: str) -> list[int]:
    """The ids of every token made only of the alphabet's characters (computed once per tokenizer)."""
    key = (getattr(tok, "name_or_path", id(tok)), len(tok), alphabet)
    if key not in _ALPHABET_TOKENS:
        chars = set(alphabet)
        special = set(tok.all_special_ids)
        _ALPHABET_TOKENS[key] = [i for i, piece in enumerate(tok.batch_decode([[i] for i in range(len(tok))]))
                                 if piece and set(piece) <= chars and i not in special]
    return _ALPHABET_TOKENS[key]


class LocalBackend:
    """Constrained tool calling for an in-process transformers model (core.llm.local.LocalProvider).

    The prompt is the tokenizer's own chat template with tools= (Qwen2.5's <tools> block and <tool_call> turns),
    and the assistant turn is prefilled with the tool-call opener, so the model never writes free text where a call
    belongs: the tool name is the most probable of the valid names (final_answer included: answering is one more
    choice, not free text), then the model writes only the JSON arguments. The key/value cache of the shared prompt
    prefix is kept between turns, so each turn reads only the new tokens."""

    def __init__(self, provider, tools, max_tokens: int = 64, hints: bool = True, programs: bool = True):
        self.provider, self.lm, self.tok, self.hints = provider, provider.lm, provider.tok, hints
        self.programs = programs  # word problems written as programs first (see _plan); False: step by step
        self.schemas = tool_schemas(tools) + [FINAL_SCHEMA]
        self.names = [s["function"]["name"] for s in self.schemas]
        # a tool's own narrowing of its closed-list arguments, and the characters a string argument may use
        self.choices = {t.name: (t.metadata or {}).get("choices") for t in tools}
        self.alphabets = {t.name: (t.metadata or {}).get("alphabet", {}) for t in tools}
        self.copies = {t.name: (t.metadata or {}).get("task") for t in tools}  # the argument that is the task
        self.max_tokens = max_tokens
        # the key/value cache and the token ids it holds, shared by every backend on this model: the system
        # prompt and the tools block (~1000 tokens) are then read once, not once per run
        self.kv = _KV.setdefault(provider.lm, {"cache": None, "fed": []})
        self.prior = None  # the names' scores for a content-free task
        self.numeric = None  # the token ids of the digits, '.' and '-'
        self.hinted: list[str] = []
        self.reading = self.shown = ""  # the task as read_task rewrites it, and as the model is shown it
        self.program = ""  # the arithmetic program the model wrote for this task (see _plan)
        self.plan = self.pending = None  # what is left of it to compute, and the part the last call computed

    @property
    def cache(self):
        return self.kv["cache"]

    @cache.setter
    def cache(self, value):
        self.kv["cache"] = value

    @property
    def fed(self) -> list[int]:
        return self.kv["fed"]

    @fed.setter
    def fed(self, value: list[int]):
        self.kv["fed"] = value

    def start(self, task: str) -> list[dict]:
        # the model reads relative days as offsets; number words and operators are read only by the mechanisms
        # (copying a written expression, the numbers still unused): measured, shown '3 과목 점수 87; 92; 78' the
        # model summed 3 + 92 + 78
        self.reading, self.shown = read_task(task), read_task(task, numbers=False)
        self.program, self.plan = "", None
        self.hinted = hint_tools(self.reading, self.names) if self.hints else []
        note = f"\n(Hint: tools that fit: {', '.join(self.hinted)})" if self.hinted else ""
        return [{"role": "system", "content": LOCAL_SYSTEM}, {"role": "user", "content": self.shown + note}]

    def _feed(self, ids: list[int]):
        """Log-probabilities of the token after ids, reusing the cached prefix they share with the last call."""
        import torch

        same = 0
        for a, b in zip(self.fed, ids):
            if a != b:
                break
            same += 1
        same = min(same, len(ids) - 1)  # at least one token is fed, for its logits
        if self.cache is None or same == 0:
            from transformers import DynamicCache

            self.cache, same = DynamicCache(), 0
        else:
            self.cache.crop(same - self.cache.get_seq_length())  # a negative count: tokens to drop
        with torch.no_grad():
            out = self.lm(torch.tensor([ids[same:]]), past_key_values=self.cache, use_cache=True)
        self.fed = list(ids)
        return out.logits[0, -1].float().log_softmax(-1)

    def choose(self, prompt: str, names: list[str], calibrate: bool = False) -> tuple[str, dict[str, float]]:
        """The valid name with the highest total log-probability after prompt, all candidates in one batch.
        calibrate: minus each name's log-probability for a content-free task (contextual calibration, Zhao et
        al. 2021): a small model's prior for one tool (calculator, here) otherwise wins whatever the task."""
        import torch

        scores = self._scores(prompt, names)
        if calibrate:
            if self.prior is None:
                self.prior = self._scores(self._empty(), self.names)
            scores = {n: s - self.prior[n] for n, s in scores.items()}
        probs = torch.tensor(list(scores.values())).softmax(0).tolist()
        return max(scores, key=scores.get), dict(zip(names, probs))

    def _empty(self) -> str:
        """The prompt up to the tool name for a content-free task: the reference for calibration."""
        empty = [{"role": "system", "content": LOCAL_SYSTEM}, {"role": "user", "content": "N/A"}]
        return self.tok.apply_chat_template(empty, tools=self.schemas, add_generation_prompt=True,
                                            tokenize=False) + OPENER

    def _scores(self, prompt: str, names: list[str], end: str = '",') -> dict[str, float]:
        """Each name's total log-probability (with the end after it, so no name is cut short) following prompt."""
        import copy

        import torch

        prefix = self.tok(prompt, add_special_tokens=False)["input_ids"]
        first = self._feed(prefix)
        cands = []
        for name in names:
            full = self.tok(prompt + name + end, add_special_tokens=False)["input_ids"]
            cut = full[len(prefix):] if full[:len(prefix)] == prefix else self.tok(name + end)["input_ids"]
            cands.append(cut)
        width = max(map(len, cands))
        batch = torch.tensor([c + [c[-1]] * (width - len(c)) for c in cands])  # right padding: never read
        cache = copy.deepcopy(self.cache)
        cache.batch_repeat_interleave(len(cands))
        with torch.no_grad():
            later = self.lm(batch, past_key_values=cache, use_cache=True).logits.float().log_softmax(-1)
        return {name: first[c[0]].item() + sum(later[i, j - 1, c[j]].item() for j in range(1, len(c)))
                for i, (name, c) in enumerate(zip(names, cands))}

    def _until(self, text: str, stop_event, closers: tuple[str, ...], limit: int = 0) -> str:
        """Greedy continuation of text up to (not including) the first closer, at most limit (or max_tokens)
        tokens."""
        ids, new, out = self.tok(text, add_special_tokens=False)["input_ids"], [], ""
        for _ in range(limit or self.max_tokens):
            if stop_event is not None and stop_event.is_set():
                break
            nxt = int(self._feed(ids).argmax())
            if nxt in self.tok.all_special_ids:
                break
            ids.append(nxt)
            new.append(nxt)
            out = self.tok.decode(new)  # all at once: a Korean syllable may span two byte-level tokens
            cut = min((out.index(c) for c in closers if c in out), default=-1)
            if cut >= 0:
                return out[:cut]
        return out

    def _number(self, text: str, stop_event, integer: bool) -> str:
        """A number written digit by digit, every token restricted to digits (and one '.', a leading '-' for
        non-integers): a count comes out as digits even when the task spells it ('four weeks')."""
        import torch

        if self.numeric is None:  # one token per character (byte-level vocabularies have them all)
            vocab = self.tok.get_vocab()
            self.numeric = {c: vocab[c] for c in "0123456789.-" if c in vocab}
        ids, out = self.tok(text, add_special_tokens=False)["input_ids"], ""
        for _ in range(self.max_tokens):
            if stop_event is not None and stop_event.is_set():
                break
            logp = self._feed(ids)
            allowed = list("0123456789") + ([] if integer or "." in out or not out else ["."]) + \
                ([] if integer or out else ["-"])
            ids_ok = torch.tensor([self.numeric[c] for c in allowed if c in self.numeric])
            best = int(ids_ok[logp[ids_ok].argmax()])
            if out and out[-1] != "." and logp[best] < logp.max():  # the model would end the number here
                break
            ids.append(best)
            out += self.tok.decode([best])
        return out or "0"

    def _expression(self, text: str, stop_event, alphabet: str, task: str) -> str:
        """An expression spelled with only the operators the task's words name and only the task's numbers (and
        100 for a percentage; measured: left free, '0.87 + 0.92 + 0.78'); 'a - b' or 'a / b' then scored
        against 'b - a' / 'b / a' (a small model tends to write the numbers in the task's order, whatever the
        division asks for)."""
        ops = operations(task)
        alphabet = "".join(c for c in alphabet if c not in "+-*/" or c in ops)
        numbers = NUMBER.findall(re.sub(r"(?<=\d),(?=\d{3})", "", task))  # each as often as the task has it
        percent = ["100", "100"] if re.search(r"%|percent|퍼센트|프로", task, re.I) else []  # X * (100 - N) / 100
        expression = self._spelled(text, stop_event, alphabet, numbers + percent if numbers else None)
        pair = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([-/])\s*(\d+(?:\.\d+)?)\s*", expression)
        if not pair:
            return nonnegative(task, expression)
        a, op, b = pair.groups()
        if op == "/" and re.search(SHARING, task):  # an amount shared among a count: the larger is divided
            a, b = sorted((a, b), key=float, reverse=True)  # (measured: '6 / 127800' for six sharing a bill)
            return f"{a} / {b}"
        scores = self._scores(text, [f"{a} {op} {b}", f"{b} {op} {a}"], end='"')
        return max(scores, key=scores.get)

    def _spelled(self, text: str, stop_event, alphabet: str, numbers: list[str] | None = None) -> str:
        """A string value written only with tokens made of the alphabet's characters, closed by '"' once it is
        complete (not empty, brackets balanced, not ending in an operator): one whole arithmetic expression
        ('(15 + 27) * 3 - 8'), never words, units or '='."""
        import torch

        allowed = _alphabet_tokens(self.tok, alphabet)
        pieces = {i: self.tok.decode([i]) for i in allowed}
        quote = self.tok.get_vocab().get('"')
        ids, out = self.tok(text, add_special_tokens=False)["input_ids"], ""
        for _ in range(self.max_tokens):
            if stop_event is not None and stop_event.is_set():
                break
            logp = self._feed(ids)
            body = out.strip()
            done = bool(re.search(r"\d", body)) and body.count("(") == body.count(")") and body[-1] not in "+-*/(.^"
            if numbers:  # every number written is one of these: a complete one, or the start of one; with two
                done = done and _literals_ok(out, numbers, complete=True) and (  # or more, an operation too
                    len(numbers) < 2 or bool(re.search(r"[-+*/]", body)))
                cands = [i for i in allowed if _literals_ok(out + pieces[i], numbers)
                         and not re.search(r"[\d)]\s*\(|\)\s*\d", body[-1:] + pieces[i])]  # '3(', ')4'
                if not Counter(numbers) - Counter(re.findall(r"[\d.]+", out)):  # every number spent: no term
                    open_ = body.count("(") - body.count(")")  # follows, only the brackets still open close
                    cands = [] if done else [i for i in cands if set(pieces[i].strip()) == {")"}
                                             and len(pieces[i].strip()) <= open_]
            else:
                cands = list(allowed)
            cands += [quote] if done and quote is not None else []
            if not cands:
                break
            best = cands[int(logp[torch.tensor(cands)].argmax())]
            if best == quote:
                break
            ids.append(best)
            out += pieces[best]
        return out.strip()

    def _plan(self, stop_event, convert: bool) -> bool:
        """Have the model write a short program for the task (PROGRAM_SYSTEM; with convert() when the task is a
        conversion with arithmetic around it), kept as one expression in self.plan for _next_planned to compute
        with the tools. False when the program is not plain arithmetic. The program prompt keeps its own
        key/value cache, so neither prompt is re-read for the other."""
        import ast

        messages = [{"role": "system", "content": PROGRAM_SYSTEM + (PROGRAM_CONVERT if convert else "")}]
        for task, code in PROGRAM_SHOTS + ((PROGRAM_CONVERT_SHOT,) if convert else ()):
            messages += [{"role": "user", "content": task},
                         {"role": "assistant", "content": f"{PROGRAM_OPENER}{code}\n```"}]
        messages.append({"role": "user", "content": self.reading})
        prompt = self.tok.apply_chat_template(messages, add_generation_prompt=True, tokenize=False) + PROGRAM_OPENER
        tools_kv, self.kv = self.kv, _KV_PROGRAM.setdefault(self.provider.lm, {"cache": None, "fed": []})
        try:
            code = self._until(prompt, stop_event, ("```",), limit=160).strip()
        finally:
            self.kv = tools_kv
        self.plan = program_expression(code, calls=convert)
        if convert and self.plan is not None and not any(isinstance(n, ast.Call) for n in ast.walk(self.plan)):
            self.plan = None  # a conversion done by hand: measured, 'km = miles * 1000'
        self.program = code if self.plan is not None else ""
        return self.plan is not None

    def _next_planned(self, result: float | None = None) -> Call | None:
        """The plan's next tool call, innermost first, after the last call's result takes its place: a convert()
        whose value is still arithmetic → the calculator on that value; a convert() of a number → convert_units
        (its units held to the task's, as a free-text call's are); no convert() left → the calculator on the
        whole expression (a difference the right way round); a bare number → None: the plan is done."""
        import ast

        from core.tools import UNITS, unit_name

        if result is not None:
            pending = self.pending

            class Put(ast.NodeTransformer):
                def visit(self, node):
                    return ast.Constant(result) if node is pending else super().visit(node)
            self.plan = Put().visit(self.plan)

        def innermost(node):
            for child in ast.iter_child_nodes(node):
                found = innermost(child)
                if found is not None:
                    return found
            return node if isinstance(node, ast.Call) else None

        call = innermost(self.plan)
        if call is None:
            if isinstance(self.plan, ast.Constant):
                return None
            self.pending = self.plan
            return Call("calculator", {"expression": nonnegative(self.reading, ast.unparse(self.plan))})
        value = call.args[0]
        if not isinstance(value, ast.Constant):
            self.pending = value
            return Call("calculator", {"expression": ast.unparse(value)})
        self.pending = call
        args = {"value": value.value}
        hook = self.choices.get("convert_units")
        given = any(abs(float(x) - value.value) < 1e-9 for x in task_numbers(self.reading))
        for key, arg in zip(("from_unit", "to_unit"), call.args[1:]):
            unit = unit_name(arg.value).strip()
            allowed = (hook(self.reading, key, args) if hook else None) or [unit]
            # a task's number converts from the unit next to it; a computed one ('10 * 1000' m) from the model's
            # unit if it is one; the target is a unit the task names
            keep = unit in allowed or (key == "from_unit" and not given and unit in UNITS)
            args[key] = unit if keep else allowed[0]
        return Call("convert_units", args)

    def _arguments(self, head: str, schema: dict, stop_event, empty: str | None = None, task: str = ""
                   ) -> tuple[dict, str]:
        """The arguments key by key from the schema: the model writes only the values (no stray or missing keys);
        a value from a closed list (enum) is the most probable of its choices (those the tool's own 'choices' hook
        allows for this task), a number is digits only, a string with an alphabet only uses its characters.
        empty: the same head for a content-free task; an enum's scores are then calibrated against it (as the
        names are: a small model otherwise picks the first or most common choice, 'later' for '30일 전')."""
        name = schema["function"].get("name")
        narrow, alphabets = self.choices.get(name), self.alphabets.get(name, {})
        args, text = {}, head + "{"
        for i, (key, spec) in enumerate(schema["function"]["parameters"].get("properties", {}).items()):
            text += ("" if i == 0 else ", ") + f'"{key}": '
            if "enum" in spec:
                allowed = narrow(task, key, args) if narrow else None
                values = [str(v) for v in spec["enum"] if allowed is None or str(v) in allowed] or \
                    [str(v) for v in spec["enum"]]
                if len(values) == 1:
                    value = values[0]
                else:
                    scores = self._scores(text + '"', values, end='"')
                    if empty is not None:
                        prior = self._scores(empty + text[len(head):] + '"', values, end='"')
                        scores = {v: sc - prior[v] for v, sc in scores.items()}
                    value = max(scores, key=scores.get)
                text += json.dumps(value, ensure_ascii=False)
                args[key] = value
            elif key in alphabets:
                value = written(task, alphabets[key]) or self._expression(text + '"', stop_event, alphabets[key],
                                                                          task)
                text += json.dumps(value, ensure_ascii=False)
                args[key] = value
            elif spec.get("type") in ("integer", "number"):
                # one of the task's own numbers when it has some (measured: a small model otherwise writes a number
                # the task never had, 10 for '30평'); digits only when it has none ('today's date' → 0)
                given = [x for x in task_numbers(task) if spec["type"] == "number" or float(x).is_integer()]
                if given:
                    end = "}" if i == len(schema["function"]["parameters"]["properties"]) - 1 else ","
                    scores = self._scores(text, given, end=end)
                    value = max(scores, key=scores.get)
                else:
                    value = self._number(text, stop_event, spec["type"] == "integer")
                text += value
                number = float(value.rstrip(".") if value.strip("-.") else "0")  # '007', '5.' and '-' are no JSON
                args[key] = int(number) if number.is_integer() else number
            elif key == self.copies.get(name):  # the task itself (measured: retyped, 'ResNet is very deep and
                value = self.shown                # has been trained on a large dataset.' for what ResNet added)
                text += json.dumps(value, ensure_ascii=False)
                args[key] = value
            elif spec.get("type") == "string":
                # the hint note is ours, not the task's: a model copying the whole message must not send it on
                value = self._until(text + '"', stop_event, ('"',)).split("(Hint:")[0].strip()
                text += json.dumps(value, ensure_ascii=False)
                args[key] = value
            else:
                value = self._until(text, stop_event, (",", "}")).strip()
                text += value
                try:
                    args[key] = json.loads(value)
                except json.JSONDecodeError:
                    args[key] = value  # the tool's schema check turns it into an error observation
        return args, text

    def _chain(self, head: str, result: float, unused: list[str]) -> str:
        """A calculator expression that builds on the last result: the result first (verbatim), then the
        operator and the operand each chosen by the model's scores, the operator among those the task's words name,
        the operand among the task's numbers that no earlier call used (a small model otherwise reuses a number it
        has already spent); a difference the right way round (see nonnegative)."""
        text = head + '{"expression": "' + format_number(result)
        ops = self._scores(text, [f" {op} " for op in operations(self.reading)], end="")
        op = max(ops, key=ops.get)
        operands = self._scores(text + op, unused, end='"')
        return nonnegative(self.reading, format_number(result) + op + max(operands, key=operands.get))

    def ask(self, messages: list[dict], stop_event=None, final: bool = False) -> Reply:
        """One turn. After a successful call the policy is fixed, not the model's (its 'done?' is near chance: it
        answered '42' for '(15 + 27) * 3 - 8'): a numeric result with task numbers no call used yet goes on as a
        chained calculation; any other result is answered, the answer starting from it. Otherwise (the first
        turn, or after an error) the model picks the tool, among the hinted ones on the first turn."""
        prompt = self.tok.apply_chat_template(messages, tools=self.schemas, add_generation_prompt=True,
                                              tokenize=False) + OPENER
        last = messages[-1] if messages[-1]["role"] == "tool" and not messages[-1]["content"].startswith("error") \
            else None
        task = self.reading or messages[1]["content"].split("\n(Hint")[0]
        first = len(messages) == 2
        with self.provider.exclusive():
            if self.plan is not None and messages[-1]["role"] == "tool":
                call = self._next_planned(result_number(last["content"])) if last is not None else None
                if call is not None and not final:
                    return Reply(thought="", calls=[call], raw=call)
                self.plan = None  # done (its last result answers), or a call failed: the model goes on
            if last is not None:
                unused = unused_numbers(task, messages)
                summed = averaged_sum(task, messages)
                if last["name"] in NUMERIC_TOOLS and (unused or summed) and not final and not self.program:
                    head = prompt + 'calculator", "arguments": '
                    if summed:  # an average is the sum divided by how many were summed
                        expression = f"{format_number(result_number(last['content']))} / {summed}"
                        why = f"an average of {summed} numbers"
                    else:
                        expression = self._chain(head, result_number(last["content"]), unused)
                        why = f"task numbers not used yet: {', '.join(unused)}"
                    call = Call("calculator", {"expression": expression})
                    return Reply(thought=f"{why} → {expression}", calls=[call], raw=call)
                thought, name = "", FINAL
            else:
                names = [FINAL] if final else (self.hinted or self.names) if first else self.names
                name, probs = self.choose(prompt, names, calibrate=first and not final)
                thought = " · ".join(f"{n} {p:.0%}" for n, p in sorted(probs.items(), key=lambda kv: -kv[1]))
                if first and self.reading != messages[1]["content"].split("\n(Hint")[0]:
                    thought = f"{self.reading} · {thought}"
                # a word problem is written as a program: one with arithmetic to do (the calculator, and no
                # expression written out to copy), or units with more numbers than one to convert; convert() is
                # offered only when the task names a pair of units to convert between (measured, offered for
                # '1.8리터씩 2주', the model converted litres instead of multiplying)
                alphabet = self.alphabets.get("calculator", {}).get("expression", "")
                if first and not final and self.programs and (
                        (name == "calculator" and not written(task, alphabet))
                        or (name == "convert_units" and len(task_numbers(task)) >= 2)) \
                        and self._plan(stop_event, convert=name == "convert_units" and unit_pair(task)):
                    call = self._next_planned()
                    return Reply(thought=thought, program=self.program, calls=[call], raw=call)
            if name != FINAL:
                schema = self.schemas[self.names.index(name)]
                head = prompt + f'{name}", "arguments": '
                args, _ = self._arguments(head, schema, stop_event, self._empty() + f'{name}", "arguments": ', task)
                call = Call(name, args)
                return Reply(thought=thought, calls=[call], raw=call)
            # the answer starts with the tool's result verbatim; the model writes only what follows
            result = tool_answer(last["name"], last["content"]) if last else None
            head = prompt + f'{FINAL}", "arguments": {{"answer": "' + (result or "")
            text = (result or "") + self._until(head, stop_event, ('"',))
        return Reply(thought=thought, answer=text.strip(), raw=text)

    def record(self, messages: list[dict], reply: Reply, results: list[tuple[Call, str]]) -> None:
        call = reply.raw
        messages.append({"role": "assistant", "content": "",
                         "tool_calls": [{"function": {"name": call.name, "arguments": call.args}}]})
        for _, obs in results or [(call, f"error: {reply.error}")]:
            messages.append({"role": "tool", "name": call.name, "content": obs})


def task_choices(tool, task: str, args: dict) -> list[str]:
    """A free-text call's closed-list values held to the one the tool's 'choices' hook allows for this task
    (LocalBackend decodes only those): '98.6 degC → degF' for '화씨 98.6도는 섭씨 몇 도' becomes degF → degC.
    Changes args in place; returns a note per change, shown with the step."""
    from core.tools import unit_name

    hook = (tool.metadata or {}).get("choices")
    if not hook:
        return []
    notes, read = [], {}  # read: the values as the tool reads them (aliases mapped), in the schema's order
    for key in (tool.args_schema.model_json_schema().get("properties", {}) if tool.args_schema else args):
        if key not in args:
            continue
        value = args[key]
        if isinstance(value, str):
            value = unit_name(value)
        allowed = hook(task, key, read)
        if allowed and len(allowed) == 1 and value != allowed[0]:
            notes.append(f"{key}: {args[key]} → {allowed[0]} (from the task)")
            args[key] = value = allowed[0]
        read[key] = value
    return notes


def make_backend(provider, tools, native: bool | None = None, constrained: bool = True, programs: bool = True):
    """Native function calling where the provider has it; constrained calls for an in-process model; the text
    protocol otherwise (or when native=False / constrained=False).
    native=None: OpenAI and Gemini natively; OpenAI-compatible servers by text, because not every server
    implements tools= (the project's own does, unconstrained: native=True uses it)."""
    if constrained and hasattr(provider, "lm") and hasattr(provider, "tok"):
        return LocalBackend(provider, tools, programs=programs)
    name = getattr(provider, "name", "")
    if native is None:
        native = name in ("openai", "gemini")
    if native and name == "gemini":
        return GeminiBackend(provider, tools)
    if native and hasattr(provider, "client"):
        return OpenAIBackend(provider, tools)
    return TextBackend(provider, tools)


def execute(tool, args: dict) -> tuple[str, bool]:
    """Validate the arguments against the tool's schema and run it: (observation, ok)."""
    from pydantic import ValidationError

    schema = tool.args_schema.model_json_schema() if tool.args_schema else {}
    props = list(schema.get("properties", {}))
    if "__text__" in args and len(props) == 1:  # a bare string for a one-argument tool
        args = {props[0]: args["__text__"]}
    args = dict(args)  # the call as the model wrote it stays on the page
    for key, value in args.items():  # a near-miss choice ('miles', 'friday') means the close allowed one
        allowed = [str(v) for v in schema.get("properties", {}).get(key, {}).get("enum", [])]
        if allowed and isinstance(value, str) and value not in allowed:
            args[key] = next(iter(difflib.get_close_matches(value, allowed, 1, 0.8)), value)
    unknown = [k for k in args if k not in props]
    if unknown:
        return f"error: unknown argument(s) {', '.join(unknown)}; {tool.name} takes {', '.join(props) or 'none'}", False
    try:
        return str(tool.invoke(args)), True
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:3])
        return f"error: bad arguments for {tool.name}: {problems}", False
    except UserError as exc:
        return f"error: {exc}", False


def run_agent(backend, tools, task: str, max_steps: int = 6, stop_event: threading.Event | None = None
              ) -> Iterator[Step]:
    """Run the agent, yielding each step as it happens. Stops at an answer, the step limit or stop_event."""
    if not task.strip():
        raise UserError("agent.empty_task", "the task is empty")
    if not 1 <= max_steps <= MAX_STEPS:
        raise UserError("agent.bad_steps", "step limit out of range", limit=MAX_STEPS)
    by_name = {t.name: t for t in tools}
    state = backend.start(task)
    done: dict[str, str] = {}  # call signature → observation, to catch a model repeating itself
    last = None  # (tool, result) of the latest successful call

    def stopped() -> bool:
        return stop_event is not None and stop_event.is_set()

    for n in range(1, max_steps + 1):
        if stopped():
            yield Step("stopped", n)
            return
        reply = backend.ask(state, stop_event, final=n == max_steps)
        if stopped():
            yield Step("stopped", n)
            return
        if reply.thought:
            yield Step("thought", n, reply.thought)
        if reply.program:
            yield Step("program", n, reply.program)
        if reply.error:
            yield Step("error", n, reply.error)
            backend.record(state, reply, [])
            continue
        if reply.declined:
            yield Step("declined", n, tool=reply.declined.name, args=reply.declined.args)
        if not reply.calls:
            result = tool_answer(*last) if last else None
            yield Step("answer", n, reply.answer or "", tool=last[0] if result else None, source=result)
            return
        if n == max_steps:
            break
        results = []
        for call in reply.calls:
            wrote = call.name
            if call.name not in by_name:  # a near miss ('calculate', 'convert') means the close valid tool
                call.name = next(iter(difflib.get_close_matches(call.name, by_name, 1, 0.6)), call.name)
            yield Step("call", n, f"{wrote} → {call.name}" if wrote != call.name else "", tool=call.name,
                       args=call.args)
            sig = f"{call.name}:{json.dumps(call.args, sort_keys=True, ensure_ascii=False)}"
            if call.name not in by_name:
                obs, ok = f"error: unknown tool {call.name!r}; tools: {', '.join(by_name)}", False
            elif sig in done:
                obs, ok = f"{done[sig]}\n(you already called this; give the final answer now)", True
            else:
                obs, ok = execute(by_name[call.name], call.args)
                if ok:
                    done[sig] = obs
            yield Step("observation" if ok else "error", n, obs, tool=call.name)
            results.append((call, obs))
            last = (call.name, obs) if ok else None
        backend.record(state, reply, results)
    yield Step("limit", max_steps)


def final_answer(steps: list[Step]) -> str | None:
    return next((s.shown() for s in reversed(steps) if s.kind == "answer"), None)


# ---- two agents taking turns: a writer drafts, a critic reviews, the writer revises ------------------------
WRITER = ("You are the writer. Write a short, clear answer (at most 5 sentences) to the task. When you get "
          "feedback, rewrite the whole answer improving it. Reply with the answer only. Use the task's language.")
CRITIC = ("You are the critic. Review the writer's answer to the task: list at most 3 concrete problems or "
          "improvements as short numbered points. Do not rewrite it. Use the task's language.")


@dataclass
class Turn:
    role: str   # writer | critic
    round: int
    text: str


def writer_critic(provider, task: str, rounds: int = 2, stop_event=None, **params) -> Iterator[Turn]:
    """writer → (critic → writer) × rounds; each turn yielded as soon as it is complete."""
    if not task.strip():
        raise UserError("agent.empty_task", "the task is empty")
    if not 1 <= rounds <= 5:
        raise UserError("agent.bad_rounds", "rounds out of range", limit=5)
    params = {"temperature": 0.3, "max_tokens": 200, **params}

    def say(system: str, user: str) -> str:
        msgs = [{"role": "system", "content": system}, {"role": "user", "content": user}]
        return "".join(provider.stream(msgs, stop_event=stop_event, **params)).strip()

    draft = say(WRITER, f"Task: {task}")
    yield Turn("writer", 0, draft)
    for r in range(1, rounds + 1):
        if stop_event is not None and stop_event.is_set():
            return
        review = say(CRITIC, f"Task: {task}\n\nWriter's answer:\n{draft}")
        yield Turn("critic", r, review)
        if stop_event is not None and stop_event.is_set():
            return
        draft = say(WRITER, f"Task: {task}\n\nYour previous answer:\n{draft}\n\nCritic's feedback:\n{review}\n\n"
                            "Write the improved answer.")
        yield Turn("writer", r, draft)
