"""The school return contract, version 1: the single definition in code.

Everything that needs to know what a return looks like (the validator, the
Great Expectations suites, the XLSX template, the generated contract page
``docs/contract-v1.md`` and the sample data generator) derives it from the objects in
this module.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from pathlib import PurePath
from typing import TypeVar

Item = TypeVar("Item")

VERSION = "1.0"
EARLIEST_DATE_YEAR = 2000


class Kind(StrEnum):
    """How a column's values are read and normalised (see ``sendwatch.values``)."""

    URN = "urn"
    ACADEMIC_YEAR = "academic_year"
    TERM = "term"
    DATE = "date"
    INTEGER = "integer"
    YES_NO = "yes_no"
    MONEY = "money"
    CODE = "code"
    CODE_LIST = "code_list"
    PUPIL_REF = "pupil_ref"
    REFERENCE = "reference"
    URL = "url"


KIND_DESCRIPTIONS: dict[Kind, str] = {
    Kind.URN: "6 digits, e.g. 113521",
    Kind.ACADEMIC_YEAR: "academic year as 2025-26",
    Kind.TERM: "autumn, spring or summer",
    Kind.DATE: "a date: 03/10/2025 (day first), 2025-10-03, 3 Oct 2025 or an Excel date",
    Kind.INTEGER: "a whole number",
    Kind.YES_NO: "Y or N (Yes/No, TRUE/FALSE and 1/0 are also read)",
    Kind.MONEY: "an amount in pounds, e.g. 6000, 6,000.00 or £6,000",
    Kind.CODE: "one of the listed codes",
    Kind.CODE_LIST: "codes from the list, separated by ;",
    Kind.PUPIL_REF: "6 to 40 letters, digits, - or _ (the school's own pseudonym, never the UPN)",
    Kind.REFERENCE: "6 to 40 letters, digits, - or _",
    Kind.URL: "a web address starting https://",
}

TERMS = ("autumn", "spring", "summer")
YEAR_GROUPS = ("R", *(str(n) for n in range(1, 15)))
SEN_STATUSES = ("K", "E")
PRIMARY_NEEDS = (
    "SPLD",
    "MLD",
    "SLD",
    "PMLD",
    "SEMH",
    "SLCN",
    "HI",
    "VI",
    "MSI",
    "PD",
    "ASD",
    "OTH",
    "NSA",
)
SENCO_AWARDS = ("achieved", "in_progress", "not_started")
SPECIALISTS = (
    "EP",
    "SALT",
    "OT",
    "PHYSIO",
    "SPECIALIST_TEACHER",
    "CAMHS",
    "SCHOOL_NURSE",
    "OTHER",
)
EHC_REQUESTERS = ("school", "parent", "other")
EHC_OUTCOMES = ("pending", "agreed", "refused", "withdrawn")
ENQUIRY_THEMES = (
    "sen_support_in_school",
    "ehc_needs_assessment",
    "ehc_plan",
    "exclusion",
    "transport",
    "complaint_about_school",
    "transition",
    "health",
    "other",
)
PHASES = ("primary", "secondary", "all_through")


@dataclass(frozen=True)
class Column:
    """One column of a sheet and the rules its values must meet."""

    name: str
    kind: Kind
    meaning: str
    paragraph: str = ""
    optional: bool = False  # True: a blank cell is allowed
    allowed: tuple[str, ...] = ()
    minimum: float | None = None
    exclusive_minimum: bool = False
    after_census_allowed: bool = False  # dates only: may lie after the census date
    blank_means: str = ""

    @cached_property
    def codes_by_key(self) -> dict[str, str]:
        """Each allowed code by its lower-case form, as a cell's text is matched to it."""
        return {code.lower(): code for code in self.allowed}

    @property
    def type_text(self) -> str:
        if self.allowed:
            joiner = "; " if self.kind is Kind.CODE_LIST else " / "
            text = joiner.join(self.allowed)
            if self.kind is Kind.CODE_LIST:
                text = f"list of {text}, separated by ;"
        else:
            text = KIND_DESCRIPTIONS[self.kind]
        if self.minimum is not None:
            text += f", {'more than' if self.exclusive_minimum else 'at least'} {self.minimum:g}"
        if self.optional:
            text += f"; blank {self.blank_means}" if self.blank_means else "; may be blank"
        return text


@dataclass(frozen=True)
class Sheet:
    """A sheet of the workbook (or one of the two CSV files)."""

    name: str
    purpose: str
    columns: tuple[Column, ...]
    exactly_one_row: bool = False
    allow_empty: bool = False

    # Looked up for every cell a school sends: worked out once per sheet, not per cell.
    @cached_property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    @cached_property
    def _by_name(self) -> dict[str, Column]:
        return {column.name: column for column in self.columns}

    def column(self, name: str) -> Column:
        return self._by_name[name]

    def find(self, name: str) -> Column | None:
        """The column of that name, or None for a heading outside the contract."""
        return self._by_name.get(name)


@dataclass(frozen=True)
class Rule:
    """A rule of contract section 6: breaking one rejects the whole return."""

    rule_id: str
    title: str
    advice: str


SCHOOL_SHEET = Sheet(
    name="school",
    purpose="One row about the school as a whole.",
    exactly_one_row=True,
    columns=(
        Column("urn", Kind.URN, "the school's Unique Reference Number (GIAS)"),
        Column("academic_year", Kind.ACADEMIC_YEAR, "the academic year of the return"),
        Column("term", Kind.TERM, "the term of the return", allowed=TERMS),
        Column("census_date", Kind.DATE, "the date the figures describe"),
        Column("number_on_roll", Kind.INTEGER, "pupils on roll", minimum=0, exclusive_minimum=True),
        Column("senco_designated", Kind.YES_NO, "a SENCO is designated", "6.2, 6.84 (must)"),
        Column(
            "senco_appointed_date",
            Kind.DATE,
            "when the current SENCO took the role",
            "6.85-6.86",
            optional=True,
            blank_means="if there is no SENCO",
        ),
        Column("senco_qualified_teacher", Kind.YES_NO, "the SENCO is a qualified teacher", "6.85"),
        Column(
            "senco_award",
            Kind.CODE,
            "National Award for SEN Co-ordination or NPQ for SENCOs",
            "6.85 (within 3 years of appointment)",
            allowed=SENCO_AWARDS,
        ),
        Column(
            "sen_information_report_url",
            Kind.URL,
            "where the SEN information report is published",
            "6.79 (must publish)",
            optional=True,
            blank_means="if none is published",
        ),
        Column(
            "sen_information_report_updated",
            Kind.DATE,
            "when the SEN information report was last updated",
            "6.79 (reviewed at least annually)",
            optional=True,
            blank_means="if none is published",
        ),
        Column(
            "accessibility_plan_updated",
            Kind.DATE,
            "last update of the accessibility plan",
            "6.2; Equality Act 2010 Sch. 10",
            optional=True,
            blank_means="if there is no plan",
        ),
        Column(
            "notional_sen_budget_gbp",
            Kind.MONEY,
            "notional SEN budget for the financial year",
            "6.96-6.99",
            minimum=0,
        ),
        Column(
            "sen_spend_gbp",
            Kind.MONEY,
            "spend on SEN provision so far this financial year",
            minimum=0,
        ),
        Column(
            "parent_concerns_logged",
            Kind.INTEGER,
            "concerns raised by parents about SEN this term",
            "6.45",
            minimum=0,
        ),
    ),
)

PUPILS_SHEET = Sheet(
    name="pupils",
    purpose="One row per pupil on the SEN register. No names, dates of birth or UPNs.",
    columns=(
        Column(
            "pupil_ref",
            Kind.PUPIL_REF,
            "the school's own stable pseudonym for the child, the same every term",
        ),
        Column("year_group", Kind.CODE, "national curriculum year", allowed=YEAR_GROUPS),
        Column(
            "sen_status",
            Kind.CODE,
            "K = SEN support, E = education, health and care (EHC) plan",
            allowed=SEN_STATUSES,
        ),
        Column("primary_need", Kind.CODE, "DfE school census need code", allowed=PRIMARY_NEEDS),
        Column("identified_date", Kind.DATE, "placed on the SEN register", "6.14-6.15"),
        Column(
            "parents_informed_date",
            Kind.DATE,
            "parents formally told that SEN provision is being made",
            "6.2, 6.48 (must)",
            optional=True,
            blank_means="if not yet",
        ),
        Column(
            "outcomes_agreed",
            Kind.YES_NO,
            "outcomes and support agreed with parents in a plan",
            "6.48",
        ),
        Column(
            "pupil_views_recorded",
            Kind.YES_NO,
            "the pupil's views were sought and recorded",
            "6.64-6.71",
        ),
        Column(
            "last_review_due",
            Kind.DATE,
            "the review date agreed in the plan",
            "6.52",
            optional=True,
            blank_means="if no review is due yet",
        ),
        Column(
            "last_review_held",
            Kind.DATE,
            "when that review took place",
            "6.52-6.54",
            optional=True,
            blank_means="if not held",
        ),
        Column(
            "next_review_due",
            Kind.DATE,
            "the next review date set in the plan",
            "6.48",
            optional=True,
            after_census_allowed=True,
            blank_means="if none is set",
        ),
        Column(
            "reviews_last_12m", Kind.INTEGER, "reviews held in the last twelve months", minimum=0
        ),
        Column(
            "parent_meetings_last_12m",
            Kind.INTEGER,
            "meetings with parents in the last twelve months",
            "6.65 (at least three a year)",
            minimum=0,
        ),
        Column(
            "specialist_involved",
            Kind.CODE_LIST,
            "specialists called in",
            "6.58-6.62",
            optional=True,
            allowed=SPECIALISTS,
            blank_means="if none",
        ),
        Column(
            "specialist_agreed_with_parents",
            Kind.YES_NO,
            "the specialist involvement was discussed and agreed with parents",
            "6.47, 6.59",
            optional=True,
            blank_means="if no specialist",
        ),
        Column(
            "provision_cost_gbp",
            Kind.MONEY,
            "estimated annual cost of this pupil's SEN provision",
            "6.99 (up to £6,000 from the notional budget)",
            minimum=0,
        ),
        Column(
            "part_time_timetable",
            Kind.YES_NO,
            "the pupil is on a part-time timetable",
            "6.2",
        ),
        Column(
            "ehc_request_date",
            Kind.DATE,
            "an EHC needs assessment was requested",
            "6.63",
            optional=True,
            blank_means="if none",
        ),
        Column(
            "ehc_requested_by",
            Kind.CODE,
            "who requested the EHC needs assessment",
            optional=True,
            allowed=EHC_REQUESTERS,
            blank_means="if none",
        ),
        Column(
            "ehc_request_outcome",
            Kind.CODE,
            "outcome of the EHC needs assessment request",
            optional=True,
            allowed=EHC_OUTCOMES,
            blank_means="if none",
        ),
    ),
)

SHEETS: tuple[Sheet, ...] = (SCHOOL_SHEET, PUPILS_SHEET)

ENQUIRIES_SHEET = Sheet(
    name="enquiries",
    purpose="One row per enquiry received by SENDIASS in the month.",
    allow_empty=True,
    columns=(
        Column("enquiry_ref", Kind.REFERENCE, "the service's own reference"),
        Column("received_date", Kind.DATE, "when the enquiry was received"),
        Column(
            "urn", Kind.URN, "the school the enquiry is about", optional=True, blank_means="if none"
        ),
        Column("theme", Kind.CODE, "what the enquiry is about", allowed=ENQUIRY_THEMES),
        Column("is_complaint", Kind.YES_NO, "the enquiry is a complaint"),
        Column(
            "closed_date", Kind.DATE, "when it was closed", optional=True, blank_means="if open"
        ),
    ),
)
ENQUIRIES_COLUMNS = ENQUIRIES_SHEET.columns

REGISTER_COLUMNS: tuple[str, ...] = ("urn", "school_name", "phase", "locality", "opened", "closed")

RULES: tuple[Rule, ...] = (
    Rule(
        "file_name",
        "The file name is <URN>_<YEAR>_<TERM>.xlsx, or _school.csv and _pupils.csv",
        "Rename the file, e.g. 113521_2025-26_spring.xlsx.",
    ),
    Rule(
        "unreadable_file",
        "The file can be opened: a real .xlsx workbook or a CSV text file, not empty",
        "Save the return again from the sendwatch template, or as CSV (comma separated).",
    ),
    Rule(
        "sheets",
        "The workbook has the sheets school and pupils (or both CSV files are sent)",
        "Use the sendwatch template, which has both sheets, or send both CSV files together.",
    ),
    Rule(
        "row_count",
        "The school sheet has exactly one row; the pupils sheet has at least one",
        "Fill in one school row, and one row for each pupil on the SEN register.",
    ),
    Rule(
        "missing_column",
        "Every column of the contract is present",
        "Add the missing column with its heading exactly as in the template.",
    ),
    Rule(
        "unknown_column",
        "No column outside the contract is present",
        "Delete the column, or rename it to the heading used in the template.",
    ),
    Rule(
        "ragged_row",
        "Every row has no more cells than the header",
        "Remove the extra cells to the right of the last heading.",
    ),
    Rule(
        "formula",
        "Cells hold values, not formulas",
        "Copy the sheet and use Paste Special > Values, then save again.",
    ),
    Rule(
        "required_value",
        "A value is given wherever the column may not be blank",
        "Fill in the cell.",
    ),
    Rule(
        "type",
        "Each value can be read as its column's type",
        "Correct the value to the form shown in the template's instructions.",
    ),
    Rule(
        "allowed_values",
        "Each coded value is one of the allowed codes",
        "Choose a value from the template's drop-down list.",
    ),
    Rule(
        "minimum",
        "Numbers and amounts are not below their minimum",
        "Correct the number: counts and amounts cannot be negative.",
    ),
    Rule(
        "census_in_future",
        "census_date is not in the future",
        "Use the census date of the term the figures describe.",
    ),
    Rule(
        "date_after_census",
        "No date except next_review_due lies after census_date",
        "Correct the date, or the census date, so the figures describe the census day.",
    ),
    Rule(
        "date_before_2000",
        "No date lies before 1 January 2000",
        "Correct the date: a date before 2000 is almost always a typing slip.",
    ),
    Rule(
        "duplicate_pupil_ref",
        "pupil_ref does not repeat within a return",
        "Give each pupil one row, with their own pupil_ref.",
    ),
    Rule(
        "identity_mismatch",
        "The URN, year and term inside the file match the file name",
        "Correct the school sheet or the file name so that they agree.",
    ),
    Rule(
        "personal_data_column",
        "No column names a child's name, date of birth, UPN, address or postcode",
        "Delete the column: returns must not identify children.",
    ),
    Rule(
        "personal_data_value",
        "No cell, in any sheet, holds a name, a date of birth, an NHS number, a UPN, a "
        "postcode, an email address or a phone number",
        "Remove it: use the school's own pseudonymous reference, and no names, dates of "
        "birth, contact details or addresses anywhere in the workbook, hidden sheets included.",
    ),
    Rule(
        "pupils_exceed_roll",
        "The pupils sheet has no more rows than number_on_roll",
        "Check number_on_roll and that the pupils sheet lists only pupils on the SEN register.",
    ),
    Rule(
        "too_large",
        "The file is within sendwatch's size limits (size, unpacked size, rows, columns)",
        "Send only the school and pupils sheets, with nothing below or to the right of the "
        "data; a return is rarely more than 1 MB.",
    ),
    Rule(
        "damaged_file",
        "The workbook is complete and undamaged",
        "Open the file in Excel; if it opens, save it again as a new .xlsx and send that.",
    ),
    Rule(
        "macro_workbook",
        "The workbook holds no macros",
        "In Excel use File > Save As > Excel Workbook (*.xlsx), which removes the macros.",
    ),
    Rule(
        "encrypted_workbook",
        "The workbook is not protected with a password",
        "Remove the password (File > Info > Protect Workbook > Encrypt with Password, "
        "clear it), save, and send the file again.",
    ),
    Rule(
        "old_excel_format",
        "The workbook is an Excel .xlsx workbook, not an older or other format",
        "Open it in Excel and use File > Save As > Excel Workbook (*.xlsx).",
    ),
    Rule(
        "csv_encoding",
        "A CSV file is text in UTF-8 or Windows-1252",
        "In Excel use File > Save As > CSV UTF-8 (Comma delimited) (*.csv).",
    ),
    Rule(
        "csv_delimiter",
        "A CSV file is separated by commas",
        "In Excel use File > Save As > CSV UTF-8 (Comma delimited) (*.csv); do not use a "
        "semicolon or tab separated format.",
    ),
    Rule(
        "two_formats",
        "A school and term is sent once a night, as a workbook or as a CSV pair, not both",
        "Send again only the version you want the LA to use: the workbook or the CSV pair.",
    ),
    Rule(
        "enquiry_month",
        "Every enquiry in sendiass_enquiries_<YYYY-MM>.csv was received in that month",
        "Move the enquiry to the file of the month it was received in.",
    ),
    Rule(
        "not_a_regular_file",
        "What arrives in landing is a file, not a link, folder link or device",
        "Copy the file itself into the landing folder; sendwatch does not follow links.",
    ),
    Rule(
        "internal_error",
        "sendwatch could check the file",
        "The fault is sendwatch's, not the file's: the LA has been told. Nothing needs to "
        "be sent again unless the LA asks.",
    ),
    Rule(
        "date_in_future",
        "No enquiry date lies in the future",
        "Correct the date.",
    ),
    Rule(
        "not_on_register",
        "The URN is a school on the LA's register (a blank URN is allowed in SENDIASS files)",
        "Check the URN; if it is right, ask the LA to add the school to its register.",
    ),
)
RULES_BY_ID: dict[str, Rule] = {rule.rule_id: rule for rule in RULES}


# --- file names ----------------------------------------------------------------

RETURN_FILE_PATTERN = re.compile(
    r"^(?P<urn>\d{6})_(?P<academic_year>\d{4}-\d{2})_(?P<term>autumn|spring|summer)"
    r"(?:\.(?P<xlsx>xlsx)|_(?P<sheet>school|pupils)\.(?P<csv>csv))$",
    re.IGNORECASE,
)
ENQUIRIES_FILE_PATTERN = re.compile(r"^sendiass_enquiries_(?P<month>\d{4}-\d{2})\.csv$")


@dataclass(frozen=True)
class ReturnName:
    """What a return's file name says about it."""

    urn: str
    academic_year: str
    term: str
    file_format: str  # "xlsx" or "csv"
    sheet: str | None = None  # for CSV: which sheet this file holds

    @property
    def return_key(self) -> str:
        return f"{self.urn}_{self.academic_year}_{self.term}"


def parse_return_file_name(file_name: str) -> ReturnName | None:
    """Read the URN, year, term (and sheet for CSV) from a return's file name."""
    match = RETURN_FILE_PATTERN.match(file_name)
    if not match:
        return None
    return ReturnName(
        urn=match["urn"],
        academic_year=match["academic_year"],
        term=match["term"].lower(),
        file_format="xlsx" if match["xlsx"] else "csv",
        sheet=match["sheet"].lower() if match["sheet"] else None,
    )


def delivery_key(file_name: str) -> tuple[str, str]:
    """What a file is by its name, and the key of the delivery it belongs to:
    ("return", "900123_2025-26_autumn.xlsx" or "..._autumn.csv" for both CSV files),
    ("enquiries", its name), or ("unknown", its name)."""
    name = parse_return_file_name(file_name)
    if name is not None:
        return "return", f"{name.return_key}.{name.file_format}"
    if ENQUIRIES_FILE_PATTERN.match(file_name):
        return "enquiries", file_name
    return "unknown", file_name


DeliveryGroup = tuple[str, str, str]  # (folder, kind, key)


def group_into_deliveries(
    items: Iterable[Item], path_of: Callable[[Item], PurePath]
) -> dict[DeliveryGroup, list[Item]]:
    """Files grouped into deliveries, the one rule the pipeline, ``validate`` and the
    checks share: by ``delivery_key``, and only within one folder (two schools'
    CSV pairs dropped in different folders never mix)."""
    groups: dict[DeliveryGroup, list[Item]] = {}
    for item in items:
        path = path_of(item)
        groups.setdefault((str(path.parent), *delivery_key(path.name)), []).append(item)
    return groups


def return_file_names(urn: str, academic_year: str, term: str, file_format: str) -> list[str]:
    """The file name(s) a return of this school and term must have."""
    stem = f"{urn}_{academic_year}_{term}"
    if file_format == "xlsx":
        return [f"{stem}.xlsx"]
    return [f"{stem}_{sheet.name}.csv" for sheet in SHEETS]


@dataclass(frozen=True)
class Contract:
    """The contract as one object, for code that handles several versions."""

    version: str = VERSION
    sheets: tuple[Sheet, ...] = field(default=SHEETS)
    rules: tuple[Rule, ...] = field(default=RULES)

    def sheet(self, name: str) -> Sheet:
        return next(sheet for sheet in self.sheets if sheet.name == name)


CONTRACT = Contract()
