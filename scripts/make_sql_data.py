"""Writes data/sql/school.sql: the small Korean school database of the LLM-evaluation page (Text-to-SQL).

Deterministic (seed 0): run it again and the dump is byte-identical. Five related tables, a few hundred rows,
English identifiers (what SQL models are trained on) with Korean names and values. The questions with gold SQL
are written by hand in data/sql/questions_ko.csv; tests/core/test_sql_eval.py checks every gold query runs here.

    python scripts/make_sql_data.py
"""
from __future__ import annotations

import random
import sqlite3
from datetime import date, timedelta
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "data" / "sql" / "school.sql"

SCHEMA = """
CREATE TABLE departments (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,      -- 학과 이름
  building TEXT NOT NULL   -- 건물
);
CREATE TABLE instructors (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  department_id INTEGER NOT NULL REFERENCES departments(id),
  hired_on TEXT NOT NULL   -- YYYY-MM-DD
);
CREATE TABLE courses (
  id INTEGER PRIMARY KEY,
  title TEXT NOT NULL,
  instructor_id INTEGER NOT NULL REFERENCES instructors(id),
  credits INTEGER NOT NULL,
  semester TEXT NOT NULL   -- '2024-1' or '2024-2'
);
CREATE TABLE students (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  year INTEGER NOT NULL,   -- 학년 1-4
  department_id INTEGER NOT NULL REFERENCES departments(id),
  city TEXT NOT NULL,
  enrolled_on TEXT NOT NULL  -- 입학일 YYYY-MM-DD
);
CREATE TABLE enrollments (
  student_id INTEGER NOT NULL REFERENCES students(id),
  course_id INTEGER NOT NULL REFERENCES courses(id),
  registered_on TEXT NOT NULL,  -- 수강 신청일 YYYY-MM-DD
  score INTEGER,                -- 0-100, NULL: 아직 채점 전
  PRIMARY KEY (student_id, course_id)
);
"""

DEPARTMENTS = [("컴퓨터공학과", "공학관"), ("경영학과", "경영관"), ("국어국문학과", "인문관"), ("수학과", "자연관"),
               ("전자공학과", "공학관"), ("심리학과", "사회관")]
SURNAMES = "김이박최정강조윤장임한오서신권황안송류홍"
GIVEN = ["민준", "서연", "도윤", "지우", "하준", "서윤", "시우", "하은", "지호", "수아", "예준", "지민", "유진", "현우",
         "채원", "준서", "다은", "건우", "소율", "우진", "지아", "선우", "예린", "민서", "은우", "가은", "태윤", "나연"]
CITIES = ["서울", "부산", "대구", "인천", "광주", "대전", "수원", "춘천"]
COURSES = {  # department index -> titles
    0: ["파이썬 프로그래밍", "자료구조", "데이터베이스", "딥러닝 입문", "운영체제"],
    1: ["회계원리", "마케팅 관리", "경영통계"],
    2: ["현대 소설 읽기", "국어학 개론", "글쓰기와 표현"],
    3: ["미적분학", "선형대수", "확률과 통계", "정수론"],
    4: ["회로이론", "신호와 시스템", "임베디드 시스템"],
    5: ["심리학 개론", "인지심리학", "사회심리학"],
}


def names(rng: random.Random, n: int) -> list[str]:
    picked: list[str] = []  # a list, not a set: set order changes with PYTHONHASHSEED
    while len(picked) < n:
        name = rng.choice(SURNAMES) + rng.choice(GIVEN)
        if name not in picked:
            picked.append(name)
    return picked


def day(rng: random.Random, start: date, end: date) -> str:
    return (start + timedelta(days=rng.randrange((end - start).days + 1))).isoformat()


def build(conn: sqlite3.Connection, seed: int = 0) -> None:
    rng = random.Random(seed)
    conn.executescript(SCHEMA)
    conn.executemany("INSERT INTO departments VALUES (?, ?, ?)",
                     [(i + 1, n, b) for i, (n, b) in enumerate(DEPARTMENTS)])
    people = names(rng, 15 + 120)
    instructors = []
    for i, name in enumerate(people[:15]):
        dept = i % len(DEPARTMENTS) + 1
        instructors.append((i + 1, name, dept, day(rng, date(2005, 3, 1), date(2023, 9, 1))))
    conn.executemany("INSERT INTO instructors VALUES (?, ?, ?, ?)", instructors)
    courses, cid = [], 0
    for d, titles in COURSES.items():
        staff = [i for i in instructors if i[2] == d + 1]
        for k, title in enumerate(titles):
            cid += 1
            courses.append((cid, title, staff[k % len(staff)][0], rng.choice([2, 3, 3, 3, 4]),
                            "2024-1" if k % 2 == 0 else "2024-2"))
    conn.executemany("INSERT INTO courses VALUES (?, ?, ?, ?, ?)", courses)
    students = []
    for i, name in enumerate(people[15:]):
        year = rng.choice([1, 1, 2, 2, 3, 3, 4])
        enrolled = date(2025 - year, 3, 2) + timedelta(days=rng.choice([0, 0, 0, 180]))
        students.append((i + 1, name, year, rng.randrange(len(DEPARTMENTS)) + 1, rng.choice(CITIES),
                         enrolled.isoformat()))
    conn.executemany("INSERT INTO students VALUES (?, ?, ?, ?, ?, ?)", students)
    rows = []
    for s in students:
        own = [c for c in courses if c[2] and next(i for i in instructors if i[0] == c[2])[2] == s[3]]
        other = [c for c in courses if c not in own]
        picked = rng.sample(own, min(len(own), rng.randint(1, 3))) + rng.sample(other, rng.randint(0, 2))
        for c in sorted(picked):
            start = date(2024, 2, 13) if c[4] == "2024-1" else date(2024, 8, 12)
            registered = day(rng, start, start + timedelta(days=20))
            score = None if rng.random() < 0.06 else max(0, min(100, round(rng.gauss(76, 12))))
            rows.append((s[0], c[0], registered, score))
    conn.executemany("INSERT INTO enrollments VALUES (?, ?, ?, ?)", rows)
    conn.commit()


def main() -> None:
    conn = sqlite3.connect(":memory:")
    build(conn)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(conn.iterdump()) + "\n", encoding="utf-8")
    counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
              for t in ("departments", "instructors", "courses", "students", "enrollments")}
    print(OUT, counts, "total", sum(counts.values()))


if __name__ == "__main__":
    main()
