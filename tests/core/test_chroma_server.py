"""A class on one Chroma server, by settings only: VectorStore(url=...) talks to a real `chroma run` process."""
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.assets import Registry
from core.config import Settings
from core.documents import Document, split
from core.embeddings import make_embedder
from core.errors import UserError
from core.procs import free_port
from core.vectordb import VectorStore

CHROMA = Path(sys.executable).parent / "chroma"


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory):
    port = free_port()
    proc = subprocess.Popen([str(CHROMA), "run", "--path", str(tmp_path_factory.mktemp("chroma")), "--host",
                             "127.0.0.1", "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            VectorStore(Path("/nonexistent"), url=url)
            break
        except UserError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("chroma run did not start")
    yield url
    proc.terminate()
    proc.wait(10)


def test_two_students_share_one_server_index(chroma_url, tmp_path):
    e5 = make_embedder("e5", Registry(Settings.load(secrets={}, env={}).cache_dir))
    docs = [Document("The president's term of office is five years.", "a.txt", None),
            Document("Kimchi is fermented cabbage with chili.", "b.txt", None)]
    teacher = VectorStore(tmp_path / "unused", url=chroma_url)
    teacher.build("class__e5", split(docs, 200, 0), e5)
    student = VectorStore(tmp_path / "unused2", url=chroma_url)  # another app instance, same server
    hits = student.query("class__e5", e5, "How long does a president serve?", 1)
    assert hits[0].source == "a.txt"
    assert not (tmp_path / "unused").exists()  # nothing embedded on disk in server mode


def test_wrong_address_is_a_clear_error():
    start = time.time()
    with pytest.raises(UserError) as err:
        VectorStore(Path("/nonexistent"), url=f"http://127.0.0.1:{free_port()}")
    assert err.value.key == "vdb.server_unreachable" and time.time() - start < 30
    with pytest.raises(UserError) as err:
        VectorStore(Path("/nonexistent"), url="ftp://x")
    assert err.value.key == "vdb.bad_url"
