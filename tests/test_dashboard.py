"""The dashboard's data layer and callbacks, on a real published snapshot."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

from helpers import read_csv, rebuilt_with_seed

import dashboards.app  # noqa: F401  the pages register themselves on the app


def page(name: str) -> ModuleType:
    """A page module exactly as Dash registered it (importing it again would register twice)."""
    return sys.modules[f"pages.{name}"]


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
    from dashboards.filters import filters_from

    overview = page("overview")

    flags = read_csv(published / "sample" / "ground_truth" / "duty_flags.csv")
    for flag in [f for f in flags if f["expected_status"] == "red"][:15]:
        term = f"{flag['academic_year']}|{flag['term']}"
        rows, _ = overview.grid_rows(filters_from({"term": term, "search": flag["urn"]}))
        assert len(rows) == 1
        assert rows[0][flag["check_id"]] == "✖ Red: may not be met"
        assert rows[0]["school"].endswith(
            f"(/school/{flag['urn']}?term={term.replace('|', '%7C')})"
        )


def test_a_clean_school_is_green(published: Path) -> None:
    from dashboards.components import status_text
    from dashboards.filters import filters_from

    overview = page("overview")

    flags = read_csv(published / "sample" / "ground_truth" / "duty_flags.csv")
    flagged = {(f["urn"], f["academic_year"], f["term"]) for f in flags}
    register = [r["urn"] for r in read_csv(published / "sample" / "register.csv")]
    urn = next(u for u in register if (u, "2024-25", "autumn") not in flagged)
    query = {"term": "2024-25|autumn", "strength": "must", "search": urn}
    rows, checks = overview.grid_rows(filters_from(query))
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
    nothing = filters_from({"term": "2024-25|autumn", "search": "no such school"})
    assert overview.grid_rows(nothing)[0] == []
    # with no term asked for: the newest term any school has sent a return for (the
    # sample's three terms are 2024-25; 2025-26 is in the term dates, with no returns yet)
    newest = filters_from({})
    assert (newest.academic_year, newest.term) == ("2024-25", "summer")
    link = address({"term": "2024-25|autumn", "phase": "primary"}, strength="must")
    assert link == "/?term=2024-25%7Cautumn&phase=primary&strength=must"


def test_search_text_is_a_parameter_never_sql(published: Path) -> None:
    from dashboards import data

    hostile = "'; drop table dim_school; --"
    assert data.duty_checks(data.LA_OFFICER, data.Filters(search=hostile)).empty
    assert data.school_grid(data.LA_OFFICER, data.Filters("2024-25", "autumn")).shape[0] > 0


def test_export_downloads_exactly_the_filtered_rows(published: Path) -> None:
    import io

    import pandas as pd
    from openpyxl import load_workbook

    from dashboards import data
    from dashboards.app import server

    client = server.test_client()
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


def test_every_table_downloads_as_shown(published: Path) -> None:
    import io
    from urllib.parse import parse_qsl

    import pandas as pd
    from openpyxl import load_workbook

    from dashboards import data
    from dashboards.app import server
    from dashboards.components import EXPORTABLE_TABLES, table_bytes

    client = server.test_client()
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
    flags = read_csv(published / "sample" / "ground_truth" / "duty_flags.csv")
    red = next(f for f in flags if f["expected_status"] == "red")
    red_query = f"check_id={red['check_id']}&term={red['academic_year']}%7C{red['term']}"
    for name, query in {
        "school-returns": f"urn={urn}",
        "check-distribution": "check_id=reviews_on_time",
        "check-red": red_query,
        "data-returns": "term=2024-25%7Cautumn",
        "data-quarantine": "",
        "data-run-checks": "",
        "context-sen2": "",
    }.items():  # each download holds exactly the rows and columns the page shows
        response = client.get(f"/export/table/{name}.csv?{query}")
        assert response.status_code == 200, name
        exported = pd.read_csv(io.BytesIO(response.data), dtype=str, keep_default_na=False)
        shown = EXPORTABLE_TABLES[name](data.LA_OFFICER, dict(parse_qsl(query))).as_shown()
        expected = pd.read_csv(
            io.BytesIO(table_bytes(shown, "csv")), dtype=str, keep_default_na=False
        )
        assert list(exported.columns) == list(shown.columns), name
        assert len(exported) == len(shown) > 0, name
        assert exported.equals(expected), name
    assert client.get("/export/table/school-checks.csv?urn=999999").status_code == 404
    assert client.get("/export/table/no-such-table.csv").status_code == 404
    assert client.get(f"/export/table/school-checks.exe?urn={urn}").status_code == 404


def test_the_data_page_reports_the_last_nights_tests_and_gates(published: Path) -> None:
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


def test_every_page_renders_with_headings_and_captions(published: Path) -> None:
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
    }
    for name, rendered in pages.items():
        text = str(rendered)
        assert "H1(" in text, name
        if name != "overview":
            assert "Caption(" in text and "scope='col'" in text, name
    assert "aria-current" in str(pages["overview"])
    assert "Print a visit brief" in str(pages["school"])
    assert "Sample LA (BCP figures)" in str(pages["context"])


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


def test_a_failed_night_is_announced_on_the_data_page(published: Path) -> None:
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


def test_the_data_page_links_to_the_published_data_docs(published: Path) -> None:
    from dashboards.app import server

    data_status = page("data_status")
    from dashboards import data

    links = str(data_status.documentation_links(data.LA_OFFICER))
    assert "/data-docs/index.html" in links
    client = server.test_client()
    docs = client.get("/data-docs/index.html")
    assert docs.status_code == 200 and b"raw_pupil_returns" in docs.data
    assert client.get("/data-docs/../../warehouse/sendwatch.duckdb").status_code == 404
    assert client.get("/dbt-docs/index.html").status_code == 404  # not built in this home
