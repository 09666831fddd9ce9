"""Sampling seeds really sample; the server as a real process (`python -m serve.app`) serves embeddings and
enforces COURSE_SERVE_KEY."""
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np
import pytest

from core.assets import Registry
from core.config import Settings
from core.llm.base import complete
from core.llm.local import LocalProvider, load_local
from core.procs import free_port

S = Settings.load()
ROOT = Path(__file__).resolve().parents[2]
MSGS = [{"role": "user", "content": "Write one sentence about a cat."}]


@pytest.fixture(scope="module")
def smol():
    lm, tok = load_local("smollm2-135m", Registry(S.cache_dir), S.cache_dir)
    return LocalProvider("smollm2-135m", lm, tok)


def test_seed_repeats_sampling_and_other_seeds_sample_differently(smol):
    def say(seed, temperature=1.2):
        return complete(smol, MSGS, temperature=temperature, top_p=1.0, max_tokens=8, seed=seed)

    first = {seed: say(seed) for seed in range(3)}
    assert say(1) == first[1]  # a seed repeats itself
    assert len(set(first.values())) >= 2, first  # and the seeds differ: an always-greedy provider gives one text
    assert say(0, temperature=0) == say(1, temperature=0)  # temperature 0 ignores the seed


@pytest.fixture(scope="module")
def keyed_server():
    """The real command-line server with a key in COURSE_SERVE_KEY; fails (never hangs) if it does not come up."""
    port = free_port()
    env = {**os.environ, "COURSE_SERVE_KEY": "class-key-42"}
    proc = subprocess.Popen([sys.executable, "-m", "serve.app", "--model", "smollm2-135m", "--port", str(port)],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 180  # model + embedder load, on a busy 2-core machine
    try:
        while time.time() < deadline:
            assert proc.poll() is None, proc.stderr.read()[-2000:]
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.5)
        else:
            pytest.fail("serve.app did not answer /health within 180 s")
        yield base
    finally:
        proc.terminate()
        proc.wait(20)


def test_server_key_is_required_on_every_v1_route(keyed_server):
    good = {"Authorization": "Bearer class-key-42"}
    for headers in ({}, {"Authorization": "Bearer wrong"}):
        assert httpx.get(f"{keyed_server}/v1/models", headers=headers).status_code == 401
        assert httpx.post(f"{keyed_server}/v1/embeddings", json={"input": "x"}, headers=headers).status_code == 401
    assert httpx.get(f"{keyed_server}/v1/models", headers=good).status_code == 200
    from openai import OpenAI

    client = OpenAI(base_url=f"{keyed_server}/v1", api_key="class-key-42")
    reply = client.chat.completions.create(model="course-local", messages=MSGS, temperature=0, max_tokens=8)
    assert reply.choices[0].message.content.strip()


def test_embeddings_endpoint_returns_the_e5_vectors(keyed_server):
    from openai import OpenAI

    from core.embeddings import make_embedder

    texts = ["대통령의 임기는 5년으로 한다.", "A small cat sleeps on the sofa."]
    got = OpenAI(base_url=f"{keyed_server}/v1", api_key="class-key-42").embeddings.create(model="e5", input=texts)
    served = np.array([d.embedding for d in sorted(got.data, key=lambda d: d.index)])
    local = np.asarray(make_embedder("e5", Registry(S.cache_dir)).embed_documents(texts))
    assert served.shape == local.shape == (2, 384)
    cos = (served * local).sum(1) / np.linalg.norm(served, axis=1) / np.linalg.norm(local, axis=1)
    assert (cos > 0.999).all()  # the same model in another process, not just any vectors
