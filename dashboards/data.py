"""The dashboard's one data layer: every read, parameterised, on the published snapshot.

It reads public marts only (dbt ``access: public``, contracts enforced; declared as
the exposure ``sendwatch_dashboard``): what a status means, how schools rank, what
the headline sums are built from, all come from the nightly build, not from here.

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
from sendwatch.snapshots import (
    current_snapshot,
    dbt_docs_site,
    open_snapshot,
    published_data_docs,
)


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
        select terms.academic_year, terms.term, terms.term_name, terms.term_order,
               terms.census_date,
               count(returns.urn) filter (where returns.return_status in ('on_time', 'late'))
                   as returns_received
        from dim_term as terms
        left join fct_return_status as returns
          on terms.academic_year = returns.academic_year and terms.term = returns.term
        group by all
        order by terms.term_order desc
        """
    )


def default_term(viewer: Viewer) -> tuple[str, str]:
    """The newest term any school has sent a return for (else simply the newest)."""
    collected = terms(viewer)
    received = collected[collected["returns_received"] > 0]
    newest = (received if len(received) else collected).iloc[0]
    return newest["academic_year"], newest["term"]


@dataclass(frozen=True)
class StatusWords:
    symbol: str
    label: str
    colour: str
    pattern: str
    meaning: str


_VOCABULARY: dict[Path, dict[str, StatusWords]] = {}


def statuses(viewer: Viewer) -> dict[str, StatusWords]:
    """Every status, most severe first, with its symbol and words (the status seed)."""
    snapshot = current_snapshot(_settings())
    if snapshot is None:
        return {}
    if snapshot not in _VOCABULARY:
        rows = _query(
            "select status, symbol, status_label, colour, fill_pattern, meaning from dim_status "
            "order by severity desc"
        )
        _VOCABULARY.clear()
        _VOCABULARY[snapshot] = {
            row.status: StatusWords(
                row.symbol, row.status_label, row.colour, row.fill_pattern, row.meaning
            )
            for row in rows.itertuples()
        }
    return _VOCABULARY[snapshot]


def filter_options(viewer: Viewer) -> dict[str, list[str]]:
    schools = _query("select distinct phase, locality from dim_school")
    return {
        "phase": sorted(schools["phase"].dropna().unique()),
        "locality": sorted(schools["locality"].dropna().unique()),
    }


# the filters every school-level query applies, as bound parameters
SCHOOL_FILTERS = """
    (?::varchar is null or schools.phase = ?)
    and (?::varchar is null or schools.locality = ?)
    and (?::varchar is null or lower(schools.school_name) like ? or schools.urn like ?)
"""


def _school_parameters(filters: Filters) -> list[Any]:
    like = f"%{filters.search.strip().lower()}%" if filters.search else None
    return [
        filters.phase, filters.phase,
        filters.locality, filters.locality,
        like, like, like,
    ]  # fmt: skip


def duty_checks(viewer: Viewer, filters: Filters, check_id: str | None = None) -> pd.DataFrame:
    """Check results joined to the school, filtered; one row per school x term x check."""
    return _query(
        f"""
        select checks.*, schools.school_name, schools.phase, schools.locality,
               catalogue.title, terms.term_name, terms.term_order
        from fct_duty_checks as checks
        join dim_school as schools on checks.urn = schools.urn
        join dim_duty_check as catalogue on checks.check_id = catalogue.check_id
        join dim_term as terms
          on checks.academic_year = terms.academic_year and checks.term = terms.term
        where (?::varchar is null or checks.academic_year = ?)
          and (?::varchar is null or checks.term = ?)
          and (?::varchar is null or checks.strength = ?)
          and (?::varchar is null or checks.check_id = ?)
          and {SCHOOL_FILTERS}
        order by schools.school_name, checks.check_id
        """,
        [
            filters.academic_year, filters.academic_year,
            filters.term, filters.term,
            filters.strength, filters.strength,
            check_id, check_id,
            *_school_parameters(filters),
        ],
    )  # fmt: skip


def school_statuses(viewer: Viewer, filters: Filters) -> pd.DataFrame:
    """The term's schools, filtered, in the nightly build's order: worst first."""
    return _query(
        f"""
        select schools.*
        from fct_school_term_status as schools
        where schools.academic_year = ? and schools.term = ?
          and {SCHOOL_FILTERS}
        order by schools.attention_rank
        """,
        [filters.academic_year, filters.term, *_school_parameters(filters)],
    )


def school_grid(viewer: Viewer, filters: Filters) -> pd.DataFrame:
    """Schools x checks for one term: a row per school, worst first, a column per check."""
    ranked = school_statuses(viewer, filters)
    checks = duty_checks(viewer, filters)
    columns = ["urn", "school_name", "phase", "locality", "overall_status", "attention_rank"]
    if checks.empty or ranked.empty:
        return pd.DataFrame(columns=columns)
    grid = checks.pivot_table(index="urn", columns="check_id", values="status", aggfunc="first")
    grid.columns.name = None
    return ranked[columns].merge(grid.reset_index(), on="urn", how="inner")


def flagged_duties(viewer: Viewer, filters: Filters) -> pd.DataFrame:
    """Schools with a red or amber must or should duty, worst first, one row per duty."""
    return _query(
        f"""
        select schools.urn, schools.school_name, schools.attention_rank,
               schools.overall_status, schools.signals_flagged,
               checks.check_id, catalogue.title, checks.strength, checks.status,
               checks.evidence
        from fct_school_term_status as schools
        join fct_duty_checks as checks
          on schools.urn = checks.urn and schools.academic_year = checks.academic_year
         and schools.term = checks.term
        join dim_duty_check as catalogue on checks.check_id = catalogue.check_id
        join dim_status as statuses on checks.status = statuses.status
        where schools.academic_year = ? and schools.term = ?
          and checks.strength in ('must', 'should') and checks.status in ('red', 'amber')
          and {SCHOOL_FILTERS}
        order by schools.attention_rank, statuses.severity desc, checks.strength,
                 checks.check_id
        """,
        [filters.academic_year, filters.term, *_school_parameters(filters)],
    )


def headline(viewer: Viewer, filters: Filters) -> dict[str, Any]:
    """Headline numbers for the term and the schools the filters leave."""
    row = _query(
        f"""
        select
            count(*) as schools,
            count(*) filter (where return_status in ('on_time', 'late')) as returns_received,
            count(*) filter (where return_status = 'missing') as returns_missing,
            count(*) filter (where must_red > 0) as schools_with_red_must,
            sum(sen_support_pupils) / nullif(sum(number_on_roll), 0) as sen_support_share,
            -- the national rate for these schools' mix of phases, weighted by roll
            sum(expected_sen_support) / nullif(sum(number_on_roll), 0) as national_share
        from fct_school_term_status as schools
        where schools.academic_year = ? and schools.term = ?
          and {SCHOOL_FILTERS}
        """,
        [filters.academic_year, filters.term, *_school_parameters(filters)],
    ).iloc[0]
    return {
        "schools": int(row["schools"]),
        "returns_received": int(row["returns_received"] or 0),
        "returns_missing": int(row["returns_missing"] or 0),
        "schools_with_red_must": int(row["schools_with_red_must"] or 0),
        "sen_support_share": _number(row["sen_support_share"]),
        "national_share": _number(row["national_share"]),
    }


def _number(value: Any) -> float | None:
    return None if pd.isna(value) else float(value)


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
        join dim_term as terms
          on checks.academic_year = terms.academic_year and checks.term = terms.term
        where checks.urn = ?
        order by terms.term_order desc, checks.check_id
        """,
        [urn],
    )


def school_terms(viewer: Viewer, urn: str) -> pd.DataFrame:
    """A school's overall status and flags in each term, newest first."""
    return _query(
        """
        select schools.*, terms.term_name
        from fct_school_term_status as schools
        join dim_term as terms
          on schools.academic_year = terms.academic_year and schools.term = terms.term
        where schools.urn = ?
        order by terms.term_order desc
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
    runs = _query("select * from fct_nightly_runs order by built_at desc limit 1")
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


def documentation(viewer: Viewer) -> dict[str, bool]:
    """Which documentation sites exist: the night's Data Docs, the dbt docs."""
    settings = _settings()
    return {
        "data_docs": published_data_docs(settings) is not None,
        "dbt_docs": dbt_docs_site(settings) is not None,
    }


def la_context(viewer: Viewer) -> pd.DataFrame:
    return _query(
        "select area, measure, figure_year, measured_value, period, source_publication "
        "from fct_la_sen2_figures order by measure, area, figure_year"
    )
