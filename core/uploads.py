"""Work budgets for one upload, and a small cache of parsed uploads.

Size limits alone let a small file buy minutes of CPU or gigabytes of RAM: 5,000 tiny PNGs that each decode to
36 megapixels, a PDF whose pages share one stream of a million empty text operators, a .docx whose XML parts are
renamed so no name-based check counts them. Every loader therefore spends from a budget for the WHOLE upload
(decoded pixels, PDF operators, inflated bytes of the parts a library will parse) and stops with a translated
UserError naming the limit and how to shrink the input, as soon as the budget is spent, not after the work.

The limits are set so the worst input still ends within a few seconds on a 2-core machine (rates measured with
this repo's generators: PNG decode ~80 Mpx/s, pypdf ~8 µs per content-stream operator, python-docx ~15 µs per run
it walks) while ordinary course uploads stay far below them.
"""
from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from typing import Any, Callable

from core.errors import UserError

# image zip: decoded pixels over all images (after JPEG draft scaling): 3,000 photos of 224x224 fit
IMAGE_ZIP_PIXELS = 160_000_000
# PDF: content-stream operators over all pages, a stream shared by pages counted once (~8 µs each in pypdf),
# and the decoded content of one page, which pypdf parses whole before any operator can be counted
PDF_OPERATORS = 300_000
PDF_PAGE_CONTENT_BYTES = 1024 * 1024
# .docx: inflated bytes of every part python-docx parses as XML (chosen by content type, not by name; lxml needs
# ~12x that in RAM), of all parts together (images included), and the body's paragraphs, runs and run children,
# which python-docx walks one Python object at a time (~15 µs each) to give the text
DOCX_XML_BYTES = 16 * 1024 * 1024
DOCX_TOTAL_BYTES = 80 * 1024 * 1024
DOCX_ELEMENTS = 300_000


class Budget:
    """A running total against a cap: spend() raises UserError(key, **params) once the total passes it."""

    def __init__(self, cap: int, key: str, **params):
        self.cap, self.key, self.params = cap, key, params
        self.spent = 0

    def spend(self, amount: int) -> None:
        self.spent += amount
        if self.spent > self.cap:
            raise UserError(self.key, f"{self.key}: budget of {self.cap} spent", **self.params)

    def left(self) -> int:
        return max(0, self.cap - self.spent)


def content_key(data: bytes, **settings) -> str:
    """What identifies a parsed upload: the bytes' sha256 plus every setting the parse depends on."""
    digest = hashlib.sha256(data).hexdigest()
    return digest + "|" + "|".join(f"{k}={settings[k]!r}" for k in sorted(settings))


class ParsedCache:
    """The last few parsed uploads by content_key, refusals included (a file refused after seconds of work is not
    worked on again at the next rerun). Thread-safe; least recently used entries go first."""

    def __init__(self, entries: int = 4):
        self.entries = entries
        self._items: OrderedDict[str, tuple[bool, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_parse(self, key: str, parse: Callable[[], Any]) -> Any:
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
        if hit is None:
            try:
                hit = (True, parse())
            except UserError as exc:
                hit = (False, exc)
            with self._lock:
                self._items[key] = hit
                while len(self._items) > self.entries:
                    self._items.popitem(last=False)
        ok, value = hit
        if not ok:
            raise value
        return value

    def __len__(self) -> int:
        return len(self._items)
