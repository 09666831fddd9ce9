"""Upload and chunking cases the main tests miss: exact limits (one byte, page, character or entry either side),
each refusal's parameters, per-page PDFs, docx zip limits read from the directory, and chunks checked against
LangChain's own splitter run independently.

Surviving mutants judged equivalent (bench/mutation.py documents):
- `read_text(encoding=None)` / `"UTF-8"` in korean_law and english_notes: the same decoding under a UTF-8 locale.
- the pypdf limits other than zlib (lzw, run-length, brotli, array-based, image buffer, decoding work), their
  removal and their values: each guards a filter no test builds; the zlib bomb below shows the mechanism works.
- `keep_separator="XXstartXX"` / `"START"` / left out: LangChain treats every true value but "end" as "start".
- `chunk_overlap=min(overlap, room / 2)`: piece lengths are whole numbers, so `> x` and `> x + 0.5` agree.
- `[section] if ... and False` and `<` for `<=`: the splitter returns a text that fits as its one piece anyway.
- `continue` → `break` after an empty piece: LangChain never returns empty pieces, and a blank section is one part.
"""
import io
import struct
import zipfile
import zlib

import pytest

from core import documents as D
from core.errors import UserError
from core.uploads import DOCX_XML_BYTES
from tests.pdf import pdf_file


def _refused(name: str, data: bytes) -> UserError:
    with pytest.raises(UserError) as info:
        D.load_upload(name, data)
    return info.value


def _pdf(pages: list[bytes], stream=zlib.compress) -> bytes:
    """A minimal PDF with one Helvetica text line per page (each page its own FlateDecode content stream)."""
    objs = {1: b"<< /Type /Catalog /Pages 2 0 R >>",
            2: b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % (3 + 2 * i) for i in
                                                                          range(len(pages))), len(pages))}
    font = b"/Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >>"
    for i, text in enumerate(pages):
        body = stream(b"BT /F1 12 Tf 72 720 Td (" + text + b") Tj ET" if text else b"")
        objs[3 + 2 * i] = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R " % (4 + 2 * i)
                           + font + b" >>")
        objs[4 + 2 * i] = b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(body) + body + b"\nendstream"
    return pdf_file(objs)


# ---- plain text ---------------------------------------------------------------------------------------------
def test_text_upload_is_one_document_named_after_the_file():
    docs = D.load_upload("Notes.MD", "# 제목\n본문 한 줄".encode())
    assert [(d.text, d.source, d.page) for d in docs] == [("# 제목\n본문 한 줄", "Notes.MD", None)]


def test_size_limit_is_exact_and_names_the_file():
    err = _refused("big.txt", b"x" * (D.MAX_UPLOAD_BYTES + 1))
    assert (err.key, err.params, str(err)) == ("doc.too_big", {"name": "big.txt", "limit_mb": 20}, "file too big")
    assert f"{err.params['limit_mb']} MB" == "20 MB"  # as the page formats it: a whole number
    # exactly at the byte limit the file is read (and then refused for its text, a different reason)
    assert _refused("big.txt", b"x" * D.MAX_UPLOAD_BYTES).key == "doc.too_much_text"


def test_text_limit_is_exact():
    assert len(D.load_upload("a.txt", b"x" * 5_000_000)[0].text) == 5_000_000
    err = _refused("a.txt", b"x" * 5_000_001)
    assert (err.key, err.params, str(err)) == ("doc.too_much_text", {"name": "a.txt", "limit": 5_000_000},
                                               "too much text")


def test_only_the_first_4096_bytes_are_sniffed_for_nul():
    err = _refused("a.txt", b"x" * 4095 + b"\x00")
    assert (err.key, err.params, str(err)) == ("doc.binary", {"name": "a.txt"}, "binary file")
    # a NUL further in is text to the decoder (UTF-8 allows it), so the file loads
    assert len(D.load_upload("a.txt", b"x" * 4096 + b"\x00")[0].text) == 4097


# the English message is what the logs show (core.errors); the page shows the key's translation
@pytest.mark.parametrize("name,data,key,message", [
    ("a.txt", b"", "doc.empty", "the file is empty"),
    ("a.txt", b"\xff\xfe\xfa", "doc.binary", "not text"),   # neither UTF-8 nor cp949
    ("a.md", b" \n\t ", "doc.no_text", "no text found"),
    ("a.csv", b"a,b", "doc.type", "unsupported type"),
])
def test_refusals_name_the_file(name, data, key, message):
    err = _refused(name, data)
    assert (err.key, err.params, str(err)) == (key, {"name": name}, message)


def test_empty_chunking_settings_are_refused_at_the_edges():
    text = [D.Document("가나다라마바사 " * 50, "a.txt")]
    for size, overlap in ((20, 0), (4000, 0), (100, 99)):
        assert D.split(text, size, overlap)
    for size, overlap in ((19, 0), (4001, 0), (100, 100), (100, -1)):
        with pytest.raises(UserError) as info:
            D.split(text, size, overlap)
        assert (info.value.key, str(info.value)) == ("doc.bad_chunking", "chunk size 20–4000 and overlap below it")


# ---- PDF ----------------------------------------------------------------------------------------------------
def test_pdf_pages_keep_their_numbers_and_blank_pages_are_dropped():
    docs = D.load_upload("r.pdf", _pdf([b"first page", b"", b"third page"]))
    assert [(d.text.strip(), d.source, d.page) for d in docs] == [("first page", "r.pdf", 1),
                                                                 ("third page", "r.pdf", 3)]


def test_pdf_page_limit_is_exact(monkeypatch):
    err = _refused("p.pdf", _pdf([b"p"] * 501))  # refused from the page count, before any text is extracted
    assert (err.key, err.params, str(err)) == ("doc.too_many_pages", {"name": "p.pdf", "limit": 500}, "too many pages")
    monkeypatch.setattr(D, "MAX_PDF_PAGES", 3)  # the edge itself, without extracting 500 pages
    assert len(D.load_upload("p.pdf", _pdf([b"p"] * 3))) == 3


def test_pdf_text_budget_stops_extraction_at_the_page_that_spends_it(monkeypatch):
    from pypdf import PageObject

    pages = [b"abcdefghij"] * 4
    budget = sum(len(d.text) for d in D.load_upload("w.pdf", _pdf(pages)))
    monkeypatch.setattr(D, "MAX_TEXT_CHARS", budget)
    assert len(D.load_upload("w.pdf", _pdf(pages))) == 4  # exactly the budget still loads
    calls = []
    real = PageObject.extract_text
    monkeypatch.setattr(PageObject, "extract_text", lambda self, *a, **k: calls.append(1) or real(self, *a, **k))
    monkeypatch.setattr(D, "MAX_TEXT_CHARS", budget // 2 - 1)
    err = _refused("w.pdf", _pdf(pages))
    assert (err.key, err.params) == ("doc.too_much_text", {"name": "w.pdf", "limit": budget // 2 - 1})
    assert str(err) == "too much text"
    assert len(calls) == 2  # the two remaining pages are never extracted


def test_pdf_flate_bomb_is_stopped_by_the_stream_limit():
    bomb = zlib.compress(b"BT /F1 12 Tf 72 720 Td (" + b" " * (D.PDF_STREAM_BYTES + 1) + b") Tj ET", 1)
    err = _refused("bomb.pdf", _pdf([b"x"], stream=lambda _: bomb))
    assert err.key == "doc.pdf_limit" and err.params == {"name": "bomb.pdf"}
    assert "limit" in str(err).lower() and str(err) != err.key  # pypdf's own reason, for the log


def test_a_broken_pdf_is_a_user_error_with_the_name():
    err = _refused("b.pdf", _pdf([b"hello"])[:-60])  # cut off inside the xref table
    assert err.key == "doc.corrupt" and err.params == {"name": "b.pdf"}
    assert str(err) not in ("doc.corrupt", "None", "")  # pypdf's own reason, for the log


def test_an_encrypted_pdf_is_refused_by_name():
    from pypdf import PdfWriter

    w = PdfWriter()
    w.add_blank_page(100, 100)
    w.encrypt("secret")
    buf = io.BytesIO()
    w.write(buf)
    err = _refused("locked.pdf", buf.getvalue())
    assert (err.key, err.params, str(err)) == ("doc.encrypted", {"name": "locked.pdf"}, "encrypted PDF")


@pytest.mark.parametrize("data", [b"%PDF-1.4 a pdf renamed", b"PK\x03\x04" + b"\x00" * 40])
def test_a_docx_that_is_no_zip_or_no_docx_is_refused_by_name(data):
    err = _refused("r.docx", data)
    assert err.key == "doc.corrupt" and err.params == {"name": "r.docx"} and str(err) not in ("doc.corrupt", "None")


# ---- docx ---------------------------------------------------------------------------------------------------
def test_docx_paragraphs_are_joined_by_newlines():
    import docx

    d = docx.Document()
    for line in ("첫 문단", "둘째 문단", "셋째"):
        d.add_paragraph(line)
    buf = io.BytesIO()
    d.save(buf)
    assert [(x.text, x.source, x.page) for x in D.load_upload("a.DOCX", buf.getvalue())] == [
        ("첫 문단\n둘째 문단\n셋째", "a.DOCX", None)]


TYPES = (b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
         b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
         b'<Default Extension="xml" ContentType="application/xml"/></Types>')


def _declaring(sizes: dict[str, int], real: dict[str, bytes] | None = None) -> bytes:
    """A zip whose directory declares these uncompressed sizes (at a 10:1 ratio) for entries that hold one byte:
    the limits are read from the directory alone, so nothing is ever inflated. `real` entries are written as
    they are (the content-type map, which says which parts are XML)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        for name, data in (real or {}).items():
            z.writestr(name, data)
        for name in sizes:
            z.writestr(name, b"x")
    out = bytearray(buf.getvalue())
    for name, size in sizes.items():
        for sig, comp, full, skip in ((b"PK\x03\x04", 18, 22, 30), (b"PK\x01\x02", 20, 24, 46)):
            i = out.find(sig)
            while out[i + skip:i + skip + len(name)] != name.encode():
                i = out.find(sig, i + 4)
            out[i + comp:i + full + 4] = struct.pack("<II", size // 10, size)
    return bytes(out)


MB = 2**20


@pytest.mark.parametrize("sizes,key,params", [
    # the XML parts (by content type) together: one byte of the map itself is the one over
    ({"word/document.xml": 10 * MB, "_rels/.rels": 6 * MB - len(TYPES) + 1}, "doc.docx_xml_too_big",
     {"limit_mb": 16}),
    ({"word/document.xml": 8 * MB, "_rels/.rels": 8 * MB - len(TYPES)}, "doc.corrupt", {}),  # exactly 16 MB: read
    ({"word/document.xml": 40 * MB + 1}, "zip.entry_too_big", {"name": "word/document.xml", "limit_mb": 40}),
    ({f"media/{i}.png": 30 * MB for i in range(3)}, "zip.total_too_big", {"limit_mb": 80}),
    ({"media/0.png": 40 * MB, "media/1.png": 40 * MB - len(TYPES)}, "doc.corrupt", {}),  # exactly 80 MB: opened
])
def test_docx_limits_are_read_from_the_zip_directory(sizes, key, params):
    err = _refused("big.docx", _declaring(sizes, {"[Content_Types].xml": TYPES}))
    assert err.key == key and err.params == (params | {"name": "big.docx"} if key.startswith("doc.") else params)
    if key == "doc.docx_xml_too_big":
        assert str(err) == "too much XML" and err.params["limit_mb"] == DOCX_XML_BYTES // MB == 16


def test_docx_entry_count_limit_is_exact():
    def entries(n):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            for i in range(n):
                z.writestr(f"e{i}", b"")
        return buf.getvalue()

    err = _refused("a.docx", entries(2000))  # opened, then python-docx finds no document in it
    assert err.key == "doc.corrupt" and err.params == {"name": "a.docx"} and str(err) not in ("doc.corrupt", "None")
    assert (_refused("a.docx", entries(2001)).params) == {"limit": 2000}


# ---- chunking -----------------------------------------------------------------------------------------------
def _reference(text: str, size: int, overlap: int, separators=None) -> list[str]:
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(chunk_size=size, chunk_overlap=overlap, keep_separator="start",
                                              separators=separators or D.DEFAULT_SEPARATORS)
    return [p.strip() for p in splitter.split_text(text) if p.strip()]


PROSE = ("Retrieval finds the passages. The model reads them and answers.\n\n"
         "Chunks overlap a little, so a sentence cut in two is still found whole. " * 6)


@pytest.mark.parametrize("size,overlap", [(80, 0), (120, 30), (60, 29)])
def test_plain_text_chunks_equal_langchains_splitter(size, overlap):
    chunks = D.split([D.Document(PROSE, "n.md", 4)], size, overlap)
    assert [c.text for c in chunks] == _reference(PROSE, size, min(overlap, size // 2))
    assert [(c.source, c.index, c.page) for c in chunks] == [("n.md", i, 4) for i in range(len(chunks))]


def test_words_packed_to_the_exact_size_are_not_cut_one_short():
    text = " ".join(["abcd"] * 30)  # five words fill exactly 24 characters
    chunks = [c.text for c in D.split([D.Document(text, "w.txt")], 24, 0)]
    assert chunks == _reference(text, 24, 0) and chunks[0] == "abcd abcd abcd abcd abcd"


def test_default_chunking_is_400_with_50_overlap():
    import random

    rnd = random.Random(0)
    text = " ".join("".join(rnd.choice("abcdefgh") for _ in range(rnd.randint(1, 9))) for _ in range(400))
    docs = [D.Document(text, "w.txt")]
    default = [c.text for c in D.split(docs)]
    assert default == _reference(text, 400, 50)
    # this text is sensitive to both numbers: one more of either gives other chunks
    assert default != _reference(text, 401, 50) and default != _reference(text, 400, 51)


def test_english_notes_are_the_shipped_markdown_files_in_order():
    from pathlib import Path

    files = sorted((Path(__file__).resolve().parents[2] / "data" / "corpus_en").glob("*.md"))
    docs = D.english_notes()
    assert len(files) >= 5 and [d.source for d in docs] == [f.name for f in files]
    assert [d.text for d in docs] == [f.read_bytes().decode("utf-8") for f in files]
    assert all(d.page is None for d in docs)


def test_custom_separators_are_used():
    text = "aaaa|bbbb|cccc|dddd|eeee|ffff"
    chunks = D.split([D.Document(text, "s.txt")], 20, 0, separators=["|", ""])
    assert [c.text for c in chunks] == _reference(text, 20, 0, ["|", ""]) == ["aaaa|bbbb|cccc|dddd", "|eeee|ffff"]


def test_a_short_text_is_one_chunk_and_indexes_restart_per_source():
    docs = [D.Document("  짧은 글  ", "a.txt"), D.Document("또 하나", "b.txt"), D.Document("셋째", "a.txt", 2)]
    chunks = D.split(docs, 20, 0)
    assert [(c.text, c.source, c.index, c.page) for c in chunks] == [
        ("짧은 글", "a.txt", 0, None), ("또 하나", "b.txt", 0, None), ("셋째", "a.txt", 1, 2)]
    assert chunks[2].metadata == {"source": "a.txt", "chunk": 1, "page": 2}


LAW = ("대한민국 법률 전문\n"
       "제1조 이 법은 목적을 정한다.\n"
       "제2조의2 정의는 다음과 같다. 하나는 이것이다. 둘은 저것이다. 셋은 그것이다. 넷은 무엇이다.\n"
       " 제3조 시행일은 공포한 날로 한다.\n")


def test_law_text_is_cut_at_each_article_and_long_ones_repeat_their_heading():
    chunks = [c.text for c in D.split([D.Document(LAW, "law.txt")], 40, 0)]
    assert chunks[0] == "대한민국 법률 전문" and chunks[1] == "제1조 이 법은 목적을 정한다."
    art2 = [c for c in chunks if c.startswith("제2조의2")]
    # the article body is split with room for the heading, and every later piece gets the heading back
    body = LAW.split("\n")[2]
    assert art2 == [art2[0]] + [f"제2조의2 {p}" for p in _reference(body, 40 - len("제2조의2") - 1, 0)[1:]]
    assert len(art2) >= 2 and all(len(c) <= 40 for c in chunks)
    assert chunks[-1] == "제3조 시행일은 공포한 날로 한다."


def test_two_article_headings_are_not_a_law():
    text = "제1조 가나다 라마바 사아자 차카타 파하.\n제2조 가나다 라마바 사아자 차카타 파하."
    assert [c.text for c in D.split([D.Document(text, "x.txt")], 40, 0)] == _reference(text, 40, 0)


def test_an_article_that_fits_is_never_re_split_for_its_heading():
    article = "제5조 " + "가" * 35 + "."  # exactly 40 characters: fits the chunk, though not the heading's room
    text = f"제1조 짧다.\n제2조 짧다.\n{article}\n"
    assert [c.text for c in D.split([D.Document(text, "l.txt")], 40, 0)] == ["제1조 짧다.", "제2조 짧다.", article]


def test_a_long_heading_still_leaves_ten_characters_of_room():
    heading = "제1234조의56"  # 20 - 9 - 1 = 10: the floor itself
    section = f"{heading} 가나다 라마바 사아자 차카타 파하 거너더 러머버 서어저"
    chunks = [c.text for c in D.split([D.Document(f"제1조 가.\n제2조 나.\n{section}\n", "l.txt")], 20, 0)]
    assert chunks[2:] == [p if p.startswith(heading) else f"{heading} {p}" for p in _reference(section, 10, 0)]
    assert all(len(c) <= 20 for c in chunks)


def test_later_pieces_fill_exactly_the_room_the_heading_leaves():
    heading = "제7조"  # 24 - 3 - 1 = 20 characters of room: " abcd" four times (the separator leads)
    section = f"{heading} " + " ".join(["abcd"] * 12)
    chunks = [c.text for c in D.split([D.Document(f"제1조 가.\n제2조 나.\n{section}\n", "l.txt")], 24, 0)]
    assert chunks[2:] == [p if p.startswith(heading) else f"{heading} {p}" for p in _reference(section, 20, 0)]
    assert chunks[3] == "제7조 abcd abcd abcd abcd"


def test_korean_law_is_the_constitution_then_ten_bills():
    from core.assets import Registry
    from core.config import Settings

    reg = Registry(Settings.load().cache_dir)
    docs = D.korean_law(reg)
    assert [d.source for d in docs[:1]] == ["대한민국헌법.txt"] and "대한민국" in docs[0].text
    bills = docs[1:]
    assert len(bills) == 10 and [d.source for d in bills] == sorted(d.source for d in bills)
    assert all(d.source.startswith("kobill/") and d.source.endswith(".txt") for d in bills)
    assert all(sum("가" <= ch <= "힣" for ch in d.text) > 100 for d in bills)  # Hangul text, decoded
    assert [d.source for d in D.constitution_only(reg)] == ["대한민국헌법.txt"]
