"""Metrics, quantization and the server as a real process."""

from core import data as D
from core import evaluate as E
from core import vision as V
from core.llm.remote import OpenAICompatible
from core.train import TrainConfig, fit


def test_threshold_trades_precision_for_recall_on_real_errors():
    y, p, texts = E.sentiment_baseline()
    assert len(y) >= 200 and len(texts) == len(y)
    high_th = sorted(p)[-20]  # keeps the 20 most confident positives
    low, mid, high = (E.at_threshold(y, p, th) for th in (0.0, 0.5, high_th))
    assert low.recall == 1.0 and low.precision == sum(y) / len(y)
    assert high.confusion[1][1] + high.confusion[0][1] == 20  # 20 predicted positive
    assert high.precision >= mid.precision and high.recall < mid.recall
    # out-of-distribution sentences: clearly better than chance, and clearly not perfect, so errors are there
    assert 0.7 < mid.accuracy < 0.97 and sum(map(sum, mid.confusion)) == len(y)
    assert mid.confusion[0][1] >= 3 and mid.confusion[1][0] >= 3
    assert 0.8 < E.roc(y, p)[2] < 0.995


def test_rare_class_case_pulls_precision_and_recall_apart():
    y, p, _ = E.sentiment_baseline("rare_positive")
    assert 0.05 <= sum(y) / len(y) <= 0.15
    balanced = E.at_threshold(*E.sentiment_baseline()[:2], 0.5)
    rare = E.at_threshold(y, p, 0.5)
    assert rare.accuracy > rare.precision + 0.2  # accuracy looks fine, a predicted positive is often wrong
    assert rare.precision < balanced.precision - 0.2
    strict = E.at_threshold(y, p, 0.8)
    assert strict.precision > rare.precision and strict.recall <= rare.recall


def test_dynamic_quantization_shrinks_and_agrees():
    digits = D.digits()
    spec = V.RunSpec("digits", 1400, 0.1, 64, (), V.ModelSpec("mlp", (256, 128)), TrainConfig(epochs=3))
    model, tl, vl, _ = V.setup(spec, digits)
    for _ in fit(model, tl, vl, spec.train):
        pass
    rows, agreement = E.quantize_compare(model, digits.x_test, digits.y_test, repeats=3)
    assert rows[0].size_kb > 3 * rows[1].size_kb and agreement > 0.95
    assert abs(rows[0].accuracy - rows[1].accuracy) < 0.03


def test_server_process_answers_openai_client_and_stops():
    proc, url = E.start_server("smollm2-135m")
    try:
        provider = OpenAICompatible(None, "course-local", base_url=url + "/v1", name="compat")
        assert "".join(provider.stream([{"role": "user", "content": "Hi"}], temperature=0, max_tokens=8)).strip()
    finally:
        E.stop_server(proc)
    assert proc.poll() is not None
