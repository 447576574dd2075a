"""Great Expectations gates: raw returns before they load, marts before they publish.

The raw-return suites are derived from the contract and kept as JSON in
``expectations/`` (regenerate with ``python -m sendwatch.pipeline.gates``; a
test fails while they are stale). GX validates through its pandas data source:
its SQL data source does not work with DuckDB.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sendwatch.contract.v1 import CONTRACT, Kind, Sheet
from sendwatch.settings import PROJECT_ROOT

EXPECTATIONS = PROJECT_ROOT / "expectations"
INDEX_COLUMNS = ["return_key", "row_number"]
ISO_DATE_SINCE_2000 = r"^20\d\d-[01]\d-[0-3]\d$"
STATUSES = ("green", "amber", "red", "not_applicable", "low_numbers", "no_return")
REGEXES = {Kind.URN: r"^\d{6}$", Kind.PUPIL_REF: r"^[A-Za-z0-9_-]{6,40}$"}


def _expect(kind: str, **kwargs: Any) -> dict[str, Any]:
    return {"type": kind, "kwargs": kwargs}


def return_suite(sheet: Sheet) -> dict[str, Any]:
    """The expectations on one sheet of every return loaded in a night."""
    expectations = [
        _expect(
            "expect_table_columns_to_match_set",
            column_set=[*INDEX_COLUMNS, *sheet.column_names],
            exact_match=True,
        )
    ]
    for column in sheet.columns:
        name = column.name
        if not column.optional:
            expectations.append(_expect("expect_column_values_to_not_be_null", column=name))
        if column.allowed and column.kind is not Kind.CODE_LIST:
            expectations.append(
                _expect(
                    "expect_column_values_to_be_in_set", column=name, value_set=list(column.allowed)
                )
            )
        if column.kind is Kind.DATE:
            expectations.append(
                _expect(
                    "expect_column_values_to_match_regex", column=name, regex=ISO_DATE_SINCE_2000
                )
            )
        if column.kind in REGEXES:
            expectations.append(
                _expect(
                    "expect_column_values_to_match_regex", column=name, regex=REGEXES[column.kind]
                )
            )
        if column.minimum is not None:
            expectations.append(
                _expect(
                    "expect_column_values_to_be_between",
                    column=name,
                    min_value=column.minimum,
                    strict_min=column.exclusive_minimum,
                )
            )
    if sheet.name == "pupils":
        expectations.append(
            _expect("expect_compound_columns_to_be_unique", column_list=["return_key", "pupil_ref"])
        )
    if sheet.name == "school":
        expectations.append(_expect("expect_column_values_to_be_unique", column="return_key"))
    return {"name": f"raw_{sheet.name}_returns", "expectations": expectations}


def mart_suites() -> list[dict[str, Any]]:
    """The checkpoint on the marts, before they are published."""
    return [
        {
            "name": "fct_submissions",
            "expectations": [
                _expect("expect_column_values_to_not_be_null", column="sha256"),
                _expect(
                    "expect_column_values_to_be_in_set",
                    column="outcome",
                    value_set=["loaded", "rejected", "duplicate"],
                ),
                _expect(
                    "expect_column_values_to_be_in_set", column="in_force", value_set=["Y", "N"]
                ),
            ],
        },
        {
            "name": "fct_duty_checks",
            "expectations": [
                _expect(
                    "expect_compound_columns_to_be_unique",
                    column_list=["urn", "academic_year", "term", "check_id"],
                ),
                _expect(
                    "expect_column_values_to_be_in_set",
                    column="status",
                    value_set=list(STATUSES),
                ),
                _expect(
                    "expect_column_values_to_be_in_set",
                    column="strength",
                    value_set=["must", "should", "signal"],
                ),
                _expect("expect_column_values_to_not_be_null", column="evidence"),
                _expect("expect_column_values_to_not_be_null", column="paragraph"),
            ],
        },
        {
            "name": "fct_return_status",
            "expectations": [
                _expect(
                    "expect_compound_columns_to_be_unique",
                    column_list=["urn", "academic_year", "term"],
                ),
                _expect(
                    "expect_column_values_to_be_in_set",
                    column="return_status",
                    value_set=["on_time", "late", "missing", "not_yet_due"],
                ),
            ],
        },
    ]


ALL_SUITES = {
    "raw_school_returns": lambda: return_suite(CONTRACT.sheet("school")),
    "raw_pupil_returns": lambda: return_suite(CONTRACT.sheet("pupils")),
    "marts": lambda: {"name": "marts", "suites": mart_suites()},
}


def write_suites(folder: Path = EXPECTATIONS) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, build in ALL_SUITES.items():
        path = folder / f"{name}.json"
        path.write_text(json.dumps(build(), indent=2) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def load_suite(name: str, folder: Path = EXPECTATIONS) -> dict[str, Any]:
    return json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))


@dataclass
class GateFailure:
    """A row (or the whole table) that failed an expectation."""

    suite: str
    expectation: str
    column: str | None
    return_key: str | None
    row_number: int | None
    value: str | None


class Gate:
    """One ephemeral GX context, reused for every validation of a run."""

    def __init__(self) -> None:
        os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
        import great_expectations as gx  # slow to import: only when a gate runs

        self._gx = gx
        self._context = gx.get_context(mode="ephemeral")
        self._context.variables.progress_bars = {"globally": False}
        self._source = self._context.data_sources.add_pandas("sendwatch")
        self._batches: dict[str, Any] = {}

    def _batch_definition(self, name: str) -> Any:
        if name not in self._batches:
            asset = self._source.add_dataframe_asset(name)
            self._batches[name] = asset.add_batch_definition_whole_dataframe(name)
        return self._batches[name]

    def validate(
        self, suite: dict[str, Any], frame: pd.DataFrame, index: list[str] | None = None
    ) -> list[GateFailure]:
        """Validate ``frame``; every unexpected row is one failure."""
        from great_expectations.expectations.expectation_configuration import (
            ExpectationConfiguration,
        )

        gx_suite = self._gx.ExpectationSuite(name=suite["name"])
        for expectation in suite["expectations"]:
            gx_suite.add_expectation_configuration(ExpectationConfiguration(**expectation))
        batch = self._batch_definition(suite["name"]).get_batch(
            batch_parameters={"dataframe": frame}
        )
        result_format: dict[str, Any] = {"result_format": "COMPLETE"}
        if index:
            result_format["unexpected_index_column_names"] = index
        outcome = batch.validate(gx_suite, result_format=result_format)
        failures = []
        for result in outcome.results:
            if result.success:
                continue
            config = result.expectation_config
            column = config.kwargs.get("column")
            rows = result.result.get("unexpected_index_list") or [None]
            for row in rows:
                failures.append(
                    GateFailure(
                        suite["name"],
                        config.type,
                        column,
                        str(row["return_key"]) if row and "return_key" in row else None,
                        int(row["row_number"]) if row and "row_number" in row else None,
                        str(row.get(column)) if row and column else None,
                    )
                )
        return failures


def gate_frame(frame: pd.DataFrame, sheet: Sheet) -> pd.DataFrame:
    """A frame as GX sees it: dates as ISO text, money as numbers."""
    out = frame.copy()
    for column in sheet.columns:
        if column.kind is Kind.DATE:
            out[column.name] = out[column.name].map(lambda d: d.isoformat() if d else None)
        elif column.kind is Kind.MONEY:
            out[column.name] = out[column.name].map(lambda m: float(m) if m is not None else None)
    return out


if __name__ == "__main__":
    for written in write_suites():
        print(f"wrote {written}")
