"""A night is reproducible: it judges as at its as-of moment, never the wall clock.

Real ``sendwatch refresh`` processes (the Airflow DAG, dbt, GX) either side of the
autumn 2025-26 return deadline (30 October 2025): a past night rebuilt with
``--as-of`` exports byte for byte what it exported when it ran, although a later
night has since seen the deadline pass and a late return arrive.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

from hostile import valid_return
from test_recovery import new_home, prepared

BEFORE_DEADLINE = "2025-10-29"
AFTER_DEADLINE = "2025-11-10"
LATE = datetime(2025, 11, 5, 9, 0, tzinfo=UTC)  # after the deadline, before the night after
SILENT = "900404"  # on the register, sends nothing until LATE
AUTUMN = ("2025-26", "autumn")


def return_received(duties: str) -> dict[str, str]:
    """URN -> the return_received status for autumn 2025-26, from a duties export."""
    return {
        row["urn"]: row["status"]
        for row in csv.DictReader(io.StringIO(duties))
        if (row["academic_year"], row["term"]) == AUTUMN and row["check_id"] == "return_received"
    }


def test_a_past_night_rebuilt_as_of_its_date_exports_what_it_did(tmp_path: Path) -> None:
    home = prepared(tmp_path)

    ran = home.refresh_as_of(BEFORE_DEADLINE)
    assert ran.returncode == 0, ran.stderr[-3000:]
    submissions_then, duties_then = home.exports()
    assert return_received(duties_then)[SILENT] == "not_applicable"  # not yet due

    for name, data in valid_return(SILENT).items():
        home.drop(f"late/{name}", data, at=LATE)
    later = home.refresh_as_of(AFTER_DEADLINE)
    assert later.returncode == 0, later.stderr[-3000:]
    submissions_later, duties_later = home.exports()
    statuses = return_received(duties_later)
    assert statuses[SILENT] == "amber"  # it came, after the deadline
    assert statuses["900403"] == "red"  # only a rejected file: nothing valid came
    assert SILENT in submissions_later and SILENT not in submissions_then

    rebuilt = home.refresh_as_of(BEFORE_DEADLINE)
    assert rebuilt.returncode == 0, rebuilt.stderr[-3000:]
    assert home.exports() == (submissions_then, duties_then)
    assert home.query("select count(*) from fct_nightly_runs") == [(3,)]


def test_as_of_must_be_a_date(tmp_path: Path) -> None:
    home = new_home(tmp_path)
    refused = home.refresh_as_of("next tuesday")
    assert refused.returncode == 2
    assert "--as-of 'next tuesday' is not a date" in refused.stderr


def test_a_night_with_no_new_file_builds_when_a_deadline_has_passed() -> None:
    """A return not yet due becomes missing with no file arriving: the night after
    a deadline rebuilds; other quiet nights do not."""
    from sendwatch.pipeline.nightly import deadline_passed

    def at(text: str) -> datetime:
        return datetime.fromisoformat(text)

    assert deadline_passed(None, at("2025-10-29T02:00:00+00:00"))  # nothing served yet
    # the autumn 2025-26 deadline is 30 October 2025
    assert deadline_passed(at("2025-10-30T02:00:00+00:00"), at("2025-10-31T02:00:00+00:00"))
    assert not deadline_passed(at("2025-10-29T02:00:00+00:00"), at("2025-10-30T02:00:00+00:00"))
    assert not deadline_passed(at("2025-10-31T02:00:00+00:00"), at("2025-11-20T02:00:00+00:00"))
    # by the date in England (summer time): the summer deadline is 18 June 2026;
    # 22:30 UTC on the 18th is still the 18th there, 23:30 UTC is already the 19th
    assert not deadline_passed(at("2026-06-17T23:30:00+00:00"), at("2026-06-18T22:30:00+00:00"))
    assert deadline_passed(at("2026-06-18T22:30:00+00:00"), at("2026-06-18T23:30:00+00:00"))
    assert not deadline_passed(at("2026-06-18T23:30:00+00:00"), at("2026-06-19T02:00:00+00:00"))
