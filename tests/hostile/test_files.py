"""Uploaded files: zip bombs, lying headers, path traversal, polyglots, wrong extensions, empty and oversized."""
import io
import struct
import zipfile
import zlib

import pytest

from core import data as DATA
from core import documents as DOC
from core.vectordb import upload_collection_name, visible_to
from tests.hostile.conftest import bounded, refused
from tests.pdf import pdf_file


def _png(w=8, h=8, color=(200, 30, 30)) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (w, h), color).save(buf, "PNG")
    return buf.getvalue()


def _zip(entries, method=zipfile.ZIP_DEFLATED, level=1) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method, compresslevel=level) as z:
        for name, data in entries:
            z.writestr(name, data)
    return buf.getvalue()


def _two_classes(extra=()) -> list:
    return [(f"{c}/{i}.png", _png(color=col)) for c, col in (("cat", (255, 0, 0)), ("dog", (0, 0, 255)))
            for i in range(3)] + list(extra)


def _zeros_member(name: str, size: int) -> tuple[str, bytes]:
    return name, b"\0" * size


def _lie_about_size(data: bytes, declared: int) -> bytes:
    """Rewrite every uncompressed-size field (local header + central directory) to `declared`."""
    out = bytearray(data)
    for sig, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while (i := out.find(sig, start)) >= 0:
            out[i + offset:i + offset + 4] = struct.pack("<I", declared)
            start = i + 4
    return bytes(out)


# ---- image zips ---------------------------------------------------------------------------------------------------
def test_one_huge_entry_is_refused_from_the_directory(sandbox):
    bomb = _zip(_two_classes([_zeros_member("cat/huge.png", 64 * 2**20)]))  # 64 MB of zeros → ~64 KB
    assert len(bomb) < 2**20
    err = refused(DATA.image_zip, bomb, key="zip.entry_too_big", seconds=2, rss_mb=40)
    assert err.params["name"] == "cat/huge.png"


def test_bzip2_bomb_is_refused_by_method(sandbox):
    bomb = _zip([_zeros_member(f"c{i}/x.png", 2 * 2**20) for i in range(3)], zipfile.ZIP_BZIP2, 9)
    assert len(bomb) < 10_000
    refused(DATA.image_zip, bomb, key="zip.method", seconds=2, rss_mb=40)


def test_high_ratio_entry_is_refused(sandbox):
    refused(DATA.image_zip, _zip(_two_classes([_zeros_member("cat/z.png", 8 * 2**20)])), key="zip.ratio",
            seconds=2, rss_mb=60)


def test_total_size_is_bounded(sandbox):
    """Each entry under the per-entry cap and incompressible, together over the total (small limits, same code)."""
    import os

    from core.safe_zip import ZipLimits, open_checked

    entries = [(f"c{i % 2}/{i}.png", os.urandom(2**20)) for i in range(4)]
    refused(open_checked, _zip(entries, zipfile.ZIP_STORED), ZipLimits(100, 2**20, 3 * 2**20),
            key="zip.total_too_big", seconds=2, rss_mb=40)


def test_too_many_entries_is_refused_before_listing_them(sandbox):
    refused(DATA.image_zip, _zip([(f"c/{i}", b"") for i in range(DATA.MAX_ZIP_IMAGES * 2 + 1)], level=0),
            key="zip.too_many", seconds=3)


def test_a_lying_size_cannot_grow_a_read(sandbox):
    """The directory says 1 KB; the data inflates to 30 MB. The read stops at the limit, the entry is skipped."""
    liar = _lie_about_size(_zip([_zeros_member("cat/liar.png", 30 * 2**20)]), 1000)
    zf = zipfile.ZipFile(io.BytesIO(liar))
    assert zf.infolist()[0].file_size == 1000
    from core.safe_zip import ZipLimits, open_checked, read_member

    with bounded(2, rss_mb=40):
        checked = open_checked(liar, ZipLimits(10, 2**20, 2**20))
        with pytest.raises(Exception) as info:
            read_member(checked, checked.infolist()[0], 2**20)
    assert "CRC" in str(info.value) or "too big" in str(info.value)


def test_path_traversal_names_are_skipped_and_nothing_is_written(sandbox):
    evil = [("../../evil/x.png", _png()), ("/abs/y.png", _png()), ("..\\..\\win\\z.png", _png()),
            ("C:/drive/w.png", _png())]
    with bounded(10):
        data = DATA.image_zip(_zip(_two_classes(evil)), size=8)
    assert data.classes == ["cat", "dog"]
    assert {name for name, why in data.skipped if why == "unsafe path"} >= {"../../evil/x.png", "/abs/y.png",
                                                                           "C:/drive/w.png"}
    assert not (sandbox["tmp"].parent.parent / "evil").exists()


def test_image_with_a_huge_declared_size_is_refused_before_decoding(sandbox):
    """A PNG header claiming 60000x60000 pixels (3.6 GB decoded) in a few hundred bytes."""
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 60000, 60000, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(b"\0" * 1000)) + chunk(b"IEND", b""))
    refused(DATA.load_image, png, 32, 3, key="data.image_too_big", seconds=2, rss_mb=40)
    with bounded(5):
        data = DATA.image_zip(_zip(_two_classes([("cat/bomb.png", png)])), size=8)
    assert ("cat/bomb.png", "unreadable image (UserError)") in data.skipped


@pytest.mark.parametrize("payload,key", [
    (b"", "data.zip_empty"),
    (b"x" * (DATA.MAX_ZIP_BYTES + 1), "data.zip_too_big"),
    (b"%PDF-1.4 not a zip", "data.zip_bad"),
    (_png(), "data.zip_bad"),                                           # an image renamed .zip
    (_zip([("cat/a.txt", b"hello"), ("dog/b.txt", b"hi")]), "data.zip_classes"),   # wrong extensions inside
])
def test_bad_image_zips(sandbox, payload, key):
    refused(DATA.image_zip, payload, key=key)


def test_polyglot_png_with_a_zip_appended_is_read_as_a_zip(sandbox):
    """Valid as both formats: the zip part is what gets checked and read, safely."""
    with bounded(10):
        data = DATA.image_zip(_png() + _zip(_two_classes()), size=8)
    assert data.classes == ["cat", "dog"]


# ---- documents --------------------------------------------------------------------------------------------------
def _docx_with_xml(xml_bytes: int) -> bytes:
    import docx

    buf = io.BytesIO()
    docx.Document().save(buf)
    src, out = zipfile.ZipFile(buf), io.BytesIO()
    para = b"<w:p><w:r><w:t>aaaa</w:t></w:r></w:p>" * 1000
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        for info in src.infolist():
            if info.filename != "word/document.xml":
                z.writestr(info, src.read(info))
                continue
            with z.open("word/document.xml", "w", force_zip64=True) as f:
                f.write(b'<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
                        b'wordprocessingml/2006/main"><w:body>')
                for _ in range(max(1, xml_bytes // len(para))):
                    f.write(para)
                f.write(b"</w:body></w:document>")
    return out.getvalue()


def test_docx_xml_bomb_is_refused_before_parsing(sandbox):
    bomb = _docx_with_xml(300 * 2**20)  # 300 MB of XML in a file well under the upload limit
    assert len(bomb) < DOC.MAX_UPLOAD_BYTES
    refused(DOC.load_upload, "report.docx", bomb, key="zip.entry_too_big", seconds=2, rss_mb=40)


def test_docx_under_the_limits_still_loads(sandbox):
    with bounded(10, rss_mb=300):
        docs = DOC.load_upload("ok.docx", _docx_with_xml(100_000))
    assert docs[0].text.startswith("aaaa\naaaa")


def _pdf(content_stream: bytes, pages: int = 1) -> bytes:
    """A minimal PDF whose every page shares one FlateDecode content stream."""
    kids = " ".join(f"{4 + i} 0 R" for i in range(pages))
    objs = {1: b"<< /Type /Catalog /Pages 2 0 R >>",
            2: f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode(),
            3: b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(content_stream) + content_stream
            + b"\nendstream"}
    font = b"/Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >>"
    for i in range(pages):
        objs[4 + i] = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 3 0 R " + font + b" >>"
    return pdf_file(objs)


def test_flate_bomb_pdf_fails_fast(sandbox):
    packer = zlib.compressobj(1)
    block = b" " * 2**20
    bomb = b"".join(packer.compress(block) for _ in range(100)) + packer.flush()  # 100 MB of spaces
    err = refused(DOC.load_upload, "bomb.pdf", _pdf(bomb), seconds=5, rss_mb=150)
    assert err.key in ("doc.pdf_limit", "doc.no_text")


def test_pdf_with_too_many_pages(sandbox):
    text = zlib.compress(b"BT /F1 12 Tf 72 720 Td (hello) Tj ET")
    refused(DOC.load_upload, "long.pdf", _pdf(text, DOC.MAX_PDF_PAGES + 1), key="doc.too_many_pages", seconds=5)


def test_pdf_text_budget(sandbox, monkeypatch):
    monkeypatch.setattr(DOC, "MAX_TEXT_CHARS", 50)
    line = b"BT /F1 12 Tf 72 720 Td (" + b"hello " * 20 + b") Tj ET"
    refused(DOC.load_upload, "wordy.pdf", _pdf(zlib.compress(line), 3), key="doc.too_much_text", seconds=5)


@pytest.mark.parametrize("name,payload,key", [
    ("a.txt", b"", "doc.empty"),
    ("a.txt", b"x" * (DOC.MAX_UPLOAD_BYTES + 1), "doc.too_big"),
    ("a.txt", b"MZ\x90\x00\x03\x00\x00\x00" * 100, "doc.binary"),         # an .exe renamed .txt
    ("a.md", b"\x00" * 100, "doc.binary"),
    ("a.pdf", b"PK\x03\x04" + b"\x00" * 100, "doc.corrupt"),             # a zip renamed .pdf
    ("a.pdf", b"%PDF-1.4\n" + b"\x00" * 100, "doc.corrupt"),
    ("a.docx", b"%PDF-1.4 a pdf renamed docx", "doc.corrupt"),
    ("a.docx", _zip([("word/document.xml", b"<not xml")]), "doc.corrupt"),  # a zip that is no docx
    ("a.exe", b"hello", "doc.type"),
    ("../../etc/passwd", b"root:x:0:0", "doc.type"),
])
def test_bad_documents(sandbox, name, payload, key):
    refused(DOC.load_upload, name, payload, key=key)


def test_big_plain_text_is_capped(sandbox, monkeypatch):
    monkeypatch.setattr(DOC, "MAX_TEXT_CHARS", 1000)
    refused(DOC.load_upload, "big.txt", b"word " * 1000, key="doc.too_much_text")


# ---- upload index names -----------------------------------------------------------------------------------------
def test_upload_index_name_follows_content_and_session(sandbox):
    a = [DOC.Document("the secret plan is blue", "notes.txt")]
    b = [DOC.Document("the secret plan is red!", "notes.txt")]  # same name, same length
    assert len(a[0].text) == len(b[0].text)
    alice, bob = "a1" * 8, "b2" * 8
    name = upload_collection_name(alice, a, "400-50", "e5")
    assert name != upload_collection_name(alice, b, "400-50", "e5")      # content, not name/length
    assert name != upload_collection_name(bob, a, "400-50", "e5")        # sessions never share
    assert name == upload_collection_name(alice, list(reversed(a)), "400-50", "e5")  # stable: reused on rerun
    assert name != upload_collection_name(alice, a, "800-50", "e5")      # other settings, other index
    assert visible_to(name, alice) and not visible_to(name, bob) and not visible_to(name, None)
    assert visible_to("constitution__e5", bob)                           # shipped corpora stay shared
    import re

    assert re.fullmatch(r"[a-zA-Z0-9][a-zA-Z0-9._-]{1,61}[a-zA-Z0-9]", name)  # a valid Chroma name
    refused(upload_collection_name, "../x", a, "s", "e5", key="vdb.bad_namespace")
