"""Every UserError raised in core/ has a Korean and an English message, and its parameters fill every slot."""
import ast
import string
from pathlib import Path

from ui.strings import EN, KO

ROOT = Path(__file__).resolve().parent.parent


def _raised_keys() -> list[tuple[str, str, set[str] | None]]:
    """(where, key, keyword names or None when **kwargs hides them) for each UserError("key", ...) call."""
    found = []
    for path in sorted((ROOT / "core").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "UserError":
                assert node.args and isinstance(node.args[0], ast.Constant), f"{path}:{node.lineno} key not literal"
                names = {k.arg for k in node.keywords}
                found.append((f"{path.relative_to(ROOT)}:{node.lineno}", node.args[0].value,
                              None if None in names else names))
    return found


def test_scan_finds_the_errors_core_raises():
    keys = {key for _, key, _ in _raised_keys()}
    assert {"doc.empty", "w2v.unknown_word", "llm.empty_prompt", "sum.empty", "vdb.empty_query"} <= keys
    assert len(keys) > 40


def test_every_user_error_key_is_in_both_tables_with_its_parameters():
    problems = []
    for where, key, names in _raised_keys():
        for lang, table in (("KO", KO), ("EN", EN)):
            if key not in table:
                problems.append(f"{where}: {key} missing from {lang}")
            elif names is not None:
                slots = {f for _, f, _, _ in string.Formatter().parse(table[key]) if f}
                if slots - names:
                    problems.append(f"{where}: {key} ({lang}) needs {sorted(slots - names)}")
    assert not problems, "\n".join(problems)
