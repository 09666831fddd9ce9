"""Issue #31, rows 6–9 and the last raw tracebacks: each input, given to its page as a student would (AppTest on the
real router), ends in its specific translated message, and the page goes on. (No write sandbox here: the pages
write their runs and caches where the app keeps them.) Also: a parsed image zip is not
parsed again on a rerun, and the job panel turns any exception into a translated message with details."""
import io
import zipfile
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.hostile.conftest import bounded
from ui.strings import KO

ROOT = Path(__file__).resolve().parents[2]
EDA, BASICS, DNN = "app_pages/01_eda.py", "app_pages/02_pytorch_basics.py", "app_pages/03_dnn.py"


def _open(path: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=120)
    at.run()
    at.switch_page(path)
    at.run()
    return at


def _no_traceback(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def _prefix(key: str) -> str:
    """The fixed start of a message (before its first parameter)."""
    return KO[key].split("{")[0]


def _shown(at: AppTest, kind: str = "error") -> list[str]:
    return [e.value for e in getattr(at, kind)]


# ---- rows 6 and 7: the EDA page ------------------------------------------------------------------------------------
def _eda_upload(at: AppTest, csv: bytes) -> AppTest:
    at.selectbox(key="eda.table").set_value("upload").run()
    return at.file_uploader(key="eda.file").set_value(("mine.csv", csv, "text/csv")).run()


def test_row6_text_only_csv_describe_is_explained():
    names = ["kim", "lee", "park", "choi"]
    csv = ("name,city\n" + "".join(f"{n},{c}\n" for n, c in zip(names * 5, ["seoul", "busan"] * 10))).encode()
    at = _eda_upload(_open(EDA), csv)
    _no_traceback(at)
    assert KO["eda.text_only"] in _shown(at, "info")
    assert any("df.describe()" in c.value for c in at.code)  # the describe step still ran and showed its code


def test_row7_inf_in_a_numeric_column_is_named_and_left_out():
    rows = "".join(f"{i},{i * 2}\n" for i in range(30))
    at = _eda_upload(_open(EDA), ("height,weight\n" + rows + "inf,3\n-inf,4\n").encode())
    _no_traceback(at)
    warned = [w for w in _shown(at, "warning") if w.startswith(_prefix("eda.not_finite"))]
    assert warned and "'height'" in warned[0] and "2" in warned[0]
    assert len(at.get("image")) == 1  # the distribution figure was drawn from the finite values
    codes = " ".join(c.value for c in at.code)
    assert "replace([np.inf, -np.inf], np.nan)" in codes  # the student's copy of the snippet runs too


# ---- row 8: linear regression on a CSV with inf or 1e39 -----------------------------------------------------------
@pytest.mark.parametrize("bad", ["inf", "1e39"])
def test_row8_non_finite_csv_values_are_refused_naming_the_column(bad):
    at = _open(BASICS)
    at.radio(key="lr.mode").set_value("csv").run()
    csv = ("x,y\n" + "".join(f"{i},{2 * i + 1}\n" for i in range(20)) + f"{bad},5\n").encode()
    at.file_uploader(key="lr.csv").set_value(("pairs.csv", csv, "text/csv")).run()
    _no_traceback(at)
    refused = [e for e in _shown(at) if e.startswith(_prefix("lr.not_finite"))]
    assert refused and "'x'" in refused[0], _shown(at)  # said at the data step, before any training
    assert "lr.train" not in [b.key for b in at.button]


# ---- the job panel: any other exception ---------------------------------------------------------------------------
def test_an_unexpected_error_in_start_is_translated_with_details(monkeypatch):
    from core import linreg

    def broken(x, y):
        raise RuntimeError("a failure no check foresaw")

    monkeypatch.setattr(linreg, "closed_form", broken)
    at = _open(BASICS)
    at.button(key="lr.train").click().run()
    _no_traceback(at)
    assert KO["jobs.failed"].format(kind="RuntimeError") in _shown(at)
    assert any(e.label == KO["jobs.details"] for e in at.expander)
    assert any("a failure no check foresaw" in c.value for c in at.code)  # the details, folded away
    at.radio(key="lr.mode").set_value("csv").run()  # the page (and the app) go on
    _no_traceback(at)


def test_an_unexpected_error_in_the_work_is_translated_with_details(monkeypatch):
    from core import linreg

    real = linreg.fit

    def failing(*args, **kwargs):
        yield next(real(*args, **kwargs))
        raise ZeroDivisionError("half way")

    monkeypatch.setattr(linreg, "fit", failing)
    at = _open(BASICS)
    at.button(key="lr.train").click().run()
    job = at.session_state["basics.job"]
    assert job.wait(30)
    at.run()
    _no_traceback(at)
    assert KO["jobs.failed"].format(kind="ZeroDivisionError") in _shown(at)
    assert any(e.label == KO["jobs.details"] for e in at.expander)


# ---- row 9 and the cache: image zips on the DNN page --------------------------------------------------------------
def _png(rgb) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (16, 16), rgb).save(buf, "PNG")
    return buf.getvalue()


def _zip(per_class: int) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, rgb in (("red", (200, 30, 30)), ("blue", (30, 30, 200))):
            for i in range(per_class[name] if isinstance(per_class, dict) else per_class):
                z.writestr(f"{name}/{i}.png", _png(rgb))
    return buf.getvalue()


def _dnn_upload(at: AppTest, data: bytes) -> AppTest:
    at.selectbox(key="dnn.ds").set_value("upload").run()
    return at.file_uploader(key="dnn.zip").set_value(("mine.zip", data, "application/zip")).run()


def test_row9_augmentation_preview_with_fewer_than_four_training_images():
    at = _dnn_upload(_open(DNN), _zip({"red": 3, "blue": 2}))  # 5 images: 2 for the test set, 3 to train on
    _no_traceback(at)
    at.multiselect(key="dnn.aug").set_value(["flip"]).run()
    at.toggle(key="dnn.preview").set_value(True).run()
    _no_traceback(at)
    assert at.get("image")  # the preview drew the three originals and their augmented copies


def test_row9_too_few_images_for_the_split_is_explained():
    at = _dnn_upload(_open(DNN), _zip(1))  # two images: both would go to the test set
    _no_traceback(at)
    refused = [e for e in _shown(at) if e.startswith(_prefix("data.zip_too_few"))]
    assert refused, _shown(at)
    assert "dnn.train" not in [b.key for b in at.button]  # nothing to train on: the page stops at the data step


def test_a_parsed_zip_is_not_parsed_again_on_rerun(monkeypatch):
    from core import data as DATA

    calls = []
    real = DATA.image_zip
    monkeypatch.setattr(DATA, "image_zip", lambda *a, **k: calls.append(1) or real(*a, **k))
    at = _dnn_upload(_open(DNN), _zip(6))
    _no_traceback(at)
    at.slider(key="dnn.val").set_value(0.2).run()  # any rerun
    at.run()
    assert len(calls) == 1
    at.select_slider(key="dnn.size").set_value(28).run()  # another setting: another parse
    assert len(calls) == 2


def test_a_refused_zip_is_not_worked_on_again_on_rerun(monkeypatch):
    from core import data as DATA
    from core import uploads

    monkeypatch.setattr(uploads, "IMAGE_ZIP_PIXELS", 16 * 16 * 5)  # the zip's 12 images are over this budget
    calls = []
    real = DATA.image_zip
    monkeypatch.setattr(DATA, "image_zip", lambda *a, **k: calls.append(1) or real(*a, **k))
    at = _dnn_upload(_open(DNN), _zip(6))
    _no_traceback(at)
    assert any(e.startswith(_prefix("data.zip_pixels")) for e in _shown(at)), _shown(at)
    with bounded(30):
        at.run()
    assert len(calls) == 1 and any(e.startswith(_prefix("data.zip_pixels")) for e in _shown(at))
