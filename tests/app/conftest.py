from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def open_page():
    """AppTest on the real router, switched to one page: what a student sees after clicking it in the menu."""

    def _open(path: str, timeout: float = 300) -> AppTest:  # the first Qwen load converts its GGUF (~50 s)
        at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=timeout)
        at.run()
        if path != "app_pages/home.py":
            at.switch_page(path)
            at.run()
        return at

    return _open
