"""Answer units: a bullet item, a table row and a definition line are answer candidates from every upload format
(Markdown, plain text, DOCX, PDF), each with the context that says what it is about; and the frozen answer rule
(core.rag.MIN_SUPPORT) answers a keyword query and refuses a near-topic question on a list-heavy upload."""
import io
import zlib
from pathlib import Path

import pytest

from core import answer_units as A
from core import documents as D
from core import rag
from core import vectordb as VDB
from tests.pdf import pdf_file

ROOT = Path(__file__).resolve().parents[2]


def _kinds(docs) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for chunk in D.split(docs, 400, 50):
        for u in A.units(chunk.text):
            assert all(span in chunk.text for span in u.spans)  # what the page highlights is in the chunk
            out.setdefault(u.kind, []).append(u.text)
    return out


def _docx() -> bytes:
    import docx

    d = docx.Document()
    d.add_heading("준비물", level=2)
    d.add_paragraph("개인 노트북", style="List Bullet")
    d.add_paragraph("결측치: 값이 비어 있는 칸")
    table = d.add_table(rows=2, cols=2)
    for cell, text in zip(table.rows[0].cells + table.rows[1].cells, ["주차", "주제", "2주", "판다스"]):
        cell.text = text
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def _pdf(lines: list[str]) -> bytes:
    """One page, one text line per entry (Helvetica, so ASCII text)."""
    body = b"BT /F1 12 Tf 14 TL 72 720 Td " + b" ".join(b"(" + ln.encode() + b") Tj T*" for ln in lines) + b" ET"
    body = zlib.compress(body)
    objs = {1: b"<< /Type /Catalog /Pages 2 0 R >>", 2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 "
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >> >>",
            4: b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(body) + body + b"\nendstream"}
    return pdf_file(objs)


MD = ("## 준비물\n- 개인 노트북\n\n## 일정\n| 주차 | 주제 |\n|---|---|\n| 2주 | 판다스 |\n\n"
      "## 용어\n결측치: 값이 비어 있는 칸\n")
TXT = "준비물:\n• 개인 노트북\n\n주차\t주제\n2주\t판다스\n\n결측치: 값이 비어 있는 칸\n"


@pytest.mark.parametrize("name,data", [("a.md", MD.encode()), ("a.txt", TXT.encode()), ("a.docx", _docx())])
def test_a_bullet_a_table_row_and_a_definition_are_candidates_in_korean_uploads(name, data):
    kinds = _kinds(D.load_upload(name, data))
    assert "준비물: 개인 노트북" in kinds["item"]  # the item with its heading or lead-in
    assert any("주차: 2주" in r and "주제: 판다스" in r for r in kinds["row"])  # the row with its header
    assert any(d.endswith("결측치: 값이 비어 있는 칸") for d in kinds["definition"])


def test_a_table_aligned_with_spaces_in_plain_text_gives_rows_with_their_header():
    text = ("수당 지급 기준\n구분         금액(원)    지급일\n-----------  ----------  ------\n"
            "식대         200,000     매월 25일\n교통비       100,000     매월 25일\n\n"
            "Variable       Default\nMAX_WORKERS    4\nCACHE_DIR      ~/.cache/lib\n"
            "Prose may hold  a double space here.\nAnd  another one  there.\n")
    kinds = _kinds(D.load_upload("policy.txt", text.encode()))
    rows = kinds["row"]
    assert any("구분: 교통비" in r and "금액(원): 100,000" in r for r in rows)
    assert "Variable: Default" not in " ".join(rows)  # two columns without a rule: a key/value list
    assert any(d.endswith("MAX_WORKERS: 4") for d in kinds["definition"])
    assert not any("-----" in r or "double space" in r or "another" in r for r in rows)  # a rule, prose
    assert any("double space" in u for u in kinds["sentence"] + kinds.get("heading", []) + kinds.get("line", []))


@pytest.mark.parametrize("rule", ["|---|---|---|", None])
def test_a_table_cut_across_chunks_keeps_its_header_in_every_chunk(rule):
    rows = [(f"server-{i:02d}", f"{8 * i} GB", f"team {chr(65 + i)} experiments") for i in range(12)]
    if rule:  # Markdown
        text = "\n".join(["| name | memory | use |", rule] + [f"| {a} | {b} | {c} |" for a, b, c in rows])
    else:  # plain text, columns aligned with spaces
        text = "\n".join(f"{a:<12}{b:<10}{c}" for a, b, c in [("name", "memory", "use")] + rows)
    chunks = D.split(D.load_upload("servers.md" if rule else "servers.txt", text.encode()), 200, 0)
    assert len(chunks) >= 3
    found = [u.text for c in chunks for u in A.units(c.text) if u.kind == "row"]
    for a, b, c in rows:  # every row once or more (chunks may overlap), always under the real column names
        assert f"name: {a}; memory: {b}; use: {c}" in found
    assert all(r.startswith("name: server-") for r in found)


@pytest.mark.parametrize("name", ["notes.txt", "notes.md"])
def test_a_title_underlined_with_dashes_or_equals_is_the_heading_of_what_follows_in_every_chunk(name):
    fixes = "\n".join(f"  - Fixed crash number {i} in the data loader when workers exceed {i + 1}." for i in range(8))
    text = (f"Release notes\n=============\n\nv2.0.0 (2026-03-14)\n-------------------\nAdded:\n  - ONNX export.\n"
            f"Fixed:\n{fixes}\n\nv1.9.1 (2026-01-02)\n-------------------\n  - First public release.\n")
    chunks = D.split(D.load_upload(name, text.encode()), 200, 0)
    assert len(chunks) >= 3
    items = [u.text for c in chunks for u in A.units(c.text) if u.kind == "item"]
    assert "v2.0.0 (2026-03-14) · Added: ONNX export." in items
    # every fix under its version, in later chunks too (the section's title starts each of its chunks)
    assert sum(t.startswith("v2.0.0 (2026-03-14)") and "Fixed crash number" in t for t in items) >= 8
    assert any(t.startswith("v1.9.1 (2026-01-02)") and t.endswith("First public release.") for t in items)
    assert not any("---" in t or "===" in t for c in chunks for u in A.units(c.text) for t in [u.text])


def test_a_bullet_a_table_row_and_a_definition_are_candidates_in_a_pdf():
    data = _pdf(["Materials:", "- a laptop with 8 GB", "| Week | Topic |", "| 2 | pandas |",
                 "Epoch: one pass over the data"])
    kinds = _kinds(D.load_upload("notes.pdf", data))
    assert kinds["item"] == ["Materials: a laptop with 8 GB"]
    assert kinds["row"] == ["Week: 2; Topic: pandas"]
    assert kinds["definition"] == ["Epoch: one pass over the data"]


def test_headings_lead_ins_and_fragments():
    units = A.units("# 과정 안내\n매일 오전 9시 시작\n실습 내용:\n1. 텐서\n2. 자동 미분\n제1장 총강\n짧은 메모")
    assert [(u.kind, u.text) for u in units] == [
        ("heading", "과정 안내: 매일 오전 9시 시작"),  # a heading with its first line, a fragment with no "다."
        ("item", "과정 안내 · 실습 내용: 텐서"), ("item", "과정 안내 · 실습 내용: 자동 미분"),
        ("line", "과정 안내: 짧은 메모")]  # a law part heading (제1장) is never an answer alone
    assert units[1].spans == ("1. 텐서",)  # the page marks the item line itself, not its lead-in


def test_wrapped_lines_are_one_sentence_and_each_line_is_still_highlighted():
    text = ("It lives in Room 214 of the science hall server closet and is paid for\n"
            "by the club's annual budget.\n- a list item\n짧은 제목\n둘째 줄입니다.")
    units = A.units(text)
    first = units[0]
    assert first.text == ("It lives in Room 214 of the science hall server closet and is paid for by the club's "
                          "annual budget.")
    assert first.spans == ("It lives in Room 214 of the science hall server closet and is paid for",
                           "by the club's annual budget.")
    assert all(span in text for u in units for span in u.spans)
    # a list item and a short unended line (a title, a fragment) do not continue the line before them
    assert units[1].kind == "item" and units[1].spans == ("- a list item",)
    assert [u.text for u in units[2:]] == ["짧은 제목", "둘째 줄입니다."]
    three = A.units("A paragraph wrapped by the editor at a fixed width, so that one sentence\n"
                    "runs over three lines of the file, and every one of these lines, the first too,\nis kept.")
    assert len(three) == 1 and three[0].text.endswith("the first too, is kept.") and len(three[0].spans) == 3
    # a definition line is not the continuation of a long definition before it
    terms = A.units("MAPE: mean absolute percentage error, undefined when actual values are zero\n"
                    "MASE: mean absolute scaled error")
    assert [u.text for u in terms] == ["MAPE: mean absolute percentage error, undefined when actual values are zero",
                                       "MASE: mean absolute scaled error"]


def test_an_faq_question_titles_its_answer_and_a_one_letter_label_is_not_a_definition():
    units = A.units("**Q: How do I get an account?**\nA: Fill in the request form.\nApproval takes 3 business days.")
    assert [(u.kind, u.text) for u in units] == [
        ("heading", "Q: How do I get an account? A: Fill in the request form."),
        ("sentence", "Approval takes 3 business days.")]


def test_a_prose_sentence_under_a_heading_is_not_a_lists_lead_in_and_list_items_share_a_block():
    units = A.units("## 데이터셋\n외부 공유는 금지됩니다.\n- 이미지 수: 18,600장\n- 분할 비율: 70%\n\n## 일정\n"
                    "| 요일 | 장소 |\n|---|---|\n| 월 | 407호 |\n| 금 | 312호 |")
    items = [u for u in units if u.kind == "item"]
    assert [u.text for u in items] == ["데이터셋: 이미지 수: 18,600장", "데이터셋: 분할 비율: 70%"]
    rows = [u for u in units if u.kind == "row"]
    assert items[0].block == items[1].block != rows[0].block == rows[1].block >= 0
    assert [u.text[u.head:] for u in rows] == ["요일: 월; 장소: 407호", "요일: 금; 장소: 312호"]
    assert all(u.block == -1 for u in units if u.kind not in ("item", "row"))
    # a sentence with no heading above it still leads into its numbered list (a law article's "다음 사항은 …")
    law = A.units("다음 사항은 국무회의의 심의를 거쳐야 한다.\n1. 국정의 기본계획")
    assert law[-1].text == "다음 사항은 국무회의의 심의를 거쳐야 한다. 국정의 기본계획"


def test_a_long_markdown_section_keeps_its_heading_in_every_chunk():
    text = "## 유의 사항\n" + "\n".join(f"- 규칙 {i}: 내용이 조금 긴 항목입니다" for i in range(30)) + "\n## 다음\n끝"
    chunks = D.split(D.load_upload("r.md", text.encode()), 200, 0)
    ruled = [c.text for c in chunks if "규칙" in c.text]
    assert len(ruled) > 2 and all(c.startswith("## 유의 사항\n") for c in ruled)
    assert not any("## 다음" in c for c in ruled)


@pytest.fixture(scope="module")
def syllabus(tmp_path_factory):
    from core.assets import Registry
    from core.config import Settings
    from core.embeddings import make_embedder

    e5 = make_embedder("e5", Registry(Settings.load().cache_dir))
    path = ROOT / "data" / "eval" / "dev_upload_syllabus_ko.md"
    store = VDB.VectorStore(tmp_path_factory.mktemp("syl"))
    store.build("syl__e5", D.split(D.load_upload(path.name, path.read_bytes()), 400, 50), e5)
    return lambda q, ranker=None: rag.chain(store, "syl__e5", e5, k=3, ranker=ranker).invoke(q)


def test_the_frozen_rule_answers_a_keyword_query_and_refuses_a_near_topic_question(syllabus):
    answer = rag.extractive(syllabus("수강 정원"))
    assert not answer.dont_know and "40명" in answer.text and answer.origin == "extract"
    near = syllabus("기말고사는 언제 보나요?")  # the syllabus has a 기말 프로젝트, but no exam date
    assert near.empty and rag.extractive(near).dont_know


def test_the_learned_rule_answers_a_keyword_query_and_refuses_a_near_topic_question(syllabus):
    answer = rag.extractive(syllabus("수강 정원", ranker="default"))
    assert not answer.dont_know and "40명" in answer.text and answer.origin == "extract"
    near = syllabus("기말고사는 언제 보나요?", ranker="default")
    assert near.empty and rag.extractive(near).dont_know


def test_risk_coverage_counts_answered_share_accuracy_and_refusals_by_hand():
    points = [(0.95, True, True), (0.90, False, True), (0.85, True, True), (0.80, False, False), (0.88, False, False)]
    low, mid, high = rag.risk_coverage(points, [0.0, 0.87, 0.99])
    assert (low["coverage"], low["accuracy"], low["refused_unanswerable"]) == (1.0, 2 / 3, 0.0)
    assert (mid["coverage"], mid["accuracy"], mid["refused_unanswerable"]) == (2 / 3, 0.5, 0.5)
    assert (high["coverage"], high["accuracy"], high["refused_unanswerable"]) == (0.0, 1.0, 1.0)
    assert rag.RISK_COVERAGE.exists()  # the page's chart reads the dev bench points shipped here


def test_an_faq_answer_unit_keeps_its_question_as_a_title_the_answer_leaves_out():
    """Round 8: "Q: …?" / "A: …" and "Q. …?" / "답: …" in Markdown or plain text: the unit is ranked with its question
    (text) and answers without it and without the speaker's label (text[title:]); a heading is not a title."""
    for text, answer in (("**Q: Can I install my own packages?**\nA: Yes, in your own environment.\n",
                          "Yes, in your own environment."),
                         ("Q. 노드가 재부팅되면 어떻게 하나요?\n답: 체크포인트에서 다시 시작하면 된다.\n",
                          "체크포인트에서 다시 시작하면 된다.")):
        unit = A.units(text)[0]
        assert unit.text.startswith(("Q: Can I", "Q. 노드가")) and unit.text[unit.title:] == answer
    plain = A.units("## 평가\n출석 20%, 과제 40%\n")[0]
    assert plain.title == 0 and plain.text == "평가: 출석 20%, 과제 40%"
