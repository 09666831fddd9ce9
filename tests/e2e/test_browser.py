"""A real `streamlit run` on 127.0.0.1 driven by Debian's chromium through playwright: open every page from the
navigation, assert no error box, and save a screenshot per page under build/screenshots/.

The server runs with the network refused (tests/netguard, loaded through sitecustomize) and the browser's requests
are watched: opening every page must not try anything beyond 127.0.0.1 — no hub, CDN, font or usage statistics."""
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "build" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
pytestmark = [pytest.mark.e2e, pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium")]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


NETLOG = ROOT / "build" / "netguard.log"


@pytest.fixture(scope="module")
def server():
    port = _free_port()
    NETLOG.parent.mkdir(parents=True, exist_ok=True)
    NETLOG.write_text("")
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", NETGUARD_LOG=str(NETLOG),
               PYTHONPATH=os.pathsep.join([str(ROOT / "tests" / "netguard"), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "Home.py", "--server.address", "127.0.0.1",
                             "--server.port", str(port), "--server.headless", "true"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(url + "/_stcore/health", timeout=2).read() == b"ok":
                break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("streamlit did not start: " + proc.stdout.read().decode(errors="replace")[-2000:])
    yield url
    proc.terminate()
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:  # a page still busy in a thread: don't let teardown hang the suite
        proc.kill()
        proc.wait(10)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                              args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                                    "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield b
        b.close()


def _settle(page, timeout_s: float = 90) -> None:
    """Wait until the script has finished running (the 'Running…' status widget is gone for a moment)."""
    page.wait_for_selector('[data-testid="stMain"]', timeout=timeout_s * 1000)
    deadline, quiet_since = time.time() + timeout_s, None
    while time.time() < deadline:
        running = page.locator('[data-testid="stStatusWidget"]').count() > 0
        quiet_since = None if running else (quiet_since or time.time())
        if quiet_since and time.time() - quiet_since > 1.5:
            return
        page.wait_for_timeout(250)
    raise AssertionError("page kept running")


def test_every_page_opens_without_error(server, browser):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    outside = []
    page.on("request", lambda r: None if r.url.startswith((server, "data:", "blob:")) else outside.append(r.url))
    page.goto(server)
    _settle(page)
    links = page.locator('[data-testid="stSidebarNav"] a')
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    from ui.course import routed_pages

    assert len(hrefs) == len(routed_pages())
    for href in hrefs:
        page.goto(href if href.startswith("http") else server + "/" + href.lstrip("/"))
        _settle(page)
        name = urlparse(href).path.strip("/") or "home"
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
        assert page.locator('[data-testid="stException"]').count() == 0, f"exception on {href}"
        errors = page.locator('[data-testid="stAlertContentError"]')
        assert errors.count() == 0, f"error box on {href}: {errors.first.inner_text()}"
        assert page.locator("h1").count() >= 1, f"no title on {href}"
    assert outside == [], f"the browser tried the network: {outside[:5]}"
    assert NETLOG.read_text() == "", f"the server tried the network: {NETLOG.read_text()[:500]}"
