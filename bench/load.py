"""Many students at once: start the app (`streamlit run Home.py`, headless, on a free port) and drive N concurrent
browser sessions with playwright + Debian's chromium. Each session opens every page from the sidebar, trains the
default DNN, queries the search page and asks the RAG page one question, all in ONE Streamlit session (sidebar
clicks, never a reload), then goes back to the DNN page to check its run is still there.

    python bench/load.py            # N = 1, 5, 20
    python bench/load.py --n 2      # a quick run

Prints, per N: errors, p95 page render time, p95 DNN train time, p95 RAG answer time, lost runs and the peak RSS
of the app's process tree. Goals at N=20 on a 2-core machine: 0 errors, nothing lost, peak RSS <= 6 GB.
"""
from __future__ import annotations

import argparse
import asyncio
import re
import sys
import time
from urllib.parse import urlparse

from _common import ROOT

from core.procs import PeakRSS
from tests.e2e.app_server import running_app
from ui.strings import EN, KO

# ---- every selector and label the bench relies on, in one place (pages are being restructured) ------------------
# Labels come from the string tables by key, in both languages, so a reworded or moved widget still matches.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
NAV_LINKS = '[data-testid="stSidebarNav"] a'
MAIN = '[data-testid="stMainBlockContainer"]'  # in both layouts (a page with chat messages has no "stMain")
RUNNING = '[data-testid="stStatusWidget"]'
EXCEPTION = '[data-testid="stException"]'
ERROR_BOX = '[data-testid="stAlertContentError"]'
CHAT_INPUT = '[data-testid="stChatInputTextArea"]'
PATHS = {"dnn": "dnn", "search": "search", "rag": "rag"}  # URL path of each page the bench works on
TRAIN_BUTTON = "vis.train"        # DNN page: start training
TRAINED = "vis.test_acc"          # shown once a run has finished and been analysed
SEARCH_BUILD = "search.build"     # search page: build the index (auto-built for the small default corpus)
SEARCH_QUERY = "search.query"
RAG_SOURCES = "rag.sources"       # shown with each RAG answer
RAG_QUESTION = "대통령의 임기는 몇 년인가?"
TRAIN_TIMEOUT_S, RAG_TIMEOUT_S, PAGE_TIMEOUT_S = 600, 600, 180


def label(key: str) -> re.Pattern:
    """The Korean or English text of a string key, as a pattern (icons and spacing around it allowed)."""
    return re.compile("|".join(re.escape(table[key]) for table in (KO, EN)))


async def settle(page, timeout_s: float = PAGE_TIMEOUT_S, quiet_s: float = 0.6) -> float:
    """Seconds until the script run finished (the running indicator gone for quiet_s); the quiet wait excluded."""
    start = time.perf_counter()
    await page.wait_for_selector(MAIN, timeout=timeout_s * 1000)
    quiet_since = None
    while time.perf_counter() - start < timeout_s:
        running = await page.locator(RUNNING).count() > 0
        now = time.perf_counter()
        quiet_since = None if running else (quiet_since or now)
        if quiet_since and now - quiet_since >= quiet_s:
            return quiet_since - start
        await page.wait_for_timeout(100)
    raise TimeoutError("page kept running")


async def errors_on(page, where: str, sink: list) -> None:
    for sel, kind in ((EXCEPTION, "exception"), (ERROR_BOX, "error box")):
        boxes = page.locator(sel)
        for i in range(await boxes.count()):
            sink.append(f"{where}: {kind}: {(await boxes.nth(i).inner_text())[:200]}")


async def appears(page, key: str, before: int, timeout_s: float) -> None:
    """Wait until more elements carry the text of `key` than `before` (attached, visible or not: a label can sit
    in a hidden tab or a collapsed expander, and an older copy may already be on the page)."""
    deadline = time.perf_counter() + timeout_s
    while await page.get_by_text(label(key)).count() <= before:
        if time.perf_counter() > deadline:
            raise TimeoutError(f"'{KO[key]}' did not appear in {timeout_s:.0f} s")
        await page.wait_for_timeout(500)


async def go(page, path: str) -> float:
    """Client-side navigation through the sidebar (a reload would start a new session); returns render seconds."""
    start = time.perf_counter()
    await page.locator(f'{NAV_LINKS}[href$="/{path}"]').first.click()
    await page.wait_for_url(re.compile(f"/{re.escape(path)}(\\?|$)"), timeout=PAGE_TIMEOUT_S * 1000)
    await settle(page)
    return time.perf_counter() - start


def log(i: int, step: str) -> str:
    """Each step as it starts (to stderr, so a slow or stuck run shows where it is); returns the step."""
    print(f"  [{time.strftime('%H:%M:%S')}] s{i}: {step}", file=sys.stderr, flush=True)
    return step


async def session(browser, url: str, i: int, out: dict) -> None:
    ctx = await browser.new_context(viewport={"width": 1400, "height": 1000})
    # the browsers run on the server's own cores here (20 chromiums on 2 cores): playwright's 30 s default would
    # time out the client, not the app
    ctx.set_default_timeout(PAGE_TIMEOUT_S * 1000)
    page = await ctx.new_page()
    errors, renders = out["errors"], out["render"]
    step = log(i, "open the app")
    try:
        await page.goto(url)
        renders.append(await settle(page))
        links = page.locator(NAV_LINKS)
        await links.first.wait_for(timeout=PAGE_TIMEOUT_S * 1000)
        paths = [urlparse(await links.nth(j).get_attribute("href")).path.strip("/")
                 for j in range(await links.count())]
        for path in paths:  # every page once (the home page, path '', is where the session started)
            if path:
                step = log(i, f"open /{path}")
                renders.append(await go(page, path))
                await errors_on(page, f"s{i} /{path}", errors)

        step = log(i, "train the DNN")
        await go(page, PATHS["dnn"])
        before = await page.get_by_text(label(TRAINED)).count()
        start = time.perf_counter()
        await page.get_by_role("button", name=label(TRAIN_BUTTON)).first.click()
        await appears(page, TRAINED, before, TRAIN_TIMEOUT_S)
        out["train"].append(time.perf_counter() - start)
        await errors_on(page, f"s{i} train", errors)

        step = log(i, "search")
        await go(page, PATHS["search"])
        build = page.get_by_role("button", name=label(SEARCH_BUILD))
        if await build.count() and await build.first.is_enabled():
            await build.first.click()
        await page.get_by_label(label(SEARCH_QUERY)).first.wait_for(timeout=PAGE_TIMEOUT_S * 1000)
        await settle(page)
        await errors_on(page, f"s{i} search", errors)

        step = log(i, "ask RAG")
        await go(page, PATHS["rag"])
        start = time.perf_counter()
        box = page.locator(CHAT_INPUT).first
        await box.wait_for(timeout=PAGE_TIMEOUT_S * 1000)
        before = await page.get_by_text(label(RAG_SOURCES)).count()
        await box.fill(RAG_QUESTION)
        await box.press("Enter")
        await appears(page, RAG_SOURCES, before, RAG_TIMEOUT_S)
        await settle(page, RAG_TIMEOUT_S)
        out["rag"].append(time.perf_counter() - start)
        await errors_on(page, f"s{i} rag", errors)

        step = log(i, "back to the DNN run")
        await go(page, PATHS["dnn"])  # the same session must still hold its finished run
        if not await page.get_by_text(label(TRAINED)).count():
            out["lost"].append(f"s{i}: DNN run gone after visiting other pages")
    except Exception as exc:  # a timeout or a missing widget is this session's error, not the bench's crash
        errors.append(f"s{i} ({step}): {type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
        await page.screenshot(path=str(out["shots"] / f"s{i}-failed.png"), full_page=True)
    finally:
        await ctx.close()


async def drive(url: str, n: int, shots) -> dict:
    from playwright.async_api import async_playwright

    out = {"errors": [], "render": [], "train": [], "rag": [], "lost": [], "shots": shots}
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            await asyncio.gather(*(session(browser, url, i, out) for i in range(n)))
        finally:
            await browser.close()
    return out


def p95(xs: list[float]) -> str:
    if not xs:
        return "-"
    xs = sorted(xs)
    return f"{xs[min(len(xs) - 1, int(0.95 * len(xs)))]:.1f} s"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, nargs="+", default=[1, 5, 20], help="concurrent sessions per round")
    args = ap.parse_args()
    logs = ROOT / "build" / "load"
    logs.mkdir(parents=True, exist_ok=True)
    print(f"{'N':>3} {'errors':>6} {'lost':>4} {'p95 page':>9} {'p95 train':>10} {'p95 RAG':>9} {'peak RSS':>9} "
          f"{'wall':>7}")
    for n in args.n:
        # a fresh app per N: RSS peaks do not carry over
        with running_app(120, log_path=logs / f"streamlit-n{n}.log") as (url, proc), PeakRSS(proc.pid) as sampler:
            start = time.perf_counter()
            out = asyncio.run(drive(url, n, logs))
        print(f"{n:>3} {len(out['errors']):>6} {len(out['lost']):>4} {p95(out['render']):>9} {p95(out['train']):>10} "
              f"{p95(out['rag']):>9} {sampler.peak / 2**30:>7.2f} GB {time.perf_counter() - start:>5.0f} s",
              flush=True)
        for line in out["errors"] + out["lost"]:
            print(f"      {line}")
    print(f"(server logs and screenshots of failed sessions: {logs})")


if __name__ == "__main__":
    main()
