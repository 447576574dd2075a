"""Wall time and peak memory of the nightly refresh (the real DAG, in its own process).

Run on demand, not in the test suite; it prints figures and asserts nothing:

    uv run python benchmarks/refresh.py              # BCP scale, six terms; then a 1% night
    uv run python benchmarks/refresh.py --england    # also England scale, one term, then 1%

Each night's line is followed by the wall time of each of its steps (Airflow's task
instances).
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from openpyxl import load_workbook

from sendwatch.generate import generate


def refresh(home: Path, register: Path) -> tuple[float, float]:
    """Seconds and peak MB of one `sendwatch refresh` in a child process.

    The peak is this child's own (``wait4``), with the processes it waited for: the
    whole benchmark's ``RUSAGE_CHILDREN`` would repeat an earlier, larger night's.
    """
    env = {**os.environ, "SENDWATCH_HOME": str(home), "SENDWATCH_REGISTER": str(register)}
    started = time.perf_counter()
    with tempfile.TemporaryFile() as output:
        child = subprocess.Popen(
            [sys.executable, "-m", "sendwatch.cli", "refresh"],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        if os.waitstatus_to_exitcode(status) != 0:
            output.seek(0)
            raise SystemExit(f"refresh failed:\n{output.read().decode(errors='replace')}")
    return seconds, usage.ru_maxrss / 1024


def step_times(home: Path) -> list[tuple[str, float]]:
    """Each step of the home's latest night and its wall time in seconds, as Airflow
    recorded its task instances (a mapped step: first start to last end)."""
    from sqlalchemy import create_engine, text

    from sendwatch.pipeline.runtime import airflow_environment
    from sendwatch.settings import load_settings

    settings = load_settings({"SENDWATCH_HOME": str(home)})
    database = airflow_environment(settings)["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    engine = create_engine(database)
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "select task_id, start_date, end_date from task_instance where run_id = "
                "(select run_id from dag_run order by start_date desc limit 1) "
                "and start_date is not null order by start_date"
            )
        ).all()
    engine.dispose()
    spans: dict[str, list] = {}
    for task, started, ended in rows:
        spans.setdefault(task, []).extend([_moment(started), _moment(ended or started)])
    return [(task, (max(times) - min(times)).total_seconds()) for task, times in spans.items()]


def _moment(value: object) -> datetime:
    """A timestamp as the database returns it (SQLite: text; Postgres: a datetime)."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def report_steps(home: Path) -> None:
    print("          " + ", ".join(f"{task} {seconds:.1f} s" for task, seconds in step_times(home)))


def one_percent_night(home: Path) -> int:
    """Resubmit 1% of the archived workbooks with a corrected roll, as a new night."""
    workbooks = sorted((home / "archive").rglob("*.xlsx"))
    chosen = workbooks[:: max(1, len(workbooks) // max(1, len(workbooks) // 100))]
    for path in chosen:
        workbook = load_workbook(path)
        roll = workbook["school"]["E2"]  # number_on_roll, a number or text as schools send it
        roll.value = int(str(roll.value).strip()) + 1
        buffer = io.BytesIO()
        workbook.save(buffer)
        target = home / "landing" / "benchmark-night" / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(buffer.getvalue())
    return len(chosen)


def run(scale: str, terms: int, schools: int | None, then_one_percent: bool) -> None:
    with tempfile.TemporaryDirectory() as folder:
        sample, home = Path(folder) / "sample", Path(folder) / "home"
        summary = generate(sample, schools, seed=1, scale=scale, terms=terms)
        shutil.copytree(sample / "landing", home / "landing")
        seconds, peak = refresh(home, sample / "register.csv")
        print(f"{scale:8} {terms} term(s) {summary.schools:6} schools {summary.files:6} files: "
              f"{seconds:7.1f} s, peak {peak:6.0f} MB")  # fmt: skip
        report_steps(home)
        if then_one_percent:
            count = one_percent_night(home)
            seconds, peak = refresh(home, sample / "register.csv")
            print(f"{'':8} a night with 1% new ({count} returns): {seconds:7.1f} s, "
                  f"peak {peak:6.0f} MB")  # fmt: skip
            report_steps(home)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--england", action="store_true", help="also England scale, one term")
    args = parser.parse_args()
    run("bcp", 6, None, then_one_percent=True)
    if args.england:
        run("england", 1, None, then_one_percent=True)


if __name__ == "__main__":
    main()
