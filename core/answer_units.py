"""Answer units: every piece of a chunk that can answer a question on its own, whatever kind of text it is.

A course document is mostly not prose: slides, syllabi, lecture notes and READMEs are headings, bullet and numbered
lists, tables and "term: explanation" lines. Each of these becomes a unit, with the context a reader needs to know
what it is about:

- a prose sentence (split at "다.", ①②③ clauses and sentence ends; a law article keeps its 제N조 heading),
- a bullet or numbered list item, with its lead-in line ("실습 데이터셋:") or the heading above it,
- a table row, as "header: cell" pairs (Markdown pipes or tab-separated; the first row is the header),
- a definition line ("에포크: 전체 데이터를 한 번 훑는 것", "LoRA - low-rank adapters"),
- a heading with its first line ("## 평가" + "출석 20%, 과제 40%"),
- any other line, even a short fragment without a final "다.".

Unit.text is what the answer shows; Unit.spans are the exact pieces of the chunk to highlight (a list item's lead-in
is context, not the evidence). Pure string work: no model, no streamlit.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

_BREAK = re.compile(r"(?<=다\.)\s+|(?<=[.!?])\s+(?=[A-Z\"'(])|\s*(?=[①-⑳])")
LAW_HEADING = re.compile(r"^(제\d+조(?:의\d+)?)\s*")  # an article's number, kept on its first sentence
_LAW_PART = re.compile(r"^제\d+[장절편관]")  # 제1장 총강, 제2절 국무회의: headings, never an answer alone
_MD_HEADING = re.compile(r"^#{1,6}\s+")
_ITEM = re.compile(r"^(?:[-*+•·▪◦●○■□►▶–]|\d{1,2}[.)]|[①-⑳]|[가-하][.)]|\(\d{1,2}\)|[a-z][.)])\s+")
_TABLE_RULE = re.compile(r"^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?$")
_DEFINITION = re.compile(r"^([^:：|]{1,40}?)\s*(?:(?<!\d)[:：](?!\d)|\s[-–—]\s)\s*(\S.*)$")
_ENDED = re.compile(r"[.!?。」\"')]$|다$|요$")
MAX_CONTEXT = 80  # characters of a heading or lead-in carried by a unit: enough to say what it is about


@dataclass(frozen=True)
class Unit:
    """One candidate answer: text (shown as the answer), spans (exact substrings of the chunk to highlight),
    kind ("sentence", "item", "row", "definition", "heading", "line")."""
    text: str
    spans: tuple[str, ...]
    kind: str


def split_sentences(text: str) -> list[str]:
    """Sentences of a text, split at '다.', ①②③ clauses, line breaks and sentence ends; an article's first
    sentence keeps its 제N조 heading."""
    out: list[str] = []
    for line in text.splitlines():
        for part in (p.strip() for p in _BREAK.split(line) if p and p.strip()):
            if out and LAW_HEADING.fullmatch(out[-1] + " "):  # a bare "제N조" before ① labels the first clause
                out[-1] = f"{out[-1]} {part}"
            elif len(part) > 1:
                out.append(part)
    return out


def _clip(text: str) -> str:
    text = text.strip().rstrip(":：").strip()
    return text if len(text) <= MAX_CONTEXT else text[:MAX_CONTEXT].rsplit(" ", 1)[0] + "…"


def _join(context: str, body: str) -> str:
    """ "lead: body" after a heading or label, "lead body" after a whole sentence."""
    if not context:
        return body
    return f"{context} {body}" if _ENDED.search(context) else f"{_clip(context)}: {body}"


def _cells(line: str) -> list[str] | None:
    """A table row's cells: Markdown pipes (| a | b |) or tab-separated columns; None for any other line."""
    if line.count("|") >= 2 and not _TABLE_RULE.match(line):
        return [c.strip() for c in line.strip().strip("|").split("|")]
    if "\t" in line.strip():
        return [c.strip() for c in line.strip().split("\t")]
    return None


def _is_heading(line: str, nxt: str | None) -> bool:
    """A Markdown or law-part heading, or a short line without an ending that leads into the next line."""
    if _MD_HEADING.match(line):
        return True
    if (nxt is None or _ITEM.match(line) or _ENDED.search(line) or len(line) > 50 or _DEFINITION.match(line)
            or _cells(line)):
        return False
    return bool(_ITEM.match(nxt) or _cells(nxt) is not None or line.endswith((":", "：")))


def units(text: str) -> list[Unit]:
    """Every answer unit of a chunk, in order (see the module docstring)."""
    lines = [ln.strip() for ln in text.splitlines()]
    lines = [ln for ln in lines if ln]
    out: list[Unit] = []
    heading, lead, header, first_after_heading = "", "", None, False
    for i, line in enumerate(lines):
        nxt = lines[i + 1] if i + 1 < len(lines) else None
        cells = _cells(line)
        if _TABLE_RULE.match(line):
            continue
        if cells is not None:
            if header is None:  # the first row of a table names its columns
                header = cells
                continue
            pairs = [f"{h}: {c}" if h else c for h, c in zip(header + [""] * len(cells), cells) if c]
            out.append(Unit(_join(heading, "; ".join(pairs)), (line,), "row"))
            continue
        header = None
        if _LAW_PART.match(line):  # 제1장 총강: the chunker cuts at articles, so it only ends the one before
            continue
        if _is_heading(line, nxt):
            title = _MD_HEADING.sub("", line).strip()
            if _ITEM.match(nxt or "") or (nxt or "").endswith((":", "：")):
                lead = title
            else:
                lead = ""
            if _MD_HEADING.match(line) or not line.endswith((":", "：")):
                heading, first_after_heading = title, True
            continue
        item = _ITEM.match(line)
        if item:
            body = line[item.end():].strip()
            context = f"{_clip(heading)} · {lead}" if heading and lead and lead != heading else lead or heading
            if len(body) > 1:
                out.append(Unit(_join(context, body), (line,), "item"))
            continue
        if line.endswith((":", "：")) and len(line) <= 80:  # "실습 내용:" introduces what follows
            lead = line
            continue
        lead = ""
        definition = _DEFINITION.match(line)
        if definition and not re.match(r"^\d", line) and not LAW_HEADING.match(line):
            out.append(Unit(_join(heading, line), (line,), "definition"))
            first_after_heading = False
            continue
        sentences = split_sentences(line)
        for j, sent in enumerate(sentences):
            kind = "sentence" if _ENDED.search(sent) else "line"
            if first_after_heading and j == 0:
                out.append(Unit(_join(heading, sent), (sent,), "heading"))
            elif heading and kind == "line":
                out.append(Unit(_join(heading, sent), (sent,), kind))
            else:
                out.append(Unit(sent, (sent,), kind))
            lead = sent if _ENDED.search(sent) else lead  # a sentence may lead into a numbered list
        first_after_heading = False
    return out
