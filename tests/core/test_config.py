from pathlib import Path

from core.config import Settings


def test_defaults_are_offline_korean():
    s = Settings.load(secrets={}, env={})
    assert s.online is False and s.language == "ko"
    assert s.configured_keys() == {"OPENAI_API_KEY": False, "GEMINI_API_KEY": False, "COURSE_LLM_API_KEY": False}


def test_env_beats_secrets_and_keys_are_hidden():
    s = Settings.load(secrets={"OPENAI_API_KEY": "from-secrets", "online": True, "COURSE_LANG": "en"},
                      env={"OPENAI_API_KEY": "sk-env-secret", "COURSE_CACHE_DIR": "/tmp/x"})
    assert s.api_keys["OPENAI_API_KEY"] == "sk-env-secret"
    assert s.online is True and s.language == "en" and s.cache_dir == Path("/tmp/x")
    assert "sk-env-secret" not in repr(s)


def test_unknown_language_falls_back_to_korean():
    assert Settings.load(env={"COURSE_LANG": "fr"}).language == "ko"


def test_apply_env_sets_hub_offline(monkeypatch):
    import os

    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
        monkeypatch.delenv(name, raising=False)  # restored after the test, whatever apply_env sets
    Settings.load(env={}).apply_env()
    assert os.environ["HF_HUB_OFFLINE"] == "1" and os.environ["TRANSFORMERS_OFFLINE"] == "1"
    Settings.load(env={"COURSE_ONLINE": "1"}).apply_env()
    assert os.environ["HF_HUB_OFFLINE"] == "0" and os.environ["HF_DATASETS_OFFLINE"] == "0"


def test_device_follows_what_torch_reports(monkeypatch):
    import torch

    here = "cuda" if torch.cuda.is_available() else "cpu"
    assert Settings.load(env={"COURSE_DEVICE": "cuda"}).device() == here
    assert Settings.load(env={"COURSE_DEVICE": "CPU"}).device() == "cpu"  # an explicit cpu wins even beside a GPU
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    for has_cuda, expected in ((True, "cuda"), (False, "cpu")):
        monkeypatch.setattr(torch.cuda, "is_available", lambda has_cuda=has_cuda: has_cuda)
        assert Settings.load(env={}).device() == expected  # auto picks the GPU only when torch sees one
        assert Settings.load(env={"COURSE_DEVICE": "cuda"}).device() == expected  # asked-for cuda falls back
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert Settings.load(env={}).device() == "mps"  # no CUDA (still patched off) but Apple's GPU
