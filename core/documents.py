"""Documents for search and RAG: the shipped corpora, uploads (txt, md, pdf, docx) and chunking with LangChain's
text splitters. Every chunk keeps its source, page and index so answers can cite it."""
from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from core import uploads
from core.answer_units import table_headers
from core.errors import UserError
from core.text_data import decode_text
from core.uploads import Budget

EN_CORPUS = Path(__file__).resolve().parent.parent / "data" / "corpus_en"
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_TEXT_CHARS = 5_000_000      # what one upload may add to the index: ~2,500 pages
MAX_PDF_PAGES = 500
PDF_STREAM_BYTES = 20_000_000   # per decoded stream (pypdf's default is 75 MB); a flate bomb stops here
CONTENT_TYPES = "[Content_Types].xml"
MAX_CONTENT_TYPES_BYTES = 1024 * 1024  # the parts' own budgets are in core.uploads
MAX_DOCX_PART_BYTES = 40 * 1024 * 1024  # one part (a photo); parts parsed as XML have the smaller XML budget
DEFAULT_SEPARATORS = ["\n  제", "\n\n", "\n", ". ", "다. ", " ", ""]


@dataclass
class Document:
    text: str
    source: str
    page: int | None = None


@dataclass
class Chunk:
    text: str
    source: str
    index: int
    page: int | None = None
    meta: dict = field(default_factory=dict)

    @property
    def metadata(self) -> dict:
        return {"source": self.source, "chunk": self.index, "page": -1 if self.page is None else self.page}


def korean_law(registry) -> list[Document]:
    """The Korean constitution and ten bills from konlpy's data files (read as text; no JVM)."""
    constitution = registry.path("kolaw")
    docs = [Document(constitution.read_text(encoding="utf-8"), "대한민국헌법.txt")]
    bills = constitution.parent.parent / "kobill"
    for path in sorted(bills.glob("*.txt")):
        docs.append(Document(path.read_text(encoding="utf-8"), f"kobill/{path.name}"))
    return docs


def constitution_only(registry) -> list[Document]:
    return korean_law(registry)[:1]


def english_notes() -> list[Document]:
    return [Document(p.read_text(encoding="utf-8"), p.name) for p in sorted(EN_CORPUS.glob("*.md"))]


_PARSED = uploads.ParsedCache(entries=4)  # at most 4 x MAX_TEXT_CHARS of text held


def load_upload(name: str, data: bytes) -> list[Document]:
    """txt / md / pdf / docx → documents (one per PDF page). Bad files raise UserError with the reason.

    Parsed once per upload: the pages call this on every rerun, so the result (or the refusal) is kept by content
    hash, name and every limit the parse depends on."""
    limits = (MAX_UPLOAD_BYTES, MAX_TEXT_CHARS, MAX_PDF_PAGES, PDF_STREAM_BYTES, uploads.PDF_OPERATORS,
              uploads.PDF_PAGE_CONTENT_BYTES, uploads.DOCX_XML_BYTES, uploads.DOCX_TOTAL_BYTES, uploads.DOCX_ELEMENTS)
    docs = _PARSED.get_or_parse(uploads.content_key(data, name=name, limits=limits), lambda: _load(name, data))
    return [Document(d.text, d.source, d.page) for d in docs]  # the caller's own list: the cache is shared


def _load(name: str, data: bytes) -> list[Document]:
    if not data:
        raise UserError("doc.empty", "the file is empty", name=name)
    if len(data) > MAX_UPLOAD_BYTES:
        raise UserError("doc.too_big", "file too big", name=name, limit_mb=MAX_UPLOAD_BYTES // 2**20)
    suffix = Path(name).suffix.lower()
    if suffix in (".txt", ".md"):
        if b"\x00" in data[:4096]:
            raise UserError("doc.binary", "binary file", name=name)
        text = decode_text(data)
        if text is None:
            raise UserError("doc.binary", "not text", name=name)
        docs = [Document(text, name)]
    elif suffix == ".pdf":
        docs = _pdf(name, data)
    elif suffix == ".docx":
        docs = _docx(name, data)
    else:
        raise UserError("doc.type", "unsupported type", name=name)
    if not any(d.text.strip() for d in docs):
        raise UserError("doc.no_text", "no text found", name=name)
    if sum(len(d.text) for d in docs) > MAX_TEXT_CHARS:
        raise UserError("doc.too_much_text", "too much text", name=name, limit=MAX_TEXT_CHARS)
    return [d for d in docs if d.text.strip()]


class _OperatorBudget:
    """pypdf's visitor_operand_before, called for every content-stream operator it interprets: counts them against
    the PDF's whole-document budget and stops extraction once it is spent."""

    def __init__(self, name: str):
        self.budget = Budget(uploads.PDF_OPERATORS, "doc.pdf_work", name=name, limit=uploads.PDF_OPERATORS)

    def __call__(self, _operator, _operands, _cm, _tm) -> None:
        self.budget.spend(1)


def _pdf(name: str, data: bytes) -> list[Document]:
    from pypdf import PdfReader, apply_configuration
    from pypdf.errors import LimitReachedError, PyPdfError

    # a context variable, so this session's limits never leak into another thread's reader
    limits = dict(zlib_maximum_output_length=PDF_STREAM_BYTES, lzw_maximum_output_length=PDF_STREAM_BYTES,
                  run_length_maximum_output_length=PDF_STREAM_BYTES, brotli_maximum_output_length=PDF_STREAM_BYTES,
                  array_based_stream_maximum_output_length=PDF_STREAM_BYTES, image_maximum_buffer_size=PDF_STREAM_BYTES,
                  stream_decoding_work_maximum_length=4 * PDF_STREAM_BYTES)
    try:
        with apply_configuration(**limits):
            reader = PdfReader(io.BytesIO(data))
            if reader.is_encrypted:
                raise UserError("doc.encrypted", "encrypted PDF", name=name)
            if len(reader.pages) > MAX_PDF_PAGES:
                raise UserError("doc.too_many_pages", "too many pages", name=name, limit=MAX_PDF_PAGES)
            operators = _OperatorBudget(name)
            docs, chars, seen = [], 0, {}
            for i, page in enumerate(reader.pages):
                key = _page_content_key(page)
                if key is not None and key in seen:  # pages sharing one content stream: parsed once
                    text = seen[key]
                else:
                    _check_page_content(page, name, i + 1)
                    text = page.extract_text(visitor_operand_before=operators) or ""
                    if key is not None:
                        seen[key] = text
                chars += len(text)
                if chars > MAX_TEXT_CHARS:  # stop extracting as soon as the budget is spent
                    raise UserError("doc.too_much_text", "too much text", name=name, limit=MAX_TEXT_CHARS)
                docs.append(Document(text, name, i + 1))
            return docs
    except UserError:
        raise
    except LimitReachedError as exc:
        raise UserError("doc.pdf_limit", str(exc), name=name) from exc
    except (PyPdfError, ValueError, KeyError, TypeError, OSError, AttributeError, IndexError, RecursionError,
            ZeroDivisionError) as exc:  # pypdf surfaces malformed objects as any of these
        raise UserError("doc.corrupt", str(exc), name=name) from exc


def _page_content_key(page):
    """Which content stream and resources a page draws with (their object numbers), or None when they are not
    shared objects: two pages with the same key have the same text."""
    from pypdf.generic import IndirectObject

    if "/Contents" not in page or "/Resources" not in page:  # inherited resources may differ between pages
        return None
    refs = [page.raw_get(k) for k in ("/Contents", "/Resources")]
    if not isinstance(refs[0], IndirectObject):
        return None
    return tuple((r.idnum, r.generation) if isinstance(r, IndirectObject) else repr(r) for r in refs)


def _check_page_content(page, name: str, number: int) -> None:
    """pypdf parses a page's whole content stream before its first operator is seen: a page whose decoded
    content is too big to parse quickly is refused before that."""
    contents = page.get_contents()
    size = len(contents.get_data()) if contents is not None else 0
    if size > uploads.PDF_PAGE_CONTENT_BYTES:
        raise UserError("doc.pdf_page_too_big", "page content too big", name=name, page=number,
                        limit_mb=uploads.PDF_PAGE_CONTENT_BYTES / 2**20)


def _docx_parsed_parts(zf, name: str, budgets) -> tuple[set[str], bytes]:
    """Zip names of the parts python-docx parses as XML: the content-type map itself, every .rels, and every part
    whose content type (by override, else by extension) is XML — whatever the part is called (a part with no
    content type is never parsed: python-docx refuses to load it). Also returns the bytes of the content-type
    map (read here, once)."""
    from lxml import etree

    from core.safe_zip import read_member

    try:
        info = zf.getinfo(CONTENT_TYPES)
    except KeyError as exc:
        raise UserError("doc.corrupt", "no [Content_Types].xml", name=name) from exc
    blob = read_member(zf, info, MAX_CONTENT_TYPES_BYTES, budgets, bad_key="doc.corrupt", name=name)
    try:
        root = etree.fromstring(blob, etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False))
    except etree.XMLSyntaxError as exc:
        raise UserError("doc.corrupt", str(exc), name=name) from exc
    by_ext, by_part = {}, {}
    for el in root:
        if not isinstance(el.tag, str):  # a comment or processing instruction
            continue
        tag = etree.QName(el).localname
        if tag == "Default":
            by_ext[(el.get("Extension") or "").lower()] = el.get("ContentType") or ""
        elif tag == "Override":
            by_part[(el.get("PartName") or "").lstrip("/").lower()] = el.get("ContentType") or ""
    parsed = {CONTENT_TYPES}
    for member in zf.infolist():
        lower = member.filename.lower()
        ctype = by_part.get(lower, by_ext.get(lower.rsplit(".", 1)[-1] if "." in lower else "", ""))
        if lower.endswith(".rels") or "xml" in ctype.lower():
            parsed.add(member.filename)
    return parsed, blob


def _docx(name: str, data: bytes) -> list[Document]:
    """Every member is read once, through safe_zip, counted while it inflates: the parts python-docx will parse
    against the XML budget, all of them against the total; python-docx then reads those verified bytes (a stored
    copy of the zip), so nothing is inflated twice and no header is trusted."""
    import zipfile

    import docx

    from core.safe_zip import ZipLimits, open_checked, read_member

    zf = open_checked(data, ZipLimits(max_entries=2000, max_entry_bytes=MAX_DOCX_PART_BYTES,
                                      max_total_bytes=uploads.DOCX_TOTAL_BYTES), bad_key="doc.corrupt", name=name)
    limit_mb = uploads.DOCX_XML_BYTES // 2**20
    xml = Budget(uploads.DOCX_XML_BYTES, "doc.docx_xml_too_big", name=name, limit_mb=limit_mb)
    total = Budget(uploads.DOCX_TOTAL_BYTES, "zip.total_too_big", limit_mb=uploads.DOCX_TOTAL_BYTES // 2**20)
    parsed, types = _docx_parsed_parts(zf, name, (xml, total))
    # what the directory declares is enough to refuse early; what the parts really inflate to is counted below
    if sum(i.file_size for i in zf.infolist() if i.filename in parsed) > uploads.DOCX_XML_BYTES:
        raise UserError("doc.docx_xml_too_big", "too much XML", name=name, limit_mb=limit_mb)
    clean = io.BytesIO()
    with zipfile.ZipFile(clean, "w", zipfile.ZIP_STORED) as out:
        for info in zf.infolist():
            if info.is_dir():
                continue
            if info.filename == CONTENT_TYPES:
                out.writestr(info.filename, types)
                continue
            budgets = (xml, total) if info.filename in parsed else (total,)
            out.writestr(info.filename, read_member(zf, info, MAX_DOCX_PART_BYTES, budgets, bad_key="doc.corrupt",
                                                    name=name))
    zf.close()
    try:
        d = docx.Document(clean)
        body = d.element.body  # python-docx walks paragraphs, runs and run children in Python: counted first, in C
        work = sum(int(body.xpath(f"count({path})")) for path in (".//w:p", ".//w:r", ".//w:r/*"))
    except Exception as exc:  # python-docx raises zip/xml errors of several types; a document without a body
        raise UserError("doc.corrupt", str(exc), name=name) from exc
    if work > uploads.DOCX_ELEMENTS:
        raise UserError("doc.docx_work", "too many paragraphs and runs", name=name, limit=uploads.DOCX_ELEMENTS)
    text = _docx_text(d)  # bounded by the element count above
    if len(text) > MAX_TEXT_CHARS:
        raise UserError("doc.too_much_text", "too much text", name=name, limit=MAX_TEXT_CHARS)
    return [Document(text, name)]


def _docx_text(d) -> str:
    """The document's text in reading order with its structure kept as Markdown, so RAG can answer from it:
    headings as '#' lines, list paragraphs as '- ' items, tables as '| a | b |' rows (first row the header)."""
    from docx.table import Table

    lines = []
    for block in d.iter_inner_content():
        if isinstance(block, Table):
            lines.extend("| " + " | ".join(c.text.strip().replace("\n", " ") for c in row.cells) + " |"
                         for row in block.rows)
            continue
        try:
            style = (block.style.name if block.style is not None else "") or ""
        except (AttributeError, KeyError, ValueError):  # a styles part python-docx cannot read: plain text
            style = ""
        level = re.match(r"Heading (\d)", style)
        is_list = style.startswith("List")  # "List Bullet", "List Number"...: python-docx's public view of lists
        if block.text.strip() and (level or style == "Title"):
            lines.append("#" * (int(level.group(1)) if level else 1) + " " + block.text)
        elif block.text.strip() and is_list:
            lines.append("- " + block.text)
        else:
            lines.append(block.text)
    return "\n".join(lines)


ARTICLE = re.compile(r"^[ \t]*(제\d+조(?:의\d+)?)", re.M)  # a law article heading at the start of a line
MD_HEADING = re.compile(r"^(#{1,6}[ \t]+\S[^\n]*)", re.M)  # a Markdown heading line
SETEXT = re.compile(r"^([^\s|#\-*+][^\n|]{0,79}\n[ \t]*(?:={3,}|-{3,})[ \t]*)$", re.M)  # a title underlined


def _sections(text: str) -> list[tuple[str, str]]:
    """(heading, text) per law article or per Markdown section, so no chunk mixes two of them and a long one's
    later pieces can say whose they are; one ('', text) for other documents."""
    starts = [m for m in ARTICLE.finditer(text)]
    if len(starts) < 3:  # not a law-like text
        starts = sorted([*MD_HEADING.finditer(text), *SETEXT.finditer(text)], key=lambda m: m.start())
        if len(starts) < 2:
            return [("", text)]
    out = [("", text[:starts[0].start()])]
    for m, nxt in zip(starts, starts[1:] + [None]):
        out.append((m.group(1), text[m.start():nxt.start() if nxt else len(text)]))
    return out


def split(docs: list[Document], chunk_size: int = 400, overlap: int = 50,
          separators: list[str] | None = None) -> list[Chunk]:
    """LangChain's RecursiveCharacterTextSplitter, article-aware: a text with 제N조 headings is cut at each article
    first, and a long article's later pieces start with its heading again, so every chunk says which article it is
    (retrieval finds it and the answer can cite it). A piece that starts inside a table starts with its header row."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    if not 20 <= chunk_size <= 4000 or not 0 <= overlap < chunk_size:
        raise UserError("doc.bad_chunking", "chunk size 20–4000 and overlap below it")
    splitters: dict[int, RecursiveCharacterTextSplitter] = {}

    def pieces(text: str, room: int) -> list[str]:
        if room not in splitters:
            splitters[room] = RecursiveCharacterTextSplitter(
                chunk_size=room, chunk_overlap=min(overlap, room // 2), keep_separator="start",
                separators=separators or DEFAULT_SEPARATORS)
        return splitters[room].split_text(text)

    chunks: list[Chunk] = []
    per_source: dict[str, int] = {}
    for doc in docs:
        for heading, section in _sections(doc.text):
            parts = [section] if len(section.strip()) <= chunk_size else pieces(section, chunk_size)
            if heading and len(parts) > 1:  # leave room for the heading that later pieces get back
                parts = pieces(section, max(chunk_size - len(heading) - 1, 10))
            headers = table_headers(section) if len(parts) > 1 else {}
            at = 0
            for piece in parts:
                piece = piece.strip()
                if not piece:
                    continue
                at = max(section.find(piece, at), at)
                header = headers.get(section.count("\n", 0, at))
                if header and header.strip() not in piece:  # a piece that starts inside a table gets its header
                    piece = f"{header.strip()}\n{piece}"
                if heading and not piece.startswith(heading):  # a Markdown heading stays a line of its own
                    piece = f"{heading}{' ' if ARTICLE.match(heading) else chr(10)}{piece}"
                index = per_source.get(doc.source, 0)
                per_source[doc.source] = index + 1
                chunks.append(Chunk(piece, doc.source, index, doc.page))
    return chunks
