"""Runs page in AppTest: saved runs appear in the table, can be compared, and export as CSV."""
import pytest

from core import runs
from core.config import Settings
from ui.strings import KO


@pytest.fixture
def two_runs():
    d = Settings.load().runs_dir
    paths = [runs.save_run(d, "apptest", f"probe{i}", {"lr": lr, "epochs": 2},
                           [{"epoch": 1, "val_acc": 0.5 + i / 10}, {"epoch": 2, "val_acc": 0.6 + i / 10}],
                           {"test_acc": 0.6 + i / 10}, seed=i, duration_s=1.0, data_hash="feedbeef0000")
             for i, lr in enumerate((1e-3, 3e-3))]
    yield [p.stem for p in paths]
    for p in paths:
        p.unlink()


def test_runs_table_compare_and_csv(open_page, two_runs):
    at = open_page("app_pages/10_runs.py")
    assert not at.exception, [e.value for e in at.exception]
    at.multiselect(key="runs.pages").set_value(["apptest"]).run()
    frame = at.dataframe[0].value
    assert sorted(frame["id"]) == sorted(two_runs)
    assert set(frame["settings.lr"]) == {1e-3, 3e-3} and set(frame["data_hash"]) == {"feedbeef0000"}
    at.multiselect(key="runs.pick").set_value(two_runs).run()
    at.selectbox(key="runs.metric").set_value("val_acc").run()
    assert not at.exception, [e.value for e in at.exception]
    charts = [c.proto.spec for c in at.get("plotly_chart")]
    assert any(KO["runs.curves"].format(metric="val_acc") in s for s in charts)
    assert any(KO["runs.finals"].format(metric="test_acc") in s for s in charts)
    diff = at.dataframe[1].value
    assert list(diff.columns) == ["settings.lr"]  # only what differs between the two runs
    csv = runs.to_csv(runs.collect(Settings.load().runs_dir)[0])
    assert all(i in csv for i in two_runs)
