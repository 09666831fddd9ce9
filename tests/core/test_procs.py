"""core.procs: light mode's heap settings hand freed memory back to the OS."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

KIWI = """
import gc, sys
import psutil
from core.procs import lean_heap, trim_heap
lean_heap()
from kiwipiepy import Kiwi
p = psutil.Process()
before = p.memory_info().rss
kiwi = Kiwi(num_workers=1)
assert [t.form for t in kiwi.tokenize("맛있었어요")][:1] == ["맛있"]
used = p.memory_info().rss - before
del kiwi
gc.collect()
trim_heap()
print(used, p.memory_info().rss - before)
"""


def test_light_heap_gets_kiwis_memory_back_once_it_is_freed():
    """Kiwi (its own bundled mimalloc) keeps ~250 MB of a freed analyser unless told to purge at once: lean_heap
    does, before Kiwi loads."""
    out = subprocess.run([sys.executable, "-c", KIWI], cwd=ROOT, capture_output=True, text=True, timeout=120,
                         env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stderr
    used, kept = map(int, out.stdout.split())
    assert used > 200e6 and kept < 0.2 * used, (used, kept)


def test_peak_rss_window_peak_counts_from_its_new_window():
    """bench/memory.py's per-page peak: a window opened after a big block is freed does not report it."""
    import gc
    import os
    import time

    from core.procs import PeakRSS, trim_heap

    with PeakRSS(os.getpid(), every=0.01, children=False) as rss:
        block = bytearray(300 << 20)  # zero pages are not resident until written
        block[::4096] = b"x" * len(block[::4096])
        time.sleep(0.2)
        high = rss.peak
        del block
        gc.collect()
        trim_heap()
        rss.new_window()
        time.sleep(0.1)
        assert rss.window_peak < high - (200 << 20) and rss.peak >= high, (rss.window_peak, high, rss.peak)
