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
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
from flask import g, has_request_context

from dashboards.per_request import request_settings
from sendwatch import run_history as history
from sendwatch.access import roles
from sendwatch.exports import DUTY_COLUMNS, SUBMISSION_COLUMNS
from sendwatch.snapshots import (
    current_snapshot,
    dbt_docs_site,
    open_snapshot,
    published_data_docs,
)

# Who is asking (an account's name, role and, for a school, its URNs): decided on the
# server for every request by the sign-in layer, and passed first to every function
# here, which is where each role's limits and small-number suppression are applied.
Viewer = roles.Viewer
LA_OFFICER = Viewer("la_officer", roles.LA_OFFICER)  # the command line's default


def viewer_for(request: Any) -> Viewer:
    """The signed-in viewer of this request; refused if nobody is signed in.

    The sign-in guard turns anonymous requests away before any page or export runs;
    this is the second lock, so a route the guard missed still shows nothing.
    """
    from dashboards.auth import current_viewer

    viewer = current_viewer()
    if viewer is None:
        raise roles.AccessDenied("sign in first")
    return viewer


def _allow(viewer: Viewer, *allowed: str) -> None:
    """Refuse ``viewer`` unless its role is one of ``allowed``."""
    if viewer.role not in allowed:
        raise roles.AccessDenied(f"the {viewer.role} role may not see this")


def _allow_school(viewer: Viewer, urn: str) -> None:
    """Refuse a school's figures to anyone who may not see that school."""
    if not roles.may_see_school(viewer, urn):
        raise roles.AccessDenied(f"the {viewer.role} role may not see school {urn}")


# who may see school-level figures at all (commissioners only where the LA lets them)
SCHOOL_LEVEL = (roles.LA_OFFICER, roles.SENDIASS, roles.SCHOOL)


def _allow_school_level(viewer: Viewer) -> None:
    if not (viewer.role in SCHOOL_LEVEL or viewer.sees_schools):
        raise roles.AccessDenied(f"the {viewer.role} role may not see school-level figures")


def _check_figures(viewer: Viewer) -> str:
    """A check's figures as ``viewer`` may see them: as they are, or as published
    outside the LA (the nightly build's ``published_*`` columns: c, low, x, z)."""
    if roles.suppressed(viewer):
        return (
            "checks.published_value as value, checks.published_numerator as numerator, "
            "checks.published_denominator as denominator, "
            "checks.published_evidence as evidence"
        )
    return "checks.value, checks.numerator, checks.denominator, checks.evidence"


# a check result's columns besides its figures
CHECK_COLUMNS = (
    "checks.urn, checks.academic_year, checks.term, checks.check_id, checks.status, "
    "checks.amber_at, checks.red_at, checks.paragraph, checks.strength"
)
# a school's status in a term, without its pupil counts (the headline sums those)
SCHOOL_TERM_COLUMNS = (
    "schools.urn, schools.school_name, schools.phase, schools.locality, "
    "schools.academic_year, schools.term, schools.overall_status, schools.overall_severity, "
    "schools.attention_rank, schools.must_red, schools.duties_red, schools.duties_amber, "
    "schools.duties_flagged, schools.signals_raised, schools.signals_flagged, "
    "schools.return_status"
)


@dataclass(frozen=True)
class Filters:
    academic_year: str | None = None
    term: str | None = None
    phase: str | None = None
    locality: str | None = None
    strength: str | None = None
    search: str | None = None


def _served() -> tuple[Path, int] | None:
    """The snapshot being served and when it was written, pinned for the request: every
    table on a page comes from the same night, even if the next one is published while
    the page is being built."""
    if has_request_context() and "sendwatch_snapshot" in g:
        return g.sendwatch_snapshot
    snapshot = current_snapshot(request_settings())
    # a file put back in its place is not the same snapshot: its mtime tells them apart
    served = None if snapshot is None else (snapshot, snapshot.stat().st_mtime_ns)
    if has_request_context():
        g.sendwatch_snapshot = served
    return served


_CONNECTIONS: dict[Path, duckdb.DuckDBPyConnection] = {}
_CONNECTIONS_LOCK = threading.Lock()


def _connection() -> duckdb.DuckDBPyConnection:
    """The read-only connection to the snapshot being served now."""
    served = _served()
    if served is None:
        return open_snapshot(request_settings())  # raises, saying nothing is published yet
    snapshot = served[0]
    with _CONNECTIONS_LOCK:
        if snapshot not in _CONNECTIONS:
            # a new night is published: later queries read it; a query still running
            # on the previous snapshot keeps its cursor, and with it that database
            _CONNECTIONS.clear()
            _CONNECTIONS[snapshot] = duckdb.connect(str(snapshot), read_only=True)
        return _CONNECTIONS[snapshot]


def _query(sql: str, parameters: list[Any] | None = None) -> pd.DataFrame:
    """The rows of a query on the snapshot being served, each caller its own copy.

    A published snapshot never changes (a new night is a new file), so the same query
    with the same parameters on the same snapshot is answered from a small cache: a
    page that reads one mart for several tables, and every officer opening the same
    page each morning, query DuckDB once.
    """
    served = _served()
    if served is None:
        return _run(sql, parameters)
    key = (*served, sql, _hashable(parameters or []))
    with _CACHE_LOCK:
        found = _CACHE.get(key)
        if found is not None:
            _CACHE.move_to_end(key)
            return found[0].copy()
    rows = _run(sql, parameters)
    _remember(key, rows)
    return rows.copy()


# answers kept, newest last, within a memory budget: an England-scale grid is tens of MB
_CACHE: OrderedDict[tuple, tuple[pd.DataFrame, int]] = OrderedDict()  # key -> rows, bytes
_CACHE_LOCK = threading.Lock()
CACHE_BYTES = 256 * 1024 * 1024


def _remember(key: tuple, rows: pd.DataFrame) -> None:
    global _CACHED_BYTES
    size = int(rows.memory_usage(deep=True).sum())
    if size > CACHE_BYTES // 8:
        return  # too big to keep: asked for again, it is read again
    with _CACHE_LOCK:
        if key in _CACHE:
            return
        _CACHE[key] = (rows, size)
        _CACHED_BYTES += size
        while _CACHED_BYTES > CACHE_BYTES:
            _, (_, dropped) = _CACHE.popitem(last=False)
            _CACHED_BYTES -= dropped


_CACHED_BYTES = 0


def _hashable(parameters: list[Any]) -> tuple[Any, ...]:
    return tuple(tuple(p) if isinstance(p, list) else p for p in parameters)


def _run(sql: str, parameters: list[Any] | None) -> pd.DataFrame:
    with _connection().cursor() as cursor:  # a cursor per query: safe across threads
        return cursor.execute(sql, parameters or []).df()


def has_snapshot(viewer: Viewer) -> bool:
    return _served() is not None


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
    served = _served()
    if served is None:
        return {}
    snapshot = served[0]
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


# the filters every school-level query applies, as bound parameters; the last keeps
# a school account to its own URNs
SCHOOL_FILTERS = """
    (?::varchar is null or schools.phase = ?)
    and (?::varchar is null or schools.locality = ?)
    and (?::varchar is null or lower(schools.school_name) like ? or schools.urn like ?)
    and (?::varchar[] is null or list_contains(?::varchar[], schools.urn))
"""


def _school_parameters(filters: Filters, viewer: Viewer) -> list[Any]:
    _allow_school_level(viewer)
    like = f"%{filters.search.strip().lower()}%" if filters.search else None
    own = sorted(viewer.urns) if viewer.role == roles.SCHOOL else None
    return [
        filters.phase, filters.phase,
        filters.locality, filters.locality,
        like, like, like,
        own, own,
    ]  # fmt: skip


def duty_checks(viewer: Viewer, filters: Filters, check_id: str | None = None) -> pd.DataFrame:
    """Check results joined to the school, filtered; one row per school x term x check."""
    return _query(
        f"""
        select {CHECK_COLUMNS}, {_check_figures(viewer)},
               schools.school_name, schools.phase, schools.locality,
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
            *_school_parameters(filters, viewer),
        ],
    )  # fmt: skip


def duty_export(viewer: Viewer, filters: Filters) -> pd.DataFrame:
    """The duty checks as every export holds them (``DUTY_COLUMNS``), for the dashboard's
    download and ``sendwatch export duties`` alike: newest term first, then the term's
    worst school first, then the check. No year or term: every term."""
    return _query(
        f"""
        select {", ".join(_qualified(DUTY_COLUMNS))}
        from (select {CHECK_COLUMNS}, {_check_figures(viewer)} from fct_duty_checks as checks)
            as checks
        join fct_school_term_status as schools
          on checks.urn = schools.urn and checks.academic_year = schools.academic_year
         and checks.term = schools.term
        join dim_term as terms
          on checks.academic_year = terms.academic_year and checks.term = terms.term
        where (?::varchar is null or checks.academic_year = ?)
          and (?::varchar is null or checks.term = ?)
          and (?::varchar is null or checks.strength = ?)
          and {SCHOOL_FILTERS}
        order by terms.term_order desc, schools.attention_rank, checks.check_id
        """,
        [
            filters.academic_year, filters.academic_year,
            filters.term, filters.term,
            filters.strength, filters.strength,
            *_school_parameters(filters, viewer),
        ],
    )  # fmt: skip


def _qualified(columns: tuple[str, ...]) -> list[str]:
    """An export's columns, named by the table each comes from."""
    return [f"schools.{c}" if c == "school_name" else f"checks.{c}" for c in columns]


def school_statuses(viewer: Viewer, filters: Filters) -> pd.DataFrame:
    """The term's schools, filtered, in the nightly build's order: worst first."""
    return _query(
        f"""
        select {SCHOOL_TERM_COLUMNS}
        from fct_school_term_status as schools
        where schools.academic_year = ? and schools.term = ?
          and {SCHOOL_FILTERS}
        order by schools.attention_rank
        """,
        [filters.academic_year, filters.term, *_school_parameters(filters, viewer)],
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
               {"checks.published_evidence" if roles.suppressed(viewer) else "checks.evidence"}
                   as evidence
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
        [filters.academic_year, filters.term, *_school_parameters(filters, viewer)],
    )


def headline(viewer: Viewer, filters: Filters) -> dict[str, Any]:
    """Headline numbers for the term and the schools the filters leave.

    Outside the LA the share on SEN support is withheld (``"c"``) when any school in
    the sum has its own count withheld: else the total, less the others' counts
    shown beside it, would give that count back.
    """
    row = _query(
        f"""
        select
            count(*) as schools,
            count(*) filter (where return_status in ('on_time', 'late')) as returns_received,
            count(*) filter (where return_status = 'missing') as returns_missing,
            count(*) filter (where must_red > 0) as schools_with_red_must,
            sum(sen_support_pupils) / nullif(sum(number_on_roll), 0) as sen_support_share,
            -- the national rate for these schools' mix of phases, weighted by roll
            sum(expected_sen_support) / nullif(sum(number_on_roll), 0) as national_share,
            coalesce(bool_or(sen_support_withheld), false) as sen_support_withheld
        from fct_school_term_status as schools
        where schools.academic_year = ? and schools.term = ?
          and {SCHOOL_FILTERS}
        """,
        [filters.academic_year, filters.term, *_school_parameters(filters, viewer)],
    ).iloc[0]
    return {
        "schools": int(row["schools"]),
        "returns_received": int(row["returns_received"] or 0),
        "returns_missing": int(row["returns_missing"] or 0),
        "schools_with_red_must": int(row["schools_with_red_must"] or 0),
        "sen_support_share": "c"
        if roles.suppressed(viewer) and row["sen_support_withheld"]
        else _number(row["sen_support_share"]),
        "national_share": _number(row["national_share"]),
    }


def _number(value: Any) -> float | None:
    return None if pd.isna(value) else float(value)


def school(viewer: Viewer, urn: str) -> dict[str, Any] | None:
    """A school on the register (None if there is none); refused if ``viewer`` may not
    see it, so that editing the address shows nothing of another school."""
    _allow_school_level(viewer)
    _allow_school(viewer, urn)
    found = _query("select * from dim_school where urn = ?", [urn])
    return None if found.empty else found.iloc[0].to_dict()


def school_checks(viewer: Viewer, urn: str) -> pd.DataFrame:
    """Every check of one school in every term, newest term first."""
    _allow_school_level(viewer)
    _allow_school(viewer, urn)
    return _query(
        f"""
        select {CHECK_COLUMNS}, {_check_figures(viewer)}, catalogue.title, terms.census_date
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
    _allow_school_level(viewer)
    _allow_school(viewer, urn)
    return _query(
        f"""
        select {SCHOOL_TERM_COLUMNS}, terms.term_name
        from fct_school_term_status as schools
        join dim_term as terms
          on schools.academic_year = terms.academic_year and schools.term = terms.term
        where schools.urn = ?
        order by terms.term_order desc
        """,
        [urn],
    )


def school_submissions(viewer: Viewer, urn: str) -> pd.DataFrame:
    """The files a school sent, with why any was rejected: for the LA and the school
    itself (a rejection reason can quote what the file held)."""
    _allow(viewer, roles.LA_OFFICER, roles.SCHOOL)
    _allow_school(viewer, urn)
    return _query(
        "select file_name, academic_year, term, received_at, receipt, in_force, first_error, "
        "stored_path from fct_submissions where urn = ? order by received_at desc",
        [urn],
    )


def submission_export(viewer: Viewer) -> pd.DataFrame:
    """One row per file received (``SUBMISSION_COLUMNS``), oldest first: every file for
    the LA, a school's own files for a school."""
    _allow(viewer, roles.LA_OFFICER, roles.SCHOOL)
    own = sorted(viewer.urns) if viewer.role == roles.SCHOOL else None
    return _query(
        f"select {', '.join(SUBMISSION_COLUMNS)} from fct_submissions "
        "where (?::varchar[] is null or list_contains(?::varchar[], urn)) "
        "order by received_at, file_name",
        [own, own],
    )


def check_results(viewer: Viewer, check_id: str, filters: Filters) -> pd.DataFrame:
    return duty_checks(viewer, filters, check_id)


def catalogue(viewer: Viewer) -> pd.DataFrame:
    return _query("select * from dim_duty_check order by strength, check_id")


def refresh_status(viewer: Viewer) -> dict[str, Any]:
    _allow(viewer, roles.LA_OFFICER, roles.ADMIN)
    runs = _query("select * from fct_nightly_runs order by built_at desc limit 1")
    return {} if runs.empty else runs.iloc[0].to_dict()


def return_status(viewer: Viewer, academic_year: str, term: str) -> pd.DataFrame:
    _allow(viewer, roles.LA_OFFICER)
    return _query(
        "select status.urn, schools.school_name, status.return_status, status.first_received_at, "
        "status.deadline from fct_return_status as status join dim_school as schools "
        "on status.urn = schools.urn where status.academic_year = ? and status.term = ? "
        "order by status.return_status, schools.school_name",
        [academic_year, term],
    )


def quarantined(viewer: Viewer, newest: int | None = None) -> pd.DataFrame:
    """Rejected files, newest first (all of them, or the newest few)."""
    _allow(viewer, roles.LA_OFFICER)
    return _query(
        "select file_name, urn, academic_year, term, received_at, first_error "
        "from fct_submissions where outcome = 'rejected' order by received_at desc, file_name "
        "limit ?",
        [newest],
    )


def quarantined_count(viewer: Viewer) -> int:
    _allow(viewer, roles.LA_OFFICER)
    found = _query("select count(*) as n from fct_submissions where outcome = 'rejected'")
    return int(found.iloc[0]["n"])


def last_run(viewer: Viewer) -> dict[str, Any] | None:
    """The most recent night's summary, successful or failed."""
    _allow(viewer, roles.LA_OFFICER, roles.ADMIN)
    return history.last_run(request_settings())


def run_checks(viewer: Viewer, run_id: str) -> pd.DataFrame:
    """That night's dbt tests and Great Expectations suites, with their outcomes (a
    failing test's detail can quote the failing values: the LA only)."""
    _allow(viewer, roles.LA_OFFICER)
    return history.run_checks(request_settings(), run_id)


def documentation(viewer: Viewer) -> dict[str, bool]:
    """Which documentation sites exist: the night's Data Docs, the dbt docs."""
    settings = request_settings()
    return {
        "data_docs": published_data_docs(settings) is not None,
        "dbt_docs": dbt_docs_site(settings) is not None,
    }


def la_context(viewer: Viewer) -> pd.DataFrame:
    return _query(
        "select area, measure, measure_label, unit, meaning, figure_year, measured_value, "
        "period, source_publication from fct_la_sen2_figures order by measure, area, figure_year"
    )


# --- SENDIASS: enquiries, the funnel plot, enquiries against duty flags ---------------

ENQUIRY_READERS = (roles.LA_OFFICER, roles.SENDIASS)


def _figure(viewer: Viewer, column: str, published: str, name: str | None = None) -> str:
    """A figure two ways: ``name`` a number for charts (empty where withheld from
    ``viewer``), ``name_shown`` the words a table shows (DfE's symbols where withheld)."""
    name = name or column.rsplit(".", 1)[-1]
    if roles.suppressed(viewer):
        return (
            f"case when regexp_full_match({published}, '[0-9.]+') then {column} end as {name}, "
            f"{published} as {name}_shown"
        )
    return f"{column} as {name}, cast({column} as varchar) as {name}_shown"


def enquiries_by_month(viewer: Viewer) -> pd.DataFrame:
    """SENDIASS enquiries and complaints by month and theme, oldest month first. Counts
    of enquiries are SENDIASS's own records, shown to the roles that read them as they are."""
    _allow(viewer, *ENQUIRY_READERS)
    return _query(
        "select received_month, theme, theme_label, enquiries, complaints "
        "from fct_enquiries_by_month order by received_month, theme"
    )


def enquiries_by_area(viewer: Viewer, academic_year: str, term: str) -> pd.DataFrame:
    """Enquiries by locality and by phase for a term, with the rate per 100 pupils on SEN
    support (the count of pupils withheld outside the LA where small)."""
    _allow(viewer, *ENQUIRY_READERS)
    return _query(
        f"""
        select area_type, area, schools, enquiries, complaints,
               {_figure(viewer, "sen_support_pupils", "published_sen_support_pupils")},
               {_figure(viewer, "enquiries_per_100", "published_enquiries_per_100")}
        from fct_enquiries_by_area
        where academic_year = ? and term = ?
        order by area_type, area
        """,
        [academic_year, term],
    )


def enquiry_funnel(viewer: Viewer, filters: Filters) -> pd.DataFrame:
    """Each school's enquiry rate for the term against the funnel plot's limits, the
    schools furthest above the LA's rate first (a school's small count of pupils, and its
    rate, withheld outside the LA: such a school is left off the chart)."""
    _allow(viewer, *ENQUIRY_READERS)
    return _query(
        f"""
        select schools.urn, schools.school_name, schools.phase, schools.locality,
               schools.enquiries, schools.complaints,
               {_figure(viewer, "schools.sen_support_pupils", "published_sen_support_pupils")},
               {_figure(viewer, "schools.enquiries_per_100", "published_enquiries_per_100")},
               schools.la_enquiries_per_100, schools.lower_95, schools.upper_95,
               schools.lower_998, schools.upper_998, schools.funnel_position
        from fct_school_enquiry_rates as schools
        where schools.academic_year = ? and schools.term = ?
          and {SCHOOL_FILTERS}
        order by schools.funnel_position, schools.enquiries_per_100 desc nulls last,
                 schools.school_name
        """,
        [filters.academic_year, filters.term, *_school_parameters(filters, viewer)],
    )


def enquiries_by_duty_flags(viewer: Viewer, academic_year: str, term: str) -> pd.DataFrame:
    """For a term, by theme: enquiries per 100 pupils on SEN support at schools with a
    red must or should duty against the rest, the rate ratio and its 95% interval."""
    _allow(viewer, *ENQUIRY_READERS)
    return _query(
        "select theme, theme_label, schools_red, schools_other, enquiries_red, enquiries_other, "
        "enquiries_per_100_red, enquiries_per_100_other, rate_ratio, rate_ratio_lower_95, "
        "rate_ratio_upper_95 from fct_enquiries_by_duty_flags "
        "where academic_year = ? and term = ? order by theme = 'all' desc, rate_ratio desc",
        [academic_year, term],
    )


def school_enquiries(viewer: Viewer, urn: str) -> pd.DataFrame:
    """A school's SENDIASS enquiries term by term, newest first, against the funnel."""
    _allow(viewer, *ENQUIRY_READERS)
    _allow_school(viewer, urn)
    return _query(
        f"""
        select terms.term_name, rates.enquiries, rates.complaints,
               {_figure(viewer, "rates.enquiries_per_100", "rates.published_enquiries_per_100")},
               rates.la_enquiries_per_100, rates.upper_95, rates.upper_998, rates.funnel_position
        from fct_school_enquiry_rates as rates
        join dim_term as terms
          on rates.academic_year = terms.academic_year and rates.term = terms.term
        where rates.urn = ?
        order by terms.term_order desc
        """,
        [urn],
    )


def enquiry_export(viewer: Viewer) -> pd.DataFrame:
    """Every school's enquiry rate with its funnel limits, every term, newest first: the
    download and `sendwatch export enquiries` alike."""
    _allow(viewer, *ENQUIRY_READERS)
    return _query(
        f"""
        select schools.urn, schools.school_name, schools.phase, schools.locality,
               schools.academic_year, schools.term, schools.enquiries, schools.complaints,
               {
            "schools.published_sen_support_pupils"
            if roles.suppressed(viewer)
            else "schools.sen_support_pupils"
        } as sen_support_pupils,
               {
            "schools.published_enquiries_per_100"
            if roles.suppressed(viewer)
            else "schools.enquiries_per_100"
        } as enquiries_per_100,
               schools.la_enquiries_per_100, schools.lower_95, schools.upper_95,
               schools.lower_998, schools.upper_998, schools.funnel_position
        from fct_school_enquiry_rates as schools
        join dim_term as terms
          on schools.academic_year = terms.academic_year and schools.term = terms.term
        where {SCHOOL_FILTERS}
        order by terms.term_order desc, schools.school_name
        """,
        _school_parameters(Filters(), viewer),
    )


# --- commissioning: demand by need, specialists, high-cost provision, EHC requests ----

DEMAND_READERS = (roles.LA_OFFICER, roles.COMMISSIONER)


def need_demand(
    viewer: Viewer, academic_year: str | None = None, term: str | None = None
) -> pd.DataFrame:
    """Pupils on SEN support and with an EHC plan by need, phase and locality (and each
    need's LA total, phase and locality 'All'), for a term or every term."""
    _allow(viewer, *DEMAND_READERS)
    return _query(
        f"""
        select demand.academic_year, demand.term, terms.term_name, terms.term_order,
               demand.primary_need, demand.need_label, demand.phase, demand.locality,
               demand.is_need_total,
               {_figure(viewer, "demand.sen_support_pupils", "published_sen_support_pupils")},
               {_figure(viewer, "demand.ehc_plan_pupils", "published_ehc_plan_pupils")}
        from fct_need_demand as demand
        join dim_term as terms
          on demand.academic_year = terms.academic_year and demand.term = terms.term
        where (?::varchar is null or demand.academic_year = ?)
          and (?::varchar is null or demand.term = ?)
        order by terms.term_order, demand.need_label, demand.phase, demand.locality
        """,
        [academic_year, academic_year, term, term],
    )


def specialist_demand(viewer: Viewer, academic_year: str, term: str) -> pd.DataFrame:
    """Pupils with each specialist involved by locality (and the LA total), and the share
    with their parents' agreement, for a term."""
    _allow(viewer, *DEMAND_READERS)
    return _query(
        f"""
        select specialist, specialist_label, locality, is_specialist_total,
               {_figure(viewer, "pupils_involved", "published_pupils_involved")},
               {_figure(viewer, "share_agreed", "published_share_agreed")}
        from fct_specialist_demand
        where academic_year = ? and term = ?
        order by specialist_label, is_specialist_total desc, locality
        """,
        [academic_year, term],
    )


def high_cost_provision(viewer: Viewer, academic_year: str, term: str) -> pd.DataFrame:
    """Pupils on SEN support whose provision costs more than a school is expected to
    fund, and those of them with no EHC request, by locality and need, for a term."""
    _allow(viewer, *DEMAND_READERS)
    return _query(
        f"""
        select need_label, locality, is_need_total,
               {_figure(viewer, "high_cost_pupils", "published_high_cost_pupils")},
               {_figure(viewer, "without_ehc_request", "published_without_ehc_request")}
        from fct_high_cost_provision
        where academic_year = ? and term = ?
        order by is_need_total desc, need_label, locality
        """,
        [academic_year, term],
    )


def ehc_requests(viewer: Viewer) -> pd.DataFrame:
    """EHC needs assessment requests in the returns by the term they were made in, who
    made them and how they ended (and each term's total), oldest term first."""
    _allow(viewer, *DEMAND_READERS)
    return _query(
        f"""
        select requests.academic_year, requests.term, terms.term_name, requests.term_order,
               requests.requested_by, requests.outcome, requests.is_term_total,
               {_figure(viewer, "requests.requests", "requests.published_requests")}
        from fct_ehc_requests as requests
        join dim_term as terms
          on requests.academic_year = terms.academic_year and requests.term = terms.term
        order by requests.term_order, requests.is_term_total, requests.requested_by,
                 requests.outcome
        """
    )


def demand_export(viewer: Viewer) -> pd.DataFrame:
    """Every demand table in one long table (which table, term, where, what, the figure
    as this viewer may see it): `sendwatch export demand`."""
    _allow(viewer, *DEMAND_READERS)
    shown = "published_{0}" if roles.suppressed(viewer) else "cast({0} as varchar)"
    tables = [
        ("needs", "fct_need_demand", "phase", "locality", "need_label",
         ("sen_support_pupils", "ehc_plan_pupils")),
        ("specialists", "fct_specialist_demand", "'All'", "locality", "specialist_label",
         ("pupils_involved", "share_agreed")),
        ("high_cost", "fct_high_cost_provision", "'All'", "locality", "need_label",
         ("high_cost_pupils", "without_ehc_request")),
        ("ehc_requests", "fct_ehc_requests", "'All'", "'All'",
         "requested_by || ' / ' || outcome", ("requests",)),
    ]  # fmt: skip
    parts = [
        f"select '{name}' as demand_table, academic_year, term, {phase} as phase, "
        f"{locality} as locality, {category} as category, '{figure}' as measure, "
        f"{shown.format(figure)} as figure from {mart}"
        for name, mart, phase, locality, category, figures in tables
        for figure in figures
    ]  # fixed names only: nothing here comes from a user
    return _query(
        f"select demand.* from ({' union all '.join(parts)}) as demand "
        "join dim_term as terms using (academic_year, term) "
        "order by demand.demand_table, terms.term_order, demand.phase, demand.locality, "
        "demand.category, demand.measure"
    )


# --- the fitted models: early warning (LA officers) and forecasts (and commissioners) --

FORECAST_READERS = (roles.LA_OFFICER, roles.COMMISSIONER)


def early_warning(viewer: Viewer) -> pd.DataFrame:
    """Every school's chance of a red must or should duty next term, likeliest first,
    with the reasons that moved it and the baseline's call: LA officers only."""
    _allow(viewer, roles.LA_OFFICER)
    return _query(
        "select urn, school_name, phase, locality, from_term_name, "
        "coalesce(term_name, 'the term after ' || from_term_name) as predicted_term_name, "
        "probability, flagged, reasons, red_now, threshold, rank_in_la "
        "from fct_early_warning order by rank_in_la"
    )


def early_warning_backtest(viewer: Viewer) -> pd.DataFrame:
    """The early warning against "red last term, red next term", at each back-test
    origin and pooled, with the verdict in words: LA officers only."""
    _allow(viewer, roles.LA_OFFICER)
    return _query(
        "select method, scope, origin_term_order, origin_term_name, target_term_name, "
        "schools, actual_red, predicted_red, true_positives, precision, recall, f1, "
        "threshold, verdict, beats_baseline from fct_early_warning_backtest "
        "order by scope = 'pooled', origin_term_order, method desc"
    )


def forecast_series(viewer: Viewer) -> pd.DataFrame:
    """Each series forecast, or found too short to, with its back-tested error."""
    _allow(viewer, *FORECAST_READERS)
    return _query(
        "select series_id, source, measure, category, series_label, season_length, points, "
        "status, message, model_mape, baseline_mape, model_beats_baseline "
        "from fct_forecast_series order by source desc, status, series_label"
    )


def forecasts(viewer: Viewer) -> pd.DataFrame:
    """Each forecast series a year ahead, a row per step, with its 80% interval."""
    _allow(viewer, *FORECAST_READERS)
    return _query(
        "select series_id, series_label, source, step, period_label, prediction, lower_80, "
        "upper_80 from fct_forecasts order by source desc, series_label, step"
    )


def backtest_export(viewer: Viewer) -> pd.DataFrame:
    """Every back-test, in one long table: for the early warning (LA officers only) and
    each forecast, per origin and overall, what was measured, the actual, the model's
    figure and the baseline's: `sendwatch export backtest`."""
    _allow(viewer, *FORECAST_READERS)
    forecast_rows = """
        select 'forecast' as model, series_label as series, 'origin' as scope,
               cast(origin_period_order as varchar) as origin, target_label as target,
               'value' as measure, actual, model_prediction as model_figure,
               baseline_prediction as baseline_figure
        from fct_forecast_backtest
        union all
        select 'forecast', series_label, 'overall', null, null, 'mean absolute % error',
               null, model_mape, baseline_mape
        from fct_forecast_series where status = 'forecast'
    """
    warning_rows = """
        union all
        select 'early_warning', 'a red must or should duty next term', model.scope,
               model.origin_term_name, model.target_term_name, measures.measure,
               case when measures.measure = 'schools flagged' then model.actual_red end,
               case measures.measure when 'precision' then model.precision
                    when 'recall' then model.recall when 'f1' then model.f1
                    else model.predicted_red end,
               case measures.measure when 'precision' then baseline.precision
                    when 'recall' then baseline.recall when 'f1' then baseline.f1
                    else baseline.predicted_red end
        from fct_early_warning_backtest as model
        join fct_early_warning_backtest as baseline
          on model.scope = baseline.scope
         and model.origin_term_order is not distinct from baseline.origin_term_order
         and baseline.method = 'baseline'
        cross join (values ('schools flagged'), ('precision'), ('recall'), ('f1'))
            as measures(measure)
        where model.method = 'model'
    """  # fixed text: nothing here comes from a user
    sql = forecast_rows + (warning_rows if viewer.role == roles.LA_OFFICER else "")
    return _query(f"select * from ({sql}) as results order by model, series, scope desc, origin")


# --- administration: accounts and the audit log (the access store, not the warehouse) --


def accounts(viewer: Viewer) -> pd.DataFrame:
    """Every account, without password hashes: administrators only."""
    from sendwatch.access.users import UserStore

    _allow(viewer, roles.ADMIN)
    users = UserStore.for_settings(request_settings()).list()
    return pd.DataFrame(
        [
            {
                "username": user.username,
                "role": user.role,
                "urns": ", ".join(sorted(user.urns)),
                "sign_in": "password" if user.has_password else "single sign-on",
                "disabled": "yes" if user.disabled else "no",
                "last_sign_in_at": user.last_sign_in_at,
            }
            for user in users
        ],
        columns=["username", "role", "urns", "sign_in", "disabled", "last_sign_in_at"],
    )


def audit_log(viewer: Viewer, newest: int | None = None) -> pd.DataFrame:
    """Who signed in, opened a school or exported what, newest first: administrators."""
    from sendwatch.access import audit

    _allow(viewer, roles.ADMIN)
    return audit.events(request_settings(), newest)


def register_summary(viewer: Viewer) -> pd.DataFrame:
    """How many schools the register holds, by phase and locality: administrators."""
    _allow(viewer, roles.ADMIN)
    return _query(
        "select phase, locality, count(*) as schools from dim_school "
        "group by all order by phase, locality"
    )
