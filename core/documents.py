"""Documents for search and RAG: the shipped corpora, uploads (txt, md, pdf, docx) and chunking with LangChain's
text splitters. Every chunk keeps its source, page and index so answers can cite it."""
from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from core.errors import UserError
from core.text_data import decode_text

EN_CORPUS = Path(__file__).resolve().parent.parent / "data" / "corpus_en"
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_TEXT_CHARS = 5_000_000      # what one upload may add to the index: ~2,500 pages
MAX_PDF_PAGES = 500
PDF_STREAM_BYTES = 20_000_000   # per decoded stream (pypdf's default is 75 MB); a flate bomb stops here
# lxml needs ~20x the XML size in memory: 40 MB of XML is a 2,000-page document and ~1 GB of RAM at most
MAX_DOCX_XML_BYTES = 40 * 1024 * 1024
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


def load_upload(name: str, data: bytes) -> list[Document]:
    """txt / md / pdf / docx → documents (one per PDF page). Bad files raise UserError with the reason."""
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
            docs, chars = [], 0
            for i, page in enumerate(reader.pages):
                text = page.extract_text() or ""
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


def _docx(name: str, data: bytes) -> list[Document]:
    import docx

    from core.safe_zip import ZipLimits, open_checked

    # python-docx inflates and parses every part: check the declared sizes first, from the zip directory alone
    zf = open_checked(data, ZipLimits(max_entries=2000, max_entry_bytes=MAX_DOCX_XML_BYTES,
                                      max_total_bytes=4 * MAX_UPLOAD_BYTES), bad_key="doc.corrupt", name=name)
    xml = sum(i.file_size for i in zf.infolist() if i.filename.endswith((".xml", ".rels")))
    if xml > MAX_DOCX_XML_BYTES:
        raise UserError("doc.docx_xml_too_big", "too much XML", name=name, limit_mb=MAX_DOCX_XML_BYTES // 2**20)
    try:
        d = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises zip/xml errors of several types
        raise UserError("doc.corrupt", str(exc), name=name) from exc
    return [Document("\n".join(p.text for p in d.paragraphs), name)]


ARTICLE = re.compile(r"^[ \t]*(제\d+조(?:의\d+)?)", re.M)  # a law article heading at the start of a line


def _sections(text: str) -> list[tuple[str, str]]:
    """(heading, text) per law article, so no chunk mixes two articles; one ('', text) for other documents."""
    starts = [m for m in ARTICLE.finditer(text)]
    if len(starts) < 3:  # not a law-like text
        return [("", text)]
    out = [("", text[:starts[0].start()])]
    for m, nxt in zip(starts, starts[1:] + [None]):
        out.append((m.group(1), text[m.start():nxt.start() if nxt else len(text)]))
    return out


def split(docs: list[Document], chunk_size: int = 400, overlap: int = 50,
          separators: list[str] | None = None) -> list[Chunk]:
    """LangChain's RecursiveCharacterTextSplitter, article-aware: a text with 제N조 headings is cut at each article
    first, and a long article's later pieces start with its heading again, so every chunk says which article it is
    (retrieval finds it and the answer can cite it)."""
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
            for piece in parts:
                piece = piece.strip()
                if not piece:
                    continue
                if heading and not piece.startswith(heading):
                    piece = f"{heading} {piece}"
                index = per_source.get(doc.source, 0)
                per_source[doc.source] = index + 1
                chunks.append(Chunk(piece, doc.source, index, doc.page))
    return chunks
