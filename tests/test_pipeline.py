"""The nightly pipeline, end to end: the real Airflow DAG, dbt, DuckDB and GX.

Each night is a real ``sendwatch refresh`` in its own process. The nights build
on each other (module-scoped fixtures), on a generated sample of 20 schools:

1. the first night loads six terms of returns;
2. a second night with nothing new changes nothing;
3. a third night brings a re-delivery, a resubmission and a batch of bad files;
4. a fourth night fails in dbt and must leave everything as it was.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from helpers import pupil_row, read_csv, rebuilt_with_seed, school_row
from openpyxl import load_workbook

from sendwatch.generate import generate
from sendwatch.generate.writers import Style, render_return
from sendwatch.settings import PROJECT_ROOT, Settings
from sendwatch.snapshots import run_folder

SCHOOLS = 20
SEED = 2


@dataclass
class Night:
    home: Path
    sample: Path
    env: dict[str, str]
    result: subprocess.CompletedProcess[str]

    def snapshot(self) -> Path:
        pointer = (self.home / "published" / "CURRENT").read_text().strip()
        return self.home / "published" / pointer

    def query(self, sql: str, parameters: list | None = None) -> list[tuple]:
        with duckdb.connect(str(self.snapshot()), read_only=True) as connection:
            return connection.execute(sql, parameters or []).fetchall()


def refresh(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sendwatch.cli", "refresh"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )


def tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def drop(landing: Path, day: str, name: str, data: bytes, at: datetime) -> Path:
    path = landing / day / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    os.utime(path, (at.timestamp(), at.timestamp()))
    return path


@pytest.fixture(scope="module")
def first_night(tmp_path_factory: pytest.TempPathFactory) -> Night:
    root = tmp_path_factory.mktemp("pipeline")
    sample, home = root / "sample", root / "home"
    generate(sample, schools=SCHOOLS, seed=SEED)
    shutil.copytree(sample / "landing", home / "landing")  # keeps each file's receipt time
    env = {
        **os.environ,
        "SENDWATCH_HOME": str(home),
        "SENDWATCH_REGISTER": str(sample / "register.csv"),
        # the night's one batch is checked in two processes, whatever this machine has
        "SENDWATCH_VALIDATION_PROCESSES": "2",
    }
    env.pop("SENDWATCH_DBT_PROJECT", None)
    return Night(home, sample, env, refresh(env))


@pytest.fixture(scope="module")
def second_night(first_night: Night) -> tuple[Night, dict[str, list[tuple]]]:
    before = tables_of(first_night)
    return Night(**{**first_night.__dict__, "result": refresh(first_night.env)}), before


RAW = ("raw_school_returns", "raw_pupil_returns", "raw_enquiries", "raw_submissions")
MARTS = ("fct_submissions", "fct_return_status", "dim_school")


def tables_of(night: Night) -> dict[str, list[tuple]]:
    return {
        table: sorted(night.query(f"select * from {table}"), key=repr)
        if table.startswith("fct") or table == "dim_school"
        else night.query(f"select count(*) from {table}")
        for table in (*RAW, *MARTS)
    }


def _checking_processes(root: int) -> list[int]:
    """The processes a pool of checking processes under ``root`` has at work: children
    of its forkserver (itself a child of ``root``'s, all named by their command line)."""
    parents: dict[int, int] = {}
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines())
            command = (status.parent / "cmdline").read_bytes()
        except (OSError, ValueError):
            continue  # gone meanwhile
        if b"forkserver" in command:
            parents[int(status.parent.name)] = int(fields["PPid"])
    return [pid for pid, parent in parents.items() if parent in parents]


def test_a_night_whose_checking_process_is_killed_fails_whole_and_the_rerun_converges(
    first_night: Night, tmp_path: Path
) -> None:
    """As when the OOM killer takes one of check_batch's processes: the batch fails as a
    whole (nothing of it is judged, staged or moved), and the next night judges it all."""
    home = tmp_path / "home"
    shutil.copytree(first_night.sample / "landing", home / "landing")
    landing = tree(home / "landing")
    env = {**first_night.env, "SENDWATCH_HOME": str(home)}
    night = subprocess.Popen(
        [sys.executable, "-m", "sendwatch.cli", "refresh"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    killed = None
    while night.poll() is None and killed is None:
        for pid in _checking_processes(night.pid):
            os.kill(pid, signal.SIGKILL)
            killed = pid
            break
        time.sleep(0.01)
    stdout, stderr = night.communicate(timeout=900)
    assert killed is not None, "no checking process was seen at work"
    assert night.returncode != 0, stdout + stderr
    assert "failed at check_batch" in stderr + stdout
    assert tree(home / "landing") == landing
    assert not (home / "published").exists() or not list((home / "published").glob("*.duckdb"))

    rerun = refresh(env)
    assert rerun.returncode == 0, rerun.stderr
    rerun_night = Night(home, first_night.sample, env, rerun)
    outcomes = "select outcome, count(*) from fct_submissions group by 1 order by 1"
    assert rerun_night.query(outcomes) == first_night.query(outcomes)


# --- night one ----------------------------------------------------------------------


def test_the_dag_imports_with_no_errors(first_night: Night) -> None:
    script = (
        "from sendwatch.settings import load_settings\n"
        "from sendwatch.pipeline.runtime import configure_airflow, load_dag\n"
        "configure_airflow(load_settings())\n"
        "dag = load_dag()\n"
        "print(dag.dag_id, sorted(t.task_id for t in dag.tasks))\n"
        "print(dag.timetable.expression, dag.timetable.timezone)\n"
        "print('catchup', dag.catchup, 'docs', dag.doc_md.splitlines()[1])\n"
        "print('retries', {t.task_id: t.retries for t in dag.tasks})\n"
        "print('timeouts', dag.dagrun_timeout, {str(t.execution_timeout) for t in dag.tasks})\n"
        "print('on failure', all(t.on_failure_callback for t in dag.tasks))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], env=first_night.env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "sen_returns_nightly" in result.stdout
    tasks = "['anything_new', 'build', 'check', 'check_batch', 'discover', 'foresee', "
    tasks += "'plan_batches', 'publish', 'recover', 'summarise', 'validate']"
    assert tasks in result.stdout
    assert "0 2 * * * Europe/London" in result.stdout
    assert "catchup False docs # SEN returns, nightly" in result.stdout
    assert "'discover': 2" in result.stdout and "'publish': 2" in result.stdout
    # a hung step cannot hold every later night; a failed one tells someone
    assert "timeouts 6:00:00 {'2:00:00'}" in result.stdout
    assert "on failure True" in result.stdout


def test_first_night_loads_exactly_the_valid_returns(first_night: Night) -> None:
    assert first_night.result.returncode == 0, first_night.result.stdout + first_night.result.stderr
    assert "new, in 2 processes)" in first_night.result.stderr
    deliveries = read_csv(first_night.sample / "ground_truth" / "deliveries.csv")
    expected_loaded = {
        (r["urn"], r["academic_year"], r["term"], r["received_at"])
        for r in deliveries
        if r["expected_outcome"] == "loaded"
    }
    loaded = first_night.query(
        "select distinct urn, academic_year, term, strftime(received_at at time zone 'UTC', "
        "'%Y-%m-%dT%H:%M:%S+00:00') from raw_school_returns"
    )
    assert set(loaded) == expected_loaded
    in_force = {
        (r["urn"], r["academic_year"], r["term"]) for r in deliveries if r["in_force"] == "Y"
    }
    assert set(first_night.query(
        "select distinct urn, academic_year, term from fct_submissions where in_force = 'Y'"
    )) == in_force  # fmt: skip


def test_a_published_night_keeps_no_pupil_rows_in_its_run_folder(first_night: Night) -> None:
    """The files' bytes are in archive/ or quarantine/ and the rows in the snapshot: the
    night's working copies would outlive any retention period the LA sets."""
    published = (first_night.home / "runs").glob("*/published.json")
    run = min(published, key=lambda path: path.stat().st_mtime).parent  # the first night's
    left = sorted(path.relative_to(run).as_posix() for path in run.rglob("*") if path.is_file())
    assert left, "the run folder keeps its results"
    assert not [path for path in left if path.startswith(("files/", "batches/"))], left
    assert not [path for path in left if path.endswith((".duckdb", ".pickle"))], left


def stored(night: Night, landing_path: str) -> Path:
    """Where the newest file received at ``landing_path`` is kept."""
    rows = night.query(
        "select stored_path from fct_submissions where landing_path = ? "
        "order by received_at desc, processed_at desc limit 1",
        [landing_path],
    )
    assert rows, landing_path
    return night.home / rows[0][0]


def test_first_night_quarantines_exactly_the_planted_invalid_returns(first_night: Night) -> None:
    rejected = read_csv(first_night.sample / "ground_truth" / "rejected_returns.csv")
    deliveries = read_csv(first_night.sample / "ground_truth" / "deliveries.csv")
    expected = {r["path"].removeprefix("landing/") for r in deliveries
                if r["expected_outcome"] == "rejected"}  # fmt: skip
    kept = {landing for (landing,) in first_night.query(
        "select landing_path from fct_submissions where receipt = 'rejected'")}  # fmt: skip
    assert kept == expected and len({r["file_names"] for r in rejected}) == len(rejected)
    quarantine = first_night.home / "quarantine"
    rules = {name: r["rule_id"] for r in rejected for name in r["file_names"].split(";")}
    for relative in kept:  # byte for byte, with a report beside it naming the rule broken
        original = first_night.sample / "landing" / relative
        place = stored(first_night, relative)
        assert place.is_relative_to(quarantine)
        assert place.read_bytes() == original.read_bytes()
        report = place.with_name(place.name + ".report.txt").read_text()
        assert "Nothing from it was loaded" in report
        name = Path(relative).name
        if name in rules:  # a planted invalid return: the rule it breaks is named
            assert f"[rule {rules[name]}]" in report, (name, report)
    rejected_urns = first_night.query(
        "select count(*) from raw_school_returns s join raw_submissions r "
        "using (submission_id) where r.outcome = 'rejected'"
    )
    assert rejected_urns == [(0,)]


def test_first_night_archives_everything_else_and_empties_landing(first_night: Night) -> None:
    landing = tree(first_night.home / "landing")
    assert landing == {}
    originals = tree(first_night.sample / "landing")
    for relative, data in originals.items():
        assert stored(first_night, relative).read_bytes() == data
    archived = [p for p in tree(first_night.home / "archive")]
    quarantined = [p for p in tree(first_night.home / "quarantine") if ".report." not in p]
    # one kept copy of each file received: the first night's, and those of any later
    # night this module's tests have run on the same home before this one
    received = first_night.query("select count(distinct stored_path) from fct_submissions")
    assert len(archived) + len(quarantined) == received[0][0] >= len(originals)


def test_every_row_carries_its_lineage(first_night: Night) -> None:
    for table in ("raw_school_returns", "raw_pupil_returns", "raw_enquiries"):
        missing = first_night.query(
            f"select count(*) from {table} where file_name is null or sha256 is null "
            "or received_at is null or loaded_at is null or contract_version is null "
            "or run_id is null"
        )
        assert missing == [(0,)]
    assert first_night.query("select count(*) from raw_enquiries")[0][0] > 100


def test_missing_and_late_returns_follow_the_ground_truth(first_night: Night) -> None:
    flags = read_csv(first_night.sample / "ground_truth" / "duty_flags.csv")
    expected = {
        (f["urn"], f["academic_year"], f["term"]): "missing" if f["expected_status"] == "red"
        else "late"
        for f in flags if f["check_id"] == "return_received"
    }  # fmt: skip
    found = dict(
        ((urn, year, term), status)
        for urn, year, term, status in first_night.query(
            "select urn, academic_year, term, return_status from fct_return_status "
            "where return_status <> 'on_time'"
        )
    )
    assert found == expected
    register = read_csv(first_night.sample / "register.csv")
    rows = first_night.query("select count(*) from fct_return_status")[0][0]
    assert rows == len(register) * 6 - 6  # one school opens a year in, one closes after one


def test_every_exported_status_is_the_oracles_ground_truth(
    first_night: Night, tmp_path: Path
) -> None:
    """Every (school, term, check) of the night has exactly the status the generator's
    oracle gives (duty_statuses.csv), judged as at the night's own as-of moment: no
    more keys, no fewer, no status off, edge cases included.

    Run on night one's snapshot, before later nights resubmit and re-deliver files
    (so it sits here, not with the other duty-check tests below)."""
    assert first_night.result.returncode == 0, first_night.result.stderr[-2000:]
    runs = first_night.query(
        "select strftime(as_of at time zone 'UTC', '%Y-%m-%dT%H:%M:%S.%f+00:00') "
        "from fct_nightly_runs"
    )
    assert len(runs) == 1, "judged on the first night's snapshot alone"
    as_of = datetime.fromisoformat(runs[0][0])
    again = tmp_path / "again"  # the same sample, its oracle judging as at the night
    generate(again, schools=SCHOOLS, seed=SEED, as_of=as_of)
    for name in ("deliveries.csv", "duty_flags.csv"):
        assert read_csv(again / "ground_truth" / name) == read_csv(
            first_night.sample / "ground_truth" / name
        )
    expected = {
        (r["urn"], r["academic_year"], r["term"], r["check_id"]): r["expected_status"]
        for r in read_csv(again / "ground_truth" / "duty_statuses.csv")
    }
    rows = export_duties(first_night, tmp_path / "duties.csv")
    got = {(r["urn"], r["academic_year"], r["term"], r["check_id"]): r["status"] for r in rows}
    assert len(got) == len(rows)
    assert sorted(got.keys() - expected.keys()) == []
    assert sorted(expected.keys() - got.keys()) == []
    wrong = {key: {"oracle": status, "pipeline": got[key]}
             for key, status in expected.items() if got[key] != status}  # fmt: skip
    assert wrong == {}
    # the comparison covers every status, and the edge cases are in it
    statuses = read_csv(PROJECT_ROOT / "seeds" / "statuses.csv")
    assert set(expected.values()) == {s["status"] for s in statuses}
    flags = read_csv(first_night.sample / "ground_truth" / "duty_flags.csv")
    assert len({(f["urn"], f["term"]) for f in flags if f["origin"] == "edge_case"}) >= 2


def test_export_submissions_one_row_per_file(first_night: Night, tmp_path: Path) -> None:
    out = tmp_path / "submissions.csv"
    result = subprocess.run(
        [sys.executable, "-m", "sendwatch.cli", "export", "submissions", "--out", str(out)],
        env=first_night.env, capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    with out.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["file_name", "sha256", "urn", "academic_year", "term",
                             "received_at", "receipt", "in_force", "first_error",
                             "landing_path", "stored_path"]  # fmt: skip
    assert len(rows) == len(tree(first_night.sample / "landing"))
    assert {r["receipt"] for r in rows} == {"loaded", "superseded", "rejected"}
    assert all(r["first_error"] for r in rows if r["receipt"] == "rejected")
    assert all((first_night.home / r["stored_path"]).is_file() for r in rows)


# --- night two: nothing new ---------------------------------------------------------


def test_second_night_with_nothing_new_changes_nothing(second_night) -> None:
    night, before = second_night
    assert night.result.returncode == 0, night.result.stderr
    assert tables_of(night) == before


# --- night three: a re-delivery, a resubmission, bad files --------------------------


BAD_FILES = {
    "900001_2025-26_spring.xlsx": b"",  # empty
    "900002_2025-26_spring.xlsx": b"not a workbook",
    "sendiass_enquiries_2026-13.csv": b"enquiry_ref\n",
    "notes for the LA.docx": b"a stray file",
}


@pytest.fixture(scope="module")
def third_night(second_night, tmp_path_factory: pytest.TempPathFactory):
    night, _ = second_night
    landing = night.home / "landing"
    at = datetime(2026, 6, 10, 9, 0, tzinfo=UTC)
    archived = sorted((night.home / "archive").rglob("*.xlsx"))[0]
    redelivered = drop(landing, "2026-06-10", archived.name, archived.read_bytes(), at)
    urn, year, term = archived.stem.split("_")
    resubmission = _corrected_return(archived, number_on_roll=777)
    drop(landing, "2026-06-11", archived.name, resubmission, at.replace(day=11))
    bad = {**BAD_FILES, "900003_2025-26_spring.xlsx": _with_formula(), **_csv_bad_returns()}
    for name, data in bad.items():
        drop(landing, "2026-06-12", name, data, at.replace(day=12))
    result = refresh(night.env)
    return Night(**{**night.__dict__, "result": result}), (urn, year, term), redelivered, bad


def _corrected_return(archived: Path, **changes: object) -> bytes:
    workbook = load_workbook(archived)
    sheet = workbook["school"]
    headers = [str(c.value).strip().lower().replace(" ", "_") for c in sheet[1]]
    for column, value in changes.items():
        sheet.cell(row=2, column=headers.index(column) + 1, value=value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _with_formula() -> bytes:
    school = school_row(urn="900003", academic_year="2025-26", term="spring",
                        census_date=datetime(2026, 1, 15).date())  # fmt: skip
    files = render_return(school, [pupil_row(1)], "xlsx", Style())
    workbook = load_workbook(io.BytesIO(next(iter(files.values()))))
    workbook["school"]["N2"] = "=M2/2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _csv_bad_returns() -> dict[str, bytes]:
    """A CSV return whose pupils file has a 10,000-column row, then an injection string."""
    school = school_row(urn="900004", academic_year="2025-26", term="spring",
                        census_date=datetime(2026, 1, 15).date())  # fmt: skip
    pupils = [pupil_row(1), pupil_row(2, primary_need='=HYPERLINK("http://x.example","y")')]
    files = render_return(school, pupils, "csv", Style())
    text = files["900004_2025-26_spring_pupils.csv"].decode()
    lines = text.splitlines()
    lines[1] += "," + ",".join(["1"] * 10_000)
    files["900004_2025-26_spring_pupils.csv"] = "\r\n".join(lines).encode()
    return files


def test_a_redelivery_is_a_duplicate_and_loads_once(third_night) -> None:
    night, _, redelivered, _ = third_night
    assert night.result.returncode == 0, night.result.stderr + night.result.stdout
    landing_path = redelivered.relative_to(night.home / "landing").as_posix()
    sha = hashlib.sha256(stored(night, landing_path).read_bytes()).hexdigest()
    outcomes = night.query(f"select outcome from fct_submissions where sha256 = '{sha}' order by 1")
    assert outcomes == [("duplicate",), ("loaded",)]
    assert night.query(f"select count(*) from raw_school_returns where sha256 = '{sha}'") == [(1,)]


def test_a_resubmission_supersedes_and_the_old_one_stays_as_history(third_night) -> None:
    night, (urn, year, term), _, _ = third_night
    rows = night.query(
        "select s.number_on_roll, f.in_force from raw_school_returns s join fct_submissions f "
        f"using (submission_id) where s.urn = '{urn}' and s.academic_year = '{year}' "
        f"and s.term = '{term}' and f.outcome = 'loaded' order by f.received_at"
    )
    assert len(rows) == 2 and rows[-1] == (777, "Y") and rows[0][1] == "N"


def test_the_marts_gate_judges_again_only_what_changed_since_the_last_night(third_night) -> None:
    night, (urn, _, _), _, _ = third_night
    assert night.result.returncode == 0, night.result.stderr + night.result.stdout
    nights = sorted((night.home / "runs").glob("*/gates.json"), key=lambda p: p.stat().st_mtime)
    first, third = (json.loads(path.read_text())["suites"] for path in (nights[0], nights[-1]))
    assert first["fct_duty_checks"]["checked"] == first["fct_duty_checks"]["rows"]
    duty_checks = third["fct_duty_checks"]
    # the resubmitted school's checks, whole (its every term: the unique key's first
    # column is urn), and no other school's: nothing else changed
    assert (
        duty_checks["checked"]
        == night.query("select count(*) from fct_duty_checks where urn = ?", [urn])[0][0]
    )
    assert 0 < duty_checks["checked"] < duty_checks["rows"]
    assert 0 < third["fct_submissions"]["checked"] < third["fct_submissions"]["rows"]


def test_a_later_night_parses_only_the_dbt_files_its_moment_changes(third_night) -> None:
    """dbt's parse is kept between nights (3 s of a night's build when done afresh); the
    moment a night judges as at reaches dbt as an environment variable, so only the
    models that use it are parsed again, and the profile's path is the same every night."""
    night, *_ = third_night
    logs = sorted((night.home / "runs").glob("*/dbt_logs/dbt.log"), key=lambda p: p.stat().st_mtime)
    (run_id,) = re.findall(r"^Run (\S+): success", night.result.stdout, re.MULTILINE)
    first = logs[0].read_text(encoding="utf-8")
    settings = Settings(home=night.home, register=night.sample / "register.csv")
    third = (run_folder(settings, run_id) / "dbt_logs" / "dbt.log").read_text(encoding="utf-8")
    assert "Starting full parse" in first
    assert "Unable to do partial parsing" not in third
    reparsed = sorted(set(re.findall(r"Partial parsing: updated file: sendwatch://(\S+)", third)))
    assert reparsed == [
        "models/intermediate/int_school_terms.sql",
        "models/intermediate/int_submissions_ranked.sql",
    ]


def test_bad_files_are_quarantined_with_the_place_and_nothing_half_loads(third_night) -> None:
    night, _, _, bad = third_night
    places = {name: stored(night, f"2026-06-12/{name}") for name in bad}
    reports = {name: place.with_name(place.name + ".report.txt").read_text()
               for name, place in places.items()}  # fmt: skip
    expected_places = {
        "900001_2025-26_spring.xlsx": "900001_2025-26_spring.xlsx: the file is empty",
        "900002_2025-26_spring.xlsx": "not an Excel .xlsx workbook",
        "sendiass_enquiries_2026-13.csv": "sendiass_enquiries_2026-13.csv",
        "notes for the LA.docx": "sendwatch does not know this file",
        "900003_2025-26_spring.xlsx": "900003_2025-26_spring.xlsx, sheet school, row 2, column N",
        "900004_2025-26_spring_pupils.csv": "sheet pupils, row 2",
    }
    for name, place in expected_places.items():
        assert place in reports[name], (name, reports.get(name))
        assert places[name].read_bytes() == bad[name]
    # reading stops at the first row past the column limit: one cause, one message
    assert "at most 200 columns [rule too_large]" in reports["900004_2025-26_spring_pupils.csv"]
    half_loaded = night.query(
        "select count(*) from raw_school_returns where urn in ('900001', '900002', '900003', "
        "'900004') and academic_year = '2025-26' and term = 'spring' and run_id = ("
        "select max(run_id) from raw_submissions)"
    )
    assert half_loaded == [(0,)]


# --- night four: dbt fails ----------------------------------------------------------


def test_a_failed_dbt_step_leaves_the_previous_snapshot_serving(third_night, tmp_path) -> None:
    night = third_night[0]
    project = tmp_path / "project"
    shutil.copytree(PROJECT_ROOT / "dbt_project", project / "dbt_project",
                    ignore=shutil.ignore_patterns("target", "logs"))  # fmt: skip
    shutil.copytree(PROJECT_ROOT / "seeds", project / "seeds")
    (project / "dbt_project" / "models" / "marts" / "fct_broken.sql").write_text(
        "select no_such_column from {{ ref('dim_school') }}\n"
    )
    served = night.snapshot()
    held = duckdb.connect(str(served), read_only=True)  # a dashboard reading all night
    before = held.execute("select count(*) from fct_submissions").fetchall()
    landing_file = drop(night.home / "landing", "2026-06-20", "900005_2025-26_spring.xlsx",
                        b"arrives on a bad night", datetime(2026, 6, 20, tzinfo=UTC))  # fmt: skip
    env = {**night.env, "SENDWATCH_DBT_PROJECT": str(project / "dbt_project")}
    result = refresh(env)
    assert result.returncode != 0
    assert "failed at build" in result.stderr and "fct_broken" in result.stderr
    assert night.snapshot() == served
    assert held.execute("select count(*) from fct_submissions").fetchall() == before
    held.close()
    assert landing_file.exists()  # nothing moved: tomorrow night tries again
    history = (night.home / "runs" / "history.jsonl").read_text().splitlines()
    assert '"status": "failed"' in history[-1] and '"step": "build"' in history[-1]


def test_a_reader_holding_a_snapshot_through_a_refresh_sees_no_error(third_night) -> None:
    night = third_night[0]
    held = duckdb.connect(str(night.snapshot()), read_only=True)
    before = held.execute("select count(*), max(received_at) from fct_submissions").fetchall()
    result = refresh({k: v for k, v in night.env.items() if k != "SENDWATCH_DBT_PROJECT"})
    assert result.returncode == 0, result.stderr
    assert (
        held.execute("select count(*), max(received_at) from fct_submissions").fetchall() == before
    )
    held.close()


# --- the duty checks (issue 4), on the first night's snapshot -----------------------


def export_duties(night: Night, out: Path, *options: str) -> list[dict[str, str]]:
    result = subprocess.run(
        [sys.executable, "-m", "sendwatch.cli", "export", "duties", "--out", str(out), *options],
        env=night.env, capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    if out.suffix == ".xlsx":
        sheet = load_workbook(out, read_only=True)["duty_checks"]
        header, *rows = [[str(c) if c is not None else "" for c in r]
                         for r in sheet.iter_rows(values_only=True)]  # fmt: skip
        return [dict(zip(header, row, strict=True)) for row in rows]
    with out.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_exported_statuses_match_the_ground_truth(first_night: Night, tmp_path: Path) -> None:
    rows = export_duties(first_night, tmp_path / "duties.csv")
    got = {(r["urn"], r["academic_year"], r["term"], r["check_id"]): r["status"] for r in rows}
    flags = read_csv(first_night.sample / "ground_truth" / "duty_flags.csv")
    expected = {(f["urn"], f["academic_year"], f["term"], f["check_id"]): f["expected_status"]
                for f in flags}  # fmt: skip
    wrong = {
        key: (status, got.get(key)) for key, status in expected.items() if got.get(key) != status
    }
    assert wrong == {}
    flagged_clean = {k: s for k, s in got.items() if s in ("amber", "red") and k not in expected}
    assert flagged_clean == {}
    planted = [
        f for f in flags if f["origin"] == "planted" and f["expected_status"] in ("amber", "red")
    ]
    assert len(planted) >= 10
    assert len({r["check_id"] for r in rows}) == 17
    assert list(rows[0]) == ["urn", "school_name", "academic_year", "term", "check_id", "strength",
                             "paragraph", "status", "value", "numerator", "denominator",
                             "amber_at", "red_at", "evidence"]  # fmt: skip


def test_evidence_reads_out_the_numbers(first_night: Night, tmp_path: Path) -> None:
    rows = export_duties(first_night, tmp_path / "d.xlsx", "--format", "xlsx",
                         "--year", "2025-26", "--term", "autumn")  # fmt: skip
    assert {(r["academic_year"], r["term"]) for r in rows} == {("2025-26", "autumn")}
    reviews = [r for r in rows if r["check_id"] == "reviews_on_time" and r["status"] == "green"]
    sample = reviews[0]
    due, on_time = int(float(sample["denominator"])), int(float(sample["numerator"]))
    assert sample["evidence"].startswith(f"{due - on_time} of {due} reviews (")
    assert "more than 28 days after the agreed date, or not at all." in sample["evidence"]
    assert sample["paragraph"] == "6.52" and sample["strength"] == "should"
    assert all(r["evidence"] for r in rows)


def test_changing_a_threshold_in_the_seed_changes_the_judgement(
    first_night: Night, tmp_path: Path
) -> None:
    """No SQL edited: one band edge in seeds/duty_checks.csv moves, and a status moves."""
    rows = first_night.query(
        "select urn, academic_year, term, check_id, value from fct_duty_checks "
        "where status = 'amber' and check_id in ('reviews_on_time', 'parent_meetings', "
        "'support_planned', 'pupil_views', 'accessibility_plan', 'sen_information_report') "
        "order by all limit 1"
    )
    assert rows, "the sample has an amber to move"
    urn, year, term, check_id, value = rows[0]

    def move_the_amber_edge_past_the_value(catalogue: list[dict[str, str]]) -> None:
        for row in catalogue:
            if row["check_id"] == check_id:
                lower_is_worse = row["direction"] == "lower_is_worse"
                row["amber_at"] = str(value if lower_is_worse else value + 1)

    warehouse = rebuilt_with_seed(
        first_night.home / "warehouse" / "sendwatch.duckdb", tmp_path, "duty_checks",
        move_the_amber_edge_past_the_value, "+fct_duty_checks",
    )  # fmt: skip
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        status, amber_at = connection.execute(
            "select status, amber_at from fct_duty_checks where urn = ? and academic_year = ? "
            "and term = ? and check_id = ?",
            [urn, year, term, check_id],
        ).fetchone()
    assert status == "green" and amber_at != 0.9


def test_dbt_docs_build_offline(first_night: Night) -> None:
    script = (
        "from sendwatch.settings import load_settings\n"
        "from sendwatch.pipeline.dbt_runner import generate_dbt_docs\n"
        "print(generate_dbt_docs(load_settings()))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], env=first_night.env,
                            capture_output=True, text=True)  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    site = Path(result.stdout.strip().splitlines()[-1])
    assert (site / "index.html").exists()
    catalog = (site / "catalog.json").read_text()
    manifest = (site / "manifest.json").read_text()
    assert "fct_duty_checks" in catalog and "fct_duty_checks" in manifest
    assert "low_numbers" in manifest  # the status code list, from its doc block


# --- SENDIASS enquiries against the returns (issue 13) -------------------------------


def test_enquiries_rise_above_the_funnel_where_duty_problems_were_planted(
    first_night: Night,
) -> None:
    """The generator multiplies a school's enquiries in a term with a planted duty
    problem; the funnel's upper limits find those school-terms, and rarely others."""
    from sendwatch.generate import UNRELATED_TO_ENQUIRIES

    flags = read_csv(first_night.sample / "ground_truth" / "duty_flags.csv")
    planted = {
        (f["urn"], f["academic_year"], f["term"])
        for f in flags
        if f["expected_status"] in ("amber", "red")
        and f["origin"] != "edge_case"
        and f["check_id"] not in UNRELATED_TO_ENQUIRIES
    }
    rows = first_night.query(
        "select urn, academic_year, term, funnel_position, enquiries, sen_support_pupils, "
        "la_enquiries_per_100 from fct_school_enquiry_rates "
        "where funnel_position != 'not_applicable'"
    )
    above = {row[:3] for row in rows if row[3].startswith("above")}
    judged = {row[:3]: row for row in rows}
    problems = [key for key in judged if key in planted]
    others = [key for key in judged if key not in planted]
    assert problems and others
    found = [key for key in problems if key in above]
    false_alarms = [key for key in others if key in above]
    missed = {key: judged[key][4:] for key in problems if key not in above}
    # At these sizes (about 30 pupils on SEN support, two enquiries a term expected at
    # five times the background) a Poisson count stays under the 95% limit about half
    # the time: the funnel cannot find every problem, and must not cry wolf. Found here:
    # 10 of 20, with no false alarm among 79. `missed` says, for each problem not found,
    # (enquiries, pupils on SEN support, the LA's rate per 100).
    assert len(found) >= 0.4 * len(problems), missed
    assert len(false_alarms) <= 0.05 * len(others), false_alarms


def test_enquiry_rates_by_duty_flags_match_an_independent_count(first_night: Night) -> None:
    """fct_enquiries_by_duty_flags against the same figures counted here from the
    enquiries and the schools' statuses; and enquiries are higher where a duty is red."""
    import math
    from collections import Counter

    from sendwatch.contract.duties import measuring_vars

    rated_from = int(measuring_vars()["low_numbers_below"])  # fewer pupils: no rate taken
    schools = {
        row[:3]: (row[3], row[4] > 0)
        for row in first_night.query(
            "select rates.urn, rates.academic_year, rates.term, rates.sen_support_pupils, "
            "status.duties_red from fct_school_enquiry_rates as rates "
            "join fct_school_term_status as status using (urn, academic_year, term) "
            f"where rates.sen_support_pupils >= {rated_from}"
        )
    }
    counted: Counter = Counter()
    for urn, year, term, theme in first_night.query(
        "select urn, academic_year, term, theme from fct_enquiries where urn is not null"
    ):
        if (urn, year, term) in schools:
            red = schools[(urn, year, term)][1]
            counted[(year, term, theme, red)] += 1
            counted[(year, term, "all", red)] += 1
    pupils: Counter = Counter()
    for (_, year, term), (count, red) in schools.items():
        pupils[(year, term, red)] += count
    rows = first_night.query(
        "select academic_year, term, theme, enquiries_red, enquiries_other, rate_ratio, "
        "rate_ratio_lower_95 from fct_enquiries_by_duty_flags"
    )
    assert rows
    for year, term, theme, red, other, ratio, lower in rows:
        assert (red, other) == (counted[(year, term, theme, True)],
                                counted[(year, term, theme, False)])  # fmt: skip
        if red and other and pupils[(year, term, True)]:
            expected = (red / pupils[(year, term, True)]) / (other / pupils[(year, term, False)])
            assert math.isclose(ratio, expected, rel_tol=1e-9)
            error = math.sqrt(1 / red + 1 / other)
            assert math.isclose(lower, expected * math.exp(-1.959964 * error), rel_tol=1e-9)
    compared = [ratio for _, _, theme, red, other, ratio, _ in rows
                if theme == "all" and red and other]  # fmt: skip
    assert compared and all(ratio > 1 for ratio in compared), compared


def test_demand_by_need_and_ehc_requests_match_an_independent_count(first_night: Night) -> None:
    """fct_need_demand's LA totals and fct_ehc_requests against the same figures counted
    here from the pupil rows loaded (the returns in force only), and the terms' dates."""
    from collections import Counter

    in_force = {
        row[0]: (row[1], row[2], row[3])
        for row in first_night.query(
            "select submission_id, urn, academic_year, term from fct_submissions "
            "where in_force = 'Y'"
        )
    }
    terms = first_night.query("select academic_year, term, starts_on, ends_on from dim_term")
    needs: Counter = Counter()
    requests: dict[tuple, tuple[int, str, str]] = {}  # request -> (term order, by, outcome)
    order = {
        (year, term): n for n, (year, term, *_) in enumerate(sorted(terms, key=lambda t: t[2]))
    }
    for submission, pupil, status, need, asked_on, by, outcome in first_night.query(
        "select submission_id, pupil_ref, sen_status, primary_need, ehc_request_date, "
        "ehc_requested_by, ehc_request_outcome from raw_pupil_returns"
    ):
        if submission not in in_force:
            continue
        urn, year, term = in_force[submission]
        needs[(year, term, need or "NSA", status)] += 1
        if asked_on is not None:
            newest = requests.get((urn, pupil, asked_on))
            if newest is None or order[(year, term)] > newest[0]:
                requests[(urn, pupil, asked_on)] = (order[(year, term)], by, outcome or "pending")
    shown = first_night.query(
        "select academic_year, term, primary_need, sen_support_pupils, ehc_plan_pupils "
        "from fct_need_demand where is_need_total"
    )
    assert shown
    for year, term, need, support, plans in shown:
        assert (support, plans) == (needs[(year, term, need, "K")], needs[(year, term, need, "E")])
    assert sum(row[3] for row in shown) == sum(n for k, n in needs.items() if k[3] == "K")

    made_in: Counter = Counter()
    for (_, _, asked_on), (_, by, outcome) in requests.items():
        for year, term, starts, ends in terms:
            if starts <= asked_on <= ends:
                made_in[(year, term, "all", outcome)] += 1
                made_in[(year, term, by or "not_recorded", "all")] += 1
                made_in[(year, term, "all", "all")] += 1
    counted = {
        row[:4]: row[4]
        for row in first_night.query(
            "select academic_year, term, requested_by, outcome, requests from fct_ehc_requests"
        )
    }
    assert counted and counted == dict(made_in)


def test_the_early_warning_back_test_matches_an_independent_count(first_night: Night) -> None:
    """The nightly back-test of the early warning, recounted here: at each origin, the
    baseline flags exactly the schools with a red must or should duty that term, the
    actual is a red one next term (schools with a return in both), and precision and
    recall of both methods follow from the flags, per origin and pooled."""
    red: dict[tuple[str, int], bool] = {}
    for urn, order, status, strength in first_night.query(
        "select checks.urn, terms.term_order, checks.status, checks.strength "
        "from fct_duty_checks as checks join dim_term as terms using (academic_year, term) "
        "join fct_school_term_status as schools using (urn, academic_year, term) "
        "where schools.return_status in ('on_time', 'late')"
    ):
        red[(urn, order)] = red.get((urn, order), False) or (
            status == "red" and strength in ("must", "should")
        )
    calls = first_night.query(
        "select urn, origin_term_order, target_term_order, model_flag, baseline_flag, "
        "actual_red from fct_early_warning_backtest_schools"
    )
    assert calls, "the sample is big enough to back-test the early warning"
    tally: dict[tuple, list[int]] = {}
    for urn, origin, target, model, baseline, actual in calls:
        assert target == origin + 1
        assert baseline == red[(urn, origin)] and actual == red[(urn, target)]
        for method, flag in (("model", model), ("baseline", baseline)):
            for scope in (origin, None):
                counts = tally.setdefault((method, scope), [0, 0, 0])  # flagged, red, both
                counts[0] += flag
                counts[1] += actual
                counts[2] += flag and actual
    rows = first_night.query(
        "select method, origin_term_order, predicted_red, actual_red, true_positives, "
        "precision, recall from fct_early_warning_backtest"
    )
    assert {(method, origin) for method, origin, *_ in rows} == set(tally)
    for method, origin, flagged, went_red, both, precision, recall in rows:
        assert [flagged, went_red, both] == tally[(method, origin)], (method, origin)
        if flagged:
            assert math.isclose(precision, both / flagged), (method, origin)
        if went_red:
            assert math.isclose(recall, both / went_red), (method, origin)
    (verdict, beats), *_ = first_night.query(
        "select verdict, beats_baseline from fct_early_warning_backtest"
    )
    assert ("did not beat" in verdict) == (beats is False), verdict


def test_the_forecasts_back_test_matches_an_independent_count(first_night: Night) -> None:
    """Each forecast's back-test against "same as last year", recounted here from the SEN2
    figures: the actual and the baseline of every origin, and both MAPEs; a series not
    tested twice is not forecast, and the page-ready message says why."""
    sen2 = {
        (measure, area, year): value
        for measure, area, year, value in first_night.query(
            "select measure, area, figure_year, measured_value from fct_la_sen2_figures"
        )
    }
    series = {
        row[0]: row[1:]
        for row in first_night.query(
            "select series_id, source, measure, category, status, model_mape, baseline_mape, "
            "message from fct_forecast_series"
        )
    }
    tested = [key for key, about in series.items() if about[0] == "sen2"]
    assert tested and all(series[key][3] == "forecast" for key in tested)
    for key in tested:
        _, measure, area, _, model_mape, baseline_mape, _ = series[key]
        errors: dict[str, list[float]] = {"model": [], "baseline": []}
        for origin, target, actual, model, baseline in first_night.query(
            "select origin_period_order, target_period_order, actual, model_prediction, "
            "baseline_prediction from fct_forecast_backtest where series_id = ?",
            [key],
        ):
            assert target == origin + 1  # a year ahead of a yearly series
            assert actual == sen2[(measure, area, target)]
            assert baseline == sen2[(measure, area, target - 1)]  # same as last year
            errors["model"].append(abs(model - actual) / actual * 100)
            errors["baseline"].append(abs(baseline - actual) / actual * 100)
        assert len(errors["model"]) >= 2
        assert abs(model_mape - sum(errors["model"]) / len(errors["model"])) < 1e-9
        assert abs(baseline_mape - sum(errors["baseline"]) / len(errors["baseline"])) < 1e-9
    for _, _, _, status, _, _, message in series.values():
        if status == "too_short":
            assert message.startswith("history too short")
    forecast = {row[0] for row in first_night.query("select series_id from fct_forecasts")}
    assert forecast == {key for key, about in series.items() if about[3] == "forecast"}
