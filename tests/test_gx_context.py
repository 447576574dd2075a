"""The Great Expectations file data context in expectations/gx, its checkpoints, and
the Data Docs a night builds and publishes. Small frames only: no nightly run."""

from __future__ import annotations

import csv
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
from helpers import pupil_row, school_row

from sendwatch.contract.v1 import CONTRACT
from sendwatch.pipeline import gates, nightly, publish
from sendwatch.settings import PROJECT_ROOT, Settings
from sendwatch.snapshots import published_data_docs

CHECKPOINTS = {*gates.RAW_RETURN_CHECKPOINTS.values(), *gates.MART_CHECKPOINTS}


def raw_frame(sheet_name: str, rows: list[tuple[str, int, dict[str, Any]]]) -> pd.DataFrame:
    """Rows as the validate step hands them to the raw-return gate."""
    sheet = CONTRACT.sheet(sheet_name)
    frame = pd.DataFrame([{"return_key": key, "row_number": n, **row} for key, n, row in rows])
    return gates.gate_frame(frame[[*gates.INDEX_COLUMNS, *sheet.column_names]], sheet)


@pytest.fixture(scope="module")
def night(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One night's gates in a run folder: good and bad returns, good and bad marts."""
    folder = tmp_path_factory.mktemp("runs") / "manual__2026-01-01"
    folder.mkdir()
    in_repository = sorted(p for p in gates.GX_CONTEXT.rglob("*"))
    gate = gates.Gate(folder)
    found = {
        "school ok": gate.run(
            "raw_school_returns",
            raw_frame("school", [("a", 2, school_row()), ("b", 2, school_row(urn="900124"))]),
        ),
        "pupils ok": gate.run(
            "raw_pupil_returns",
            raw_frame("pupils", [("a", 2, pupil_row(1)), ("a", 3, pupil_row(2))]),
        ),
        "school bad": gate.run(
            "raw_school_returns",
            raw_frame("school", [("a", 2, school_row()), ("b", 2, school_row(urn="12345"))]),
        ),
        "duty checks bad": gate.run(
            "fct_duty_checks",
            pd.DataFrame(
                {
                    "urn": ["900123", "900124"],
                    "academic_year": ["2025-26"] * 2,
                    "term": ["autumn"] * 2,
                    "check_id": ["senco"] * 2,
                    "status": ["green", "purple"],
                    "strength": ["must"] * 2,
                    "evidence": ["e"] * 2,
                    "paragraph": ["6.85"] * 2,
                }
            ),
        ),
    }
    after = sorted(p for p in gates.GX_CONTEXT.rglob("*"))
    return {"folder": folder, "gate": gate, "found": found, "repository": (in_repository, after)}


def test_the_committed_context_is_generated_from_the_code() -> None:
    expected = gates.context_files()
    committed = {
        path.relative_to(gates.GX_CONTEXT).as_posix(): path.read_text(encoding="utf-8")
        for path in gates.GX_CONTEXT.rglob("*")
        if path.is_file() and "uncommitted" not in path.relative_to(gates.GX_CONTEXT).parts
    }
    assert committed == expected, "stale: run `uv run python -m sendwatch.pipeline.gates`"


def test_the_file_context_loads_with_its_suites_and_checkpoints(tmp_path: Path) -> None:
    import great_expectations as gx

    shutil.copytree(gates.GX_CONTEXT, tmp_path / "gx")
    context = gx.get_context(mode="file", project_root_dir=tmp_path)
    assert type(context).__name__ == "FileDataContext"
    assert {suite.name for suite in context.suites.all()} == CHECKPOINTS
    assert {checkpoint.name for checkpoint in context.checkpoints.all()} == CHECKPOINTS
    assert [asset.name for asset in context.data_sources.get("sendwatch").assets] == list(
        gates.ALL_SUITES
    )
    for name in CHECKPOINTS:
        checkpoint = context.checkpoints.get(name)
        (definition,) = checkpoint.validation_definitions
        assert definition.suite.name == name and definition.data.data_asset.name == name
        assert [type(action).__name__ for action in checkpoint.actions] == ["UpdateDataDocsAction"]
        committed = json.loads((gates.EXPECTATIONS / f"{name}.json").read_text(encoding="utf-8"))
        suite = context.suites.get(name)
        assert suite.id == committed["id"]
        assert [(e.id, e.expectation_type) for e in suite.expectations] == [
            (e["id"], e["type"]) for e in committed["expectations"]
        ]
    assert context.checkpoints.get("raw_school_returns").result_format == {
        "result_format": "COMPLETE",
        "unexpected_index_column_names": ["return_key", "row_number"],
    }


def test_the_duty_check_statuses_come_from_the_seed() -> None:
    with (PROJECT_ROOT / "seeds" / "statuses.csv").open(encoding="utf-8", newline="") as handle:
        seeded = [row["status"] for row in csv.DictReader(handle)]
    suite = json.loads((gates.EXPECTATIONS / "fct_duty_checks.json").read_text(encoding="utf-8"))
    (status,) = [e for e in suite["expectations"] if e["kwargs"].get("column") == "status"]
    assert status["kwargs"]["value_set"] == seeded
    assert "STATUSES" not in vars(gates)


def test_the_raw_returns_checkpoint_passes_good_rows_and_names_a_bad_one(
    night: dict[str, Any],
) -> None:
    found = night["found"]
    assert found["school ok"] == [] and found["pupils ok"] == []
    assert found["school bad"] == [
        gates.GateFailure(
            "raw_school_returns",
            "expect_column_values_to_match_regex",
            "urn",
            return_key="b",
            row_number=2,
            value="12345",
        )
    ]


def test_a_mart_checkpoint_reports_the_unexpected_value(night: dict[str, Any]) -> None:
    (failure,) = night["found"]["duty checks bad"]
    assert (failure.suite, failure.expectation, failure.column, failure.value) == (
        "fct_duty_checks",
        "expect_column_values_to_be_in_set",
        "status",
        "purple",
    )


def test_data_docs_are_built_in_the_run_folder_not_the_repository(night: dict[str, Any]) -> None:
    folder = night["folder"]
    index = gates.data_docs_index(folder)
    assert night["gate"].data_docs == index and index.is_relative_to(folder)
    page = index.read_text(encoding="utf-8")
    assert "raw_school_returns" in page and "fct_duty_checks" in page
    assert list((folder / "gx" / "uncommitted" / "validations").rglob("*.json"))
    before, after = night["repository"]
    assert before == after, "running a checkpoint wrote into expectations/gx"


def test_publish_places_the_nights_data_docs_beside_its_snapshot(
    night: dict[str, Any], tmp_path: Path
) -> None:
    settings = Settings(home=tmp_path / "home", register=tmp_path / "register.csv")
    run = settings.home / "runs" / "night-1"
    shutil.copytree(night["folder"] / "gx", run / "gx")
    published = settings.home / "published"
    published.mkdir(parents=True)
    assert published_data_docs(settings) is None

    def commit(name: str, folder: Path) -> None:
        duckdb.connect(str(published / f"{name}.duckdb")).close()
        publish.commit(
            folder,
            {
                "run_id": folder.name,
                "snapshot": f"{name}.duckdb",
                "published_at": datetime.now(UTC).isoformat(),
                "moves": [],
                "refused": [],
            },
        )

    commit("sendwatch-1", run)
    docs = published / "data_docs" / "sendwatch-1"
    (docs.parent / "sendwatch-1.partial").mkdir(parents=True)  # a copy killed half-way
    publish.finish(settings, run)
    assert published_data_docs(settings) == docs / "index.html"
    assert "raw_school_returns" in (docs / "index.html").read_text(encoding="utf-8")
    assert sorted(p.name for p in docs.parent.iterdir()) == ["sendwatch-1"]
    publish.finish(settings, run)  # finishing again changes nothing
    assert published_data_docs(settings) == docs / "index.html"
    # the working warehouse is the published file itself, linked, not a copy of it
    assert settings.warehouse.samefile(published / "sendwatch-1.duckdb")

    later = settings.home / "runs" / "night-2"  # a night without Data Docs
    later.mkdir(parents=True)
    commit("sendwatch-2", later)
    publish.finish(settings, later)
    assert published_data_docs(settings) is None
    assert settings.warehouse.samefile(published / "sendwatch-2.duckdb")
    (published / "sendwatch-1.duckdb").unlink()  # as prune drops an old snapshot
    publish.prune(settings)
    assert not docs.exists()


def _duty_checks(urns: list[str | None], path: str = ":memory:") -> duckdb.DuckDBPyConnection:
    """A fct_duty_checks with a row per check for each urn listed (an urn listed twice
    gets two checks), in memory unless ``path`` is given."""
    connection = duckdb.connect(path)
    rows = [
        (urn, "2025-26", "autumn", f"check_{n}", "green", "must", "e", "6.2")
        for n, urn in enumerate(urns)
    ]
    connection.execute(
        "create table fct_duty_checks (urn varchar, academic_year varchar, term varchar, "
        "check_id varchar, status varchar, strength varchar, evidence varchar, "
        "paragraph varchar)"
    )
    connection.executemany("insert into fct_duty_checks values (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    return connection


def test_a_mart_is_checked_in_parts_of_whole_schools_every_row_once() -> None:
    urns = ["900003", "900001", "900001", "900002", "900002", "900002", "900004", None]
    urns += ["900005"] * 3
    connection = _duty_checks(urns)
    columns = gates.checked_columns("fct_duty_checks")
    parts = list(nightly.mart_parts(connection, "fct_duty_checks", columns, rows_per_part=4))

    assert [list(part.columns) for part in parts] == [columns] * len(parts)
    every_row = [tuple(row) for part in parts for row in part.itertuples(index=False)]
    expected = connection.execute(f"select {', '.join(columns)} from fct_duty_checks").fetchall()
    assert sorted(every_row, key=str) == sorted(expected, key=str)
    assert len(every_row) == len(urns)
    schools_by_part = [set(part["urn"].dropna()) for part in parts]
    # by the running count of rows, 4 a part: {900001}, {900002, 900003, 900004}, {900005},
    # then the row without an urn
    assert [sorted(schools) for schools in schools_by_part] == [
        ["900001"],
        ["900002", "900003", "900004"],
        ["900005"],
        [],
    ]
    assert parts[-1]["urn"].isna().all()


def test_a_duplicate_check_is_found_however_the_mart_is_split(night: dict[str, Any]) -> None:
    connection = _duty_checks([f"9{n:05}" for n in range(12)])
    connection.execute("insert into fct_duty_checks select * from fct_duty_checks where rowid = 7")
    columns = gates.checked_columns("fct_duty_checks")
    found = [
        failure
        for part in nightly.mart_parts(connection, "fct_duty_checks", columns, rows_per_part=2)
        for failure in night["gate"].run_part("fct_duty_checks", part)
    ]
    assert {(f.expectation, f.suite) for f in found} == {
        ("expect_compound_columns_to_be_unique", "fct_duty_checks")
    }


def test_a_mart_without_a_unique_key_is_checked_in_runs_of_rows() -> None:
    assert gates.part_key("fct_submissions") is None
    connection = duckdb.connect()
    connection.execute(
        "create table fct_submissions as select range::varchar as sha256 from range(10)"
    )
    parts = list(nightly.mart_parts(connection, "fct_submissions", ["sha256"], rows_per_part=3))
    assert [len(part) for part in parts] == [3, 3, 3, 1]
    assert sorted(int(v) for part in parts for v in part["sha256"]) == list(range(10))
    connection.execute("delete from fct_submissions")
    assert list(nightly.mart_parts(connection, "fct_submissions", ["sha256"])) == []


def test_only_schools_new_or_changed_since_the_last_gated_night_are_judged(
    night: dict[str, Any], tmp_path: Path
) -> None:
    schools = [f"9{n:05}" for n in range(12)]
    _duty_checks(schools, str(tmp_path / "last.duckdb")).close()
    tonight = _duty_checks(schools)
    tonight.execute("update fct_duty_checks set status = 'purple' where urn = '900003'")
    tonight.execute(
        "insert into fct_duty_checks select * from fct_duty_checks where urn = '900007'"
    )
    tonight.execute(
        "insert into fct_duty_checks values "
        "('900020', '2025-26', 'autumn', 'senco', 'green', 'must', 'e', '6.85')"
    )
    tonight.execute(f"attach '{tmp_path / 'last.duckdb'}' as last_gated (read_only)")
    columns = gates.checked_columns("fct_duty_checks")
    parts = list(
        nightly.mart_parts(tonight, "fct_duty_checks", columns, rows_per_part=2, since="last_gated")
    )
    judged = sorted(urn for part in parts for urn in part["urn"])
    assert judged == ["900003", "900007", "900007", "900020"]  # a whole school, its twin too
    found = {
        f.expectation for part in parts for f in night["gate"].run_part("fct_duty_checks", part)
    }
    assert found == {"expect_column_values_to_be_in_set", "expect_compound_columns_to_be_unique"}
    unchanged = _duty_checks(schools)
    unchanged.execute(f"attach '{tmp_path / 'last.duckdb'}' as last_gated (read_only)")
    assert not list(nightly.mart_parts(unchanged, "fct_duty_checks", columns, since="last_gated"))


def test_the_last_night_is_trusted_only_if_gated_by_the_same_expectations(tmp_path: Path) -> None:
    last = tmp_path / "last.duckdb"
    fingerprint = gates.mart_expectations_fingerprint()
    tonight = duckdb.connect()
    assert nightly._attach_gated(tonight, tmp_path / "none.duckdb", fingerprint) is None
    duckdb.connect(str(last)).close()  # published before the gate recorded what it judged by
    assert nightly._attach_gated(tonight, last, fingerprint) is None
    with duckdb.connect(str(last)) as connection:
        connection.execute(
            f"create table {nightly.MART_GATE} as select 'other' as expectations_sha256"
        )
    assert nightly._attach_gated(tonight, last, fingerprint) is None
    with duckdb.connect(str(last)) as connection:
        connection.execute(f"update {nightly.MART_GATE} set expectations_sha256 = ?", [fingerprint])
    assert nightly._attach_gated(tonight, last, fingerprint) == "last_gated"
    assert nightly._attach_gated(tonight, last, fingerprint) == "last_gated"  # a retry
