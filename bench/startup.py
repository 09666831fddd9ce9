"""Time to first render of Home (AppTest) vs a bare one-line Streamlit page, each in a fresh process so
imports count. Prints the medians and the difference (goal: <= 0.5 s extra)."""
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from _common import ROOT

PROBE = """
import time, sys
t0 = time.perf_counter()
from streamlit.testing.v1 import AppTest
at = AppTest.from_file(sys.argv[1], default_timeout=120)
at.run()
assert not at.exception, at.exception
print(time.perf_counter() - t0)
"""


def measure(script: Path, repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        res = subprocess.run([sys.executable, "-c", PROBE, str(script)], cwd=ROOT, capture_output=True, text=True,
                             check=True)
        out.append(float(res.stdout.strip().splitlines()[-1]))
    return out


def main(repeats: int = 5):
    with tempfile.TemporaryDirectory() as tmp:
        bare = Path(tmp) / "bare.py"
        bare.write_text("import streamlit as st\nst.write('hello')\n")
        bare_times = measure(bare, repeats)
    home_times = measure(ROOT / "Home.py", repeats)
    b, h = statistics.median(bare_times), statistics.median(home_times)
    print(f"bare one-line page : median {b:.2f} s  ({', '.join(f'{x:.2f}' for x in bare_times)})")
    print(f"Home.py            : median {h:.2f} s  ({', '.join(f'{x:.2f}' for x in home_times)})")
    print(f"extra for Home     : {h - b:.2f} s   (goal <= 0.5 s)")


if __name__ == "__main__":
    main()
