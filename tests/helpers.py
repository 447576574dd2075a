"""Helpers for tests: valid return rows to start from, and CSV reading."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path
from typing import Any

CENSUS = date(2025, 10, 2)  # autumn 2025-26


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def school_row(**changes: Any) -> dict[str, Any]:
    """A valid school row for URN 900123, autumn 2025-26."""
    row = {
        "urn": "900123",
        "academic_year": "2025-26",
        "term": "autumn",
        "census_date": CENSUS,
        "number_on_roll": 420,
        "senco_designated": "Y",
        "senco_appointed_date": date(2021, 9, 1),
        "senco_qualified_teacher": "Y",
        "senco_award": "achieved",
        "sen_information_report_url": "https://example-primary.sch.example/sen",
        "sen_information_report_updated": date(2025, 9, 10),
        "accessibility_plan_updated": date(2024, 1, 15),
        "notional_sen_budget_gbp": 250000,
        "sen_spend_gbp": 120000,
        "parent_concerns_logged": 2,
    }
    row.update(changes)
    return row


def pupil_row(number: int = 1, **changes: Any) -> dict[str, Any]:
    """A valid pupil row; ``number`` makes the pupil_ref distinct."""
    row = {
        "pupil_ref": f"REF-{number:05d}",
        "year_group": "4",
        "sen_status": "K",
        "primary_need": "SLCN",
        "identified_date": date(2023, 3, 1),
        "parents_informed_date": date(2023, 3, 8),
        "outcomes_agreed": "Y",
        "pupil_views_recorded": "Y",
        "last_review_due": date(2025, 6, 20),
        "last_review_held": date(2025, 6, 25),
        "next_review_due": CENSUS + timedelta(days=44),
        "reviews_last_12m": 3,
        "parent_meetings_last_12m": 3,
        "specialist_involved": "EP;SALT",
        "specialist_agreed_with_parents": "Y",
        "provision_cost_gbp": 3200,
        "part_time_timetable": "N",
        "ehc_request_date": None,
        "ehc_requested_by": None,
        "ehc_request_outcome": None,
    }
    row.update(changes)
    return row
