"""The sample data: deterministic, calibrated on real figures, with known problems."""

from __future__ import annotations

import csv
import itertools
import os
import statistics
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from helpers import read_csv

from sendwatch.cli import cli
from sendwatch.contract.duties import duty_checks, measuring_vars
from sendwatch.generate import ALL_CHECKS, generate
from sendwatch.generate.calibration import SEEDS
from sendwatch.terms import Term, collected_terms
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


def test_the_oracle_judges_every_check_of_every_school_and_term(sample) -> None:
    """duty_statuses.csv: one status per register school, collected term and check,
    every status of seeds/statuses.csv in use, and duty_flags.csv agrees with it."""
    out, summary = sample
    rows = read_csv(out / "ground_truth" / "duty_statuses.csv")
    keys = [(r["urn"], r["academic_year"], r["term"], r["check_id"]) for r in rows]
    assert len(keys) == len(set(keys)) == summary.statuses
    census = {(t.academic_year, t.term): Term.parse(t.academic_year, t.term).census_date
              for t in collected_terms()}  # fmt: skip
    open_terms = {
        (school["urn"], *term)
        for school in read_csv(out / "register.csv")
        for term, day in census.items()
        if (not school["opened"] or date.fromisoformat(school["opened"]) <= day)
        and (not school["closed"] or date.fromisoformat(school["closed"]) >= day)
    }
    assert set(keys) == {(*school_term, check) for school_term in open_terms
                         for check in ALL_CHECKS}  # fmt: skip
    every_status = {r["status"] for r in read_csv(SEEDS / "statuses.csv")}
    assert {r["expected_status"] for r in rows} == every_status
    status = dict(zip(keys, (r["expected_status"] for r in rows), strict=True))
    flags = read_csv(out / "ground_truth" / "duty_flags.csv")
    listed = {(f["urn"], f["academic_year"], f["term"], f["check_id"]): f for f in flags}
    assert {k: (f["expected_status"], status[k]) for k, f in listed.items()
            if status[k] != f["expected_status"]} == {}  # fmt: skip
    assert [k for k, s in status.items() if s in ("amber", "red") and k not in listed] == []
    # the planted problems are all still there, and the edge cases are only a handful
    assert sum(f["origin"] == "planted" for f in flags) >= 25
    edge_terms = {k[:3] for k, f in listed.items() if f["origin"] == "edge_case"}
    assert summary.edge_cases == len(edge_terms) == 4


def test_values_sit_exactly_at_every_edge_and_one_unit_past(sample) -> None:
    """The edge-case returns, read back as the pipeline reads them, hold each edge
    value and the one beside it (their statuses are the oracle's, checked above)."""
    out, _ = sample
    measures = measuring_vars()
    grace, least = measures["review_grace_days"], measures["parent_meetings_a_year"]
    high_cost, low = Decimal(measures["high_cost_gbp"]), measures["low_numbers_below"]
    amber = {c: duty_checks()[c].amber_at for c in ("reviews_on_time", "parent_meetings")}
    deadline = {(t.academic_year, t.term): t.deadline for t in collected_terms()}
    edge_terms = {
        (f["urn"], f["academic_year"], f["term"])
        for f in read_csv(out / "ground_truth" / "duty_flags.csv")
        if f["origin"] == "edge_case"
    }
    in_force: dict[tuple[str, str, str], list[dict[str, str]]] = defaultdict(list)
    for row in read_csv(out / "ground_truth" / "deliveries.csv"):
        if row["in_force"] == "Y" and (row["urn"], row["academic_year"], row["term"]) in edge_terms:
            in_force[(row["urn"], row["academic_year"], row["term"])].append(row)
    assert len(in_force) == len(edge_terms)
    found: Counter[str] = Counter()
    for (_, year, term), files in in_force.items():
        returns, _ = group_return_files(out / f["path"] for f in files)
        result = validate_return(returns[0], today=TODAY)
        assert result.valid
        census = result.school["census_date"]
        year_ago = census.replace(year=census.year - 1)
        day = timedelta(days=1)
        for pupil in result.pupils:
            due, held = pupil["last_review_due"], pupil["last_review_held"]
            if due and held:
                found[f"review held {(held - due).days} days after it was due"] += 1
            for column in ("identified_date", "ehc_request_date"):
                if pupil[column] in (year_ago, year_ago + day):
                    found[f"{column} {(pupil[column] - year_ago).days} day(s) after a year"] += 1
            if pupil["parents_informed_date"] == census:
                found["parents told on the census date"] += 1
            if pupil["sen_status"] == "K" and not pupil["ehc_request_date"]:
                found[f"cost {pupil['provision_cost_gbp'] - high_cost} over"] += 1
        found[
            f"{sum(bool(p['specialist_involved']) for p in result.pupils)} with a specialist"
        ] += 1
        due = [p for p in result.pupils if p["last_review_due"]]
        on_time = [
            p
            for p in due
            if p["last_review_held"]
            and p["last_review_held"] <= p["last_review_due"] + timedelta(days=grace)
        ]
        a_year = [p for p in result.pupils if p["identified_date"] <= year_ago]
        met = [p for p in a_year if p["parent_meetings_last_12m"] >= least]
        for check, (numerator, denominator) in {
            "reviews_on_time": (on_time, due),
            "parent_meetings": (met, a_year),
        }.items():
            edge = amber[check] * len(denominator)
            found[f"{check} {len(numerator) - edge} from the amber edge"] += 1
        received = datetime.fromisoformat(files[0]["received_at"])
        in_england = received.astimezone(ZoneInfo("Europe/London")).date()
        late = (in_england - deadline[(year, term)]).days
        if late in (0, 1):
            found[f"received {late} day(s) after the deadline in England"] += 1
        if late == 1 and received.date() == deadline[(year, term)]:
            found["received on the deadline day in UTC"] += 1  # summer time
    wanted = [
        f"review held {grace} days after it was due",
        f"review held {grace + 1} days after it was due",
        "identified_date 0 day(s) after a year", "identified_date 1 day(s) after a year",
        "ehc_request_date 0 day(s) after a year", "ehc_request_date 1 day(s) after a year",
        "parents told on the census date",
        "cost 0.00 over", "cost 0.01 over",
        f"{low} with a specialist", f"{low - 1} with a specialist",
        "reviews_on_time 0 from the amber edge", "reviews_on_time -1 from the amber edge",
        "parent_meetings 0 from the amber edge", "parent_meetings -1 from the amber edge",
        "received 0 day(s) after the deadline in England",
        "received 1 day(s) after the deadline in England",
        "received on the deadline day in UTC",
    ]  # fmt: skip
    assert [w for w in wanted if not found[w]] == [], found


def test_the_oracle_judges_as_at_a_moment(tmp_path: Path) -> None:
    """Judged as at 11pm on the first summer deadline day: that term's returns not yet
    received are not yet due, and no term after it has a return."""
    as_of = datetime(2025, 6, 12, 23, 0, tzinfo=ZoneInfo("Europe/London"))
    assert as_of.date() == next(t.deadline for t in collected_terms() if t.term == "summer")
    generate(tmp_path / "s", schools=12, seed=5, terms=3, as_of=as_of)
    rows = read_csv(tmp_path / "s" / "ground_truth" / "duty_statuses.csv")
    by_term = defaultdict(set)
    for r in rows:
        by_term[(r["academic_year"], r["term"], r["check_id"] == "return_received")].add(
            r["expected_status"]
        )
    for term in ("autumn", "spring", "summer"):
        assert by_term[("2025-26", term, False)] == {"no_return"}
        assert by_term[("2025-26", term, True)] == {"not_applicable"}
    assert by_term[("2024-25", "summer", True)] == {"green", "not_applicable"}
    assert "no_return" in by_term[("2024-25", "summer", False)]
