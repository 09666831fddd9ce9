"""The precision choice reaches the run on the DNN page: bf16 chosen on the page is what fit ran, the choice's
resolution is stated next to it, and the lesson panel puts each precision tried side by side."""
import numpy as np

from core.train import bf16_support, plan_precision
from tests.app.conftest import array, figures, run_job
from ui.strings import KO


def _train(at, precision):
    at.selectbox(key="dnn.precision").set_value(precision).run()
    return run_job(at, "dnn.train", "dnn.job")


def test_dnn_precision_choice_reaches_the_run_and_the_lesson_panel(open_page):
    at = open_page("app_pages/03_dnn.py")
    assert at.selectbox(key="dnn.precision").value == "auto"
    auto = plan_precision("auto")  # an MLP: never channels_last
    _, reason, name = bf16_support("cpu")
    assert any(KO["precision.runs_as"].format(label=auto.label, reason=KO[reason].format(name=name)) in c.value
               for c in at.caption)
    at.selectbox(key="dnn.ds").set_value("digits").run()
    at.slider(key="dnn.subset.digits").set_value(600)
    at.slider(key="dnn.epochs").set_value(1)
    bf16 = _train(at, "bf16")
    assert {m.precision for m in bf16.metrics} == {"bf16"}
    assert at.session_state["dnn.runs"][-1]["spec"].train.precision == "bf16"
    fp32 = _train(at, "fp32")
    assert {m.precision for m in fp32.metrics} == {"fp32"}

    figs = {f["layout"]["title"]["text"]: f["data"][0] for f in figures(at) if f["layout"].get("title")}
    acc = figs[KO["precision.val_acc"]]
    assert list(acc["x"]) == ["mlp · bf16", "mlp · fp32"]
    last = [[m for m in job.metrics if m.kind == "epoch"][-1] for job in (bf16, fp32)]
    np.testing.assert_allclose(array(acc["y"]), [m.val_acc for m in last])
    np.testing.assert_allclose(array(figs[KO["precision.ms_step"]]["y"]), [1000 * m.elapsed / m.step for m in last])
    assert any(KO["precision.why_range"] in c.value for c in at.caption)
