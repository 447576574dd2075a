"""Hostile deliveries: each is rejected on its own, with a message that says where and
what to do, without repeating personal data, and none of them stops a night.

The corpus is built by code (``hostile.py``). The zip and dimension bombs are
rejected by their declared sizes, before anything is decompressed or a row is
read (their time is measured in ``benchmarks/hostile.py``, not here).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from hostile import RECEIVED, Case, corpus, register_rows, valid_return

from sendwatch.contract.v1 import RULES_BY_ID
from sendwatch.pipeline.landing import survey_landing
from sendwatch.settings import Limits
from sendwatch.validation import check_delivery

CASES = corpus()
REGISTER_URNS = {line.split(",")[0] for line in register_rows([]).splitlines()[1:]}
VALID_URNS = ("900400", "900401", "900402")


def write_case(case: Case, folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, data in case.files.items():
        paths[name] = folder / name
        paths[name].write_bytes(data)
    return paths


def test_the_corpus_covers_forty_cases_and_every_new_rule() -> None:
    assert len(CASES) >= 40
    assert len({case.id for case in CASES}) == len(CASES)
    rules = {case.rule for case in CASES}
    assert {
        "damaged_file",
        "too_large",
        "personal_data_value",
        "macro_workbook",
        "encrypted_workbook",
        "old_excel_format",
        "csv_encoding",
        "csv_delimiter",
        "pupils_exceed_roll",
        "enquiry_month",
        "not_on_register",
    } <= rules


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_each_hostile_file_is_rejected_with_its_place_and_advice(case: Case, tmp_path) -> None:
    paths = write_case(case, tmp_path)
    result = check_delivery(case.kind, paths, RECEIVED, REGISTER_URNS, Limits())
    assert not result.valid
    lines = [str(problem) for problem in result.problems if problem.rule_id == case.rule]
    assert lines, [str(problem) for problem in result.problems]
    assert any(case.place in line for line in lines), lines
    assert all(RULES_BY_ID[case.rule].advice in line for line in lines)
    reported = json.dumps([problem.as_dict() for problem in result.problems])
    for secret in case.secrets:
        assert secret.lower() not in reported.lower(), secret


def test_bombs_are_rejected_by_their_declared_size_before_any_row_is_read(tmp_path) -> None:
    by_id = {case.id: case for case in CASES}
    for case_id, wording in (
        ("zip_bomb", "would take 200 MB once decompressed"),
        ("ratio_bomb", "times its packed size"),
        ("dimension_bomb", "says it spans A1:XFD1048576"),
    ):
        paths = write_case(by_id[case_id], tmp_path / case_id)
        result = check_delivery("return", paths, RECEIVED, REGISTER_URNS)
        assert [p.rule_id for p in result.problems] == ["too_large"]
        assert wording in result.problems[0].message


def test_an_internal_fault_rejects_only_that_delivery(monkeypatch, tmp_path) -> None:
    import sendwatch.validation as validation

    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug of ours")

    monkeypatch.setattr(validation, "validate_return", broken)
    paths = write_case(Case("x", "", "", valid_return("900400")), tmp_path)
    result = check_delivery("return", paths, RECEIVED, REGISTER_URNS)
    assert [p.rule_id for p in result.problems] == ["internal_error"]
    assert "sendwatch failed while checking" in str(result.problems[0])


def test_validate_never_prints_a_traceback_and_exits_1(tmp_path) -> None:
    files = []
    for case in CASES:
        files += [str(p) for p in write_case(case, tmp_path / case.id).values()]
    register = tmp_path / "register.csv"
    register.write_text(register_rows([]))
    result = subprocess.run(
        [sys.executable, "-m", "sendwatch.cli", "validate", "--register", str(register), *files],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stdout.count("REJECTED") == len(CASES)
    assert f"0 valid, {len(CASES)} rejected." in result.stdout
    usage = subprocess.run(
        [sys.executable, "-m", "sendwatch.cli", "validate", str(tmp_path / "absent.xlsx")],
        capture_output=True,
        text=True,
    )
    assert usage.returncode == 2 and "Traceback" not in usage.stderr


def test_a_file_still_being_written_is_left_for_the_next_night(tmp_path) -> None:
    landing, copies = tmp_path / "landing", tmp_path / "copies"
    landing.mkdir()
    growing = landing / "900400_2025-26_autumn.xlsx"
    growing.write_bytes(b"PK" + b"x" * 100)
    (landing / "900401_2025-26_autumn.xlsx.filepart").write_bytes(b"half")
    (landing / "~$900402_2025-26_autumn.xlsx").write_bytes(b"lock")

    def keep_writing() -> None:
        time.sleep(0.3)
        with growing.open("ab") as handle:
            handle.write(b"more")

    writer = threading.Thread(target=keep_writing)
    writer.start()
    found = survey_landing(landing, copies, settle_seconds=1.0)
    writer.join()
    assert found.files == []
    assert sorted(found.waiting) == sorted(
        ["900400_2025-26_autumn.xlsx", "900401_2025-26_autumn.xlsx.filepart",
         "~$900402_2025-26_autumn.xlsx"]
    )  # fmt: skip
    again = survey_landing(landing, copies, settle_seconds=0.2)
    assert [f.file_name for f in again.files] == ["900400_2025-26_autumn.xlsx"]
    assert (copies / again.files[0].sha256).read_bytes() == growing.read_bytes()


def test_files_that_settled_before_the_night_are_taken_without_waiting(
    tmp_path, monkeypatch
) -> None:
    """The settle interval is waited out only for files changed within it: a night
    does not wait for returns that arrived during the day."""
    from sendwatch.pipeline import landing as module

    landing, copies = tmp_path / "landing", tmp_path / "copies"
    landing.mkdir()
    (landing / "900400_2025-26_autumn.xlsx").write_bytes(b"PK" + b"x" * 100)
    time.sleep(0.6)
    waits: list[float] = []
    monkeypatch.setattr(module.time, "sleep", waits.append)
    settled = survey_landing(landing, copies, settle_seconds=0.5)
    assert [f.file_name for f in settled.files] == ["900400_2025-26_autumn.xlsx"]
    assert waits == [0.0]
    (landing / "900401_2025-26_autumn.xlsx").write_bytes(b"PK" + b"y" * 100)
    survey_landing(landing, copies, settle_seconds=30)
    assert 25 < waits[-1] <= 30  # just arrived: waits (nearly) the whole interval


# --- one night with the whole corpus -----------------------------------------------


@pytest.fixture(scope="module")
def hostile_night(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("hostile")
    home, landing = root / "home", root / "home" / "landing"
    register = root / "register.csv"
    register.write_text(register_rows(list(VALID_URNS)))
    stamp = datetime.combine(RECEIVED, datetime.min.time(), tzinfo=UTC).timestamp() + 36_000
    for case in CASES:
        for path in write_case(case, landing / case.id).values():
            os.utime(path, (stamp, stamp))
    for urn in VALID_URNS:
        for name, data in valid_return(urn).items():
            (landing / "good").mkdir(parents=True, exist_ok=True)
            (landing / "good" / name).write_bytes(data)
            os.utime(landing / "good" / name, (stamp, stamp))
    # the same bytes again, later the same night (in another batch): a duplicate
    again = landing / "zz_sent_again"
    again.mkdir()
    first = sorted((landing / "good").iterdir())[0]
    (again / first.name).write_bytes(first.read_bytes())
    os.utime(again / first.name, (stamp, stamp))
    outside = root / "outside_secret.xlsx"
    outside.write_text("TOP-SECRET-OUTSIDE-LANDING\n")
    hygiene = landing / "hygiene"
    hygiene.mkdir()
    (hygiene / "900402_2025-26_autumn.xlsx").symlink_to(outside)
    os.mkfifo(hygiene / "a_pipe")
    (hygiene / "900401_2025-26_summer.xlsx.filepart").write_bytes(b"half an upload")
    (hygiene / ".hidden_return.xlsx").write_bytes(b"dot file")
    (hygiene / "..\\..\\escape.xlsx").write_bytes(b"backslashes")
    both = landing / "both_formats"
    from hostile import csv_pair, workbook

    for name, data in {
        "900399_2025-26_autumn.xlsx": workbook("900399"),
        **csv_pair("900399"),
    }.items():
        both.mkdir(exist_ok=True)
        (both / name).write_bytes(data)
    env = {
        **os.environ,
        "SENDWATCH_HOME": str(home),
        "SENDWATCH_REGISTER": str(register),
        "SENDWATCH_SETTLE_SECONDS": "0",
        # a mapped task per delivery: rules that look across deliveries (the same bytes
        # twice, one return in two formats) must hold across batches
        "SENDWATCH_VALIDATION_BATCH": "1",
    }
    env.pop("SENDWATCH_DBT_PROJECT", None)
    measure = (
        "import resource, subprocess, sys\n"
        "r = subprocess.run([sys.executable, '-m', 'sendwatch.cli', 'refresh'])\n"
        "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
        "print('PEAK_KB', peak, file=sys.stderr)\n"
        "sys.exit(r.returncode)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", measure], env=env, capture_output=True, text=True, timeout=1200
    )
    return home, result


def _snapshot(home: Path) -> Path:
    return home / "published" / (home / "published" / "CURRENT").read_text().strip()


def test_the_night_publishes_and_loads_exactly_the_valid_returns(hostile_night) -> None:
    home, result = hostile_night
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    with duckdb.connect(str(_snapshot(home)), read_only=True) as connection:
        loaded = connection.execute(
            "select distinct urn from raw_school_returns order by urn"
        ).fetchall()
        outcomes = dict(
            connection.execute("select landing_path, outcome from raw_submissions").fetchall()
        )
    assert [urn for (urn,) in loaded] == list(VALID_URNS)
    for case in CASES:
        for name in case.files:
            assert outcomes[f"{case.id}/{name}"] == "rejected", case.id
    assert outcomes["both_formats/900399_2025-26_autumn.xlsx"] == "rejected"
    sent_again = [path for path in outcomes if path.startswith("zz_sent_again/")]
    assert [outcomes[path] for path in sent_again] == ["duplicate"]
    assert outcomes["good/" + sent_again[0].split("/")[1]] == "loaded"


def _kept(home: Path) -> dict[str, Path]:
    """Where each file is kept, by its landing path."""
    with duckdb.connect(str(_snapshot(home)), read_only=True) as connection:
        rows = connection.execute("select landing_path, stored_path from fct_submissions")
        return {landing: home / stored for landing, stored in rows.fetchall()}


def _report(place: Path, suffix: str = ".report.json") -> Path:
    return place.with_name(place.name + suffix)


def test_every_hostile_file_is_quarantined_with_its_reason(hostile_night) -> None:
    home, _ = hostile_night
    kept = _kept(home)
    for case in CASES:
        first = kept[f"{case.id}/{next(iter(case.files))}"]
        assert first.is_relative_to(home / "quarantine")
        problems = json.loads(_report(first).read_text())["problems"]
        assert case.rule in {p["rule_id"] for p in problems}, case.id
        for name, data in case.files.items():
            assert kept[f"{case.id}/{name}"].read_bytes() == data  # byte for byte
    two = json.loads(_report(kept["both_formats/900399_2025-26_autumn.xlsx"]).read_text())
    assert [p["rule_id"] for p in two["problems"]] == ["two_formats"]


def test_landing_hygiene(hostile_night) -> None:
    home, result = hostile_night
    landing = home / "landing" / "hygiene"
    (refused,) = (home / "quarantine").glob("*/*-refused")
    link = refused / "hygiene" / "900402_2025-26_autumn.xlsx"
    assert link.is_symlink()  # the link was moved, its target never read
    report = _report(link, ".report.txt").read_text()
    assert "not_a_regular_file" in report and "symbolic link" in report
    assert _report(refused / "hygiene" / "a_pipe", ".report.txt").exists()
    assert (landing / "900401_2025-26_summer.xlsx.filepart").exists()  # left alone
    kept = _kept(home)
    for name in (".hidden_return.xlsx", "..\\..\\escape.xlsx"):
        assert "rule file_name" in _report(kept[f"hygiene/{name}"], ".report.txt").read_text()
    assert "REFUSED" in result.stdout and "still arriving" in result.stdout


def test_no_offending_value_reaches_the_warehouse_or_a_report(hostile_night) -> None:
    home, _ = hostile_night
    text = []
    with duckdb.connect(str(_snapshot(home)), read_only=True) as connection:
        tables = [t for (t,) in connection.execute("show tables").fetchall()]
        for table in tables:
            text.append(repr(connection.execute(f"select * from {table}").fetchall()))
    for report in (home / "quarantine").rglob("*.report.*"):
        text.append(report.read_text())
    text.append((home / "runs" / "history.jsonl").read_text())
    everything = "\n".join(text).lower()
    assert "top-secret-outside-landing" not in everything
    for case in CASES:
        for secret in case.secrets:
            assert secret.lower() not in everything, (case.id, secret)


def test_the_night_stays_well_within_memory(hostile_night) -> None:
    _, result = hostile_night
    peak_kb = int(result.stderr.rsplit("PEAK_KB", 1)[1].split()[0])
    assert peak_kb < 2 * 1024 * 1024, f"peak {peak_kb / 1024:.0f} MB"
