"""Day 1 EDA page in AppTest: each step shows its result and the code that made it, for any chosen table."""
PAGE = "app_pages/01_eda.py"


def _metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_iris_walkthrough_shows_every_step(open_page):
    at = open_page(PAGE)
    assert not at.exception, [e.value for e in at.exception]
    assert _metric(at, "행") == "150"
    codes = " ".join(c.value for c in at.code)
    for snippet in ("df.sample(", "df.isna()", "df.describe()", "plt.subplots", ".corr()", "scatter_matrix",
                    "quantile(0.25)", "np.sum(x * x)"):
        assert snippet in codes, snippet
    assert len(at.get("plotly_chart")) >= 4  # missing, correlation, pairs, outliers
    assert len(at.get("image")) == 1  # the matplotlib distribution figure


def test_switching_table_and_column_changes_the_results(open_page):
    at = open_page(PAGE)
    at.selectbox(key="eda.table").set_value("wine").run()
    assert not at.exception
    assert _metric(at, "행") == "178"
    at.selectbox(key="eda.out_col").set_value("magnesium").run()
    assert _metric(at, "이상치 개수") == "4"  # wine magnesium: 4 values above Tukey's upper fence
    assert any("'magnesium'" in c.value for c in at.code)


def test_numpy_timing_measures_both_ways(open_page):
    at = open_page(PAGE)
    at.button(key="eda.np_go").click().run()
    assert not at.exception
    assert _metric(at, "속도 차이").endswith("×")
    assert any("같습니다" in c.value for c in at.caption)
