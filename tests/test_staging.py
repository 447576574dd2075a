"""Staging a night's valid rows into the raw tables: every row once, with its lineage,
whatever the night's size."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd

from sendwatch.generate import generate
from sendwatch.pipeline import gates, staging
from sendwatch.pipeline.landing import group_deliveries, survey_landing
from sendwatch.pipeline.warehouse import create_raw_tables
from sendwatch.register import read_register
from sendwatch.settings import Limits
from sendwatch.validation import check_deliveries


def _judged_sample(
    tmp_path: Path, schools: int
) -> tuple[dict[str, list[pd.DataFrame]], list[dict]]:
    """A small generated term's returns, checked and judged as a batch judges them."""
    generate(tmp_path / "sample", schools=schools, seed=4, terms=1)
    survey = survey_landing(tmp_path / "sample" / "landing", tmp_path / "copies")
    urns = {school.urn for school in read_register(tmp_path / "sample" / "register.csv")}
    deliveries = [d for d in group_deliveries(survey.files) if d.kind == "return"]
    checked = check_deliveries(
        [staging.delivered(tmp_path / "copies", d) for d in deliveries], urns, Limits()
    )
    staged: dict[str, list[pd.DataFrame]] = {"school": [], "pupils": [], "enquiries": []}
    outcomes = [staging.judge(d, c, staged) for d, c in zip(deliveries, checked, strict=True)]
    return staged, outcomes


def test_a_large_amount_after_the_first_thousand_returns_is_staged_exactly(
    tmp_path: Path,
) -> None:
    """A national night stages thousands of returns in one insert: a budget wider than
    any in the first thousand (England has schools with budgets over £1m) still loads,
    to the penny."""
    staged, outcomes = _judged_sample(tmp_path, schools=2)
    outcome = next(o for o in outcomes if o["outcome"] == "loaded")
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


def test_the_gx_gate_rejects_a_return_it_fails_and_stages_none_of_its_rows(
    tmp_path: Path,
) -> None:
    """The raw-return checkpoints run a batch at a time: a return whose rows fail one is
    rejected with the expectation and the column named, its rows dropped from both
    sheets; the others load."""
    staged, outcomes = _judged_sample(tmp_path, schools=3)
    loaded = [o["submission_id"] for o in outcomes if o["outcome"] == "loaded"]
    assert len(loaded) >= 2
    failing = loaded[0]
    rows = staging.combine(staged)
    school = rows["school"][0]
    school.loc[school["return_key"] == failing, "number_on_roll"] = 0  # must be more than 0
    gate = staging.ReturnsGate(tmp_path / "run")
    gate.run(rows, outcomes)
    verdicts = {o["submission_id"]: o for o in outcomes}
    assert verdicts[failing]["outcome"] == "rejected"
    assert verdicts[failing]["problems"][0]["rule_id"] == "quality_gate"
    assert verdicts[failing]["problems"][0]["column"] == "number_on_roll"
    assert [verdicts[key]["outcome"] for key in loaded[1:]] == ["loaded"] * (len(loaded) - 1)
    for sheet in ("school", "pupils"):
        kept = set(pd.concat(rows[sheet])["return_key"])
        assert failing not in kept and set(loaded[1:]) <= kept
    summary = gate.finish()
    assert summary["success"] is False
    assert summary["suites"]["raw_school_returns"]["failures"] == 1
    # the Data Docs are built once, at the end, with the batch's results in them
    index = gates.data_docs_index(tmp_path / "run")
    assert "raw_school_returns" in index.read_text(encoding="utf-8")
    stored = list((tmp_path / "run" / "gx" / "uncommitted" / "validations").rglob("*.json"))
    assert len(stored) == 2  # one a suite
