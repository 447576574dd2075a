"""Real figures the sample data is calibrated on, read from the project's seeds.

The seeds were copied from DfE publications by ``scripts/make_calibration_seeds.py``;
``seeds/seeds.yml`` names each source and year.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass

from sendwatch.settings import PROJECT_ROOT

SEEDS = PROJECT_ROOT / "seeds"

# DfE SEN2 2025, calendar 2024: requests for EHC needs assessment, BCP and England.
EHC_REQUESTS_REFUSED_SHARE = 0.24  # England 25.2%, BCP 24.0% (request_not_assess_pc)
# BCP 2024: 1,230 requests against 7,599 pupils on SEN support (Jan 2023). About half of
# requests are for children in mainstream schools (the rest: early years, post-16,
# special and independent settings): an assumption, not a published figure.
EHC_REQUESTS_PER_K_PUPIL_PER_YEAR = 1230 / 7599 * 0.5


@dataclass(frozen=True)
class SchoolSize:
    """One real school's size and SEN figures (January 2023), without its name."""

    phase: str
    total_pupils: int
    sen_support: int
    ehc_plan: int

    @property
    def support_rate(self) -> float:
        return self.sen_support / self.total_pupils

    @property
    def ehc_rate(self) -> float:
        return self.ehc_plan / self.total_pupils


def _rows(name: str) -> list[dict[str, str]]:
    with (SEEDS / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def school_sizes(scale: str) -> list[SchoolSize]:
    """Real school sizes: the sample LA's 113 schools, or all of England's."""
    rows = _rows("calibration_school_sizes_england_2023.csv")
    if scale == "bcp":
        rows = [row for row in rows if row["la"] == "bcp"]
    return [
        SchoolSize(
            row["phase"], int(row["total_pupils"]), int(row["sen_support"]), int(row["ehc_plan"])
        )
        for row in rows
    ]


def need_mix() -> dict[str, list[tuple[str, int]]]:
    """Pupils with SEN by primary need, per phase (BCP, January 2023)."""
    mix: dict[str, list[tuple[str, int]]] = {}
    for row in _rows("calibration_primary_need_bcp_2023.csv"):
        mix.setdefault(row["phase"], []).append((row["primary_need"], int(row["pupils"])))
    mix["all_through"] = mix["secondary"]
    return mix


def national_support_rates() -> dict[str, float]:
    """National share of pupils on SEN support, by phase."""
    return {
        row["phase"]: float(row["sen_support_rate"])
        for row in _rows("national_sen_support_rates.csv")
    }
