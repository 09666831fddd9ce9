"""Architecture rules: core/ never imports streamlit; app_pages import only ui/core (plus streamlit and stdlib)."""
import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("torch", "transformers", "sentence_transformers", "chromadb", "langchain")


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_core_never_imports_streamlit():
    offenders = [str(p) for p in (ROOT / "core").rglob("*.py") if "streamlit" in _imports(p)]
    assert offenders == []


def test_app_pages_import_only_ui_core_and_streamlit():
    allowed = {"ui", "core", "streamlit", "__future__"} | set(sys.stdlib_module_names)
    for page in (ROOT / "app_pages").glob("*.py"):
        extra = _imports(page) - allowed
        assert not extra, f"{page.name} imports {extra}; move that into core/ or ui/"


def test_home_and_ui_import_nothing_heavy():
    """Importing Home's modules must not pull torch & co: the Home page has to open fast."""
    code = ("import sys; import ui.i18n, ui.resources, ui.widgets, ui.state, ui.course, ui.home, core.assets, "
            "core.config, core.jobs; heavy=[m for m in %r if m in sys.modules]; print(','.join(heavy))" % (HEAVY,))
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_no_legacy_pages_folder():
    """A folder named pages/ switches Streamlit into v1 multipage mode, which bypasses the Home.py router on
    fragment reruns (no language switch, no layout). Pages live in app_pages/."""
    assert not (ROOT / "pages").exists()
