"""Settings for the whole app, read once from env vars and (optionally) Streamlit secrets.

Offline is the default: the course must run in a classroom with no internet. A user opts in to online paths
(hub models, OpenAI, Gemini, gTTS, CIFAR-10 downloads) with COURSE_ONLINE=1 or `online = true` in secrets.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

REPO_ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("ko", "en")
API_KEY_NAMES = ("OPENAI_API_KEY", "GEMINI_API_KEY", "COURSE_LLM_API_KEY")


def _truthy(value: Any) -> bool:
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    data_dir: Path = REPO_ROOT / "data"
    cache_dir: Path = Path.home() / ".cache" / "course-app"
    online: bool = False
    language: str = "ko"
    device_pref: str = "auto"  # auto | cpu | cuda | mps
    light: bool = False  # Community Cloud: small defaults, no local 0.5B LLM unless asked, one heavy job at a time
    # A class on shared servers, by settings only: every student's app talks to one Chroma and one LLM server.
    chroma_url: str = ""  # e.g. http://10.0.0.5:8000 → chromadb.HttpClient instead of the embedded store
    llm_base_url: str = ""  # an OpenAI-compatible server (vLLM, Ollama, ours) → the default provider
    llm_model: str = ""
    llm_engine: str = "ctranslate2"  # ctranslate2 (int8, the default) | torch: what generates for the local models
    api_keys: Mapping[str, str] = field(default_factory=dict, repr=False)  # never printed

    @classmethod
    def load(cls, secrets: Mapping[str, Any] | None = None, env: Mapping[str, str] | None = None) -> "Settings":
        """Env vars win over secrets; secrets win over defaults."""
        env = os.environ if env is None else env
        secrets = secrets or {}

        def pick(name: str, default: Any = None, alias: str = "") -> Any:
            if env.get(name) not in (None, ""):
                return env[name]
            for key in (name, name.lower(), alias):
                if key in secrets and secrets[key] not in (None, ""):
                    return secrets[key]
            return default

        language = str(pick("COURSE_LANG", "ko", "language")).lower()
        keys = {name: str(pick(name)) for name in API_KEY_NAMES if pick(name)}
        if "GEMINI_API_KEY" not in keys and pick("GOOGLE_API_KEY"):
            keys["GEMINI_API_KEY"] = str(pick("GOOGLE_API_KEY"))
        return cls(
            data_dir=Path(pick("COURSE_DATA_DIR", REPO_ROOT / "data")).expanduser(),
            cache_dir=Path(pick("COURSE_CACHE_DIR", Path.home() / ".cache" / "course-app")).expanduser(),
            online=_truthy(pick("COURSE_ONLINE", "0", "online")),
            language=language if language in LANGUAGES else "ko",
            device_pref=str(pick("COURSE_DEVICE", "auto")).lower(),
            light=_truthy(pick("COURSE_LIGHT", "0", "light")),
            chroma_url=str(pick("COURSE_CHROMA_URL", "", "chroma_url")).strip(),
            llm_base_url=str(pick("COURSE_LLM_BASE_URL", "", "llm_base_url")).strip(),
            llm_model=str(pick("COURSE_LLM_MODEL", "", "llm_model")).strip(),
            llm_engine="torch" if str(pick("COURSE_LLM_ENGINE", "ctranslate2", "llm_engine")).lower() == "torch"
            else "ctranslate2",
            api_keys=keys,
        )

    @property
    def runs_dir(self) -> Path:
        return self.cache_dir / "runs"

    def configured_keys(self) -> dict[str, bool]:
        """Which API keys are set — names only, never values."""
        return {name: name in self.api_keys for name in API_KEY_NAMES}

    def apply_env(self) -> None:
        """Make the Hugging Face stack fail fast offline instead of waiting ~75 s for a hub that isn't there."""
        flag = "0" if self.online else "1"
        for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
            os.environ[name] = flag
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")  # chromadb telemetry would try the network

    def device_hint(self) -> str:
        """The device 'auto' will most likely pick, read without importing torch (~1 s) so Home paints fast:
        an NVIDIA driver means cuda, Apple silicon means mps, anything else the CPU."""
        import platform
        import shutil

        if self.device_pref in {"cpu", "cuda", "mps"}:
            return self.device_pref
        if Path("/proc/driver/nvidia/version").exists() or shutil.which("nvidia-smi"):
            return "cuda"
        if platform.system() == "Darwin" and platform.machine() == "arm64":
            return "mps"
        return "cpu"

    def device(self) -> str:
        """Resolve 'auto' to cuda / mps / cpu. Imports torch, so call it only where torch is needed anyway."""
        import torch

        if self.device_pref in {"cpu", "cuda", "mps"}:
            if self.device_pref == "cuda" and not torch.cuda.is_available():
                return "cpu"
            return self.device_pref
        if torch.cuda.is_available():
            return "cuda"
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return "mps"
        return "cpu"
