"""Answer units: every piece of a chunk that can answer a question on its own, whatever kind of text it is.

A course document is mostly not prose: slides, syllabi, lecture notes and READMEs are headings, bullet and numbered
lists, tables and "term: explanation" lines. Each of these becomes a unit, with the context a reader needs to know
what it is about:

- a prose sentence (split at "다.", ①②③ clauses and sentence ends; a law article keeps its 제N조 heading),
- a bullet or numbered list item, with its lead-in line ("실습 데이터셋:") or the heading above it,
- a table row, as "header: cell" pairs (Markdown pipes, tab-separated, or columns aligned with spaces as in plain
  text and PDF; the first row is the header),
- a definition line ("에포크: 전체 데이터를 한 번 훑는 것", "LoRA - low-rank adapters"),
- a heading with its first line ("## 평가" + "출석 20%, 과제 40%"),
- any other line, even a short fragment without a final "다.".

Unit.text is what the answer shows; Unit.spans are the exact pieces of the chunk to highlight (a list item's lead-in
is context, not the evidence). Pure string work: no model, no streamlit.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_BREAK = re.compile(r"(?<=다\.)\s+|(?<=[.!?])\s+(?=[A-Z\"'(])|\s*(?=[①-⑳])")
LAW_HEADING = re.compile(r"^(제\d+조(?:의\d+)?)\s*")  # an article's number, kept on its first sentence
_LAW_PART = re.compile(r"^제\d+[장절편관]")  # 제1장 총강, 제2절 국무회의: headings, never an answer alone
_MD_HEADING = re.compile(r"^#{1,6}\s+")
_ITEM = re.compile(r"^(?:[-*+•·▪◦●○■□►▶–]|\d{1,2}[.)]|[①-⑳]|[가-하][.)]|\(\d{1,2}\)|[a-z][.)])\s+")
_TABLE_RULE = re.compile(r"^[|+]?\s*:?(-{2,}|={2,}):?\s*([|+]?\s*:?(-{2,}|={2,}):?\s*)*[|+]?$")  # |---|, --+--
_GAP = re.compile(r"\s{2,}")  # between the columns of a table aligned with spaces
_UNDERLINE = re.compile(r"^\s*(={3,}|-{3,})\s*$")  # right under a title: a setext heading (Markdown, plain text)
_DEFINITION = re.compile(r"^([^:：|]{1,40}?)\s*(?:(?<!\d)[:：](?!\d)|\s[-–—]\s)\s*(\S.*)$")
_ENDED = re.compile(r"[.!?。」\"')]$|다$|요$")
_ANSWER_LABEL = re.compile(r"^(?:A|답)\s*[:.：]\s*")  # "A: …", "답. …": who speaks in an FAQ, not the answer
MAX_CONTEXT = 80  # characters of a heading or lead-in carried by a unit: enough to say what it is about


@dataclass(frozen=True)
class Unit:
    """One candidate answer: text (shown as the answer), spans (exact substrings of the chunk to highlight),
    kind ("sentence", "item", "row", "definition", "heading", "line")."""
    text: str
    spans: tuple[str, ...]
    kind: str
    block: int = -1  # list items and table rows: the number of their list or table in the chunk (-1: neither)
    head: int = 0  # the length of the context in front of the text (the heading, lead-in or header)
    # an FAQ answer under its question line: the length of the question (and of an "A:" label) in front of the
    # answer. The question stays in text (what is ranked: it says what the answer is about) but not in the answer
    # shown (core.rag._Index.answers): "Q: Can I install my own packages? A: Yes, …" answers "Yes, …"
    title: int = 0


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


def _width(text: str) -> int:
    """Display columns: a Hangul or other wide character takes two, as a plain-text table is aligned on screen."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _aligned(raw: list[str]) -> tuple[dict[int, str], set[int]]:
    """The rows of tables aligned with spaces (plain text, PDF), as tab-separated lines by their index in raw (the
    lines as written), and the indices of their header rows. A table is a run of lines that each split at runs of
    two or more spaces into the same number of cells, with a dash rule under the first or not. Two columns without
    a rule are a key/value list, read as "key: value" definitions; a line of prose may hold a double space, so such
    a list holds only as far as its second column starts at the same screen column."""
    lines = [ln.strip() for ln in raw]

    def cells(line: str) -> int:
        if "|" in line or "\t" in line or _ITEM.match(line) or _MD_HEADING.match(line) or _TABLE_RULE.match(line):
            return 0
        n = len(_GAP.split(line))
        return n if n >= 2 else 0

    def second_column(i: int) -> int:
        gap = _GAP.search(raw[i], len(raw[i]) - len(raw[i].lstrip()))
        return _width(raw[i][:gap.end()]) if gap else -1

    out: dict[int, str] = {}
    heads: set[int] = set()
    i = 0
    while i < len(lines):
        k, run, j = cells(lines[i]), [i], i + 1
        rule = bool(k) and j < len(lines) and _TABLE_RULE.match(lines[j]) is not None
        j += rule
        while k and j < len(lines) and cells(lines[j]) == k:
            run.append(j)
            j += 1
        listing = k == 2 and not rule  # a key/value list ("TL_HOME    where it lives"): definitions, no header
        if listing:  # it holds as far as its second column stays put
            end = next((n for n, r in enumerate(run) if second_column(r) != second_column(i)), len(run))
            run, j = run[:end], (run[end] if end < len(run) else j)
        if len(run) < 2:
            i += 1
            continue
        out.update((r, (": " if listing else "\t").join(_GAP.split(lines[r]))) for r in run)
        if not listing:
            heads.add(i)
        i = j
    return out, heads


def _raw_lines(text: str) -> list[str]:
    """The lines of a text as written, but a title underlined by === or --- (a setext heading) reads as "## title"
    and its underline as a blank line: line numbers stay those of text.splitlines()."""
    raw = text.splitlines()
    for i in range(len(raw) - 1):
        title = raw[i].strip()
        if (_UNDERLINE.match(raw[i + 1]) and title and len(title) <= 80 and not _UNDERLINE.match(title)
                and not _ITEM.match(title) and "|" not in title):
            raw[i], raw[i + 1] = f"## {title}", ""
    return raw


def table_headers(text: str) -> dict[int, str]:
    """For each row of a table below its header (by line index in text.splitlines()): the header as written, with
    the rule under it when there is one. A chunk that starts inside a table gets it back (core.documents.split), so
    its rows still say which column is which."""
    raw = _raw_lines(text)
    aligned, heads = _aligned(raw)
    out: dict[int, str] = {}
    header: list[str] = []
    for i, ln in enumerate(raw):
        line = ln.strip()
        row = "\t" in aligned.get(i, "") or _cells(line) is not None
        if header and not row and _TABLE_RULE.match(line) and len(header) == 1:
            header.append(ln)
        elif row and header and i not in heads:
            out[i] = "\n".join(header)
        else:
            header = [ln] if row else []
    return out


def _is_heading(line: str, nxt: str | None) -> bool:
    """A Markdown or law-part heading, or a short line without an ending that leads into the next line."""
    if _MD_HEADING.match(line):
        return True
    if (nxt is None or _ITEM.match(line) or _ENDED.search(line) or len(line) > 50 or _DEFINITION.match(line)
            or _cells(line)):
        return False
    return bool(_ITEM.match(nxt) or _cells(nxt) is not None or line.endswith((":", "：")))


_FENCE = re.compile(r"^(```|~~~)")
_JOIN = "\ue000"  # where _unwrap joined two lines: a space in the unit's text, a cut between its highlighted spans
WRAPPED = 60  # a line at least this long that stops mid-sentence was wrapped: the next plain line continues it


def _structural(line: str) -> bool:
    """A line that starts something of its own: a heading, list item, table row, question line, law heading,
    definition ("MASE: mean absolute scaled error") or lead-in ("Additive vs. multiplicative decomposition:")."""
    definition = _DEFINITION.match(line)
    return bool(_MD_HEADING.match(line) or _ITEM.match(line) or _cells(line) is not None or _TABLE_RULE.match(line)
                or _question_line(line) is not None or LAW_HEADING.match(line) or _LAW_PART.match(line)
                or (definition and len(definition.group(1).strip("*_ ")) > 1) or line.endswith((":", "："))
                or _FENCE.match(line))


def _unwrap(lines: list[str]) -> list[str]:
    """Join the lines of a wrapped paragraph (Markdown, PDF and e-mail text break lines inside sentences): a long
    line that does not end a sentence, a lead-in or a table row continues on the next line unless that line starts
    something of its own. Short unended lines stay apart: they are titles and fragments."""
    out: list[str] = []
    for line in lines:
        prev = out[-1].rsplit(_JOIN, 1)[-1] if out else ""
        end = prev.rstrip("*_` ")  # **bold** or `code` at the end of a line hides its full stop
        if (len(prev) >= WRAPPED and not _ENDED.search(end) and not end.endswith((":", "："))
                and not _MD_HEADING.match(prev) and _cells(prev) is None and not _FENCE.match(prev)
                and not _structural(line)):
            out[-1] = f"{out[-1]}{_JOIN}{line}"
        else:
            out.append(line)
    return out


def _member(out: list[Unit], context: str, body: str, line: str, kind: str) -> Unit:
    """A list item or table row: in the block of the unit before it when that is of the same kind and context."""
    text = _join(context, body)
    head = len(text) - len(body)
    last = out[-1] if out else None
    same = last is not None and last.kind == kind and last.block >= 0 and last.text[:last.head] == text[:head]
    block = last.block if same else max((u.block for u in out), default=-1) + 1
    return Unit(text, (line,), kind, block, head)


def _question_line(line: str) -> str | None:
    """A line that asks a question and is answered by what follows (an FAQ's "**Q: …?**"), without its emphasis
    marks: it titles the answer like a heading."""
    bare = line.strip("*_ ").strip()
    return bare if bare.endswith("?") and len(bare) <= 120 and not _ITEM.match(line) else None


def units(text: str) -> list[Unit]:
    """Every answer unit of a chunk, in order (see the module docstring)."""
    # code fences end a paragraph and are markup, not text (the code lines between them stay: a command can answer)
    raw = _raw_lines(text)
    aligned, heads = _aligned(raw)  # rows of a table aligned with spaces read as tab-separated, highlighted as written
    original = {row: raw[i].strip() for i, row in aligned.items()}
    starts = {aligned[i] for i in heads}
    lines = [ln for ln in _unwrap([aligned.get(i, ln.strip()) for i, ln in enumerate(raw) if ln.strip()])
             if not _FENCE.match(ln)]
    out: list[Unit] = []
    heading, lead, header, first_after_heading = "", "", None, False
    asked_title = False  # the heading is a question line (an FAQ's question)

    def titled(body: str, span: str, kind: str) -> Unit:
        """A unit under a heading: with a question line for heading, the question's length is its title."""
        text = _join(heading, body)
        if not asked_title:
            return Unit(text, (span,), kind)
        label = _ANSWER_LABEL.match(body)
        return Unit(text, (span,), kind, title=len(text) - len(body) + (label.end() if label else 0))

    for i, line in enumerate(lines):
        nxt = lines[i + 1] if i + 1 < len(lines) else None
        cells = _cells(line)
        if _TABLE_RULE.match(line):
            continue
        if cells is not None:
            if header is None or line in starts:  # the first row of a table names its columns
                header = cells
                continue
            pairs = [f"{h}: {c}" if h else c for h, c in zip(header + [""] * len(cells), cells) if c]
            out.append(_member(out, heading, "; ".join(pairs), line, "row"))
            continue
        header = None
        if _LAW_PART.match(line):  # 제1장 총강: the chunker cuts at articles, so it only ends the one before
            continue
        if (asked := _question_line(line)) is not None and nxt is not None and _question_line(nxt) is None:
            heading, lead, first_after_heading, asked_title = asked, "", True, True
            continue
        if _is_heading(line, nxt):
            title = _MD_HEADING.sub("", line).strip()
            if _ITEM.match(nxt or "") or (nxt or "").endswith((":", "：")):
                lead = title
            else:
                lead = ""
            if _MD_HEADING.match(line) or not line.endswith((":", "：")):
                heading, first_after_heading, asked_title = title, True, False
            continue
        item = _ITEM.match(line)
        if item:
            body = line[item.end():].strip()
            if heading and _ENDED.search(lead):  # a prose sentence before the list, under a heading: the heading
                lead = ""  # says what the list is about, the sentence is only what came before it
            context = f"{_clip(heading)} · {lead}" if heading and lead and lead != heading else lead or heading
            if len(body) > 1:
                out.append(_member(out, context, body, line, "item"))
            continue
        if line.endswith((":", "：")) and len(line) <= 80:  # "실습 내용:" introduces what follows
            lead = line
            continue
        lead = ""
        definition = _DEFINITION.match(line)
        # a one-character label ("A: …", "Q: …") marks who speaks, not a term being defined: the line is prose
        if definition and len(definition.group(1).strip("*_ ")) > 1 and not re.match(r"^\d", line) \
                and not LAW_HEADING.match(line):
            out.append(titled(line, line, "definition"))
            first_after_heading = False
            continue
        sentences = split_sentences(line)
        for j, sent in enumerate(sentences):
            kind = "sentence" if _ENDED.search(sent) else "line"
            if first_after_heading and j == 0:
                out.append(titled(sent, sent, "heading"))
            elif heading and kind == "line":
                out.append(titled(sent, sent, kind))
            else:
                out.append(Unit(sent, (sent,), kind))
            lead = sent if _ENDED.search(sent) else lead  # a sentence may lead into a numbered list
        first_after_heading = False
    return [Unit(u.text.replace(_JOIN, " "),
                 tuple(original.get(p.strip(), p.strip()) for s in u.spans for p in s.split(_JOIN) if p.strip()),
                 u.kind, u.block, u.head, u.title) for u in out]
