"""Issue #31, rows 1–5: small files that cost a lot of work, and a big body with a wrong key. Each input is made
here by a generator (no large file in the repo); each must end in its translated refusal within a time and memory
bound (refused()/bounded() in conftest; refused() interrupts work running past 3x its time bound)."""
import io
import socket
import struct
import zipfile
import zlib

import pytest

from core import data as DATA
from core import documents as DOC
from core import uploads
from tests.hostile.conftest import bounded, cutoff, refused
from tests.pdf import pdf_file

W = b'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
STYLES = "application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"


# ---- generators ---------------------------------------------------------------------------------------------------
def _raw_zip(members) -> bytes:
    """A zip written by hand: (name, compressed bytes, declared size, crc) per deflated member, so a member can
    declare any size its data does not have."""
    out, central = io.BytesIO(), []
    for name, raw, size, crc in members:
        offset, n = out.tell(), name.encode()
        out.write(struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, 8, 0, 0x21, crc, len(raw), size, len(n), 0))
        out.write(n + raw)
        central.append(struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 0, 8, 0, 0x21, crc, len(raw), size,
                                   len(n), 0, 0, 0, 0, 0, offset) + n)
    start = out.tell()
    out.write(b"".join(central))
    out.write(struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(members), len(members), out.tell() - start, start, 0))
    return out.getvalue()


def _deflated(data: bytes) -> tuple[bytes, int, int]:
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush(), len(data), zlib.crc32(data)


def _repeated(unit: bytes, times: int, head: bytes = b"", tail: bytes = b"") -> tuple[bytes, int, int]:
    """Raw deflate of head + unit*times + tail without ever holding it: one compressed block of `unit`, ended by a
    full flush (byte-aligned, no back-reference before it), repeated `times` times."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = c.compress(head) + c.flush(zlib.Z_FULL_FLUSH)
    c2 = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = c2.compress(unit) + c2.flush(zlib.Z_FULL_FLUSH)
    c3 = zlib.compressobj(9, zlib.DEFLATED, -15)
    last = c3.compress(tail) + c3.flush()
    crc = zlib.crc32(head)
    for _ in range(times):
        crc = zlib.crc32(unit, crc)
    return first + block * times + last, len(head) + len(unit) * times + len(tail), zlib.crc32(tail, crc)


def _docx(document: tuple, doc_name: str = "word/document.xml", styles: tuple | None = None,
          styles_name: str = "word/styles.xml") -> bytes:
    """A minimal .docx whose document (and styles) parts are the given (raw deflate, size, crc), under any name:
    python-docx finds parts through the relationships and their content types, not through their names."""
    overrides = f'<Override PartName="/{doc_name}" ContentType="{MAIN}"/>'
    rels = f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="{doc_name}"/>'
    doc_rels = ""
    if styles is not None:
        overrides += f'<Override PartName="/{styles_name}" ContentType="{STYLES}"/>'
        doc_rels = f'<Relationship Id="rId1" Type="{REL}/styles" Target="{styles_name.split("/", 1)[1]}"/>'
    parts = [
        ("[Content_Types].xml", _deflated(
            b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            b'<Default Extension="xml" ContentType="application/xml"/>' + overrides.encode() + b"</Types>")),
        ("_rels/.rels", _deflated(
            b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
            b'relationships">' + rels.encode() + b"</Relationships>")),
        (doc_name, document),
    ]
    if styles is not None:
        folder, base = doc_name.rsplit("/", 1)
        parts.append((f"{folder}/_rels/{base}.rels", _deflated(
            b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
            b'relationships">' + doc_rels.encode() + b"</Relationships>")))
        parts.append((styles_name, styles))
    return _raw_zip([(name, raw, size, crc) for name, (raw, size, crc) in parts])


def _body(paragraph: bytes, times: int) -> tuple[bytes, int, int]:
    return _repeated(paragraph, times, b'<?xml version="1.0"?><w:document ' + W + b"><w:body>",
                     b"</w:body></w:document>")


def test_the_generated_docx_is_a_docx(sandbox):
    """The generator's own check: under every budget, the same construction loads, under the parts' odd names."""
    docs = DOC.load_upload("ok.docx", _docx(_body(b"<w:p><w:r><w:t>hello</w:t></w:r></w:p>", 3), "word/document.dat",
                                            _body(b"", 0), "word/styles.dat"))
    assert docs[0].text == "hello\nhello\nhello"


# ---- row 1: a part that declares 5,000 bytes and inflates to hundreds of MB ---------------------------------------
def test_row1_docx_part_lying_about_its_size_is_never_inflated(sandbox):
    raw, _, _ = _repeated(b"<w:p><w:r><w:t>x</w:t></w:r></w:p>" * 30_000, 600)  # ~600 MB once inflated
    bomb = _docx((raw, 5_000, 0))
    assert len(bomb) < 2 * 2**20
    err = refused(DOC.load_upload, "liar.docx", bomb, key="doc.corrupt", seconds=2, rss_mb=100)
    assert "CRC" in str(err)  # the data did not match its header: read no further than the header said


# ---- row 2: XML parts under other names ---------------------------------------------------------------------------
def test_row2_xml_parts_named_dat_count_against_the_xml_budget(sandbox):
    para = b"<w:p><w:r><w:t>" + b"a" * 2000 + b"</w:t></w:r></w:p>"
    part = _body(para, 5_000)  # ~10 MB of XML per part: each under the per-part limit, together over the budget
    evil = _docx(part, "word/document.dat", part, "word/styles.dat")  # the old check counted .xml/.rels names only
    assert len(evil) < DOC.MAX_UPLOAD_BYTES
    err = refused(DOC.load_upload, "renamed.docx", evil, key="doc.docx_xml_too_big", seconds=2, rss_mb=150)
    assert err.params["limit_mb"] == uploads.DOCX_XML_BYTES // 2**20


def test_row2_many_tiny_paragraphs_are_refused_before_python_docx_walks_them(sandbox):
    """Under the XML budget, but ~400k paragraphs and runs: python-docx would walk them one Python object at a
    time (~15 µs each); they are counted first."""
    tiny = _body(b"<w:p><w:r><w:t>a</w:t></w:r></w:p>", 150_000)  # 5 MB of XML
    refused(DOC.load_upload, "tiny.docx", _docx(tiny, "word/document.dat"), key="doc.docx_work", seconds=2,
            rss_mb=250)


# ---- row 3: thousands of small PNGs that each decode to 36 megapixels ---------------------------------------------
def _big_png(side: int) -> bytes:
    """A valid RGB PNG of side x side grey pixels in a few tens of KB, written without holding its pixels."""
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    rows = b"\0" + b"\x80" * (3 * side)  # filter byte + one grey row
    unit = 20 if side % 20 == 0 else 1
    raw, _, _ = _repeated(rows * unit, side // unit)
    adler = 1
    for _ in range(side):
        adler = zlib.adler32(rows, adler)
    stream = b"\x78\x9c" + raw + struct.pack(">I", adler)  # a zlib stream: header, deflate, adler32
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", stream) + chunk(b"IEND", b""))


@pytest.fixture(scope="module")
def pixel_bomb_zip() -> bytes:
    png = _big_png(6000)  # 36 megapixels, just under the per-image limit
    assert len(png) < 200_000
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        for i in range(300):
            z.writestr(f"{('cat', 'dog')[i % 2]}/{i}.png", png)
    return buf.getvalue()


def test_the_generated_png_decodes(sandbox):
    from PIL import Image

    img = Image.open(io.BytesIO(_big_png(64)))
    img.load()
    assert img.size == (64, 64) and img.getpixel((5, 5)) == (128, 128, 128)


def test_row3_decoded_pixels_are_budgeted_for_the_whole_zip(sandbox, pixel_bomb_zip):
    assert 6000 * 6000 < DATA.MAX_IMAGE_PIXELS  # each image alone passes the per-image check
    err = refused(DATA.image_zip, pixel_bomb_zip, key="data.zip_pixels", seconds=2, rss_mb=150)
    assert err.params["limit_mp"] == uploads.IMAGE_ZIP_PIXELS // 10**6


def test_row3_jpeg_photos_are_charged_at_their_decoded_scale(sandbox):
    """Big JPEGs decode through their own DCT scaling: 200 photos of 3000x2000 (1.2 Gpx at full size) fit."""
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (3000, 2000), (90, 160, 30)).save(buf, "JPEG", quality=50)
    photo = buf.getvalue()
    zbuf = io.BytesIO()
    with zipfile.ZipFile(zbuf, "w", zipfile.ZIP_STORED) as z:
        for i in range(200):
            z.writestr(f"{('leaf', 'tree')[i % 2]}/{i}.jpg", photo)
    assert 200 * 3000 * 2000 > uploads.IMAGE_ZIP_PIXELS
    with bounded(10, rss_mb=300), cutoff(30):
        data = DATA.image_zip(zbuf.getvalue(), size=32)
    assert len(data.x_train) + len(data.x_test) == 200 and not data.skipped
    assert abs(float(data.x_train[0, 1].mean()) - 160 / 255) < 0.05  # the colour survives the scaled decode


# ---- row 4: a PDF whose pages share one stream of empty text operators --------------------------------------------
def _pdf(streams: list[bytes], pages: int) -> bytes:
    """Pages drawing with the given FlateDecode content streams, page i with stream i % len(streams)."""
    font = b"/Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >>"
    first_page = 3 + len(streams)
    kids = " ".join(f"{first_page + i} 0 R" for i in range(pages))
    objs = {1: b"<< /Type /Catalog /Pages 2 0 R >>",
            2: f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode()}
    for i, s in enumerate(streams):
        objs[3 + i] = b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(s) + s + b"\nendstream"
    for i in range(pages):
        objs[first_page + i] = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R " % (
            3 + i % len(streams)) + font + b" >>")
    return pdf_file(objs)


def _empty_text_ops(n: int, tag: bytes = b"") -> bytes:
    return zlib.compress(b"BT /F1 12 Tf " + tag + b" " + b"() Tj " * n + b"ET", 9)


def test_row4_the_probe_pdf_is_refused_at_its_first_page(sandbox):
    """The probe's file: 500 pages sharing one stream of 600k empty `() Tj` (3.6 MB decoded, ~83 KB)."""
    probe = _pdf([_empty_text_ops(600_000)], 500)
    assert len(probe) < 150_000
    err = refused(DOC.load_upload, "empty.pdf", probe, key="doc.pdf_page_too_big", seconds=2, rss_mb=150)
    assert err.params["page"] == 1


def test_row4_a_stream_shared_by_pages_is_parsed_once(sandbox):
    """500 pages sharing one stream of 20k empty operators (under the page limit): it is parsed for the first page
    only, and the file ends as 'no text' at once rather than after 500 parses."""
    shared = _pdf([_empty_text_ops(20_000)], 500)
    refused(DOC.load_upload, "shared.pdf", shared, key="doc.no_text", seconds=3, rss_mb=150)


def test_row4_operators_are_budgeted_across_all_pages(sandbox, monkeypatch):
    """Distinct streams, each under the page limit: the operators of all pages together hit the budget (a small
    budget here, the same code)."""
    monkeypatch.setattr(uploads, "PDF_OPERATORS", 6_000)
    pdf = _pdf([_empty_text_ops(1_000, b"%d" % i) for i in range(40)], 40)
    err = refused(DOC.load_upload, "many.pdf", pdf, key="doc.pdf_work", seconds=3, rss_mb=150)
    assert err.params["limit"] == 6_000


def test_row4_an_ordinary_pdf_still_reads(sandbox):
    text = zlib.compress(b"BT /F1 12 Tf 72 720 Td (hello world) Tj ET")
    with bounded(5):
        docs = DOC.load_upload("ok.pdf", _pdf([text], 20))
    assert len(docs) == 20 and all("hello world" in d.text for d in docs)


# ---- row 5: a big body with a wrong key -----------------------------------------------------------------------------
@pytest.fixture
def server():
    from serve import app as S
    from tests.hostile.test_server import KEY, EndlessModel
    from tests.serving import uvicorn_thread

    with uvicorn_thread(S.create_app(EndlessModel(), api_key=KEY), log_level="error") as port:
        yield port, KEY, S


def _answer_before_body(port: int, headers: dict, body_sent: int = 64 * 1024, wait: float = 2.0) -> int | None:
    """Send the headers and only the first `body_sent` bytes of the declared body, then wait for an answer: the
    status line's code, or None when the server waits for the rest of the body (it is reading it)."""
    lines = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as sock:
        sock.sendall(f"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n{lines}\r\n".encode())
        try:
            sock.sendall(b'{"messages": [' + b" " * (body_sent - 14))
            reply = sock.recv(200)
        except (socket.timeout, ConnectionResetError, BrokenPipeError):
            return None
    return int(reply.split(b" ")[1]) if reply.startswith(b"HTTP/1.1 ") else None


def test_row5_wrong_key_is_401_before_the_body_is_read(sandbox, server):
    port, _, _ = server
    with bounded(5, rss_mb=50):
        code = _answer_before_body(port, {"Authorization": "Bearer wrong", "Content-Type": "application/json",
                                          "Content-Length": str(400 * 2**20)})
    assert code == 401


def test_row5_body_over_the_limit_is_413_before_it_is_read(sandbox, server):
    port, key, S = server
    with bounded(5, rss_mb=50):
        code = _answer_before_body(port, {"Authorization": f"Bearer {key}", "Content-Type": "application/json",
                                          "Content-Length": str(S.MAX_BODY_BYTES + 1)})
    assert code == 413


def test_row5_a_chunked_body_is_cut_off_at_the_limit(sandbox, server):
    """No Content-Length: the body is counted as it arrives and refused once past the limit."""
    import httpx

    port, key, S = server

    def chunks():
        yield b'{"messages": ['
        for _ in range(S.MAX_BODY_BYTES // 2**16 + 8):
            yield b" " * 2**16

    with bounded(10, rss_mb=100):
        r = httpx.post(f"http://127.0.0.1:{port}/v1/chat/completions", content=chunks(), timeout=10,
                       headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    assert r.status_code == 413


def test_row5_health_and_valid_requests_still_work(sandbox, server):
    import httpx

    port, key, _ = server
    base = f"http://127.0.0.1:{port}"
    assert httpx.get(base + "/health").status_code == 200
    r = httpx.post(base + "/v1/chat/completions", json={"messages": [{"role": "user", "content": "hi"}],
                                                        "max_tokens": 2}, headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 200
    assert httpx.get(base + "/v1/models").status_code == 401


# ---- parsed once per upload ---------------------------------------------------------------------------------------
def test_a_document_upload_is_parsed_once_per_content_and_limits(sandbox, monkeypatch):
    """The pages call load_upload on every rerun: the same bytes under the same name and limits are not parsed
    again, a refusal included; other bytes or other limits are."""
    calls = []
    real = DOC._load
    monkeypatch.setattr(DOC, "_load", lambda name, data: calls.append(name) or real(name, data))
    text = zlib.compress(b"BT /F1 12 Tf 72 720 Td (cached page) Tj ET")
    pdf = _pdf([text, zlib.compress(b"BT /F1 12 Tf 72 720 Td (other) Tj ET")], 3)
    first = DOC.load_upload("c.pdf", pdf)
    first[0].text = "changed by the caller"
    again = DOC.load_upload("c.pdf", pdf)
    assert len(calls) == 1 and again[0].text == "cached page"  # each caller gets its own copy
    probe = _pdf([_empty_text_ops(600_000)], 2)
    for _ in range(2):
        refused(DOC.load_upload, "probe.pdf", probe, key="doc.pdf_page_too_big")
    assert len(calls) == 2
    monkeypatch.setattr(DOC, "MAX_TEXT_CHARS", 5)  # another limit: parsed again, and refused under it
    refused(DOC.load_upload, "c.pdf", pdf, key="doc.too_much_text")
    assert len(calls) == 3
