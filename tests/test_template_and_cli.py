"""The blank template, the command line, and the settings."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import pupil_row, school_row
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from sendwatch.cli import cli
from sendwatch.contract.docs import DOCS_PAGE, render
from sendwatch.contract.v1 import CONTRACT, Kind
from sendwatch.settings import PROJECT_ROOT, load_settings


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The installed command, in its own process, as a school would run it."""
    command = [sys.executable, "-m", "sendwatch.cli", *args]
    environment = {**os.environ, **(env or {})}
    return subprocess.run(command, capture_output=True, text=True, check=False, env=environment)


def fill_template(template: Path, target: Path) -> None:
    workbook = load_workbook(template)
    for sheet_name, row in (("school", school_row()), ("pupils", pupil_row(1))):
        sheet = workbook[sheet_name]
        headers = [cell.value for cell in sheet[1]]
        for index, header in enumerate(headers, start=1):
            sheet.cell(row=2, column=index, value=row[header])
    workbook.save(target)


def test_template_filled_with_one_pupil_passes_validate(tmp_path: Path) -> None:
    template = tmp_path / "blank.xlsx"
    assert run("template", "--out", str(template)).returncode == 0
    filled = tmp_path / "900123_2025-26_autumn.xlsx"
    fill_template(template, filled)
    result = run("validate", str(filled))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "VALID    900123_2025-26_autumn.xlsx: 1 pupils" in result.stdout


def test_blank_template_is_rejected_with_reasons(tmp_path: Path) -> None:
    template = tmp_path / "900123_2025-26_autumn.xlsx"
    run("template", "--out", str(template))
    result = run("validate", str(template))
    assert result.returncode == 1
    assert "sheet school: the school sheet must have exactly one row of figures; it has 0" in (
        result.stdout
    )


def test_template_has_headers_drop_downs_and_instructions(tmp_path: Path) -> None:
    template = tmp_path / "blank.xlsx"
    CliRunner().invoke(cli, ["template", "--out", str(template)])
    workbook = load_workbook(template)
    assert workbook.sheetnames == ["instructions", "school", "pupils"]
    for sheet in CONTRACT.sheets:
        worksheet = workbook[sheet.name]
        assert [cell.value for cell in worksheet[1]] == list(sheet.column_names)
        with_list = {
            str(cell_range).split(":")[0].rstrip("0123456789")
            for dv in worksheet.data_validations.dataValidation
            for cell_range in dv.sqref.ranges
        }
        coded = {
            get_column_letter(index)
            for index, column in enumerate(sheet.columns, start=1)
            if column.kind in (Kind.CODE, Kind.YES_NO)
        }
        assert with_list == coded
    primary_need = next(
        dv.formula1
        for dv in workbook["pupils"].data_validations.dataValidation
        if str(dv.sqref).startswith("D2")
    )
    assert "SEMH" in primary_need and "NSA" in primary_need
    guide = "\n".join(str(c.value) for row in workbook["instructions"].iter_rows() for c in row)
    assert "Do not include names, dates of birth, UPNs" in guide
    assert "parent_meetings_last_12m" in guide and "6.65 (at least three a year)" in guide


def test_help_lists_every_command() -> None:
    result = run("--help")
    commands = ("generate", "template", "validate", "refresh", "export", "serve", "demo")
    for command in (*commands, "retention"):
        assert f"  {command} " in result.stdout


def test_errors_are_one_clear_line(tmp_path: Path) -> None:
    result = run("validate", str(tmp_path / "missing.xlsx"))
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert result.stderr.strip() == f"sendwatch: no such file: {tmp_path / 'missing.xlsx'}"
    empty = {"SENDWATCH_HOME": str(tmp_path / "empty")}
    result = run("export", "submissions", "--out", str(tmp_path / "x.csv"), env=empty)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        f"sendwatch: nothing published yet in {tmp_path / 'empty' / 'published'}: "
        "run `sendwatch refresh`"
    ]


def test_validate_reports_a_file_that_names_no_return(tmp_path: Path) -> None:
    stray = tmp_path / "returns final.xlsx"
    stray.write_bytes(b"x")
    result = run("validate", str(stray))
    assert (
        result.returncode == 1
        and "REJECTED returns final.xlsx: sendwatch does not know this file" in result.stdout
    )


def test_validate_checks_the_register_when_given(tmp_path: Path) -> None:
    template = tmp_path / "blank.xlsx"
    run("template", "--out", str(template))
    filled = tmp_path / "900123_2025-26_autumn.xlsx"
    fill_template(template, filled)
    register = tmp_path / "register.csv"
    register.write_text("urn,school_name,phase,locality\n900999,Other School,primary,North\n")
    result = run("validate", str(filled), "--register", str(register))
    assert result.returncode == 1 and "not a school on the LA's register" in result.stdout


def test_contract_and_duty_pages_are_generated_from_their_sources() -> None:
    from sendwatch.contract import duties_docs

    assert DOCS_PAGE.read_text(encoding="utf-8") == render(), (
        "docs are stale: run `uv run python -m sendwatch.contract.docs`"
    )
    assert duties_docs.DUTIES_PAGE.read_text(encoding="utf-8") == duties_docs.render()
    assert "`senco_designated` | A SENCO is designated" in duties_docs.render()


def test_the_repository_stands_on_its_own() -> None:
    """No file the project tracks sends a reader to a path outside the repository."""
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    # spelt in pieces, so that this test does not name what it looks for
    outside = ("../" + "shared", *("shared/" + part for part in ("contract", "data", "reference")))
    for name in tracked:
        path = PROJECT_ROOT / name
        if path.suffix in (".py", ".md", ".yml", ".sql", ".toml", ".sh", ".txt", ".json") or (
            name.startswith("scripts/")
        ):
            text = path.read_text(encoding="utf-8", errors="replace")
            assert not any(marker in text for marker in outside), name


def test_readers_import_nothing_from_the_pipeline() -> None:
    """The pipeline writes snapshots; the dashboard and the exports only read them."""
    import ast

    readers = [*sorted((PROJECT_ROOT / "dashboards").rglob("*.py")),
               PROJECT_ROOT / "src" / "sendwatch" / "exports.py"]  # fmt: skip
    for path in readers:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            assert not any(n.startswith("sendwatch.pipeline") for n in names), path


def test_settings_from_environment_and_toml(tmp_path: Path) -> None:
    default = load_settings({})
    assert default.home == PROJECT_ROOT / "var"
    assert default.register == PROJECT_ROOT / "var" / "sample" / "register.csv"
    home = tmp_path / "home"
    home.mkdir()
    (home / "sendwatch.toml").write_text('[sendwatch]\nregister = "la/register.csv"\n')
    from_file = load_settings({"SENDWATCH_HOME": str(home)})
    assert from_file.home == home and from_file.register == PROJECT_ROOT / "la/register.csv"
    env_wins = load_settings({"SENDWATCH_HOME": str(home), "SENDWATCH_REGISTER": "/x/r.csv"})
    assert env_wins.register == Path("/x/r.csv")
    assert env_wins.landing == home / "landing" and env_wins.quarantine == home / "quarantine"
    assert default.validation_batch == 1000
    assert load_settings({"SENDWATCH_VALIDATION_BATCH": "25"}).validation_batch == 25
    assert default.validation_processes == (os.cpu_count() or 1)
    assert load_settings({"SENDWATCH_VALIDATION_PROCESSES": "3"}).validation_processes == 3
    for wrong in ("0", "-3", "many"):
        with pytest.raises(ValueError, match="validation_batch"):
            load_settings({"SENDWATCH_VALIDATION_BATCH": wrong})
        with pytest.raises(ValueError, match="validation_processes"):
            load_settings({"SENDWATCH_VALIDATION_PROCESSES": wrong})


def test_settings_do_not_depend_on_the_current_directory(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert load_settings({"SENDWATCH_HOME": "var"}).home == PROJECT_ROOT / "var"


def test_register_problems_name_file_row_and_column(tmp_path: Path) -> None:
    from sendwatch.register import RegisterError, read_register

    register = tmp_path / "register.csv"
    register.write_text(
        "urn,school_name,phase,locality\n900001,A,primary,North\n9001,B,primary,X\n"
    )
    try:
        read_register(register)
    except RegisterError as error:
        assert str(error).startswith("register.csv, row 3, column urn:")
    else:
        raise AssertionError("a 4-digit URN was accepted")
    register.write_text(
        "urn,school_name,phase,locality,opened\n900001,A,Primary,North,01/09/2025\n"
    )
    school = read_register(register)[0]
    assert school.phase == "primary" and school.opened == date(2025, 9, 1)


def test_expectation_suites_are_generated_from_the_contract() -> None:
    import json

    from sendwatch.pipeline.gates import ALL_SUITES, EXPECTATIONS

    for name, build in ALL_SUITES.items():
        committed = json.loads((EXPECTATIONS / f"{name}.json").read_text(encoding="utf-8"))
        assert committed == build(), "stale: run `uv run python -m sendwatch.pipeline.gates`"
    pupils = json.loads((EXPECTATIONS / "raw_pupil_returns.json").read_text(encoding="utf-8"))
    in_set = {e["kwargs"]["column"]: e["kwargs"]["value_set"] for e in pupils["expectations"]
              if e["type"] == "expect_column_values_to_be_in_set"}  # fmt: skip
    assert in_set["primary_need"] == list(CONTRACT.sheet("pupils").column("primary_need").allowed)


def test_term_dates_seed_follows_the_census_rules() -> None:
    from sendwatch.terms import SAMPLE_TERMS

    rows = (PROJECT_ROOT / "seeds" / "term_dates.csv").read_text().splitlines()[1:]
    expected = [
        f"{t.academic_year},{t.term},{t.starts_on},{t.ends_on},{t.census_date},{t.deadline}"
        for t in SAMPLE_TERMS
    ]
    assert rows == expected
    # first Thursday of October, third of January and of May; terms cover every day
    assert rows[0] == "2024-25,autumn,2024-09-01,2024-12-31,2024-10-03,2024-10-31"
    assert rows[1] == "2024-25,spring,2025-01-01,2025-04-30,2025-01-16,2025-02-13"
    assert rows[2] == "2024-25,summer,2025-05-01,2025-08-31,2025-05-15,2025-06-12"


def test_exported_cells_never_start_a_formula() -> None:
    from sendwatch.exports import neutralise

    for text in ('=HYPERLINK("http://x.example")', "+1", "-2+3", "@SUM(A1)"):
        assert neutralise(text) == "'" + text
    assert neutralise("900123_2025-26_autumn.xlsx") == "900123_2025-26_autumn.xlsx"
    assert neutralise(42) == 42


def test_retention_lists_then_removes_only_expired_files_and_records_them(tmp_path) -> None:
    import json

    home = tmp_path / "home"
    old = home / "archive" / "2020-01-06" / "101500-abcdef123456" / "day" / "900123_x.xlsx"
    new = home / "quarantine" / "2099-01-06" / "101500-abcdef123456" / "day" / "900124_x.xlsx"
    for path in (old, new):
        path.parent.mkdir(parents=True)
        path.write_bytes(b"bytes of " + path.name.encode())
    env = {"SENDWATCH_HOME": str(home)}
    kept_for_ever = run("retention", env=env)
    assert kept_for_ever.returncode == 0 and "kept for ever" in kept_for_ever.stdout
    env["SENDWATCH_RETENTION_DAYS"] = "365"
    listed = run("retention", env=env)
    assert "WOULD REMOVE archive/2020-01-06/" in listed.stdout and old.exists()
    assert "2099" not in listed.stdout
    applied = run("retention", "--apply", env=env)
    assert applied.returncode == 0 and not old.exists() and new.exists()
    (record,) = (home / "retention.jsonl").read_text().splitlines()
    assert json.loads(record)["path"].endswith("900123_x.xlsx")
    assert json.loads(record)["bytes"] == len(b"bytes of 900123_x.xlsx")
    assert not (home / "archive" / "2020-01-06").exists()
    bad = run("retention", env={**env, "SENDWATCH_RETENTION_DAYS": "a year"})
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


# duties-v1's default band edges, as the specification publishes them (in the
# measure's units: months, shares, counts, ratios): the seed may be changed by an LA,
# but the defaults the project ships must be these. (check: amber, red, amber above,
# red above)
DUTIES_V1_DEFAULTS = {
    "senco_designated": (None, "1", None, None),
    "senco_qualified_teacher": (None, "1", None, None),
    "senco_award": ("30", "36", None, None),
    "sen_information_report": ("12", "18", None, None),
    "accessibility_plan": ("36", "42", None, None),
    "parents_informed": ("1", "0.95", None, None),
    "support_planned": ("0.9", "0.75", None, None),
    "reviews_on_time": ("0.9", "0.75", None, None),
    "parent_meetings": ("0.9", "0.75", None, None),
    "pupil_views": ("0.9", "0.75", None, None),
    "specialists_agreed": ("1", "0.9", None, None),
    "part_time_timetables": ("1", "0.03", None, None),
    "identification_rate": ("0.5", "0.33", "1.75", "2.5"),
    "high_cost_no_ehc_request": ("1", "3", None, None),
    "notional_budget_use": ("0.6", "0.4", "1.3", "1.6"),
    "parent_led_ehc_requests": ("0.5", None, None, None),
    "return_received": ("1", "2", None, None),
}


def test_the_shipped_band_edges_are_duties_v1s_defaults() -> None:
    from fractions import Fraction

    from sendwatch.contract.duties import duty_checks

    def edges(values: tuple[str | None, ...]) -> tuple[Fraction | None, ...]:
        return tuple(None if v is None else Fraction(v) for v in values)

    shipped = {
        check_id: (check.amber_at, check.red_at, check.amber_high_at, check.red_high_at)
        for check_id, check in duty_checks().items()
    }
    assert shipped == {check_id: edges(v) for check_id, v in DUTIES_V1_DEFAULTS.items()}
