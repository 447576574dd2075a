"""What a correct pipeline must conclude, worked out again in plain Python.

The oracle judges every check of duties-v1 for every register school and
collected term from the rows the generator wrote (the school row and pupil rows
of each valid return and when it was received), as at a given moment. It reads
only the band edges and measuring vars (``sendwatch.contract.duties``), the
terms' census dates and deadlines (``sendwatch.terms``) and the national SEN
support rates seed; it shares no code with the dbt models, the validator or the
generator's planting, so a mistake in any of them shows up as a disagreement.

It follows docs/duties-v1.md:

- a share of pupils (measure ``rate``) over no pupil is ``not_applicable``, over
  fewer than ``low_numbers_below`` pupils ``low_numbers``;
- "lower is worse": below the red edge is red, below the amber edge amber (a value
  exactly at an edge is on the better side); "higher is worse": at or above the red
  edge red, at or above the amber edge amber; "two sided": below the low edges or
  above the high edges, as the table's "amber above"/"red above" say;
- a term with no valid return received by the moment judged is ``no_return`` on
  every check but ``return_received``, which is ``not_applicable`` until the day
  after the deadline (in England) and red from then; a first valid return received
  (by its date in England) after the deadline is amber;
- the return in force is the newest valid one received by that moment.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from sendwatch.contract.duties import DutyCheck, duty_checks, measuring_vars
from sendwatch.settings import PROJECT_ROOT
from sendwatch.terms import Term, collected_terms

ENGLAND = ZoneInfo("Europe/London")
NATIONAL_RATES = PROJECT_ROOT / "seeds" / "national_sen_support_rates.csv"
STATUS_COLUMNS = ["urn", "academic_year", "term", "check_id", "expected_status"]


@dataclass(frozen=True)
class Submission:
    """One valid return as written: when it arrived and what its two sheets say."""

    received_at: datetime  # timezone-aware
    school: Mapping[str, Any]
    pupils: Sequence[Mapping[str, Any]]


@dataclass(frozen=True)
class SchoolTerm:
    """A register school open at a collected term's census, and its valid returns."""

    urn: str
    phase: str
    term: Term
    census_date: date
    deadline: date
    submissions: tuple[Submission, ...] = ()


def judged_terms() -> list[tuple[Term, date]]:
    """The terms the LA collects (its term-dates seed), each with its deadline."""
    return [
        (Term.parse(t.academic_year, t.term), t.deadline)
        for t in sorted(collected_terms(), key=lambda t: Term.parse(t.academic_year, t.term))
    ]


@cache
def national_rates() -> dict[str, Fraction]:
    """Phase -> national SEN support rate (the latest census year the seed gives)."""
    latest: dict[str, tuple[int, Fraction]] = {}
    with NATIONAL_RATES.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            year, rate = int(row["census_year"]), Fraction(row["sen_support_rate"])
            if row["phase"] not in latest or year > latest[row["phase"]][0]:
                latest[row["phase"]] = (year, rate)
    return {phase: rate for phase, (_, rate) in latest.items()}


def statuses(school_term: SchoolTerm, as_of: datetime) -> dict[str, str]:
    """check_id -> status of one school and term, judged as at ``as_of``."""
    checks = duty_checks()
    received = [s for s in school_term.submissions if s.received_at <= as_of]
    returned = checks["return_received"]  # banded on 0 on time, 1 late, 2 missing
    if not received:
        due = as_of.astimezone(ENGLAND).date() > school_term.deadline  # due the day after
        missing = _banded(returned, Fraction(2)) if due else "not_applicable"
        return {check: "no_return" for check in checks} | {"return_received": missing}
    in_force = max(received, key=lambda s: s.received_at)
    first_day = min(s.received_at for s in received).astimezone(ENGLAND).date()
    judged = _Return(in_force, school_term, checks)
    result = {check: judged.status(check) for check in checks if check != "return_received"}
    result["return_received"] = _banded(returned, Fraction(first_day > school_term.deadline))
    return {check: result[check] for check in checks}


def status_rows(school_terms: Iterable[SchoolTerm], as_of: datetime) -> Iterator[list[str]]:
    """Rows of duty_statuses.csv (STATUS_COLUMNS) for ``school_terms``."""
    for school_term in school_terms:
        term = school_term.term
        for check, status in statuses(school_term, as_of).items():
            yield [school_term.urn, term.academic_year, term.term, check, status]


# --- judging one return ---------------------------------------------------------------


def _fraction(value: Any) -> Fraction:
    if isinstance(value, float):
        return Fraction(Decimal(repr(value)))
    return Fraction(value)


def months_before(day: date, months: int) -> date:
    """The same day ``months`` calendar months earlier (the month's last day if shorter)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    next_month = date(year + month // 12, month % 12 + 1, 1)
    return date(year, month, min(day.day, (next_month - timedelta(days=1)).day))


def whole_months(start: date, end: date) -> int:
    """Whole calendar months from ``start`` to ``end``: 3 Jan to 2 Apr is 2."""
    months = (end.year - start.year) * 12 + end.month - start.month
    return months - 1 if end.day < start.day else months


def _banded(check: DutyCheck, value: Fraction) -> str:
    """Status of ``value`` against the check's edges (an absent edge never applies)."""

    def below(edge: Fraction | None) -> bool:
        return edge is not None and value < edge

    def at_or_above(edge: Fraction | None) -> bool:
        return edge is not None and value >= edge

    def above(edge: Fraction | None) -> bool:
        return edge is not None and value > edge

    if check.direction == "lower_is_worse":
        red, amber = below(check.red_at), below(check.amber_at)
    elif check.direction == "higher_is_worse":
        red, amber = at_or_above(check.red_at), at_or_above(check.amber_at)
    elif check.direction == "two_sided":
        red = below(check.red_at) or above(check.red_high_at)
        amber = below(check.amber_at) or above(check.amber_high_at)
    else:
        raise ValueError(f"{check.check_id}: unknown direction {check.direction!r}")
    return "red" if red else "amber" if amber else "green"


class _Return:
    """The return in force for one school and term, judged check by check."""

    def __init__(
        self, submission: Submission, school_term: SchoolTerm, checks: dict[str, DutyCheck]
    ) -> None:
        self.school = submission.school
        self.pupils = list(submission.pupils)
        self.census = school_term.census_date
        self.phase = school_term.phase
        self.checks = checks
        self.vars = measuring_vars()
        self.year_before = months_before(self.census, 12)

    def status(self, check_id: str) -> str:
        check = self.checks[check_id]
        if check.measure == "rate":
            numerator, denominator = getattr(self, f"_{check_id}")()
            if denominator == 0:
                return "not_applicable"
            if denominator < self.vars["low_numbers_below"]:
                return "low_numbers"
            return _banded(check, Fraction(numerator, denominator))
        outcome = getattr(self, f"_{check_id}")()
        if isinstance(outcome, str):
            return outcome
        return "not_applicable" if outcome is None else _banded(check, outcome)

    # pupils: (numerator, denominator) of each share of pupils

    def _parents_informed(self) -> tuple[int, int]:
        told = [p for p in self.pupils if _on_or_before(p["parents_informed_date"], self.census)]
        return len(told), len(self.pupils)

    def _support_planned(self) -> tuple[int, int]:
        support = [p for p in self.pupils if p["sen_status"] == "K"]
        planned = [
            p for p in support if p["outcomes_agreed"] == "Y" and p["next_review_due"] is not None
        ]
        return len(planned), len(support)

    def _reviews_on_time(self) -> tuple[int, int]:
        grace = timedelta(days=self.vars["review_grace_days"])
        due = [p for p in self.pupils if _on_or_before(p["last_review_due"], self.census)]
        on_time = [
            p for p in due if _on_or_before(p["last_review_held"], p["last_review_due"] + grace)
        ]
        return len(on_time), len(due)

    def _parent_meetings(self) -> tuple[int, int]:
        least = self.vars["parent_meetings_a_year"]
        a_year = [p for p in self.pupils if p["identified_date"] <= self.year_before]
        met = [p for p in a_year if p["parent_meetings_last_12m"] >= least]
        return len(met), len(a_year)

    def _pupil_views(self) -> tuple[int, int]:
        return sum(p["pupil_views_recorded"] == "Y" for p in self.pupils), len(self.pupils)

    def _specialists_agreed(self) -> tuple[int, int]:
        involved = [p for p in self.pupils if p["specialist_involved"]]
        agreed = [p for p in involved if p["specialist_agreed_with_parents"] == "Y"]
        return len(agreed), len(involved)

    # the school: a value to band, a status decided by the check's own rule, or None

    def _senco_designated(self) -> Fraction:
        return Fraction(1 if self.school["senco_designated"] == "Y" else 0)

    def _senco_qualified_teacher(self) -> Fraction | str:
        if self.school["senco_designated"] != "Y":
            return "not_applicable"
        return Fraction(1 if self.school["senco_qualified_teacher"] == "Y" else 0)

    def _senco_award(self) -> Fraction | str:
        school = self.school
        if school["senco_designated"] != "Y":
            return "not_applicable"
        if school["senco_award"] == "achieved":
            return "green"
        if school["senco_appointed_date"] is None:
            return "red"
        return Fraction(whole_months(school["senco_appointed_date"], self.census))

    def _sen_information_report(self) -> Fraction | str:
        updated = self.school["sen_information_report_updated"]
        if not self.school["sen_information_report_url"] or updated is None:
            return "red"
        return Fraction(whole_months(updated, self.census))

    def _accessibility_plan(self) -> Fraction | str:
        updated = self.school["accessibility_plan_updated"]
        return "red" if updated is None else Fraction(whole_months(updated, self.census))

    def _part_time_timetables(self) -> str:
        check = self.checks["part_time_timetables"]
        register = len(self.pupils)
        part_time = sum(p["part_time_timetable"] == "Y" for p in self.pupils)
        if register == 0:
            return "not_applicable"
        if Fraction(part_time, register) >= check.red_at:  # red from a share of the register
            return "red"
        return "amber" if part_time >= check.amber_at else "green"  # amber from one pupil

    def _identification_rate(self) -> Fraction | None:
        roll, national = self.school["number_on_roll"], national_rates().get(self.phase)
        if not roll or not national:
            return None
        support = sum(p["sen_status"] == "K" for p in self.pupils)
        return Fraction(support, roll) / national

    def _high_cost_no_ehc_request(self) -> Fraction:
        high_cost = Fraction(self.vars["high_cost_gbp"])
        return Fraction(
            sum(
                p["sen_status"] == "K"
                and _fraction(p["provision_cost_gbp"]) > high_cost
                and p["ehc_request_date"] is None
                for p in self.pupils
            )
        )

    def _notional_budget_use(self) -> Fraction | str:
        budget, census = self.school["notional_sen_budget_gbp"], self.census
        start = date(census.year if census.month >= 4 else census.year - 1, 4, 1)
        year_days = (date(start.year + 1, 4, 1) - start).days
        prorated = _fraction(budget or 0) * (census - start).days / year_days
        if prorated == 0:
            return "not_applicable"
        return _fraction(self.school["sen_spend_gbp"]) / prorated

    def _parent_led_ehc_requests(self) -> str:
        check = self.checks["parent_led_ehc_requests"]
        last_year = [
            p
            for p in self.pupils
            if p["ehc_request_date"] is not None
            and self.year_before < p["ehc_request_date"] <= self.census
        ]
        if not last_year:
            return "not_applicable"
        parents = sum(p["ehc_requested_by"] == "parent" for p in last_year)
        enough = parents >= self.vars["parent_requests_at_least"]
        most = Fraction(parents, len(last_year)) >= check.amber_at
        return "amber" if enough and most else "green"


def _on_or_before(day: date | None, limit: date) -> bool:
    return day is not None and day <= limit
