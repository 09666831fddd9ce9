"""Summaries with map-reduce over chunks (LangChain splitter + prompt templates): each chunk is summarised
('map'), then the partial summaries are combined ('reduce'). Short texts take a single call."""
from __future__ import annotations

from dataclasses import dataclass, field

from core.errors import UserError
from core.llm.base import complete

FORMS = {"one_line": "in one sentence", "bullets": "as 3 to 5 short bullet points"}
LANGS = {"ko": "Korean", "en": "English"}
MAP = "Summarise this part of a document {form}, in {lang}. Keep names and numbers.\n\n{text}"
REDUCE = ("These are summaries of consecutive parts of one document. Combine them into one summary {form}, "
          "in {lang}.\n\n{text}")


@dataclass
class Summary:
    text: str
    chunks: int
    partials: list[str] = field(default_factory=list)


def summarize(provider, text: str, form: str = "bullets", lang: str = "ko", chunk_size: int = 1500,
              max_tokens: int = 200, progress=None) -> Summary:
    from langchain_core.prompts import PromptTemplate
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    if not text.strip():
        raise UserError("sum.empty", "nothing to summarise")
    if form not in FORMS or lang not in LANGS:
        raise UserError("sum.bad_option", "unknown form or language")
    chunks = RecursiveCharacterTextSplitter(chunk_size=chunk_size, chunk_overlap=100).split_text(text)
    fill = {"form": FORMS[form], "lang": LANGS[lang]}

    def ask(template: str, body: str) -> str:
        prompt = PromptTemplate.from_template(template).format(text=body, **fill)
        return complete(provider, [{"role": "user", "content": prompt}], temperature=0, max_tokens=max_tokens,
                        seed=0).strip()

    if len(chunks) == 1:
        return Summary(ask(MAP, chunks[0]), 1)
    partials = []
    for i, chunk in enumerate(chunks, 1):
        partials.append(ask(MAP, chunk))
        if progress:
            progress(i, len(chunks) + 1)
    final = ask(REDUCE, "\n\n".join(f"Part {i}: {p}" for i, p in enumerate(partials, 1)))
    if progress:
        progress(len(chunks) + 1, len(chunks) + 1)
    return Summary(final, len(chunks), partials)
