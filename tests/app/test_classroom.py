"""The classroom tools: instructor replays of shipped runs (no training), lesson links that preset and hide
widgets, the per-session reset, and light mode (small defaults, one heavy job at a time per process)."""
import json

import pytest
import torch
from streamlit.testing.v1 import AppTest

from tests.app.conftest import run_job
from ui import classroom
from ui.strings import KO

ROOT = classroom.RUNS_DIR.parent.parent


@pytest.fixture(autouse=True)
def instant_replay(monkeypatch):
    monkeypatch.setattr(classroom, "REPLAY_SECONDS", 0.0)


@pytest.fixture
def no_training(monkeypatch):
    """Any training during a replay fails the test."""
    import core.train
    import ui.vision

    def refuse(*args, **kwargs):
        raise AssertionError("a replay must not train")

    for target in (core.train, ui.vision):
        monkeypatch.setattr(target, "fit", refuse)
    monkeypatch.setattr("core.vision.setup", refuse)
    monkeypatch.setattr("core.linreg.fit", refuse)


def _replayed(open_page, path: str, job_key: str):
    """The page in instructor mode after its replay button was pressed and the replay has finished."""
    at = open_page(path)
    at.sidebar.toggle(key=classroom.TEACH_KEY).set_value(True).run()
    return at, run_job(at, f"{job_key}.replay", job_key, 30)


def _teach(at: AppTest) -> AppTest:
    at.query_params["mode"] = "teach"
    return at


def test_dnn_replay_restores_the_shipped_run_without_training(open_page, no_training):
    at = open_page("app_pages/03_dnn.py")
    assert "dnn.job.replay" not in [b.key for b in at.button]  # not a student's button
    at.sidebar.toggle(key=classroom.TEACH_KEY).set_value(True).run()
    job = run_job(at, "dnn.job.replay", "dnn.job", 30)
    record = json.loads((classroom.RUNS_DIR / "dnn.json").read_text())
    assert [m.loss for m in job.metrics] == [m["loss"] for m in record["metrics"]]
    shipped = torch.load(classroom.RUNS_DIR / "dnn.pt", weights_only=True)["state_dict"]
    model = at.session_state["dnn.run"].model
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in shipped.items())
    assert not at.exception
    shown = [m.value for m in at.metric]
    assert f"{record['analysis']['test_acc']:.3f}" in shown  # the results section of a finished run
    assert len(at.get("plotly_chart")) >= 4  # live curves + confusion matrix + per-class + top-3
    assert at.session_state["dnn.runs"][-1]["final"]["test_acc"] == record["final"]["test_acc"]


def test_linreg_replay_via_url_mode(open_page, no_training):
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=120)
    _teach(at).run()
    at.switch_page("app_pages/02_pytorch_basics.py").run()
    job = run_job(at, "basics.job.replay", "basics.job", 30)
    record = json.loads((classroom.RUNS_DIR / "linreg.json").read_text())
    assert len(job.metrics) == record["epochs"] and job.metrics[-1].w == record["steps"][-1]["w"]
    assert any(f"{record['steps'][-1]['w']:.4f}" in s.value for s in at.success)


def test_lesson_link_opens_the_page_with_the_preset_and_hides_controls():
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=120)
    at.query_params.update(page="dnn", preset="overfit", hide="optimizer,seed", epochs="12", mode="teach")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert f"🧠 {KO['page.dnn']}" in [x.value for x in at.title]  # switched from Home to the DNN page
    assert at.slider(key="dnn.subset.fashion_mnist").value == 300
    assert at.text_input(key="dnn.hidden").value == "512,256"
    assert at.slider(key="dnn.epochs").value == 12  # a single setting beats the preset's 20
    assert at.selectbox(key="dnn.opt").value == "adam"
    css = " ".join(h.proto.body for h in at.get("html"))
    assert ".st-key-dnn-opt" in css and ".st-key-dnn-seed" in css and "display:none" in css
    assert ".st-key-dnn-lr" not in css
    # the preset is applied once: the student's later change sticks
    at.slider(key="dnn.epochs").set_value(4).run()
    assert at.slider(key="dnn.epochs").value == 4
    # instructor mode builds the link back from the page's current settings
    link = " ".join(c.value for c in at.sidebar.code)
    assert "page=dnn" in link and "epochs=4" in link and "subset=300" in link


def test_lesson_values_decode_types():
    values = classroom.lesson_values("dnn", {"page": "dnn", "augment": "flip,crop", "hidden": "64",
                                            "batchnorm": "true", "lr": "0.003", "unknown": "1"})
    assert values == {"dnn.aug": ["flip", "crop"], "dnn.hidden": "64", "dnn.bn": True, "dnn.lr": 0.003}
    assert classroom.widget_class("dnn.subset.fashion_mnist") == "st-key-dnn-subset-fashion_mnist"


def test_reset_clears_only_this_sessions_keys(open_page):
    mine, other = open_page("app_pages/home.py"), open_page("app_pages/home.py")
    for at in (mine, other):
        at.session_state["chat.messages"] = [{"role": "user", "content": "hi"}]
        at.session_state["search.index"] = "my-collection"
        at.radio(key="app.lang").set_value("en").run()
    mine.sidebar.toggle(key=classroom.TEACH_KEY).set_value(True).run()
    mine.sidebar.button(key="class.reset").click().run()
    assert "chat.messages" in mine.session_state  # nothing happens before the confirmation
    mine.sidebar.button(key="class.reset_yes").click().run()
    assert "chat.messages" not in mine.session_state and "search.index" not in mine.session_state
    assert mine.session_state["app.lang"] == "en" and mine.session_state[classroom.TEACH_KEY]
    assert other.session_state["chat.messages"][0]["content"] == "hi" and "search.index" in other.session_state


def test_reset_stops_this_sessions_running_job():
    import threading

    from core.jobs import Job

    gate = threading.Event()
    job = Job(lambda stop: iter(lambda: gate.wait(0.05) or stop.is_set() and gate.set(), True)).start()
    state = {"app.lang": "ko", "lr.job": job, "rag.chunks": [1, 2]}
    assert sorted(classroom.reset_session(state)) == ["lr.job", "rag.chunks"]
    assert job.wait(5) and state == {"app.lang": "ko"}


@pytest.fixture
def light(monkeypatch):
    from ui.resources import settings

    monkeypatch.setenv("COURSE_LIGHT", "1")
    settings.clear()
    yield
    monkeypatch.delenv("COURSE_LIGHT")
    settings.clear()


def test_light_mode_smaller_defaults(open_page, light):
    at = open_page("app_pages/03_dnn.py")
    assert at.slider(key="dnn.subset.fashion_mnist").value == 2000 and at.slider(key="dnn.epochs").value == 2
    from ui.llm import default_provider
    from ui.resources import settings

    # CTranslate2 int8 holds the 0.5B model in ~600 MB; the torch engine (fp32, ~2.4 GB) takes the small one
    assert default_provider("chat") == "qwen2.5-0.5b" and settings().llm_engine == "ctranslate2"
    assert default_provider("agent") == "smollm2-135m"  # its constrained decoding runs the torch model
    import os

    os.environ["COURSE_LLM_ENGINE"] = "torch"
    settings.clear()
    try:
        assert default_provider() == "smollm2-135m"
    finally:
        del os.environ["COURSE_LLM_ENGINE"]
        settings.clear()


def test_light_mode_gives_a_page_that_reads_the_torch_model_one_engine(light):
    """The agent reads the torch model (constrained decoding): in light mode it generates with it too, instead of
    holding an int8 engine of the same model beside it; other pages keep CTranslate2."""
    from core.llm.base import complete
    from core.llm.ct2 import CT2Provider
    from core.llm.local import LocalProvider
    from ui.llm import engine

    agent, chat = engine("smollm2-135m", "agent"), engine("smollm2-135m", "chat")
    assert isinstance(agent, LocalProvider) and isinstance(chat, CT2Provider)
    assert complete(agent, [{"role": "user", "content": "Name a colour."}], temperature=0, max_tokens=6).strip()


def test_light_mode_runs_one_heavy_job_per_process(open_page, light):
    first, second = open_page("app_pages/02_pytorch_basics.py"), open_page("app_pages/02_pytorch_basics.py")
    for at in (first, second):
        at.slider(key="lr.epochs").set_value(1000)
        at.slider(key="lr.delay").set_value(0.1)
    first.button(key="lr.train").click().run()
    second.button(key="lr.train").click().run()
    a, b = first.session_state["basics.job"], second.session_state["basics.job"]
    assert a.running and b.running
    import time

    time.sleep(1.0)
    assert a.metrics and not b.metrics  # the second session queues instead of training beside the first
    assert any(KO["class.queued"] in i.value for i in second.info)
    first.button(key="basics.job.stop").click().run()
    assert a.wait(30)
    deadline = time.time() + 30
    while not b.metrics and time.time() < deadline:
        time.sleep(0.1)
    assert b.metrics  # it starts by itself once the slot is free
    b.stop.set()
    assert b.wait(30)


def test_normal_mode_queues_heavy_jobs_beyond_one_per_core(open_page, monkeypatch):
    import threading
    import time

    import ui.jobs

    monkeypatch.setitem(ui.jobs._SLOTS, False, threading.Semaphore(2))  # a 2-core server, whatever runs the test
    pages = [open_page("app_pages/02_pytorch_basics.py") for _ in range(3)]
    for at in pages:
        at.slider(key="lr.epochs").set_value(1000)
        at.slider(key="lr.delay").set_value(0.1)
        at.button(key="lr.train").click().run()
    jobs = [at.session_state["basics.job"] for at in pages]
    time.sleep(1.0)
    assert [bool(j.metrics) for j in jobs] == [True, True, False] and ui.jobs._RUNNING[0] == 2
    assert any(KO["class.queued"] in i.value for i in pages[2].info)
    jobs[0].stop.set()
    deadline = time.time() + 30
    while not jobs[2].metrics and time.time() < deadline:
        time.sleep(0.1)
    assert jobs[2].metrics  # the queued one starts once a slot is free
    for j in jobs:
        j.stop.set()
        assert j.wait(30)
    assert ui.jobs._RUNNING[0] == 0


@pytest.mark.parametrize("kind", ["dnn", "cnn"])
def test_shipped_vision_runs_reproduce_their_figures(kind):
    """The weights in assets/runs/ really are the run its curves and confusion matrix describe."""
    from core import vision
    from core.assets import Registry
    from core.config import Settings
    from core.data import fashion_mnist
    from ui.vision import shipped_spec

    record, folder = classroom.load_run(kind)
    saved = torch.load(folder / f"{kind}.pt", weights_only=True)
    spec = shipped_spec(record["spec"])
    data = fashion_mnist(Registry(Settings.load().cache_dir).path("fashion_mnist").parent.parent, False)
    model = vision.build_model(spec.model, data.shape, len(data.classes))
    model.load_state_dict(saved["state_dict"])
    a = vision.analyse(model, data.x_test, data.y_test, len(data.classes))
    assert a.test_acc == pytest.approx(record["analysis"]["test_acc"], abs=1e-6) and a.test_acc > 0.6  # chance 0.1
    assert a.confusion == record["analysis"]["confusion"]
    assert torch.equal(a.preds, saved["preds"].long())
    assert len([m for m in record["metrics"] if m["kind"] == "epoch"]) == spec.train.epochs


def test_sequence_replay_draws_the_shipped_curves(open_page, no_training):
    at, job = _replayed(open_page, "app_pages/05_sequence.py", "seq.job")
    record = json.loads((classroom.RUNS_DIR / "sequence.json").read_text())
    assert [(c, m.val_acc) for c, m in job.metrics] == [(c, m["val_acc"]) for c, m in record["metrics"]]
    assert any(f"{record['baseline']['val_acc']:.3f}" in c.value for c in at.caption)  # the TF-IDF line's summary
    assert not at.exception


def test_lora_replay_draws_the_shipped_curves_and_answers(open_page, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a replay must not train")

    monkeypatch.setattr("core.lora.train", refuse)
    at, job = _replayed(open_page, "app_pages/07_lora.py", "lora.job")
    record = json.loads((classroom.RUNS_DIR / "lora.json").read_text())
    assert [m.loss for m in job.metrics] == [m["loss"] for m in record["metrics"]]
    shown = [x.value for x in at.text]
    for _, before, after in record["comparison"]:  # the shipped before/after answers, side by side
        assert before in shown and after in shown
    assert not at.exception
