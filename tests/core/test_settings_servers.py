"""Settings a teacher sets once for a whole class (light mode, shared Chroma and LLM servers), and the device
hint Home shows without importing torch."""
from core.config import Settings


def test_class_server_settings_from_env_and_secrets():
    s = Settings.load(secrets={"chroma_url": "http://10.0.0.5:8000", "light": True},
                      env={"COURSE_LLM_BASE_URL": "http://10.0.0.6:8000/v1", "COURSE_LLM_MODEL": "qwen",
                           "COURSE_LLM_API_KEY": "k-123"})
    assert s.chroma_url == "http://10.0.0.5:8000" and s.light is True
    assert s.llm_base_url == "http://10.0.0.6:8000/v1" and s.llm_model == "qwen"
    assert s.configured_keys()["COURSE_LLM_API_KEY"] is True and "k-123" not in repr(s)
    assert Settings.load(secrets={}, env={}).light is False


def test_device_hint_agrees_with_torch_here():
    import torch

    s = Settings.load(secrets={}, env={})
    expected = "cuda" if torch.cuda.is_available() else s.device()
    assert s.device_hint() == expected
    assert Settings.load(secrets={}, env={"COURSE_DEVICE": "cpu"}).device_hint() == "cpu"
