"""Day 9: evaluation metrics, dynamic quantization, and running the FastAPI server as a real process."""
from __future__ import annotations

import io
import os
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from core.errors import UserError
from core.procs import free_port

ROOT = Path(__file__).resolve().parent.parent


# ---- metrics ----------------------------------------------------------------------------------------------------
METRIC_CASES = ("ood", "rare_positive")
RARE_SHARE = 0.1  # positives kept in the imbalanced case: 1 in 10, so accuracy alone looks good while recall suffers


def sentiment_baseline(case: str = "ood", seed: int = 0):
    """A TF-IDF + logistic regression classifier trained on the shipped natural reviews, evaluated on the
    separately written out-of-distribution sentences, which it gets partly wrong: (y_true, p_positive, texts).
    'rare_positive' keeps every negative and only RARE_SHARE as many positives (seeded), so precision and recall
    pull apart as the threshold moves. Under a second on 2 cores: recomputed on every page load."""
    import random

    from core import text as T
    from core import text_data as TD

    if case not in METRIC_CASES:
        raise UserError("ev.bad_case", f"unknown case {case}", case=case)
    d, test = TD.shipped(), TD.ood()
    model = T.fit_sklearn("tfidf", d.texts, d.labels)
    rows = list(range(len(test.texts)))
    if case == "rare_positive":
        neg = [i for i in rows if test.labels[i] == 0]
        pos = [i for i in rows if test.labels[i] == 1]
        rows = sorted(neg + random.Random(seed).sample(pos, max(2, round(len(neg) * RARE_SHARE))))
    texts = [test.texts[i] for i in rows]
    return [test.labels[i] for i in rows], [p[1] for p in model.proba(texts)], texts


@dataclass
class ThresholdMetrics:
    threshold: float
    accuracy: float
    precision: float
    recall: float
    f1: float
    confusion: list[list[int]]


def at_threshold(y_true: list[int], p_pos: list[float], threshold: float) -> ThresholdMetrics:
    from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

    if not 0 <= threshold <= 1:
        raise UserError("ev.bad_threshold", "threshold must be 0–1")
    y_pred = [int(p >= threshold) for p in p_pos]
    prec, rec, f1, _ = precision_recall_fscore_support(y_true, y_pred, average="binary", zero_division=0)
    return ThresholdMetrics(threshold, accuracy_score(y_true, y_pred), float(prec), float(rec), float(f1),
                            confusion_matrix(y_true, y_pred, labels=[0, 1]).tolist())


def roc(y_true: list[int], p_pos: list[float]):
    from sklearn.metrics import roc_auc_score, roc_curve

    fpr, tpr, _ = roc_curve(y_true, p_pos)
    return fpr.tolist(), tpr.tolist(), float(roc_auc_score(y_true, p_pos))


# ---- quantization -----------------------------------------------------------------------------------------------
@dataclass
class QuantResult:
    name: str
    size_kb: float
    ms_per_batch: float
    accuracy: float


def state_size(model) -> int:
    import torch

    buf = io.BytesIO()
    torch.save(model.state_dict(), buf)
    return len(buf.getvalue())


def quantize_compare(model, x, y, repeats: int = 20) -> tuple[list[QuantResult], float]:
    """fp32 vs dynamic int8 (nn.Linear weights) on the same inputs: size, latency, accuracy, and agreement."""
    import warnings

    import torch

    model.eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.ao.quantization is moving to torchao; the API still works
        q = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
    rows, preds = [], []
    with torch.no_grad():
        for name, m in (("fp32", model), ("int8 (dynamic)", q)):
            m(x)  # warm-up
            start = time.perf_counter()
            for _ in range(repeats):
                out = m(x)
            ms = (time.perf_counter() - start) / repeats * 1000
            pred = out.argmax(1)
            preds.append(pred)
            rows.append(QuantResult(name, state_size(m) / 1024, ms, float((pred == y).float().mean())))
    return rows, float((preds[0] == preds[1]).float().mean())


# ---- the server as a process ------------------------------------------------------------------------------------
def start_server(model: str = "smollm2-135m", port: int | None = None, timeout: float = 120.0):
    """`python -m serve.app` as a child process on 127.0.0.1; returns (process, base_url) once /health answers."""
    port = port or free_port()
    import tempfile

    # a pipe would fill; an unnamed file vanishes with its last handle instead of piling up in /tmp per start
    log = tempfile.TemporaryFile("w+")
    proc = subprocess.Popen([sys.executable, "-m", "serve.app", "--model", model, "--port", str(port)], cwd=ROOT,
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            log.seek(0)
            raise UserError("ev.server_died", "the server exited", reason=log.read()[-300:])
        try:
            if urllib.request.urlopen(url + "/health", timeout=1).status == 200:
                return proc, url
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise UserError("ev.server_timeout", "the server did not start in time", seconds=int(timeout))


def stop_server(proc) -> None:
    if proc is not None and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


QUEUE_WAIT_S = 300.0


def ask_server(url: str, question: str, max_tokens: int = 60) -> tuple[int, Iterator[str]]:
    """Stream one answer from our server: (jobs queued ahead of it, from X-Queue-Position; the text pieces).
    Sends COURSE_SERVE_KEY as the bearer key when set (the server started from this app then requires it);
    a full queue (429) is queue.busy, never a hang."""
    from openai import OpenAI, Timeout

    from core.llm.errors import translate
    from core.llm.remote import TIMEOUT_S

    # a queued request gets its first token only when the jobs ahead are done: wait that long, not the usual 10 s
    client = OpenAI(api_key=os.environ.get("COURSE_SERVE_KEY") or "not-needed", base_url=url + "/v1",
                    timeout=Timeout(TIMEOUT_S, read=QUEUE_WAIT_S), max_retries=0)
    try:
        raw = client.chat.completions.with_raw_response.create(
            model="course-local", messages=[{"role": "user", "content": question}], stream=True, temperature=0,
            max_tokens=max_tokens)
    except Exception as exc:  # SDK errors of many types
        if getattr(exc, "status_code", None) == 429:
            raise UserError("queue.busy", "server busy") from exc
        raise translate(exc, "compat") from exc
    ahead = int(raw.headers.get("X-Queue-Position", "0") or 0)

    def pieces() -> Iterator[str]:
        try:
            for chunk in raw.parse():
                if chunk.choices and chunk.choices[0].delta.content:
                    yield chunk.choices[0].delta.content
        except Exception as exc:  # a broken stream, or an error event the server sent in it
            raise translate(exc, "compat") from exc

    return ahead, pieces()
