"""Five students at once on one `streamlit run`: each browser session opens a few pages, trains the linear
regression, leaves and comes back. No session may see an error, each keeps its own sid and its own finished run.
The full measurement (N = 1, 5, 20, every page, DNN, search, RAG, RSS) is bench/load.py; this is its smoke test."""
import asyncio
import re
from pathlib import Path

import pytest

from tests.e2e.app_server import running_app
from ui.strings import EN, KO

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
pytestmark = [pytest.mark.e2e, pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium")]
SESSIONS = 5
NAV = '[data-testid="stSidebarNav"] a'
BAD = '[data-testid="stException"], [data-testid="stAlertContentError"]'
LINREG_TAB = re.compile(f"{re.escape(KO['basics.tab.linreg'])}|{re.escape(EN['basics.tab.linreg'])}")
TRAIN = re.compile(f"{re.escape(KO['lr.train'])}|{re.escape(EN['lr.train'])}")
DONE = KO["lr.summary"].split("{")[0]  # "SGD: w = ", the start of the summary shown when training ends
STEP_TIMEOUT_MS = 240_000


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """(url, server log): the log is where an exception in any session's script thread shows."""
    log = tmp_path_factory.mktemp("smoke") / "server.log"
    try:
        with running_app(log_path=log) as (url, _):
            yield url, log
    except RuntimeError as exc:
        pytest.fail(str(exc))


async def _settle(page) -> None:
    """Until the script run is over: the running indicator gone for a moment."""
    await page.wait_for_selector('[data-testid="stMain"]', timeout=STEP_TIMEOUT_MS)
    quiet = 0
    while quiet < 6:
        quiet = 0 if await page.locator('[data-testid="stStatusWidget"]').count() else quiet + 1
        await page.wait_for_timeout(100)


async def _go(page, path: str) -> None:
    """Through the sidebar, as a student clicks (a reload would start a new session)."""
    await page.locator(f'{NAV}[href$="/{path}"]').first.click()
    await page.wait_for_url(re.compile(f"/{path}(\\?|$)"), timeout=STEP_TIMEOUT_MS)
    await _settle(page)


async def _student(browser, url: str, i: int, seen: dict, errors: list) -> None:
    ctx = await browser.new_context(viewport={"width": 1300, "height": 900})
    page = await ctx.new_page()
    step = "open"
    try:
        await page.goto(url)
        await _settle(page)
        for step in ("eda", "pytorch_basics"):
            await _go(page, step)
        step = "train"
        await page.get_by_role("tab", name=LINREG_TAB).click()
        await page.get_by_role("button", name=TRAIN).first.click()
        await page.get_by_text(DONE).first.wait_for(timeout=STEP_TIMEOUT_MS)
        summary = await page.get_by_text(DONE).first.text_content()
        step = "come back"
        await _go(page, "eda")
        await _go(page, "pytorch_basics")
        done = page.get_by_text(DONE).first  # in a tab not shown now: attached, not visible
        await done.wait_for(state="attached", timeout=STEP_TIMEOUT_MS)
        assert await done.text_content() == summary, "the finished run is gone"
        for box in await page.locator(BAD).all():
            errors.append(f"s{i}: {(await box.inner_text())[:200]}")
        seen[i] = re.search(r"sid=([0-9a-f]{16})", page.url).group(1)
    except Exception as exc:  # one student's failure is reported with the others', not as a crash of all
        errors.append(f"s{i} ({step}): {type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
    finally:
        await ctx.close()


def test_five_sessions_at_once_see_no_error_and_keep_their_own_state(app):
    from playwright.async_api import async_playwright

    app_url, log = app

    async def drive():
        seen, errors = {}, []
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
            try:
                await asyncio.gather(*(_student(browser, app_url, i, seen, errors) for i in range(SESSIONS)))
            finally:
                await browser.close()
        return seen, errors

    seen, errors = asyncio.run(drive())
    assert errors == []
    assert len(seen) == SESSIONS and len(set(seen.values())) == SESSIONS  # five private namespaces
    server_log = log.read_text(errors="replace")
    assert "Traceback" not in server_log and "SystemError" not in server_log, server_log[-3000:]
