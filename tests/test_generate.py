"""The sample data: deterministic, calibrated on real figures, with known problems."""

from __future__ import annotations

import csv
import itertools
import os
import statistics
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import read_csv

from sendwatch.cli import cli
from sendwatch.generate import ALL_CHECKS, generate
from sendwatch.generate.calibration import SEEDS
from sendwatch.validation import group_return_files, validate_return

TODAY = date(2026, 11, 30)
# The DfE's public school-level file, where a maintainer has it (see
# scripts/make_calibration_seeds.py): SENDWATCH_PUBLIC_DATA names its folder.
PUBLIC_DATA = os.environ.get("SENDWATCH_PUBLIC_DATA", "")
REAL_BCP_FILE = (
    Path(PUBLIC_DATA) / "dfe_sen_school_level_2023_derived" / "sen_school_wise_la839.csv"
)


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_same_seed_gives_byte_identical_trees(sample, tmp_path: Path) -> None:
    out, _ = sample
    result = CliRunner().invoke(cli, ["generate", "--out", str(tmp_path / "B"), "--seed", "1"])
    assert result.exit_code == 0, result.output
    first, second = tree(out), tree(tmp_path / "B")
    assert first.keys() == second.keys()
    assert [name for name in first if first[name] != second[name]] == []


def test_another_seed_gives_other_data(tmp_path: Path) -> None:
    generate(tmp_path / "s1", schools=12, seed=1, terms=2)
    generate(tmp_path / "s2", schools=12, seed=2, terms=2)
    assert tree(tmp_path / "s1") != tree(tmp_path / "s2")


def test_ground_truth_plants_enough_problems(sample) -> None:
    out, _ = sample
    flags = read_csv(out / "ground_truth" / "duty_flags.csv")
    planted = [
        f for f in flags if f["origin"] == "planted" and f["expected_status"] in ("amber", "red")
    ]
    assert len({(f["urn"], f["academic_year"], f["term"], f["check_id"]) for f in planted}) >= 25
    assert len({f["check_id"] for f in planted}) >= 12
    assert {f["check_id"] for f in flags} <= set(ALL_CHECKS)
    rejected = read_csv(out / "ground_truth" / "rejected_returns.csv")
    assert len(rejected) >= 5
    assert {"personal_data_value", "personal_data_column", "missing_column",
            "identity_mismatch"} <= {r["rule_id"] for r in rejected}  # fmt: skip


def test_every_file_validates_exactly_as_the_ground_truth_says(sample) -> None:
    """Valid returns (tidy or messy) pass; each planted invalid one fails its rule only."""
    out, _ = sample
    deliveries = read_csv(out / "ground_truth" / "deliveries.csv")
    rules = {
        (r["urn"], r["academic_year"], r["term"]): r["rule_id"]
        for r in read_csv(out / "ground_truth" / "rejected_returns.csv")
    }
    by_folder: dict[str, list[Path]] = defaultdict(list)
    for row in deliveries:
        by_folder[str(Path(row["path"]).parent)].append(out / row["path"])
    expected = {row["path"]: row["expected_outcome"] for row in deliveries}
    outcomes = Counter()
    for paths in by_folder.values():
        returns, problems = group_return_files(paths)
        assert problems == []
        for files in returns:
            result = validate_return(files, today=TODAY)
            path = next(p for p in paths if p.name in files.files)
            want = expected[path.relative_to(out).as_posix()]
            key = (files.name.urn, files.name.academic_year, files.name.term)
            if want == "rejected":
                assert {p.rule_id for p in result.problems} == {rules[key]}, key
            else:
                assert result.valid, [str(p) for p in result.problems][:5]
            outcomes[want] += 1
    assert outcomes["rejected"] == len(rules)
    assert outcomes["loaded"] > 600


def test_bcp_scale_matches_the_real_bcp_distribution(sample) -> None:
    """School roll and SEN support rate: medians and quartiles within 10% of the real file."""
    out, _ = sample
    real = [r for r in read_csv(SEEDS / "calibration_school_sizes_england_2023.csv")
            if r["la"] == "bcp"]  # fmt: skip
    real_roll = [int(r["total_pupils"]) for r in real]
    real_rate = [int(r["sen_support"]) / int(r["total_pupils"]) for r in real]
    rolls, rates = [], []
    for folder in sorted((out / "landing").iterdir())[:40]:
        returns, _ = group_return_files(p for p in folder.iterdir() if "sendiass" not in p.name)
        for files in returns:
            result = validate_return(files, today=TODAY)
            if (
                result.valid
                and files.name.academic_year == "2024-25"
                and files.name.term == "autumn"
            ):
                roll = result.school["number_on_roll"]
                rolls.append(roll)
                rates.append(sum(p["sen_status"] == "K" for p in result.pupils) / roll)
    assert len(rolls) >= 100
    for generated, observed in ((rolls, real_roll), (rates, real_rate)):
        for ours, theirs in zip(statistics.quantiles(generated, n=4),
                                statistics.quantiles(observed, n=4), strict=True):  # fmt: skip
            assert abs(ours - theirs) <= 0.10 * theirs, (ours, theirs)


def test_calibration_seed_is_a_faithful_copy_of_the_real_file() -> None:
    if not PUBLIC_DATA or not REAL_BCP_FILE.exists():
        pytest.skip("SENDWATCH_PUBLIC_DATA does not name the DfE's public files")
    with REAL_BCP_FILE.open(encoding="utf-8-sig", newline="") as handle:
        real = sorted((int(r["Total pupils"]), int(r["SEN support"]), int(r["EHC plan"]))
                      for r in csv.DictReader(handle))  # fmt: skip
    seeded = sorted((int(r["total_pupils"]), int(r["sen_support"]), int(r["ehc_plan"]))
                    for r in read_csv(SEEDS / "calibration_school_sizes_england_2023.csv")
                    if r["la"] == "bcp")  # fmt: skip
    assert seeded == real and len(real) == 113


def test_schools_are_fictional_and_the_register_changes(sample) -> None:
    out, _ = sample
    register = read_csv(out / "register.csv")
    assert len(register) == 113
    assert all(900000 < int(r["urn"]) < 1000000 for r in register)
    assert len({r["school_name"] for r in register}) == 113
    assert {r["phase"] for r in register} <= {"primary", "secondary", "all_through"}
    assert sum(bool(r["opened"]) for r in register) == 1
    assert sum(bool(r["closed"]) for r in register) == 1


def test_pupils_persist_join_and_leave(sample) -> None:
    out, _ = sample
    refs: dict[tuple[str, str], set[str]] = {}
    for row in read_csv(out / "ground_truth" / "deliveries.csv"):
        if row["in_force"] != "Y" or not row["file_name"].endswith("_pupils.csv"):
            continue
        with (out / row["path"]).open(encoding="utf-8-sig", errors="replace") as handle:
            reader = csv.reader(handle)
            next(reader)
            refs[(row["urn"], row["academic_year"] + row["term"])] = {
                cells[0].strip() for cells in reader if cells and cells[0].strip()
            }
    kept = joined = 0
    by_school = defaultdict(dict)
    for (urn, term), pupils in refs.items():
        by_school[urn][term] = pupils
    order = ["2024-25autumn", "2024-25spring", "2024-25summer",
             "2025-26autumn", "2025-26spring", "2025-26summer"]  # fmt: skip
    for terms in by_school.values():
        for first, second in itertools.pairwise(order):
            if first in terms and second in terms:
                kept += len(terms[first] & terms[second])
                joined += len(terms[second] - terms[first])
    assert kept > 5 * joined > 0


def test_messy_returns_are_present(sample) -> None:
    out, _ = sample
    csvs = [p.read_bytes() for p in (out / "landing").rglob("*_school.csv")]
    assert any(b"\xa3" in data for data in csvs)  # a pound sign in Windows-1252
    assert any(data.startswith(b"\xef\xbb\xbf") for data in csvs)  # a byte-order mark
    assert any(b"Census Date" in data or b"CENSUS_DATE" in data for data in csvs)
    assert any(b",,,," in data for data in csvs)  # blank trailing rows
    assert sum(1 for _ in (out / "landing").rglob("*.xlsx")) > 200


def test_enquiries_rise_where_duties_may_not_be_met(sample) -> None:
    out, _ = sample
    flags = read_csv(out / "ground_truth" / "duty_flags.csv")
    problem_schools = {
        f["urn"] for f in flags
        if f["origin"] == "planted" and f["check_id"] != "return_received"
    }  # fmt: skip
    counts, files = Counter(), sorted((out / "landing").rglob("sendiass_enquiries_*.csv"))
    assert len(files) == 23
    for path in files:
        counts.update(row["urn"] for row in read_csv(path))
    register = [r["urn"] for r in read_csv(out / "register.csv")]
    problem = statistics.mean(counts[u] for u in register if u in problem_schools)
    clean = statistics.mean(counts[u] for u in register if u not in problem_schools)
    assert problem > 1.5 * clean
    assert counts[""] > 0  # enquiries about no particular school


def test_england_scale_runs_on_a_small_slice(tmp_path: Path) -> None:
    summary = generate(tmp_path / "e", schools=40, seed=3, scale="england", terms=1)
    # one school of the register opens only in September 2025, after this term
    assert summary.schools == 40 and summary.returns == 39
    assert len(read_csv(tmp_path / "e" / "register.csv")) == 40
