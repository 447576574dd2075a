"""Running the nightly DAG: Airflow's settings for the embedded default, and refresh.

``sendwatch refresh`` runs the same DAG the scheduler runs, once, in this
process (``dag.test()``): there is no second code path.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sendwatch.settings import PROJECT_ROOT, Settings

DAG_ID = "sen_returns_nightly"
DAGS_FOLDER = PROJECT_ROOT / "dags"


def airflow_environment(settings: Settings, services: bool = False) -> dict[str, str]:
    """Airflow settings for one machine: SQLite under SENDWATCH_HOME, sized for 2 cores.

    A deployment sets SENDWATCH_AIRFLOW_DB (e.g. a Postgres URL) or any
    AIRFLOW__* variable itself; those win over these defaults. For Airflow's own
    services (``services``: the scheduler and the rest, started by hand) the task logs
    are kept at INFO, so the UI shows what each step did, and sendwatch's own
    settings are exported too, so the scheduler reads the same home and register.
    """
    airflow_home = settings.home / "airflow"
    database = os.environ.get("SENDWATCH_AIRFLOW_DB") or f"sqlite:///{airflow_home / 'airflow.db'}"
    return {
        "AIRFLOW_HOME": str(airflow_home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__PARALLELISM": "2",
        "AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG": "2",
        "AIRFLOW__CORE__DEFAULT_TIMEZONE": "Europe/London",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": database,
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",  # `refresh` prints its own progress
        "AIRFLOW__CORE__DEFAULT_TASK_RETRY_DELAY": "300",  # seconds between a task's tries
        "GX_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
    } | (
        {
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
            "SENDWATCH_HOME": str(settings.home),
            "SENDWATCH_REGISTER": str(settings.register),
        }
        if services
        else {}
    )


def configure_airflow(settings: Settings) -> None:
    """Put the defaults in this process's environment, before Airflow is imported."""
    for key, value in airflow_environment(settings).items():
        os.environ.setdefault(key, value)
    Path(os.environ["AIRFLOW_HOME"]).mkdir(parents=True, exist_ok=True)


def ensure_metadata_database() -> None:
    """Create or upgrade Airflow's metadata database (`airflow db migrate`), once."""
    connection = os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    marker = Path(os.environ["AIRFLOW_HOME"]) / ".migrated"
    if connection.startswith("sqlite:") and marker.exists():
        return
    subprocess.run(
        [sys.executable, "-m", "airflow", "db", "migrate"],
        check=True,
        capture_output=True,
        text=True,
    )
    marker.touch()


@dataclass
class RefreshResult:
    state: str
    run_id: str
    summary: dict[str, Any]

    @property
    def succeeded(self) -> bool:
        """The night published, or found nothing new to publish."""
        return self.state == "success" and self.summary.get("status") in (
            "success",
            "no_new_files",
        )


def load_dag() -> Any:
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(str(DAGS_FOLDER))
    if bag.import_errors:
        raise RuntimeError(f"the DAG folder does not import: {bag.import_errors}")
    return bag.get_dag(DAG_ID)


def refresh(settings: Settings, as_of: str | None = None) -> RefreshResult:
    """Run the nightly DAG once, now, in this process (as at ``as_of``: a past night)."""
    import json

    from sendwatch.snapshots import run_folder

    configure_airflow(settings)
    ensure_metadata_database()
    dag_run = load_dag().test(run_conf={"as_of": as_of} if as_of else None)
    summary_path = run_folder(settings, dag_run.run_id) / "summary.json"
    summary = json.loads(summary_path.read_text()) if summary_path.exists() else {}
    return RefreshResult(str(dag_run.state), dag_run.run_id, summary)


if __name__ == "__main__":
    # `eval "$(uv run python -m sendwatch.pipeline.runtime)"` before running Airflow's own
    # commands (scheduler, api-server) against the embedded default.
    import shlex

    from sendwatch.settings import load_settings

    for key, value in airflow_environment(load_settings(), services=True).items():
        print(f"export {key}={shlex.quote(os.environ.get(key, value))}")
