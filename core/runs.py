"""Experiment tracking made visible: every training page writes one JSON file per run into the runs folder,
and this module collects them into one table (page, settings, metrics, duration, seed, library versions,
data hash), overlays chosen runs' curves and exports CSV.

One file per run (not a database) so a student can open, diff, delete or commit a run by hand; files from
before a field existed still load, with that field left empty.
"""
from __future__ import annotations

import hashlib
import io
import json
import platform
import time
from dataclasses import dataclass, field
from pathlib import Path

LIBRARIES = ("torch", "torchvision", "numpy", "transformers", "peft")
FIXED_COLUMNS = ["id", "page", "name", "created", "seed", "duration_s", "data_hash"]


def versions() -> dict[str, str]:
    """Python and the installed versions of the libraries a result depends on (missing ones are skipped)."""
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for lib in LIBRARIES:
        try:
            out[lib] = version(lib)
        except PackageNotFoundError:
            pass
    return out


def data_hash(*arrays) -> str:
    """A short fingerprint of the exact training data (tensors, arrays, lists of texts, bytes): same hash, same
    data."""
    import numpy as np

    from core.data import Pixels

    h = hashlib.sha256()
    for a in arrays:
        if isinstance(a, (bytes, str)):
            h.update(a.encode() if isinstance(a, str) else a)
            continue
        if isinstance(a, Pixels):  # the float images it reads as, a block at a time: the hash of the float tensor
            h.update(str(tuple(a.shape)).encode() + b"float32")
            for i in range(0, len(a), 4096):
                h.update(a[i:i + 4096].numpy().tobytes())
            continue
        arr = np.ascontiguousarray(a.detach().cpu().numpy() if hasattr(a, "detach") else np.asarray(a))
        h.update(str(arr.shape).encode() + str(arr.dtype).encode())
        h.update(arr.tobytes())
    return h.hexdigest()[:12]


def save_run(runs_dir: Path, page: str, name: str, settings: dict, history: list[dict], final: dict, *,
             seed: int | None = None, duration_s: float | None = None, data_hash: str | None = None,
             script: str | None = None) -> Path:
    """Write one run as JSON; history is one dict per epoch (or step), final the end metrics."""
    runs_dir = Path(runs_dir)
    runs_dir.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = runs_dir / f"{stamp}-{page}-{name}.json"
    n = 1
    while path.exists():  # two runs in one second (tests, fast digits runs) must not overwrite each other
        n += 1
        path = runs_dir / f"{stamp}-{page}-{name}-{n}.json"
    record = {"page": page, "name": name, "created": time.strftime("%Y-%m-%d %H:%M:%S"), "seed": seed,
              "duration_s": duration_s, "data_hash": data_hash, "versions": versions(), "settings": settings,
              "history": history, "final": final, "script": script}
    path.write_text(json.dumps(record, indent=1, default=str))
    return path


class Recorder:
    """The one way a training page records a run, used like a TrainerCallback: `track(items, row)` passes the loop's
    metrics through and keeps one history row per epoch (or step) that `row(item)` returns (None: not a row);
    `save()` writes the run with the same fields for every page: settings, history, final metrics (the last
    value of each metric in the history, then the page's own, e.g. test accuracy), seed, duration, data hash."""

    def __init__(self, runs_dir: Path, page: str, name: str, settings: dict, *, seed: int | None = None,
                 data: tuple = (), script: str | None = None):
        self.runs_dir, self.page, self.name, self.settings = Path(runs_dir), page, name, settings
        self.seed, self.script = seed, script
        self.data_hash = data_hash(*data) if data else None
        self.history: list[dict] = []
        self.began = time.perf_counter()

    def record(self, row: dict) -> None:
        self.history.append(dict(row))

    def track(self, items, row):
        """Yield every item of the training loop, recording row(item) when it is not None; the run's duration is
        the loop's, from its first item on."""
        self.began = time.perf_counter()
        for item in items:
            kept = row(item)
            if kept is not None:
                self.record(kept)
            yield item

    def final(self, extra: dict | None = None, stopped: bool = False) -> dict:
        out: dict = {}
        for r in self.history:
            out |= {k: v for k, v in r.items() if k not in ("epoch", "step") and v is not None}
        return out | {"stopped": stopped} | (extra or {})

    def save(self, extra: dict | None = None, stop_event=None) -> Path | None:
        """Write the run, marked stopped when stop_event is set (None when nothing was recorded: stopped before
        its first row)."""
        if not self.history:
            return None
        stopped = stop_event is not None and stop_event.is_set()
        return save_run(self.runs_dir, self.page, self.name, self.settings, self.history, self.final(extra, stopped),
                        seed=self.seed, duration_s=time.perf_counter() - self.began, data_hash=self.data_hash,
                        script=self.script)


def epoch_row(m) -> dict | None:
    """The history row of a core.train.fit record: one per epoch, none per step."""
    if m.kind != "epoch":
        return None
    return {"epoch": m.epoch, "train_loss": m.loss, "train_acc": m.acc, "val_loss": m.val_loss, "val_acc": m.val_acc}


@dataclass
class Run:
    id: str
    page: str
    name: str
    created: str
    settings: dict
    history: list[dict]
    final: dict
    seed: int | None = None
    duration_s: float | None = None
    data_hash: str | None = None
    versions: dict = field(default_factory=dict)
    script: str | None = None  # the exact runnable script of the run, when the page saved it


def _created_from_name(path: Path) -> str:
    """Older files carry their time only in the name (YYYYmmdd-HHMMSS-...); else the file's mtime."""
    try:
        when = time.strptime(path.stem[:15], "%Y%m%d-%H%M%S")
    except ValueError:
        when = time.localtime(path.stat().st_mtime)
    return time.strftime("%Y-%m-%d %H:%M:%S", when)


def _from_record(path: Path, d: dict) -> Run:
    settings = d.get("settings") or d.get("spec") or {}  # "spec": vision runs saved before this module
    seed = d.get("seed")
    if seed is None:
        seed = (settings.get("train") or {}).get("seed") if isinstance(settings.get("train"), dict) else None
    name = d.get("name") or "-".join(str(v) for v in ((settings.get("model") or {}).get("arch"),
                                                       settings.get("dataset")) if v)
    created = d.get("created") or _created_from_name(path)
    return Run(path.stem, d.get("page", "vision"), name or path.stem, created, settings, d.get("history") or [],
               d.get("final") or {}, seed, d.get("duration_s"), d.get("data_hash"), d.get("versions") or {},
               d.get("script") if isinstance(d.get("script"), str) else None)


def collect(runs_dir: Path, recursive: bool = False) -> tuple[list[Run], list[str]]:
    """All runs in runs_dir (and its session subfolders when recursive), newest first, and the names of files
    that could not be read."""
    runs, bad = [], []
    pattern = "**/*.json" if recursive else "*.json"
    for path in sorted(Path(runs_dir).glob(pattern)) if Path(runs_dir).is_dir() else []:
        try:
            d = json.loads(path.read_text())
            if not isinstance(d, dict):
                raise ValueError("not an object")
            runs.append(_from_record(path, d))
        except (ValueError, OSError, AttributeError, TypeError):
            bad.append(path.name)
    runs.sort(key=lambda r: r.created, reverse=True)
    return runs, bad


def collect_visible(runs_dir: Path, session: str, everyone: bool = False) -> tuple[list[Run], list[str]]:
    """The runs one browser session may see: its own (runs_dir/<session>/) and the unowned ones at the top
    (written by scripts or before sessions had folders); with everyone, every run on this computer."""
    if everyone:
        return collect(runs_dir, recursive=True)
    own, bad_own = collect(Path(runs_dir) / session)
    top, bad_top = collect(runs_dir)
    return sorted(own + top, key=lambda r: r.created, reverse=True), bad_own + bad_top


def _flat(prefix: str, d: dict) -> dict:
    out = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out |= _flat(key + ".", v)
        else:
            out[key] = ", ".join(map(str, v)) if isinstance(v, (list, tuple)) else v
    return out


def table(runs: list[Run]):
    """One row per run: the fixed columns, then final.*, settings.* and versions.* (a pandas DataFrame)."""
    import pandas as pd

    rows = [{"id": r.id, "page": r.page, "name": r.name, "created": r.created, "seed": r.seed,
             "duration_s": r.duration_s, "data_hash": r.data_hash}
            | _flat("final.", r.final) | _flat("settings.", r.settings) | _flat("versions.", r.versions)
            for r in runs]
    return pd.DataFrame(rows, columns=None if rows else FIXED_COLUMNS)


def to_csv(runs: list[Run]) -> str:
    return table(runs).to_csv(index=False)


def from_csv(text: str):
    """The table back from CSV (what a student opens in Excel or pandas)."""
    import pandas as pd

    return pd.read_csv(io.StringIO(text))


def metrics_of(runs: list[Run]) -> list[str]:
    """Numeric per-epoch metrics present in the chosen runs' histories, for the comparison picker."""
    names: list[str] = []
    for r in runs:
        for row in r.history:
            for k, v in row.items():
                if k not in ("epoch", "step") and isinstance(v, (int, float)) and k not in names:
                    names.append(k)
    return names


def curves(runs: list[Run], metric: str) -> dict[str, tuple[list, list]]:
    """run id → (epoch or step, metric) for every chosen run that recorded the metric."""
    out = {}
    for r in runs:
        pts = [(row.get("epoch", row.get("step", i + 1)), row[metric]) for i, row in enumerate(r.history)
               if isinstance(row.get(metric), (int, float))]
        if pts:
            out[r.id] = ([p[0] for p in pts], [p[1] for p in pts])
    return out
