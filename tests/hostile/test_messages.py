"""Every refusal a student can cause must reach them translated: each UserError key raised in core/ (and in
serve/) exists in both the Korean and the English table."""
import re
from pathlib import Path

from ui.strings import EN, KO

ROOT = Path(__file__).resolve().parents[2]


def test_every_user_error_key_in_core_is_translated():
    keys = {}
    for folder in ("core", "serve"):
        for path in (ROOT / folder).rglob("*.py"):
            for key in re.findall(r"""UserError\(\s*["']([a-z0-9_.\-]+)["']""", path.read_text(encoding="utf-8")):
                keys.setdefault(key, path.relative_to(ROOT).as_posix())
    assert len(keys) > 100  # the scan itself works
    missing = {k: where for k, where in keys.items() if k not in KO or k not in EN}
    assert missing == {}
