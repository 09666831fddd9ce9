"""Runs overview: every save function's files are found, described, compared and exported."""
import json

import pytest
import torch

from core import runs as R
from core import vision as V
from core.train import TrainConfig


@pytest.fixture
def runs_dir(tmp_path):
    spec = V.RunSpec(dataset="digits", subset=500, model=V.ModelSpec(arch="lenet"), train=TrainConfig(seed=7))
    hist = [{"epoch": 1, "train_loss": 1.2, "val_acc": 0.61}, {"epoch": 2, "train_loss": 0.7, "val_acc": 0.83}]
    recorder = R.Recorder(tmp_path, "cnn", "lenet-digits", spec.to_dict(), seed=spec.train.seed,
                          data=(torch.ones(3), torch.zeros(3)))
    for row in hist:
        recorder.record(row)
    recorder.save({"test_acc": 0.8})
    R.save_run(tmp_path, "gan", "dcgan-digits", {"g_lr": 2e-4, "arms": ("none", "gan")},
               [{"step": 50, "d_loss": 1.3}, {"step": 100, "d_loss": 1.1}], {"diversity": 2.1}, seed=3,
               duration_s=4.0, data_hash="abc")
    # a vision run saved before runs.py existed: spec/history/final only
    (tmp_path / "20240101-000000-mlp-fashion_mnist.json").write_text(json.dumps(
        {"spec": {"dataset": "fashion_mnist", "model": {"arch": "mlp"}, "train": {"seed": 42}},
         "history": [{"epoch": 1, "val_acc": 0.7}], "final": {"test_acc": 0.69}}))
    (tmp_path / "broken.json").write_text("{not json")
    return tmp_path


def test_collect_finds_every_saved_run(runs_dir):
    runs, bad = R.collect(runs_dir)
    assert bad == ["broken.json"]
    by_page = {r.page: r for r in runs}
    assert set(by_page) == {"cnn", "gan", "vision"}
    cnn = by_page["cnn"]
    assert (cnn.name, cnn.seed, cnn.final) == ("lenet-digits", 7, {"train_loss": 0.7, "val_acc": 0.83,
                                                                   "stopped": False, "test_acc": 0.8})
    assert 0 <= cnn.duration_s < 60 and cnn.data_hash == R.data_hash(torch.ones(3), torch.zeros(3))
    assert cnn.settings["subset"] == 500 and len(cnn.data_hash) == 12
    assert cnn.versions["torch"] == torch.__version__.split("+")[0] or cnn.versions["torch"] == torch.__version__
    old = by_page["vision"]
    assert (old.name, old.seed, old.final["test_acc"], old.data_hash) == ("mlp-fashion_mnist", 42, 0.69, None)
    assert runs[-1] is old  # newest first; the 2024 file is oldest


def test_same_second_runs_do_not_overwrite(tmp_path):
    paths = {R.save_run(tmp_path, "gan", "x", {}, [], {}) for _ in range(3)}
    assert len(paths) == 3 and len(R.collect(tmp_path)[0]) == 3


def test_data_hash_tracks_the_data():
    a = torch.arange(10.0)
    assert R.data_hash(a) == R.data_hash(a.clone())
    assert R.data_hash(a) != R.data_hash(a + 1e-3) and R.data_hash(a) != R.data_hash(a.reshape(2, 5))


def test_table_and_csv_round_trip(runs_dir):
    runs, _ = R.collect(runs_dir)
    frame = R.table(runs)
    assert list(frame.columns[:7]) == R.FIXED_COLUMNS
    assert {"final.test_acc", "settings.train.seed", "settings.model.arch", "versions.torch"} <= set(frame.columns)
    back = R.from_csv(R.to_csv(runs))
    assert back["id"].tolist() == [r.id for r in runs]
    assert back["final.test_acc"].tolist()[:1] == frame["final.test_acc"].tolist()[:1]
    row = back[back["page"] == "gan"].iloc[0]
    assert row["settings.arms"] == "none, gan" and row["seed"] == 3 and row["final.diversity"] == 2.1
    assert R.table([]).columns.tolist() == R.FIXED_COLUMNS


def test_curves_overlay_chosen_runs(runs_dir):
    runs, _ = R.collect(runs_dir)
    assert set(R.metrics_of(runs)) == {"train_loss", "val_acc", "d_loss"}
    acc = R.curves(runs, "val_acc")
    assert len(acc) == 2
    cnn = next(r for r in runs if r.page == "cnn")
    assert acc[cnn.id] == ([1, 2], [0.61, 0.83])
    gan_run = next(r for r in runs if r.page == "gan")
    assert R.curves([gan_run], "d_loss")[gan_run.id] == ([50, 100], [1.3, 1.1])


def test_every_training_page_saves_the_same_record_through_the_recorder(tmp_path):
    """One recorder for every page: the loop's items pass through unchanged, the history keeps the page's rows and
    every run lists with the same fields; final holds each metric's last value (the loss LoRA logged last, not the
    None of a step that only evaluated)."""
    import threading

    from core import gan, linreg, lora
    from core.train import fit

    x, y = linreg.make_data(2.0, 1.0, 0.1, 50, 0)
    stop = threading.Event()
    linreg_rec = R.Recorder(tmp_path, "linreg", "lr0.1", {"lr": 0.1}, seed=0, data=(x, y))
    steps = list(linreg_rec.track(linreg.fit(x, y, 0.1, 5, 0, stop), lambda s: {"epoch": s.epoch, "loss": s.loss}))
    assert len(steps) == 5 and [r["loss"] for r in linreg_rec.history] == [s.loss for s in steps]
    linreg_rec.save(stop_event=stop)

    torch.manual_seed(0)
    xs, ys = torch.randn(64, 4), torch.randint(0, 2, (64,))
    loader = [(xs[i:i + 16], ys[i:i + 16]) for i in range(0, 64, 16)]
    fit_rec = R.Recorder(tmp_path, "sequence", "gru-demo", {"lr": 0.01}, seed=0, data=(xs, ys))
    records = list(fit_rec.track(fit(torch.nn.Linear(4, 2), loader, loader, TrainConfig(epochs=2, lr=0.01)),
                                 R.epoch_row))
    assert len(records) == 10 and [r["epoch"] for r in fit_rec.history] == [1, 2]
    fit_rec.save({"test_acc": 0.5})

    lora_rec = R.Recorder(tmp_path, "lora", "smollm2-r8", {"r": 8}, seed=1, data=(b'{"instruction": "a"}\n',))
    list(lora_rec.track([lora.LoraMetric(1, 2, loss=2.0), lora.LoraMetric(2, 2, eval_loss=1.5),
                         lora.LoraMetric(2, 2, loss=2.0, done=True)], lora.history_row))
    lora_rec.save({"steps": 2})

    gan_rec = R.Recorder(tmp_path, "gan", "dcgan-digits", {"g_lr": 2e-4}, seed=3, data=(xs,))
    list(gan_rec.track([gan.GANStep(step, 2, 1, 1.0 / step, 2.0, 0.6, 0.4, 0.1, diversity=0.3,
                                    samples=torch.zeros(1) if step == 2 else None) for step in (1, 2)],
                       gan.history_row))
    stop.set()
    gan_rec.save(stop_event=stop)
    assert R.Recorder(tmp_path, "gan", "empty", {}).save() is None  # stopped before its first row: no run

    saved = [json.loads(p.read_text()) for p in sorted(tmp_path.glob("*.json"))]
    assert len({tuple(sorted(d)) for d in saved}) == 1  # the same fields for every page
    runs, bad = R.collect(tmp_path)
    by_page = {r.page: r for r in runs}
    assert not bad and set(by_page) == {"linreg", "sequence", "lora", "gan"}
    assert all(len(r.data_hash) == 12 and r.duration_s >= 0 and r.versions["torch"] and r.seed is not None
               for r in runs)
    assert by_page["linreg"].final == {"loss": steps[-1].loss, "stopped": False}
    assert by_page["sequence"].final == {"train_loss": records[-1].loss, "train_acc": records[-1].acc,
                                         "val_loss": records[-1].val_loss, "val_acc": records[-1].val_acc,
                                         "stopped": False, "test_acc": 0.5}
    assert by_page["lora"].final == {"loss": 2.0, "eval_loss": 1.5, "stopped": False, "steps": 2}
    assert by_page["lora"].history == [{"step": 1, "loss": 2.0, "eval_loss": None},
                                       {"step": 2, "loss": None, "eval_loss": 1.5}]
    assert by_page["gan"].history == [{"step": 2, "d_loss": 0.5, "g_loss": 2.0, "d_real": 0.6, "d_fake": 0.4,
                                       "diversity": 0.3}] and by_page["gan"].final["stopped"] is True
    assert set(R.table(runs).columns) >= set(R.FIXED_COLUMNS)


def test_data_hash_reads_texts_and_bytes():
    assert R.data_hash(["가", "b"], [0, 1]) == R.data_hash(["가", "b"], [0, 1]) != R.data_hash(["가", "c"], [0, 1])
    assert R.data_hash(b"x\n") == R.data_hash("x\n") != R.data_hash(b"y\n")
