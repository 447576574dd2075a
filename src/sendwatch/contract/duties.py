"""The duty checks' band edges and measuring rules, read from where they are defined.

The check catalogue (``seeds/duty_checks.csv``) and the measuring vars of
``dbt_project/dbt_project.yml`` are the one place each edge and rule lives; dbt
judges with them, and anything else that needs them (the sample generator, the
docs) reads them here rather than restating them.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from typing import Any

import yaml

from sendwatch.settings import PROJECT_ROOT

CATALOGUE = PROJECT_ROOT / "seeds" / "duty_checks.csv"
DBT_PROJECT_FILE = PROJECT_ROOT / "dbt_project" / "dbt_project.yml"


@dataclass(frozen=True)
class DutyCheck:
    check_id: str
    strength: str
    measure: str
    direction: str
    amber_at: Fraction | None
    red_at: Fraction | None
    amber_high_at: Fraction | None
    red_high_at: Fraction | None


def _edge(text: str) -> Fraction | None:
    return Fraction(text) if text.strip() else None


@cache
def duty_checks() -> dict[str, DutyCheck]:
    """check_id -> its strength, measure, direction and band edges (exact fractions)."""
    with CATALOGUE.open(encoding="utf-8", newline="") as handle:
        return {
            row["check_id"]: DutyCheck(
                row["check_id"],
                row["strength"],
                row["measure"],
                row["direction"],
                *(_edge(row[k]) for k in ("amber_at", "red_at", "amber_high_at", "red_high_at")),
            )
            for row in csv.DictReader(handle)
        }


@cache
def measuring_vars() -> dict[str, Any]:
    """The dbt vars that say how things are measured (high_cost_gbp, ...)."""
    return yaml.safe_load(DBT_PROJECT_FILE.read_text(encoding="utf-8"))["vars"]
