"""One school's SEN register, term by term, as its returns would describe it.

Pupils persist across terms under the same ``pupil_ref``; they join and leave
the register, move up a year each autumn, are reviewed three times a year,
meet their parents, and sometimes have an EHC needs assessment requested. The
school is compliant by construction (comfortably green on every check) except
where the plan plants a problem or an edge case (``generate.edges``); the planted
statuses and the two signals that follow from real figures are reported as
ground truth (an edge case's statuses are the oracle's to decide).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from fractions import Fraction
from math import floor
from typing import Any

from sendwatch.contract.duties import duty_checks, measuring_vars
from sendwatch.contract.v1 import SPECIALISTS
from sendwatch.generate.calibration import (
    EHC_REQUESTS_PER_K_PUPIL_PER_YEAR,
    EHC_REQUESTS_REFUSED_SHARE,
    SchoolSize,
)
from sendwatch.generate.edges import plant_edges
from sendwatch.generate.plan import Plant, bad_pupils_for
from sendwatch.terms import Term

YEAR_GROUPS = {"primary": (0, 6), "secondary": (7, 11), "all_through": (0, 11)}
REVIEW_CYCLE = ((11, 15), (3, 1), (6, 20))  # (month, day): reviews due three times a year
HIGH_COST: int = measuring_vars()["high_cost_gbp"]
PARENT_REQUESTS_AT_LEAST: int = measuring_vars()["parent_requests_at_least"]
_IDENTIFICATION = duty_checks()["identification_rate"]
IDENTIFICATION_BANDS = (  # ratio to the national rate: (amber, red) below, then above
    (_IDENTIFICATION.amber_at, _IDENTIFICATION.red_at),
    (_IDENTIFICATION.amber_high_at, _IDENTIFICATION.red_high_at),
)
PARENT_LED_SHARE = duty_checks()["parent_led_ehc_requests"].amber_at


@dataclass
class Pupil:
    ref: str
    year: int  # 0 is Reception
    status: str
    need: str
    identified: date
    informed_delay: int
    review_offset: int
    specialists: tuple[str, ...]
    cost: int
    request_date: date | None = None
    requested_by: str | None = None
    outcome: str | None = None
    decided_after: int | None = None  # term index from which the outcome is known
    becomes_e_at: int | None = None


@dataclass
class SchoolProfile:
    urn: str
    name: str
    phase: str
    locality: str
    size: SchoolSize
    url: str
    opened: date | None = None
    closed: date | None = None
    sixth_form: bool = False

    def open_in(self, term: Term) -> bool:
        census = term.census_date
        return (self.opened is None or self.opened <= census) and (
            self.closed is None or self.closed >= census
        )


@dataclass
class TermReturn:
    """What a school's return for a term says, normalised, plus what it should show."""

    term: Term
    school: dict[str, Any]
    pupils: list[dict[str, Any]]
    expected: list[tuple[str, str, str]] = field(default_factory=list)  # check, status, origin
    edge: str | None = None  # the kind of edge case planted (generate.edges), if any


def months_between(earlier: date, later: date) -> int:
    months = (later.year - earlier.year) * 12 + later.month - earlier.month
    return months - (1 if later.day < earlier.day else 0)


def add_months(day: date, months: int) -> date:
    month_index = day.year * 12 + day.month - 1 + months
    year, month = divmod(month_index, 12)
    return date(year, month + 1, min(day.day, 28))


def one_year_before(day: date) -> date:
    return (
        day.replace(year=day.year - 1)
        if (day.month, day.day) != (2, 29)
        else day - timedelta(days=366)
    )


class SchoolSimulation:
    """Simulates one school through the sample terms; deterministic for its seed."""

    def __init__(
        self,
        profile: SchoolProfile,
        terms: list[Term],
        seed: int,
        need_mix: list[tuple[str, int]],
        national_rate: float,
    ) -> None:
        self.profile = profile
        self.terms = terms
        self.seed = seed
        self.rng = random.Random(f"{seed}:{profile.urn}")
        self.needs, self.need_weights = zip(*need_mix, strict=True)
        self.national_rate = national_rate
        self.pupils: list[Pupil] = []
        self.serial = 0
        self.census_anniversaries = {one_year_before(t.census_date) for t in terms}
        self._school_setup()

    # --- the school as a whole --------------------------------------------------

    def _school_setup(self) -> None:
        rng = self.rng
        first = self.terms[0].census_date
        self.senco_appointed = first - timedelta(days=rng.randrange(60, 365 * 12))
        self.new_senco_at = rng.randrange(len(self.terms)) if rng.random() < 0.05 else None
        self.report_update_day = rng.randrange(1, 26)  # reviewed each September
        self.plan_updated = first - timedelta(days=rng.randrange(90, 900))
        self.budget_per_pupil = rng.randrange(450, 750)
        self.spend_ratio = rng.uniform(0.88, 1.12)
        self.lowest_year, self.highest_year = YEAR_GROUPS[self.profile.phase]
        if self.profile.sixth_form:
            self.highest_year = 13
        self.parent_requests = 0  # background: at most one, so the signal stays quiet
        self.planted_parent_led: set[Term] = set()

    def _roll(self, term: Term) -> int:
        jitter = 1 + self.rng.uniform(-0.02, 0.02)
        return max(5, round(self.profile.size.total_pupils * jitter))

    def _school_row(self, term: Term, roll: int) -> dict[str, Any]:
        census = term.census_date
        rng = self.rng
        if self.new_senco_at is not None and self.terms[self.new_senco_at] == term:
            self.senco_appointed = census - timedelta(days=rng.randrange(30, 80))
        months_in_post = months_between(self.senco_appointed, census)
        award = (
            "achieved"
            if months_in_post >= 18
            else ("in_progress" if months_in_post >= 4 else "not_started")
        )
        if months_between(self.plan_updated, census) >= 33:
            self.plan_updated = census - timedelta(days=rng.randrange(20, 50))
        september = date(census.year if census.month >= 9 else census.year - 1, 9, 1)
        budget = roll * self.budget_per_pupil // 100 * 100
        return {
            "urn": self.profile.urn,
            "academic_year": term.academic_year,
            "term": term.term,
            "census_date": census,
            "number_on_roll": roll,
            "senco_designated": "Y",
            "senco_appointed_date": self.senco_appointed,
            "senco_qualified_teacher": "Y",
            "senco_award": award,
            "sen_information_report_url": self.profile.url,
            "sen_information_report_updated": september.replace(day=self.report_update_day),
            "accessibility_plan_updated": self.plan_updated,
            "notional_sen_budget_gbp": budget,
            "sen_spend_gbp": round(budget * financial_year_elapsed(census) * self.spend_ratio),
            "parent_concerns_logged": rng.randrange(0, max(2, roll // 150)),
        }

    # --- pupils -----------------------------------------------------------------

    def _new_ref(self) -> str:
        self.serial += 1
        token = self.rng.getrandbits(32)
        return f"SW{self.profile.urn[-4:]}-{self.serial:05d}-{token:08x}"

    def _safe_date(self, low: date, high: date) -> date:
        """A date in [low, high] away from any census anniversary (the 12-month edge)."""
        span = max(0, (high - low).days)
        for _ in range(50):
            candidate = low + timedelta(days=self.rng.randrange(span + 1))
            if all(abs((candidate - a).days) > 4 for a in self.census_anniversaries):
                return candidate
        return candidate

    def _new_pupil(self, status: str, identified_between: tuple[date, date]) -> Pupil:
        rng = self.rng
        specialists: tuple[str, ...] = ()
        if rng.random() < (0.7 if status == "E" else 0.3):
            specialists = tuple(sorted(rng.sample(SPECIALISTS[:7], rng.choice((1, 1, 2)))))
        cost = rng.randrange(8000, 22000) if status == "E" else rng.randrange(300, 5600)
        return Pupil(
            ref=self._new_ref(),
            year=rng.randint(self.lowest_year, self.highest_year),
            status=status,
            need=rng.choices(self.needs, self.need_weights)[0],
            identified=self._safe_date(*identified_between),
            informed_delay=rng.randrange(0, 15),
            review_offset=rng.randrange(0, 21),
            specialists=specialists,
            cost=cost // 50 * 50,
        )

    def _target_counts(self, roll: int) -> tuple[int, int]:
        size = self.profile.size
        k_count, e_count = round(roll * size.support_rate), round(roll * size.ehc_rate)
        # A return lists at least one pupil: an empty register is sent back as an error.
        return max(k_count, 1 if e_count == 0 else 0), e_count

    def _start_register(self, term: Term, roll: int) -> None:
        k_target, e_target = self._target_counts(roll)
        window = (date(2017, 9, 15), term.census_date - timedelta(days=10))
        self.pupils = [self._new_pupil("K", window) for _ in range(k_target)]
        self.pupils += [self._new_pupil("E", window) for _ in range(e_target)]

    def _move_on(self, previous: Term, term: Term, roll: int) -> None:
        """Between two censuses: leavers, the new school year, EHC plans, new pupils."""
        rng = self.rng
        if term.term == "autumn":
            for pupil in self.pupils:
                pupil.year += 1
            self.pupils = [p for p in self.pupils if p.year <= self.highest_year]
        self.pupils = [p for p in self.pupils if rng.random() > 0.03]
        for pupil in self.pupils:
            if pupil.becomes_e_at is not None and pupil.becomes_e_at <= term.index:
                pupil.status, pupil.becomes_e_at = "E", None
                pupil.cost = rng.randrange(8000, 22000) // 50 * 50
        k_target, e_target = self._target_counts(roll)
        window = (previous.census_date + timedelta(days=14), term.census_date - timedelta(days=7))
        k_now = sum(p.status == "K" for p in self.pupils)
        e_now = sum(p.status == "E" for p in self.pupils)
        for status, missing in (("K", k_target - k_now), ("E", e_target - e_now)):
            for _ in range(max(0, missing + rng.randint(-1, 1))):
                pupil = self._new_pupil(status, window)
                if term.term == "autumn" and rng.random() < 0.5:
                    pupil.year = self.lowest_year
                self.pupils.append(pupil)
        if e_now > e_target + 1:  # plans ceasing keep the EHC rate near the real one
            ceasing = [p for p in self.pupils if p.status == "E"][: e_now - e_target]
            for pupil in ceasing:
                pupil.status, pupil.cost = "K", rng.randrange(300, 5600) // 50 * 50
        self._background_requests(previous, term)

    def _background_requests(self, previous: Term, term: Term) -> None:
        rng = self.rng
        per_term = EHC_REQUESTS_PER_K_PUPIL_PER_YEAR / 3
        window = (previous.census_date + timedelta(days=14), term.census_date - timedelta(days=7))
        for pupil in self.pupils:
            if pupil.status != "K" or pupil.request_date or rng.random() >= per_term:
                continue
            pupil.request_date = self._safe_date(*window)
            by = rng.choices(("school", "parent", "other"), (0.85, 0.1, 0.05))[0]
            if by == "parent":
                if self.parent_requests >= 1:
                    by = "school"
                else:
                    self.parent_requests += 1
            pupil.requested_by = by
            refused = rng.random() < EHC_REQUESTS_REFUSED_SHARE
            pupil.outcome = "refused" if refused else "agreed"
            pupil.decided_after = term.index + 1
            if not refused:
                pupil.becomes_e_at = term.index + 2

    # --- one term's return ------------------------------------------------------

    def run(self, plants_for: Any, edge_for: Any = None) -> list[TermReturn]:
        """Every term the school is open, in order. ``plants_for(term)`` gives its plants,
        ``edge_for(term)`` the kind of edge case to plant, if any."""
        returns: list[TermReturn] = []
        previous: Term | None = None
        for term in self.terms:
            if not self.profile.open_in(term):
                continue
            roll = self._roll(term)
            if previous is None:
                self._start_register(term, roll)
            else:
                self._move_on(previous, term, roll)
            previous = term
            edge = edge_for(term) if edge_for else None
            returns.append(self._term_return(term, roll, plants_for(term), edge))
        return returns

    def _term_return(
        self, term: Term, roll: int, plants: list[Plant], edge: str | None = None
    ) -> TermReturn:
        census = term.census_date
        school = self._school_row(term, roll)
        rows = {p.ref: self._pupil_row(p, term) for p in self.pupils}
        planted = {plant.check_id: plant.status for plant in plants}
        result = TermReturn(term, school, [])
        for check in ("parents_informed", "support_planned", "reviews_on_time"):
            self._apply_rate(check, rows, census, planted.get(check), result)
        for check in ("parent_meetings", "pupil_views", "specialists_agreed"):
            self._apply_rate(check, rows, census, planted.get(check), result)
        for check, status in planted.items():
            apply = SCHOOL_PLANTS.get(check)
            if apply:
                apply(self, school, rows, status, result)
        if edge:  # its own random stream, so the rest of the school's story is unchanged
            rng = random.Random(f"{self.seed}:{self.profile.urn}:{term.index}:edges")
            plant_edges(edge, rows, census, rng)
            result.edge = edge
        result.pupils = list(rows.values())
        self._identification_signal(result)
        self._parent_led_signal(result)
        return result

    def _pupil_row(self, pupil: Pupil, term: Term) -> dict[str, Any]:
        rng = self.rng
        census = term.census_date
        a_year_ago = one_year_before(census)
        reviewable = [
            d
            for d in self._review_dates(pupil, census)
            if d >= pupil.identified + timedelta(days=42)
        ]
        due_dates = [d for d in reviewable if d <= census]
        last_due = due_dates[-1] if due_dates else None
        next_due = next(d for d in reviewable if d > census)
        twelve_months = pupil.identified <= a_year_ago
        informed = min(census, pupil.identified + timedelta(days=pupil.informed_delay))
        request_known = pupil.request_date is not None and pupil.request_date <= census
        outcome = None
        if request_known:
            decided = pupil.decided_after is not None and pupil.decided_after <= term.index
            outcome = pupil.outcome if decided else "pending"
        held = last_due + timedelta(days=rng.randrange(0, 15)) if last_due else None
        return {
            "pupil_ref": pupil.ref,
            "year_group": "R" if pupil.year == 0 else str(pupil.year),
            "sen_status": pupil.status,
            "primary_need": pupil.need,
            "identified_date": pupil.identified,
            "parents_informed_date": informed,
            "outcomes_agreed": "Y",
            "pupil_views_recorded": "Y",
            "last_review_due": last_due,
            "last_review_held": held,
            "next_review_due": next_due,
            "reviews_last_12m": sum(d > a_year_ago for d in due_dates),
            "parent_meetings_last_12m": rng.randint(3, 6) if twelve_months else rng.randint(1, 3),
            "specialist_involved": ";".join(pupil.specialists) or None,
            "specialist_agreed_with_parents": "Y" if pupil.specialists else None,
            "provision_cost_gbp": pupil.cost,
            "part_time_timetable": "N",
            "ehc_request_date": pupil.request_date if request_known else None,
            "ehc_requested_by": pupil.requested_by if request_known else None,
            "ehc_request_outcome": outcome,
        }

    @staticmethod
    def _review_dates(pupil: Pupil, census: date) -> list[date]:
        """Review due dates in the cycle from a year before the census to a year after."""
        first_year = max(pupil.identified.year, census.year - 1)
        return sorted(
            date(year, month, day) + timedelta(days=pupil.review_offset)
            for year in range(first_year, census.year + 2)
            for month, day in REVIEW_CYCLE
        )

    # --- shares of pupils ---------------------------------------------------------

    def _apply_rate(
        self,
        check: str,
        rows: dict[str, dict[str, Any]],
        census: date,
        planted: str | None,
        result: TermReturn,
    ) -> None:
        if check == "specialists_agreed" and planted == "amber":
            self._ensure_specialists(rows, 10)
        pool = [row for row in rows.values() if RATE_DENOMINATORS[check](row, census)]
        solved = bad_pupils_for(check, len(pool), planted or "green")
        if solved is None:
            return
        count, status = solved
        for row in self.rng.sample(pool, count):
            RATE_SHORTFALLS[check](row, census, self.rng)
        if planted:
            result.expected.append((check, status, "planted"))

    def _ensure_specialists(self, rows: dict[str, dict[str, Any]], wanted: int) -> None:
        without = [row for row in rows.values() if not row["specialist_involved"]]
        have = len(rows) - len(without)
        for row in without[: max(0, wanted - have)]:
            row["specialist_involved"], row["specialist_agreed_with_parents"] = "EP", "Y"

    # --- the two signals that follow from real figures ----------------------------

    def _identification_signal(self, result: TermReturn) -> None:
        """Real schools' SEN support rates sometimes sit far from the national one."""
        # A school's SEN register cannot be larger than its roll (the validator rejects
        # it); the calibration profiles of special schools come close.
        roll = max(result.school["number_on_roll"], len(result.pupils))
        k_count = sum(row["sen_status"] == "K" for row in result.pupils)
        for _ in range(20):  # keep clear of band edges, where rounding could decide
            ratio = Fraction(k_count, roll) / Fraction(self.national_rate).limit_denominator(10**6)
            edges = [edge for pair in IDENTIFICATION_BANDS for edge in pair]
            if all(abs(ratio - edge) > edge * Fraction(2, 100) for edge in edges):
                break
            roll += max(1, roll // 30)
        result.school["number_on_roll"] = roll
        (amber_low, red_low), (amber_high, red_high) = IDENTIFICATION_BANDS
        if ratio < red_low or ratio > red_high:
            result.expected.append(("identification_rate", "red", "calibration"))
        elif ratio < amber_low or ratio > amber_high:
            result.expected.append(("identification_rate", "amber", "calibration"))

    def _parent_led_signal(self, result: TermReturn) -> None:
        census = result.term.census_date
        since = one_year_before(census)
        requests = [
            row["ehc_requested_by"]
            for row in result.pupils
            if row["ehc_request_date"] and since < row["ehc_request_date"] <= census
        ]
        parents = requests.count("parent")
        # judged on its counts (duties-v1): low numbers do not apply
        if (
            requests
            and parents >= PARENT_REQUESTS_AT_LEAST
            and (Fraction(parents, len(requests)) >= PARENT_LED_SHARE)
        ):
            planted = result.term in self.planted_parent_led
            origin = "planted" if planted else "follows_plant"
            result.expected.append(("parent_led_ehc_requests", "amber", origin))


def financial_year_elapsed(census: date) -> float:
    """Share of the financial year (1 April to 31 March) gone by the census date."""
    start = date(census.year if census.month >= 4 else census.year - 1, 4, 1)
    end = date(start.year + 1, 4, 1)
    return (census - start).days / (end - start).days


# Which pupils each share is taken over, and how a pupil falls short.
RATE_DENOMINATORS = {
    "parents_informed": lambda row, census: True,
    "support_planned": lambda row, census: row["sen_status"] == "K",
    "reviews_on_time": lambda row, census: row["last_review_due"] is not None,
    "parent_meetings": lambda row, census: row["identified_date"] <= one_year_before(census),
    "pupil_views": lambda row, census: True,
    "specialists_agreed": lambda row, census: bool(row["specialist_involved"]),
}


def _late_review(row: dict[str, Any], census: date, rng: random.Random) -> None:
    late = row["last_review_due"] + timedelta(days=rng.randrange(35, 70))
    row["last_review_held"] = late if late <= census else None


RATE_SHORTFALLS = {
    "parents_informed": lambda row, census, rng: row.update(parents_informed_date=None),
    "support_planned": lambda row, census, rng: row.update(outcomes_agreed="N"),
    "reviews_on_time": _late_review,
    "parent_meetings": lambda row, census, rng: row.update(
        parent_meetings_last_12m=rng.randint(0, 2)
    ),
    "pupil_views": lambda row, census, rng: row.update(pupil_views_recorded="N"),
    "specialists_agreed": lambda row, census, rng: row.update(specialist_agreed_with_parents="N"),
}


# --- planted problems in the school row and the register -------------------------


def _plant_senco_designated(sim, school, rows, status, result) -> None:
    school.update(
        senco_designated="N",
        senco_appointed_date=None,
        senco_qualified_teacher="N",
        senco_award="not_started",
    )
    result.expected += [
        ("senco_designated", "red", "planted"),
        ("senco_qualified_teacher", "not_applicable", "follows_plant"),
        ("senco_award", "not_applicable", "follows_plant"),
    ]


def _plant_senco_qualified(sim, school, rows, status, result) -> None:
    school["senco_qualified_teacher"] = "N"
    result.expected.append(("senco_qualified_teacher", "red", "planted"))


def _plant_senco_award(sim, school, rows, status, result) -> None:
    months = 33 if status == "amber" else 40
    school["senco_appointed_date"] = add_months(school["census_date"], -months)
    school["senco_award"] = "in_progress" if status == "amber" else "not_started"
    result.expected.append(("senco_award", status, "planted"))


def _plant_report(sim, school, rows, status, result) -> None:
    census = school["census_date"]
    if status == "amber":
        school["sen_information_report_updated"] = add_months(census, -15)
    elif sim.rng.random() < 0.5:
        school["sen_information_report_url"] = None
        school["sen_information_report_updated"] = None
    else:
        school["sen_information_report_updated"] = add_months(census, -22)
    result.expected.append(("sen_information_report", status, "planted"))


def _plant_accessibility(sim, school, rows, status, result) -> None:
    census = school["census_date"]
    if status == "amber":
        school["accessibility_plan_updated"] = add_months(census, -39)
    else:
        school["accessibility_plan_updated"] = (
            None if sim.rng.random() < 0.5 else add_months(census, -46)
        )
    result.expected.append(("accessibility_plan", status, "planted"))


def _plant_budget(sim, school, rows, status, result) -> None:
    ratio = sim.rng.choice((0.5, 1.4) if status == "amber" else (0.3, 1.8))
    elapsed = financial_year_elapsed(school["census_date"])
    school["sen_spend_gbp"] = round(school["notional_sen_budget_gbp"] * elapsed * ratio)
    result.expected.append(("notional_budget_use", status, "planted"))


def _plant_part_time(sim, school, rows, status, result) -> None:
    pupils = list(rows.values())
    register = len(pupils)
    count = 1 if status == "amber" and register >= 40 else floor(register * 0.03) + 1
    for row in sim.rng.sample(pupils, min(count, register)):
        row["part_time_timetable"] = "Y"
    reached = "red" if Fraction(count, register) >= Fraction(3, 100) else "amber"
    result.expected.append(("part_time_timetables", reached, "planted"))


def _plant_high_cost(sim, school, rows, status, result) -> None:
    candidates = [r for r in rows.values() if r["sen_status"] == "K" and not r["ehc_request_date"]]
    count = min(len(candidates), sim.rng.choice((1, 2) if status == "amber" else (3, 4)))
    for row in sim.rng.sample(candidates, count):
        row["provision_cost_gbp"] = sim.rng.randrange(6500, 9500) // 50 * 50
    if count:
        reached = "red" if count >= 3 else "amber"
        result.expected.append(("high_cost_no_ehc_request", reached, "planted"))


def _plant_parent_led(sim, school, rows, status, result) -> None:
    """Parents make most of the last year's requests; the signal itself is judged later."""
    census = school["census_date"]
    since = one_year_before(census)
    earlier = [r for r in rows.values() if r["ehc_request_date"] and since < r["ehc_request_date"]]
    parents_before = sum(r["ehc_requested_by"] == "parent" for r in earlier)
    by_parents = max(4, len(earlier) + 3 - 2 * parents_before)
    candidates = [r for r in rows.values() if r["sen_status"] == "K" and not r["ehc_request_date"]]
    chosen = sim.rng.sample(candidates, min(by_parents + 2, len(candidates)))
    by_ref = {p.ref: p for p in sim.pupils}
    for index, row in enumerate(chosen):
        requested = sim._safe_date(census - timedelta(days=200), census - timedelta(days=20))
        by = "parent" if index < by_parents else "school"
        row.update(ehc_request_date=requested, ehc_requested_by=by, ehc_request_outcome="pending")
        pupil = by_ref[row["pupil_ref"]]
        pupil.request_date, pupil.requested_by, pupil.outcome = requested, by, "refused"
        pupil.decided_after = result.term.index + 1
    sim.planted_parent_led.add(result.term)


SCHOOL_PLANTS = {
    "senco_designated": _plant_senco_designated,
    "senco_qualified_teacher": _plant_senco_qualified,
    "senco_award": _plant_senco_award,
    "sen_information_report": _plant_report,
    "accessibility_plan": _plant_accessibility,
    "notional_budget_use": _plant_budget,
    "part_time_timetables": _plant_part_time,
    "high_cost_no_ehc_request": _plant_high_cost,
    "parent_led_ehc_requests": _plant_parent_led,
}
