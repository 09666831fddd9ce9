"""The agent's tools as LangChain StructuredTools (their JSON schemas are what the model sees), each with its agent
metadata (core.agent.registry: what its result means, which argument is a program or the task itself):

    calculator      a short Python program or one expression, run by the safe evaluator of core.agent.program
                    (never eval), with convert_units() inside
    convert_units   pint's unit registry, with Korean unit names mapped onto pint's
    today           today's date, or a date some days/weeks/months/years later or ago, optionally the given
                    weekday of that week ("다음 주 금요일"): the model picks words and fills one count, no signs
    search_docs     the course notes (data/corpus_en) through core.rag's retrieval: the best-matching sentence,
                    then the snippets
    constitution    RAG over the Korean constitution: retrieve articles, answer with the chosen LLM, cite

Bad arguments raise core.errors.UserError; the agent turns that into a short error observation.
"""
from __future__ import annotations

import calendar
import datetime as dt
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Literal

from pydantic import BaseModel, Field, field_validator

from core.errors import UserError
from core.numbers import strip_thousands

MAX_OBSERVATION = 700  # characters of a tool result the model reads back; small contexts fill fast
NOTES_INDEX = "agent-notes"
# what a retrieval tool answers when no sentence passes the support threshold
WEAK_MATCH = "(weak match)"
NOT_FOUND = "not found in the documents"
LAW_INDEX = "agent-constitution"
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# the units the converter offers, as pint names: a closed list the model chooses from (an enum in the schema)
UNITS = ("km", "m", "cm", "mm", "mile", "yard", "foot", "inch", "kg", "g", "lb", "oz", "metric_ton", "liter", "ml",
         "gallon", "degC", "degF", "kelvin", "hour", "minute", "second", "day", "week", "km/hour", "mile/hour",
         "m/s", "m**2", "pyeong", "acre", "hectare")
Unit = Literal[UNITS]
# Korean and informal names → pint's unit names
UNIT_ALIASES = {
    "킬로미터": "km", "미터": "m", "센티미터": "cm", "밀리미터": "mm", "마일": "mile", "피트": "foot", "인치": "inch",
    "야드": "yard", "킬로그램": "kg", "그램": "g", "파운드": "lb", "온스": "oz", "톤": "metric_ton", "리터": "liter",
    "밀리리터": "ml", "갤런": "gallon", "섭씨": "degC", "화씨": "degF", "켈빈": "kelvin", "celsius": "degC",
    "fahrenheit": "degF", "°c": "degC", "°f": "degF", "c": "degC", "f": "degF", "시간": "hour", "분": "minute",
    "초": "second", "일": "day", "km/h": "km/hour", "kph": "km/hour", "mph": "mile/hour", "평": "pyeong",
    "제곱미터": "m**2", "㎡": "m**2", "kmh": "km/hour",
}


# English unit words (singular; a plural 's'/'es' is accepted) beyond pint's names and UNIT_ALIASES
UNIT_WORDS = {
    "kilometer": "km", "kilometre": "km", "meter": "m", "metre": "m", "centimeter": "cm", "centimetre": "cm",
    "millimeter": "mm", "millimetre": "mm", "mile": "mile", "yard": "yard", "foot": "foot", "feet": "foot",
    "inch": "inch", "kilogram": "kg", "kilo": "kg", "gram": "g", "pound": "lb", "lbs": "lb", "ounce": "oz",
    "ton": "metric_ton", "tonne": "metric_ton", "liter": "liter", "litre": "liter", "milliliter": "ml",
    "millilitre": "ml", "gallon": "gallon", "hour": "hour", "minute": "minute", "second": "second", "day": "day",
    "week": "week", "acre": "acre", "hectare": "hectare", "square meter": "m**2", "square metre": "m**2",
    "m2": "m**2", "m²": "m**2", "miles per hour": "mile/hour", "kilometers per hour": "km/hour",
    "kilometres per hour": "km/hour", "meters per second": "m/s", "metres per second": "m/s", "°c": "degC",
    "°f": "degF", "degrees celsius": "degC", "degrees fahrenheit": "degF",
}


def _unit_forms() -> list[tuple[str, str]]:
    """Every written form of every offered unit, longest first (so 'km/h' wins over 'km', '제곱미터' over '미터')."""
    forms = {u.lower(): u for u in UNITS}
    forms.update({k: v for k, v in {**UNIT_ALIASES, **UNIT_WORDS}.items() if v in UNITS})
    return sorted(forms.items(), key=lambda kv: -len(kv[0]))


def unit_mentions(text: str) -> list[tuple[str, int, int]]:
    """The units a text names, as (pint name, start, end), in order. One-letter and one-syllable forms
    ('m', '평', '초') count only right after a number ('30평', but not '초속'); a longer form is a whole word."""
    low, found = text.lower(), []
    for form, unit in _unit_forms():
        short = len(form) == 1 or (len(form) == 2 and form[0] in "°")
        if re.fullmatch(r"[가-힣]", form) or short:
            pattern = r"(?<=\d)\s?" + re.escape(form) + r"(?![a-z])"
        elif form.isascii():
            pattern = r"(?<![a-z/*])" + re.escape(form) + r"(?:e?s)?(?![a-z/*])"
        else:
            pattern = re.escape(form)
        for m in re.finditer(pattern, low):
            if all(m.end() <= a or m.start() >= b for _, a, b in found):
                found.append((unit, m.start(), m.end()))
    return sorted(found, key=lambda f: f[1])


def compatible(a: str, b: str) -> bool:
    """Whether pint can convert unit a to unit b (same dimensionality)."""
    ureg = _units()
    return ureg.parse_units(a).dimensionality == ureg.parse_units(b).dimensionality


def unit_choices(task: str, key: str, args: dict) -> list[str] | None:
    """The allowed values of convert_units' from_unit/to_unit for this task (None: all): from_unit is the unit
    written next to the value ('30평은 몇 제곱미터' → pyeong), to_unit a unit the task names that from_unit
    converts to (else any such unit), never from_unit itself. A small model otherwise swaps the two or picks
    an incompatible pair (kg → m/s)."""
    mentions = unit_mentions(task)
    if key == "from_unit":
        value = args.get("value")
        value = value if isinstance(value, (int, float)) and not isinstance(value, bool) else None
        spots = [m.span() for m in re.finditer(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?", task)
                 if value is not None and abs(float(m.group().replace(",", "")) - float(value)) < 1e-9]
        if not mentions or not spots:
            return sorted({u for u, _, _ in mentions}) or None
        start, end = spots[0]
        return [min(mentions, key=lambda u: max(u[1] - end, start - u[2]))[0]]
    if key == "to_unit" and args.get("from_unit") in UNITS:
        src = args["from_unit"]
        named = [u for u, _, _ in mentions if u != src and compatible(src, u)]
        return list(dict.fromkeys(named)) or [u for u in UNITS if u != src and compatible(src, u)]
    return None


def calculator(expression: str) -> str:
    """Run a short Python program (or one arithmetic expression) and return its value. It may use numbers,
    variables, + - * / // % **, round, floor, ceil, factorial, sqrt, min, max, abs, sum, and
    convert_units(value, from_unit, to_unit) with units such as km, m, mile, kg, g, lb, liter, degC, degF, hour,
    minute, m**2, pyeong. The value is the variable answer (else the last one assigned); print(h, 'hours', m,
    'minutes') answers with the printed line."""
    from core.agent.program import shown

    text = expression.strip()
    if "\n" not in text and not re.search(r"[A-Za-z_]", text):
        text = strip_thousands(text)  # thousands separators in a bare expression: 1,234
    return shown(text, {"convert_units": _convert}, format_number)


def format_number(x: float) -> str:
    """Integers without '.0', others to 10 significant digits (no float noise like 0.30000000000000004)."""
    if float(x).is_integer() and abs(x) < 1e15:
        return str(int(x))
    return f"{x:.10g}"


@functools.cache
def _units():
    import pint

    ureg = pint.UnitRegistry()
    ureg.define("pyeong = 400 / 121 * meter ** 2")  # the Korean floor-area unit: 1 평 = 400/121 m²
    return ureg


def unit_name(name: str) -> str:
    """The pint name of a Korean or informal unit name ('평' → 'pyeong', 'mph' → 'mile/hour'); any other name as
    written."""
    return UNIT_ALIASES.get(name.strip().lower(), UNIT_ALIASES.get(name.strip(), name))


def mentioned_units(text: str) -> list[str]:
    """The units the text names, each once, in order."""
    return list(dict.fromkeys(u for u, _, _ in unit_mentions(text)))


def _unit(ureg, name: str):
    if not isinstance(name, str):  # a program's convert_units(5, 'kg', 12)
        raise UserError("agent.bad_unit", f"unknown unit {name!r}", unit=str(name))
    clean = unit_name(name).strip()
    try:
        return ureg.parse_units(clean)
    except Exception as exc:  # pint raises several error types for unknown names
        raise UserError("agent.bad_unit", f"unknown unit {name!r}", unit=name) from exc


def _convert(value: float, from_unit: str, to_unit: str) -> float:
    import pint

    ureg = _units()
    src, dst = _unit(ureg, from_unit), _unit(ureg, to_unit)
    try:
        return float(ureg.Quantity(float(value), src).to(dst).magnitude)
    except pint.DimensionalityError as exc:
        raise UserError("agent.unit_mismatch", f"cannot convert {from_unit} to {to_unit}", src=from_unit,
                        dst=to_unit) from exc


def convert_units(value: float, from_unit: str, to_unit: str) -> str:
    """Convert a value between units, e.g. 5 mile → km, 100 degF → degC, 3 lb → kg."""
    result = _convert(value, from_unit, to_unit)
    return f"{format_number(float(value))} {from_unit} = {format_number(round(result, 6))} {to_unit}"


def today(amount: int = 0, unit: str = "days", direction: str = "later", weekday: str = "none",
          now: Callable[[], dt.date] = dt.date.today) -> str:
    """Today's date (ISO) and weekday, or the date amount units later/ago; weekday: that weekday of the week
    the shifted date falls in (Monday first)."""
    if not 0 <= amount <= 100_000:
        raise UserError("agent.bad_offset", "offset out of range", limit=100_000)
    n = amount if direction == "later" else -amount
    day = now()
    if unit in ("months", "years"):  # calendar months: the same day of the month, clamped to its length
        month = day.month - 1 + n * (12 if unit == "years" else 1)
        year, month = day.year + month // 12, month % 12 + 1
        if not 1 <= year <= 9999:
            raise UserError("agent.bad_offset", "offset out of range", limit=100_000)
        day = day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))
    else:
        day += dt.timedelta(days=n * (7 if unit == "weeks" else 1))
    if weekday != "none":
        day += dt.timedelta(days=WEEKDAYS.index(weekday) - day.weekday())
    return f"{day.isoformat()} ({WEEKDAYS[day.weekday()]})"


class DateArgs(BaseModel):
    """today's arguments: words the model chooses among and one count, so it never writes a sign or adds up."""
    amount: int = Field(0, ge=0, le=100_000, description="how many units away from today; 0 = today itself")
    unit: Literal["days", "weeks", "months", "years"] = "days"
    direction: Literal["later", "ago"] = Field("later", description="later = in the future (from now, 후, 뒤); "
                                                                     "ago = in the past (전)")
    weekday: Literal[("none",) + WEEKDAYS] = Field(
        "none", description="a weekday of that week (e.g. 'next Friday', 다음 주 금요일); none = that exact day")


class UnitArgs(BaseModel):
    """convert_units' arguments: the units come from a closed list; Korean and informal names are mapped."""
    value: float
    from_unit: Unit
    to_unit: Unit

    @field_validator("from_unit", "to_unit", mode="before")
    @classmethod
    def _alias(cls, name):
        return unit_name(name) if isinstance(name, str) else name


def _ensure_index(store, name: str, docs, embedder) -> None:
    from core.documents import split
    from core.vectordb import collection_name

    full = collection_name(name, embedder.name)
    try:
        store.get(full, embedder)
    except UserError:
        store.build(full, split(docs(), 400, 50), embedder)


def _snippets(hits) -> str:
    if not hits:
        return "no matching passage"
    per = MAX_OBSERVATION // len(hits)
    return "\n".join(f"[{i}] ({h.source}) {' '.join(h.text.split())[:per - 20]}" for i, h in enumerate(hits, 1))


def clause(query: str, sentence: str, longest: int = 150) -> str:
    """A long sentence cut to its clause that shares the most words with the query, its citation mark kept
    ('…; the GRU is a lighter variant with two gates. [1]' for 'GRU는 게이트가 몇 개'): the answer is that clause,
    not a paragraph."""
    body, mark = re.fullmatch(r"(.*?)\s*((?:\[\d+\])*)", sentence, re.S).groups()
    parts = [p.strip() for p in re.split(r";\s+|,\s+(?:and|but|while|so)\s+", body) if p.strip()]
    if len(body) <= longest or len(parts) < 2:
        return sentence
    def words(text: str) -> set[str]:
        return {w.lower() for w in re.findall(r"[A-Za-z]{2,}|\d+|[가-힣]{2,}", text)}

    asked = words(query)
    best = max(parts, key=lambda p: len(asked & words(p)))
    return f"{best} {mark}".strip()


@dataclass
class ToolContext:
    """What the retrieval tools need: a VectorStore, an embedder, the asset registry and the LLM for RAG."""
    store: object = None
    embedder: object = None
    registry: object = None
    provider: object = None
    now: Callable[[], dt.date] = dt.date.today
    k: int = 2
    stop_event: object = field(default=None, repr=False)

    def _look_up(self, index: str, docs, query: str):
        """The retrieval for query and the sentence that answers it: the best supporting one, else the closest one
        marked as a weak match, else a line saying nothing was found (never the snippets themselves)."""
        from core.rag import chain, extractive
        from core.vectordb import collection_name

        _ensure_index(self.store, index, docs, self.embedder)
        col = collection_name(index, self.embedder.name)
        retrieval = chain(self.store, col, self.embedder, k=self.k).invoke(query)
        if not retrieval.empty:
            return retrieval, clause(query, extractive(retrieval).text)
        loose = chain(self.store, col, self.embedder, k=self.k, min_support=float("-inf")).invoke(query)
        return retrieval, f"{WEAK_MATCH} {clause(query, extractive(loose).text)}" if not loose.empty else NOT_FOUND

    def search_docs(self, query: str) -> str:
        """Look up the course notes on deep learning (tensors, training, dropout, CNNs, RNN/LSTM/GRU, transfer
        learning, LoRA/QLoRA, RAG, serving) and return the sentence that answers."""
        from core.documents import english_notes

        # the best-matching sentence first: measured, a small model quoting the snippets freely picked a
        # neighbouring sentence (QLoRA's for 'what does LoRA freeze') as often as the right one
        retrieval, best = self._look_up(NOTES_INDEX, english_notes, query)
        return f"{best}\n---\n{_snippets(retrieval.hits)}"[:MAX_OBSERVATION]

    def constitution(self, question: str) -> str:
        """Look up the Korean constitution (대한민국 헌법: the president, the National Assembly, courts, elections,
        citizens' rights) and answer from its articles, with citations."""
        from core.documents import constitution_only
        from core.rag import answer, extractive

        retrieval, best = self._look_up(LAW_INDEX, lambda: constitution_only(self.registry), question)
        sources = _snippets(retrieval.hits)
        if self.provider is None or retrieval.empty:  # no model, or no sentence it may answer from
            return f"{best}\n---\n{sources}"[:MAX_OBSERVATION]
        stream = answer(self.provider, retrieval, stop_event=self.stop_event, temperature=0, max_tokens=120)
        text = "".join(stream)
        cited = " ".join(x.sentence for x in retrieval.support)
        if stream.result.origin == "extract" or set(re.findall(r"\d+", re.sub(r"\[\d+\]", "", text))) - set(
                re.findall(r"\d+", cited)):  # strayed from the sources, or wrote a number they lack ('10년'
            text = extractive(retrieval).text  # for a 6-year term): the supporting sentence answers
        return f"{text.strip()}\n---\n{sources}"[:MAX_OBSERVATION]


# worked examples of programs for the local model (core.agent.constrained), none taken from a task set: the pool
# the nearest few are retrieved from when there is an embedder (core.agent.examples), else these fixed four
EXAMPLES_FILE = Path(__file__).resolve().parent.parent / "data" / "agent_examples.jsonl"
PROGRAM_EXAMPLES = (
    ("공책 4권에 6,000원이면 공책 9권은 얼마인가요?", "price = 6000 / 4\nanswer = price * 9"),
    ("A 40,000 won jacket is 25% off. What do I pay?", "answer = 40000 * (1 - 25 / 100)"),
    ("How many buses with 45 seats does a school of 200 students need?", "answer = ceil(200 / 45)"),
    ("I walked 3 miles and then 2 more. How many km is that?", "answer = convert_units(3 + 2, 'mile', 'km')"),
)


@functools.lru_cache(maxsize=1)
def _example_pool(embedder):
    """The worked-example pool for an embedder, its examples embedded once (~1 s with e5), not on every run."""
    from core.agent.examples import ExamplePool

    return ExamplePool.load(EXAMPLES_FILE, embedder)


def make_tools(ctx: ToolContext | None = None) -> list:
    """The agent's tools: the three pure ones, plus the two retrieval tools when there is a context. Each tool's
    metadata tells the agent what its result means (core.agent.registry); adding a tool is adding it here."""
    from core.agent.registry import tool

    def _today(amount: int = 0, unit: str = "days", direction: str = "later", weekday: str = "none") -> str:
        """Today's date and weekday, or the date and weekday some days/weeks/months/years later or ago."""
        return today(amount, unit, direction, weekday, ctx.now if ctx else dt.date.today)

    examples = PROGRAM_EXAMPLES if ctx is None or ctx.embedder is None else _example_pool(ctx.embedder)
    tools = [tool(calculator, program="expression", examples=examples, covers=("convert_units",)),
             tool(convert_units, args_schema=UnitArgs, choices=unit_choices),
             tool(_today, name="calendar", args_schema=DateArgs)]
    if ctx is not None:  # a retrieved sentence is evidence: answered from, or computed on
        tools += [tool(ctx.search_docs, name="search_docs", result="evidence", task_arg="query"),
                  tool(ctx.constitution, name="constitution", result="evidence", task_arg="question")]
    return tools
