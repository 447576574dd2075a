"""The steps of the nightly refresh. The DAG ``sen_returns_nightly`` calls them.

Each step reads and writes only its run's folder (``$SENDWATCH_HOME/runs/<run>``)
until ``publish``, so any step can be retried and a failed night leaves the
warehouse, the published snapshot and the landing folder as they were:

recover   -> finishes an earlier night's unfinished journal (see ``publish.py``)
discover  -> manifest.json, files/   what is in landing, copied once, grouped
check_batch -> batches/<n>.*.pickle each batch of deliveries checked (a mapped task)
validate  -> staged.duckdb       valid rows with lineage, and every outcome
             gx/                 the GX context's copy: raw-return checkpoints, Data Docs
build     -> warehouse.duckdb    a copy of the warehouse + the night's rows + dbt build
foresee   -> warehouse.duckdb    the fitted models' findings (outlook tables) + their marts
check     -> gates.json          Great Expectations checkpoints on the marts (into gx/)
publish   -> journal.json, then published/ (the snapshot and its Data Docs), archive/,
             quarantine/ (idempotent)
summarise -> summary.json, runs/history.jsonl
"""

from __future__ import annotations

import contextvars
import functools
import json
import logging
import math
import os
import shutil
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd

from sendwatch.pipeline import dbt_runner, failpoints, gates, staging
from sendwatch.pipeline import foresee as foresight
from sendwatch.pipeline import publish as publishing
from sendwatch.pipeline.landing import Delivery, group_deliveries, survey_landing
from sendwatch.pipeline.publish import read_json, stored_path, write_json
from sendwatch.pipeline.warehouse import (
    RAW_TABLES,
    column_names,
    create_raw_tables,
    processed_files,
)
from sendwatch.problems import Problem
from sendwatch.register import read_register
from sendwatch.settings import Settings
from sendwatch.snapshots import open_snapshot, run_folder
from sendwatch.terms import collected_terms
from sendwatch.validation import check_deliveries, checking_processes

Step = TypeVar("Step", bound=Callable[..., Any])
LOG = logging.getLogger(__name__)
LONDON = ZoneInfo("Europe/London")


# The file a step is handling, so that a failed night says which (failed.json).
HANDLING: contextvars.ContextVar[str | None] = contextvars.ContextVar("handling", default=None)


def progress(message: str) -> None:
    """One line of progress: to the terminal under `sendwatch refresh` (which sets
    SENDWATCH_PROGRESS), to the task log under Airflow's scheduler."""
    LOG.info(message)
    if os.environ.get("SENDWATCH_PROGRESS"):
        print(f"  {message}", file=sys.__stderr__, flush=True)


def recorded(step: Step) -> Step:
    """Record a step's failure in the run folder, so the summary can say why."""

    @functools.wraps(step)
    def wrapper(settings: Settings, run_id: str, *args: Any, **kwargs: Any) -> Any:
        folder = run_folder(settings, run_id)
        token = HANDLING.set(None)
        try:
            return step(settings, run_id, *args, **kwargs)
        except Exception as error:
            folder.mkdir(parents=True, exist_ok=True)
            write_json(
                folder / "failed.json",
                {
                    "step": step.__name__,
                    "file": HANDLING.get(),
                    "error": f"{type(error).__name__}: {error}",
                },
            )
            raise
        finally:
            HANDLING.reset(token)

    return wrapper  # type: ignore[return-value]


# --- recover ----------------------------------------------------------------------


@recorded
def recover(settings: Settings, run_id: str) -> dict[str, int]:
    """Finish any night that committed its publish but did not carry it out (killed,
    or its retries ran out), before anything else looks at landing or the warehouse;
    drop the working copies of nights that never reached their commit point."""
    settings.ensure_folders()
    finished = 0
    for folder in publishing.unfinished(settings):
        HANDLING.set(folder.name)
        publishing.finish(settings, folder)
        finished += 1
    for folder in publishing.abandoned(settings, run_folder(settings, run_id)):
        publishing.drop_working_copies(folder)
    return {"finished": finished}


# --- discover ---------------------------------------------------------------------


@recorded
def discover(
    settings: Settings, run_id: str, as_of: datetime | None = None, rebuild: bool = False
) -> dict[str, int]:
    """List what has landed and group it into deliveries.

    ``as_of`` is the moment the night judges as at (the DAG's logical date, or
    ``refresh --as-of``); ``rebuild`` builds even with nothing new (a past night).
    """
    settings.ensure_folders()
    folder = run_folder(settings, run_id)
    if folder.exists():
        shutil.rmtree(folder)  # a retried night starts its folder again
    folder.mkdir(parents=True)
    found = survey_landing(settings.landing, folder / "files", settings.limits.settle_seconds)
    deliveries = group_deliveries(found.files)
    write_json(
        folder / "manifest.json",
        {
            "run_id": run_id,
            "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "as_of": (as_of or datetime.now(UTC)).astimezone(UTC).isoformat(),
            "rebuild": rebuild,
            "deliveries": [delivery.as_dict() for delivery in deliveries],
            "refused": [asdict(entry) for entry in found.refused],
            "waiting": found.waiting,
        },
    )
    progress(
        f"discover: {len(found.files)} new file(s) in {len(deliveries)} deliveries"
        + (f", {len(found.refused)} refused" if found.refused else "")
        + (f", {len(found.waiting)} still arriving" if found.waiting else "")
    )
    return {
        "files": len(found.files),
        "deliveries": len(deliveries),
        "refused": len(found.refused),
        "waiting": len(found.waiting),
    }


def has_new_files(settings: Settings, run_id: str) -> bool:
    """Whether the night has anything to build: files to judge or refuse, a past night
    asked for, or a return deadline passed since the night now published (a return
    not yet due becomes missing with no file arriving)."""
    manifest_path = run_folder(settings, run_id) / "manifest.json"
    if not manifest_path.exists():
        return False
    manifest = read_json(manifest_path)
    if manifest["deliveries"] or manifest["refused"] or manifest.get("rebuild"):
        return True
    as_of = datetime.fromisoformat(manifest["as_of"])
    return deadline_passed(published_as_of(settings), as_of)


def published_as_of(settings: Settings) -> datetime | None:
    """The moment the published snapshot judged as at (None: none, or made before as_of)."""
    try:
        with open_snapshot(settings) as connection:
            found = connection.execute(
                "select as_of from raw_runs order by published_at desc limit 1"
            ).fetchone()
    except (FileNotFoundError, duckdb.Error):
        return None
    return found[0] if found else None


def deadline_passed(before: datetime | None, now: datetime) -> bool:
    """Whether a term's deadline fell between two moments (dates in England)."""
    if before is None:
        return True
    first, last = (moment.astimezone(LONDON).date() for moment in (before, now))
    return any(first <= term.deadline < last for term in collected_terms())


# --- validate ---------------------------------------------------------------------


def validation_batches(settings: Settings, run_id: str) -> list[int]:
    """The night's deliveries in batches of ``settings.validation_batch``, in landing
    order: the DAG maps one task over each (at least one, so a night with nothing new
    to judge still stages its receipts)."""
    manifest = read_json(run_folder(settings, run_id) / "manifest.json")
    count = len(manifest["deliveries"])
    return list(range(max(1, math.ceil(count / settings.validation_batch))))


def _batch_file(folder: Path, batch: int, part: str = "outcomes") -> Path:
    return folder / publishing.BATCHES / f"{batch}.{part}.pickle"


def _keep(path: Path, data: Any) -> None:
    """Pickle ``data`` (our own objects only) to ``path``, whole or not at all."""
    path.parent.mkdir(exist_ok=True)
    partial = path.with_suffix(".partial")
    pd.to_pickle(data, partial)
    partial.replace(path)


@recorded
def check_batch(settings: Settings, run_id: str, batch: int) -> dict[str, int]:
    """Check one batch of deliveries with the contract's rules; keep each outcome and
    the valid rows in the run folder for ``validate``. Batches are independent: each
    knows from the manifest which files came earlier tonight (a file sent twice is a
    duplicate the second time), so the executor may run them at once, anywhere."""
    folder = run_folder(settings, run_id)
    deliveries = [
        Delivery.from_dict(data) for data in read_json(folder / "manifest.json")["deliveries"]
    ]
    first = batch * settings.validation_batch
    mine = deliveries[first : first + settings.validation_batch]
    register_urns = {school.urn for school in read_register(settings.register)}
    seen = processed_files(settings.warehouse, {f.sha256 for d in mine for f in d.files})
    seen_tonight = {f.sha256 for delivery in deliveries[:first] for f in delivery.files}
    duplicate = _duplicates(mine, seen, seen_tonight)
    to_check = [d for d, again in zip(mine, duplicate, strict=True) if not again]
    processes = checking_processes(len(to_check), settings.validation_processes)
    # check_deliveries turns any fault of one delivery into its rejection; what can still
    # fail here is the batch as a whole (a checking process killed)
    HANDLING.set(f"batch {batch + 1}: {len(to_check)} deliveries to check")
    checked = iter(
        check_deliveries(
            [staging.delivered(folder / "files", delivery) for delivery in to_check],
            register_urns,
            settings.limits,
            processes,
        )
    )
    outcomes: list[dict[str, Any]] = []
    staged: dict[str, list[pd.DataFrame]] = {"school": [], "pupils": [], "enquiries": []}
    for delivery, again in zip(mine, duplicate, strict=True):
        HANDLING.set(", ".join(f.path for f in delivery.files))
        outcomes.append(staging.judge(delivery, None if again else next(checked), staged))
    HANDLING.set(None)
    # the rows first, then the outcomes, each whole or absent: the outcomes are the mark
    # of a finished batch (one killed half-way is simply run again)
    _keep(_batch_file(folder, batch, "rows"), staging.combine(staged))
    _keep(_batch_file(folder, batch), outcomes)
    progress(
        f"validate: batch {batch + 1}, {len(mine)} deliveries checked "
        f"({len(to_check)} new, in {processes} process{'es' if processes > 1 else ''})"
    )
    return {"batch": batch, "deliveries": len(mine), "processes": processes}


def _duplicates(
    deliveries: list[Delivery], seen: dict[str, set[str]], seen_tonight: set[str]
) -> list[bool]:
    """Whether each delivery's files were all received before it (the same bytes sent
    again, on an earlier night or earlier tonight): those are not checked again."""
    earlier = set(seen_tonight)
    found = []
    for delivery in deliveries:
        found.append(staging.is_duplicate(delivery, seen, earlier))
        earlier.update(f.sha256 for f in delivery.files)
    return found


@recorded
def validate(settings: Settings, run_id: str) -> dict[str, int]:
    """Gather the checked batches: the rule that looks across deliveries (a return sent
    both as a workbook and as CSV), then, one batch at a time (memory bounded by a
    batch, not by the night), the GX suites over its valid rows and its staged rows;
    and every outcome."""
    folder = run_folder(settings, run_id)
    manifest = read_json(folder / "manifest.json")
    processed_at = manifest["started_at"]
    batches = validation_batches(settings, run_id)
    outcomes: list[dict[str, Any]] = []
    for batch in batches:
        outcomes += pd.read_pickle(_batch_file(folder, batch))
    sent_twice = _two_formats(manifest, outcomes)
    staged_path = folder / "staged.duckdb"
    staged_path.unlink(missing_ok=True)
    gate = staging.ReturnsGate(folder)
    with duckdb.connect(str(staged_path)) as connection:
        create_raw_tables(connection)
        for batch in batches:
            rows = pd.read_pickle(_batch_file(folder, batch, "rows"))
            staging.unstage(rows, sent_twice)
            gate.run(rows, outcomes)
            staging.stage_rows(connection, rows, outcomes, run_id, processed_at)
        write_json(folder / "gates_returns.json", gate.finish())
        for outcome in outcomes:  # where each file's bytes will be kept, decided once
            for landed in outcome["files"]:
                landed["stored_path"] = stored_path(
                    outcome["outcome"] == "rejected",
                    outcome["received_at"],
                    outcome["submission_id"],
                    landed["path"],
                )
        staging.stage_submissions(connection, outcomes, run_id, processed_at)
    write_json(folder / "outcomes.json", outcomes)
    counts = Counter(outcome["outcome"] for outcome in outcomes)
    progress("validate: " + ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items())))
    return dict(counts)


def _two_formats(manifest: dict[str, Any], outcomes: list[dict[str, Any]]) -> set[str]:
    """Reject each return that arrived tonight both as a workbook and as CSV files (in
    ``outcomes``); the submission ids of those that had loaded."""
    deliveries = [Delivery.from_dict(data) for data in manifest["deliveries"]]
    both_formats = staging.sent_in_two_formats(deliveries)
    rejected = set()
    for index, (delivery, outcome) in enumerate(zip(deliveries, outcomes, strict=True)):
        if outcome["outcome"] == "loaded" and delivery.key in both_formats:
            outcomes[index] = staging.verdict(
                outcome, [staging.two_formats(delivery, both_formats)]
            )
            rejected.add(outcome["submission_id"])
    return rejected


# --- build ------------------------------------------------------------------------


@recorded
def build(settings: Settings, run_id: str) -> dict[str, Any]:
    """Copy the warehouse, add tonight's rows and the register, and run dbt build on it."""
    folder = run_folder(settings, run_id)
    built = folder / "warehouse.duckdb"
    built.unlink(missing_ok=True)
    if settings.warehouse.exists():
        shutil.copyfile(settings.warehouse, built)
    manifest = read_json(folder / "manifest.json")
    with duckdb.connect(str(built)) as connection:
        create_raw_tables(connection)
        connection.execute(f"attach '{folder / 'staged.duckdb'}' as staged (read_only)")
        for table in RAW_TABLES:
            if table not in ("raw_register", "raw_runs"):
                connection.execute(f"insert into {table} by name select * from staged.{table}")
        connection.execute("detach staged")
        _load_register(connection, settings, run_id)
        _record_run(connection, run_id, manifest, read_json(folder / "outcomes.json"))
        connection.execute("checkpoint")
    progress("build: dbt build (staging, intermediate, marts and their tests)")
    results = dbt_runner.build(settings, built, folder, manifest["as_of"])
    return {"started_at": manifest["started_at"], **results}


def _load_register(connection: duckdb.DuckDBPyConnection, settings: Settings, run_id: str) -> None:
    """The register as it stands tonight (a reference table, replaced each night)."""
    loaded_at = datetime.now(UTC)
    schools = [
        asdict(school) | {"run_id": run_id, "loaded_at": loaded_at}
        for school in read_register(settings.register)
    ]
    frame = pd.DataFrame(schools, columns=column_names("raw_register"))
    connection.execute("delete from raw_register")
    connection.from_df(frame).insert_into("raw_register")


# --- foresee ----------------------------------------------------------------------


@recorded
def foresee(settings: Settings, run_id: str) -> dict[str, Any]:
    """Fit the early warning and the forecasts on the night's marts, store what they
    find, and build the marts that publish it (a second dbt build, of those only)."""
    folder = run_folder(settings, run_id)
    built = folder / "warehouse.duckdb"
    as_of = read_json(folder / "manifest.json")["as_of"]
    progress("foresee: early warning and forecasts, back-tested (scikit-learn, statsmodels)")
    found = foresight.fit_and_store(built, run_id, as_of)
    progress("foresee: dbt build of the marts that publish them")
    results = dbt_runner.build(settings, built, folder, as_of, part="outlook")
    return {**found, **results}


# --- check ------------------------------------------------------------------------


# How many rows of a mart the gate holds at once: an England night's fct_duty_checks is
# 2.5 million rows of long text, which pandas and GX held at 1.5 GB in one piece.
MART_ROWS_PER_PART = 50_000
# The table in a gated warehouse saying what its marts were judged by
MART_GATE = "mart_gate_passed"


@recorded
def check(settings: Settings, run_id: str) -> dict[str, int]:
    """Great Expectations checkpoints on the marts before they publish.

    What the last published night passed under the same expectations is not judged
    again: only the schools with a row new or changed since (the rows themselves, in a
    mart without a unique key). Each mart is read a part at a time, so memory is bounded
    by a part, not by the years kept. The Data Docs are built once, at the end.
    """
    folder = run_folder(settings, run_id)
    progress("check: Great Expectations on the marts")
    gate = gates.Gate(folder)
    fingerprint = gates.mart_expectations_fingerprint()
    results: dict[str, Any] = {}
    failures = []
    # read-write, as dbt in this process may still hold the file open that way
    with duckdb.connect(str(folder / "warehouse.duckdb")) as connection:
        since = _attach_gated(connection, settings.warehouse, fingerprint)
        try:
            for name in gates.MART_CHECKPOINTS:
                columns = gates.checked_columns(name)
                found, checked = [], 0
                for part in mart_parts(connection, name, columns, since=since):
                    found += gate.run_part(name, part)
                    checked += len(part)
                (rows,) = connection.execute(f"select count(*) from {name}").fetchone()
                results[name] = {"rows": rows, "checked": checked, "failures": len(found)}
                failures += found
        finally:
            if since:
                connection.execute(f"detach {since}")
        if not failures:
            connection.execute(
                f"create or replace table {MART_GATE} as "
                "select ? as expectations_sha256, ? as run_id",
                [fingerprint, run_id],
            )
    gate.build_docs()
    write_json(
        folder / "gates.json",
        {
            "success": not failures,
            "suites": results,
            "failures": [asdict(f) for f in failures[:50]],
        },
    )
    if failures:
        first = failures[0]
        raise RuntimeError(
            f"mart checkpoint failed: {len(failures)} unexpected values, first in "
            f"{first.suite}.{first.column} ({first.expectation})"
        )
    return {name: result["checked"] for name, result in results.items()}


def _attach_gated(
    connection: duckdb.DuckDBPyConnection, published: Path, fingerprint: str
) -> str | None:
    """Attach the last published warehouse if its marts passed the gate under
    ``fingerprint``; its name in ``connection``, or None (then everything is judged)."""
    if not published.exists():
        return None
    # if not exists: dbt, in this process, shares the database and any attachment a
    # failed try left on it
    connection.execute(f"attach if not exists '{published}' as last_gated (read_only)")
    tables = connection.execute(
        "select table_name from duckdb_tables() where database_name = 'last_gated'"
    ).fetchall()
    if (MART_GATE,) in tables:
        (same,) = connection.execute(
            f"select bool_and(expectations_sha256 = ?) from last_gated.{MART_GATE}",
            [fingerprint],
        ).fetchone()
        if same:
            return "last_gated"
    connection.execute("detach last_gated")
    return None


def mart_parts(
    connection: duckdb.DuckDBPyConnection,
    mart: str,
    columns: list[str],
    rows_per_part: int = MART_ROWS_PER_PART,
    since: str | None = None,
) -> Iterator[pd.DataFrame]:
    """``columns`` of ``mart``, about ``rows_per_part`` rows at a time, each row once.

    Where the mart has a compound unique key, a part holds whole values of its first
    column (``gates.part_key``), so a duplicate is always within one part; otherwise
    parts are runs of rows, as every other expectation looks at one row at a time.

    With ``since`` (an attached database holding the mart as last gated), only what
    differs from it: whole key values with a row not there before (a duplicate of an
    old row too), or, without a key, the rows not there before.
    """
    selected = ", ".join(f'"{column}"' for column in columns)
    key = gates.part_key(mart)
    if key is None:
        new_rows = f"select {selected} from {mart}"
        if since is not None:
            new_rows += f" except all select {selected} from {since}.{mart}"
        connection.execute(f"create or replace temp table gated_rows as {new_rows}")
        yield from _runs_of_rows(connection, "gated_rows", selected, rows_per_part)
        return

    # a key and a hash of the row's checked values, not the row itself: millions of
    # rows of long text in a hash table would cost more memory than the gate saves
    def keyed(table: str) -> str:
        return f'select "{key}" as part_key, hash({selected}) as checked_values from {table}'

    keys = keyed(mart) if since is None else f"{keyed(mart)} except all {keyed(f'{since}.{mart}')}"
    connection.execute(
        "create or replace temp table gated_keys as "
        f"select distinct part_key from ({keys}) where part_key is not null"
    )
    yield from _whole_keys(connection, mart, key, selected, rows_per_part)
    nulls = connection.execute(f'select {selected} from {mart} where "{key}" is null').df()
    if len(nulls):  # never left unchecked: a null key is the gate's to report
        yield nulls


def _runs_of_rows(
    connection: duckdb.DuckDBPyConnection, table: str, selected: str, rows_per_part: int
) -> Iterator[pd.DataFrame]:
    (last,) = connection.execute(f"select max(rowid) from {table}").fetchone()
    for start in range(0, (last if last is not None else -1) + 1, rows_per_part):
        yield connection.execute(
            f"select {selected} from {table} where rowid >= ? and rowid < ?",
            [start, start + rows_per_part],
        ).df()


def _whole_keys(
    connection: duckdb.DuckDBPyConnection, mart: str, key: str, selected: str, rows_per_part: int
) -> Iterator[pd.DataFrame]:
    """The rows of ``mart`` whose key is in ``gated_keys``, whole keys a part."""
    gated = f'from {mart} where "{key}" in (select part_key from gated_keys)'
    ranges = connection.execute(
        f"""
        with rows_per_key as (
            select "{key}" as part_key, sum(count(*)) over (order by "{key}") as rows_so_far
            {gated}
            group by "{key}"
        )
        select min(part_key), max(part_key)
        from rows_per_key
        group by (rows_so_far - 1) // ?
        order by 1
        """,
        [rows_per_part],
    ).fetchall()
    for first, last in ranges:
        yield connection.execute(
            f'select {selected} {gated} and "{key}" between ? and ?', [first, last]
        ).df()


# --- publish ----------------------------------------------------------------------


@recorded
def publish(settings: Settings, run_id: str) -> dict[str, Any]:
    """Commit the night (snapshot written, journal written), then carry it out.

    A retry after the commit point, or the next night's ``recover``, only finishes
    the journal; before it, the step starts again from the night's built warehouse.
    """
    folder = run_folder(settings, run_id)
    if not (folder / publishing.JOURNAL).exists():
        progress("publish: writing the snapshot")
        _commit(settings, run_id, folder)
    published = publishing.finish(settings, folder)
    progress(f"publish: {published['snapshot']} served; files kept in archive/ and quarantine/")
    outcomes = read_json(folder / "outcomes.json")
    return {"snapshot": published["snapshot"], **Counter(o["outcome"] for o in outcomes)}


def _commit(settings: Settings, run_id: str, folder: Path) -> None:
    built = folder / "warehouse.duckdb"
    if not built.exists():
        raise FileNotFoundError(f"{built} is missing: the night must be built again")
    outcomes = read_json(folder / "outcomes.json")
    manifest = read_json(folder / "manifest.json")
    published_at = datetime.now(UTC)
    failpoints.hit("before_snapshot_copy")
    stamp = published_at.strftime("%Y%m%dT%H%M%S")
    snapshot = publishing.write_snapshot(settings, built, f"sendwatch-{stamp}-{folder.name}"[:120])
    failpoints.hit("after_snapshot_copy")
    publishing.commit(
        folder,
        {
            "run_id": run_id,
            "snapshot": snapshot.name,
            "published_at": published_at.isoformat(),
            "moves": publishing.journal_moves(outcomes),
            "refused": [_refused_entry(entry, manifest) for entry in manifest["refused"]],
        },
    )
    failpoints.hit("after_journal")


def _record_run(
    connection: duckdb.DuckDBPyConnection,
    run_id: str,
    manifest: dict[str, Any],
    outcomes: list[dict[str, Any]],
) -> None:
    """The night's row in raw_runs, written as it builds so the marts include it."""
    counts = Counter(o["outcome"] for o in outcomes)
    loaded_enquiries = sum(o["kind"] == "enquiries" and o["outcome"] == "loaded" for o in outcomes)
    connection.execute("begin")
    connection.execute("delete from raw_runs where run_id = ?", [run_id])
    connection.execute(
        "insert into raw_runs by name select ? as run_id, ? as started_at, "
        "? as published_at, ? as files_received, ? as returns_loaded, "
        "? as returns_rejected, ? as files_duplicate, ? as enquiry_files_loaded, ? as as_of",
        [
            run_id,
            datetime.fromisoformat(manifest["started_at"]),
            datetime.now(UTC),
            sum(len(o["files"]) for o in outcomes),
            counts["loaded"] - loaded_enquiries,
            counts["rejected"],
            counts["duplicate"],
            loaded_enquiries,
            datetime.fromisoformat(manifest["as_of"]),
        ],
    )
    connection.execute("commit")


def _refused_entry(entry: dict[str, str], manifest: dict[str, Any]) -> dict[str, Any]:
    problem = _refusal(entry)
    at = manifest["started_at"]
    return {
        "path": entry["path"],
        "target": stored_path(True, at, "refused", entry["path"]),
        "report": {
            "files": [{"file_name": Path(entry["path"]).name, "path": entry["path"]}],
            "received_at": at,
            "outcome": "rejected",
            "problems": [problem.as_dict()],
            "first_error": str(problem),
        },
    }


def _refusal(entry: dict[str, str]) -> Problem:
    return Problem(
        Path(entry["path"]).name,
        "not_a_regular_file",
        f"this is {entry['reason']}, not a file: sendwatch did not read it",
    )


# --- summarise --------------------------------------------------------------------


def summarise_run(settings: Settings, run_id: str) -> dict[str, Any]:
    """Say how the night went, success or failure, and keep it in the run history."""
    folder = run_folder(settings, run_id)
    summary: dict[str, Any] = {"run_id": run_id, "finished_at": datetime.now(UTC)}
    if (folder / "published.json").exists():
        summary["status"] = "success"
        summary["published"] = read_json(folder / "published.json")["snapshot"]
    elif not (folder / "failed.json").exists() and not has_new_files(settings, run_id):
        summary["status"] = "no_new_files"  # nothing to publish: the snapshot stays
    else:
        summary["status"] = "failed"
        summary["failure"] = (
            read_json(folder / "failed.json") if (folder / "failed.json").exists() else None
        )
    if (folder / "manifest.json").exists():
        manifest = read_json(folder / "manifest.json")
        summary["refused"] = [str(_refusal(entry)) for entry in manifest.get("refused", [])]
        summary["waiting"] = manifest.get("waiting", [])
    if (folder / "outcomes.json").exists():
        outcomes = read_json(folder / "outcomes.json")
        summary["deliveries"] = dict(Counter(o["outcome"] for o in outcomes))
        summary["rejected"] = [
            {"files": [f["file_name"] for f in o["files"]], "first_error": o.get("first_error")}
            for o in outcomes
            if o["outcome"] == "rejected"
        ]
    folder.mkdir(parents=True, exist_ok=True)
    write_json(folder / "summary.json", summary)
    with (settings.home / "runs" / "history.jsonl").open("a", encoding="utf-8") as history:
        history.write(json.dumps(summary, default=str) + "\n")
    return summary
