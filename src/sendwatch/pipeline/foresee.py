"""The foresee step: fit the models of ``sendwatch.outlook`` on the night's marts and
store what they find in the warehouse's outlook tables, for dbt to publish.

It reads only marts the night has just built, replaces the outlook tables whole, and
is deterministic: a retried step, or a past night rebuilt, stores the same rows.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from sendwatch.contract.duties import measuring_vars
from sendwatch.pipeline.warehouse import OUTLOOK_TABLES

YEAR_AHEAD = {1: 1, 3: 3}  # season length -> steps to forecast: the next year
RETURNED = ("on_time", "late")  # a term's return came (fct_school_term_status)

CHECKS = """
    select checks.urn, terms.term_order, checks.check_id, checks.strength, checks.status,
           checks.value
    from fct_duty_checks as checks
    join dim_term as terms using (academic_year, term)
"""
SCHOOL_TERMS = """
    select schools.urn, terms.term_order, schools.academic_year, schools.term,
           schools.return_status in ('on_time', 'late') as has_return,
           rates.enquiries_per_100, schools.sen_support_pupils
    from fct_school_term_status as schools
    join dim_term as terms using (academic_year, term)
    left join fct_school_enquiry_rates as rates using (urn, academic_year, term)
"""
# Series from the returns: only terms whose deadline had passed on the night, so a
# term still arriving is never read as a fall in demand.
NEED_SERIES = """
    select 'returns' as source, 'sen_support_pupils' as measure, demand.primary_need as category,
           'Pupils on SEN support: ' || demand.need_label as series_label, 3 as season_length,
           terms.term_order as period_order, terms.term_name as period_label,
           demand.sen_support_pupils as value
    from fct_need_demand as demand
    join dim_term as terms using (academic_year, term)
    where demand.is_need_total and terms.deadline < cast(? as timestamptz)
"""
REQUEST_SERIES = """
    select 'returns' as source, 'ehc_requests' as measure, 'all' as category,
           'EHC needs assessment requests in the returns' as series_label, 3 as season_length,
           terms.term_order as period_order, terms.term_name as period_label,
           requests.requests as value
    from fct_ehc_requests as requests
    join dim_term as terms using (academic_year, term)
    where requests.is_term_total and terms.deadline < cast(? as timestamptz)
"""
SEN2_SERIES = """
    select 'sen2' as source, measure, area as category,
           measure_label || ' (' || area || ')' as series_label, 1 as season_length,
           figure_year as period_order, cast(figure_year as varchar) as period_label,
           measured_value as value
    from fct_la_sen2_figures
    where measure in ('ehc_requests', 'ehc_plans_in_force')
"""


def fit_and_store(warehouse: Path, run_id: str, as_of: str) -> dict[str, Any]:
    """Fit the early warning and the forecasts on ``warehouse``'s marts; replace its
    outlook tables with what they found. Returns a summary for the night's log."""
    from sendwatch import outlook  # here: scikit-learn and statsmodels load slowly

    settings = measuring_vars()
    with duckdb.connect(str(warehouse)) as connection:
        warning = outlook.early_warning(
            connection.execute(CHECKS).df(),
            connection.execute(SCHOOL_TERMS).df(),
            dict(connection.execute("select check_id, title from dim_duty_check").fetchall()),
            float(settings["early_warning_threshold"]),
        )
        series = _series(connection, as_of)
        forecast = _forecasts(outlook, series, int(settings["forecast_min_history"]))
        stamp = {"run_id": run_id, "fitted_at": datetime.now(UTC)}
        threshold = float(settings["early_warning_threshold"])
        tables = {
            "outlook_early_warning": warning.predictions.assign(threshold=threshold),
            "outlook_early_warning_backtest": warning.backtest.assign(threshold=threshold),
            "outlook_early_warning_backtest_schools": warning.backtest_predictions,
            "outlook_early_warning_verdict": pd.DataFrame(
                [
                    {
                        "verdict": warning.verdict,
                        "beats_baseline": warning.beats_baseline,
                        "threshold": threshold,
                    }
                ]
            ),
            "outlook_forecast_series": forecast["summary"],
            "outlook_forecasts": forecast["forecast"],
            "outlook_forecast_backtest": forecast["backtest"],
        }
        for table, frame in tables.items():
            _replace(connection, table, frame.assign(**stamp))
        connection.execute("checkpoint")
    return {
        "flagged": int(warning.predictions["flagged"].sum()) if len(warning.predictions) else 0,
        "beats_baseline": warning.beats_baseline,
        "series": len(forecast["summary"]),
        "forecast": int((forecast["summary"]["status"] == "forecast").sum()),
    }


def _series(connection: duckdb.DuckDBPyConnection, as_of: str) -> pd.DataFrame:
    frames = [
        connection.execute(NEED_SERIES, [as_of]).df(),
        connection.execute(REQUEST_SERIES, [as_of]).df(),
        connection.execute(SEN2_SERIES).df(),
    ]
    series = pd.concat(frames, ignore_index=True)
    series["series_id"] = series["source"] + "|" + series["measure"] + "|" + series["category"]
    return series


def _forecasts(outlook: Any, series: pd.DataFrame, min_history: int) -> dict[str, pd.DataFrame]:
    """Forecast each season length's series a year ahead; describe every series."""
    if series.empty:  # nothing collected yet: empty tables, said so on the page
        return {"summary": pd.DataFrame(), "forecast": pd.DataFrame(), "backtest": pd.DataFrame()}
    parts = [
        outlook.forecasts(rows, horizon=YEAR_AHEAD[int(season)], min_history=min_history)
        for season, rows in series.groupby("season_length")
    ]
    about = series.drop_duplicates("series_id")[
        ["series_id", "source", "measure", "category", "series_label", "season_length"]
    ]
    summary = pd.concat([p.summary for p in parts], ignore_index=True).merge(about, on="series_id")
    return {
        "summary": summary,
        "forecast": pd.concat([p.forecast for p in parts], ignore_index=True),
        "backtest": pd.concat([p.backtest for p in parts], ignore_index=True),
    }


def _replace(connection: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    """Replace ``table``'s rows with ``frame``'s, in the table's own columns and types."""
    columns = [name for name, _ in OUTLOOK_TABLES[table]]
    connection.execute(f"delete from {table}")  # names from OUTLOOK_TABLES only
    if not frame.empty:
        shaped = frame.reindex(columns=columns)
        connection.register("fitted", shaped)
        connection.execute(f"insert into {table} by name select * from fitted")
        connection.unregister("fitted")
