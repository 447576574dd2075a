"""Realistic sample data: a register, six terms of returns, SENDIASS enquiries.

``generate(out, ...)`` writes, deterministically for a seed::

    out/register.csv                     the LA's school register (contract section 5)
    out/landing/<YYYY-MM-DD>/...         files as they arrive, one folder per day;
                                         each file's modification time is its receipt
    out/ground_truth/duty_flags.csv      every planted (school, term, check) status
    out/ground_truth/duty_statuses.csv   every check's status for every school and
                                         term, as the oracle judges it (generate.oracle)
    out/ground_truth/rejected_returns.csv  returns that must be rejected, and why
    out/ground_truth/deliveries.csv      every file, when it arrived, what must happen
    out/README.txt                       what all this is

Schools are simulated one at a time and written as they go, so memory stays
bounded at England scale.
"""

from __future__ import annotations

import csv
import multiprocessing
import os
import random
import shutil
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sendwatch.contract.duties import measuring_vars
from sendwatch.contract.v1 import VERSION
from sendwatch.generate import calibration
from sendwatch.generate.edges import EDGE_CHECKS, receipt
from sendwatch.generate.enquiries import write_enquiries
from sendwatch.generate.names import LOCALITIES, fictional_urn, school_names, slug
from sendwatch.generate.oracle import (
    ENGLAND,
    STATUS_COLUMNS,
    SchoolTerm,
    Submission,
    judged_terms,
    status_rows,
)
from sendwatch.generate.oracle import statuses as judge
from sendwatch.generate.plan import INVALID_RULE, Delivery, SamplePlan, make_plan
from sendwatch.generate.school import SchoolProfile, SchoolSimulation, TermReturn
from sendwatch.generate.writers import Style, received_stamp, render_return
from sendwatch.terms import SAMPLE_TERMS, Term

ALL_CHECKS = (
    "senco_designated",
    "senco_qualified_teacher",
    "senco_award",
    "sen_information_report",
    "accessibility_plan",
    "parents_informed",
    "support_planned",
    "reviews_on_time",
    "parent_meetings",
    "pupil_views",
    "specialists_agreed",
    "part_time_timetables",
    "identification_rate",
    "high_cost_no_ehc_request",
    "notional_budget_use",
    "parent_led_ehc_requests",
    "return_received",
)
ENGLAND_SCHOOLS = 24442  # schools in DfE's January 2023 school-level file
# Share of returns sent as workbooks. At national scale most are CSV, which keeps a
# benchmark set to minutes (openpyxl writes about 50,000 cells a second).
XLSX_SHARE = {"bcp": 0.6, "england": 0.2}
UNRELATED_TO_ENQUIRIES = ("identification_rate", "return_received")
OPENED = date(2025, 9, 1)
CLOSED = date(2025, 8, 31)
LATE_DAYS = (3, 20)  # a late return arrives this many days after the deadline

FLAG_COLUMNS = ["urn", "academic_year", "term", "check_id", "expected_status", "origin"]
REJECT_COLUMNS = ["file_names", "urn", "academic_year", "term", "rule_id", "planted_as"]
DELIVERY_COLUMNS = [
    "path",
    "file_name",
    "urn",
    "academic_year",
    "term",
    "received_at",
    "expected_outcome",
    "in_force",
]


@dataclass
class GenerationSummary:
    schools: int = 0
    returns: int = 0
    files: int = 0
    planted_flags: int = 0
    rejected_returns: int = 0
    enquiries: int = 0
    checks_covered: set[str] = field(default_factory=set)
    edge_cases: int = 0  # school-terms with values planted at the band edges
    statuses: int = 0  # rows of duty_statuses.csv
    judged_as_at: datetime | None = None


def choose_sizes(scale: str, schools: int | None) -> list[calibration.SchoolSize]:
    """Real school sizes for ``schools`` fictional schools, keeping the real spread."""
    sizes = calibration.school_sizes(scale)
    count = schools or (len(sizes) if scale == "bcp" else ENGLAND_SCHOOLS)
    if count >= len(sizes):
        return [sizes[i % len(sizes)] for i in range(count)]
    ordered = sorted(sizes, key=lambda s: (s.total_pupils, s.support_rate))
    if count == 1:
        return [ordered[len(ordered) // 2]]
    return [ordered[round(i * (len(ordered) - 1) / (count - 1))] for i in range(count)]


def make_profiles(sizes: list[calibration.SchoolSize], seed: int) -> list[SchoolProfile]:
    rng = random.Random(f"{seed}:register")
    names = school_names([size.phase for size in sizes], rng)
    profiles = []
    for index, (size, name) in enumerate(zip(sizes, names, strict=True)):
        profiles.append(
            SchoolProfile(
                urn=fictional_urn(index),
                name=name,
                phase=size.phase,
                locality=LOCALITIES[rng.randrange(len(LOCALITIES))],
                size=size,
                url=f"https://{slug(name)}.sch.example/sen-information-report",
                sixth_form=size.phase == "secondary" and size.total_pupils >= 1000,
            )
        )
    if len(profiles) >= 10:  # the register changes as schools open and close
        profiles[-1].opened = OPENED
        profiles[-2].closed = CLOSED
    return profiles


@dataclass(frozen=True)
class _Job:
    """What every school's simulation needs; set once in each worker process."""

    out: Path
    terms: list[Term]
    seed: int
    plan: SamplePlan
    needs: dict[str, list[tuple[str, int]]]
    national: dict[str, float]
    as_of: datetime  # the moment duty_statuses.csv is judged as at
    judged: list[tuple[Term, date]]  # the collected terms, with their deadlines


@dataclass
class _SchoolOutput:
    """One school's ground truth rows and counts, written by the parent in order."""

    urn: str
    flags: list[list[str]] = field(default_factory=list)
    statuses: list[list[str]] = field(default_factory=list)
    rejected: list[list[str]] = field(default_factory=list)
    deliveries: list[list[str]] = field(default_factory=list)
    register_sizes: dict[Term, int] = field(default_factory=dict)
    flagged_terms: set[Term] = field(default_factory=set)
    files: int = 0
    edge_cases: int = 0


_JOB: _Job | None = None
PARALLEL_FROM = 1000  # schools; below this a second process costs more than it saves


def _init_worker(job: _Job) -> None:
    global _JOB
    _JOB = job


def generate(
    out: Path,
    schools: int | None = None,
    seed: int = 1,
    scale: str = "bcp",
    terms: int = 6,
    progress: Callable[[int], None] | None = None,
    as_of: datetime | None = None,
) -> GenerationSummary:
    """Write a sample data set to ``out`` (replacing what is there).

    ``duty_statuses.csv`` is judged as at ``as_of`` (default: the end of the last
    collected term, when every return the sample sends has arrived).
    """
    if out.exists():
        shutil.rmtree(out)
    (out / "ground_truth").mkdir(parents=True)
    term_list = list(SAMPLE_TERMS[:terms])
    profiles = make_profiles(choose_sizes(scale, schools), seed)
    eligible = [
        p.urn
        for p in profiles
        if p.size.total_pupils >= 200 and p.opened is None and p.closed is None
    ]
    urns = [p.urn for p in profiles]
    xlsx_share = XLSX_SHARE[scale]
    plan = make_plan(urns, eligible or urns[:1], term_list, seed, xlsx_share=xlsx_share)
    judged = judged_terms()
    if as_of is None:
        as_of = datetime.combine(max(term for term, _ in judged).ends_on, time(23, 59, 59), ENGLAND)
    job = _Job(
        out,
        term_list,
        seed,
        plan,
        calibration.need_mix(),
        calibration.national_support_rates(),
        as_of,
        judged,
    )
    summary = GenerationSummary(schools=len(profiles), judged_as_at=as_of)
    register_sizes: dict[str, dict[Term, int]] = {}
    flagged: dict[str, set[Term]] = {}

    with ExitStack() as stack:
        writers = {
            name: _csv_writer(stack, out / "ground_truth" / f"{name}.csv", columns)
            for name, columns in (
                ("duty_flags", FLAG_COLUMNS),
                ("duty_statuses", STATUS_COLUMNS),
                ("rejected_returns", REJECT_COLUMNS),
                ("deliveries", DELIVERY_COLUMNS),
            )
        }
        for result in _simulate_all(profiles, job, stack):
            writers["duty_flags"].writerows(result.flags)
            writers["duty_statuses"].writerows(result.statuses)
            summary.statuses += len(result.statuses)
            summary.edge_cases += result.edge_cases
            writers["rejected_returns"].writerows(result.rejected)
            writers["deliveries"].writerows(result.deliveries)
            register_sizes[result.urn] = result.register_sizes
            flagged[result.urn] = result.flagged_terms
            summary.files += result.files
            summary.returns += len(result.register_sizes)
            summary.rejected_returns += len(result.rejected)
            for _, _, _, check, status, origin in result.flags:
                if status in ("amber", "red") and origin != "edge_case":
                    summary.planted_flags += 1
                    summary.checks_covered.add(check)
            if progress:
                progress(1)

    summary.enquiries = write_enquiries(out, profiles, register_sizes, flagged, seed)
    _write_register(out / "register.csv", profiles)
    _write_readme(out, seed, scale, summary)
    return summary


def _simulate_all(
    profiles: list[SchoolProfile], job: _Job, stack: ExitStack
) -> Iterator[_SchoolOutput]:
    """Each school's output in register order; two processes for a national set."""
    workers = min(2, os.cpu_count() or 1)
    if len(profiles) < PARALLEL_FROM or workers < 2:
        _init_worker(job)
        return map(_simulate_school, profiles)
    context = multiprocessing.get_context("fork")
    pool = stack.enter_context(context.Pool(workers, _init_worker, (job,)))
    return pool.imap(_simulate_school, profiles, chunksize=32)


def _simulate_school(profile: SchoolProfile) -> _SchoolOutput:
    job = _JOB
    assert job is not None, "_init_worker sets the job first"
    output = _SchoolOutput(profile.urn)
    simulation = SchoolSimulation(
        profile, job.terms, job.seed, job.needs[profile.phase], job.national[profile.phase]
    )
    received: dict[Term, tuple[Submission, ...]] = {}
    school_terms = {
        term: SchoolTerm(profile.urn, profile.phase, term, term.census_date, deadline)
        for term, deadline in job.judged
        if profile.open_in(term)
    }
    runs = simulation.run(
        lambda term: job.plan.plants_at(profile.urn, term),
        lambda term: job.plan.edge_at(profile.urn, term),
    )
    for term_return in runs:
        term = term_return.term
        output.register_sizes[term] = len(term_return.pupils)
        delivery = job.plan.delivery(profile.urn, term)
        rng = random.Random(f"{job.seed}:{profile.urn}:{term.index}:delivery")
        files, received[term] = _deliver(job.out, profile, term_return, delivery, rng, output)
        output.files += files
        expected = list(_expected(term_return, delivery))
        if term_return.edge and term in school_terms:
            # an edge case's statuses are the oracle's to decide, never the planter's
            output.edge_cases += 1
            oracle = judge(replace(school_terms[term], submissions=received[term]), job.as_of)
            expected = [e for e in expected if e[0] not in EDGE_CHECKS] + [
                (check, oracle[check], "edge_case")
                for check in EDGE_CHECKS
                if oracle[check] != "green"
            ]
        for check, status, origin in expected:
            output.flags.append([profile.urn, term.academic_year, term.term, check, status, origin])
            if (
                status in ("amber", "red")
                and check not in UNRELATED_TO_ENQUIRIES
                and origin != "edge_case"
            ):
                output.flagged_terms.add(term)
    output.statuses = list(
        status_rows(
            (replace(st, submissions=received.get(term, ())) for term, st in school_terms.items()),
            job.as_of,
        )
    )
    return output


def _csv_writer(stack: ExitStack, path: Path, columns: list[str]) -> Any:
    handle = stack.enter_context(path.open("w", encoding="utf-8", newline=""))
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(columns)
    return writer


def _expected(term_return: TermReturn, delivery: Delivery) -> Iterator[tuple[str, str, str]]:
    """The statuses the ground truth promises for one school and term."""
    if delivery.kind in ("missing", "invalid"):
        yield "return_received", "red", "planted"
        for check in ALL_CHECKS[:-1]:
            yield check, "no_return", "follows_plant"
        return
    if delivery.kind in ("late", "invalid_corrected_late"):
        yield "return_received", "amber", "planted"
    yield from term_return.expected


def _at(census: date, days: int, rng: random.Random) -> datetime:
    moment = datetime.combine(census + timedelta(days=days), time(8, 0), tzinfo=UTC)
    return moment + timedelta(minutes=rng.randrange(0, 9 * 60))


def _deliver(
    out: Path,
    profile: SchoolProfile,
    term_return: TermReturn,
    delivery: Delivery,
    rng: random.Random,
    output: _SchoolOutput,
) -> tuple[int, tuple[Submission, ...]]:
    """Write the file(s) for one school's term as the plan says they arrive.

    Returns how many files, and every valid return among them as the oracle reads it.
    """
    term = term_return.term
    census = term.census_date
    deadline_days = (term.deadline - census).days
    style = Style(rng) if delivery.messy else Style()
    final = (term_return.school, term_return.pupils)
    sends: list[tuple[datetime, dict[str, bytes], str]] = []
    valid: list[Submission] = []
    kind = delivery.kind
    if kind == "missing":
        return 0, ()
    if kind.startswith("invalid"):
        early = (10, 20) if kind.endswith("late") else (4, 9)
        files = _invalid_files(profile.urn, *final, delivery, style)
        sends.append((_at(census, rng.randint(*early), rng), files, "rejected"))
        rule = INVALID_RULE[delivery.invalid_reason]
        output.rejected.append(
            [
                ";".join(sorted(files)),
                profile.urn,
                term.academic_year,
                term.term,
                rule,
                delivery.invalid_reason,
            ]
        )
        if kind == "invalid":
            return _send_all(out, profile.urn, term, sends, output), ()
    if kind == "resubmitted":
        draft = dict(final[0], number_on_roll=final[0]["number_on_roll"] + 3)
        draft_files = render_return(draft, final[1], delivery.file_format, style)
        moment = _at(census, rng.randint(2, 6), rng)
        sends.append((moment, draft_files, "superseded"))
        valid.append(Submission(moment, draft, final[1]))
    if kind in ("late", "invalid_corrected_late"):
        day = deadline_days + rng.randint(*LATE_DAYS)
    elif kind == "invalid_corrected":
        day = rng.randint(12, 20)
    else:
        day = rng.randint(8, deadline_days - 3)
    files = render_return(*final, delivery.file_format, style)
    moment = _at(census, day, rng)
    if term_return.edge:  # received late on the deadline day, or just after it
        moment = receipt(term_return.edge, term.deadline)
    sends.append((moment, files, "loaded"))
    valid.append(Submission(moment, *final))
    return _send_all(out, profile.urn, term, sends, output), tuple(valid)


def _invalid_files(
    urn: str,
    school: dict[str, Any],
    pupils: list[dict[str, Any]],
    delivery: Delivery,
    style: Style,
) -> dict[str, bytes]:
    """The same return with exactly one thing wrong, as schools get it wrong."""
    school, pupils = dict(school), [dict(p) for p in pupils]
    extra: dict[str, list[str]] = {}
    dropped: dict[str, list[str]] = {}
    reason = delivery.invalid_reason
    if len(pupils) < 2 and reason == "duplicate_pupil_ref":
        reason = delivery.invalid_reason = "urn_mismatch"
    if reason == "upn_in_cell":
        pupils[0]["pupil_ref"] = "X" + "".join(str((7 * i + int(urn)) % 10) for i in range(12))
    elif reason == "name_column":
        extra["pupils"] = ["first_name"]
        for index, pupil in enumerate(pupils):
            pupil["first_name"] = ("Sam", "Alex", "Jo", "Robin", "Charlie")[index % 5]
    elif reason == "missing_column":
        dropped["pupils"] = ["pupil_views_recorded"]
    elif reason == "urn_mismatch":
        school["urn"] = str(int(urn) + 50)
    elif reason == "duplicate_pupil_ref":
        pupils[1]["pupil_ref"] = pupils[0]["pupil_ref"]
    elif reason == "postcode_in_cell":
        pupils[0]["pupil_ref"] = "ZZ99ZZ"
    elif reason == "date_after_census":
        pupils[0]["identified_date"] = school["census_date"] + timedelta(days=10)
    named_as = (urn, school["academic_year"], school["term"])
    return render_return(school, pupils, delivery.file_format, style, extra, dropped, named_as)


def _send_all(
    out: Path,
    urn: str,
    term: Term,
    sends: list[tuple[datetime, dict[str, bytes], str]],
    output: _SchoolOutput,
) -> int:
    count = 0
    last = len(sends) - 1
    for position, (moment, files, outcome) in enumerate(sends):
        folder = out / "landing" / moment.date().isoformat()
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in sorted(files.items()):
            path = folder / name
            path.write_bytes(data)
            os.utime(path, (moment.timestamp(), moment.timestamp()))
            in_force = "Y" if position == last and outcome == "loaded" else "N"
            output.deliveries.append(
                [
                    path.relative_to(out).as_posix(),
                    name,
                    urn,
                    term.academic_year,
                    term.term,
                    received_stamp(moment),
                    "rejected" if outcome == "rejected" else "loaded",
                    in_force,
                ]
            )
            count += 1
    return count


def _write_register(path: Path, profiles: list[SchoolProfile]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["urn", "school_name", "phase", "locality", "opened", "closed"])
        for p in profiles:
            writer.writerow(
                [
                    p.urn,
                    p.name,
                    p.phase,
                    p.locality,
                    p.opened.isoformat() if p.opened else "",
                    p.closed.isoformat() if p.closed else "",
                ]
            )


def _write_readme(out: Path, seed: int, scale: str, summary: GenerationSummary) -> None:
    as_at = summary.judged_as_at.isoformat() if summary.judged_as_at else "now"
    measures = measuring_vars()
    grace, high_cost = measures["review_grace_days"], measures["high_cost_gbp"]
    low = measures["low_numbers_below"]
    (out / "README.txt").write_text(
        f"""sendwatch sample data (contract v{VERSION}), seed {seed}, scale {scale}

Fictional schools (URNs from {fictional_urn(0)}) calibrated on real DfE figures:
school sizes and SEN support rates from "Special educational needs in England",
January 2023; need mix from the same release; EHC request and refusal rates
from SEN2 2025. See seeds/_seeds.yml in the sendwatch repository.

{summary.schools} schools, {summary.returns} school-terms, {summary.files} return files,
{summary.planted_flags} planted amber/red (school, term, check) results over
{len(summary.checks_covered)} checks, {summary.edge_cases} school-terms with values planted
exactly at a band edge or one unit past it, {summary.rejected_returns} invalid returns,
{summary.enquiries} SENDIASS enquiries.

register.csv         the LA's register of schools
landing/<date>/      files as they arrived; a file's modification time is its receipt
ground_truth/        what a correct pipeline must conclude:
  duty_statuses.csv    the status (green, amber, red, not_applicable, low_numbers,
                       no_return) of every check of duties-v1 for every register school
                       and collected term: {summary.statuses} rows, judged as at
                       {as_at} (a night judging as at that moment
                       must agree; by default, when every file has arrived and
                       every deadline passed, so any later night too). An oracle
                       (sendwatch.generate.oracle) works each one out in plain
                       Python from the rows written and when they arrived, sharing
                       no code with the pipeline; to judge as at another moment,
                       call generate(..., as_of=...)
  duty_flags.csv       expected statuses (amber, red, not_applicable, no_return, and
                       low_numbers for edge cases) for
                       planted problems (origin planted, follows_plant) and the
                       signals real figures imply (calibration); rows with origin
                       edge_case are the school-terms where values sit exactly at a
                       band edge or one unit past it (reviews held {grace} and
                       {grace + 1} days after they were due, pupils identified and
                       EHC needs assessments requested exactly 12 months before the
                       census and a day later, parents told on the census date,
                       provision costing exactly £{high_cost:,} and a penny more,
                       rates exactly at the amber edge and one pupil short, {low} and
                       {low - 1} pupils with a specialist, a first return received
                       on the deadline day and the day after in England), listed
                       with the oracle's status wherever it is not green. Any
                       (school, term, check) not listed must be neither amber nor red
  rejected_returns.csv returns that must be rejected, with the rule they break
  deliveries.csv       every file, when it arrived, and whether it must load
""",
        encoding="utf-8",
    )
