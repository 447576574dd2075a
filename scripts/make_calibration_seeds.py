"""Copy the few real figures sendwatch needs from the public DfE files into seeds/.

A maintainer's tool, run by hand when the public data moves on; sendwatch
itself never reads the public files at run time. Usage:

    uv run python scripts/make_calibration_seeds.py FOLDER_OF_THE_PUBLIC_DFE_FILES

Every seed written names its source and year in ``seeds/seeds.yml``.
"""

from __future__ import annotations

import csv
import re
import sys
from collections import defaultdict
from pathlib import Path

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
BCP_NAME = "Bournemouth, Christchurch and Poole"
BCP_CODE = "839"

PRIMARY_WORDS = re.compile(
    r"\b(primary|infant|infants|junior|juniors|first|nursery|pre-prep)\b", re.I
)
SECONDARY_WORDS = re.compile(
    r"\b(secondary|high|grammar|college|collegiate|upper|senior|studio|technical|sixth)\b", re.I
)
ALL_THROUGH_WORDS = re.compile(r"\ball[- ]through\b", re.I)

NEED_CODES = {
    "Autistic Spectrum Disorder": "ASD",
    "Hearing Impairment": "HI",
    "Moderate Learning Difficulty": "MLD",
    "Multi- Sensory Impairment": "MSI",
    "Other Difficulty/Disability": "OTH",
    "Physical Disability": "PD",
    "Profound & Multiple Learning Difficulty": "PMLD",
    "SEN support but no specialist assessment of type of need": "NSA",
    "Severe Learning Difficulty": "SLD",
    "Social, Emotional and Mental Health": "SEMH",
    "Specific Learning Difficulty": "SPLD",
    "Speech, Language and Communications needs": "SLCN",
    "Visual Impairment": "VI",
}


def phase_from_name(name: str, pupils: int) -> str:
    """The register phase a school's name suggests; size decides when it says nothing."""
    if ALL_THROUGH_WORDS.search(name):
        return "all_through"
    if PRIMARY_WORDS.search(name):
        return "primary"
    if SECONDARY_WORDS.search(name):
        return "secondary"
    return "primary" if pupils < 650 else "secondary"


def read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def write(name: str, header: list[str], rows: list[list[object]]) -> None:
    with (SEEDS / name).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    print(f"wrote seeds/{name}: {len(rows)} rows")


def school_sizes(public: Path) -> None:
    rows = read(public / "dfe_sen_school_level_2023_derived" / "sen_school_wise.csv")
    header = ["la", "phase", "total_pupils", "sen_support", "ehc_plan"]
    england, bcp = [], []
    for row in rows:
        try:
            pupils, support, ehc = (
                int(row[c]) for c in ("Total pupils", "SEN support", "EHC plan")
            )
        except ValueError:
            continue  # suppressed or blank in the DfE file
        if pupils <= 0:
            continue
        la = "bcp" if row["la_name"] == BCP_NAME else "other"
        out = [la, phase_from_name(row["school_name"], pupils), pupils, support, ehc]
        england.append(out)
        if la == "bcp":
            bcp.append(out)
    write("calibration_school_sizes_england_2023.csv", header, england)
    by_phase: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for _, phase, pupils, support, _ in england:
        by_phase[phase][0] += pupils
        by_phase[phase][1] += support
    write(
        "national_sen_support_rates.csv",
        ["phase", "census_year", "sen_support_rate", "source"],
        [
            [phase, 2023, round(support / pupils, 4), "DfE SEN in England Jan 2023, school level"]
            for phase, (pupils, support) in sorted(by_phase.items())
        ],
    )


def need_mix(public: Path) -> None:
    rows = read(public / "dfe_sen_school_level_2023_derived" / "sen_disability_type_la839.csv")
    out = []
    for row in rows:
        group = row["phase_type_grouping"]
        if group in ("State-funded primary", "State-funded secondary"):
            phase = group.removeprefix("State-funded ")
            out.append([phase, NEED_CODES[row["primary_need"]], int(row["number_of_pupils"])])
    write("calibration_primary_need_bcp_2023.csv", ["phase", "primary_need", "pupils"], out)


def headline(rows: list[dict[str, str]], area_code: str | None) -> list[dict[str, str]]:
    wanted = []
    for row in rows:
        if not row["breakdown_topic"].startswith("All"):
            continue
        if (area_code is None and row["geographic_level"] == "National") or (
            area_code is not None and row["old_la_code"] == area_code
        ):
            wanted.append(row)
    return wanted


def la_context(public: Path) -> None:
    folder = public / "dfe_ehcp_sen2_2025"
    source = "DfE Education, health and care plans 2025 (SEN2)"
    measures = [
        ("requests.csv", "ehc_requests", "requests_received_in_year", "calendar year"),
        ("requests.csv", "ehc_requests_refused", "requests_decided_not_to_assess", "calendar year"),
        (
            "timeliness_20_week.csv",
            "plans_within_20_weeks_pc",
            "pc_plans_issued_within_20_weeks",
            "calendar year",
        ),
        ("caseload.csv", "ehc_plans_in_force", "ehcplans", "January of the year"),
    ]
    out = []
    for file_name, measure, column, period in measures:
        rows = read(folder / file_name)
        for area, code in (("England", None), ("Sample LA (BCP figures)", BCP_CODE)):
            for row in headline(rows, code):
                value = row[column]
                if value in ("x", "z", "c", "low", ""):
                    continue
                year = int(row["time_period"][:4]) + (1 if len(row["time_period"]) == 6 else 0)
                out.append([area, measure, year, value, period, source])
    out.sort(key=lambda r: (r[0], r[1], r[2]))
    write("la_context_sen2.csv", ["area", "measure", "year", "value", "period", "source"], out)


def main(public: Path) -> None:
    school_sizes(public)
    need_mix(public)
    la_context(public)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: make_calibration_seeds.py FOLDER_OF_THE_PUBLIC_DFE_FILES")
    main(Path(sys.argv[1]).resolve())
