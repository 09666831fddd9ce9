"""The HTML report of a run: self-contained (plotly.js inside, no external script), with the run's figures,
settings and script, and every value escaped."""
import re

from core import report, runs


def _run(tmp_path, **kw):
    path = runs.save_run(tmp_path, "dnn", "mlp-digits", {"lr": 0.01, "name": "<script>alert(1)</script>"},
                         [{"epoch": 1, "loss": 1.2, "val_acc": 0.61}, {"epoch": 2, "loss": 0.7, "val_acc": 0.83}],
                         {"test_acc": 0.842}, seed=7, duration_s=3.5, **kw)
    got, bad = runs.collect(tmp_path)
    assert not bad
    return next(r for r in got if r.id == path.stem)


def test_report_has_the_runs_figures_settings_and_script(tmp_path):
    run = _run(tmp_path)
    page = report.run_html(run, "내 발표", script="print('train')\n")
    assert "0.842" in page
    assert page.count('class="plotly-graph-div"') == 2  # loss and val_acc curves
    assert "[0.61,0.83]" in page.replace(" ", "") and "[1.2,0.7]" in page.replace(" ", "")
    assert "print(&#x27;train&#x27;)" in page and "test_acc" in page and "내 발표" in page


def test_report_is_offline_and_escaped(tmp_path):
    page = report.run_html(_run(tmp_path), "t")
    assert not re.search(r"<script[^>]+src=", page)  # no CDN: plotly.js is embedded
    assert "Plotly" in page and len(page) > 1_000_000
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
