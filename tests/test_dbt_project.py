"""The dbt project builds with the real dbt-duckdb on the project's seeds."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
import yaml
from dbt.cli.main import dbtRunner

from sendwatch.pipeline.warehouse import create_raw_tables
from sendwatch.settings import PROJECT_ROOT

UNIT_TEST_FILES = sorted((PROJECT_ROOT / "dbt_project" / "models").rglob("*__unit_tests.yml"))


def test_dbt_build_loads_seeds_and_models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as connection:
        create_raw_tables(connection)  # empty: the pipeline fills them
    monkeypatch.setenv("SENDWATCH_WAREHOUSE", str(warehouse))
    monkeypatch.chdir(PROJECT_ROOT / "dbt_project")  # dbt finds seeds relative to it
    as_of = '{"as_of": "2026-12-01T02:00:00+00:00"}'
    result = dbtRunner().invoke(
        ["build", "--profiles-dir", ".", "--project-dir", ".", "--vars", as_of]
    )
    assert result.success, result.exception
    # the nightly build leaves unit tests out, so this build is where they run
    defined = [
        test
        for path in UNIT_TEST_FILES
        for test in yaml.safe_load(path.read_text(encoding="utf-8"))["unit_tests"]
    ]
    ran = [r for r in result.result if r.node.unique_id.startswith("unit_test.")]
    assert len(ran) == len(defined) > 0
    assert {str(r.status) for r in ran} == {"pass"}
    # dbt-duckdb keeps its connection open in this process: share its configuration
    with duckdb.connect(str(warehouse)) as connection:
        rates = dict(
            connection.execute(
                "select phase, sen_support_rate from stg_reference__national_sen_support_rates"
            ).fetchall()
        )
        tables = {
            row[0]
            for row in connection.execute("select table_name from duckdb_tables()").fetchall()
        }
    assert rates == {"all_through": 0.1235, "primary": 0.1345, "secondary": 0.1248}
    assert "la_context_sen2" in tables
    assert "calibration_school_sizes_england_2023" not in tables  # generator-only seed
    assert {"fct_submissions", "fct_return_status", "dim_school"} <= tables
