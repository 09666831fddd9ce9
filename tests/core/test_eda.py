"""Day 1 EDA: every step's snippet runs, both inside the app and standalone, and matches plain pandas/NumPy."""
import os
import warnings

import numpy as np
import pytest

from core import eda
from core.errors import UserError


@pytest.fixture(scope="module")
def iris():
    return eda.load_table("iris")


def test_sklearn_tables_load_with_their_target():
    for name, rows in (("iris", 150), ("wine", 178), ("breast_cancer", 569), ("diabetes", 442)):
        table = eda.load_table(name)
        assert len(table.df) == rows and table.target == "target" in table.df.columns


def test_each_step_gives_the_result_plain_pandas_gives(iris):
    df = iris.df
    results = {step: eda.run_step(eda.step_code(step, iris, column="petal length (cm)"), iris)
               for step in eda.STEPS}
    for step, ns in results.items():
        assert eda.RESULT[step] in ns, step
    assert results["describe"]["stats"].equals(df.describe().T)
    assert results["fields"]["fields"]["missing"].sum() == 0
    corr = results["correlation"]["corr"].to_numpy()
    assert np.allclose(corr, np.corrcoef(df.select_dtypes("number").to_numpy().T))
    sepal = eda.run_step(eda.step_code("outliers", iris, column="sepal width (cm)"), iris)["outliers"]
    low, high = eda.iqr_bounds(df["sepal width (cm)"].to_numpy())
    expected = df[(df["sepal width (cm)"] < low) | (df["sepal width (cm)"] > high)]
    assert len(sepal) == len(expected) == 4  # iris sepal width has 4 points outside Tukey's fences


def test_snippet_runs_standalone_like_in_colab(iris):
    code = iris.load_code + eda.step_code("describe", iris)
    ns: dict = {}
    exec(code, ns)
    assert ns["stats"].equals(iris.df.describe().T)


def test_reviews_and_fashion_pixel_tables():
    reviews = eda.load_table("reviews")
    assert {"text", "label", "length", "words"} <= set(reviews.df.columns)
    assert (reviews.df["length"] == reviews.df["text"].str.len()).all()
    pixels = eda.load_table("fashion_pixels")
    assert len(pixels.df) == eda.FASHION_ROWS and pixels.df["label"].nunique() == 10
    means = pixels.df.groupby("label")["ink"].mean()
    assert means["Trouser"] < means["Pullover"]  # a real property of the data: trousers are thin


def test_korean_title_renders_with_a_hangul_font(iris, tmp_path):
    font = eda.korean_font()
    assert font is not None, "install fonts-noto-cjk (make setup does)"
    ns = eda.run_step(eda.step_code("distribution", iris, column="petal width (cm)", font=font), iris)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ns["fig"].savefig(tmp_path / "d.png")
    assert not [w for w in caught if "missing from font" in str(w.message)]
    assert "분포" in ns["fig"].axes[0].get_title()


def test_hostile_column_names_stay_strings(tmp_path):
    import pandas as pd

    marker = tmp_path / "pwned"
    evil = f"x'); open({str(marker)!r}, 'w'); ('"
    table = eda.from_upload(pd.DataFrame({evil: [1.0, 2.0, 3.0, 50.0], "y": [0, 1, 0, 1]}), target="y")
    for step in eda.STEPS:
        eda.run_step(eda.step_code(step, table, column=evil), table)
    assert not marker.exists()
    out = eda.run_step(eda.step_code("outliers", table, column=evil), table)["outliers"]
    assert out[evil].tolist() == [50.0]


def test_upload_limits():
    import pandas as pd

    with pytest.raises(UserError):
        eda.from_upload(pd.DataFrame())
    with pytest.raises(UserError):
        eda.from_upload(pd.DataFrame({"a": [1]}), target="missing")


def test_vectorised_sum_is_faster_and_equal():
    r = eda.loop_vs_vector(300_000, repeat=3)
    assert r["same"] and r["speedup"] > 3  # typically 10-50x; a loose bound survives a busy CI machine
    with pytest.raises(UserError):
        eda.loop_vs_vector(0)


def test_numpy_snippets():
    grid = eda.run_numpy("broadcast")["grid"]
    assert grid.shape == (3, 4) and np.array_equal(grid, np.add.outer(np.arange(3) * 10, np.arange(4)))
    idx = eda.run_numpy("index")
    assert idx["pick"].tolist() == [1, 11] and idx["big"].min() == 7
    assert os.environ.get("HF_HUB_OFFLINE") == "1"
