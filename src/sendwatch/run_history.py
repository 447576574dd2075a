"""What the last night did: its summary, its dbt tests and its Great Expectations gates.

Read from the run folders, not the published snapshot, so operations see the last
run even when it failed and published nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from sendwatch.settings import Settings
from sendwatch.snapshots import run_folder

CHECK_COLUMNS = ["tool", "check", "outcome", "detail"]
# the gate files a night writes, and what each guards
GATE_FILES = {
    "gates_returns.json": "raw returns, before they load",
    "gates.json": "marts, before they publish",
}


def last_run(settings: Settings) -> dict[str, Any] | None:
    """The summary of the most recent night, successful or not."""
    history = settings.home / "runs" / "history.jsonl"
    if not history.exists():
        return None
    lines = history.read_text(encoding="utf-8").strip().splitlines()
    return json.loads(lines[-1]) if lines else None


def run_checks(settings: Settings, run_id: str) -> pd.DataFrame:
    """One row per dbt test and per GX suite of a run, with its outcome."""
    folder = run_folder(settings, run_id)
    rows = [
        row
        for results in ("dbt_results.json", "dbt_results_outlook.json")  # dbt_runner.BUILDS
        for row in _dbt_tests(folder / results)
    ] + [
        row
        for file_name, guards in GATE_FILES.items()
        for row in _gate_suites(folder / file_name, guards)
    ]
    return pd.DataFrame(rows, columns=CHECK_COLUMNS)


def _read(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def _dbt_tests(path: Path) -> list[dict[str, str]]:
    results = _read(path) or {"nodes": []}
    return [
        {
            "tool": "dbt unit test" if node["node"].startswith("unit_test.") else "dbt test",
            "check": _test_name(node["node"]),
            "outcome": node["status"],
            "detail": "" if node["status"] == "pass" else (node["message"] or ""),
        }
        for node in results["nodes"]
        if node["node"].startswith(("test.", "unit_test."))
    ]


def _test_name(unique_id: str) -> str:
    """``test.<project>.<name>.<hash>`` or ``unit_test.<project>.<model>.<name>``."""
    parts = unique_id.split(".")
    return f"{parts[2]}: {parts[3]}" if parts[0] == "unit_test" else parts[2]


def _gate_suites(path: Path, guards: str) -> list[dict[str, str]]:
    results = _read(path) or {"suites": {}}
    return [
        {
            "tool": "Great Expectations",
            "check": f"{suite} ({guards})",
            "outcome": "pass" if found["failures"] == 0 else "fail",
            "detail": f"{_rows_judged(found)}, {found['failures']} unexpected values",
        }
        for suite, found in results["suites"].items()
    ]


def _rows_judged(found: dict[str, int]) -> str:
    """A mart's rows, and how many of them were judged tonight: the marts' gate leaves
    what the last published night passed under the same expectations."""
    checked = found.get("checked", found["rows"])
    if checked == found["rows"]:
        return f"{found['rows']} rows"
    return f"{found['rows']} rows, {checked} new or changed tonight (the rest passed before)"
