"""Korean Text-to-SQL evaluation: the shipped school database, a read-only SQL sandbox, prompts and scoring.

- The database is data/sql/school.sql (written by scripts/make_sql_data.py), built once into a file under the
  cache dir, because a read-only connection needs a file: `sqlite3.connect("file:...?mode=ro", uri=True)`.
- The sandbox has three layers, each enough on its own for writes: the file is opened read-only; an authorizer
  allows only reading (SELECT, READ, functions, recursive CTEs) and denies writes, ATTACH, PRAGMA and the rest; and
  sqlite3 itself runs one statement per execute(). A progress handler ends a query past its time limit, and at most
  MAX_ROWS rows are read.
- Scoring: execution accuracy (the model's result equals the gold result, as a multiset unless the gold query
  orders; columns may come in another order), normalised exact match (to show how much it undercounts), and the
  invalid-SQL rate.
"""
from __future__ import annotations

import csv
import hashlib
import itertools
import re
import sqlite3
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from core.errors import UserError

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data" / "sql"
DUMP = DATA / "school.sql"
QUESTIONS = DATA / "questions_ko.csv"
EXAMPLES = DATA / "examples_ko.csv"  # few-shot examples: separate from the evaluation questions
TIME_LIMIT_S = 2.0
MAX_ROWS = 1000
MAX_SQL_CHARS = 4000
MAX_VALUE_BYTES = 1_000_000  # one string or blob: zeroblob(1e9) must not take a gigabyte
VARIANTS = ("zero_shot", "few_shot")

# What a query may do: read tables and columns, call functions, use (recursive) CTEs. Everything else, from
# INSERT to ATTACH, PRAGMA, CREATE, transactions and savepoints, is refused.
_ALLOWED = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_RECURSIVE}
_DENIED_FUNCTIONS = {"load_extension", "readfile", "writefile", "edit", "fts3_tokenizer"}
_ACTIONS = {v: k.removeprefix("SQLITE_") for k, v in vars(sqlite3).items()
            if k.startswith("SQLITE_") and isinstance(v, int) and k not in ("SQLITE_OK", "SQLITE_DENY",
                                                                               "SQLITE_IGNORE")}


@dataclass(frozen=True)
class Question:
    id: str
    level: str
    kind: str
    question: str
    gold_sql: str


@dataclass
class Outcome:
    """One query run in the sandbox: its rows, or the reason it did not run."""
    columns: list[str] = field(default_factory=list)
    rows: list[tuple] = field(default_factory=list)
    error: str | None = None
    truncated: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class Scored:
    question: Question
    raw: str             # what the model wrote
    sql: str             # the SQL taken from it ('' when none)
    pred: Outcome
    gold: Outcome
    exec_match: bool
    exact_match: bool
    seconds: float = 0.0

    @property
    def valid(self) -> bool:
        return bool(self.sql) and self.pred.ok


# ---------------------------------------------------------------- database

def database(cache_dir: Path) -> Path:
    """The school database as a file, built from the shipped dump the first time (and again if the dump changes)."""
    digest = hashlib.sha256(DUMP.read_bytes()).hexdigest()[:12]
    path = Path(cache_dir) / "sql" / f"school-{digest}.db"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".partial")
        tmp.unlink(missing_ok=True)
        conn = sqlite3.connect(tmp)
        try:
            conn.executescript(DUMP.read_text(encoding="utf-8"))
            conn.commit()
        finally:
            conn.close()
        tmp.replace(path)
    return path


def load_questions(path: Path = QUESTIONS) -> list[Question]:
    with open(path, encoding="utf-8", newline="") as f:
        return [Question(r["id"], r["level"], r["kind"], r["question"], r["gold_sql"]) for r in csv.DictReader(f)]


def load_examples(path: Path = EXAMPLES) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


# ---------------------------------------------------------------- sandbox

def _authorizer(action, arg1, arg2, db_name, trigger):
    if action not in _ALLOWED:
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_FUNCTION and (arg2 or "").lower() in _DENIED_FUNCTIONS:
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


def connect_readonly(db: Path) -> sqlite3.Connection:
    """A connection that can only read db: opened with mode=ro and guarded by the authorizer."""
    conn = sqlite3.connect(Path(db).resolve().as_uri() + "?mode=ro", uri=True, check_same_thread=False)
    conn.set_authorizer(_authorizer)
    conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)
    conn.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)
    return conn


def run_sql(db: Path, sql: str, time_limit: float = TIME_LIMIT_S, max_rows: int = MAX_ROWS) -> Outcome:
    """Run one read-only statement. Refusals and errors come back as Outcome.error (the model's SQL is data, not
    the user's mistake); a clear message names what was refused."""
    sql = sql.strip()
    if not sql:
        return Outcome(error="empty query")
    if len(sql) > MAX_SQL_CHARS:
        return Outcome(error=f"query longer than {MAX_SQL_CHARS} characters")
    conn = connect_readonly(db)
    deadline = time.monotonic() + time_limit
    conn.set_progress_handler(lambda: int(time.monotonic() > deadline), 1000)
    try:
        cur = conn.execute(sql)
        rows = cur.fetchmany(max_rows + 1)
        columns = [d[0] for d in cur.description or []]
        return Outcome(columns, [tuple(r) for r in rows[:max_rows]], truncated=len(rows) > max_rows)
    except (sqlite3.Warning, sqlite3.ProgrammingError) as exc:  # 3.11 warns, 3.12+ raises, on "a; b"
        if "one statement" in str(exc):
            return Outcome(error="refused: only one statement is allowed")
        return Outcome(error=f"error: {exc}")
    except sqlite3.DatabaseError as exc:
        text = str(exc)
        if "not authorized" in text or "authorization denied" in text:
            return Outcome(error=f"refused: only reading (SELECT) is allowed ({text})")
        if "too big" in text:
            return Outcome(error=f"refused: a value larger than {MAX_VALUE_BYTES} bytes ({text})")
        if "interrupted" in text:
            return Outcome(error=f"refused: the query ran longer than {time_limit:g} s")
        if "readonly" in text:
            return Outcome(error=f"refused: the database is read-only ({text})")
        return Outcome(error=f"error: {text}")
    finally:
        conn.close()


def run_user_sql(db: Path, sql: str) -> Outcome:
    """run_sql for a query a student typed: a refusal or error is a translated UserError."""
    out = run_sql(db, sql)
    if out.error:
        raise UserError("sql.refused", out.error, reason=out.error)
    return out


# ---------------------------------------------------------------- prompts

def schema_text(db: Path, sample_rows: int = 0) -> str:
    """The CREATE TABLE statements, optionally with the first rows of each table as SQL comments."""
    conn = connect_readonly(db)
    conn.set_authorizer(None)  # sqlite_master is read by our own code here, not by a model
    try:
        tables = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name").fetchall()
        parts = []
        for name, ddl in tables:
            parts.append(ddl.strip() + ";")
            if sample_rows:
                cur = conn.execute(f'SELECT * FROM "{name}" LIMIT ?', (sample_rows,))
                cols = [d[0] for d in cur.description]
                parts.append(f"-- {name} sample rows: " + ", ".join(cols))
                parts.extend("-- " + " | ".join(map(str, row)) for row in cur.fetchall())
        return "\n".join(parts)
    finally:
        conn.close()


SYSTEM = ("당신은 SQLite 전문가입니다. 주어진 데이터베이스 스키마를 보고, 한국어 질문에 답하는 SQLite SELECT 문을 "
          "하나만 작성하세요. 설명 없이 SQL만 ```sql 코드 블록에 쓰세요.")


def build_messages(question: str, schema: str, variant: str = "zero_shot", examples: list[dict] | None = None,
                   ) -> list[dict]:
    """Chat messages for one question: the schema in the system turn; few-shot adds example question/SQL turns."""
    if variant not in VARIANTS:
        raise UserError("sql.bad_variant", f"unknown prompt variant {variant}", variant=variant)
    messages = [{"role": "system", "content": f"{SYSTEM}\n\n스키마:\n{schema}"}]
    if variant == "few_shot":
        for ex in examples if examples is not None else load_examples():
            messages += [{"role": "user", "content": ex["question"]},
                         {"role": "assistant", "content": f"```sql\n{ex['sql']}\n```"}]
    messages.append({"role": "user", "content": question})
    return messages


_FENCE = re.compile(r"```(?:sql|sqlite)?\s*(.*?)(?:```|$)", re.S | re.I)
_START = re.compile(r"\b(SELECT|WITH)\b", re.I)


def extract_sql(text: str) -> str:
    """The SQL in a model's answer: the first fenced block, else from the first SELECT/WITH on; up to the first
    ';' that ends a statement (a chained second statement is kept so the sandbox refuses it visibly)."""
    m = _FENCE.search(text)
    body = m.group(1) if m else text
    start = _START.search(body)
    if not start:
        return ""
    sql = body[start.start():].strip()
    return sql.rstrip().rstrip(";").strip()


# ---------------------------------------------------------------- scoring

def is_ordered(sql: str) -> bool:
    """Whether the query's own result order is meant: an ORDER BY outside any parentheses."""
    depth, flat = 0, []
    for ch in re.sub(r"'[^']*'", "''", sql):
        depth += ch == "("
        depth -= ch == ")"
        flat.append(ch if depth == 0 else " ")
    return re.search(r"\border\s+by\b", "".join(flat), re.I) is not None


def _cell(value):
    if isinstance(value, float):
        return round(value, 6) + 0.0  # sums in another order differ in the last bits; -0.0 == 0.0
    return value


def results_equal(pred: list[tuple], gold: list[tuple], ordered: bool = False) -> bool:
    """Same rows (as a multiset, or as a sequence when ordered), allowing the columns in another order."""
    if len(pred) != len(gold):
        return False
    if not gold:
        return True
    width = len(gold[0])
    if any(len(r) != width for r in pred):
        return False
    gold_n = [tuple(map(_cell, r)) for r in gold]
    pred_n = [tuple(map(_cell, r)) for r in pred]
    perms = itertools.permutations(range(width)) if width <= 6 else [tuple(range(width))]
    for perm in perms:
        moved = [tuple(r[i] for i in perm) for r in pred_n]
        if (moved == gold_n) if ordered else (Counter(moved) == Counter(gold_n)):
            return True
    return False


def normalise_sql(sql: str) -> str:
    """Lower case outside string literals, one space between tokens, no trailing ';', double → single quotes."""
    sql = sql.strip().rstrip(";").replace('"', "'")
    parts = re.split(r"('(?:[^']|'')*')", sql)
    out = []
    for i, part in enumerate(parts):
        if i % 2:  # a string literal, kept as written
            out.append(part)
        else:
            part = re.sub(r"\s*([(),=<>*+-/])\s*", r" \1 ", part.lower())
            out.append(re.sub(r"\s+", " ", part))
    return re.sub(r"\s+", " ", "".join(out)).strip()


def exact_match(pred_sql: str, gold_sql: str) -> bool:
    return bool(pred_sql) and normalise_sql(pred_sql) == normalise_sql(gold_sql)


def score(db: Path, q: Question, raw: str, seconds: float = 0.0, gold: Outcome | None = None) -> Scored:
    sql = extract_sql(raw)
    gold = gold or run_sql(db, q.gold_sql)
    pred = run_sql(db, sql) if sql else Outcome(error="no SQL found in the answer")
    match = pred.ok and gold.ok and not pred.truncated and results_equal(pred.rows, gold.rows,
                                                                          is_ordered(q.gold_sql))
    return Scored(q, raw, sql, pred, gold, match, exact_match(sql, q.gold_sql), seconds)


@dataclass
class Summary:
    n: int
    execution_accuracy: float
    exact_match: float
    invalid_rate: float
    by_kind: dict[str, float]
    by_level: dict[str, float]


def summarise(results: list[Scored]) -> Summary:
    n = len(results)

    def rate(items, pred) -> float:
        items = list(items)
        return sum(map(pred, items)) / len(items) if items else 0.0

    def grouped(attr: str) -> dict[str, float]:
        keys = sorted({getattr(r.question, attr) for r in results})
        return {k: rate((r for r in results if getattr(r.question, attr) == k), lambda r: r.exec_match)
                for k in keys}

    return Summary(n, rate(results, lambda r: r.exec_match), rate(results, lambda r: r.exact_match),
                   rate(results, lambda r: not r.valid), grouped("kind"), grouped("level"))


def generate_and_score(provider, db: Path, questions: list[Question], variant: str = "zero_shot",
                       sample_rows: int = 0, max_tokens: int = 160, stop_event=None):
    """Yields a Scored per question as the provider answers (greedy), so a page can draw progress and stop."""
    schema = schema_text(db, sample_rows)
    examples = load_examples() if variant == "few_shot" else None
    for q in questions:
        if stop_event is not None and stop_event.is_set():
            return
        start = time.perf_counter()
        raw = "".join(provider.stream(build_messages(q.question, schema, variant, examples), temperature=0.0,
                                      max_tokens=max_tokens, seed=0, stop_event=stop_event))
        yield score(db, q, raw, time.perf_counter() - start)


def spread(questions: list[Question], n: int) -> list[Question]:
    """The first n questions taken in turn from each kind, so a short run still covers every style."""
    by_kind: dict[str, list[Question]] = {}
    for q in questions:
        by_kind.setdefault(q.kind, []).append(q)
    out: list[Question] = []
    while len(out) < min(n, len(questions)):
        for group in by_kind.values():
            if group and len(out) < n:
                out.append(group.pop(0))
    return out
