"""Documents for search and RAG: the shipped corpora, uploads (txt, md, pdf, docx) and chunking with LangChain's
text splitters. Every chunk keeps its source, page and index so answers can cite it."""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

from core.errors import UserError

EN_CORPUS = Path(__file__).resolve().parent.parent / "data" / "corpus_en"
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
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
        from core.text_data import decode_text

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
    return [d for d in docs if d.text.strip()]


def _pdf(name: str, data: bytes) -> list[Document]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise UserError("doc.encrypted", "encrypted PDF", name=name)
        return [Document(page.extract_text() or "", name, i + 1) for i, page in enumerate(reader.pages)]
    except UserError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise UserError("doc.corrupt", str(exc), name=name) from exc


def _docx(name: str, data: bytes) -> list[Document]:
    import docx

    try:
        d = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises zip/xml errors of several types
        raise UserError("doc.corrupt", str(exc), name=name) from exc
    return [Document("\n".join(p.text for p in d.paragraphs), name)]


def split(docs: list[Document], chunk_size: int = 400, overlap: int = 50,
          separators: list[str] | None = None) -> list[Chunk]:
    """LangChain's RecursiveCharacterTextSplitter; the default separators follow Korean law articles (제N조)."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    if not 20 <= chunk_size <= 4000 or not 0 <= overlap < chunk_size:
        raise UserError("doc.bad_chunking", "chunk size 20–4000 and overlap below it")
    splitter = RecursiveCharacterTextSplitter(chunk_size=chunk_size, chunk_overlap=overlap,
                                              separators=separators or DEFAULT_SEPARATORS, keep_separator="start")
    chunks: list[Chunk] = []
    per_source: dict[str, int] = {}
    for doc in docs:
        for piece in splitter.split_text(doc.text):
            if piece.strip():
                index = per_source.get(doc.source, 0)
                per_source[doc.source] = index + 1
                chunks.append(Chunk(piece.strip(), doc.source, index, doc.page))
    return chunks
