"""GAN page in AppTest: shipped samples and walk draw at once; a tiny digits run trains, draws and is saved;
the synthetic-data section trains its arms and plots them side by side."""
from tests.app.conftest import run_job
from ui.strings import KO


def _charts(at):
    return [c.proto.spec for c in at.get("plotly_chart")]


def _captions(at):
    return [img.caption for el in at.get("image") for img in el.proto.imgs]


def test_shipped_generator_and_walk_show_images(open_page):
    at = open_page("app_pages/08_gan.py")
    assert not at.exception, [e.value for e in at.exception]
    assert at.radio(key="gan.pre_ds").value == "fashion_mnist" and at.radio(key="gan.ds").value == "digits"
    assert len(_captions(at)) >= 2  # the sample grid and the latent walk
    at.selectbox(key="gan.pre_class").set_value(3).run()
    at.slider(key="gan.walk_steps").set_value(5).run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(KO["gan.kind.conditional"] in c.value for c in at.caption)
    at.radio(key="gan.pre_ds").set_value("digits").run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(_captions(at)) >= 2


def test_tiny_digits_run_trains_draws_and_is_saved(open_page):
    from core.config import Settings

    at = open_page("app_pages/08_gan.py")
    at.slider(key="gan.epochs.digits").set_value(1)
    at.select_slider(key="gan.every").set_value(5)
    at.number_input(key="gan.seed").set_value(4321).run()
    before = set(Settings.load().runs_dir.rglob("*-gan-*.json"))
    job = run_job(at, "gan.train", "gan.job")
    assert job.metrics[-1].step == job.metrics[-1].total_steps == 22  # 1,437 digits // 64
    charts = _charts(at)
    assert any(KO["gan.losses"] in s for s in charts) and any(KO["gan.probs"] in s for s in charts)
    assert KO["gan.grid_at"].format(step=22) in _captions(at)  # the last grid, drawn at the last step
    new = set(Settings.load().runs_dir.rglob("*-gan-*.json")) - before
    assert len(new) == 1
    import json

    saved = json.loads(next(iter(new)).read_text())
    assert saved["seed"] == 4321 and saved["settings"]["dataset"] == "digits" and saved["history"]
    next(iter(new)).unlink()  # keep the student's runs folder as it was


def test_synthetic_section_trains_every_arm(open_page):
    at = open_page("app_pages/08_gan.py")
    at.select_slider(key="syn.n").set_value(100)
    at.select_slider(key="syn.nsyn").set_value(500)
    at.slider(key="syn.epochs").set_value(1).run()
    job = run_job(at, "syn.start", "gan.syn_job")
    assert {s.arm for s in job.metrics} == {"none", "augment", "gan"}
    assert any(KO["syn.chart"].split("(")[0].strip() in s for s in _charts(at))
    assert len(at.metric) == 3 and any(KO["syn.arm.gan"] in m.label for m in at.metric)
    from core.config import Settings

    for path in Settings.load().runs_dir.rglob("*-synthetic-*-100*.json"):
        path.unlink()
