"""How fast the dashboard answers: page load and callback latency, p50 and p95.

Serves a published sample with `sendwatch serve` (as a user would) and opens each
page repeatedly in Debian's Chromium. For every visit it records

* page load: from navigation until the page's content is shown (its heading,
  and the grid's rows or the chart where it has them): what an officer waits for;
* callback latency: each Dash callback request (``/_dash-update-component``: with
  Dash pages, the one that builds the page from the snapshot) from request to
  the end of its response.

The server and the browser each have half of the machine's cores (see
``separate_cores``), as they would on two machines.

Run on demand, not in the test suite; it prints figures and asserts nothing:

    uv run python benchmarks/dashboard.py                # BCP scale, six terms
    uv run python benchmarks/dashboard.py --england      # also England scale, one term
    uv run python benchmarks/dashboard.py --england --keep DIR   # keep the samples
    uv run python benchmarks/dashboard.py --home DIR/england/home  # measure one again

England scale builds its sample and refreshes it first (about half an hour here).
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from refresh import refresh

from sendwatch.browser import CHROMIUM, CHROMIUM_ARGS, served, sign_in
from sendwatch.generate import generate


def published_home(folder: Path, scale: str, terms: int) -> Path:
    """Generate a sample at ``scale`` and refresh it once; the published home."""
    sample, home = folder / "sample", folder / "home"
    started = time.perf_counter()
    generate(sample, None, seed=1, scale=scale, terms=terms)
    shutil.copytree(sample / "landing", home / "landing")
    shutil.copy(sample / "register.csv", folder / "register.csv")
    print(f"  generated in {time.perf_counter() - started:.0f} s", flush=True)
    seconds, peak_mb = refresh(home, folder / "register.csv")
    print(f"  refreshed in {seconds:.0f} s (peak {peak_mb:.0f} MB)", flush=True)
    return home


def pages_to_visit(register: Path) -> dict[str, tuple[str, str]]:
    """Page name -> (address, what is on screen when it has loaded)."""
    with register.open(encoding="utf-8") as file:
        school = next(csv.DictReader(file))
    return {
        "overview": ("/", ".ag-row"),
        "overview, primary, must": ("/?phase=primary&strength=must", ".ag-row"),
        "overview, search": (f"/?search={school['urn']}", ".ag-row"),
        "school": (f"/school/{school['urn']}", "main table"),
        "check": ("/check/reviews_on_time", "main .main-svg"),
        "data": ("/data", "main table"),
        "LA context": ("/context", "main table"),
        "SENDIASS enquiries": ("/sendiass", "main .main-svg"),
        "SENDIASS, an earlier term": ("/sendiass?term=2024-25%7Cspring", "main .main-svg"),
        "commissioning": ("/commissioning", "main .main-svg"),
        "early warning": ("/early-warning", "main table"),
    }


def measure(
    url: str, pages: dict[str, tuple[str, str]], visits: int, account: tuple[str, str]
) -> dict[str, dict[str, list[float]]]:
    from playwright.sync_api import sync_playwright

    figures: dict[str, dict[str, list[float]]] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        signed_in = browser.new_context(viewport={"width": 1400, "height": 1000})
        first = signed_in.new_page()
        sign_in(first, url, *account)  # once: its session cookie serves every visit
        first.close()
        for name, (path, shown) in pages.items():
            loads: list[float] = []
            callbacks: list[float] = []
            for _visit in range(visits + 1):  # the first visit warms caches; not counted
                page = signed_in.new_page()
                timings: list[float] = []
                page.on(
                    "requestfinished",
                    lambda request, timings=timings: (
                        timings.append(request.timing["responseEnd"])
                        if "_dash-update-component" in request.url
                        else None
                    ),
                )
                started = time.perf_counter()
                page.goto(url + path, timeout=600_000)
                page.wait_for_selector(shown, timeout=600_000)
                elapsed = (time.perf_counter() - started) * 1000
                page.close()
                if _visit:
                    loads.append(elapsed)
                    callbacks.extend(timings)
            figures[name] = {"load": loads, "callback": callbacks}
        browser.close()
    return figures


def percentile(values: list[float], share: float) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(share * 100) - 1]


def report(scale: str, figures: dict[str, dict[str, list[float]]]) -> None:
    print(f"\n{scale}: milliseconds, p50 / p95")
    print(f"  {'page':<26}{'page load':>22}{'callbacks':>22}")
    for name, found in figures.items():
        load, callback = found["load"], found["callback"]
        print(
            f"  {name:<26}"
            f"{percentile(load, 0.5):>10.0f} / {percentile(load, 0.95):>7.0f}"
            f"{percentile(callback, 0.5):>12.0f} / {percentile(callback, 0.95):>7.0f}"
            f"   ({len(load)} loads, {len(callback)} callbacks)"
        )


def benchmark_account(home: Path) -> tuple[str, str]:
    """An LA officer account in ``home`` for the benchmark, with a fresh password."""
    from sendwatch.access.users import UserStore
    from sendwatch.settings import load_settings

    store = UserStore.for_settings(load_settings({"SENDWATCH_HOME": str(home)}))
    if store.get("benchmark") is None:
        return "benchmark", store.add("benchmark", "la_officer")
    return "benchmark", store.set_password("benchmark")


def separate_cores() -> tuple[set[int], set[int]]:
    """This machine's cores in two halves: one for the server, one for the browser.

    In use the browser runs on an officer's own computer, not beside the server; on one
    machine, Chromium compiling its scripts at the start of every page would take the
    server's core away just as the page's callback arrives, and the callback's time
    would measure the benchmark, not sendwatch.
    """
    cores = sorted(os.sched_getaffinity(0))
    if len(cores) < 2:
        return set(cores), set(cores)
    return set(cores[: len(cores) // 2]), set(cores[len(cores) // 2 :])


def run(scale: str, home: Path, register: Path, visits: int) -> None:
    account = benchmark_account(home)
    everything = os.sched_getaffinity(0)
    server_cores, browser_cores = separate_cores()
    os.sched_setaffinity(0, server_cores)  # the server started now inherits these
    try:
        with served(home) as url:
            os.sched_setaffinity(0, browser_cores)  # and Chromium, launched next, these
            report(scale, measure(url, pages_to_visit(register), visits, account))
    finally:
        os.sched_setaffinity(0, everything)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--england", action="store_true", help="also England scale, one term")
    parser.add_argument("--home", type=Path, help="measure this published home only")
    parser.add_argument(
        "--register", type=Path, help="its register (default: register.csv beside it)"
    )
    parser.add_argument("--visits", type=int, default=20, help="visits to each page")
    parser.add_argument(
        "--keep", type=Path, help="build the samples in this folder and keep them (for --home)"
    )
    arguments = parser.parse_args()
    if arguments.home:
        register = arguments.register or arguments.home.parent / "register.csv"
        run(str(arguments.home), arguments.home, register, arguments.visits)
        return
    scales = [("BCP scale, six terms", "bcp", 6)]
    if arguments.england:
        scales.append(("England scale, one term", "england", 1))
    for label, scale, terms in scales:
        with tempfile.TemporaryDirectory() as temporary:
            folder = arguments.keep / scale if arguments.keep else Path(temporary)
            print(f"{label}: building a published sample in {folder}", flush=True)
            home = published_home(folder, scale, terms)
            run(label, home, folder / "register.csv", arguments.visits)


if __name__ == "__main__":
    main()
