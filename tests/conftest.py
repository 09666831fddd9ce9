import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# Tests run offline, like a classroom: make any hub access fail at once instead of hanging.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

import pytest  # noqa: E402

from tests.netguard import netguard  # noqa: E402

# Nothing leaves the machine during the tests; loopback servers (ours) are fine.
netguard.install()


@pytest.fixture(autouse=True)
def _offline_default_paths(request):
    """Pages' default paths must not even try the network (hub, CDN, usage stats): the app tests assert it.
    A test that exercises an online path on purpose is marked `online_path`."""
    netguard.take()
    yield
    tried = netguard.take()
    # the folder under tests/, not any part of the path: a clone in a folder named "app" is not an app test
    path = request.node.path
    checked = path.is_relative_to(ROOT / "tests") and path.relative_to(ROOT / "tests").parts[0] in ("app", "e2e")
    if checked and not request.node.get_closest_marker("online_path"):
        assert tried == [], f"network attempted on a default path: {tried}"


def pytest_report_header(config):
    """What the run ran on, so a failure report says it: the Python and the digest of both locks."""
    import hashlib
    import platform

    locks = b"".join((ROOT / f).read_bytes() for f in ("requirements.txt", "requirements-dev.txt"))
    return f"python {platform.python_version()}, lock sha256 {hashlib.sha256(locks).hexdigest()[:16]}"
