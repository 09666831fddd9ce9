"""Day 1: an EDA lab — pick a table, walk the course's EDA steps, see each chart with the exact code that drew it."""
import streamlit as st

from core import eda
from core.errors import UserError
from ui.i18n import t
from ui.resources import settings
from ui.widgets import header, metric_columns, show_user_error, tabbed

UPLOAD = "upload"


@st.cache_data(show_spinner=False, max_entries=8)
def _shipped(name: str, fashion_root: str) -> eda.Table:
    return eda.load_table(name, fashion_root=fashion_root)


def _choose_table() -> eda.Table | None:
    """A shipped table, or the student's CSV (UTF-8 or cp949) with a chosen target column."""
    from core.text_data import read_csv_bytes

    c1, c2 = st.columns([2, 3])
    name = c1.selectbox(t("eda.table"), (*eda.TABLES, UPLOAD), format_func=lambda n: t(f"eda.t.{n}"),
                        key="eda.table")
    c2.caption(t(f"eda.about.{name}"))
    try:
        if name != UPLOAD:
            with st.spinner(t("common.running")):
                return _shipped(name, str(settings().cache_dir / "datasets"))
        file = st.file_uploader(t("eda.upload"), type=["csv"], key="eda.file")
        if file is None:
            st.info(t("eda.upload_hint"))
            return None
        df = read_csv_bytes(file.getvalue())
        target = st.selectbox(t("eda.target"), [None, *map(str, df.columns)], key="eda.target",
                              format_func=lambda c: t("eda.no_target") if c is None else c)
        return eda.from_upload(df, target)
    except UserError as exc:
        show_user_error(exc)
        return None


def _code(table: eda.Table, code: str) -> None:
    with st.expander(t("eda.code"), icon="🧾"):
        st.code(table.load_code + "\n" + code, language="python")


def _column(table: eda.Table, key: str) -> str | None:
    numeric = eda.numeric_columns(table.df, exclude=table.target)
    if not numeric:
        st.info(t("eda.no_numeric"))
        return None
    return st.selectbox(t("eda.column"), numeric, key=key)


def _run(table: eda.Table, step: str, column: str | None = None, font: str | None = None):
    code = eda.step_code(step, table, column=column, font=font)
    if column is not None and (n := eda.nonfinite(table.df, column)):
        st.warning(t("eda.not_finite", column=column, n=n), icon="♾️")
    return eda.run_step(code, table), code


def page() -> None:
    header("page.eda")
    st.caption(t("eda.intro"))
    table = _choose_table()
    if table is None:
        return
    df = table.df
    metric_columns([(t("eda.rows"), f"{len(df):,}"), (t("eda.cols"), len(df.columns)),
                    (t("eda.numeric"), len(eda.numeric_columns(df))), (t("eda.target"), table.target or "—")])

    def sample():
        ns, code = _run(table, "sample")
        st.dataframe(ns["sample"])
        _code(table, code)

    def fields():
        ns, code = _run(table, "fields")
        st.dataframe(ns["fields"])
        st.caption(t("eda.fields_hint"))
        _code(table, code)

    def missing():
        ns, code = _run(table, "missing")
        total = int(df.isna().sum().sum())
        (st.success if total == 0 else st.warning)(t("eda.missing_total", n=total))
        st.plotly_chart(ns["fig"], key="eda.missing_fig")
        _code(table, code)

    def describe():
        ns, code = _run(table, "describe")
        stats = ns["stats"]
        if not eda.numeric_columns(df):  # describe() of text columns: count, unique, top, freq (no mean to round)
            st.info(t("eda.text_only"))
        st.dataframe(stats.style.format("{:.3g}", subset=list(stats.select_dtypes("number").columns)))
        _code(table, code)

    def distribution():
        import matplotlib.pyplot as plt

        column = _column(table, "eda.dist_col")
        if column is None:
            return
        ns, code = _run(table, "distribution", column, font=eda.korean_font())
        st.pyplot(ns["fig"])
        plt.close(ns["fig"])
        st.caption(t("eda.dist_hint"))
        _code(table, code)

    def correlation():
        if len(eda.numeric_columns(df)) < 2:
            st.info(t("eda.no_numeric"))
            return
        ns, code = _run(table, "correlation")
        ns["fig"].update_layout(height=520)
        st.plotly_chart(ns["fig"], key="eda.corr_fig")
        st.caption(t("eda.corr_hint"))
        _code(table, code)

    def pairs():
        if len(eda.numeric_columns(df, exclude=table.target)) < 2:
            st.info(t("eda.no_numeric"))
            return
        ns, code = _run(table, "pairs")
        ns["fig"].update_layout(height=600)
        st.plotly_chart(ns["fig"], key="eda.pairs_fig")
        _code(table, code)

    def outliers():
        import plotly.express as px

        column = _column(table, "eda.out_col")
        if column is None:
            return
        ns, code = _run(table, "outliers", column)
        low, high = eda.iqr_bounds(df[column].to_numpy(dtype=float))
        metric_columns([(t("eda.low"), f"{low:.3g}"), (t("eda.high"), f"{high:.3g}"),
                        (t("eda.n_outliers"), len(ns["outliers"]))])
        inf = [float("inf"), float("-inf")]  # left out, as in the snippet (the page said so above)
        fig = px.box(df.assign(**{column: df[column].replace(inf, float("nan"))}), y=column, points="outliers",
                     height=380)
        fig.add_hline(y=low, line_dash="dash")
        fig.add_hline(y=high, line_dash="dash")
        st.plotly_chart(fig, key="eda.out_fig")
        st.dataframe(ns["outliers"].head(50))
        _code(table, code)

    tabbed([("eda.s.sample", sample), ("eda.s.fields", fields), ("eda.s.missing", missing),
            ("eda.s.describe", describe), ("eda.s.distribution", distribution),
            ("eda.s.correlation", correlation), ("eda.s.pairs", pairs), ("eda.s.outliers", outliers),
            ("eda.s.numpy", numpy_corner)])


def numpy_corner() -> None:
    st.caption(t("eda.np_intro"))
    for name in eda.NUMPY_SNIPPETS:
        left, right = st.columns(2)
        left.code(eda.NUMPY_SNIPPETS[name], language="python")
        for var, arr in eda.run_numpy(name).items():
            right.text(f"{var}  shape={arr.shape}\n{arr}")
    st.subheader(t("eda.np_timing"))
    n = st.select_slider(t("eda.np_n"), [10_000, 100_000, 1_000_000, 2_000_000], value=100_000, key="eda.np_n")
    st.code("total = 0.0\nfor v in values:          # Python loop\n    total += v * v\n\n"
            "total = np.sum(x * x)     # vectorised", language="python")
    if st.button(t("eda.np_measure"), key="eda.np_go", icon="⏱️"):
        try:
            r = eda.loop_vs_vector(n)
        except UserError as exc:
            show_user_error(exc)
            return
        metric_columns([(t("eda.np_loop"), f"{r['loop_s'] * 1000:.1f} ms"),
                        (t("eda.np_vector"), f"{r['vector_s'] * 1000:.2f} ms"),
                        (t("eda.np_speedup"), f"{r['speedup']:.0f}×")])
        st.caption(t("eda.np_same") if r["same"] else t("eda.np_differ"))


page()
