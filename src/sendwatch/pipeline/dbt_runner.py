"""Running dbt in this process on a given warehouse file, its output in a run folder."""

from __future__ import annotations

import os
import shutil
from collections import Counter
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from sendwatch.pipeline.publish import write_json
from sendwatch.pipeline.warehouse import create_raw_tables
from sendwatch.settings import PROJECT_ROOT, Settings

DBT_PROJECT = PROJECT_ROOT / "dbt_project"


@contextmanager
def _working_directory(path: Path):
    previous = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(previous)


def dbt_project(settings: Settings) -> Path:
    """The dbt project to build; SENDWATCH_DBT_PROJECT may name another (tests do)."""
    return Path(os.environ.get("SENDWATCH_DBT_PROJECT", DBT_PROJECT))


# dbt's saved parse of the project: kept between nights beside the warehouse, so a
# night re-parses only what changed (nothing, most nights) instead of every file (3 s)
PARSE_STATE = "partial_parse.msgpack"


def run_dbt(
    settings: Settings, command: list[str], warehouse: Path, folder: Path, as_of: str
) -> Any:
    """Run a dbt command on ``warehouse`` in this process, its files under ``folder``,
    judging as at ``as_of`` (an ISO 8601 moment: no model reads the clock)."""
    from dbt.cli.main import dbtRunner

    project = dbt_project(settings)
    target = folder / "dbt_target"
    _restore_parse(settings, target)
    # The warehouse by its name, from its own folder: dbt parses the project afresh
    # when the profile's path changes, and each night builds in its own run folder.
    os.environ["SENDWATCH_WAREHOUSE"] = warehouse.name
    os.environ["SENDWATCH_AS_OF"] = as_of  # not a var, for the same reason: macros/as_of.sql
    with _working_directory(warehouse.parent):
        result = dbtRunner().invoke(
            [
                *command,
                "--project-dir",
                str(project),
                "--profiles-dir",
                str(project),
                "--target-path",
                str(target),
                "--log-path",
                str(folder / "dbt_logs"),
                "--quiet",
            ]
        )
    _keep_parse(settings, target)
    return result


def _saved_parse(settings: Settings) -> Path:
    return settings.warehouse.parent / f"dbt_{PARSE_STATE}"


def _restore_parse(settings: Settings, target: Path) -> None:
    """The last saved parse into a new target folder. dbt checks it against every file
    of the project, its vars, profile and version, and parses afresh what differs."""
    saved = _saved_parse(settings)
    if saved.exists() and not (target / PARSE_STATE).exists():
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(saved, target / PARSE_STATE)


def _keep_parse(settings: Settings, target: Path) -> None:
    if (target / PARSE_STATE).exists():
        saved = _saved_parse(settings)
        saved.parent.mkdir(parents=True, exist_ok=True)
        partial = saved.with_name(saved.name + ".partial")
        shutil.copyfile(target / PARSE_STATE, partial)
        os.replace(partial, saved)


# The models built from the fitted models' findings (the source `outlook`), which the
# foresee step writes after the first build: built then, by a second dbt build.
OUTLOOK_MODELS = "source:outlook+"
# Unit tests check the models' logic on fixed inputs, not the night's data: they run
# with the test suite and in development (dbt's advice), not every night.
NOT_UNIT_TESTS = "test_type:unit"
BUILDS = {
    # part -> (its dbt selection, the file its results are kept in)
    "marts": (["--exclude", NOT_UNIT_TESTS, OUTLOOK_MODELS], "dbt_results.json"),
    "outlook": (
        ["--select", OUTLOOK_MODELS, "--exclude", NOT_UNIT_TESTS],
        "dbt_results_outlook.json",
    ),
}


def build(
    settings: Settings, built: Path, folder: Path, as_of: str, part: str = "marts"
) -> dict[str, Any]:
    """``dbt build`` of one part of the project (BUILDS) on the night's warehouse; its
    results kept in the run folder."""
    selection, results_file = BUILDS[part]
    result = run_dbt(settings, ["build", *selection], built, folder, as_of)
    nodes = [
        {"node": r.node.unique_id, "status": str(r.status), "message": r.message}
        for r in (result.result or [])
    ]
    statuses = Counter(node["status"] for node in nodes)
    write_json(folder / results_file, {"success": result.success, "nodes": nodes})
    if not result.success:
        failing = [n for n in nodes if n["status"] in ("error", "fail")]
        reason = (
            f"{failing[0]['node']}: {failing[0]['message']}" if failing else str(result.exception)
        )
        raise RuntimeError(f"dbt build failed ({len(failing)} failing): {reason}")
    return {"dbt": dict(statuses)}


def generate_dbt_docs(settings: Settings) -> Path:
    """The dbt docs site for the published snapshot (a copy: readers are never disturbed)."""
    from sendwatch.snapshots import current_snapshot, dbt_docs_folder

    folder = dbt_docs_folder(settings)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    # by the name a night's build gives its warehouse: the profile is then the same, and
    # dbt's saved parse serves the docs too (and theirs the next night)
    warehouse = folder / "warehouse.duckdb"
    snapshot = current_snapshot(settings)
    command = ["docs", "generate"]
    if snapshot is not None:
        shutil.copyfile(snapshot, warehouse)
    else:
        with duckdb.connect(str(warehouse)) as connection:
            create_raw_tables(connection)
        command.append("--empty-catalog")
    # the docs describe the models; as_of only matters to the rows, none built here
    result = run_dbt(settings, command, warehouse, folder, datetime.now(UTC).isoformat())
    if not result.success:
        raise RuntimeError(f"dbt docs generate failed: {result.exception}")
    return folder / "dbt_target"
