"""The dashboard's one data layer: every read, parameterised, on the published snapshot.

Each call reads the snapshot ``published/CURRENT`` names at that moment, so a
newly published night is picked up without a restart; the server's threads share
one read-only connection per snapshot (opening one costs more than most queries).
Every function takes the viewer first: role-based access and small-number suppression hang on it.
No SQL here is ever built from what a user typed: filters are bound parameters.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from sendwatch import run_history as history
from sendwatch.settings import Settings, load_settings
from sendwatch.snapshots import current_snapshot, open_snapshot

STATUS_ORDER = {
    "red": 0,
    "amber": 1,
    "no_return": 2,
    "low_numbers": 3,
    "green": 4,
    "not_applicable": 5,
}


@dataclass(frozen=True)
class Viewer:
    """Who is asking. Roles arrive with a later issue; the layer asks from the start."""

    name: str = "la_officer"
    role: str = "la_officer"


LA_OFFICER = Viewer()


def viewer_for(request: Any) -> Viewer:
    """Who is asking, decided on the server for every page and export.

    Until sign-in lands every visitor is an LA officer; this is the one place
    that will read the authenticated user and their role.
    """
    return LA_OFFICER


@dataclass(frozen=True)
class Filters:
    academic_year: str | None = None
    term: str | None = None
    phase: str | None = None
    locality: str | None = None
    strength: str | None = None
    search: str | None = None


def _settings() -> Settings:
    return load_settings()


_CONNECTIONS: dict[Path, duckdb.DuckDBPyConnection] = {}
_CONNECTIONS_LOCK = threading.Lock()


def _connection() -> duckdb.DuckDBPyConnection:
    """The read-only connection to the snapshot being served now."""
    snapshot = current_snapshot(_settings())
    if snapshot is None:
        return open_snapshot(_settings())  # raises, saying nothing is published yet
    with _CONNECTIONS_LOCK:
        if snapshot not in _CONNECTIONS:
            # a new night is published: later queries read it; a query still running
            # on the previous snapshot keeps its cursor, and with it that database
            _CONNECTIONS.clear()
            _CONNECTIONS[snapshot] = duckdb.connect(str(snapshot), read_only=True)
        return _CONNECTIONS[snapshot]


def _query(sql: str, parameters: list[Any] | None = None) -> pd.DataFrame:
    with _connection().cursor() as cursor:  # a cursor per query: safe across threads
        return cursor.execute(sql, parameters or []).df()


def has_snapshot(viewer: Viewer) -> bool:
    return current_snapshot(_settings()) is not None


def terms(viewer: Viewer) -> pd.DataFrame:
    """Collected terms, newest first, with how many returns each has received."""
    return _query(
        """
        select terms.academic_year, terms.term, terms.census_date,
               count(status.urn) filter (where status.return_status in ('on_time', 'late'))
                   as returns_received
        from stg_reference__term_dates as terms
        left join fct_return_status as status
          on terms.academic_year = status.academic_year and terms.term = status.term
        group by all
        order by terms.census_date desc
        """
    )


def default_term(viewer: Viewer) -> tuple[str, str]:
    """The newest term any school has sent a return for (else simply the newest)."""
    collected = terms(viewer)
    received = collected[collected["returns_received"] > 0]
    newest = (received if len(received) else collected).iloc[0]
    return newest["academic_year"], newest["term"]


def filter_options(viewer: Viewer) -> dict[str, list[str]]:
    schools = _query("select distinct phase, locality from dim_school")
    return {
        "phase": sorted(schools["phase"].dropna().unique()),
        "locality": sorted(schools["locality"].dropna().unique()),
    }


def duty_checks(viewer: Viewer, filters: Filters, check_id: str | None = None) -> pd.DataFrame:
    """Check results joined to the school, filtered; one row per school x term x check."""
    like = f"%{filters.search.strip().lower()}%" if filters.search else None
    return _query(
        """
        select checks.*, schools.school_name, schools.phase, schools.locality,
               catalogue.title
        from fct_duty_checks as checks
        join dim_school as schools on checks.urn = schools.urn
        join dim_duty_check as catalogue on checks.check_id = catalogue.check_id
        where (?::varchar is null or checks.academic_year = ?)
          and (?::varchar is null or checks.term = ?)
          and (?::varchar is null or schools.phase = ?)
          and (?::varchar is null or schools.locality = ?)
          and (?::varchar is null or checks.strength = ?)
          and (?::varchar is null or lower(schools.school_name) like ? or checks.urn like ?)
          and (?::varchar is null or checks.check_id = ?)
        order by schools.school_name, checks.check_id
        """,
        [
            filters.academic_year, filters.academic_year,
            filters.term, filters.term,
            filters.phase, filters.phase,
            filters.locality, filters.locality,
            filters.strength, filters.strength,
            like, like, like,
            check_id, check_id,
        ],
    )  # fmt: skip


def school_grid(viewer: Viewer, filters: Filters) -> pd.DataFrame:
    """Schools x checks for one term: a row per school, a column per check's status."""
    checks = duty_checks(viewer, filters)
    if checks.empty:
        return pd.DataFrame(columns=["urn", "school_name", "phase", "locality", "worst"])
    grid = checks.pivot_table(
        index=["urn", "school_name", "phase", "locality"],
        columns="check_id",
        values="status",
        aggfunc="first",
    ).reset_index()
    grid.columns.name = None
    # worst first by the duties (must and should); signals sit beside, never decide
    duties = checks[checks["strength"].isin(["must", "should"])]
    ranks = duties.assign(rank=duties["status"].map(STATUS_ORDER).fillna(9))
    worst = ranks.groupby("urn")["rank"].min()
    reds = (duties["status"] == "red").groupby(duties["urn"]).sum()
    grid["worst"] = grid["urn"].map(worst).fillna(9)
    grid["red_count"] = grid["urn"].map(reds).fillna(0)
    return grid.sort_values(["worst", "red_count", "school_name"], ascending=[True, False, True])


def headline(viewer: Viewer, academic_year: str, term: str) -> dict[str, Any]:
    """Headline numbers for a term."""
    row = _query(
        """
        select
            count(*) as schools,
            count(*) filter (where return_status in ('on_time', 'late')) as returns_received,
            count(*) filter (where return_status = 'missing') as returns_missing
        from fct_return_status where academic_year = ? and term = ?
        """,
        [academic_year, term],
    ).iloc[0]
    red_must = _query(
        "select count(distinct urn) as n from fct_duty_checks where academic_year = ? "
        "and term = ? and strength = 'must' and status = 'red'",
        [academic_year, term],
    ).iloc[0]["n"]
    share = _query(
        """
        select sum(numerator) / nullif(sum(denominator), 0) as local_share
        from fct_duty_checks
        where academic_year = ? and term = ? and check_id = 'identification_rate'
          and status not in ('no_return', 'not_applicable')
        """,
        [academic_year, term],
    ).iloc[0]["local_share"]
    # the national rate for this LA's mix of phases, weighted by pupils on roll
    national = _query(
        """
        select sum(rates.sen_support_rate * returns.number_on_roll)
               / nullif(sum(returns.number_on_roll), 0) as rate
        from int_returns_in_force as returns
        join stg_reference__national_sen_support_rates as rates on returns.phase = rates.phase
        where returns.academic_year = ? and returns.term = ?
        """,
        [academic_year, term],
    ).iloc[0]["rate"]
    return {
        "schools": int(row["schools"]),
        "returns_received": int(row["returns_received"]),
        "returns_missing": int(row["returns_missing"]),
        "schools_with_red_must": int(red_must),
        "sen_support_share": None if pd.isna(share) else float(share),
        "national_share": None if pd.isna(national) else float(national),
    }


def school(viewer: Viewer, urn: str) -> dict[str, Any] | None:
    found = _query("select * from dim_school where urn = ?", [urn])
    return None if found.empty else found.iloc[0].to_dict()


def school_checks(viewer: Viewer, urn: str) -> pd.DataFrame:
    """Every check of one school in every term, newest term first."""
    return _query(
        """
        select checks.*, catalogue.title, terms.census_date
        from fct_duty_checks as checks
        join dim_duty_check as catalogue on checks.check_id = catalogue.check_id
        join stg_reference__term_dates as terms
          on checks.academic_year = terms.academic_year and checks.term = terms.term
        where checks.urn = ?
        order by terms.census_date desc, checks.check_id
        """,
        [urn],
    )


def school_submissions(viewer: Viewer, urn: str) -> pd.DataFrame:
    return _query(
        "select file_name, academic_year, term, received_at, receipt, in_force, first_error, "
        "stored_path from fct_submissions where urn = ? order by received_at desc",
        [urn],
    )


def check_results(viewer: Viewer, check_id: str, filters: Filters) -> pd.DataFrame:
    return duty_checks(viewer, filters, check_id)


def catalogue(viewer: Viewer) -> pd.DataFrame:
    return _query("select * from dim_duty_check order by strength, check_id")


def refresh_status(viewer: Viewer) -> dict[str, Any]:
    runs = _query("select * from stg_pipeline__runs order by published_at desc limit 1")
    return {} if runs.empty else runs.iloc[0].to_dict()


def return_status(viewer: Viewer, academic_year: str, term: str) -> pd.DataFrame:
    return _query(
        "select status.urn, schools.school_name, status.return_status, status.first_received_at, "
        "status.deadline from fct_return_status as status join dim_school as schools "
        "on status.urn = schools.urn where status.academic_year = ? and status.term = ? "
        "order by status.return_status, schools.school_name",
        [academic_year, term],
    )


def quarantined(viewer: Viewer, newest: int | None = None) -> pd.DataFrame:
    """Rejected files, newest first (all of them, or the newest few)."""
    return _query(
        "select file_name, urn, academic_year, term, received_at, first_error "
        "from fct_submissions where outcome = 'rejected' order by received_at desc, file_name "
        "limit ?",
        [newest],
    )


def quarantined_count(viewer: Viewer) -> int:
    found = _query("select count(*) as n from fct_submissions where outcome = 'rejected'")
    return int(found.iloc[0]["n"])


def last_run(viewer: Viewer) -> dict[str, Any] | None:
    """The most recent night's summary, successful or failed."""
    return history.last_run(_settings())


def run_checks(viewer: Viewer, run_id: str) -> pd.DataFrame:
    """That night's dbt tests and Great Expectations suites, with their outcomes."""
    return history.run_checks(_settings(), run_id)


def la_context(viewer: Viewer) -> pd.DataFrame:
    return _query(
        "select area, measure, figure_year, measured_value, period, source_publication "
        "from stg_reference__la_context order by measure, area, figure_year"
    )
