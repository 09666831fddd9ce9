"""The module map (README "Module map") as rules: core/ is pure Python; a page imports only ui/, core/, streamlit,
the stdlib and display libraries; shared ui/ modules import no page; Home's modules import nothing heavy."""
import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("torch", "transformers", "sentence_transformers", "chromadb", "langchain")
DISPLAY = {"plotly", "pandas", "numpy", "matplotlib"}  # drawing and tables; anything that computes belongs in core/


def _imports(path: Path) -> set[str]:
    """Top-level package of every absolute import in the file, including those inside functions."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def _modules(path: Path) -> set[str]:
    """Full dotted names of the absolute imports in the file (`from ui import x` counts as ui.x too)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
    return names


def test_core_never_imports_streamlit():
    offenders = [str(p) for p in (ROOT / "core").rglob("*.py") if {"streamlit", "ui", "app_pages"} & _imports(p)]
    assert offenders == []


def test_app_pages_import_only_ui_core_streamlit_and_display_libraries():
    allowed = {"ui", "core", "streamlit", "__future__"} | DISPLAY | set(sys.stdlib_module_names)
    for page in (ROOT / "app_pages").rglob("*.py"):
        extra = _imports(page) - allowed
        assert not extra, f"{page.name} imports {extra}; move that into core/ (or a chart into ui/charts.py)"


def test_no_page_imports_another_page():
    """Pages are leaves: what two pages share lives in ui/, so no page (nor ui/ nor core/) imports app_pages."""
    for path in [*(ROOT / "app_pages").rglob("*.py"), *(ROOT / "ui").rglob("*.py"), *(ROOT / "core").rglob("*.py")]:
        assert "app_pages" not in _imports(path), path


def test_shared_ui_modules_are_used_by_pages():
    """ui/ holds only what pages share: every ui module (but the package and string tables) is imported by a page
    or by another ui module, and the job panel is the one place that starts a core.jobs.Job."""
    imported = set()
    for path in [ROOT / "Home.py", *(ROOT / "app_pages").rglob("*.py"), *(ROOT / "ui").rglob("*.py")]:
        imported |= _modules(path)
    for module in (ROOT / "ui").glob("*.py"):
        if module.stem != "__init__":
            assert f"ui.{module.stem}" in imported, f"ui/{module.name} is used by no page: move it into its page"
    starters = [p.name for p in [*(ROOT / "app_pages").rglob("*.py"), *(ROOT / "ui").glob("*.py")]
                if "Job(" in p.read_text(encoding="utf-8") and p.name != "jobs.py"]
    assert starters == [], f"{starters} start a Job themselves: use ui.jobs.job_panel"


def test_home_and_shared_ui_import_nothing_heavy():
    """Importing Home's modules must not pull torch & co: the Home page has to open fast."""
    code = ("import sys; import ui.i18n, ui.resources, ui.widgets, ui.state, ui.course, ui.jobs, ui.llm, "
            "core.assets, core.catalog, core.config, core.jobs; "
            "heavy=[m for m in %r if m in sys.modules]; print(','.join(heavy))" % (HEAVY,))
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_no_legacy_pages_folder():
    """A folder named pages/ switches Streamlit into v1 multipage mode, which bypasses the Home.py router on
    fragment reruns (no language switch, no layout). Pages live in app_pages/."""
    assert not (ROOT / "pages").exists()


def test_home_first_paint_imports_nothing_heavy():
    """Rendering Home (not only importing its modules) must not pull torch & co: that was +1.4 s per open."""
    code = ("import sys; from streamlit.testing.v1 import AppTest; at = AppTest.from_file('Home.py', "
            "default_timeout=120); at.run(); assert not at.exception; "
            "print(','.join(m for m in %r if m in sys.modules))" % (HEAVY,))
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1:] in ([], [""])
