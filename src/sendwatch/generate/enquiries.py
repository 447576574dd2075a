"""Monthly SENDIASS enquiry files (contract section 4).

Background enquiries scale with each school's SEN register; at a school with a
planted duty problem, enquiries in that term's months rise several-fold and
lean towards SEN support and complaints, so the pattern exists to be found.
"""

from __future__ import annotations

import csv
import io
import math
import os
import random
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from sendwatch.generate.school import SchoolProfile
from sendwatch.terms import Term

FIRST_MONTH = (2024, 9)
LAST_MONTH = (2026, 7)
PER_PUPIL_PER_MONTH = 0.004
UNLINKED_SHARE = 0.15  # enquiries about no particular school
UPLIFT = 5.0
THEMES = {
    "sen_support_in_school": (0.22, 0.40),  # (background, where a duty may not be met)
    "ehc_needs_assessment": (0.2, 0.12),
    "ehc_plan": (0.14, 0.06),
    "exclusion": (0.07, 0.06),
    "transport": (0.08, 0.02),
    "complaint_about_school": (0.06, 0.26),
    "transition": (0.1, 0.03),
    "health": (0.06, 0.02),
    "other": (0.07, 0.03),
}
COLUMNS = ["enquiry_ref", "received_date", "urn", "theme", "is_complaint", "closed_date"]


def months() -> list[date]:
    found, (year, month) = [], FIRST_MONTH
    while (year, month) <= LAST_MONTH:
        found.append(date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found


def term_of_month(month: date) -> Term:
    if month.month >= 9:
        return Term(month.year, "autumn")
    return Term(month.year - 1, "spring" if month.month <= 4 else "summer")


def poisson(rng: random.Random, mean: float) -> int:
    if mean > 30:  # normal approximation keeps England scale quick
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def write_enquiries(
    out: Path,
    profiles: list[SchoolProfile],
    register_sizes: dict[str, dict[Term, int]],
    flagged: dict[str, set[Term]],
    seed: int,
) -> int:
    """Write one file per month; return how many enquiries were written."""
    rng = random.Random(f"{seed}:sendiass")
    themes = list(THEMES)
    total = 0
    for month in months():
        term = term_of_month(month)
        days = ((month.replace(day=28) + timedelta(days=4)).replace(day=1) - month).days
        month_end = month + timedelta(days=days - 1)
        rows: list[tuple[date, str, str, str, str]] = []
        for profile in profiles:
            register = register_sizes.get(profile.urn, {}).get(term)
            if not register:
                continue
            problem = term in flagged.get(profile.urn, set())
            mean = register * PER_PUPIL_PER_MONTH * (UPLIFT if problem else 1.0)
            weights = [THEMES[t][1 if problem else 0] for t in themes]
            for _ in range(poisson(rng, mean)):
                theme = rng.choices(themes, weights)[0]
                rows.append(_enquiry(rng, month, days, month_end, profile.urn, theme))
        linked = len(rows)
        for _ in range(poisson(rng, linked * UNLINKED_SHARE + 1)):
            theme = rng.choices(themes, [w for w, _ in THEMES.values()])[0]
            rows.append(_enquiry(rng, month, days, month_end, "", theme))
        rows.sort()
        total += len(rows)
        _write_month(out, month, month_end, rows)
    return total


def _enquiry(
    rng: random.Random, month: date, days: int, month_end: date, urn: str, theme: str
) -> tuple[date, str, str, str, str]:
    received = month + timedelta(days=rng.randrange(days))
    closed = received + timedelta(days=rng.randrange(2, 60))
    complaint = "Y" if theme == "complaint_about_school" or rng.random() < 0.05 else "N"
    closed_text = closed.isoformat() if closed <= month_end else ""
    return received, urn, theme, complaint, closed_text


def _write_month(
    out: Path, month: date, month_end: date, rows: list[tuple[date, str, str, str, str]]
) -> None:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for number, (received, urn, theme, complaint, closed) in enumerate(rows, start=1):
        reference = f"SIA-{month:%Y%m}-{number:05d}"
        writer.writerow([reference, received.isoformat(), urn, theme, complaint, closed])
    arrives = datetime.combine(month_end + timedelta(days=3), time(7, 30), tzinfo=UTC)
    folder = out / "landing" / arrives.date().isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"sendiass_enquiries_{month:%Y-%m}.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8", newline="")
    os.utime(path, (arrives.timestamp(), arrives.timestamp()))
