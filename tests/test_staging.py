"""Staging a night's valid rows into the raw tables: every row once, with its lineage,
whatever the night's size."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd

from sendwatch.generate import generate
from sendwatch.pipeline import staging
from sendwatch.pipeline.landing import group_deliveries, survey_landing
from sendwatch.pipeline.warehouse import create_raw_tables
from sendwatch.register import read_register
from sendwatch.settings import Limits
from sendwatch.validation import check_deliveries


def test_a_large_amount_after_the_first_thousand_returns_is_staged_exactly(
    tmp_path: Path,
) -> None:
    """A national night stages thousands of returns in one insert: a budget wider than
    any in the first thousand (England has schools with budgets over £1m) still loads,
    to the penny."""
    generate(tmp_path / "sample", schools=2, seed=4, terms=1)
    survey = survey_landing(tmp_path / "sample" / "landing", tmp_path / "copies")
    urns = {school.urn for school in read_register(tmp_path / "sample" / "register.csv")}
    deliveries = [d for d in group_deliveries(survey.files) if d.kind == "return"]
    checked = check_deliveries(
        [staging.delivered(tmp_path / "copies", d) for d in deliveries], urns, Limits()
    )
    staged: dict[str, list[pd.DataFrame]] = {"school": [], "pupils": [], "enquiries": []}
    outcome = next(
        staging.judge(d, c, staged) for d, c in zip(deliveries, checked, strict=True) if c.valid
    )
    school = staged["school"][0]
    # one school's budget among 5,000 returns' (England: 24,000 a term) is wider than
    # any other: 7 digits before the point, not 4
    night = pd.concat([school] * 5_000, ignore_index=True)
    night["return_key"] = [f"r{number}" for number in range(5_000)]
    night["notional_sen_budget_gbp"] = Decimal("2500.50")
    night.loc[4_321, "notional_sen_budget_gbp"] = Decimal("1062224.37")
    night.attrs = school.attrs
    outcomes = [{**outcome, "submission_id": key} for key in night["return_key"]]
    with duckdb.connect() as connection:
        create_raw_tables(connection)
        staging.stage_rows(
            connection,
            staging.combine({"school": [night], "pupils": [], "enquiries": []}),
            outcomes,
            "run",
            "2026-08-01T00:00:00+00:00",
        )
        budgets = connection.execute(
            "select submission_id, notional_sen_budget_gbp from raw_school_returns"
        ).fetchall()
    assert len(budgets) == 5_000
    assert dict(budgets)["r4321"] == Decimal("1062224.37")
    assert dict(budgets)["r0"] == Decimal("2500.50")
