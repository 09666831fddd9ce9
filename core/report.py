"""A run as a self-contained HTML report for a final-project presentation: curves, final metrics, settings,
versions and the exact script, in one file that opens offline (plotly.js is embedded, no CDN)."""
from __future__ import annotations

import html
import json

from core.runs import Run


def _figures(run: Run) -> list:
    """One line chart per numeric metric in the run's history (loss and accuracy curves, ...)."""
    import plotly.graph_objects as go

    figs = []
    metrics: list[str] = []
    for row in run.history:
        for k, v in row.items():
            if k not in ("epoch", "step") and isinstance(v, (int, float)) and k not in metrics:
                metrics.append(k)
    for metric in metrics:
        pts = [(row.get("epoch", row.get("step", i + 1)), row[metric]) for i, row in enumerate(run.history)
               if isinstance(row.get(metric), (int, float))]
        fig = go.Figure(go.Scatter(x=[p[0] for p in pts], y=[p[1] for p in pts], mode="lines+markers", name=metric))
        fig.update_layout(title=metric, height=320, margin=dict(l=40, r=10, t=40, b=30))
        figs.append(fig)
    return figs


def _table(d: dict) -> str:
    rows = "".join(f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(_fmt(v))}</td></tr>" for k, v in d.items())
    return f"<table>{rows}</table>" if rows else "<p>—</p>"


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, (dict, list, tuple)):
        return json.dumps(v, ensure_ascii=False, default=str)
    return str(v)


def run_html(run: Run, title: str, script: str | None = None, note: str = "") -> str:
    """The whole report as one HTML string. Every value from the run is escaped: a run file is user data."""
    import plotly.io as pio

    figs = _figures(run)
    charts = "".join(pio.to_html(fig, full_html=False, include_plotlyjs=(i == 0), config={"displaylogo": False})
                     for i, fig in enumerate(figs))
    code = (f"<h2>Script</h2><pre><code>{html.escape(script)}</code></pre>" if script else "")
    meta = {"page": run.page, "created": run.created, "seed": run.seed, "duration_s": run.duration_s,
            "data_hash": run.data_hash}
    return f"""<!doctype html>
<html lang="ko"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:"Noto Sans CJK KR",system-ui,sans-serif;max-width:1000px;margin:2em auto;padding:0 1em}}
table{{border-collapse:collapse;margin:.5em 0}}th,td{{border:1px solid #ddd;padding:4px 8px;text-align:left}}
th{{background:#f6f6f6}}pre{{background:#f6f8fa;padding:1em;overflow:auto}}</style></head><body>
<h1>{html.escape(title)}</h1><p>{html.escape(note)}</p>
<h2>Run</h2>{_table(meta)}
<h2>Final metrics</h2>{_table(run.final)}
<h2>Curves</h2>{charts or "<p>—</p>"}
<h2>Settings</h2>{_table(run.settings)}
<h2>Library versions</h2>{_table(run.versions)}
{code}
</body></html>"""
