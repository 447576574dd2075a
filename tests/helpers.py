"""Helpers for tests: valid return rows to start from, and CSV reading."""

from __future__ import annotations

import csv
import functools
import os
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

CENSUS = date(2025, 10, 2)  # autumn 2025-26


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def school_row(**changes: Any) -> dict[str, Any]:
    """A valid school row for URN 900123, autumn 2025-26."""
    row = {
        "urn": "900123",
        "academic_year": "2025-26",
        "term": "autumn",
        "census_date": CENSUS,
        "number_on_roll": 420,
        "senco_designated": "Y",
        "senco_appointed_date": date(2021, 9, 1),
        "senco_qualified_teacher": "Y",
        "senco_award": "achieved",
        "sen_information_report_url": "https://example-primary.sch.example/sen",
        "sen_information_report_updated": date(2025, 9, 10),
        "accessibility_plan_updated": date(2024, 1, 15),
        "notional_sen_budget_gbp": 250000,
        "sen_spend_gbp": 120000,
        "parent_concerns_logged": 2,
    }
    row.update(changes)
    return row


def pupil_row(number: int = 1, **changes: Any) -> dict[str, Any]:
    """A valid pupil row; ``number`` makes the pupil_ref distinct."""
    row = {
        "pupil_ref": f"REF-{number:05d}",
        "year_group": "4",
        "sen_status": "K",
        "primary_need": "SLCN",
        "identified_date": date(2023, 3, 1),
        "parents_informed_date": date(2023, 3, 8),
        "outcomes_agreed": "Y",
        "pupil_views_recorded": "Y",
        "last_review_due": date(2025, 6, 20),
        "last_review_held": date(2025, 6, 25),
        "next_review_due": CENSUS + timedelta(days=44),
        "reviews_last_12m": 3,
        "parent_meetings_last_12m": 3,
        "specialist_involved": "EP;SALT",
        "specialist_agreed_with_parents": "Y",
        "provision_cost_gbp": 3200,
        "part_time_timetable": "N",
        "ehc_request_date": None,
        "ehc_requested_by": None,
        "ehc_request_outcome": None,
    }
    row.update(changes)
    return row


def rebuilt_with_seed(
    warehouse: Path,
    scratch: Path,
    seed: str,
    change: Callable[[list[dict[str, str]]], None],
    select: str,
) -> Path:
    """A copy of ``warehouse`` rebuilt by dbt from a copy of the project in which
    ``change`` edited ``seeds/<seed>.csv``: what an LA's edit to a seed would do, with
    no code edited. Returns the rebuilt copy."""
    import shutil
    import subprocess
    import sys

    from sendwatch.settings import PROJECT_ROOT

    project = scratch / "project"
    shutil.copytree(PROJECT_ROOT / "dbt_project", project / "dbt_project",
                    ignore=shutil.ignore_patterns("target", "logs"))  # fmt: skip
    shutil.copytree(PROJECT_ROOT / "seeds", project / "seeds")
    path = project / "seeds" / f"{seed}.csv"
    rows = read_csv(path)
    change(rows)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    copy = scratch / f"rebuilt-{seed}.duckdb"
    shutil.copyfile(warehouse, copy)
    result = subprocess.run(
        [sys.executable, "-m", "dbt.cli.main", "build", "--profiles-dir", ".", "--project-dir",
         ".", "--select", select, "--exclude", "test_type:unit",
         "--vars", '{"as_of": "2026-12-01T02:00:00+00:00"}'],
        cwd=project / "dbt_project", env={**os.environ, "SENDWATCH_WAREHOUSE": str(copy)},
        capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:]
    return copy


@functools.cache
def migrated_airflow_database() -> Path:
    """Airflow's metadata database, migrated once per test process by the real
    ``airflow db migrate``. A new SENDWATCH_HOME's first night would spend ~7 s
    migrating its own; homes made by the recovery tests start from a copy instead
    (the shared ``published`` fixture still migrates its own on its first night)."""
    import atexit
    import shutil
    import subprocess
    import sys
    import tempfile

    from sendwatch.pipeline.runtime import airflow_environment
    from sendwatch.settings import Settings

    template = Path(tempfile.mkdtemp(prefix="sendwatch-airflow-"))
    atexit.register(shutil.rmtree, template, ignore_errors=True)
    env = {**os.environ, **airflow_environment(Settings(home=template, register=template))}
    Path(env["AIRFLOW_HOME"]).mkdir(parents=True)
    subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], env=env, check=True,
                   capture_output=True)  # fmt: skip
    return Path(env["AIRFLOW_HOME"]) / "airflow.db"


def with_migrated_airflow(home: Path) -> None:
    """Give ``home`` a copy of the migrated metadata database, marked as migrated."""
    import shutil

    airflow_home = home / "airflow"
    airflow_home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(migrated_airflow_database(), airflow_home / "airflow.db")
    (airflow_home / ".migrated").touch()  # what runtime.ensure_metadata_database leaves
