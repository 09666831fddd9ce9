"""Every UserError raised in core/ has a Korean and an English message, and its parameters fill every slot."""
import ast
import string
from pathlib import Path

from ui.strings import EN, KO

ROOT = Path(__file__).resolve().parent.parent
# modules whose UserError key is chosen, not written (core.uploads.Budget raises the key its caller gave it)
PASSED_IN = {"core/llm/errors.py", "core/safe_zip.py", "core/uploads.py"}


def _raised_keys() -> list[tuple[str, str, set[str] | None]]:
    """(where, key, keyword names or None when **kwargs hides them) for each UserError("key", ...) call."""
    found = []
    for path in sorted((ROOT / "core").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            name = getattr(node.func, "id", getattr(node.func, "attr", "")) if isinstance(node, ast.Call) else ""
            if name == "Budget" and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant):
                # Budget(cap, "key", **params) raises UserError("key", **params) once spent
                names = {k.arg for k in node.keywords}
                found.append((f"{path.relative_to(ROOT)}:{node.lineno}", node.args[1].value,
                              None if None in names else names))
            if name == "UserError":
                if not (node.args and isinstance(node.args[0], ast.Constant)):
                    # a key passed in by the caller; test_passed_in_keys checks those modules and their callers
                    assert str(path.relative_to(ROOT)) in PASSED_IN, f"{path}:{node.lineno} key not literal"
                    continue
                names = {k.arg for k in node.keywords}
                found.append((f"{path.relative_to(ROOT)}:{node.lineno}", node.args[0].value,
                              None if None in names else names))
    return found


def test_scan_finds_the_errors_core_raises():
    keys = {key for _, key, _ in _raised_keys()}
    assert {"doc.empty", "w2v.unknown_word", "llm.empty_prompt", "sum.empty", "vdb.empty_query"} <= keys
    assert {"data.zip_pixels", "doc.pdf_work", "doc.docx_xml_too_big"} <= keys  # the keys budgets raise
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


def test_passed_in_keys_are_in_both_tables():
    """safe_zip.open_checked(data, limits, bad_key) and read_member(..., bad_key=): every caller's bad_key must be
    translated too."""
    passed = set()
    for path in sorted((ROOT / "core").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            name = getattr(node.func, "attr", getattr(node.func, "id", "")) if isinstance(node, ast.Call) else ""
            if name in ("open_checked", "read_member"):
                args = [k.value for k in node.keywords if k.arg == "bad_key"]
                args += node.args[2:3] if name == "open_checked" else []
                passed |= {a.value for a in args if isinstance(a, ast.Constant)}
    assert passed, "the scan found no open_checked caller"
    assert [k for k in passed if k not in KO or k not in EN] == []


def test_mapper_keys_are_in_both_tables():
    """core/llm/errors.py chooses among fixed keys: every 'llm.*' string in it must be translated."""
    tree = ast.parse((ROOT / "core" / "llm" / "errors.py").read_text(encoding="utf-8"))
    keys = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
            and n.value.startswith("llm.") and " " not in n.value}
    assert {"llm.bad_key", "llm.rate_limit", "llm.timeout", "llm.unreachable", "llm.failed"} <= keys
    assert [k for k in keys if k not in KO or k not in EN] == []
