"""What a deployment that starts needs, checked from its own files: the image
(``Dockerfile``) and the services (``docker-compose.yml``).

Each check returns the defects it finds, in words; ``tests/test_deployment.py`` runs
them on the project's files (none may be found) and on the files as they were before
(``tests/fixtures/deployment_before``: each check must find its defect there).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

AIRFLOW_SERVICES = ("airflow-scheduler", "airflow-dag-processor", "airflow-apiserver")
LONG_RUNNING = (*AIRFLOW_SERVICES, "postgres", "dashboard")
SECRET_SETTINGS = (
    "AIRFLOW__CORE__FERNET_KEY",
    "AIRFLOW__API_AUTH__JWT_SECRET",
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
)


def compose(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def services(file: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return file.get("services", {})


def environment(service: dict[str, Any]) -> dict[str, str]:
    found = service.get("environment") or {}
    if isinstance(found, list):  # KEY=value form
        found = dict(item.split("=", 1) for item in found)
    return {str(key): str(value) for key, value in found.items()}


def airflow_environment(file: dict[str, Any]) -> dict[str, str]:
    """The environment every Airflow service shares (the scheduler's)."""
    return environment(services(file).get("airflow-scheduler", {}))


def image_installs_the_code_it_runs(dockerfile: str) -> list[str]:
    """The project is installed after its code is copied in, so `dashboards` imports."""
    lines = [line.strip() for line in dockerfile.splitlines()]
    copy_all = next((n for n, line in enumerate(lines) if re.match(r"COPY \. ", line)), None)
    syncs = [
        n
        for n, line in enumerate(lines)
        if "uv sync" in line and "--no-install-project" not in line
    ]
    if copy_all is None or not any(n > copy_all for n in syncs):
        return ["the image installs the project before copying its code (uv sync before COPY . .)"]
    return []


def image_runs_as_a_user(dockerfile: str) -> list[str]:
    users = re.findall(r"^USER\s+(\S+)", dockerfile, re.MULTILINE)
    return [] if users and users[-1] not in ("root", "0") else ["the image runs as root"]


def metadata_in_postgres_with_its_driver(file: dict[str, Any], locked: set[str]) -> list[str]:
    found = []
    url = airflow_environment(file).get("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "")
    if not url.startswith("postgresql"):
        found.append("Airflow's metadata database is not Postgres")
    if not locked & {"psycopg2-binary", "psycopg2", "psycopg"}:
        found.append("no Postgres driver is in the lock")
    return found


def workers_reach_the_api_server(file: dict[str, Any]) -> list[str]:
    url = airflow_environment(file).get("AIRFLOW__CORE__EXECUTION_API_SERVER_URL", "")
    api = next((name for name in services(file) if "api" in name and "airflow" in name), None)
    if (
        not api
        or not url.startswith(f"http://{api}:")
        or not url.rstrip("/").endswith("/execution")
    ):
        return ["AIRFLOW__CORE__EXECUTION_API_SERVER_URL does not point at the API server"]
    return []


def secrets_from_the_environment(file: dict[str, Any]) -> list[str]:
    """Each secret is set, from the environment (`${NAME:?...}`), never written here."""
    settings = airflow_environment(file)
    return [
        f"{name} is not set from the environment"
        for name in SECRET_SETTINGS
        if "${" not in settings.get(name, "")
    ]


def health_and_restarts(file: dict[str, Any]) -> list[str]:
    found = []
    for name in LONG_RUNNING:
        service = services(file).get(name, {})
        if "healthcheck" not in service:
            found.append(f"{name} has no healthcheck")
        if service.get("restart") not in ("always", "unless-stopped", "on-failure"):
            found.append(f"{name} has no restart policy")
    return found


def init_waits_for_postgres_and_makes_the_admin(file: dict[str, Any]) -> list[str]:
    init = services(file).get("airflow-init", {})
    found = []
    waits = init.get("depends_on")
    postgres = waits.get("postgres", {}) if isinstance(waits, dict) else {}
    if postgres.get("condition") != "service_healthy":
        found.append("airflow-init does not wait for Postgres to be healthy")
    command = " ".join(init.get("command") or [])
    password = environment(init).get("AIRFLOW_ADMIN_PASSWORD", "")
    if "AIRFLOW_ADMIN_PASSWORD" not in command or "${" not in password:
        found.append("airflow-init does not give the admin its password from the environment")
    for name in AIRFLOW_SERVICES:
        waits = services(file).get(name, {}).get("depends_on") or {}
        if (
            not isinstance(waits, dict)
            or waits.get("airflow-init", {}).get("condition") != "service_completed_successfully"
        ):
            found.append(f"{name} does not wait for airflow-init to finish")
    return found


def landing_and_register_are_bind_mounts(file: dict[str, Any]) -> list[str]:
    volumes = [str(v) for v in services(file).get("airflow-scheduler", {}).get("volumes", [])]
    found = []
    if not any(v.startswith("./") and v.endswith("/landing") for v in volumes):
        found.append("no landing folder is bind-mounted for an LA to drop files into")
    if not any(v.startswith("./") and "register.csv" in v for v in volumes):
        found.append("the register is not bind-mounted")
    return found


def dashboard_holds_no_airflow_secret(file: dict[str, Any]) -> list[str]:
    dashboard = services(file).get("dashboard", {})
    found = []
    if any(key.startswith("AIRFLOW") for key in environment(dashboard)):
        found.append("the dashboard receives Airflow's settings (its metadata database URL)")
    for volume in dashboard.get("volumes", []):
        target = str(volume).split(":")[1] if ":" in str(volume) else ""
        if target.rstrip("/") in ("/var/sendwatch", "/var/sendwatch/airflow"):
            found.append(f"the dashboard mounts {target}, Airflow's files and secrets with it")
    command = " ".join(dashboard.get("command") or [])
    if "gunicorn" not in command or "0.0.0.0" not in command:
        found.append("the dashboard is not served by gunicorn on 0.0.0.0")
    return found


def services_run_as_a_user(file: dict[str, Any]) -> list[str]:
    return [
        f"{name} runs as root"
        for name in (*AIRFLOW_SERVICES, "dashboard")
        if str(services(file).get(name, {}).get("user", "0")).split(":")[0] in ("0", "root")
    ]


def celery_is_a_profile(file: dict[str, Any]) -> list[str]:
    worker = services(file).get("airflow-worker", {})
    redis = services(file).get("redis", {})
    if "celery" not in worker.get("profiles", []) or "celery" not in redis.get("profiles", []):
        return ["no celery profile with a worker and Redis"]
    return []


def task_logs_at_info(file: dict[str, Any]) -> list[str]:
    # unset, a service takes sendwatch's embedded default (WARNING: refresh prints its own)
    level = airflow_environment(file).get("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING")
    return [] if level == "INFO" else [f"task logs are at {level}: the UI shows nothing"]


def dag_has_timeouts(dag_source: str) -> list[str]:
    found = []
    if "dagrun_timeout=" not in dag_source:
        found.append("the DAG has no dagrun_timeout")
    if '"execution_timeout"' not in dag_source:
        found.append("the DAG's tasks have no execution_timeout")
    if "on_failure_callback" not in dag_source:
        found.append("a failed night notifies nobody")
    return found


def readme_says_how_to_deploy(readme: str) -> list[str]:
    section = re.search(r"^## Deploy\n(.*?)(?=^## |\Z)", readme, re.MULTILINE | re.DOTALL)
    if not section or "docker compose" not in section.group(1):
        return ["the README has no Deploy section with the commands"]
    return []


def every_check(
    compose_file: Path, dockerfile: Path, dag: Path, readme: Path, locked: set[str]
) -> dict[str, Callable[[], list[str]]]:
    """Each check, bound to these files and the names of the packages locked."""
    file = compose(compose_file)
    image = dockerfile.read_text(encoding="utf-8")
    return {
        "image installs its code": lambda: image_installs_the_code_it_runs(image),
        "image user": lambda: image_runs_as_a_user(image),
        "postgres driver": lambda: metadata_in_postgres_with_its_driver(file, locked),
        "execution api": lambda: workers_reach_the_api_server(file),
        "secrets": lambda: secrets_from_the_environment(file),
        "health and restart": lambda: health_and_restarts(file),
        "init": lambda: init_waits_for_postgres_and_makes_the_admin(file),
        "bind mounts": lambda: landing_and_register_are_bind_mounts(file),
        "dashboard": lambda: dashboard_holds_no_airflow_secret(file),
        "users": lambda: services_run_as_a_user(file),
        "celery": lambda: celery_is_a_profile(file),
        "logs": lambda: task_logs_at_info(file),
        "timeouts": lambda: dag_has_timeouts(dag.read_text(encoding="utf-8")),
        "readme": lambda: readme_says_how_to_deploy(readme.read_text(encoding="utf-8")),
    }
