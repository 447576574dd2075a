"""The dashboard's data layer, pages and routes, on a real published snapshot, signed in.

Every request goes through the real sign-in form (the page, its CSRF token, a POST) as
one of the published home's accounts (tests/conftest.py); a page's layout is called in a
request signed in the same way.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

import pytest
from helpers import read_csv, rebuilt_with_seed

import dashboards.app  # the pages register themselves on the app
from sendwatch.access import roles

server = dashboards.app.server


def page(name: str) -> ModuleType:
    """A page module exactly as Dash registered it (importing it again would register twice)."""
    return sys.modules[f"pages.{name}"]


def signed_in(viewer: roles.Viewer, password: str):
    """A test client signed in as ``viewer``'s account through the sign-in page."""
    client = server.test_client()
    form = client.get("/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)
    answer = client.post(
        "/sign-in", data={"csrf_token": token, "username": viewer.name, "password": password}
    )
    assert (answer.status_code, answer.headers["Location"]) == (302, roles.home_page(viewer))
    return client


@pytest.fixture
def officer(accounts: dict[str, roles.Viewer], password: str):
    """A client signed in as the LA officer."""
    return signed_in(accounts[roles.LA_OFFICER], password)


@contextmanager
def viewing_as(client) -> Iterator[None]:
    """A request signed in as ``client``'s account, for calling a page's layout directly."""
    name = server.config["SESSION_COOKIE_NAME"]
    cookie = client.get_cookie(name).value
    with server.test_request_context("/", headers={"Cookie": f"{name}={cookie}"}):
        yield


@pytest.fixture
def as_officer(officer) -> Iterator[None]:
    with viewing_as(officer):
        yield


def audit_events(action: str, after: int = 0) -> list[dict]:
    """The audit log's events of one kind (newest first), those after event ``after`` only."""
    from sendwatch.access import audit
    from sendwatch.settings import load_settings

    events = audit.events(load_settings()).to_dict("records")
    return [e for e in events if e["action"] == action and e["id"] > after]


def last_event() -> int:
    from sendwatch.access import audit
    from sendwatch.settings import load_settings

    newest = audit.events(load_settings(), limit=1)
    return int(newest["id"].iloc[0]) if len(newest) else 0


@contextmanager
def serving_instead(settings, built: Path, scratch: Path) -> Iterator[None]:
    """Serve ``built`` for the length of a block, then put the night's published folder
    back exactly (its snapshot and Data Docs), so no later test reads this one's."""
    import shutil

    from sendwatch.pipeline.publish import publish_snapshot
    from sendwatch.snapshots import published_folder

    folder = published_folder(settings)
    kept = scratch / "published-as-it-was"
    shutil.copytree(folder, kept)
    publish_snapshot(settings, built, "test-" + built.stem)
    try:
        yield
    finally:
        shutil.rmtree(folder)
        shutil.copytree(kept, folder)


def test_grid_shows_every_red_in_words_and_symbol(published: Path) -> None:
    from dashboards import data
    from dashboards.filters import filters_from

    overview = page("overview")

    flags = read_csv(published / "sample" / "ground_truth" / "duty_flags.csv")
    for flag in [f for f in flags if f["expected_status"] == "red"][:15]:
        term = f"{flag['academic_year']}|{flag['term']}"
        rows, _ = overview.grid_rows(
            data.LA_OFFICER, filters_from({"term": term, "search": flag["urn"]}, data.LA_OFFICER)
        )
        assert len(rows) == 1
        assert rows[0][flag["check_id"]] == "✖ Red: may not be met"
        assert rows[0]["school"].endswith(
            f"(/school/{flag['urn']}?term={term.replace('|', '%7C')})"
        )


def test_a_clean_school_is_green(published: Path) -> None:
    from dashboards import data
    from dashboards.components import status_text
    from dashboards.filters import filters_from

    overview = page("overview")

    flags = read_csv(published / "sample" / "ground_truth" / "duty_flags.csv")
    flagged = {(f["urn"], f["academic_year"], f["term"]) for f in flags}
    register = [r["urn"] for r in read_csv(published / "sample" / "register.csv")]
    urn = next(u for u in register if (u, "2024-25", "autumn") not in flagged)
    query = {"term": "2024-25|autumn", "strength": "must", "search": urn}
    rows, checks = overview.grid_rows(data.LA_OFFICER, filters_from(query, data.LA_OFFICER))
    assert {rows[0][c] for c in checks} <= {status_text("green"), status_text("not_applicable")}


def test_filters_narrow_the_grid_and_worst_comes_first(published: Path) -> None:
    from dashboards import data
    from dashboards.filters import address, filters_from

    overview = page("overview")

    everything = data.school_grid(data.LA_OFFICER, data.Filters("2024-25", "autumn"))
    primary = data.school_grid(data.LA_OFFICER, data.Filters("2024-25", "autumn", phase="primary"))
    assert 0 < len(primary) < len(everything)
    assert set(primary["phase"]) == {"primary"}
    assert list(everything["attention_rank"]) == sorted(everything["attention_rank"])
    signals = data.duty_checks(
        data.LA_OFFICER, data.Filters("2024-25", "autumn", strength="signal")
    )
    assert set(signals["strength"]) == {"signal"}
    nothing = filters_from({"term": "2024-25|autumn", "search": "no such school"}, data.LA_OFFICER)
    assert overview.grid_rows(data.LA_OFFICER, nothing)[0] == []
    # with no term asked for: the newest term any school has sent a return for (the
    # sample's three terms are 2024-25; 2025-26 is in the term dates, with no returns yet)
    newest = filters_from({}, data.LA_OFFICER)
    assert (newest.academic_year, newest.term) == ("2024-25", "summer")
    link = address({"term": "2024-25|autumn", "phase": "primary"}, strength="must")
    assert link == "/?term=2024-25%7Cautumn&phase=primary&strength=must"


def test_search_text_is_a_parameter_never_sql(published: Path) -> None:
    from dashboards import data

    hostile = "'; drop table dim_school; --"
    assert data.duty_checks(data.LA_OFFICER, data.Filters(search=hostile)).empty
    assert data.school_grid(data.LA_OFFICER, data.Filters("2024-25", "autumn")).shape[0] > 0


def test_export_downloads_exactly_the_filtered_rows(published: Path, officer) -> None:
    import io

    import pandas as pd
    from openpyxl import load_workbook

    from dashboards import data

    client = officer
    query = "term=2024-25%7Cspring&phase=primary&strength=must"
    response = client.get(f"/export/duties.csv?{query}")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].endswith('.csv"')
    exported = pd.read_csv(io.BytesIO(response.data), dtype=str)
    expected = data.duty_checks(
        data.LA_OFFICER, data.Filters("2024-25", "spring", phase="primary", strength="must")
    )
    assert len(exported) == len(expected) > 0
    assert set(exported["strength"]) == {"must"} and set(exported["term"]) == {"spring"}
    workbook = client.get(f"/export/duties.xlsx?{query}").data
    sheet = load_workbook(io.BytesIO(workbook))["sendwatch"]
    assert sheet.max_row == len(expected) + 1
    assert client.get("/export/duties.exe").status_code == 404


def test_every_table_downloads_as_shown(published: Path, officer) -> None:
    import io
    from urllib.parse import parse_qsl

    import pandas as pd
    from openpyxl import load_workbook

    from dashboards import data
    from dashboards.components import EXPORTABLE_TABLES
    from sendwatch.exports import table_bytes

    client = officer
    urn = read_csv(published / "sample" / "register.csv")[0]["urn"]
    school = page("school")
    shown = school.checks_table(data.LA_OFFICER, {"urn": urn, "term": "2024-25|spring"})
    response = client.get(f"/export/table/school-checks.csv?urn={urn}&term=2024-25%7Cspring")
    assert response.status_code == 200
    exported = pd.read_csv(io.BytesIO(response.data), dtype=str, keep_default_na=False)
    assert list(exported.columns) == list(shown.columns.values())
    assert len(exported) == len(shown.frame) == len(data.catalogue(data.LA_OFFICER))
    assert set(exported["Status"]) == set(shown.frame["status"])
    assert "spring 2024-25" in shown.caption
    trend = client.get(f"/export/table/school-trend.xlsx?urn={urn}").data
    assert load_workbook(io.BytesIO(trend))["sendwatch"]["A1"].value == "Check"
    checked_above = {"school-checks", "school-trend"}
    for name, query in export_queries(published, urn).items():
        if name in checked_above or name.startswith("admin-"):  # not an officer's to open
            continue

        response = client.get(f"/export/table/{name}.csv?{query}")
        assert response.status_code == 200, name
        exported = pd.read_csv(io.BytesIO(response.data), dtype=str, keep_default_na=False)
        shown = EXPORTABLE_TABLES[name](data.LA_OFFICER, dict(parse_qsl(query))).as_shown()
        expected = pd.read_csv(
            io.BytesIO(table_bytes(shown, "csv")), dtype=str, keep_default_na=False
        )
        assert list(exported.columns) == list(shown.columns), name
        # each download holds exactly the rows and columns the page shows; on this small
        # sample the fitted models may find too little to show
        assert len(exported) == len(shown), name
        assert len(shown) > 0 or name in MAY_BE_EMPTY, name
        assert exported.equals(expected), name
    assert client.get("/export/table/school-checks.csv?urn=999999").status_code == 404
    assert client.get("/export/table/no-such-table.csv").status_code == 404
    assert client.get(f"/export/table/school-checks.exe?urn={urn}").status_code == 404


def test_the_data_page_reports_the_last_nights_tests_and_gates(published: Path, as_officer) -> None:
    from datetime import timedelta

    from dashboards import data

    data_status = page("data_status")

    last = data.last_run(data.LA_OFFICER)
    assert last["status"] == "success"
    checks = data.run_checks(data.LA_OFFICER, last["run_id"])
    tools = set(checks["tool"])
    assert {"dbt test", "Great Expectations"} <= tools
    assert "dbt unit test" not in tools  # the models' logic is the suite's job, not the night's
    assert set(checks["outcome"]) == {"pass"}
    suites = set(checks.loc[checks["tool"] == "Great Expectations", "check"])
    assert any(s.startswith("raw_pupil_returns") for s in suites)
    assert any(s.startswith("fct_duty_checks") for s in suites)
    text = str(data_status.layout())
    assert "Great Expectations:" in text and "dbt test:" in text
    assert "href='/school/" in str(data_status.layout(show="all"))  # schools open their page
    autumn = {"term": "2024-25|autumn"}
    chasing = data_status.returns_table(data.LA_OFFICER, autumn).frame
    every = data_status.returns_table(data.LA_OFFICER, autumn | {"show": "all"}).frame
    assert "on_time" in set(every["return_status"]) and "on_time" not in set(
        chasing["return_status"]
    )
    assert len(chasing) == (every["return_status"] != "on_time").sum()
    newest = data_status.quarantine_table(data.LA_OFFICER, {})
    assert len(newest.frame) == min(data.quarantined_count(data.LA_OFFICER), 100) > 0
    assert data_status.describe_age(timedelta(minutes=5)) == "less than an hour ago"
    assert data_status.describe_age(timedelta(hours=30)) == "30 hours ago"
    assert data_status.describe_age(timedelta(days=3)) == "3 days ago"


def test_every_page_renders_with_headings_and_captions(published: Path, as_officer) -> None:
    check, context, data_status, overview, school = (
        page(n) for n in ("check", "context", "data_status", "overview", "school")
    )

    urn = read_csv(published / "sample" / "register.csv")[0]["urn"]
    pages = {
        "overview": overview.layout(phase="primary"),
        "school": school.layout(urn=urn),
        "check": check.layout(check_id="reviews_on_time"),
        "data": data_status.layout(),
        "context": context.layout(),
        "sendiass": page("sendiass").layout(),
        "early_warning": page("early_warning").layout(),
        "commissioning": page("commissioning").layout(),
    }
    from dashboards import data

    # on this small sample the early warning has too little to learn from: it says so
    fitted = not data.early_warning_backtest(data.LA_OFFICER).empty
    for name, rendered in pages.items():
        text = str(rendered)
        assert "H1(" in text, name
        if name == "early_warning" and not fitted:
            assert "No early warning yet" in text
        elif name != "overview":
            assert "Caption(" in text and "scope='col'" in text, name
    assert "aria-current" in str(pages["overview"])
    assert "Print a visit brief" in str(pages["school"])
    assert "Sample LA (BCP figures)" in str(pages["context"])
    viewed = audit_events("view_school")[0]  # newest first
    assert (viewed["username"], viewed["role"], viewed["target"]) == (
        "la_officer",
        "la_officer",
        urn,
    )


def test_a_newly_published_snapshot_is_read_without_a_restart(
    published: Path, tmp_path: Path
) -> None:
    import shutil

    import duckdb

    from dashboards import data
    from sendwatch.settings import load_settings
    from sendwatch.snapshots import current_snapshot

    settings = load_settings()
    before = data.refresh_status(data.LA_OFFICER)["returns_loaded"]
    changed = tmp_path / "changed.duckdb"
    shutil.copyfile(current_snapshot(settings), changed)
    with duckdb.connect(str(changed)) as connection:
        connection.execute("update fct_nightly_runs set returns_loaded = returns_loaded + 1000")
    with serving_instead(settings, changed, tmp_path):
        assert data.refresh_status(data.LA_OFFICER)["returns_loaded"] == before + 1000
    assert data.refresh_status(data.LA_OFFICER)["returns_loaded"] == before


def test_a_page_reads_one_night_even_if_the_next_is_published_meanwhile(
    published: Path, tmp_path: Path
) -> None:
    """A request keeps the snapshot it started with, so every table on one page comes
    from the same night; the next request reads the newly published one."""
    import shutil

    import duckdb

    from dashboards import data
    from sendwatch.settings import load_settings
    from sendwatch.snapshots import current_snapshot

    settings = load_settings()
    changed = tmp_path / "changed.duckdb"
    shutil.copyfile(current_snapshot(settings), changed)
    with duckdb.connect(str(changed)) as connection:
        connection.execute("update fct_nightly_runs set returns_loaded = returns_loaded + 1000")
    request = server.test_request_context("/")
    request.push()
    try:
        before = data.refresh_status(data.LA_OFFICER)["returns_loaded"]
        with serving_instead(settings, changed, tmp_path):
            assert data.refresh_status(data.LA_OFFICER)["returns_loaded"] == before
            request.pop()
            request = None
            with server.test_request_context("/"):
                assert data.refresh_status(data.LA_OFFICER)["returns_loaded"] == before + 1000
    finally:
        if request is not None:
            request.pop()


def test_a_failed_night_is_announced_on_the_data_page(published: Path, as_officer) -> None:
    import json

    data_status = page("data_status")

    history = published / "home" / "runs" / "history.jsonl"
    kept = history.read_text(encoding="utf-8")
    failed = {
        "run_id": "scheduled__2026-12-01T02:00:00+00:00",
        "status": "failed",
        "failure": {"step": "build", "error": "RuntimeError: dbt build failed (1 failing)"},
    }
    history.write_text(kept + json.dumps(failed) + "\n", encoding="utf-8")
    try:
        text = str(data_status.layout())
    finally:
        history.write_text(kept, encoding="utf-8")
    assert "Alert(" in text  # dash-bootstrap-components' alert: role=alert in the page
    assert "failed in build: RuntimeError: dbt build failed (1 failing)" in text
    assert "Last successful refresh" in text
    assert "No night has run yet" not in text


def test_the_status_seed_orders_the_overview_and_decides_a_schools_status(
    published: Path, tmp_path: Path
) -> None:
    """Make amber more severe than red in seeds/statuses.csv and rebuild: the ranking
    and each school's overall status follow, with no code edited."""

    from dashboards import data
    from sendwatch.settings import load_settings
    from sendwatch.snapshots import current_snapshot

    school = page("school")
    settings = load_settings()
    term = next(  # a term with schools at red and at amber overall
        f for t in data.terms(data.LA_OFFICER).itertuples()
        if {"red", "amber"} <= set(
            data.school_grid(data.LA_OFFICER, f := data.Filters(t.academic_year, t.term))[
                "overall_status"]
        )
    )  # fmt: skip
    before = data.school_grid(data.LA_OFFICER, term)

    def swap_red_and_amber(rows: list[dict[str, str]]) -> None:
        severity = {row["status"]: row["severity"] for row in rows}
        for row in rows:
            swapped = {"red": severity["amber"], "amber": severity["red"]}
            row["severity"] = swapped.get(row["status"], row["severity"])

    reordered = rebuilt_with_seed(
        current_snapshot(settings), tmp_path, "statuses", swap_red_and_amber, "statuses+"
    )
    with serving_instead(settings, reordered, tmp_path):
        after = data.school_grid(data.LA_OFFICER, term)
        assert list(after["urn"]) != list(before["urn"])
        duty_columns = [c for c in after.columns if c in _duties()]
        flagged = [set(row[duty_columns]) & {"red", "amber"} for _, row in after.iterrows()]
        # amber is now the more severe: it decides the overall status, and ranks first
        expected = ["amber" if "amber" in f else "red" if f else None for f in flagged]
        shown = [s if s in ("red", "amber") else None for s in after["overall_status"]]
        assert shown == expected and "amber" in expected and "red" in expected
        order = [{"amber": 0, "red": 1, None: 2}[status] for status in expected]
        assert order == sorted(order)
        urn = after.iloc[0]["urn"]
        query = {"term": f"{term.academic_year}|{term.term}"}
        text = str(school.overall(data.LA_OFFICER, urn, query))
        assert "Amber: may not be fully met" in text
    assert list(data.school_grid(data.LA_OFFICER, term)["urn"]) == list(before["urn"])


def _duties() -> set[str]:
    from sendwatch.contract.duties import duty_checks

    return {c.check_id for c in duty_checks().values() if c.strength in ("must", "should")}


def test_the_data_page_links_to_the_published_data_docs(published: Path, officer) -> None:
    from dashboards import data

    data_status = page("data_status")
    links = str(data_status.documentation_links(data.LA_OFFICER))
    assert "/data-docs/index.html" in links
    client = officer
    docs = client.get("/data-docs/index.html")
    assert docs.status_code == 200 and b"raw_pupil_returns" in docs.data
    assert client.get("/data-docs/../../warehouse/sendwatch.duckdb").status_code == 404
    assert client.get("/dbt-docs/index.html").status_code == 404  # not built in this home


# tables the small published sample may leave empty: the fitted models need more terms
MAY_BE_EMPTY = {
    "commissioning-forecasts",
    "early-warning-backtest",
    "early-warning-flagged",
    "early-warning-schools",
}


def export_queries(published: Path, urn: str) -> dict[str, str]:
    """A query each table's download answers with rows, for the school ``urn``."""
    flags = read_csv(published / "sample" / "ground_truth" / "duty_flags.csv")
    red = next(f for f in flags if f["expected_status"] == "red")
    return {
        "school-checks": f"urn={urn}&term=2024-25%7Cspring",
        "school-trend": f"urn={urn}",
        "school-returns": f"urn={urn}",
        "school-enquiries": f"urn={urn}",
        "check-distribution": "check_id=reviews_on_time",
        "check-red": f"check_id={red['check_id']}&term={red['academic_year']}%7C{red['term']}",
        "data-returns": "term=2024-25%7Cautumn",
        "data-quarantine": "",
        "data-run-checks": "",
        "context-sen2": "",
        "sendiass-months": "",
        "sendiass-localities": "term=2024-25%7Cspring",
        "sendiass-phases": "term=2024-25%7Cspring",
        "sendiass-above": "term=2024-25%7Csummer",
        "sendiass-schools": "term=2024-25%7Cspring",
        "sendiass-flags": "term=2024-25%7Cspring",
        "commissioning-needs": "term=2024-25%7Cspring",
        "commissioning-trend": "",
        "commissioning-places": "term=2024-25%7Cspring&phase=primary",
        "commissioning-specialists": "term=2024-25%7Cspring",
        "commissioning-high-cost": "term=2024-25%7Cspring",
        "commissioning-requests": "",
        "commissioning-sen2": "",
        "admin-accounts": "",
        "admin-audit": "show=all",
        "admin-register": "",
        "commissioning-forecasts": "",
        "commissioning-forecast-tests": "",
        "early-warning-backtest": "",
        "early-warning-flagged": "",
        "early-warning-schools": "",
    }


def school_names(published: Path) -> list[str]:
    return [row["school_name"] for row in read_csv(published / "sample" / "register.csv")]


def test_each_role_downloads_only_what_its_pages_and_routes_allow(
    published: Path, accounts: dict[str, roles.Viewer], password: str
) -> None:
    """Every role x every download: allowed (200) exactly when roles.PAGES (the table's
    page) and roles.ROUTES (the duty checks; files received) say so; 403 otherwise, with
    no data; 401 for a stranger. Each download is audited."""
    from dashboards.components import EXPORTABLE_TABLES, TABLE_ACCESS

    school = accounts[roles.SCHOOL]
    (urn,) = school.urns  # the school account's own school, asked for in every query
    queries = export_queries(published, urn)
    assert set(queries) == set(EXPORTABLE_TABLES)  # a new table needs a query here
    opened_by = {**roles.PAGES, **roles.ROUTES}  # page or route -> the roles that open it
    routes = {"/export/duties.csv?term=2024-25%7Cspring": opened_by["duties_export"]}
    for name, query in queries.items():
        owner, *also = TABLE_ACCESS[name]
        assert owner == EXPORTABLE_TABLES[name].__module__.rsplit(".", 1)[-1], name
        assert set(also) <= set(roles.ROUTES), name
        allowed = frozenset.intersection(*(opened_by[needed] for needed in (owner, *also)))
        routes[f"/export/table/{name}.csv?{query}".rstrip("?")] = allowed
    names = school_names(published)
    before = last_event()

    stranger = server.test_client()
    for route in routes:
        answer = stranger.get(route)
        assert (answer.status_code, answer.text) == (401, "Sign in to sendwatch to see this.")

    outcomes: dict[str, dict[str, int]] = {}
    for role, viewer in accounts.items():
        client = signed_in(viewer, password)
        outcomes[role] = {}
        for route, allowed in routes.items():
            answer = client.get(route)
            outcomes[role][route] = answer.status_code
            if role in allowed:
                assert answer.status_code == 200, (role, route, answer.text[:300])
                assert answer.headers["Content-Disposition"].startswith("attachment;")
            else:
                assert answer.status_code == 403, (role, route)
                assert answer.text == "Your role cannot open this."
                assert not any(name in answer.text for name in names)
    # every role is refused something and allowed something
    assert all({200, 403} <= set(found.values()) for found in outcomes.values())

    exported = {(e["username"], e["target"]) for e in audit_events("export", before)}
    forbidden = {(e["username"], e["target"]) for e in audit_events("forbidden", before)}
    for role, found in outcomes.items():
        for route, status in found.items():
            path = route.split("?")[0]
            assert ((role, route) in exported) is (status == 200), (role, route)
            assert ((role, path) in forbidden) is (status == 403), (role, route)


def test_a_school_account_sees_only_its_own_school(
    published: Path, accounts: dict[str, roles.Viewer], password: str
) -> None:
    import json

    school = accounts[roles.SCHOOL]
    (own,) = school.urns
    other = next(row["urn"] for row in read_csv(published / "sample" / "register.csv")
                 if row["urn"] != own)  # fmt: skip
    names = school_names(published)
    client = signed_in(school, password)

    for route in (
        f"/export/table/school-checks.csv?urn={other}",
        f"/export/table/school-trend.xlsx?urn={other}",
        f"/export/table/school-checks.csv?urn={own}&urn={other}",
        f"/export/duties.csv?urn={other}",
    ):
        answer = client.get(route)
        assert (answer.status_code, answer.text) == (403, "Your role cannot open this."), route
    assert client.get(f"/export/table/school-checks.csv?urn={own}").status_code == 200

    # the page: its address, and the pages router asked to render it (also when the
    # query string names another school, which Dash would hand the layout instead)
    refused = client.get(f"/school/{other}")
    assert refused.status_code == 403 and "You cannot open this page" in refused.text
    assert not any(name in refused.text for name in names)
    assert client.get(f"/school/{own}").status_code == 200
    for pathname, search in ((f"/school/{other}", ""), (f"/school/{own}", f"?urn={other}")):
        values = [
            {"id": "_pages_location", "property": "pathname", "value": pathname},
            {"id": "_pages_location", "property": "search", "value": search},
        ]
        body = {
            "output": ".._pages_content.children..._pages_store.data..",
            "outputs": [
                {"id": "_pages_content", "property": "children"},
                {"id": "_pages_store", "property": "data"},
            ],
            "changedPropIds": ["_pages_location.pathname"],
            "inputs": values,
            "state": [],
        }
        answer = client.post(
            "/_dash-update-component", data=json.dumps(body), content_type="application/json"
        )
        assert answer.status_code == 403, (pathname, search)
        assert not any(name in answer.text for name in names)
    # the second lock: the page itself refuses, whoever forgot to ask the guard
    with viewing_as(client), pytest.raises(roles.AccessDenied):
        page("school").layout(urn=other)
    forbidden = [e for e in audit_events("forbidden") if e["username"] == school.name]
    assert {e["detail"] for e in forbidden if e["target"] == "school"} >= {f"/school/{other}"}


def components(tree: object, kind: str) -> list[dict]:
    """The props of every component of type ``kind`` in a layout as Dash sends it (JSON)."""
    found: list[dict] = []
    if isinstance(tree, list):
        for item in tree:
            found += components(item, kind)
    elif isinstance(tree, dict) and "props" in tree:
        if tree.get("type") == kind:
            found.append(tree["props"])
        found += components(tree["props"].get("children"), kind)
    return found


def test_the_header_lists_what_the_role_may_open_and_who_is_signed_in(
    accounts: dict[str, roles.Viewer], password: str
) -> None:
    from dashboards.app import NAVIGATION

    for role, viewer in accounts.items():
        client = signed_in(viewer, password)
        shell = client.get("/_dash-layout")
        assert shell.status_code == 200
        text = shell.get_data(as_text=True)
        words = roles.ROLES[role].split(":")[0]
        assert f"Signed in as {viewer.name} ({words})" in text, role
        (form,) = components(shell.json, "Form")
        assert (form["action"], form["method"]) == ("/sign-out", "post")
        (navigation,) = components(shell.json, "Nav")
        links = {link["href"] for link in components(navigation["children"], "A")}
        expected = {path for path, _, name in NAVIGATION if role in roles.PAGES[name]}
        if role == roles.SCHOOL:
            expected |= {f"/school/{urn}" for urn in viewer.urns}
        assert links == expected, role
        # the button signs out: the form's own token, then nothing opens
        (token,) = components(form["children"], "Input")
        answer = client.post("/sign-out", data={"csrf_token": token["value"]})
        assert (answer.status_code, answer.headers["Location"]) == (302, "/sign-in")
        assert client.get("/_dash-layout").status_code == 401


def _snapshot_query(sql: str, parameters: list | None = None) -> list[tuple]:
    """The published snapshot, read directly: what the pages must show."""
    import duckdb

    from sendwatch.settings import load_settings
    from sendwatch.snapshots import current_snapshot

    with duckdb.connect(str(current_snapshot(load_settings())), read_only=True) as connection:
        return connection.execute(sql, parameters or []).fetchall()


def test_the_sendiass_page_lists_the_schools_above_the_funnel(published: Path, as_officer) -> None:
    """For each term: the schools listed above the 95% limit are exactly those the
    nightly build placed there; every school is in the full table; the sentence on
    enquiries where a duty is red quotes the nightly build's ratio."""
    sendiass = page("sendiass")
    for year, term in _snapshot_query("select academic_year, term from dim_term"):
        query = {"term": f"{year}|{term}"}
        above = {
            row[0]
            for row in _snapshot_query(
                "select urn from fct_school_enquiry_rates where academic_year = ? and term = ? "
                "and funnel_position in ('above_95', 'above_998')",
                [year, term],
            )
        }
        assert set(sendiass.above_table(data_viewer(), query).frame["urn"]) == above
        every = sendiass.funnel_table(data_viewer(), query).frame
        (open_schools,) = _snapshot_query(
            "select count(*) from fct_school_term_status where academic_year = ? and term = ?",
            [year, term],
        )[0]
        assert len(every) == open_schools  # every school on the register that term
    text = str(sendiass.layout())
    assert "Schools above the funnel's 95% limit" in text
    assert "Enquiries by month and theme" in text


def test_the_commissioning_page_shows_each_needs_pupils_and_withholds_outside_the_la(
    published: Path, as_officer
) -> None:
    """The need table holds the nightly build's LA totals for the term; a commissioner
    sees the same rows with every count from 1 to 4 as c."""
    from dashboards import data

    commissioning = page("commissioning")
    year, term = data.default_term(data.LA_OFFICER)
    query = {"term": f"{year}|{term}"}
    totals = {
        row[0]: (str(row[1]), str(row[2]))
        for row in _snapshot_query(
            "select need_label, sen_support_pupils, ehc_plan_pupils from fct_need_demand "
            "where is_need_total and academic_year = ? and term = ?",
            [year, term],
        )
    }
    officer = commissioning.need_table(data.LA_OFFICER, query).frame
    shown = {
        row.need_label: (row.sen_support_pupils_shown, row.ehc_plan_pupils_shown)
        for row in officer.itertuples()
    }
    assert shown == totals and totals
    commissioner = commissioning.need_table(roles.Viewer("c", roles.COMMISSIONER), query).frame
    officer, commissioner = (t.sort_values("need_label") for t in (officer, commissioner))
    for mine, theirs in zip(officer.itertuples(), commissioner.itertuples(), strict=True):
        for column in ("sen_support_pupils_shown", "ehc_plan_pupils_shown"):
            figure = getattr(mine, column)
            expected = "c" if 1 <= int(figure) <= 4 else figure
            assert getattr(theirs, column) == expected, (mine, theirs)


def data_viewer() -> roles.Viewer:
    from dashboards import data

    return data.LA_OFFICER


def test_a_cached_answer_is_each_callers_own_copy(published: Path) -> None:
    """The data layer answers a repeated query from its cache; what one caller changes
    in its rows is never what the next caller reads."""
    from dashboards import data

    first = data.terms(data.LA_OFFICER)
    first.loc[:, "term_name"] = "changed by a page"
    again = data.terms(data.LA_OFFICER)
    assert "changed by a page" not in set(again["term_name"])
    assert again.equals(data.terms(data.LA_OFFICER))
