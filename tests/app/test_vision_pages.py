"""DNN and CNN pages in AppTest: a one-epoch tiny run updates the chart and shows the confusion matrix."""
import pytest

from ui.strings import KO


@pytest.mark.parametrize("kind,page", [("dnn", "app_pages/03_dnn.py"), ("cnn", "app_pages/04_cnn.py")])
def test_tiny_run_shows_chart_and_confusion_matrix(open_page, kind, page):
    at = open_page(page)
    at.selectbox(key=f"{kind}.ds").set_value("digits").run()
    at.slider(key=f"{kind}.subset.digits").set_value(400)
    at.slider(key=f"{kind}.epochs").set_value(1)
    at.button(key=f"{kind}.train").click().run()
    job = at.session_state[f"{kind}.job"]
    assert job.wait(120)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert job.error is None
    assert [m.epoch for m in job.metrics if m.kind == "epoch"] == [1]
    titles = [c.proto.spec for c in at.get("plotly_chart")]
    assert any(KO["vis.confusion"] in s for s in titles)
    assert any(KO["vis.loss_chart"] in s for s in titles)
    assert at.session_state[f"{kind}.run"].analysis.test_acc > 0.1
    assert len(at.session_state[f"{kind}.runs"]) == 1  # the run is kept for comparison


def test_cifar_offline_explains_and_offers_fashion(open_page):
    at = open_page("app_pages/04_cnn.py")
    at.selectbox(key="cnn.ds").set_value("cifar10").run()
    assert not at.exception
    assert "CIFAR-10" in at.error[0].value and at.info
