"""A real `streamlit run` on 127.0.0.1 driven by Debian's chromium through playwright: open every page from the
navigation, assert no error box, and save a screenshot per page under build/screenshots/.

The server runs with the network refused (tests/netguard, loaded through sitecustomize) and the browser's requests
are watched: opening every page must not try anything beyond 127.0.0.1 — no hub, CDN, font or usage statistics."""
import os
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.e2e.app_server import running_app

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "build" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
pytestmark = [pytest.mark.e2e, pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium")]


NETLOG = ROOT / "build" / "netguard.log"


@pytest.fixture(scope="module")
def server():
    NETLOG.parent.mkdir(parents=True, exist_ok=True)
    NETLOG.write_text("")
    pythonpath = os.pathsep.join([str(ROOT / "tests" / "netguard"), os.environ.get("PYTHONPATH", "")])
    try:
        with running_app(60, NETGUARD_LOG=str(NETLOG), PYTHONPATH=pythonpath) as (url, _):
            yield url
    except RuntimeError as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                              args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                                    "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield b
        b.close()


# Still busy: the script runs, a placeholder waits for its element, an element is from the previous run, or an image
# has not loaded. Watching the status widget alone let a screenshot catch the GAN page's grey placeholders.
_BUSY = """() => !!document.querySelector(
    '[data-testid="stStatusWidget"], [data-testid="stSkeleton"], [data-stale="true"]')
    || [...document.images].some(img => !img.complete)"""


def _settle(page, timeout_s: float = 90) -> None:
    """Wait until the page has been quiet (not busy, see _BUSY) for 1.5 s."""
    page.wait_for_selector('[data-testid="stMain"]', timeout=timeout_s * 1000)
    deadline, quiet_since = time.time() + timeout_s, None
    while time.time() < deadline:
        quiet_since = None if page.evaluate(_BUSY) else (quiet_since or time.time())
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
