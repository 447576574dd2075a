"""
# SEN returns, nightly

Every night at 02:00 (Europe/London) this DAG takes what schools and SENDIASS
have sent to the landing folder and publishes a new warehouse snapshot:

0. **recover**: finish a night that committed its publish but was cut short;
1. **discover** the files in `$SENDWATCH_HOME/landing/` and group them into returns;
2. **validate** the returns: the contract's rules in batches of deliveries
   (**check_batch**, one mapped task each, which an executor with several workers
   runs at once), then the Great Expectations suites in `expectations/` over all of
   the night's valid rows, staging them with their lineage;
3. **build** a copy of the warehouse with tonight's rows, then `dbt build`;
4. **foresee**: fit the early warning and the demand forecasts on the marts, each
   back-tested against its baseline (`sendwatch.outlook`), and build the marts that
   publish what they find;
5. **check** the marts with the Great Expectations checkpoint;
6. **publish**: write the snapshot and a journal of every file's place (the commit
   point), then swap the snapshot in and keep each file in `archive/`, or in
   `quarantine/` beside a report a school business manager can act on; a retry or
   the next night's **recover** finishes an unfinished journal;
7. **summarise** the night, whether it succeeded or not.

Each night judges as at its logical date (`as_of`, passed to dbt: no model reads
the clock); the `as_of` param rebuilds a past night as it ran. An empty landing
folder skips to the summary ("no new files") unless a return deadline has passed. A failed night
publishes nothing and moves nothing: yesterday's snapshot keeps
serving and `runs/<run>/failed.json` says which step failed and why. The logic
lives in `sendwatch.pipeline.nightly` and in dbt; this file only wires it up.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import Param, dag, get_current_context, task

# File moves and the published folder can meet passing faults (a share, a full disk).
# The delay between tries is Airflow's own setting, [core] default_task_retry_delay.
FILE_RETRIES = {"retries": 2}
# A hung step must not hold every later night (max_active_runs=1): an England-scale
# night takes minutes; these bounds are hours.
STEP_TIMEOUT = timedelta(hours=2)
NIGHT_TIMEOUT = timedelta(hours=6)


def _notify_failure(context: dict) -> None:
    """Tell whoever the settings name that a step failed (sendwatch.pipeline.notify)."""
    from sendwatch.pipeline import notify

    notify.on_failure(context)


def _run() -> tuple[object, str]:
    """Settings and run id, read when a task runs (never when the DAG is parsed)."""
    from sendwatch.settings import load_settings

    return load_settings(), str(get_current_context()["run_id"])


def _as_of() -> tuple[object, bool]:
    """The moment the night judges as at, and whether a past night was asked for.

    The `as_of` param (`sendwatch refresh --as-of`, or the trigger form) rebuilds a
    past night; otherwise the run's logical date, or when it was due to run (a
    manual run has no logical date).
    """
    context = get_current_context()
    asked = context["params"].get("as_of")
    if asked:
        return pendulum.parse(asked), True
    return context.get("logical_date") or context["dag_run"].run_after, False


@dag(
    dag_id="sen_returns_nightly",
    schedule="0 2 * * *",
    start_date=pendulum.datetime(2026, 1, 1, tz="Europe/London"),
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=NIGHT_TIMEOUT,
    doc_md=__doc__,
    tags=["sendwatch"],
    default_args={
        "owner": "sendwatch",
        "retries": 0,
        "execution_timeout": STEP_TIMEOUT,
        "on_failure_callback": _notify_failure,
    },
    params={
        "as_of": Param(
            None,
            type=["null", "string"],
            description="Rebuild as at this moment (ISO 8601): a past night, as it ran.",
        )
    },
)
def sen_returns_nightly() -> None:
    @task(**FILE_RETRIES)
    def recover() -> dict:
        """Finish a night that committed its publish but was cut short."""
        from sendwatch.pipeline import nightly

        return nightly.recover(*_run())

    @task(**FILE_RETRIES)
    def discover(recovered: dict) -> dict:
        from sendwatch.pipeline import nightly

        return nightly.discover(*_run(), *_as_of())

    @task.short_circuit(ignore_downstream_trigger_rules=False)
    def anything_new(found: dict) -> bool:
        """Nothing new (no file, no deadline passed) publishes nothing: the snapshot stays."""
        from sendwatch.pipeline import nightly

        return nightly.has_new_files(*_run())

    @task
    def plan_batches(found: dict) -> list[int]:
        """The night's deliveries in batches, one mapped check_batch task each."""
        from sendwatch.pipeline import nightly

        return nightly.validation_batches(*_run())

    @task
    def check_batch(batch: int) -> dict:
        from sendwatch.pipeline import nightly

        return nightly.check_batch(*_run(), batch)

    @task
    def validate(checked: list[dict]) -> dict:
        from sendwatch.pipeline import nightly

        return nightly.validate(*_run())

    @task
    def build(outcomes: dict) -> dict:
        from sendwatch.pipeline import nightly

        return nightly.build(*_run())

    @task
    def foresee(built: dict) -> dict:
        from sendwatch.pipeline import nightly

        return nightly.foresee(*_run())

    @task
    def check(built: dict) -> dict:
        from sendwatch.pipeline import nightly

        return nightly.check(*_run())

    @task(**FILE_RETRIES)
    def publish(checked: dict) -> dict:
        from sendwatch.pipeline import nightly

        return nightly.publish(*_run())

    @task(trigger_rule="all_done")
    def summarise() -> dict:
        """Runs whatever happened upstream, so a failed night says why."""
        from sendwatch.pipeline import nightly

        return nightly.summarise_run(*_run())

    found = discover(recover())
    batches = plan_batches(found)
    anything_new(found) >> batches
    validated = validate(check_batch.expand(batch=batches))
    publish(check(foresee(build(validated)))) >> summarise()


sen_returns_nightly()
