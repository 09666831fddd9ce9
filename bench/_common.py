"""Shared bits of the benchmark scripts: repo on sys.path, offline env, a timer, a peak-RSS sampler."""
import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@contextmanager
def timer(box: dict, key: str):
    start = time.perf_counter()
    yield
    box[key] = time.perf_counter() - start
