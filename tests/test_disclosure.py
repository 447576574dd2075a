"""Disclosure control and each role's limits, on a real published snapshot.

Outside the LA a count of people from 1 to 4, the rest of its total when that is
from 1 to 4, and every share made from them are published as ``c``, as the DfE
publishes statistics (the nightly build stores both versions: fct_duty_checks'
``published_*`` columns). The command line's exports go through the dashboard's data
layer, so ``--role`` writes what that role would download.
"""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import read_csv

from sendwatch.access import roles
from sendwatch.settings import PROJECT_ROOT

PEOPLE_CHECKS = {
    row["check_id"]
    for row in read_csv(PROJECT_ROOT / "seeds" / "duty_checks.csv")
    if row["counts_people"] == "true"
}
SYMBOLS = {"c", "low", "x", "z"}


def export(
    published: Path, out: Path, *options: str, **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sendwatch.cli", "export", *options, "--out", str(out)],
        env={**os.environ, "SENDWATCH_HOME": str(published / "home"), **env},
        capture_output=True,
        text=True,
    )


def rows_of(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def small(figure: str) -> bool:
    return figure not in SYMBOLS and figure != "" and 1 <= float(figure) <= 4


@pytest.fixture(scope="module")
def duties(published: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict]]:
    """The duty checks export as the LA officer, SENDIASS and a commissioner (where the LA
    lets commissioners see school-level figures) write it."""
    folder = tmp_path_factory.mktemp("exports")
    exported = {}
    for role in (roles.LA_OFFICER, roles.SENDIASS, roles.COMMISSIONER):
        out = folder / f"{role}.csv"
        result = export(
            published, out, "duties", "--role", role, SENDWATCH_COMMISSIONERS_SEE_SCHOOLS="yes"
        )
        assert result.returncode == 0, result.stderr
        exported[role] = rows_of(out)
    return exported


def test_the_sample_has_small_numbers_for_suppression_to_bite(duties) -> None:
    people = [r for r in duties[roles.LA_OFFICER] if r["check_id"] in PEOPLE_CHECKS]
    assert any(small(r["numerator"]) or small(r["denominator"]) for r in people)


@pytest.mark.parametrize("role", [roles.SENDIASS, roles.COMMISSIONER])
def test_export_outside_the_la_has_no_count_from_1_to_4_nor_one_recoverable(
    duties, role: str
) -> None:
    officer, sendiass = duties[roles.LA_OFFICER], duties[role]
    assert [r["urn"] for r in sendiass] == [r["urn"] for r in officer]  # same rows, in order
    withheld = 0
    for mine, theirs in zip(officer, sendiass, strict=True):
        assert (mine["check_id"], mine["status"]) == (theirs["check_id"], theirs["status"])
        if theirs["check_id"] not in PEOPLE_CHECKS:
            continue
        numerator, denominator = theirs["numerator"], theirs["denominator"]
        assert not small(numerator) and not small(denominator), theirs
        if numerator not in SYMBOLS and denominator not in SYMBOLS:
            # what the two shown figures give by subtraction is no small count either
            assert not 1 <= float(denominator) - float(numerator) <= 4, theirs
        if numerator == "c":
            withheld += 1
            assert theirs["value"] == "c"  # a share of a withheld count gives it back
            assert theirs["evidence"] != mine["evidence"]
        if theirs["status"] == "low_numbers":  # a rate over fewer than 5 is never shown
            assert theirs["value"] in SYMBOLS
        # the sentence names no count from 1 to 4 of people either
        assert not re.search(r"(?<![\d,.£])[1-4] (of|pupils)\b", theirs["evidence"]), theirs
    assert withheld > 0


def test_symbols_say_not_available_and_not_applicable(duties) -> None:
    sendiass = duties[roles.SENDIASS]
    no_return = [r for r in sendiass if r["status"] == "no_return"]
    assert no_return and {r["value"] for r in no_return} == {"x"}
    not_applicable = [r for r in sendiass if r["status"] == "not_applicable"]
    assert not_applicable and {r["numerator"] for r in not_applicable} == {"z"}


def test_a_school_export_holds_only_that_school(published: Path, tmp_path: Path) -> None:
    register = read_csv(published / "sample" / "register.csv")
    urn = register[0]["urn"]
    out = tmp_path / "school.csv"
    result = export(published, out, "duties", "--role", "school", "--urn", urn)
    assert result.returncode == 0, result.stderr
    assert {r["urn"] for r in rows_of(out)} == {urn}
    files = tmp_path / "files.csv"
    result = export(published, files, "submissions", "--role", "school", "--urn", urn)
    assert result.returncode == 0, result.stderr
    assert rows_of(files) and {r["urn"] for r in rows_of(files)} == {urn}
    # a school role needs its URN; other roles take none
    assert export(published, tmp_path / "x.csv", "duties", "--role", "school").returncode == 2
    assert not (tmp_path / "x.csv").exists()


@pytest.mark.parametrize(
    ("role", "what"),
    [
        (roles.COMMISSIONER, "duties"),  # unless the LA lets them see school-level figures
        (roles.ADMIN, "duties"),  # no pupil-level data
        (roles.SENDIASS, "submissions"),  # no quarantine details
        (roles.COMMISSIONER, "submissions"),
        (roles.COMMISSIONER, "enquiries"),  # SENDIASS's records: the LA and SENDIASS
        (roles.ADMIN, "enquiries"),
        (roles.SENDIASS, "demand"),  # the commissioners' tables
        (roles.ADMIN, "demand"),
        (roles.COMMISSIONER, "early-warning"),  # school by school: the LA only
        (roles.SENDIASS, "early-warning"),
        (roles.SENDIASS, "backtest"),
    ],
)
def test_a_role_refused_an_export_gets_nothing(published: Path, tmp_path, role, what) -> None:
    out = tmp_path / "refused.csv"
    result = export(published, out, what, "--role", role)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip() == f"sendwatch: the {role} role may not export {what}"
    assert not out.exists()


def test_demand_outside_the_la_withholds_small_counts_and_any_a_total_gives_back(
    published: Path, tmp_path: Path
) -> None:
    """`sendwatch export demand` for the LA and for a commissioner: the same rows; every
    count of pupils from 1 to 4 the LA sees is c for the commissioner; and no group of
    cells published with its total (a need's or specialist's localities, a term's
    requests of one kind) has exactly one withheld, which the total would give back."""
    from collections import defaultdict

    tables = {}
    for role in (roles.LA_OFFICER, roles.COMMISSIONER):
        out = tmp_path / f"{role}.csv"
        assert export(published, out, "demand", "--role", role).returncode == 0
        tables[role] = rows_of(out)
    officer, commissioner = tables[roles.LA_OFFICER], tables[roles.COMMISSIONER]
    key = ("demand_table", "academic_year", "term", "phase", "locality", "category", "measure")
    assert [[r[k] for k in key] for r in commissioner] == [[r[k] for k in key] for r in officer]
    counts = {"sen_support_pupils", "ehc_plan_pupils", "pupils_involved", "high_cost_pupils",
              "without_ehc_request", "requests"}  # fmt: skip
    withheld = 0
    groups: dict[tuple, list[str]] = defaultdict(list)
    totals: dict[tuple, str] = {}
    for mine, theirs in zip(officer, commissioner, strict=True):
        if mine["measure"] not in counts:
            continue
        assert not small(theirs["figure"]), theirs
        if small(mine["figure"]):
            assert theirs["figure"] == "c", (mine, theirs)
            withheld += 1
        if mine["demand_table"] == "ehc_requests":
            continue
        group = (theirs["demand_table"], theirs["academic_year"], theirs["term"],
                 theirs["category"], theirs["measure"])  # fmt: skip
        if theirs["locality"] == "All":
            totals[group] = theirs["figure"]
        else:
            groups[group].append(theirs["figure"])
    assert withheld > 0  # the sample has small cells for suppression to bite
    lone = {
        group: (cells, totals[group])
        for group, cells in groups.items()
        if cells.count("c") == 1 and totals[group] != "c"  # a total withheld gives nothing
    }
    assert not lone, lone


def test_the_data_layer_refuses_what_a_role_may_not_see(published: Path) -> None:
    from dashboards import data

    urns = [r["urn"] for r in read_csv(published / "sample" / "register.csv")]
    school = roles.Viewer("head", roles.SCHOOL, frozenset({urns[0]}))
    sendiass = roles.Viewer("adviser", roles.SENDIASS)
    admin = roles.Viewer("admin", roles.ADMIN)
    assert data.school(school, urns[0])["urn"] == urns[0]
    for refused in (
        lambda: data.school(school, urns[1]),  # another school, by editing the address
        lambda: data.school_checks(school, urns[1]),
        lambda: data.school_submissions(sendiass, urns[0]),  # rejection reasons
        lambda: data.quarantined(sendiass),
        lambda: data.run_checks(sendiass, "any"),
        lambda: data.duty_checks(admin, data.Filters()),  # no pupil-level data
    ):
        with pytest.raises(roles.AccessDenied):
            refused()
    term = data.default_term(data.LA_OFFICER)
    grid = data.school_grid(school, data.Filters(*term))
    assert set(grid["urn"]) == {urns[0]}  # a school's overview holds only itself


def test_the_headline_withholds_a_share_that_a_small_school_would_give_away(
    published: Path,
) -> None:
    from dashboards import data

    sendiass = roles.Viewer("adviser", roles.SENDIASS)
    filters = data.Filters(*data.default_term(data.LA_OFFICER))
    schools = data._query(
        "select urn, sen_support_withheld from fct_school_term_status "
        "where academic_year = ? and term = ?",
        [filters.academic_year, filters.term],
    )
    any_withheld = bool(schools["sen_support_withheld"].any())
    shown = data.headline(sendiass, filters)["sen_support_share"]
    assert (shown == "c") == any_withheld
    assert isinstance(data.headline(data.LA_OFFICER, filters)["sen_support_share"], float)


PSEUDONYM = re.compile(r"SW\d{4}-\d{5}-[0-9a-f]{8}|\b[A-Z]\d{12}\b")  # pupil refs, UPNs
SMALL_COUNT = re.compile(r"(?<![\d,.£])[1-4] (of|pupils)\b")


def crawl_queries(published: Path) -> dict[str, list[dict[str, str]]]:
    """Every query each table answers on the sample: every school, check and term."""
    from dashboards import data

    urns = [r["urn"] for r in read_csv(published / "sample" / "register.csv")]
    checks = [r["check_id"] for r in read_csv(PROJECT_ROOT / "seeds" / "duty_checks.csv")]
    terms = [f"{t.academic_year}|{t.term}" for t in data.terms(data.LA_OFFICER).itertuples()]
    every_term = [{"term": term} for term in terms]
    return {
        "school": [{"urn": u, "term": t} for u in urns for t in terms],
        "check": [{"check_id": c, "term": t} for c in checks for t in terms],
        "other": [{}],
        "duties": every_term,
        "sendiass": every_term,
        "commissioning": every_term,
    }


@pytest.mark.parametrize("role", [roles.SENDIASS, roles.COMMISSIONER, roles.SCHOOL])
def test_a_crawl_of_every_download_a_role_may_open_finds_nothing_disclosive(
    published: Path, accounts, password, role: str
) -> None:
    """Every table download and the duties download, for every school, check and term:
    a role outside the LA finds no count of people from 1 to 4, no pupil pseudonym and
    no rejection reason (a school sees its own, to correct them); what it may not open
    is refused and holds no data."""
    from urllib.parse import urlencode

    from test_dashboard import signed_in

    from dashboards.components import TABLE_ACCESS

    viewer = accounts[role]
    client = signed_in(viewer, password)
    queries = crawl_queries(published)
    opened = 0
    downloads = [
        (f"/export/table/{name}.csv", needs, queries.get(needs[0], queries["other"]))
        for name, needs in TABLE_ACCESS.items()
    ] + [("/export/duties.csv", ("duties_export",), queries["duties"])]
    for path, needs, asked in downloads:
        allowed = all(roles.may_open(viewer, need) for need in needs)
        for query in asked:
            answer = client.get(f"{path}?{urlencode(query)}")
            text = answer.get_data(as_text=True)
            mine = roles.may_see_school(viewer, query.get("urn", next(iter(viewer.urns), "")))
            if not allowed or ("urn" in query and not mine):
                assert answer.status_code == 403, (path, query)
                assert "," not in text  # a refusal, not a table
                continue
            assert answer.status_code in (200, 404), (path, query, answer.status_code)
            opened += answer.status_code == 200
            if role != roles.SCHOOL:  # a school sees why its own files were rejected
                assert not PSEUDONYM.search(text), (path, query)
                assert "Why it was rejected" not in text and "first_error" not in text
            if roles.suppressed(viewer):
                assert not SMALL_COUNT.search(text), (path, query, SMALL_COUNT.search(text))
    assert opened > 0


@pytest.mark.parametrize("role", [roles.SENDIASS, roles.COMMISSIONER, roles.SCHOOL])
def test_a_crawl_of_every_page_a_role_may_open_finds_nothing_disclosive(
    published: Path, accounts, password, role: str
) -> None:
    """Every page the role may open, for every school, check and term, rendered in a
    request signed in as that role: the same findings as the downloads; and the page
    shell explains the symbols wherever figures are withheld."""
    from test_dashboard import page, signed_in, viewing_as

    import dashboards.app

    viewer = accounts[role]
    queries = crawl_queries(published)
    pages = {
        "overview": "duties",
        "school": "school",
        "check": "check",
        "context": "other",
        "sendiass": "sendiass",
        "commissioning": "commissioning",
    }
    rendered = 0
    with viewing_as(signed_in(viewer, password)):
        shell = str(dashboards.app.page_shell())
        assert ("About the figures" in shell) == roles.suppressed(viewer)
        for name, asked in pages.items():
            if not roles.may_open(viewer, name):
                continue
            for query in queries[asked]:
                if "urn" in query and not roles.may_see_school(viewer, query["urn"]):
                    continue
                text = str(page(name).layout(**query))
                rendered += 1
                if role != roles.SCHOOL:
                    assert not PSEUDONYM.search(text), (name, query)
                if roles.suppressed(viewer):
                    assert not SMALL_COUNT.search(text), (name, query, SMALL_COUNT.search(text))
    assert rendered > 0
