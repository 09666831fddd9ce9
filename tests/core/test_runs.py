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
    V.save_run(tmp_path, spec, hist, {"test_acc": 0.8}, "cnn", 12.5, R.data_hash(torch.ones(3), torch.zeros(3)))
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
    assert (cnn.name, cnn.seed, cnn.duration_s, cnn.final) == ("lenet-digits", 7, 12.5, {"test_acc": 0.8})
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
