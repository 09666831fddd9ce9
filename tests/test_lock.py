"""The installed environment is the lock: every package `make test` installed is pinned in requirements.txt or
requirements-dev.txt at the installed version, nothing is missing, and pip finds no broken requirement."""
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", re.M)
UNLOCKED = {"pip"}  # the venv's own installer: pinned by the dev lock but pip-sync never removes or pins it


def pins(*files: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for name in files:
        for pkg, version in PIN.findall((ROOT / name).read_text()):
            assert found.setdefault(canonicalize_name(pkg), version) == version, f"{pkg} pinned twice, differently"
    return found


def installed() -> dict[str, str]:
    return {canonicalize_name(d.metadata["Name"]): d.version for d in metadata.distributions()}


def test_every_locked_package_has_hashes_and_the_app_lock_needs_nothing_else():
    text = (ROOT / "requirements.txt").read_text()
    blocks = [b for b in re.split(r"\n(?=[A-Za-z0-9])", text) if PIN.match(b)]
    assert len(blocks) > 100 and all("--hash=sha256:" in b for b in blocks)
    assert "torch==2.14.1" in text and "torchvision==0.29.1" in text


def test_installed_environment_equals_the_lock():
    locked, have = pins("requirements.txt", "requirements-dev.txt"), installed()
    wrong = {p: (v, have.get(p)) for p, v in locked.items() if p not in UNLOCKED and have.get(p) != v}
    extra = sorted(set(have) - set(locked) - UNLOCKED)
    assert not wrong, f"installed version differs from the lock (locked, installed): {wrong}; run make test again"
    assert not extra, f"installed but in no lock: {extra}"


def test_pip_check_is_clean():
    done = subprocess.run([sys.executable, "-m", "pip", "check"], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
