"""The ko/en string tables: one module per area of the app, each with a `KO` and an `EN` dict.

A new page adds its own module here (e.g. `ui/strings/gan.py`); this package merges them all. A key defined in
two modules is an error, so areas cannot silently override each other.
"""
from __future__ import annotations

import importlib
import pkgutil

KO: dict[str, str] = {}
EN: dict[str, str] = {}

for _info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    _module = importlib.import_module(f"{__name__}.{_info.name}")
    for _table, _part in ((KO, _module.KO), (EN, _module.EN)):
        _clash = _table.keys() & _part.keys()
        if _clash:
            raise KeyError(f"ui/strings/{_info.name}.py redefines {sorted(_clash)}")
        _table.update(_part)
