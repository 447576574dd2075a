"""The raw tables of the DuckDB warehouse: append-only, lineage on every row.

dbt reads these as sources. Column types follow the contract; every row carries
where it came from: file name, sha256, when it was received and loaded, the
contract version and the pipeline run.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from sendwatch.contract.v1 import CONTRACT, ENQUIRIES_SHEET, Kind, Sheet

SQL_TYPES = {
    Kind.URN: "varchar",
    Kind.ACADEMIC_YEAR: "varchar",
    Kind.TERM: "varchar",
    Kind.DATE: "date",
    Kind.INTEGER: "integer",
    Kind.YES_NO: "varchar",
    Kind.MONEY: "decimal(14, 2)",
    Kind.CODE: "varchar",
    Kind.CODE_LIST: "varchar",
    Kind.PUPIL_REF: "varchar",
    Kind.REFERENCE: "varchar",
    Kind.URL: "varchar",
}
LINEAGE = (
    ("submission_id", "varchar not null"),
    ("file_name", "varchar not null"),
    ("sha256", "varchar not null"),
    ("received_at", "timestamptz not null"),
    ("loaded_at", "timestamptz not null"),
    ("contract_version", "varchar not null"),
    ("run_id", "varchar not null"),
)
SUBMISSIONS_COLUMNS = (
    ("submission_id", "varchar not null"),
    ("file_name", "varchar not null"),
    ("landing_path", "varchar not null"),
    ("sha256", "varchar not null"),
    ("urn", "varchar"),
    ("academic_year", "varchar"),
    ("term", "varchar"),
    ("received_at", "timestamptz not null"),
    ("processed_at", "timestamptz not null"),
    ("outcome", "varchar not null"),
    ("first_error", "varchar"),
    ("problem_count", "integer not null"),
    ("contract_version", "varchar not null"),
    ("run_id", "varchar not null"),
    # Added after version 0.1: nullable, so warehouses made before it gain it empty.
    ("stored_path", "varchar"),  # where its bytes are kept, relative to SENDWATCH_HOME
)
REGISTER_COLUMNS = (
    ("urn", "varchar not null"),
    ("school_name", "varchar not null"),
    ("phase", "varchar not null"),
    ("locality", "varchar not null"),
    ("opened", "date"),
    ("closed", "date"),
    ("run_id", "varchar not null"),
    ("loaded_at", "timestamptz"),  # added after 0.1, so nullable
)
RUNS_COLUMNS = (
    ("run_id", "varchar not null"),
    ("started_at", "timestamptz not null"),
    ("published_at", "timestamptz not null"),
    ("files_received", "integer not null"),
    ("returns_loaded", "integer not null"),
    ("returns_rejected", "integer not null"),
    ("files_duplicate", "integer not null"),
    ("enquiry_files_loaded", "integer not null"),
    ("as_of", "timestamptz"),  # added after 0.1: the moment the night judged as at
)


def sheet_columns(sheet: Sheet) -> list[tuple[str, str]]:
    return [(column.name, SQL_TYPES[column.kind]) for column in sheet.columns]


RAW_TABLES: dict[str, list[tuple[str, str]]] = {
    "raw_school_returns": [*LINEAGE, *sheet_columns(CONTRACT.sheet("school"))],
    "raw_pupil_returns": [
        *LINEAGE,
        ("row_number", "integer not null"),
        *sheet_columns(CONTRACT.sheet("pupils")),
    ],
    "raw_enquiries": [
        *LINEAGE,
        ("row_number", "integer not null"),
        *sheet_columns(ENQUIRIES_SHEET),
    ],
    "raw_submissions": list(SUBMISSIONS_COLUMNS),
    "raw_register": list(REGISTER_COLUMNS),
    "raw_runs": list(RUNS_COLUMNS),
}


# What the fitted models (sendwatch.outlook) found on the night's marts: replaced each
# night whole, by the pipeline's foresee step, for dbt to read as the source `outlook`.
FITTED = (("run_id", "varchar not null"), ("fitted_at", "timestamptz not null"))
OUTLOOK_TABLES: dict[str, list[tuple[str, str]]] = {
    # each school's chance of a red must or should duty next term
    "outlook_early_warning": [
        ("urn", "varchar not null"),
        ("from_term_order", "integer not null"),
        ("probability", "double not null"),
        ("flagged", "boolean not null"),
        ("reasons", "varchar"),
        ("red_now", "boolean not null"),
        ("threshold", "double not null"),
        *FITTED,
    ],
    # the early warning and the baseline, by origin term and pooled (origin empty)
    "outlook_early_warning_backtest": [
        ("method", "varchar not null"),
        ("origin_term_order", "integer"),
        ("target_term_order", "integer"),
        ("schools", "integer"),
        ("actual_red", "integer"),
        ("predicted_red", "integer"),
        ("true_positives", "integer"),
        ("precision", "double"),
        ("recall", "double"),
        ("f1", "double"),
        ("threshold", "double not null"),
        *FITTED,
    ],
    # each school at each back-test origin: the model's and the baseline's call
    "outlook_early_warning_backtest_schools": [
        ("urn", "varchar not null"),
        ("origin_term_order", "integer not null"),
        ("target_term_order", "integer not null"),
        ("probability", "double not null"),
        ("model_flag", "boolean not null"),
        ("baseline_flag", "boolean not null"),
        ("actual_red", "boolean not null"),
        *FITTED,
    ],
    # one row: whether the early warning beat the baseline, in words
    "outlook_early_warning_verdict": [
        ("verdict", "varchar not null"),
        ("beats_baseline", "boolean"),
        ("threshold", "double not null"),
        *FITTED,
    ],
    # every series forecast (or found too short to), with its back-tested error
    "outlook_forecast_series": [
        ("series_id", "varchar not null"),
        ("source", "varchar not null"),
        ("measure", "varchar not null"),
        ("category", "varchar not null"),
        ("series_label", "varchar not null"),
        ("season_length", "integer not null"),
        ("points", "integer not null"),
        ("status", "varchar not null"),
        ("message", "varchar not null"),
        ("model_mape", "double"),
        ("baseline_mape", "double"),
        ("model_beats_baseline", "boolean"),
        *FITTED,
    ],
    # each series' forecast a year ahead (a step per period)
    "outlook_forecasts": [
        ("series_id", "varchar not null"),
        ("step", "integer not null"),
        ("period_label", "varchar not null"),
        ("prediction", "double not null"),
        ("lower_80", "double"),
        ("upper_80", "double"),
        *FITTED,
    ],
    # each back-test of each series: fitted to the origin, a year ahead, with the baseline
    "outlook_forecast_backtest": [
        ("series_id", "varchar not null"),
        ("origin_period_order", "integer not null"),
        ("target_period_order", "integer not null"),
        ("target_label", "varchar not null"),
        ("actual", "double not null"),
        ("model_prediction", "double not null"),
        ("baseline_prediction", "double not null"),
        ("model_abs_pct_error", "double"),
        ("baseline_abs_pct_error", "double"),
        *FITTED,
    ],
}


def create_raw_tables(connection: duckdb.DuckDBPyConnection) -> None:
    """Create any raw or outlook table or column that does not exist yet (never alters
    rows)."""
    for table, columns in {**RAW_TABLES, **OUTLOOK_TABLES}.items():
        body = ", ".join(f"{name} {sql_type}" for name, sql_type in columns)
        connection.execute(f"create table if not exists {table} ({body})")
        for name, sql_type in columns:
            if "not null" not in sql_type:
                connection.execute(
                    f"alter table {table} add column if not exists {name} {sql_type}"
                )


def column_names(table: str) -> list[str]:
    return [name for name, _ in RAW_TABLES[table]]


def processed_files(warehouse: Path, among: set[str]) -> dict[str, set[str]]:
    """sha256 -> landing paths of those files among ``among`` (sha256s) already
    recorded in the warehouse: the same bytes again are a duplicate. Only the asked
    hashes are read, so a batch's cost does not grow with the years kept."""
    if not warehouse.exists() or not among:
        return {}
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        tables = {row[0] for row in connection.execute("show tables").fetchall()}
        if "raw_submissions" not in tables:
            return {}
        # A file we failed to check (our fault) is judged again when it is sent again.
        rows = connection.execute(
            "select distinct sha256, landing_path from raw_submissions "
            "where sha256 in (select unnest(?)) "
            "and coalesce(first_error, '') not like '%[rule internal_error]%'",
            [sorted(among)],
        )
        seen: dict[str, set[str]] = {}
        for sha256, landing_path in rows.fetchall():
            seen.setdefault(sha256, set()).add(landing_path)
        return seen
