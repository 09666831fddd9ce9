"""LoRA page in AppTest: a 2-step run completes, shows the loss chart and is saved for the Runs page."""
import json

from core.config import Settings
from tests.app.conftest import run_job
from ui.strings import KO


def test_two_step_run_completes_and_shows_chart(open_page):
    at = open_page("app_pages/07_lora.py", timeout=300)
    at.slider(key="lora.steps").set_value(2)
    at.select_slider(key="lora.batch").set_value(1)
    at.select_slider(key="lora.maxlen").set_value(64)
    before = set(Settings.load().runs_dir.rglob("*-lora-*.json"))
    job = run_job(at, "lora.start", "lora.job", 240)
    assert job.metrics[-1].done and job.metrics[-1].step == 2
    assert any(KO["lora.chart"] in c.proto.spec for c in at.get("plotly_chart"))
    assert any(KO["lora.finished"].split(" (")[0] in s.value for s in at.success)
    new = set(Settings.load().runs_dir.rglob("*-lora-*.json")) - before
    assert len(new) == 1
    saved = json.loads(next(iter(new)).read_text())
    next(iter(new)).unlink()  # keep the student's runs folder as it was
    logged = [m.loss for m in job.metrics if m.loss is not None]
    assert saved["settings"]["max_steps"] == 2 and saved["settings"]["targets"] == ["q_proj", "v_proj"]
    assert [h["loss"] for h in saved["history"] if h["loss"] is not None] == logged
    assert saved["final"]["loss"] == logged[-1] and saved["final"]["steps"] == 2


def test_light_mode_keeps_the_adapter_not_the_model_and_compare_and_merge_load_it(open_page, monkeypatch):
    """COURSE_LIGHT=1: after training the session holds the adapter on disk, not the model (a small box); Compare
    and Merge load it back for their action."""
    import shutil

    from ui.resources import settings

    monkeypatch.setenv("COURSE_LIGHT", "1")
    settings.clear()
    try:
        at = open_page("app_pages/07_lora.py", timeout=300)
        at.slider(key="lora.steps").set_value(2)
        at.select_slider(key="lora.batch").set_value(1)
        at.select_slider(key="lora.maxlen").set_value(64)
        before = set(Settings.load().runs_dir.rglob("*-lora-*.json"))
        run_job(at, "lora.start", "lora.job", 240)
        for path in set(Settings.load().runs_dir.rglob("*-lora-*.json")) - before:
            path.unlink()
        run, out = at.session_state["lora.run"], at.session_state["lora.outputs"]
        assert run.model is None and (run.adapter_dir / "adapter_config.json").exists()
        at.button(key="lora.compare").click().run()
        assert not at.exception, [e.value for e in at.exception]
        rows = at.session_state["lora.comparison"]
        assert len(rows) >= 2 and all(before and after for _, before, after in rows)
        assert run.model is None  # let go again after the action
        at.button(key="lora.merge").click().run()
        assert not at.exception, [e.value for e in at.exception]
        assert (out["dir"] / "merged" / "config.json").exists() and run.model is None
        assert (run.adapter_dir / "adapter_config.json").exists()  # the adapter survives the merge
        shutil.rmtree(out["dir"])  # keep the student's LoRA folder (and the chat page's list) as it was
    finally:
        settings.clear()
