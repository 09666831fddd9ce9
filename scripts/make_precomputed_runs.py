"""Train the runs that instructor mode replays and write them to assets/runs/ (regenerate with this script).

Each run uses the page's default settings and the page's own code path (core.vision.setup + core.train.fit,
core.linreg.fit, core.text + fit), so a replay shows exactly what pressing Start would have shown:
  dnn.json / dnn.pt     MLP on Fashion-MNIST: every StepMetrics, epoch history, test metrics, confusion matrix;
                        weights + test predictions (.pt, loaded with weights_only=True)
  cnn.json / cnn.pt     LeNet-5 on Fashion-MNIST, the same content
  linreg.json           the generated data's parameters and every LinRegStep
  sequence.json         the sentiment page's default (e5 + neural head) curves on the built-in reviews + the
                        TF-IDF baseline (curves only)
  lora.json             SmolLM2-135M LoRA curves and before/after answers (no weights)
and ../embeddings/sentiment-e5.npz: the built-in reviews' e5 vectors (float16), so the sentiment default trains at once.

    python scripts/make_precomputed_runs.py [dnn cnn linreg sequence lora e5]
"""
from __future__ import annotations

import json
import sys
import threading
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "assets" / "runs"


def _write(name: str, record: dict) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{name}.json").write_text(json.dumps(record, ensure_ascii=False, indent=0), encoding="utf-8")
    print(f"wrote {OUT / name}.json")


def vision_run(kind: str, mspec, epochs: int) -> None:
    import torch

    from core import vision
    from core.assets import Registry
    from core.config import Settings
    from core.data import fashion_mnist
    from core.train import TrainConfig, fit

    settings = Settings.load()
    data = fashion_mnist(Registry(settings.cache_dir).path("fashion_mnist").parent.parent, False)
    spec = vision.RunSpec("fashion_mnist", 6000, 0.1, 64, (), mspec, TrainConfig(epochs=epochs, seed=42))
    model, train_loader, val_loader, eval_tf = vision.setup(spec, data)
    metrics = list(fit(model, train_loader, val_loader, spec.train, threading.Event()))
    history = [{"epoch": m.epoch, "train_loss": m.loss, "train_acc": m.acc, "val_loss": m.val_loss,
                "val_acc": m.val_acc} for m in metrics if m.kind == "epoch"]
    a = vision.analyse(model, data.x_test, data.y_test, len(data.classes), eval_tf)
    _write(kind, {"spec": spec.to_dict(), "metrics": [asdict(m) for m in metrics], "history": history,
                  "final": {"test_acc": a.test_acc, "test_loss": a.test_loss},
                  "analysis": {"test_loss": a.test_loss, "test_acc": a.test_acc, "confusion": a.confusion,
                               "per_class": a.per_class}})
    # probabilities in fp16 and labels in uint8 keep the file small; the page restores the dtypes
    torch.save({"state_dict": model.state_dict(), "preds": a.preds.to(torch.uint8),
                "labels": a.labels.to(torch.uint8), "probs": a.probs.to(torch.float16)}, OUT / f"{kind}.pt")
    print(f"{kind}: test acc {a.test_acc:.3f}, {(OUT / f'{kind}.pt').stat().st_size / 1e6:.2f} MB of weights")


def linreg_run() -> None:
    from core import linreg

    params = dict(slope=2.0, intercept=-1.0, noise=1.0, n=200, seed=42)  # the page's defaults
    lr, epochs = 0.03, 200
    x, y = linreg.make_data(**params)
    steps = [asdict(s) for s in linreg.fit(x, y, lr, epochs, params["seed"], threading.Event())]
    _write("linreg", {"params": params, "lr": lr, "epochs": epochs, "steps": steps})


def sequence_run() -> None:
    from core import text, text_data
    from core.config import Settings
    from core.train import TrainConfig, fit

    data = text_data.shipped("all")
    d = text.DEFAULT_E5_HEAD
    cfg = TrainConfig(epochs=d["epochs"], lr=d["lr"], seed=0)
    train_idx, val_idx = text.split_indices(len(data.texts), cfg.seed)
    baseline = text.tfidf_baseline(data.texts, data.labels, train_idx, val_idx)
    head = text.build_e5_head(len(data.classes), d["hidden"], d["dropout"], cfg.seed, Settings.load().cache_dir)
    train_dl, val_dl = head.loaders(data.texts, data.labels, train_idx, val_idx, seed=cfg.seed)
    records = [["mlp", asdict(m)] for m in fit(head.model, train_dl, val_dl, cfg, threading.Event())]
    _write("sequence", {"settings": {"data": "shipped", "model": "e5nn", **d, "seed": cfg.seed},
                        "baseline": {k: v for k, v in baseline.items() if isinstance(v, (int, float))},  # no model
                        "metrics": records})


def e5_run() -> None:
    """The built-in corpus's e5 vectors (float16, ~4 MB), so the sentiment page's default trains at once."""
    import numpy as np

    from core import text, text_data
    from core.config import Settings

    cache = Settings.load().cache_dir
    for part in (text_data.shipped("all").texts, text_data.ood().texts):  # the page's own per-corpus cache files,
        text.e5_vectors(part, cache)                                        # where this machine has them
    texts = text.shipped_e5_texts()
    vectors = np.asarray(text.e5_vectors(texts), dtype=np.float16)
    text.SHIPPED_E5.parent.mkdir(parents=True, exist_ok=True)
    np.savez(text.SHIPPED_E5, vectors=vectors, digest=np.array(text.e5_digest(texts)))
    print(f"wrote {text.SHIPPED_E5} ({len(texts)} sentences)")


def lora_run() -> None:
    import tempfile

    from core import catalog, lora
    from core.assets import Registry
    from core.config import Settings
    from ui.strings import EN, KO

    settings = Settings.load()
    settings.apply_env()
    train_ex, eval_ex = lora.split(lora.shipped_dataset().examples, 0.1)
    model, tok = lora.load_base(catalog.SMALL_MODEL, Registry(settings.cache_dir), settings.cache_dir)
    lset = lora.LoraSettings(8, 16, 0.05, ("q_proj", "v_proj"))
    tset = lora.TrainSettings(max_steps=40, lr=2e-3, batch_size=2, max_len=256, eval_every=10, seed=0)
    run = lora.LoraRun(lora.attach_lora(model, lset), tok, lset, tset)
    with tempfile.TemporaryDirectory() as out:
        metrics = [asdict(m) for m in lora.train(run, train_ex, eval_ex, Path(out), threading.Event())]
    questions = list(dict.fromkeys([KO["lora.default_q"], EN["lora.default_q"]]  # the page's own questions first
                                   + [ex.messages[-2]["content"] for ex in eval_ex[:2]]))
    comparison = [[q, lora.generate(run.model, tok, q, 64, adapter=False), lora.generate(run.model, tok, q, 64)]
                  for q in questions]
    _write("lora", {"settings": {"base": catalog.SMALL_MODEL, "lora": asdict(lset), "train": asdict(tset)},
                    "metrics": metrics, "comparison": comparison})


def main(names: list[str]) -> None:
    from core import vision

    jobs = {"dnn": lambda: vision_run("dnn", vision.ModelSpec("mlp", (256, 128)), 3),
            "cnn": lambda: vision_run("cnn", vision.ModelSpec("lenet", dropout=0.0, batchnorm=True, width=32), 2),
            "linreg": linreg_run, "sequence": sequence_run, "lora": lora_run, "e5": e5_run}
    for name in names or list(jobs):
        jobs[name]()


if __name__ == "__main__":
    main(sys.argv[1:])
