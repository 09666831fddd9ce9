"""Every key used in the code exists in both languages, and the tables have the same keys."""
import re
from pathlib import Path

from ui.strings import EN, KO

ROOT = Path(__file__).resolve().parent.parent


def test_tables_have_the_same_keys():
    assert set(KO) - set(EN) == set(), "missing in English"
    assert set(EN) - set(KO) == set(), "missing in Korean"


def test_every_literal_key_used_exists():
    used = set()
    for folder in ("app_pages", "ui"):
        for path in (ROOT / folder).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            used |= set(re.findall(r"""\bt\(\s*["']([a-z0-9_.\-]+)["']""", text))
            used |= set(re.findall(r"""\(\s*"([a-z0-9_]+\.[a-z0-9_.\-]+)",\s*[a-z_]+\)""", text))  # tabbed()
    missing = sorted(k for k in used if k not in KO)
    assert missing == []


def test_placeholders_match_between_languages():
    for key in KO:
        assert set(re.findall(r"{(\w+)}", KO[key])) == set(re.findall(r"{(\w+)}", EN[key])), key
