"""Text-to-SQL: the shipped database and questions, the read-only sandbox against hostile SQL, and the scoring."""
import sqlite3
import subprocess
import sys
import time

import pytest

from core import sql_eval as S


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return S.database(tmp_path_factory.mktemp("sql"))


def test_database_is_what_the_generator_writes():
    """The committed dump is byte-identical to a fresh run of its script (deterministic, not edited by hand)."""
    before = S.DUMP.read_bytes()
    subprocess.run([sys.executable, "scripts/make_sql_data.py"], cwd=S.ROOT, check=True, capture_output=True)
    assert S.DUMP.read_bytes() == before


def test_database_has_related_korean_tables(db):
    conn = sqlite3.connect(db)
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    assert 4 <= len(tables) <= 6
    total = sum(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables)
    assert 200 <= total <= 1000
    assert conn.execute("SELECT count(*) FROM enrollments e JOIN students s ON s.id = e.student_id "
                        "JOIN courses c ON c.id = e.course_id").fetchone()[0] > 100  # the keys really relate
    assert any("\uac00" <= ch <= "\ud7a3" for ch in conn.execute("SELECT name FROM students").fetchone()[0])


def test_questions_cover_styles_and_every_gold_query_answers(db):
    qs = S.load_questions()
    assert len(qs) >= 60 and len({q.id for q in qs}) == len(qs)
    assert {"single", "join", "group", "order", "topn", "date"} <= {q.kind for q in qs}
    assert {"easy", "medium", "hard"} == {q.level for q in qs}
    for q in qs:
        out = S.run_sql(db, q.gold_sql)
        assert out.ok and out.rows, (q.id, out.error)
    examples = {e["question"] for e in S.load_examples()}
    assert examples and not examples & {q.question for q in qs}  # few-shot examples are not test questions


@pytest.mark.parametrize("sql", [
    "DROP TABLE students",
    "UPDATE students SET year = 1",
    "DELETE FROM enrollments",
    "INSERT INTO departments VALUES (99, 'x', 'y')",
    "CREATE TABLE t (x)",
    "ATTACH DATABASE ':memory:' AS other",
    "ATTACH DATABASE '/tmp/evil.db' AS other",
    "PRAGMA table_info(students)",
    "PRAGMA writable_schema = ON",
    "SELECT * FROM pragma_table_info('students')",
    "SELECT 1; DROP TABLE students",
    "SELECT count(*) FROM students; UPDATE students SET year = 9",
    "SELECT load_extension('/tmp/x.so')",
    "VACUUM",
    "BEGIN",
    "SELECT length(zeroblob(1000000000))",
    "WITH RECURSIVE s(x) AS (SELECT 'ab' UNION ALL SELECT x || x FROM s) SELECT length(x) FROM s",
])
def test_sandbox_refuses_writes_and_escapes(db, sql):
    before = S.run_sql(db, "SELECT count(*), sum(year) FROM students").rows
    out = S.run_sql(db, sql)
    assert not out.ok and out.error.startswith("refused"), out.error
    assert S.run_sql(db, "SELECT count(*), sum(year) FROM students").rows == before
    assert S.run_sql(db, "SELECT count(*) FROM sqlite_master WHERE name = 't'").rows == [(0,)]


def test_sandbox_times_out_a_runaway_recursive_cte(db):
    start = time.monotonic()
    out = S.run_sql(db, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c",
                    time_limit=0.5)
    assert time.monotonic() - start < 5
    assert out.error and "longer than" in out.error
    # an endless row stream is cut at the row limit instead
    out = S.run_sql(db, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c",
                    max_rows=50)
    assert out.ok and len(out.rows) == 50 and out.truncated


def test_sandbox_still_reads(db):
    out = S.run_sql(db, "WITH t AS (SELECT city, count(*) n FROM students GROUP BY city) SELECT max(n) FROM t;")
    assert out.ok and out.rows[0][0] > 0 and out.columns == ["max(n)"]


def test_a_students_refused_query_is_a_user_error(db):
    with pytest.raises(S.UserError) as err:
        S.run_user_sql(db, "DROP TABLE students")
    assert err.value.key == "sql.refused"


def test_same_rows_in_another_order_are_equal_unless_ordered():
    gold = [("서울", 16), ("부산", 14), ("대구", 12)]
    shuffled = [gold[2], gold[0], gold[1]]
    assert S.results_equal(shuffled, gold, ordered=False)
    assert not S.results_equal(shuffled, gold, ordered=True)
    assert S.results_equal([(16, "서울"), (14, "부산"), (12, "대구")], gold)  # columns in another order
    assert not S.results_equal([("서울", 16), ("부산", 14)], gold)  # a row missing
    assert not S.results_equal([("서울", 16), ("부산", 14), ("대구", 13)], gold)  # a value differs
    assert not S.results_equal(gold + [gold[0]], gold)  # a duplicate row: a multiset, not a set
    assert S.results_equal([(76.05217391304349,)], [(76.05217391304348,)])  # float summation order


def test_scoring_execution_exact_and_invalid(db):
    q = next(q for q in S.load_questions() if q.gold_sql == "SELECT city, count(*) FROM students GROUP BY city")
    same = S.score(db, q, "```sql\nSELECT city, count(*) FROM students GROUP BY city;\n```")
    assert same.exec_match and same.exact_match and same.valid
    other_order = S.score(db, q, "SELECT city, COUNT(id) AS n FROM students GROUP BY city ORDER BY n DESC")
    assert other_order.exec_match and not other_order.exact_match  # exact match undercounts
    wrong = S.score(db, q, "SELECT city, count(*) FROM students WHERE year = 1 GROUP BY city")
    assert wrong.valid and not wrong.exec_match
    invalid = S.score(db, q, "SELECT city, count(* FROM students")
    assert not invalid.valid and not invalid.exec_match and "syntax" in invalid.pred.error
    refused = S.score(db, q, "DROP TABLE students")
    assert not refused.valid
    nothing = S.score(db, q, "잘 모르겠습니다.")
    assert not nothing.valid and nothing.sql == ""
    s = S.summarise([same, other_order, wrong, invalid, refused, nothing])
    assert (s.n, s.execution_accuracy, s.exact_match) == (6, 2 / 6, 1 / 6)
    assert s.invalid_rate == 3 / 6


def test_ordered_question_needs_the_order(db):
    q = next(q for q in S.load_questions() if "ORDER BY name" in q.gold_sql and "LIMIT" not in q.gold_sql)
    assert S.is_ordered(q.gold_sql)
    assert S.score(db, q, q.gold_sql).exec_match
    assert not S.score(db, q, q.gold_sql.replace("ORDER BY name", "ORDER BY name DESC")).exec_match


def test_prompts_zero_and_few_shot_with_sample_rows(db):
    plain, rows = S.schema_text(db), S.schema_text(db, sample_rows=2)
    assert "CREATE TABLE students" in plain and "sample rows" not in plain
    assert "sample rows" in rows and len(rows) > len(plain)
    zero = S.build_messages("학생은 몇 명?", plain, "zero_shot")
    few = S.build_messages("학생은 몇 명?", rows, "few_shot")
    assert [m["role"] for m in zero] == ["system", "user"]
    assert len(few) == 2 + 2 * len(S.load_examples()) and few[-1]["content"] == "학생은 몇 명?"
    with pytest.raises(S.UserError):
        S.build_messages("q", plain, "nine_shot")
