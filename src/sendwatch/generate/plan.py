"""Which schools get which planted problems, and how their returns arrive.

The plan is made before any pupil is simulated, from the seed alone, so the
same seed always plants the same problems. Statuses are planted against the
default thresholds of duties-v1; the ground truth records what was planted. A
few quiet school-terms get values exactly at a band edge instead (``edges``).

A tenth of the eligible schools then get a trajectory over quiet terms, one share of
pupils moving through its bands from term to term, so the sample holds problems that
can be seen coming and ones that pass: a worsening one (amber for a term or two, then
red, sometimes red again) or a recovery (red, then amber, then a quiet green term).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from fractions import Fraction
from itertools import cycle
from math import floor

from sendwatch.contract.duties import duty_checks, measuring_vars
from sendwatch.generate.edges import EDGE_KINDS
from sendwatch.terms import Term

# (check, status, terms it lasts). Cycled through in this order, so even a small
# sample covers every kind of problem.
PLANT_CATALOGUE: tuple[tuple[str, str, int], ...] = (
    ("reviews_on_time", "red", 2),
    ("parents_informed", "red", 1),
    ("senco_award", "red", 3),
    ("parent_meetings", "amber", 2),
    ("sen_information_report", "red", 2),
    ("support_planned", "red", 1),
    ("part_time_timetables", "red", 1),
    ("specialists_agreed", "amber", 1),
    ("accessibility_plan", "amber", 2),
    ("high_cost_no_ehc_request", "red", 1),
    ("notional_budget_use", "red", 1),
    ("pupil_views", "red", 2),
    ("senco_qualified_teacher", "red", 2),
    ("parent_led_ehc_requests", "amber", 1),
    ("senco_designated", "red", 1),
    ("parents_informed", "amber", 1),
    ("reviews_on_time", "amber", 1),
    ("sen_information_report", "amber", 1),
    ("part_time_timetables", "amber", 1),
    ("specialists_agreed", "red", 1),
    ("high_cost_no_ehc_request", "amber", 1),
    ("accessibility_plan", "red", 1),
    ("notional_budget_use", "amber", 1),
    ("support_planned", "amber", 2),
    ("senco_award", "amber", 1),
    ("pupil_views", "amber", 1),
    ("parent_meetings", "red", 1),
)

# Bands of the share-of-pupils checks: (amber below, red below), from the catalogue.
RATE_BANDS: dict[str, tuple[Fraction, Fraction]] = {
    check.check_id: (check.amber_at, check.red_at)
    for check in duty_checks().values()
    if check.measure == "rate" and check.amber_at is not None and check.red_at is not None
}
SENCO_CHECKS = ("senco_designated", "senco_qualified_teacher", "senco_award")
EDGE_COPIES = 2  # school-terms of each kind of edge case (generate.edges) in a sample
LOW_NUMBERS_BELOW: int = measuring_vars()["low_numbers_below"]
TRAJECTORY_SHARE = Fraction(1, 10)  # of the eligible schools
# Each kind's possible runs of statuses, one per consecutive term. A recovery's last
# term is planted with nothing: it is kept quiet so that it shows green.
TRAJECTORY_SHAPES: dict[str, tuple[tuple[str, ...], ...]] = {
    "worsening": (
        ("amber", "red"),
        ("amber", "amber", "red"),
        ("amber", "red", "red"),
        ("amber", "amber", "red", "red"),
    ),
    "recovery": (("red", "amber", "green"),),
}
TRAJECTORY_KINDS = ("worsening", "recovery", "worsening")  # cycled: two worsening to one


def bad_pupils_for(check: str, denominator: int, status: str) -> tuple[int, str] | None:
    """How many of ``denominator`` pupils must fall short to give ``status``.

    Returns (count, status actually reached), escalating amber to red where no
    count can give amber, or None when the denominator is too small to judge.
    Green keeps well inside the band, so background noise never flags.
    """
    if denominator < LOW_NUMBERS_BELOW:
        return None
    amber_below, red_below = RATE_BANDS[check]
    n = denominator
    if status == "green":
        return floor(n * (1 - amber_below) * Fraction(2, 5)), "green"
    red_count = min(n, floor(n * (1 - red_below)) + 1 + n // 10)
    if status == "amber":
        least = floor(n * (1 - amber_below)) + 1
        most = floor(n * (1 - red_below))
        if least <= most:
            return least, "amber"
    return red_count, "red"


@dataclass(frozen=True)
class Plant:
    urn: str
    term: Term
    check_id: str
    status: str


@dataclass(frozen=True)
class Trajectory:
    """One share of pupils at one school moving through its bands, term after term."""

    urn: str
    kind: str  # a key of TRAJECTORY_SHAPES
    check_id: str
    terms: tuple[Term, ...]  # consecutive
    statuses: tuple[str, ...]  # one a term; "green" where nothing is planted


@dataclass
class Delivery:
    """How one school's return for one term arrives (default: on time, tidy)."""

    # on_time, late, missing, invalid, invalid_corrected, invalid_corrected_late, resubmitted
    kind: str = "on_time"
    invalid_reason: str = ""
    messy: bool = False
    file_format: str = "xlsx"


@dataclass
class SamplePlan:
    plants: dict[tuple[str, Term], list[Plant]] = field(default_factory=dict)
    deliveries: dict[tuple[str, Term], Delivery] = field(default_factory=dict)
    edges: dict[tuple[str, Term], str] = field(default_factory=dict)  # kind of edge case
    trajectories: list[Trajectory] = field(default_factory=list)

    def plants_at(self, urn: str, term: Term) -> list[Plant]:
        return self.plants.get((urn, term), [])

    def edge_at(self, urn: str, term: Term) -> str | None:
        return self.edges.get((urn, term))

    def delivery(self, urn: str, term: Term) -> Delivery:
        return self.deliveries.get((urn, term), Delivery())


INVALID_REASONS = (
    ("upn_in_cell", "personal_data_value"),
    ("name_column", "personal_data_column"),
    ("missing_column", "missing_column"),
    ("urn_mismatch", "identity_mismatch"),
    ("duplicate_pupil_ref", "duplicate_pupil_ref"),
    ("postcode_in_cell", "personal_data_value"),
    ("date_after_census", "date_after_census"),
)
INVALID_RULE = dict(INVALID_REASONS)


def make_plan(
    urns: list[str],
    eligible: list[str],
    terms: list[Term],
    seed: int,
    messy_share: float = 0.3,
    xlsx_share: float = 0.6,
) -> SamplePlan:
    """Plant problems at a known set of schools and terms.

    ``eligible`` are schools big enough to judge rates and open in every term.
    """
    rng = random.Random(f"{seed}:plan")
    plan = SamplePlan()
    pool = list(eligible)
    rng.shuffle(pool)
    busy: set[tuple[str, Term]] = set()

    events = _delivery_events(len(urns))
    for index, (kind, reason) in enumerate(events):
        urn = pool[index % len(pool)]
        term = terms[rng.randrange(len(terms))]
        plan.deliveries[(urn, term)] = Delivery(kind=kind, invalid_reason=reason)
        busy.add((urn, term))

    count = max(len(PLANT_CATALOGUE), round(len(urns) * 0.3))
    catalogue = cycle(PLANT_CATALOGUE)
    offset = len(events)
    for index in range(count):
        check, status, duration = next(catalogue)
        duration = min(duration, len(terms))
        urn = pool[(offset + index) % len(pool)]
        first = rng.randrange(len(terms) - duration + 1)
        span = terms[first : first + duration]
        if any((urn, t) in busy for t in span) or any(
            check in SENCO_CHECKS and p.check_id in SENCO_CHECKS
            for t in span
            for p in plan.plants_at(urn, t)
        ):
            continue
        for term in span:
            plan.plants.setdefault((urn, term), []).append(Plant(urn, term, check, status))

    for urn in urns:
        for term in terms:
            delivery = plan.deliveries.setdefault((urn, term), Delivery())
            delivery.messy = rng.random() < messy_share
            delivery.file_format = "xlsx" if rng.random() < xlsx_share else "csv"
    _choose_edges(plan, eligible, terms, seed)
    _choose_trajectories(plan, eligible, terms, seed)
    return plan


def _choose_edges(plan: SamplePlan, eligible: list[str], terms: list[Term], seed: int) -> None:
    """A few quiet school-terms (no plant, a return on time) for the edge cases.

    Their own random stream, so adding them moved nothing else. A past_edge goes in a
    summer term where there is one: England is then an hour ahead of UTC, so a
    return received just after the deadline in England was received on it in UTC.
    """
    rng = random.Random(f"{seed}:edges")
    quiet = [
        (urn, term)
        for urn in eligible
        for term in terms
        if plan.delivery(urn, term).kind == "on_time" and not plan.plants_at(urn, term)
    ]
    for kind in [kind for kind in reversed(EDGE_KINDS) for _ in range(EDGE_COPIES)]:
        summer = [pair for pair in quiet if pair[1].term == "summer"]
        choices = summer if kind == "past_edge" and summer else quiet
        if not choices:
            return
        urn, term = rng.choice(choices)
        plan.edges[(urn, term)] = kind
        quiet = [pair for pair in quiet if pair[0] != urn] or [
            pair for pair in quiet if pair != (urn, term)
        ]


def _amber_always_reachable(check: str) -> bool:
    """Whether every judged denominator has a count of pupils that gives amber.

    Where it has not (an amber band narrower than one pupil), ``bad_pupils_for``
    plants red instead and a trajectory would lose its shape.
    """
    reached = (bad_pupils_for(check, n, "amber") for n in range(LOW_NUMBERS_BELOW, 1000))
    return all(solved is not None and solved[1] == "amber" for solved in reached)


TRAJECTORY_CHECKS = tuple(check for check in RATE_BANDS if _amber_always_reachable(check))


def _choose_trajectories(
    plan: SamplePlan, eligible: list[str], terms: list[Term], seed: int
) -> None:
    """Worsening and recovering shares of pupils at a tenth of the eligible schools.

    Chosen last and from their own random stream, so nothing else in the plan moves.
    Every term of a trajectory is quiet (no plant, no edge case, a return on time), so
    its statuses are exactly those planted, and a school has at most one.
    """
    rng = random.Random(f"{seed}:trajectories")
    wanted = round(len(eligible) * TRAJECTORY_SHARE)
    pool = list(eligible)
    rng.shuffle(pool)
    for urn in pool:
        if len(plan.trajectories) >= wanted:
            return
        kind = TRAJECTORY_KINDS[len(plan.trajectories) % len(TRAJECTORY_KINDS)]
        shape = rng.choice(TRAJECTORY_SHAPES[kind])
        check = rng.choice(TRAJECTORY_CHECKS)
        starts = [
            first
            for first in range(len(terms) - len(shape) + 1)
            if all(_quiet(plan, urn, term) for term in terms[first : first + len(shape)])
        ]
        if not starts:
            continue
        first = rng.choice(starts)
        span = tuple(terms[first : first + len(shape)])
        plan.trajectories.append(Trajectory(urn, kind, check, span, shape))
        for term, status in zip(span, shape, strict=True):
            if status != "green":
                plan.plants.setdefault((urn, term), []).append(Plant(urn, term, check, status))


def _quiet(plan: SamplePlan, urn: str, term: Term) -> bool:
    return (
        plan.delivery(urn, term).kind == "on_time"
        and not plan.plants_at(urn, term)
        and plan.edge_at(urn, term) is None
    )


def _delivery_events(school_count: int) -> list[tuple[str, str]]:
    """Missing, late, invalid and resubmitted returns, scaled to the sample size."""
    scale = max(1, school_count // 100)
    events: list[tuple[str, str]] = []
    for reason, _ in INVALID_REASONS:
        events += [("invalid", reason)] * scale
    events += [("invalid_corrected", "missing_column"), ("invalid_corrected", "upn_in_cell")]
    events += [("invalid_corrected_late", "urn_mismatch")]
    events += [("missing", "")] * (2 * scale) + [("late", "")] * (3 * scale)
    events += [("resubmitted", "")] * (2 * scale)
    return events
