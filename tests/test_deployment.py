"""The deployment: its files checked for every defect that kept it from starting, and its
own Airflow configuration run with real services (Postgres, Redis, Celery).

The live test takes ``docker-compose.yml``'s Airflow environment as it stands (the
executor from its celery profile), points its service names at this machine's
PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379), and starts Airflow's
scheduler, dag-processor, API server and a Celery worker as separate processes, as
the services would; then triggers ``sen_returns_nightly`` over a small sample and
waits for it to publish. Where PostgreSQL or Redis is not reachable (a laptop) it is
skipped, saying which and why; under CI (``CI=true``) it never skips.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import tomllib
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import deployment
import pytest

from sendwatch.settings import PROJECT_ROOT, load_settings
from sendwatch.snapshots import run_folder

BEFORE = PROJECT_ROOT / "tests" / "fixtures" / "deployment_before"
SERVICES = {"PostgreSQL": ("127.0.0.1", 5432), "Redis": ("127.0.0.1", 6379)}
NIGHT_SECONDS = 600  # the sample's night, tasks as Celery processes, on a busy 2-core CI


def locked_packages() -> set[str]:
    lock = tomllib.loads((PROJECT_ROOT / "uv.lock").read_text(encoding="utf-8"))
    return {package["name"] for package in lock["package"]}


def test_the_deployment_files_have_none_of_the_defects_that_kept_it_from_starting() -> None:
    checks = deployment.every_check(
        PROJECT_ROOT / "docker-compose.yml",
        PROJECT_ROOT / "Dockerfile",
        PROJECT_ROOT / "dags" / "sen_returns_nightly.py",
        PROJECT_ROOT / "README.md",
        locked_packages(),
    )
    found = {name: check() for name, check in checks.items()}
    assert found == {name: [] for name in checks}


def test_each_check_finds_its_defect_in_the_files_as_they_were() -> None:
    """Every check fails on the deployment as it was before it was made to start: a
    check that could not fail would prove nothing."""
    before = deployment.every_check(
        BEFORE / "docker-compose.yml",
        BEFORE / "Dockerfile",
        BEFORE / "sen_returns_nightly.py",
        BEFORE / "README.md",
        set((BEFORE / "locked-packages.txt").read_text(encoding="utf-8").split()),
    )
    assert [name for name, check in before.items() if not check()] == []


def test_the_compose_file_is_valid_for_docker_compose(tmp_path: Path) -> None:
    """`docker compose config` where Docker's compose plugin is here; else the file's
    own structure: every service has an image or build and a command or the image's,
    every anchor resolved, every named volume declared."""
    env = {
        **os.environ,
        **{name: "x" * 40 for name in _required_variables(PROJECT_ROOT / "docker-compose.yml")},
    }
    docker = shutil.which("docker")
    plugin = docker and subprocess.run(
        [docker, "compose", "version"], capture_output=True, text=True, check=False
    )
    if plugin and plugin.returncode == 0:
        result = subprocess.run(
            [docker, "compose", "--profile", "celery", "config", "--quiet"],
            cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        return
    file = deployment.compose(PROJECT_ROOT / "docker-compose.yml")
    declared = set(file["volumes"])
    for name, service in deployment.services(file).items():
        assert "image" in service or "build" in service, name
        for volume in service.get("volumes", []):
            source = str(volume).split(":")[0]
            assert source.startswith(("./", "/")) or source in declared, (name, volume)
        for needed in service.get("depends_on") or {}:
            assert needed in file["services"], (name, needed)


def _required_variables(path: Path) -> set[str]:
    return set(re.findall(r"\$\{(\w+):\?", path.read_text(encoding="utf-8")))


# --- the live deployment test -------------------------------------------------------


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def services_here() -> None:
    missing = [name for name, address in SERVICES.items() if not _reachable(*address)]
    if not missing:
        return
    why = f"no {' or '.join(missing)} on this machine (needs {SERVICES})"
    if os.environ.get("CI") == "true":
        pytest.fail(f"the deployment test must run under CI: {why}")
    pytest.skip(f"the Postgres + Celery deployment test is skipped: {why}")


def deployment_environment(home: Path, database: str, port: int, queue: str) -> dict[str, str]:
    """docker-compose.yml's Airflow environment, its services at this machine's address."""
    file = deployment.compose(PROJECT_ROOT / "docker-compose.yml")
    secrets = {name: uuid.uuid4().hex * 2 for name in _required_variables(
        PROJECT_ROOT / "docker-compose.yml")}  # fmt: skip
    env: dict[str, str] = {}
    for key, value in deployment.airflow_environment(file).items():
        env[key] = re.sub(
            r"\$\{(\w+)(?::[?-][^}]*)?\}", lambda m: secrets.get(m.group(1), ""), value
        )
    here = {
        "@postgres/airflow": f"@127.0.0.1:5432/{database}",
        "redis://redis:6379/0": "redis://127.0.0.1:6379/0",
        "http://airflow-apiserver:8080": f"http://127.0.0.1:{port}",
        "/var/sendwatch": str(home),
        "/opt/sendwatch": str(PROJECT_ROOT),
    }
    for key, value in env.items():
        for service, address in here.items():
            value = value.replace(service, address)
        env[key] = value
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "SENDWATCH"))},
        **env,
        "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",  # the celery profile's
        "AIRFLOW__OPERATORS__DEFAULT_QUEUE": queue,  # this test's own, on a shared Redis
        "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT": str(_free_port()),
        "AIRFLOW__API__PORT": str(port),
        "SENDWATCH_REGISTER": str(home / "register.csv"),
        # a handful of deliveries a batch, so this small night has several to spread
        "SENDWATCH_VALIDATION_BATCH": "3",
    }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def postgres_database(services_here) -> Iterator[str]:
    """A database of its own for this run's Airflow metadata, dropped afterwards."""
    import psycopg2

    name = f"sendwatch_test_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("select 1 from pg_roles where rolname = 'airflow'")
        if cursor.fetchone() is None:
            cursor.execute("create role airflow login")
        cursor.execute(f'create database "{name}" owner airflow')
    try:
        yield name
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'drop database if exists "{name}" with (force)')
        admin.close()


def _airflow(env: dict[str, str], *arguments: str, timeout: float = 300) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "airflow", *arguments],
        env=env, capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip
    assert result.returncode == 0, (arguments, result.stdout[-2000:], result.stderr[-4000:])
    return result.stdout


def test_the_deployment_runs_a_night_on_postgres_and_celery(
    postgres_database: str, tmp_path: Path
) -> None:
    from sendwatch.generate import generate

    home = tmp_path / "home"
    sample = tmp_path / "sample"
    generate(sample, schools=6, seed=3, terms=2)
    shutil.copytree(sample / "landing", home / "landing")
    shutil.copyfile(sample / "register.csv", home / "register.csv")
    (home / "airflow").mkdir(parents=True)
    queue = f"sendwatch-{uuid.uuid4().hex[:8]}"
    port = _free_port()
    env = deployment_environment(home, postgres_database, port, queue)
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg2://")
    _airflow(env, "db", "migrate", timeout=600)

    logs = tmp_path / "logs"
    logs.mkdir()
    commands = {
        "api-server": ["api-server", "--port", str(port)],
        "scheduler": ["scheduler"],
        "dag-processor": ["dag-processor"],
        "celery-worker": ["celery", "worker", "--queues", queue, "--concurrency", "2"],
    }
    processes = {
        name: subprocess.Popen(
            [sys.executable, "-m", "airflow", *command],
            env=env,
            stdout=(logs / f"{name}.log").open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        for name, command in commands.items()
    }
    try:
        _wait_for_the_dag(env, processes, logs)
        # unpaused, the scheduler starts the night it last missed (catchup is off), as a
        # deployment's first night would
        _airflow(env, "dags", "unpause", "sen_returns_nightly")
        run_id, state = _wait_for_the_run(postgres_database, processes, logs)
        assert state == "success", _tail(logs)
        folder = run_folder(load_settings({"SENDWATCH_HOME": str(home)}), run_id)
        summary = json.loads((folder / "summary.json").read_text())
        assert summary["status"] == "success", summary
        pointer = (home / "published" / "CURRENT").read_text().strip()
        assert (home / "published" / pointer).exists()
        # the tasks ran in the Celery worker, each as a process of its own
        worker_log = (logs / "celery-worker.log").read_text(errors="replace")
        assert "sen_returns_nightly" in worker_log and "validate" in worker_log, _tail(logs)
        # the validation batches were spread over the worker's processes: two ran at once
        batches = _batch_runs(postgres_database, run_id)
        assert len(batches) >= 3 and {b["state"] for b in batches} == {"success"}, batches
        held = _worker_windows(worker_log, [b["celery_id"] for b in batches])
        assert len(held) == len(batches), (batches, held)
        assert any(a[0] < b[1] and b[0] < a[1] for a, b in itertools.combinations(held, 2)), (
            batches,
            held,
        )
    finally:
        for process in processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


def _wait_for_the_dag(env: dict[str, str], processes: dict, logs: Path) -> None:
    """Until the dag-processor has put the DAG in the metadata database."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        _still_running(processes, logs)
        listed = subprocess.run(
            [sys.executable, "-m", "airflow", "dags", "list", "--output", "json"],
            env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        if "sen_returns_nightly" in listed.stdout:
            return
        time.sleep(5)
    raise AssertionError("the dag-processor never parsed the DAG\n" + _tail(logs))


def _wait_for_the_run(database: str, processes: dict, logs: Path) -> tuple[str, str]:
    """The first night's run id and how it ended, read from Airflow's metadata database."""
    import psycopg2

    deadline = time.monotonic() + NIGHT_SECONDS
    while time.monotonic() < deadline:
        _still_running(processes, logs)
        connection = psycopg2.connect(host="127.0.0.1", user="airflow", dbname=database)
        with connection, connection.cursor() as cursor:
            cursor.execute(
                "select run_id, state from dag_run where dag_id = 'sen_returns_nightly' "
                "and state in ('success', 'failed') order by start_date limit 1"
            )
            finished = cursor.fetchone()
        connection.close()
        if finished:
            return finished[0], finished[1]
        time.sleep(5)
    raise AssertionError(f"the night did not finish in {NIGHT_SECONDS} s\n" + _tail(logs))


def _batch_runs(database: str, run_id: str) -> list[dict]:
    """The night's mapped check_batch tasks as Airflow recorded them."""
    import psycopg2

    connection = psycopg2.connect(host="127.0.0.1", user="airflow", dbname=database)
    with connection, connection.cursor() as cursor:
        cursor.execute(
            "select map_index, state, external_executor_id from task_instance "
            "where dag_id = 'sen_returns_nightly' and run_id = %s and task_id = 'check_batch' "
            "order by map_index",
            (run_id,),
        )
        rows = cursor.fetchall()
    connection.close()
    return [
        {"batch": batch, "state": state, "celery_id": celery_id} for batch, state, celery_id in rows
    ]


CELERY_EVENT = re.compile(
    r"^(?P<at>\S+Z) .*Task execute_workload\[(?P<id>[0-9a-f-]+)\] (?P<what>received|succeeded)"
)


def _worker_windows(worker_log: str, celery_ids: list[str]) -> list[tuple[datetime, datetime]]:
    """When the Celery worker took each workload and when it gave it back.

    A task instance's own start and end times cover only its ``execute``: a batch of a
    few deliveries is checked in under a second, while its whole workload (the task
    process starting, parsing the DAG, reporting back) holds a worker process for
    several. Two workloads held at once are two of the worker's processes at work.
    """
    events: dict[str, dict[str, datetime]] = {}
    for line in worker_log.splitlines():
        if found := CELERY_EVENT.match(line):
            at = datetime.fromisoformat(found["at"])
            events.setdefault(found["id"], {})[found["what"]] = at
    return [
        (events[key]["received"], events[key]["succeeded"])
        for key in celery_ids
        if {"received", "succeeded"} <= events.get(key, {}).keys()
    ]


def _still_running(processes: dict, logs: Path) -> None:
    stopped = [name for name, process in processes.items() if process.poll() is not None]
    assert not stopped, f"{stopped} stopped\n" + _tail(logs)


def _tail(logs: Path, lines: int = 40) -> str:
    return "\n".join(
        f"--- {log.name}\n" + "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
        for log in sorted(logs.glob("*.log"))
    )


def test_a_failed_step_posts_to_the_webhook_the_settings_name(monkeypatch) -> None:
    """The failure callback, through Airflow's notifier class, posts which night and step
    failed to SENDWATCH_NOTIFY_WEBHOOK; with no webhook or email set, it sends nothing."""
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer
    from types import SimpleNamespace

    from sendwatch.pipeline import notify

    received: list[dict] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # the name http.server calls
            length = int(self.headers["Content-Length"])
            received.append(json.loads(self.rfile.read(length)))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    context = {"run_id": "scheduled__2026-12-02", "ti": SimpleNamespace(task_id="build")}
    try:
        monkeypatch.delenv("SENDWATCH_NOTIFY_EMAIL", raising=False)
        monkeypatch.delenv("SENDWATCH_NOTIFY_WEBHOOK", raising=False)
        notify.on_failure(dict(context))
        assert received == []
        url = f"http://127.0.0.1:{server.server_port}/hook"
        monkeypatch.setenv("SENDWATCH_NOTIFY_WEBHOOK", url)
        notify.on_failure(dict(context))
    finally:
        server.shutdown()
    assert len(received) == 1
    assert "scheduled__2026-12-02 failed at build" in received[0]["text"]
