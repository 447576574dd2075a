"""The dashboard in a real browser: Debian's Chromium driven by Playwright, signed in.

Pages are checked with axe-core (from the npm registry, evaluated in each page: the
content security policy refuses an added script tag) against the WCAG 2.x A/AA rules,
walked with the keyboard, and photographed into test-artifacts/ for people to look at.
Each role signs in once, through the real sign-in page, as one of the published home's
accounts (tests/conftest.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import read_csv

from sendwatch.access import roles
from sendwatch.browser import CHROMIUM, CHROMIUM_ARGS, served, sign_in
from sendwatch.settings import PROJECT_ROOT

AXE = PROJECT_ROOT / "tests" / "browser" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
VIEWPORT = {"width": 1400, "height": 1000}


@pytest.fixture(scope="module")
def site(published: Path):
    """`sendwatch serve` over the published sample, on a free local port."""
    with served(published / "home") as url:
        yield url


@pytest.fixture(scope="module")
def chromium():
    from playwright.sync_api import sync_playwright

    assert CHROMIUM.exists(), "scripts/test installs Debian's chromium"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def browser(chromium, site: str, accounts: dict[str, roles.Viewer], password: str):
    """A browser signed in as the LA officer (a Playwright context: its pages share it)."""
    context = chromium.new_context(viewport=VIEWPORT, accept_downloads=True)
    page = context.new_page()
    sign_in(page, site, accounts[roles.LA_OFFICER].name, password)
    page.close()
    yield context
    context.close()


def open_page(browser, url: str):
    page = browser.new_page()
    page.goto(url)
    page.wait_for_selector("h1", timeout=30_000)
    page.wait_for_load_state("networkidle")
    return page


def axe_violations(page) -> list:
    """axe-core's WCAG 2.x A/AA violations on the page: (rule, first few elements)."""
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_AA
    )
    return [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]]


def test_every_page_has_no_wcag_aa_violations(
    site: str, browser, chromium, published: Path
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    # the sign-in page, as a stranger sees it
    stranger = chromium.new_context(viewport=VIEWPORT)
    page = stranger.new_page()
    page.goto(f"{site}/")
    page.wait_for_selector("h1")
    assert page.url == f"{site}/sign-in?next=/"
    page.screenshot(path=str(ARTIFACTS / "sign-in.png"), full_page=True)
    assert axe_violations(page) == [], "sign-in"
    stranger.close()

    urn = read_csv(published / "sample" / "register.csv")[0]["urn"]
    pages = {
        "overview": "/",
        "overview-filtered": "/?phase=primary&strength=must",
        "school": f"/school/{urn}",
        "check": "/check/reviews_on_time",
        "data": "/data",
        "context": "/context",
        "sendiass": "/sendiass",
        "commissioning": "/commissioning",
        "early-warning": "/early-warning",
    }
    for name, path in pages.items():
        page = open_page(browser, site + path)
        violations = axe_violations(page)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        assert violations == [], (name, violations)
        assert page.title().endswith("- sendwatch")
        page.close()


def grid_statuses(page) -> dict[str, dict[str, str]]:
    """What the overview grid shows: URN -> check -> the cell's text."""
    shown: dict[str, dict[str, str]] = {}
    for row in page.locator(".ag-center-cols-container .ag-row").all():
        cells = {
            cell.get_attribute("col-id"): cell.inner_text().strip()
            for cell in row.locator(".ag-cell").all()
        }
        shown[cells.pop("urn")] = cells
    return shown


def school_name(published: Path, urn: str) -> str:
    return next(r["school_name"] for r in read_csv(published / "sample" / "register.csv")
                if r["urn"] == urn)  # fmt: skip


def test_overview_grid_shows_every_status_of_every_term_as_the_ground_truth(
    site: str, browser, published: Path
) -> None:
    """Every cell of the grid, in every term, in words and symbol: the status the
    generator's independent oracle worked out from the rows it wrote."""
    from dashboards.components import status_text

    expected: dict[tuple[str, str], dict[str, dict[str, str]]] = {}
    for row in read_csv(published / "sample" / "ground_truth" / "duty_statuses.csv"):
        term = (row["academic_year"], row["term"])
        cells = expected.setdefault(term, {}).setdefault(row["urn"], {})
        cells[row["check_id"]] = status_text(row["expected_status"])
    assert len(expected) >= 3
    page = open_page(browser, site)
    for (year, term), schools in expected.items():
        page.goto(f"{site}/?term={year}%7C{term}")
        page.wait_for_selector(".ag-row")
        assert grid_statuses(page) == schools, (year, term)
    page.close()
    every = [
        c for schools in expected.values() for cells in schools.values() for c in cells.values()
    ]
    assert {"✖ Red: may not be met", "▲ Amber: may not be fully met", "✔ Green"} <= set(every)


def test_the_school_page_shows_the_planted_evidence_and_paragraph(
    site: str, browser, published: Path
) -> None:
    from dashboards import data

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
    found = page.locator("#found-list")  # the school leads the first screen
    found.get_by_role("link", name=school_name(published, red["urn"])).click()
    page.wait_for_url(f"**/school/{red['urn']}?term={term}")
    page.wait_for_selector("h1")
    expected = (
        data.school_checks(data.LA_OFFICER, red["urn"])
        .query(
            "academic_year == @red['academic_year'] and term == @red['term'] "
            "and check_id == @red['check_id']"
        )
        .iloc[0]
    )
    row = page.locator("table.govuk-table tbody tr", has_text=expected["title"]).first
    title, _strength, paragraph, status, evidence, *_ = row.locator("td").all_inner_texts()
    assert (title, paragraph) == (expected["title"], expected["paragraph"])
    assert status.startswith("✖ Red: may not be met")
    assert evidence == expected["evidence"] and evidence
    page.close()


def test_an_export_downloads_exactly_the_filtered_rows(site: str, browser) -> None:
    page = open_page(browser, f"{site}/?term=2024-25%7Cspring&phase=primary&strength=must")
    schools = set(grid_statuses(page))
    checks = page.locator(".ag-header-cell[col-id]").count() - 2  # less school and URN
    with page.expect_download() as download:
        page.get_by_role("link", name="Download this table (CSV)").click()
    rows = read_csv(Path(download.value.path()))
    assert download.value.suggested_filename == "sendwatch-2024-25-spring.csv"
    assert {r["urn"] for r in rows} == schools and len(rows) == len(schools) * checks > 0
    assert {(r["term"], r["strength"]) for r in rows} == {("spring", "must")}
    page.close()


def test_the_keyboard_alone_gets_from_the_overview_to_a_school_to_an_export(
    site: str, browser, published: Path
) -> None:
    urn = read_csv(published / "sample" / "register.csv")[0]["urn"]
    page = open_page(browser, f"{site}/?search={urn}")
    focused = "() => [document.activeElement.getAttribute('col-id'), "
    focused += "document.activeElement.className, document.activeElement.innerText]"
    for _ in range(80):
        page.keyboard.press("Tab")
        column, classes, _text = page.evaluate(focused)
        if column == "school" and "ag-cell" in classes:
            break
    else:
        raise AssertionError("Tab never reached the school's link in the grid")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/school/{urn}?*")
    page.wait_for_selector("h1")
    for _ in range(40):
        page.keyboard.press("Tab")
        *_, text = page.evaluate(focused)
        if text.startswith("Download checks for") and text.endswith("(CSV)"):
            break
    else:
        raise AssertionError("Tab never reached the school's download link")
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    rows = read_csv(Path(download.value.path()))
    assert rows and set(rows[0]) >= {"Check", "Status", "Evidence"}
    page.close()


def test_the_keyboard_alone_walks_the_sendiass_and_commissioning_pages(
    site: str, browser, published: Path
) -> None:
    """From the SENDIASS page, Tab reaches an earlier term and Enter opens it, then a
    download of that term's enquiry rates; on the commissioning page, a download of the
    needs table. Each download holds the table's rows under its headings."""
    focused = "() => document.activeElement.innerText"

    def tab_to(page, wanted, limit: int = 120) -> None:
        for _ in range(limit):
            page.keyboard.press("Tab")
            if wanted(page.evaluate(focused) or ""):
                return
        raise AssertionError(f"Tab never reached it on {page.url}")

    page = open_page(browser, f"{site}/sendiass")
    tab_to(page, lambda text: text == "Spring 2024-25")
    page.keyboard.press("Enter")
    page.wait_for_url("**/sendiass?term=2024-25%7Cspring")
    page.wait_for_selector("main h1")
    assert "spring 2024-25" in page.locator("main").inner_text()
    tab_to(page, lambda text: text.startswith("Download enquiries by locality") and "CSV" in text)
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    rows = read_csv(Path(download.value.path()))
    assert rows and set(rows[0]) >= {"Locality", "Enquiries", "Complaints"}
    page.close()

    page = open_page(browser, f"{site}/commissioning")
    tab_to(page, lambda text: text.startswith("Download pupils by primary need") and "CSV" in text)
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    rows = read_csv(Path(download.value.path()))
    assert rows and set(rows[0]) == {"Primary need", "On SEN support", "With an EHC plan"}
    page.close()


def test_overview_first_screen_leads_with_every_red_school_and_its_duties(
    site: str, browser, published: Path
) -> None:
    """At 1366x900, with no scrolling: every school with a red must or should duty,
    its red duties named in words; the headline figures follow a locality filter."""
    catalogue = {r["check_id"]: r for r in read_csv(PROJECT_ROOT / "seeds" / "duty_checks.csv")}
    flags = [
        f for f in read_csv(published / "sample" / "ground_truth" / "duty_flags.csv")
        if f["expected_status"] == "red" and catalogue[f["check_id"]]["strength"] != "signal"
    ]  # fmt: skip
    terms = {(f["academic_year"], f["term"]) for f in flags}
    term = max(
        terms, key=lambda t: len({f["urn"] for f in flags if (f["academic_year"], f["term"]) == t})
    )
    red = [f for f in flags if (f["academic_year"], f["term"]) == term]
    assert len({f["urn"] for f in red}) >= 2
    page = browser.new_page()
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"{site}/?term={term[0]}%7C{term[1]}")
    page.wait_for_selector("#found-list")
    for flag in red:
        item = page.locator(f"#found-list > li[data-urn='{flag['urn']}']")
        box = item.bounding_box()
        assert box is not None and box["y"] + box["height"] <= 900, (flag, box)
        title = catalogue[flag["check_id"]]["title"]
        assert f"{title} (" in item.inner_text() and "red)" in item.inner_text(), flag
    # worst first: the first school listed has a red duty
    first = page.locator("#found-list > li").first.get_attribute("data-urn")
    assert first in {f["urn"] for f in red}
    everyone = page.locator("#headline-0 .card-value").inner_text()
    register = read_csv(published / "sample" / "register.csv")
    locality = register[0]["locality"]
    page.goto(f"{site}/?term={term[0]}%7C{term[1]}&locality={locality}")
    page.wait_for_selector("#found-heading")
    there = page.locator("#headline-0 .card-value").inner_text()
    from dashboards import data

    expected = data.school_statuses(data.LA_OFFICER, data.Filters(*term, locality=locality))
    assert int(there) == len(expected) < int(everyone)
    assert set(expected["locality"]) == {locality}
    page.close()


def test_each_role_opens_only_its_pages_and_sees_only_them_listed(
    site: str, chromium, published: Path, accounts: dict[str, roles.Viewer], password: str
) -> None:
    """Every role x every page, in Chromium: a page the role may open (roles.PAGES, and
    for a school account its own school only) renders its heading; any other is the 403
    page, with no school's name in it. The header lists exactly the pages the role may
    open that have an address of their own (and a school account's school)."""
    register = read_csv(published / "sample" / "register.csv")
    names = [row["school_name"] for row in register]
    urn, other = register[0]["urn"], register[1]["urn"]
    catalogue = {r["check_id"]: r for r in read_csv(PROJECT_ROOT / "seeds" / "duty_checks.csv")}
    # path -> (page, its heading when it opens)
    paths = {
        "/": ("overview", "Which schools, which duties"),
        f"/school/{urn}": ("school", f"{register[0]['school_name']} ({urn})"),
        f"/school/{other}": ("school", f"{register[1]['school_name']} ({other})"),
        "/check/reviews_on_time": ("check", catalogue["reviews_on_time"]["title"]),
        "/data": ("data_status", "Data and refresh"),
        "/context": ("context", "LA context"),
        "/sendiass": ("sendiass", "SENDIASS enquiries"),
        "/commissioning": ("commissioning", "Commissioning"),
        "/early-warning": ("early_warning", "Early warning"),
    }
    if (PROJECT_ROOT / "dashboards" / "pages" / "admin.py").exists():
        paths["/admin"] = ("admin", "Administration")
    # pages with fixed addresses
    listed = {"/", "/sendiass", "/commissioning", "/early-warning", "/data", "/context", "/admin"}
    listed &= set(paths)

    for role, viewer in accounts.items():
        context = chromium.new_context(viewport=VIEWPORT)
        page = context.new_page()
        sign_in(page, site, viewer.name, password)
        page.wait_for_selector("header nav")
        navigation = {link.get_attribute("href") for link in page.locator("header nav a").all()}
        expected = {path for path in listed if role in roles.PAGES[paths[path][0]]}
        if role == roles.SCHOOL:
            expected |= {f"/school/{own}" for own in viewer.urns}
        assert navigation == expected, role
        assert f"Signed in as {viewer.name}" in page.locator("header").inner_text()

        for path, (name, heading) in paths.items():
            asked_urn = path.removeprefix("/school/") if name == "school" else None
            allowed = role in roles.PAGES[name] and (
                asked_urn is None or roles.may_see_school(viewer, asked_urn)
            )
            response = page.goto(site + path)
            if allowed:
                assert response.status == 200, (role, path)
                page.wait_for_selector("main h1", timeout=30_000)
                assert page.locator("main h1").inner_text() == heading, (role, path)
            else:
                assert response.status == 403, (role, path)
                assert page.locator("h1").inner_text() == "You cannot open this page"
                text = page.content()
                assert not [school for school in names if school in text], (role, path)

        page.goto(f"{site}/context" if role in roles.PAGES["context"] else f"{site}/sign-in")
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_url(f"{site}/sign-in")
        assert page.goto(f"{site}/context").url.startswith(f"{site}/sign-in?next=")
        context.close()
