"""The dashboard in a real browser: Debian's Chromium driven by Playwright.

Pages are checked with axe-core (from the npm registry, injected into each page)
against the WCAG 2.x A/AA rules, walked with the keyboard, and photographed into
test-artifacts/ for people to look at.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from helpers import read_csv

from sendwatch.settings import PROJECT_ROOT

CHROMIUM = Path("/usr/bin/chromium")
AXE = PROJECT_ROOT / "tests" / "browser" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
BROWSER_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def site(published: Path):
    """`sendwatch serve` over the published sample, on a free local port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "SENDWATCH_HOME": str(published / "home")}
    server = subprocess.Popen(
        [sys.executable, "-m", "sendwatch.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(60):
        try:
            urllib.request.urlopen(url, timeout=1)
            break
        except OSError:
            time.sleep(0.5)
    yield url
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    assert CHROMIUM.exists(), "scripts/test installs Debian's chromium"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=BROWSER_ARGS)
        yield chromium
        chromium.close()


def open_page(browser, url: str):
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page.goto(url)
    page.wait_for_selector("h1", timeout=30_000)
    page.wait_for_load_state("networkidle")
    return page


def test_every_page_has_no_wcag_aa_violations(site: str, browser, published: Path) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    urn = read_csv(published / "sample" / "register.csv")[0]["urn"]
    pages = {
        "overview": "/",
        "overview-filtered": "/?phase=primary&strength=must",
        "school": f"/school/{urn}",
        "check": "/check/reviews_on_time",
        "data": "/data",
        "context": "/context",
    }
    for name, path in pages.items():
        page = open_page(browser, site + path)
        page.add_script_tag(path=str(AXE))
        result = page.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_AA
        )
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        violations = [
            (v["id"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]
        ]
        assert violations == [], (name, violations)
        assert page.title().endswith("- sendwatch")
        page.close()


def test_overview_shows_red_schools_red_and_the_school_page_the_evidence(
    site: str, browser, published: Path
) -> None:
    flags = read_csv(published / "sample" / "ground_truth" / "duty_flags.csv")
    red = next(
        f
        for f in flags
        if f["expected_status"] == "red"
        and f["origin"] == "planted"
        and f["check_id"] != "return_received"
    )
    term = f"{red['academic_year']}%7C{red['term']}"
    page = open_page(browser, f"{site}/?term={term}&search={red['urn']}")
    cell = page.locator(f".ag-row [col-id='{red['check_id']}']").first
    assert cell.inner_text().startswith("✖ Red")
    page.get_by_role(
        "link",
        name=next(
            r["school_name"]
            for r in read_csv(published / "sample" / "register.csv")
            if r["urn"] == red["urn"]
        ),
    ).click()
    page.wait_for_url(f"**/school/{red['urn']}")
    page.wait_for_selector("h1")
    text = page.inner_text("main")
    assert "Red: may not be met" in text and "Code paragraph" in text
    page.close()
