"""Great Expectations gates: raw returns before they load, marts before they publish.

sendwatch's GX project is a file data context committed in ``expectations/gx``: one
pandas data source with a dataframe asset per checked table, and for each table an
expectation suite, a validation definition and a checkpoint of the same name (a
checkpoint run takes one dataframe, so each table has its own). GX validates through
its pandas data source: its SQL data source does not work with DuckDB.

The context is generated, suites and all, from the return contract and
``seeds/statuses.csv`` (regenerate with ``python -m sendwatch.pipeline.gates``; a test
fails while it is stale), with ids derived from names so that regenerating it changes
only what changed.

A night never runs GX in the repository: :class:`Gate` copies the committed context
into the run folder (``runs/<run>/gx``) and runs the checkpoints there, so the
validation results and the Data Docs each checkpoint builds stay with the night.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import uuid
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pandas as pd

from sendwatch.contract.duties import measuring_vars
from sendwatch.contract.v1 import CONTRACT, Kind, Sheet
from sendwatch.settings import PROJECT_ROOT

GX_PROJECT = PROJECT_ROOT / "expectations"  # GX's project root: the context is its gx/
GX_CONTEXT = GX_PROJECT / "gx"
EXPECTATIONS = GX_CONTEXT / "expectations"  # the suites, one JSON file each
DATA_SOURCE = "sendwatch"
DATA_DOCS_SITE = "local_site"
STATUSES_SEED = PROJECT_ROOT / "seeds" / "statuses.csv"
INDEX_COLUMNS = ["return_key", "row_number"]
ISO_DATE_SINCE_2000 = r"^20\d\d-[01]\d-[0-3]\d$"
REGEXES = {Kind.URN: r"^\d{6}$", Kind.PUPIL_REF: r"^[A-Za-z0-9_-]{6,40}$"}
# the checkpoint for each sheet of a return, run on all of a night's valid rows
RAW_RETURN_CHECKPOINTS = {"school": "raw_school_returns", "pupils": "raw_pupil_returns"}
# the checkpoint for each mart, run before the night publishes
MART_CHECKPOINTS = ("fct_submissions", "fct_duty_checks", "fct_return_status", "fct_need_demand")
_IDS = uuid.uuid5(uuid.NAMESPACE_URL, "sendwatch/expectations/gx")


def _expect(kind: str, **kwargs: Any) -> dict[str, Any]:
    return {"type": kind, "kwargs": kwargs}


def statuses() -> list[str]:
    """The statuses a duty check can have, from the one seed that defines them."""
    with STATUSES_SEED.open(encoding="utf-8", newline="") as handle:
        return [row["status"] for row in csv.DictReader(handle)]


def return_expectations(sheet: Sheet) -> list[dict[str, Any]]:
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
    return expectations


# a published count that disclosure control should have withheld (c)
SMALL_COUNT = "^({})$".format(
    "|".join(str(count) for count in range(1, measuring_vars()["disclosure_counts_below"]))
)


def mart_expectations() -> dict[str, list[dict[str, Any]]]:
    """The expectations on each mart, before it is published."""
    return {
        "fct_submissions": [
            _expect("expect_column_values_to_not_be_null", column="sha256"),
            _expect(
                "expect_column_values_to_be_in_set",
                column="outcome",
                value_set=["loaded", "rejected", "duplicate"],
            ),
            _expect("expect_column_values_to_be_in_set", column="in_force", value_set=["Y", "N"]),
        ],
        "fct_duty_checks": [
            _expect(
                "expect_compound_columns_to_be_unique",
                column_list=["urn", "academic_year", "term", "check_id"],
            ),
            _expect("expect_column_values_to_be_in_set", column="status", value_set=statuses()),
            _expect(
                "expect_column_values_to_be_in_set",
                column="strength",
                value_set=["must", "should", "signal"],
            ),
            _expect("expect_column_values_to_not_be_null", column="evidence"),
            _expect("expect_column_values_to_not_be_null", column="paragraph"),
        ],
        "fct_return_status": [
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
        # what leaves the LA: a published count of pupils is never from 1 to 4
        "fct_need_demand": [
            _expect(
                "expect_column_values_to_not_match_regex",
                column=column,
                regex=SMALL_COUNT,
            )
            for column in ("published_sen_support_pupils", "published_ehc_plan_pupils")
        ],
    }


def checked_columns(mart: str) -> list[str]:
    """The columns of ``mart`` its expectations look at, in order: all a gate needs to
    read (an England night's marts are hundreds of thousands of rows of long text)."""
    columns: list[str] = []
    for expectation in mart_expectations()[mart]:
        kwargs = expectation["kwargs"]
        for column in [kwargs.get("column"), *kwargs.get("column_list", [])]:
            if column and column not in columns:
                columns.append(column)
    return columns


def part_key(mart: str) -> str | None:
    """The column a mart may be checked in parts by, whole values at a time: the first
    of its compound unique key, so that no duplicate can fall across two parts. None
    where a mart has no such key (every other expectation looks at one row at a time)."""
    for expectation in mart_expectations()[mart]:
        if expectation["type"] == "expect_compound_columns_to_be_unique":
            return expectation["kwargs"]["column_list"][0]
    return None


def mart_expectations_fingerprint() -> str:
    """What the marts' gate judges by: every mart expectation and the GX release. A
    snapshot gated under the same fingerprint need not be gated again where unchanged."""
    judged = {"great_expectations": version("great_expectations"), **mart_expectations()}
    return hashlib.sha256(json.dumps(judged, sort_keys=True).encode()).hexdigest()


# --- the file data context, as GX 1.x keeps it -------------------------------------


def _id(*parts: str) -> str:
    """A fixed id for a named GX object, so regenerating the context keeps its ids."""
    return str(uuid.uuid5(_IDS, "/".join(parts)))


def gx_suite(name: str, expectations: list[dict[str, Any]]) -> dict[str, Any]:
    """An expectation suite as GX stores it in ``gx/expectations/<name>.json``."""
    entries = []
    for expectation in expectations:
        key = json.dumps(expectation, sort_keys=True)
        entries.append(
            {
                "id": _id("expectation", name, key),
                "kwargs": expectation["kwargs"],
                "meta": {},
                "severity": "critical",
                "type": expectation["type"],
            }
        )
    if len({entry["id"] for entry in entries}) != len(entries):
        raise ValueError(f"suite {name} repeats an expectation")
    return {
        "expectations": entries,
        "id": _id("suite", name),
        "meta": {"great_expectations_version": version("great_expectations")},
        "name": name,
        "notes": None,
    }


def _expectations() -> dict[str, list[dict[str, Any]]]:
    return {
        **{
            suite: return_expectations(CONTRACT.sheet(sheet))
            for sheet, suite in RAW_RETURN_CHECKPOINTS.items()
        },
        **mart_expectations(),
    }


def _suite_builder(name: str) -> Any:
    return lambda: gx_suite(name, _expectations()[name])


# Every suite of the context, by name: each builds the JSON GX keeps for it.
ALL_SUITES = {
    name: _suite_builder(name) for name in [*RAW_RETURN_CHECKPOINTS.values(), *MART_CHECKPOINTS]
}


def _validation_definition(name: str) -> dict[str, Any]:
    """The suite of ``name`` on the whole dataframe of the asset ``name``."""
    return {
        "data": {
            "asset": {"id": _id("asset", name), "name": name},
            "batch_definition": {"id": _id("batch_definition", name), "name": name},
            "datasource": {"id": _id("datasource", DATA_SOURCE), "name": DATA_SOURCE},
        },
        "id": _id("validation_definition", name),
        "name": name,
        "suite": {"id": _id("suite", name), "name": name},
    }


def _checkpoint(name: str, index: list[str] | None) -> dict[str, Any]:
    """Validate ``name``, every unexpected row reported (by ``index``), then update the
    Data Docs."""
    result_format: dict[str, Any] = {"result_format": "COMPLETE"}
    if index:
        result_format["unexpected_index_column_names"] = index
    return {
        "actions": [{"name": "update_data_docs", "site_names": [], "type": "update_data_docs"}],
        "id": _id("checkpoint", name),
        "name": name,
        "result_format": result_format,
        "validation_definitions": [{"id": _id("validation_definition", name), "name": name}],
    }


def _config(names: list[str]) -> str:
    """great_expectations.yml: the stores, the Data Docs site and the data source."""
    assets = "".join(
        f"      {name}:\n"
        f"        type: dataframe\n"
        f"        id: {_id('asset', name)}\n"
        f"        batch_metadata: {{}}\n"
        f"        batch_definitions:\n"
        f"          {name}:\n"
        f"            id: {_id('batch_definition', name)}\n"
        f"            partitioner:\n"
        for name in names
    )
    return f"""\
# sendwatch's Great Expectations project (a GX 1.x file data context), generated by
# `uv run python -m sendwatch.pipeline.gates`: edit sendwatch/pipeline/gates.py, not this.
#
# A night copies this folder into its run folder (runs/<run>/gx) and runs the
# checkpoints there, so the validation results and Data Docs under uncommitted/ are
# the night's and are never written here. See expectations/README.md.
config_version: 4.0
data_context_id: {_id("data_context")}
analytics_enabled: false
progress_bars:
  globally: false
config_variables_file_path:
plugins_directory:

stores:
  expectations_store:
    class_name: ExpectationsStore
    store_backend:
      class_name: TupleFilesystemStoreBackend
      suppress_store_backend_id: true
      base_directory: expectations/
  validation_definition_store:
    class_name: ValidationDefinitionStore
    store_backend:
      class_name: TupleFilesystemStoreBackend
      suppress_store_backend_id: true
      base_directory: validation_definitions/
  checkpoint_store:
    class_name: CheckpointStore
    store_backend:
      class_name: TupleFilesystemStoreBackend
      suppress_store_backend_id: true
      base_directory: checkpoints/
  validation_results_store:
    class_name: ValidationResultsStore
    store_backend:
      class_name: TupleFilesystemStoreBackend
      base_directory: uncommitted/validations/

expectations_store_name: expectations_store
validation_results_store_name: validation_results_store
checkpoint_store_name: checkpoint_store

data_docs_sites:
  {DATA_DOCS_SITE}:
    class_name: SiteBuilder
    show_how_to_buttons: false
    store_backend:
      class_name: TupleFilesystemStoreBackend
      base_directory: uncommitted/data_docs/{DATA_DOCS_SITE}/
    site_index_builder:
      class_name: DefaultSiteIndexBuilder

fluent_datasources:
  {DATA_SOURCE}:
    type: pandas
    id: {_id("datasource", DATA_SOURCE)}
    assets:
{assets}"""


def context_files() -> dict[str, str]:
    """Every file of the committed context, by its path inside ``expectations/gx``."""
    names = list(ALL_SUITES)
    files = {
        "great_expectations.yml": _config(names),
        ".gitignore": "uncommitted/\n",
    }
    raw = set(RAW_RETURN_CHECKPOINTS.values())
    for name, build in ALL_SUITES.items():
        files[f"expectations/{name}.json"] = _json(build())
        files[f"validation_definitions/{name}.json"] = _json(_validation_definition(name))
        files[f"checkpoints/{name}.json"] = _json(
            _checkpoint(name, INDEX_COLUMNS if name in raw else None)
        )
    return files


def _json(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def write_context(root: Path = GX_CONTEXT) -> list[Path]:
    """Write the context's files, and remove any suite, validation definition or
    checkpoint the code no longer makes."""
    files = context_files()
    for folder in ("expectations", "validation_definitions", "checkpoints"):
        for old in (root / folder).glob("*.json"):
            if f"{folder}/{old.name}" not in files:
                old.unlink()
    paths = []
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


# --- a night's gates ------------------------------------------------------------------


def data_docs_index(folder: Path) -> Path:
    """The index.html of the Data Docs a night's checkpoints build in its run folder."""
    return folder / "gx" / "uncommitted" / "data_docs" / DATA_DOCS_SITE / "index.html"


def copy_context(target: Path) -> None:
    """The committed context at ``target``, keeping what earlier runs left in its
    uncommitted/ (so a night's two gates share one set of results and Data Docs)."""
    if target.exists():
        for entry in target.iterdir():
            if entry.name != "uncommitted":
                shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    shutil.copytree(
        GX_CONTEXT, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns("uncommitted")
    )


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
    """The night's copy of the GX context (``<folder>/gx``), whose checkpoints it runs.

    Each checkpoint stores its validation result and updates the Data Docs there.
    """

    def __init__(self, folder: Path) -> None:
        os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
        import great_expectations as gx  # slow to import: only when a gate runs
        from great_expectations.core.run_identifier import RunIdentifier

        copy_context(folder / "gx")
        self._context = gx.get_context(mode="file", project_root_dir=folder)
        self._run_id = RunIdentifier(run_name=folder.name)
        self.data_docs = data_docs_index(folder)

    def run(self, checkpoint: str, frame: pd.DataFrame) -> list[GateFailure]:
        """Run a checkpoint on ``frame``; every unexpected row is one failure."""
        result = self._context.checkpoints.get(checkpoint).run(
            batch_parameters={"dataframe": frame}, run_id=self._run_id
        )
        failures = []
        for validation in result.run_results.values():
            failures += _failures(validation)
        return failures

    def run_part(self, checkpoint: str, frame: pd.DataFrame) -> list[GateFailure]:
        """Run a checkpoint's validations on ``frame``, one part of what it checks, as
        :meth:`run` does but leaving the Data Docs to :meth:`build_docs`: the checkpoint's
        action rebuilds every page already there, each time it runs."""
        found = self._context.checkpoints.get(checkpoint)
        failures = []
        for definition in found.validation_definitions:
            validation = definition.run(
                checkpoint_id=found.id,
                batch_parameters={"dataframe": frame},
                result_format=found.result_format,
                run_id=self._run_id,
            )
            failures += _failures(validation)
        return failures

    def build_docs(self) -> None:
        """The Data Docs, with every validation result stored so far."""
        self._context.build_data_docs()


def _failures(validation: Any) -> list[GateFailure]:
    failures = []
    for result in validation.results:
        if result.success:
            continue
        config = result.expectation_config
        column = config.kwargs.get("column")
        details = result.result or {}
        values = details.get("unexpected_list") or []
        rows = details.get("unexpected_index_list") or [None]
        for number, row in enumerate(rows):
            if isinstance(row, dict):  # the row's index columns and its value
                return_key = str(row["return_key"]) if "return_key" in row else None
                row_number = int(row["row_number"]) if "row_number" in row else None
                value = str(row.get(column)) if column else None
            else:  # a table without index columns (a mart): the value alone
                return_key = row_number = None
                value = str(values[number]) if column and number < len(values) else None
            failures.append(
                GateFailure(
                    validation.suite_name, config.type, column, return_key, row_number, value
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
    for written in write_context():
        print(f"wrote {written.relative_to(PROJECT_ROOT)}")
