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


def run_job(at: AppTest, button: str, job_key: str, timeout: float = 300):
    """Click a page's start button, wait for its background job and rerun: the finished page, with no exception
    on it and no error in the job."""
    at.button(key=button).click().run()
    job = at.session_state[job_key]
    assert job.wait(timeout), f"{job_key} did not finish in {timeout} s"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert job.error is None, job.error
    return job


def figures(at: AppTest) -> list[dict]:
    """Every plotly chart on the page as the figure dict the browser receives."""
    import json

    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def array(value):
    """A plotly data array: a plain list, or the base64 typed array plotly 6 writes for numpy data."""
    import base64

    import numpy as np

    if isinstance(value, dict) and "bdata" in value:
        arr = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        shape = value.get("shape")
        return arr.reshape([int(s) for s in str(shape).split(",")]) if shape else arr
    return np.asarray(value)
