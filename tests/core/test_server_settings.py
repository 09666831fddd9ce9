"""Settings that keep a shared server fast with several sessions (bench/load.py measured each without it)."""
import os
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _policy_after_import(**env) -> str:
    base = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    code = "import core, os; print(os.environ.get('OMP_WAIT_POLICY'))"
    return subprocess.run([sys.executable, "-c", code], env={**base, **env}, cwd=ROOT, capture_output=True,
                          text=True, check=True).stdout.strip()


def test_importing_core_makes_idle_openmp_workers_sleep_unless_the_user_chose():
    assert _policy_after_import() == "PASSIVE"
    assert _policy_after_import(OMP_WAIT_POLICY="ACTIVE") == "ACTIVE"


def test_streamlit_does_not_force_a_full_gc_after_every_rerun():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["runner"]["postScriptGC"] is False
