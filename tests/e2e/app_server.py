"""One real `streamlit run Home.py` on 127.0.0.1 for the browser tests and the browser benches (bench/memory.py):
started on a free port, ready once /_stcore/health answers, always stopped afterwards."""
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from core.procs import free_port

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def running_app(timeout: float = 90.0, log_path: Path | None = None, **env):
    """Yields (url, process); env adds variables (offline flags are always set); the server's output goes to
    log_path if given, else to a temporary file. RuntimeError with its last output if it does not come up in time."""
    port = free_port()
    log = open(log_path, "w+") if log_path else tempfile.TemporaryFile("w+")  # a pipe would fill during a long run
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "Home.py", "--server.address", "127.0.0.1",
                             "--server.port", str(port), "--server.headless", "true"], cwd=ROOT,
                            env=dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", **env),
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + timeout
        while True:
            try:
                if urllib.request.urlopen(url + "/_stcore/health", timeout=2).read() == b"ok":
                    break
            except OSError:
                if time.time() > deadline:
                    log.seek(0)
                    raise RuntimeError("streamlit did not start: " + log.read()[-2000:]) from None
                time.sleep(0.5)
        yield url, proc
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:  # a page still busy in a thread: don't let teardown hang
            proc.kill()
            proc.wait(10)
        log.close()
