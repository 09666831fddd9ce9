"""The catalogue of the app's local models: their names, which shipped asset holds each, and where the fp32
copy converted from the GGUF lives, and where its CTranslate2 int8 copy (the generation engine) lives. Every page,
the server and core modules read these facts from here."""
from __future__ import annotations

import re
from pathlib import Path

SMALL_MODEL = "smollm2-135m"   # fast on 2 cores: the LoRA default, tokenizer and sampling demos, the server demo
CHAT_MODEL = "qwen2.5-0.5b"    # the better Korean of the two: the chat, RAG and prompt-lab default
LOCAL_MODELS = {SMALL_MODEL: "smollm2", CHAT_MODEL: "qwen_0_5b"}  # model name -> asset key in core.assets
LORA_BASES = tuple(LOCAL_MODELS)


# The copies' format: 2 = a GGUF's twin embedding matrices tied into one (core.llm.local.tie_twin_embeddings). A
# new format gets new folder names, so the new copies are made once beside the old ones, and `python -m core.assets
# prepare` then removes the old ones (stale_copies).
COPY_FORMAT = 2


def converted_dir(cache_dir: Path, model: str) -> Path:
    """Where core.llm.local saves the fp32 copy of a local model (and LoRA and the exported scripts read it)."""
    return Path(cache_dir) / "models" / f"{model}-fp32-v{COPY_FORMAT}"


CT2_QUANTIZATION = "int8"  # what the CTranslate2 copy stores; other compute types are chosen at load time


def ct2_dir(cache_dir: Path, model: str, quantization: str = CT2_QUANTIZATION) -> Path:
    """Where core.llm.ct2 saves the CTranslate2 copy converted from the fp32 folder."""
    return Path(cache_dir) / "models" / f"{model}-ct2-{quantization}-v{COPY_FORMAT}"


def stale_copies(cache_dir: Path) -> list[Path]:
    """The fp32 and CTranslate2 copies of the local models made in an older COPY_FORMAT (folder names without the
    current "-vN" suffix): nothing reads them any more, and together they hold gigabytes."""
    models = Path(cache_dir) / "models"
    pattern = re.compile(rf"^(?:{'|'.join(map(re.escape, LOCAL_MODELS))})-(?:fp32|ct2-[a-z0-9_]+)(?:-v(\d+))?$")
    stale = []
    for path in sorted(models.iterdir()) if models.is_dir() else ():
        m = pattern.match(path.name)
        if path.is_dir() and not path.is_symlink() and m and (m.group(1) is None or int(m.group(1)) < COPY_FORMAT):
            stale.append(path)
    return stale
