"""The validate step's parts: judging each delivery, the raw-return quality gate, and
staging the night's valid rows (with their lineage) and every file's receipt."""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from sendwatch.contract.v1 import CONTRACT, ENQUIRIES_SHEET, VERSION, parse_return_file_name
from sendwatch.pipeline import gates
from sendwatch.pipeline.landing import Delivery
from sendwatch.pipeline.warehouse import column_names
from sendwatch.problems import Problem
from sendwatch.validation import Checked, Delivered


def _submission_id(delivery: Delivery) -> str:
    """The same files (names and bytes) always make the same submission id."""
    joined = "|".join(sorted(f"{f.file_name}:{f.sha256}" for f in delivery.files))
    return hashlib.sha256(joined.encode()).hexdigest()[:20]


def sent_in_two_formats(deliveries: list[Delivery]) -> dict[str, list[Delivery]]:
    """Return keys (school, year, term) sent tonight both as a workbook and as CSV."""
    by_key: dict[str, list[Delivery]] = {}
    for delivery in deliveries:
        if delivery.kind == "return":
            by_key.setdefault(delivery.key, []).append(delivery)
    formats = {
        key: {Path(f.file_name).suffix.lower() for d in group for f in d.files}
        for key, group in by_key.items()
    }
    return {key: by_key[key] for key, found in formats.items() if len(found) > 1}


def two_formats(delivery: Delivery, both_formats: dict[str, list[Delivery]]) -> Problem:
    names = [", ".join(f.path for f in d.files) for d in both_formats[delivery.key]]
    return Problem(
        delivery.files[0].file_name,
        "two_formats",
        f"the return for {delivery.key} arrived tonight as a workbook and as CSV files "
        f"({'; '.join(names)}), so sendwatch cannot tell which one the school meant",
    )


def combine(staged: dict[str, list[pd.DataFrame]]) -> dict[str, list[pd.DataFrame]]:
    """A batch's returns' frames as one frame a sheet, each row with its lineage (a night
    gathers one frame a batch, not one a return: thousands of small frames are slow to
    keep, to load again and to join)."""
    return {sheet: [_with_lineage(frames)] if frames else [] for sheet, frames in staged.items()}


def _without(frames: list[pd.DataFrame], submission_ids: set[str]) -> list[pd.DataFrame]:
    return [frame[~frame["return_key"].isin(submission_ids)] for frame in frames]


def unstage(staged: dict[str, list[pd.DataFrame]], submission_ids: set[str]) -> None:
    for sheet_name, frames in staged.items():
        staged[sheet_name] = _without(frames, submission_ids)


def is_duplicate(delivery: Delivery, seen: dict[str, set[str]], seen_tonight: set[str]) -> bool:
    """Every file of it already received, on an earlier night or earlier tonight."""
    return all(f.sha256 in seen or f.sha256 in seen_tonight for f in delivery.files)


def delivered(copies: Path, delivery: Delivery) -> Delivered:
    """What checking a delivery needs: where the night's copies of its files are (in
    ``copies``, by sha256), and the day it was received."""
    return Delivered(
        delivery.kind,
        {f.file_name: copies / f.sha256 for f in delivery.files},
        datetime.fromisoformat(delivery.received_at).date(),
    )


def judge(
    delivery: Delivery, checked: Checked | None, staged: dict[str, list[pd.DataFrame]]
) -> dict[str, Any]:
    """One delivery's outcome from its check (None: a duplicate, not checked); its rows
    staged if it loads."""
    outcome: dict[str, Any] = {
        **delivery.as_dict(),
        "submission_id": _submission_id(delivery),
        "received_at": delivery.received_at,
        "problems": [],
    }
    if checked is None:
        return {**outcome, "outcome": "duplicate"}
    if checked.valid and delivery.kind == "enquiries":
        frame = pd.DataFrame(checked.rows, columns=list(ENQUIRIES_SHEET.column_names))
        frame.insert(0, "row_number", range(2, len(frame) + 2))
        staged["enquiries"].append(_with_key(frame, outcome, delivery.files[0]))
    elif checked.valid:
        by_sheet = {sheet: _file_of(delivery, sheet) for sheet in ("school", "pupils")}
        school = checked.school_frame()
        school.insert(0, "row_number", 2)
        staged["school"].append(_with_key(school, outcome, by_sheet["school"]))
        pupils = checked.pupils_frame()
        pupils.insert(0, "row_number", checked.pupil_row_numbers)
        staged["pupils"].append(_with_key(pupils, outcome, by_sheet["pupils"]))
    return verdict(outcome, checked.problems)


def _file_of(delivery: Delivery, sheet: str):
    if len(delivery.files) == 1:
        return delivery.files[0]
    return next(f for f in delivery.files if f.file_name.endswith(f"_{sheet}.csv"))


def _with_key(frame: pd.DataFrame, outcome: dict[str, Any], landed) -> pd.DataFrame:
    frame.insert(0, "return_key", outcome["submission_id"])
    frame.attrs["submission_id"] = outcome["submission_id"]  # also when the frame is empty
    frame.attrs["lineage"] = {
        "file_name": landed.file_name,
        "sha256": landed.sha256,
        "received_at": landed.received_at,
    }
    return frame


def verdict(outcome: dict[str, Any], problems: list[Problem]) -> dict[str, Any]:
    if not problems:
        return {**outcome, "outcome": "loaded"}
    return {
        **outcome,
        "outcome": "rejected",
        "problems": [problem.as_dict() for problem in problems],
        "first_error": str(problems[0]),
    }


class ReturnsGate:
    """The raw-return GX checkpoints, run over the night's valid rows a batch at a time,
    in the run ``folder``'s copy of the GX context (its Data Docs are the night's).

    Every expectation is about a row, a column's values or a return's own rows (unique
    within a return), and a return lies in one batch: batch by batch finds what one run
    over the whole night would. ``summary`` says how each suite went over them all.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.summary: dict[str, Any] = {"success": True, "suites": {}}
        self._gate: gates.Gate | None = None  # GX is slow to import: only if rows come

    def run(self, staged: dict[str, list[pd.DataFrame]], outcomes: list[dict[str, Any]]) -> None:
        """Check one batch's rows; its returns with unexpected values are rejected (in
        ``outcomes``) and their rows dropped from ``staged``."""
        if not any(len(frame) for frame in staged["school"]):
            return
        self._gate = self._gate or gates.Gate(self.folder)
        failed: dict[str, list[Problem]] = {}
        for sheet_name, suite_name in gates.RAW_RETURN_CHECKPOINTS.items():
            sheet = CONTRACT.sheet(sheet_name)
            frame = pd.concat(staged[sheet_name], ignore_index=True)
            checked = gates.gate_frame(
                frame[["return_key", "row_number", *sheet.column_names]], sheet
            )
            found = self._gate.run_part(suite_name, checked)
            suite = self.summary["suites"].setdefault(suite_name, {"rows": 0, "failures": 0})
            suite["rows"] += len(checked)
            suite["failures"] += len(found)
            self.summary["success"] = self.summary["success"] and not found
            for failure in found:
                failed.setdefault(failure.return_key or "*", []).append(
                    _gate_problem(sheet_name, failure)
                )
        if failed:
            self._reject(staged, outcomes, failed)

    def finish(self) -> dict[str, Any]:
        """Build the night's Data Docs once, with every batch's results; the summary."""
        if self._gate is not None:
            self._gate.build_docs()
        return self.summary

    @staticmethod
    def _reject(
        staged: dict[str, list[pd.DataFrame]],
        outcomes: list[dict[str, Any]],
        failed: dict[str, list[Problem]],
    ) -> None:
        in_batch = {key for frame in staged["school"] for key in frame["return_key"]}
        rejected = set()
        for index, outcome in enumerate(outcomes):
            if outcome["outcome"] != "loaded" or outcome["submission_id"] not in in_batch:
                continue
            problems = failed.get(outcome["submission_id"], []) + failed.get("*", [])
            if problems:
                outcomes[index] = verdict(outcome, problems)
                rejected.add(outcome["submission_id"])
        for sheet_name in ("school", "pupils"):
            staged[sheet_name] = _without(staged[sheet_name], rejected)


def _gate_problem(sheet_name: str, failure: gates.GateFailure) -> Problem:
    return Problem(
        sheet_name,
        "quality_gate",
        f"failed the quality gate {failure.expectation}"
        + (f" (value '{failure.value}')" if failure.value else ""),
        sheet=sheet_name,
        row=failure.row_number,
        column=failure.column,
        value=failure.value,
    )


def stage_rows(
    connection: duckdb.DuckDBPyConnection,
    staged: dict[str, list[pd.DataFrame]],
    outcomes: list[dict[str, Any]],
    run_id: str,
    processed_at: str,
) -> None:
    """Each sheet's loaded rows, with their lineage (see :func:`combine`), into its raw
    table at once: one insert a table, not one a return."""
    loaded = {o["submission_id"] for o in outcomes if o["outcome"] == "loaded"}
    for sheet_name, table in (
        ("school", "raw_school_returns"),
        ("pupils", "raw_pupil_returns"),
        ("enquiries", "raw_enquiries"),
    ):
        if not staged[sheet_name]:
            continue
        rows = pd.concat(staged[sheet_name], ignore_index=True)
        rows = rows[rows["return_key"].isin(loaded)].rename(columns={"return_key": "submission_id"})
        if rows.empty:
            continue
        rows = rows.assign(
            loaded_at=pd.Timestamp(processed_at), contract_version=VERSION, run_id=run_id
        )
        wanted = column_names(table)
        if "row_number" not in wanted:
            rows = rows.drop(columns=["row_number"])
        # DuckDB types a column of Python objects (the amounts, as Decimals) from its
        # first 1,000 values by default: one school's larger budget further down would
        # not fit the type guessed. Every value is looked at.
        connection.execute(f"set pandas_analyze_sample = {max(1000, len(rows))}")
        connection.from_df(rows[wanted]).insert_into(table)


def _with_lineage(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """The frames as one, each row with the file it came from (name, sha256, receipt)."""
    lineages = [frame.attrs["lineage"] for frame in frames]
    sizes = [len(frame) for frame in frames]
    rows = pd.concat(frames, ignore_index=True)
    rows.attrs = {}  # pandas copies attrs on every step; the lineage is in columns now
    for column in ("file_name", "sha256"):
        rows[column] = pd.Series([x[column] for x in lineages]).repeat(sizes).to_numpy()
    receipts = pd.to_datetime([x["received_at"] for x in lineages], utc=True)
    rows["received_at"] = receipts.repeat(sizes)
    return rows


def stage_submissions(
    connection: duckdb.DuckDBPyConnection,
    outcomes: list[dict[str, Any]],
    run_id: str,
    processed_at: str,
) -> None:
    records = []
    for outcome in outcomes:
        for landed in outcome["files"]:
            name = parse_return_file_name(landed["file_name"])
            records.append(
                {
                    "submission_id": outcome["submission_id"],
                    "file_name": landed["file_name"],
                    "landing_path": landed["path"],
                    "sha256": landed["sha256"],
                    "urn": name.urn if name else None,
                    "academic_year": name.academic_year if name else None,
                    "term": name.term if name else None,
                    "received_at": pd.Timestamp(landed["received_at"]),
                    "processed_at": pd.Timestamp(processed_at),
                    "outcome": outcome["outcome"],
                    "first_error": outcome.get("first_error"),
                    "problem_count": len(outcome["problems"]),
                    "contract_version": VERSION,
                    "run_id": run_id,
                    "stored_path": landed["stored_path"],
                }
            )
    if records:
        frame = pd.DataFrame(records, columns=column_names("raw_submissions"))
        connection.from_df(frame).insert_into("raw_submissions")
