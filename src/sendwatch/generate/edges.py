"""Values planted exactly at the edges of duties-v1, and one unit past them.

Everywhere else the sample keeps well away from every edge. In a few school-terms
the plan picks (no planted problem, a return sent on time), one of two kinds of
edge case is planted instead, each arranged so that judging its edge the wrong way
(``<`` for ``<=``, a date in UTC for one in England, ...) changes a status:

``at_edge``
    a review held exactly ``review_grace_days`` after its due date in a term whose
    reviews are on time at exactly the amber edge (9 of 10 is green); a pupil
    identified exactly 12 months before the census, with exactly
    ``parent_meetings_a_year`` meetings, in a term whose pupils a year on the
    register met their parents at exactly the amber edge; parents told on the
    census date; exactly ``low_numbers_below`` pupils with a specialist; provision
    costing exactly ``high_cost_gbp`` (not high) beside one costing a penny more
    (high); EHC needs assessment requests made exactly 12 months before the census
    (not in the last year) and a day later (in it) making parents' share exactly
    the amber edge; and the first valid return received late on the deadline day
    (in England).
``past_edge``
    a review held a day later than the grace allows, with reviews one short of the
    amber edge; a pupil identified a day less than 12 months before the census;
    one fewer than ``low_numbers_below`` pupils with a specialist; a penny over
    ``high_cost_gbp`` taking the count to the red edge; the same two requests the
    other way round, leaving parents' share just under the edge; and the first
    valid return received half an hour into the day after the deadline in England
    (the day before in UTC, in summer).

The plan prefers a summer term for ``past_edge``, when England is an hour ahead
of UTC. A parent told the day after the census cannot be planted: the contract
rejects a return with such a date (``date_after_census``). Which status each edge
case should have is never decided here: the oracle judges it.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

from sendwatch.contract.duties import duty_checks, measuring_vars

EDGE_KINDS = ("at_edge", "past_edge")
# the checks an edge case moves; every other check of its term stays as simulated
EDGE_CHECKS = (
    "parents_informed",
    "reviews_on_time",
    "parent_meetings",
    "specialists_agreed",
    "high_cost_no_ehc_request",
    "parent_led_ehc_requests",
    "return_received",
)
ENGLAND = ZoneInfo("Europe/London")
PENNY = Decimal("0.01")

Row = dict[str, Any]


def a_year_before(census: date) -> date:
    """The census date 12 calendar months earlier (28 February for a 29th)."""
    if (census.month, census.day) == (2, 29):
        return date(census.year - 1, 2, 28)
    return census.replace(year=census.year - 1)


def receipt(kind: str, deadline: date) -> datetime:
    """When the first valid return arrives: late on the deadline day, or just after it."""
    if kind == "at_edge":
        moment = datetime.combine(deadline, time(23, 30), ENGLAND)
    else:
        moment = datetime.combine(deadline + timedelta(days=1), time(0, 30), ENGLAND)
    return moment.astimezone(UTC)


def plant_edges(kind: str, rows: dict[str, Row], census: date, rng: random.Random) -> None:
    """Plant one kind of edge case in a return's pupil rows (changed in place)."""
    if kind not in EDGE_KINDS:
        raise ValueError(f"unknown edge case {kind!r}")
    past = kind == "past_edge"
    pupils = list(rows.values())
    _reviews(pupils, census, rng, past)
    _year_on_register(pupils, census, rng, past)
    _specialists(pupils, rng, past)
    spoken_for = _high_cost(pupils, rng, past)
    _parent_led(pupils, census, rng, past, spoken_for)
    if not past:  # told on the census date counts; a day later is not a valid return
        rng.choice(pupils)["parents_informed_date"] = census


def _whole(value: Fraction) -> int | None:
    return int(value) if value.denominator == 1 else None


def _reviews(pupils: list[Row], census: date, rng: random.Random, past: bool) -> None:
    """Reviews on time at exactly the amber edge (or one short), one at each grace edge."""
    amber_at = duty_checks()["reviews_on_time"].amber_at
    grace = timedelta(days=measuring_vars()["review_grace_days"])
    due = [p for p in pupils if p["last_review_due"] is not None]
    held_by_census = [p for p in due if p["last_review_due"] + grace + timedelta(1) <= census]
    if amber_at is None or len(held_by_census) < 2:
        return
    on_edge, past_edge = rng.sample(held_by_census, 2)
    others = [p for p in due if p is not on_edge and p is not past_edge]
    rng.shuffle(others)
    keep = len(due) - len(due) % amber_at.denominator  # so amber_at of them is whole
    on_time = _whole(amber_at * keep)
    if keep < measuring_vars()["low_numbers_below"] or on_time is None:
        return
    on_time -= 1 if past else 0
    late_others = keep - 1 - on_time  # the past-edge review is late, the on-edge one is not
    if not 0 <= late_others <= keep - 2:
        return
    for pupil in others[: len(due) - keep]:  # no review had fallen due yet
        pupil.update(last_review_due=None, last_review_held=None)
    for index, pupil in enumerate(others[len(due) - keep :]):
        agreed = pupil["last_review_due"]
        if index < late_others:
            held = agreed + grace + timedelta(days=rng.randint(7, 40))
            pupil["last_review_held"] = held if held <= census else None
        else:
            pupil["last_review_held"] = min(census, agreed + timedelta(days=rng.randint(0, 14)))
    on_edge["last_review_held"] = on_edge["last_review_due"] + grace
    past_edge["last_review_held"] = past_edge["last_review_due"] + grace + timedelta(days=1)


def _identify(pupil: Row, on: date, census: date, rng: random.Random) -> None:
    pupil["identified_date"] = on
    pupil["parents_informed_date"] = min(census, on + timedelta(days=rng.randint(0, 14)))


def _year_on_register(pupils: list[Row], census: date, rng: random.Random, past: bool) -> None:
    """A pupil identified exactly 12 months before the census and one a day later."""
    amber_at = duty_checks()["parent_meetings"].amber_at
    least = measuring_vars()["parent_meetings_a_year"]
    edge = a_year_before(census)
    a_year = [p for p in pupils if p["identified_date"] <= edge]
    if amber_at is None or len(a_year) < 2:
        return
    exactly, day_later = rng.sample(a_year, 2)
    others = [p for p in a_year if p is not exactly and p is not day_later]
    rng.shuffle(others)
    counted = len(others) + 1  # the pupil identified exactly a year ago counts
    keep = counted - counted % amber_at.denominator
    met = _whole(amber_at * keep)
    if keep < measuring_vars()["low_numbers_below"] or met is None:
        return
    met -= 1 if past else 0
    short_others = keep - 1 - (met - 1)
    if not 0 <= short_others <= keep - 1:
        return
    _identify(exactly, edge, census, rng)
    exactly["parent_meetings_last_12m"] = least  # exactly enough meetings
    _identify(day_later, edge + timedelta(days=1), census, rng)
    day_later["parent_meetings_last_12m"] = least - 1  # too few, but not yet a year on
    span = (census - edge).days
    for pupil in others[: counted - keep]:  # joined the register within the year
        _identify(pupil, edge + timedelta(days=rng.randint(20, span - 30)), census, rng)
    for index, pupil in enumerate(others[counted - keep :]):
        short = index < short_others
        pupil["parent_meetings_last_12m"] = least - 1 if short else rng.randint(least, least + 3)


def _specialists(pupils: list[Row], rng: random.Random, past: bool) -> None:
    """Exactly low_numbers_below pupils with a specialist involved, or one fewer."""
    count = measuring_vars()["low_numbers_below"] - (1 if past else 0)
    involved = [p for p in pupils if p["specialist_involved"]]
    rng.shuffle(involved)
    chosen = (involved + [p for p in pupils if not p["specialist_involved"]])[:count]
    if len(chosen) < count:
        return
    chosen_ids = {id(p) for p in chosen}
    for pupil in pupils:
        if id(pupil) not in chosen_ids:
            pupil.update(specialist_involved=None, specialist_agreed_with_parents=None)
    for pupil in chosen:
        pupil["specialist_involved"] = pupil["specialist_involved"] or "EP"
        pupil["specialist_agreed_with_parents"] = "Y"
    if past:  # judged, 3 of 4 would be red: as low numbers it is not coloured
        chosen[0]["specialist_agreed_with_parents"] = "N"


def _high_cost(pupils: list[Row], rng: random.Random, past: bool) -> set[int]:
    """SEN support costing exactly high_cost_gbp, a penny more, and well over it."""
    limit = measuring_vars()["high_cost_gbp"]
    candidates = [p for p in pupils if p["sen_status"] == "K" and p["ehc_request_date"] is None]
    well_over = 2 if past else 1
    if len(candidates) < 2 + well_over:
        return set()
    chosen = rng.sample(candidates, 2 + well_over)
    chosen[0]["provision_cost_gbp"] = limit
    chosen[1]["provision_cost_gbp"] = Decimal(limit) + PENNY
    for pupil in chosen[2:]:
        pupil["provision_cost_gbp"] = rng.randrange(limit + 500, limit + 3500) // 50 * 50
    return {id(p) for p in chosen}


def _parent_led(
    pupils: list[Row], census: date, rng: random.Random, past: bool, spoken_for: set[int]
) -> None:
    """Requests exactly 12 months before the census and a day later, deciding the signal.

    at_edge: the first is a school's (outside the year), the second a parent's, and
    parents make exactly the amber share; past_edge: the other way round, and the
    share falls just short. Counting either request on the wrong side of the edge
    changes the status.
    """
    share = duty_checks()["parent_led_ehc_requests"].amber_at
    least = measuring_vars()["parent_requests_at_least"]
    edge = a_year_before(census)
    in_year = [
        p["ehc_requested_by"]
        for p in pupils
        if p["ehc_request_date"] is not None and edge < p["ehc_request_date"] <= census
    ]
    parents_before = in_year.count("parent")
    others_before = len(in_year) - parents_before
    if share is None:
        return

    def amber(parents: int, total: int) -> bool:
        return total > 0 and parents >= least and Fraction(parents, total) >= share

    def decisive(parents: int, others: int) -> bool:
        total = parents + others
        if past:  # the year-old request is a parent's, the day-later one a school's
            return (
                not amber(parents, total)
                and amber(parents + 1, total + 1)
                and amber(parents, total - 1)
            )
        return (
            amber(parents, total)
            and not amber(parents, total + 1)
            and not amber(parents - 1, total - 1)
        )

    base_parents = parents_before + (0 if past else 1)
    base_others = others_before + (1 if past else 0)
    added = next(
        (
            (more_parents, extra - more_parents)
            for extra in range(60)
            for more_parents in range(extra + 1)
            if decisive(base_parents + more_parents, base_others + extra - more_parents)
        ),
        None,
    )
    candidates = [
        p
        for p in pupils
        if p["sen_status"] == "K" and p["ehc_request_date"] is None and id(p) not in spoken_for
    ]
    if added is None or len(candidates) < 2 + sum(added):
        return
    more_parents, more_others = added
    chosen = rng.sample(candidates, 2 + more_parents + more_others)
    year_old, day_later, *rest = chosen
    _request(year_old, edge, "parent" if past else "school")
    _request(day_later, edge + timedelta(days=1), "school" if past else "parent")
    for index, pupil in enumerate(rest):
        by = "parent" if index < more_parents else "school"
        # the first added request is made on the census date itself (still in the year)
        on = census if index == 0 else census - timedelta(days=rng.randint(20, 300))
        _request(pupil, on, by)


def _request(pupil: Row, on: date, by: str) -> None:
    pupil.update(ehc_request_date=on, ehc_requested_by=by, ehc_request_outcome="pending")
