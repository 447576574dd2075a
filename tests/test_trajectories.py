"""The sample's trajectories: shares of pupils that worsen term by term, or recover,
planted over quiet terms (generate.plan) and seen as such by the oracle."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest
from helpers import read_csv

from sendwatch.generate import choose_sizes, make_profiles
from sendwatch.generate import plan as plan_module
from sendwatch.generate.plan import RATE_BANDS, SamplePlan, make_plan
from sendwatch.terms import SAMPLE_TERMS, Term

TERMS = list(SAMPLE_TERMS[:6])
SAMPLE_SEED = 1  # the seed of the ``sample`` fixture (conftest.py)


def default_plan(seed: int = SAMPLE_SEED) -> tuple[SamplePlan, list[str]]:
    """The plan ``generate`` makes for the default sample, and its eligible schools
    (as generate() chooses them: 200 pupils or more, open in every term)."""
    profiles = make_profiles(choose_sizes("bcp", None), seed)
    eligible = [
        p.urn
        for p in profiles
        if p.size.total_pupils >= 200 and p.opened is None and p.closed is None
    ]
    plan = make_plan([p.urn for p in profiles], eligible, TERMS, seed, xlsx_share=0.6)
    return plan, eligible


def oracle_statuses(out: Path) -> dict[tuple[str, Term, str], str]:
    return {
        (r["urn"], Term.parse(r["academic_year"], r["term"]), r["check_id"]): r["expected_status"]
        for r in read_csv(out / "ground_truth" / "duty_statuses.csv")
    }


def test_the_default_sample_plants_worsening_and_recovering_trajectories(sample) -> None:
    out, _ = sample
    plan, eligible = default_plan()
    trajectories = plan.trajectories
    assert 0.08 <= len(trajectories) / len(eligible) <= 0.12
    assert len({t.urn for t in trajectories}) == len(trajectories)  # one a school
    kinds = defaultdict(list)
    for trajectory in trajectories:
        kinds[trajectory.kind].append(trajectory)
    assert len(kinds["worsening"]) >= 3 and len(kinds["recovery"]) >= 2
    statuses = oracle_statuses(out)
    flags = {
        (f["urn"], Term.parse(f["academic_year"], f["term"]), f["check_id"]): f
        for f in read_csv(out / "ground_truth" / "duty_flags.csv")
    }
    for trajectory in trajectories:
        assert trajectory.check_id in RATE_BANDS
        judged = [statuses[(trajectory.urn, t, trajectory.check_id)] for t in trajectory.terms]
        assert judged == list(trajectory.statuses), trajectory
        if trajectory.kind == "worsening":  # amber for a term or two, then red
            assert judged[0] == "amber" and "red" in judged
            first_red = judged.index("red")
            assert set(judged[:first_red]) == {"amber"} and set(judged[first_red:]) == {"red"}
        else:
            assert judged == ["red", "amber", "green"]
        for term, status in zip(trajectory.terms, judged, strict=True):
            flag = flags.get((trajectory.urn, term, trajectory.check_id))
            if status == "green":
                assert flag is None
            else:
                assert (flag["expected_status"], flag["origin"]) == (status, "planted")
            # the term was quiet: nothing else planted, no edge case, a return on time
            assert plan.delivery(trajectory.urn, term).kind == "on_time"
            assert plan.edge_at(trajectory.urn, term) is None
            assert [p.check_id for p in plan.plants_at(trajectory.urn, term)] in (
                [trajectory.check_id],
                [],
            )


@pytest.mark.parametrize("seed", [1, 2, 7])
def test_trajectories_move_nothing_else_in_the_plan(seed: int, monkeypatch) -> None:
    """Their own random stream, chosen last: without them the plan is the same."""
    plan, _ = default_plan(seed)
    monkeypatch.setattr(plan_module, "_choose_trajectories", lambda *args: None)
    before, _ = default_plan(seed)
    assert before.trajectories == [] and plan.trajectories
    assert plan.edges == before.edges
    assert {key: (d.kind, d.invalid_reason, d.messy, d.file_format)
            for key, d in plan.deliveries.items()} == {
        key: (d.kind, d.invalid_reason, d.messy, d.file_format)
        for key, d in before.deliveries.items()
    }  # fmt: skip
    planted = {
        (t.urn, term): t.check_id
        for t in plan.trajectories
        for term, status in zip(t.terms, t.statuses, strict=True)
        if status != "green"
    }
    others = {
        key: [p for p in plants if planted.get(key) != p.check_id]
        for key, plants in plan.plants.items()
    }
    assert {key: plants for key, plants in others.items() if plants} == before.plants
