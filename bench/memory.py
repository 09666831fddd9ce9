"""Peak memory of the app on a small cloud box: start `streamlit run Home.py` headless, open every page in Debian's
chromium (playwright), press each page's main (primary) button, and sample the RSS of the server's whole process
tree (the server and any process it starts) every 0.25 s: each page's own peak (from opening it until the next
page), the peak so far, and what it still holds once each page is done. Light mode (COURSE_LIGHT=1) and normal
mode side by side. Pages are opened through the menu in one browser session (one student); --reload opens each by
its URL instead, a new session per page whose state stays until it expires.

    python bench/memory.py                      # both modes
    python bench/memory.py --modes light --action-seconds 30
    python bench/memory.py --modes light --pages lora      # one page's own need, in a fresh server

Goal: peak ≤ 2.5 GB in light mode (Community Cloud gives an app about 1–2.7 GB).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import _common  # noqa: F401  (puts the project on the path)

from core.procs import PeakRSS
from tests.e2e.app_server import running_app

CHROMIUM = "/usr/bin/chromium"
MAIN = '[data-testid="stMainBlockContainer"]'  # in both layouts (a page showing chat messages has no "stMain")
GOAL_GB = 2.5


def _settle(page, timeout_s: float) -> None:
    """Until the script run is over (no 'Running…' status for 1.5 s) and no Stop button is left, or timeout."""
    deadline, quiet_since = time.time() + timeout_s, None
    while time.time() < deadline:
        busy = (page.locator('[data-testid="stStatusWidget"]').count() > 0  # the Stop button's icon is no part of
                or page.locator("button", has_text="⏹️").count() > 0)  # its accessible name: match its text
        quiet_since = None if busy else (quiet_since or time.time())
        if quiet_since and time.time() - quiet_since > 1.5:
            return
        page.wait_for_timeout(250)


def measure(light: bool, action_seconds: float, only: tuple[str, ...] = (),
            reload: bool = False) -> tuple[int, list[tuple[str, int, bool]]]:
    """(peak bytes, [(page, the page's own peak bytes, main action pressed)]) for one fresh server; `only`: these pages
    (url names, e.g. lora), in menu order, instead of all; `reload`: open each page by its URL (a new session each
    time) instead of by the menu."""
    from playwright.sync_api import sync_playwright

    rows = []
    with running_app(COURSE_LIGHT="1" if light else "0") as (url, server):
        with PeakRSS(server.pid) as rss, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(url)
            _settle(page, 120)
            links = page.locator('[data-testid="stSidebarNav"] a')
            hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
            for href in hrefs:
                name = urlparse(href).path.strip("/") or "home"
                if only and name not in only:
                    continue
                target = href if href.startswith("http") else url + "/" + href.lstrip("/")
                rss.new_window()  # this page's own peak: from the moment it is opened until the next one
                if reload:  # a new browser session per page: what each left behind stays until its session ends
                    page.goto(target)
                elif page.url.rstrip("/") != target.rstrip("/"):  # one student clicking through the menu: one
                    page.locator(f'[data-testid="stSidebarNav"] a[href="{href}"]').click()  # session, as light
                    deadline = time.time() + 60  # mode's page switch sees it; the URL changes without a load
                    while page.url.rstrip("/") != target.rstrip("/") and time.time() < deadline:
                        page.wait_for_timeout(100)
                    page.wait_for_timeout(500)
                page.wait_for_selector(f"{MAIN} h1", timeout=180_000)  # the script has started
                _settle(page, 180)  # a page that loads a local LLM on render takes a while the first time
                main = page.locator(f'{MAIN} [data-testid="stBaseButton-primary"]:not([disabled])')
                visible = [main.nth(i) for i in range(main.count()) if main.nth(i).is_visible()]  # not in a hidden tab
                pressed = bool(visible)
                if pressed:
                    visible[0].click()
                    page.wait_for_timeout(1000)
                    _settle(page, action_seconds)
                rows.append((name, rss.window_peak, pressed))
                print(f"  {'light' if light else 'normal'} {name:<22} page peak {rss.window_peak / 1e9:5.2f} GB"
                      f"  peak so far {rss.peak / 1e9:5.2f} GB  held after it {rss.sample() / 1e9:5.2f} GB"
                      f"{'  (main action)' if pressed else ''}", flush=True)
            browser.close()
        return rss.peak, rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--modes", nargs="+", choices=["light", "normal"], default=["light", "normal"])
    ap.add_argument("--action-seconds", type=float, default=60, help="how long a page's main action may run")
    ap.add_argument("--pages", nargs="+", default=(), help="only these pages (url names: lora chat ...), in one server")
    ap.add_argument("--reload", action="store_true",
                    help="open each page by its URL, a new session each time (as many students as pages), instead of "
                         "clicking the menu in one session")
    args = ap.parse_args()
    if not Path(CHROMIUM).exists():
        sys.exit("needs Debian's chromium (apt install chromium)")
    peaks = {}
    for mode in args.modes:
        peaks[mode], _ = measure(mode == "light", args.action_seconds, tuple(args.pages), args.reload)
    print("\nmode     peak RSS of the server process tree")
    for mode, peak in peaks.items():
        print(f"{mode:<8} {peak / 1e9:.2f} GB")
    if "light" in peaks:
        print(f"goal: light ≤ {GOAL_GB} GB → {'met' if peaks['light'] <= GOAL_GB * 1e9 else 'NOT met'}")


if __name__ == "__main__":
    main()
