"""Screenshot pages of a running app: python scripts/screenshot.py URL OUT.png [--click LABEL] [--tab LABEL]."""
import argparse
import time

from playwright.sync_api import sync_playwright

ap = argparse.ArgumentParser()
ap.add_argument("url")
ap.add_argument("out")
ap.add_argument("--tab", default=None)
ap.add_argument("--click", default=None)
ap.add_argument("--wait", type=float, default=3)
ap.add_argument("--height", type=int, default=1100)
a = ap.parse_args()
with sync_playwright() as p:
    b = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu",
                          "--disable-background-networking", "--disable-component-update", "--no-first-run"])
    page = b.new_page(viewport={"width": 1400, "height": a.height})
    page.goto(a.url)
    page.wait_for_selector('[data-testid="stMain"]')
    time.sleep(a.wait)
    if a.tab:
        page.get_by_role("tab", name=a.tab).click()
        time.sleep(1.5)
    if a.click:
        page.get_by_role("button", name=a.click).click()
        time.sleep(a.wait)
    page.screenshot(path=a.out, full_page=True)
    b.close()
