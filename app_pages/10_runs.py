"""Day 10: experiment tracking made visible — every training page's runs in one table, compared and exported."""
from __future__ import annotations

import streamlit as st

from core import runs
from ui.i18n import t
from ui.resources import settings
from ui.widgets import header, line_chart, metric_columns


def differing_settings(chosen: list[runs.Run]):
    """Only the settings columns whose values differ between the chosen runs: what changed, at a glance."""
    frame = runs.table(chosen).set_index("id")
    cols = [c for c in frame.columns if c.startswith("settings.") and frame[c].astype(str).nunique() > 1]
    return frame[cols]


def compare(chosen: list[runs.Run]) -> None:
    import plotly.express as px

    metrics = runs.metrics_of(chosen)
    if not metrics:
        st.info(t("runs.no_metric"))
        return
    c1, c2 = st.columns(2)
    metric = c1.selectbox(t("runs.metric"), metrics, key="runs.metric")
    finals = sorted({k for r in chosen for k, v in r.final.items() if isinstance(v, (int, float))})
    final = c2.selectbox(t("runs.final_metric"), finals, key="runs.final") if finals else None
    st.plotly_chart(line_chart(runs.curves(chosen, metric), x_title=t("runs.x"), y_title=metric,
                               title=t("runs.curves", metric=metric)), key="runs.curves")
    if final:
        bars = [(r.id, r.final[final]) for r in chosen if isinstance(r.final.get(final), (int, float))]
        fig = px.bar(x=[b[0] for b in bars], y=[b[1] for b in bars], labels=dict(x="", y=final),
                     title=t("runs.finals", metric=final))
        fig.update_layout(height=300, margin=dict(l=10, r=10, t=40, b=10))
        st.plotly_chart(fig, key="runs.finals")
    diff = differing_settings(chosen)
    st.markdown(f"**{t('runs.diff')}**")
    if diff.empty:
        st.caption(t("runs.same_settings"))
    else:
        st.dataframe(diff, key="runs.diff")


header("page.runs")
st.caption(t("runs.intro"))
runs_dir = settings().runs_dir
st.caption(t("runs.folder", path=runs_dir))
all_runs, bad = runs.collect(runs_dir)
if bad:
    st.warning(t("runs.bad_files", n=len(bad), names=", ".join(bad[:5])))
if not all_runs:
    st.info(t("runs.none"))
    st.stop()
pages = sorted({r.page for r in all_runs})
shown_pages = st.multiselect(t("runs.filter"), pages, pages, key="runs.pages")
shown = [r for r in all_runs if r.page in shown_pages]
metric_columns([(t("runs.count"), len(shown)), (t("runs.pages"), len({r.page for r in shown}))])

st.subheader(t("runs.table"))
st.dataframe(runs.table(shown), hide_index=True, key="runs.table")
st.download_button(t("runs.export"), runs.to_csv(shown), file_name="runs.csv", mime="text/csv", icon="⬇️",
                   help=t("runs.export_help"), key="runs.csv")

st.subheader(t("runs.compare"))
by_id = {r.id: r for r in shown}
picked = st.multiselect(t("runs.pick"), list(by_id), list(by_id)[:3], key="runs.pick")
if picked:
    compare([by_id[i] for i in picked])
