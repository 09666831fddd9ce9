"""Exported scripts reproduce the page's run for the options the pages offer beyond the defaults: early stopping
(vision) and the student's own data (sentiment). The reference is the page's path through core, run here."""
import re
import subprocess
import sys

import pandas as pd
import pytest

from core import data, text, text_data, vision
from core.text_script import DATA_FILE, data_csv, sentiment_script
from core.train import TrainConfig, fit


def _run(path, cwd):
    out = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, cwd=cwd, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout


def test_vision_script_stops_early_at_the_pages_epoch(tmp_path):
    spec = vision.RunSpec(dataset="digits", subset=800, batch_size=32, model=vision.ModelSpec("mlp", (64,)),
                          train=TrainConfig(epochs=30, lr=0.3, optimizer="sgd", patience=1))
    model, train_loader, val_loader, _ = vision.setup(spec, data.digits())
    epochs = [m for m in fit(model, train_loader, val_loader, spec.train) if m.kind == "epoch"]
    assert len(epochs) < 30 and epochs[-1].stopped  # early stopping really acted in the page's run
    path = tmp_path / "train.py"
    path.write_text(vision.script(spec))
    out = _run(path, tmp_path)
    printed = re.findall(r"epoch (\d+) train_loss (\S+) train_acc \S+ val_loss (\S+)", out)
    assert [int(e) for e, _, _ in printed] == [m.epoch for m in epochs]
    assert [(loss, val) for _, loss, val in printed] == [(f"{m.loss:.6f}", f"{m.val_loss:.6f}") for m in epochs]
    assert f"early stop after epoch {epochs[-1].epoch}" in out


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_sentiment_script_trains_on_the_uploaded_data(tmp_path, precision):
    rows = [("정말 최고예요 또 살게요", "pos"), ("별로예요 실망했어요", "neg"), ("아주 만족합니다", "pos"),
            ("다시는 안 사요", "neg"), ("good value, works great", "pos"), ("broke after a day", "neg")]
    upload = pd.DataFrame([(f"{t} {i}", label) for i in range(20) for t, label in rows], columns=["review", "y"])
    d, _ = text_data.from_dataframe(upload, "review", "y")  # what the page builds from an uploaded CSV
    tok = text.Tokenizer("word")
    toks = [tok(x) for x in d.texts]
    vocab = text.build_vocab(toks, 1, 5000)
    ids = [vocab.encode(x[:32]) or [1] for x in toks]
    train_dl, val_dl, _, _ = text.text_loaders(ids, d.labels, 32, 7)
    model = text.make_rnn("lstm", len(vocab), len(d.classes), 16, 16, seed=7)
    page = [m.loss for m in fit(model, train_dl, val_dl, TrainConfig(epochs=2, lr=3e-3, seed=7, clip_grad=1.0,
                                                                            precision=precision))
            if m.kind == "epoch"]
    (tmp_path / DATA_FILE).write_bytes(data_csv(d.texts, d.labels))
    path = tmp_path / "s.py"
    path.write_text(sentiment_script("word", 1, 5000, 32, "lstm", 16, 16, 1, False, 0.0, 2, 3e-3, 7, DATA_FILE,
                                     precision=precision))
    out = _run(path, tmp_path)
    assert re.findall(r"train_loss (\S+)", out) == [f"{loss:.6f}" for loss in page]


def test_vision_script_in_bf16_reproduces_the_pages_first_epoch(tmp_path):
    # bf16 is emulated on a CPU without native bf16: keep it tiny (digits, one epoch, a small MLP)
    spec = vision.RunSpec(dataset="digits", subset=300, batch_size=32, model=vision.ModelSpec("mlp", (64,)),
                          train=TrainConfig(epochs=1, lr=3e-3, precision="bf16"))
    model, train_loader, val_loader, _ = vision.setup(spec, data.digits())
    page = [m for m in fit(model, train_loader, val_loader, spec.train) if m.kind == "epoch"]
    assert page[0].precision == "bf16"
    code = vision.script(spec)
    assert 'torch.autocast("cpu", dtype=torch.bfloat16)' in code
    path = tmp_path / "train.py"
    path.write_text(code)
    printed = re.findall(r"train_loss (\S+) train_acc \S+ val_loss (\S+)", _run(path, tmp_path))
    assert len(printed) == 1
    # same batches, same bf16 kernels: the same digits (fp32 differs here by ~1e-4, far above the 6 printed)
    assert printed[0] == (f"{page[0].loss:.6f}", f"{page[0].val_loss:.6f}")
    fp32 = vision.RunSpec(**{**spec.__dict__, "train": TrainConfig(epochs=1, lr=3e-3)})
    assert "autocast" not in vision.script(fp32)  # fp32 stays the plain loop
