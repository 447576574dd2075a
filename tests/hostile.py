"""A corpus of hostile deliveries, built by code: broken, oversized, disguised and
personal-data-laden files, as schools' spreadsheets (and worse) produce them.

Each :class:`Case` is one delivery (a return or a SENDIASS file) with the rule it
must be rejected for, where the report must point, and ``secrets``: strings from
the offending value that must never reach a report, the warehouse or the
dashboard. Every case has its own URN (from 900200), so one night can take them all.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from helpers import pupil_row, school_row

from sendwatch.generate.writers import Style, render_return

YEAR, TERM = "2025-26", "autumn"
FIRST_URN = 900200
RECEIVED = date(2025, 10, 20)  # after the census, before the deadline
NHS_NUMBER = "9434765919"  # a valid modulus-11 check digit (NHS Digital's example)
SHEET2 = "xl/worksheets/sheet2.xml"  # the pupils sheet
ENQUIRY_HEADER = "enquiry_ref,received_date,urn,theme,is_complaint,closed_date\r\n"


@dataclass(frozen=True)
class Case:
    id: str
    rule: str
    place: str  # must appear in the report line, e.g. "sheet pupils, row 2, column A"
    files: dict[str, bytes] = field(repr=False, default_factory=dict)
    secrets: tuple[str, ...] = ()
    kind: str = "return"


def stem(urn: str) -> str:
    return f"{urn}_{YEAR}_{TERM}"


def workbook(urn: str, school: dict | None = None, pupils: list | None = None, **kw) -> bytes:
    school = school or school_row(urn=urn)
    pupils = pupils if pupils is not None else [pupil_row(n) for n in range(1, 4)]
    files = render_return(school, pupils, "xlsx", Style(), named_as=(urn, YEAR, TERM), **kw)
    return next(iter(files.values()))


def csv_pair(urn: str, school: dict | None = None, pupils: list | None = None) -> dict:
    school = school or school_row(urn=urn)
    pupils = pupils if pupils is not None else [pupil_row(n) for n in range(1, 4)]
    return render_return(school, pupils, "csv", Style(), named_as=(urn, YEAR, TERM))


def rezip(
    data: bytes,
    replace: dict[str, bytes | Callable[[bytes], bytes]] | None = None,
    add: dict[str, bytes] | None = None,
) -> bytes:
    """The same workbook with some parts replaced or added."""
    replace, add = replace or {}, add or {}
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            content = source.read(name)
            change = replace.get(name)
            if change is not None:
                content = change(content) if callable(change) else change
            target.writestr(name, content)
        for name, content in add.items():
            target.writestr(name, content)
    return out.getvalue()


def with_extra_sheet(data: bytes, name: str, state: str, target: str, sheet_xml: str) -> bytes:
    """The workbook with one more worksheet (``target`` as its relationship names it)."""
    relationships = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    entry = (
        f'<sheet xmlns:r="{relationships}" name="{name}" sheetId="9" state="{state}" '
        'r:id="rId99"/></sheets>'
    )
    link = (
        f'<Relationship Id="rId99" Target="{target}" Type="{relationships}/worksheet"/>'
        "</Relationships>"
    )
    part = "xl/" + target.removeprefix("/xl/") if target.startswith("/") else "xl/" + target
    return rezip(
        data,
        {
            "xl/workbook.xml": lambda xml: xml.replace(b"</sheets>", entry.encode()),
            "xl/_rels/workbook.xml.rels": lambda xml: xml.replace(
                b"</Relationships>", link.encode()
            ),
        },
        {part: sheet_xml.encode()},
    )


def pupils_sheet(change: Callable[[str], str]) -> Callable[[bytes], bytes]:
    return lambda xml: change(xml.decode()).encode()


def set_cell(reference: str, cell_xml: str) -> Callable[[str], str]:
    """Replace the cell at ``reference`` (e.g. A2) with raw cell XML."""

    def change(xml: str) -> str:
        pattern = re.compile(rf'<c r="{reference}"[^>]*?(?:/>|>.*?</c>)')
        assert pattern.search(xml), reference
        return pattern.sub(cell_xml, xml, count=1)

    return change


def inline(reference: str, text: str) -> str:
    return f'<c r="{reference}" t="inlineStr"><is><t>{text}</t></is></c>'


def with_pupil_ref(urn: str, value: str) -> dict[str, bytes]:
    pupils = [pupil_row(1, pupil_ref=value), pupil_row(2)]
    return {f"{stem(urn)}.xlsx": workbook(urn, pupils=pupils)}


def with_url(urn: str, url: str) -> dict[str, bytes]:
    school = school_row(urn=urn, sen_information_report_url=url)
    return {f"{stem(urn)}.xlsx": workbook(urn, school=school)}


# --- workbooks that are broken or bombs ---------------------------------------------


def truncated_sheet(urn: str) -> dict[str, bytes]:
    cut = pupils_sheet(lambda xml: xml[: len(xml) // 2])
    return {f"{stem(urn)}.xlsx": rezip(workbook(urn), {SHEET2: cut})}


def corrupt_deflate(urn: str) -> dict[str, bytes]:
    data = bytearray(workbook(urn))
    source = zipfile.ZipFile(io.BytesIO(bytes(data)))
    info = source.getinfo("xl/worksheets/sheet2.xml")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for offset in range(start + 10, start + min(info.compress_size, 200), 7):
        data[offset] ^= 0x5A
    return {f"{stem(urn)}.xlsx": bytes(data)}


def missing_shared_string(urn: str) -> dict[str, bytes]:
    sst = (
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" '
        b'uniqueCount="1"><si><t>K</t></si></sst>'
    )
    cell = pupils_sheet(set_cell("C3", '<c r="C3" t="s"><v>7</v></c>'))
    data = rezip(workbook(urn), {SHEET2: cell}, {"xl/sharedStrings.xml": sst})
    return {f"{stem(urn)}.xlsx": data}


def text_in_number_cell(urn: str) -> dict[str, bytes]:
    cell = pupils_sheet(set_cell("L2", '<c r="L2" t="n"><v>abc</v></c>'))
    return {f"{stem(urn)}.xlsx": rezip(workbook(urn), {SHEET2: cell})}


def _laughs(level: int) -> str:
    inner = "&lol;" if level == 1 else f"&lol{level - 1};"
    return f'<!ENTITY lol{level} "{inner * 10}">'


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY lol "lol">'
    + "".join(_laughs(level) for level in range(1, 10))
    + ']><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    "<si><t>&lol9;</t></si></sst>"
)


def billion_laughs(urn: str) -> dict[str, bytes]:
    data = rezip(workbook(urn), add={"xl/sharedStrings.xml": BILLION_LAUGHS.encode()})
    return {f"{stem(urn)}.xlsx": data}


def external_entity(urn: str) -> dict[str, bytes]:
    def change(xml: str) -> str:
        xml = '<!DOCTYPE worksheet [<!ENTITY leak SYSTEM "file:///etc/passwd">]>' + xml
        return set_cell("A2", inline("A2", "&leak;"))(xml)

    return {f"{stem(urn)}.xlsx": rezip(workbook(urn), {SHEET2: pupils_sheet(change)})}


def dimension_bomb(urn: str) -> dict[str, bytes]:
    def change(xml: str) -> str:
        return xml.replace("<sheetData>", '<dimension ref="A1:XFD1048576"/><sheetData>', 1)

    return {f"{stem(urn)}.xlsx": rezip(workbook(urn), {SHEET2: pupils_sheet(change)})}


def zip_bomb(urn: str, inflated_mb: int = 200) -> dict[str, bytes]:
    """A sheet part that would inflate to ``inflated_mb`` MB, packed into well under 1 MB."""
    out = io.BytesIO()
    source = zipfile.ZipFile(io.BytesIO(workbook(urn)))
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            if name != "xl/worksheets/sheet2.xml":
                target.writestr(name, source.read(name))
        with target.open("xl/worksheets/sheet2.xml", "w", force_zip64=True) as sheet:
            sheet.write(source.read("xl/worksheets/sheet2.xml").split(b"</sheetData>")[0])
            block = b" " * (1 << 20)
            for _ in range(inflated_mb):
                sheet.write(block)
            sheet.write(b"</sheetData></worksheet>")
    return {f"{stem(urn)}.xlsx": out.getvalue()}


def ratio_bomb(urn: str) -> dict[str, bytes]:
    """Under the size limit, but packed far more tightly than any real sheet."""
    return zip_bomb(urn, inflated_mb=20)


def too_many_rows(urn: str) -> dict[str, bytes]:
    def change(xml: str) -> str:
        row = re.search(r'<row r="3">.*?</row>', xml)[0]
        rows = "".join(re.sub(r'r="([A-Z]*)3"', rf'r="\g<1>{n}"', row) for n in range(5, 10_010))
        return xml.replace("</sheetData>", rows + "</sheetData>", 1)

    return {f"{stem(urn)}.xlsx": rezip(workbook(urn), {SHEET2: pupils_sheet(change)})}


def value_far_right(urn: str) -> dict[str, bytes]:
    def change(xml: str) -> str:
        row = re.search(r'<row r="2">.*?</row>', xml)[0]
        return xml.replace(row, row.replace("</row>", inline("ZZ2", "x") + "</row>"), 1)

    return {f"{stem(urn)}.xlsx": rezip(workbook(urn), {SHEET2: pupils_sheet(change)})}


def hidden_sheet_of_children(urn: str) -> dict[str, bytes]:
    sheet = (
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        "<sheetData><row r=\"1\">"
        + inline("A1", "Forename") + inline("B1", "Surname") + inline("C1", "DOB")
        + inline("D1", "UPN") + inline("E1", "Postcode")
        + '</row><row r="2">'
        + inline("A2", "Amelia") + inline("B2", "Hartley") + inline("C2", "2016-04-09")
        + inline("D2", "K801200300112") + inline("E2", "BH8 8DL")
        + "</row></sheetData></worksheet>"
    )  # fmt: skip
    data = with_extra_sheet(workbook(urn), "contacts", "hidden", "worksheets/sheet9.xml", sheet)
    return {f"{stem(urn)}.xlsx": data}


def macro_workbook(urn: str) -> dict[str, bytes]:
    data = rezip(workbook(urn), add={"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0 macro"})
    return {f"{stem(urn)}.xlsx": data}


OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def encrypted_workbook(urn: str) -> dict[str, bytes]:
    body = OLE2 + bytes(504) + "EncryptionInfo".encode("utf-16-le") + bytes(64)
    body += "EncryptedPackage".encode("utf-16-le") + bytes(2048)
    return {f"{stem(urn)}.xlsx": body}


def old_xls(urn: str) -> dict[str, bytes]:
    body = OLE2 + bytes(504) + "Workbook".encode("utf-16-le") + bytes(4096)
    return {f"{stem(urn)}.xlsx": body}


def ods_renamed(urn: str) -> dict[str, bytes]:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        target.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        target.writestr("content.xml", "<office:document-content/>")
    return {f"{stem(urn)}.xlsx": out.getvalue()}


def pdf_renamed(urn: str) -> dict[str, bytes]:
    return {f"{stem(urn)}.xlsx": b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"}


def zip_not_workbook(urn: str) -> dict[str, bytes]:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        target.writestr("readme.txt", "hello")
    return {f"{stem(urn)}.xlsx": out.getvalue()}


def lying_size(urn: str) -> dict[str, bytes]:
    """A part whose declared size is smaller than what it inflates to."""
    data = bytearray(workbook(urn))
    source = zipfile.ZipFile(io.BytesIO(bytes(data)))
    info = source.getinfo("xl/worksheets/sheet2.xml")
    real = info.file_size.to_bytes(4, "little")
    smaller = (info.file_size // 2).to_bytes(4, "little")
    data = bytearray(bytes(data).replace(real, smaller))
    return {f"{stem(urn)}.xlsx": bytes(data)}


# --- personal data --------------------------------------------------------------------


def upn_in_date_column(urn: str) -> dict[str, bytes]:
    pupils = [pupil_row(1, identified_date="K801200300112"), pupil_row(2)]
    return {f"{stem(urn)}.xlsx": workbook(urn, pupils=pupils)}


def nhs_number_in_integer_column(urn: str) -> dict[str, bytes]:
    pupils = [pupil_row(1, reviews_last_12m=int(NHS_NUMBER)), pupil_row(2)]
    return {f"{stem(urn)}.xlsx": workbook(urn, pupils=pupils)}


def postcode_in_extra_column(urn: str) -> dict[str, bytes]:
    pupils = [dict(pupil_row(1), note="moved to BH8 8DL"), pupil_row(2, note="")]
    return {f"{stem(urn)}.xlsx": workbook(urn, pupils=pupils, extra={"pupils": ["note"]})}


def name_as_heading(urn: str) -> dict[str, bytes]:
    pupils = [dict(pupil_row(1), extra="Y"), dict(pupil_row(2), extra="N")]
    data = workbook(urn, pupils=pupils, extra={"pupils": ["extra"]})
    rename = pupils_sheet(lambda xml: xml.replace("<t>extra</t>", "<t>Amelia Hartley</t>", 1))
    return {f"{stem(urn)}.xlsx": rezip(data, {SHEET2: rename})}


def email_in_notes_sheet(urn: str) -> dict[str, bytes]:
    data = workbook(urn)
    sheet = (
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<sheetData><row r="1">'
        + inline("A1", "ring mum on 07700 900123 or a.hartley@mail.example")
        + "</row></sheetData></worksheet>"
    )  # fmt: skip
    data = with_extra_sheet(data, "notes", "visible", "/xl/worksheets/notes.xml", sheet)
    return {f"{stem(urn)}.xlsx": data}


def names_in_two_cells(urn: str) -> dict[str, bytes]:
    pupils = [
        dict(pupil_row(1), first="Amelia", last="Hartley"),
        dict(pupil_row(2), first="", last=""),
    ]
    return {f"{stem(urn)}.xlsx": workbook(urn, pupils=pupils, extra={"pupils": ["first", "last"]})}


# --- CSV ---------------------------------------------------------------------------


def utf16_csv(urn: str) -> dict[str, bytes]:
    files = csv_pair(urn)
    name = f"{stem(urn)}_pupils.csv"
    files[name] = files[name].decode("utf-8").encode("utf-16")
    return files


def semicolon_csv(urn: str) -> dict[str, bytes]:
    files = csv_pair(urn)
    name = f"{stem(urn)}_school.csv"
    files[name] = files[name].replace(b",", b";")
    return files


def tab_csv(urn: str) -> dict[str, bytes]:
    files = csv_pair(urn)
    name = f"{stem(urn)}_pupils.csv"
    files[name] = files[name].replace(b",", b"\t")
    return files


def huge_csv(urn: str) -> dict[str, bytes]:
    files = csv_pair(urn)
    name = f"{stem(urn)}_pupils.csv"
    line = files[name].splitlines(keepends=True)[1]
    files[name] += line * (21 * 1024 * 1024 // len(line) + 1)
    return files


def more_pupils_than_roll(urn: str) -> dict[str, bytes]:
    pupils = [pupil_row(n) for n in range(1, 431)]
    return csv_pair(urn, school_row(urn=urn, number_on_roll=420), pupils)


def too_many_csv_rows(urn: str) -> dict[str, bytes]:
    files = csv_pair(urn, school_row(urn=urn, number_on_roll=50_000))
    name = f"{stem(urn)}_pupils.csv"
    lines = files[name].splitlines(keepends=True)
    extra = [lines[1].replace(b"REF-00001", f"REF-{n:06d}".encode()) for n in range(10, 10_010)]
    files[name] = b"".join([*lines, *extra])
    return files


def binary_csv(urn: str) -> dict[str, bytes]:
    files = csv_pair(urn)
    files[f"{stem(urn)}_school.csv"] = bytes(range(256)) * 8
    return files


def name_in_csv_ref(urn: str) -> dict[str, bytes]:
    return csv_pair(urn, pupils=[pupil_row(1, pupil_ref="HartleyAmelia09042016"), pupil_row(2)])


# --- SENDIASS ----------------------------------------------------------------------


def enquiries(rows: list[str], month: str = "2025-10") -> dict[str, bytes]:
    return {f"sendiass_enquiries_{month}.csv": (ENQUIRY_HEADER + "".join(rows)).encode()}


def enquiry_row(ref: str = "SIA-202510-00001", received: str = "2025-10-03", urn: str = "",
                theme: str = "transport") -> str:  # fmt: skip
    return f"{ref},{received},{urn},{theme},N,\r\n"


# --- the corpus ----------------------------------------------------------------------

A2 = "sheet pupils, row 2, column A (pupil_ref)"


def corpus() -> list[Case]:
    """Every hostile case, each with its own URN."""
    urns = iter(str(n) for n in range(FIRST_URN, FIRST_URN + 200))

    def case(id: str, rule: str, place: str, build: Callable[[str], dict], *secrets: str,
             kind: str = "return") -> Case:  # fmt: skip
        urn = next(urns)
        return Case(id, rule, place.replace("URN", urn), build(urn), secrets, kind)

    xlsx = "URN_2025-26_autumn.xlsx"
    pupils_csv = "URN_2025-26_autumn_pupils.csv"
    school_csv = "URN_2025-26_autumn_school.csv"
    enquiry_file = "sendiass_enquiries_2025-10.csv"
    cases = [
        case("truncated_sheet", "damaged_file", xlsx, truncated_sheet),
        case("corrupt_deflate", "damaged_file", xlsx, corrupt_deflate),
        case(
            "missing_shared_string",
            "damaged_file",
            f"{xlsx}, sheet pupils, row 3, column C",
            missing_shared_string,
        ),
        case(
            "text_in_number_cell",
            "damaged_file",
            f"{xlsx}, sheet pupils, row 2, column L",
            text_in_number_cell,
        ),
        case("billion_laughs", "damaged_file", xlsx, billion_laughs, "lollol"),
        case("external_entity", "damaged_file", xlsx, external_entity, "root:x:0"),
        case("dimension_bomb", "too_large", f"{xlsx}, sheet pupils", dimension_bomb),
        case("zip_bomb", "too_large", xlsx, zip_bomb),
        case("ratio_bomb", "too_large", xlsx, ratio_bomb),
        case("lying_size", "damaged_file", xlsx, lying_size),
        case("too_many_rows", "too_large", f"{xlsx}, sheet pupils, row 10002", too_many_rows),
        case("value_far_right", "too_large", f"{xlsx}, sheet pupils, row 2", value_far_right),
        case(
            "hidden_sheet_of_children",
            "personal_data_value",
            f"{xlsx}, sheet contacts, row 2, column A",
            hidden_sheet_of_children,
            "Amelia",
            "Hartley",
            "K801200300112",
            "BH8 8DL",
        ),
        case("macro_workbook", "macro_workbook", xlsx, macro_workbook),
        case("encrypted_workbook", "encrypted_workbook", xlsx, encrypted_workbook),
        case("old_xls", "old_excel_format", xlsx, old_xls),
        case("ods_renamed", "old_excel_format", xlsx, ods_renamed),
        case("pdf_renamed", "unreadable_file", xlsx, pdf_renamed),
        case("zip_not_workbook", "unreadable_file", xlsx, zip_not_workbook),
        case("empty_workbook", "unreadable_file", xlsx, lambda u: {f"{stem(u)}.xlsx": b""}),
        case(
            "name_and_birth_date_in_ref",
            "personal_data_value",
            f"{xlsx}, {A2}",
            lambda u: with_pupil_ref(u, "Oliver_Smith_2015-03-14"),
            "Oliver",
            "Smith",
            "2015-03-14",
        ),
        case(
            "birth_date_in_ref",
            "personal_data_value",
            f"{xlsx}, {A2}",
            lambda u: with_pupil_ref(u, "P-20160409-X"),
            "20160409",
        ),
        case(
            "nhs_number_in_ref",
            "personal_data_value",
            f"{xlsx}, {A2}",
            lambda u: with_pupil_ref(u, NHS_NUMBER),
            NHS_NUMBER,
        ),
        case(
            "lower_case_upn_in_ref",
            "personal_data_value",
            f"{xlsx}, {A2}",
            lambda u: with_pupil_ref(u, "k801200300112"),
            "k801200300112",
        ),
        case(
            "email_in_url",
            "personal_data_value",
            f"{xlsx}, sheet school, row 2, column J (sen_information_report_url)",
            lambda u: with_url(u, "https://school.example/sen?contact=amelia.hartley@mail.example"),
            "amelia.hartley",
        ),
        case(
            "phone_in_url",
            "personal_data_value",
            f"{xlsx}, sheet school, row 2, column J",
            lambda u: with_url(u, "https://school.example/sen?call=01202%20123456"),
            "123456",
        ),
        case(
            "child_name_in_url",
            "personal_data_value",
            f"{xlsx}, sheet school, row 2, column J",
            lambda u: with_url(u, "https://school.example/plans/oliver-smith-sen-plan.pdf"),
            "oliver-smith",
        ),
        case(
            "upn_in_date_column",
            "personal_data_value",
            f"{xlsx}, sheet pupils, row 2, column E (identified_date)",
            upn_in_date_column,
            "K801200300112",
        ),
        case(
            "nhs_number_in_integer_column",
            "personal_data_value",
            f"{xlsx}, sheet pupils, row 2, column L (reviews_last_12m)",
            nhs_number_in_integer_column,
            NHS_NUMBER,
        ),
        case(
            "postcode_in_extra_column",
            "personal_data_value",
            f"{xlsx}, sheet pupils, row 2, column U",
            postcode_in_extra_column,
            "BH8 8DL",
        ),
        case(
            "name_as_heading",
            "personal_data_value",
            f"{xlsx}, sheet pupils, row 1, column U",
            name_as_heading,
            "Amelia",
            "Hartley",
        ),
        case(
            "email_and_phone_in_notes_sheet",
            "personal_data_value",
            f"{xlsx}, sheet notes, row 1, column A",
            email_in_notes_sheet,
            "a.hartley",
            "07700",
        ),
        case(
            "names_in_two_cells",
            "personal_data_value",
            f"{xlsx}, sheet pupils, row 2, column U",
            names_in_two_cells,
            "Amelia",
            "Hartley",
        ),
        case("utf16_csv", "csv_encoding", pupils_csv, utf16_csv),
        case("semicolon_csv", "csv_delimiter", f"{school_csv}, row 1", semicolon_csv),
        case("tab_csv", "csv_delimiter", f"{pupils_csv}, row 1", tab_csv),
        case("huge_csv", "too_large", pupils_csv, huge_csv),
        case(
            "more_pupils_than_roll",
            "pupils_exceed_roll",
            f"{pupils_csv}, sheet pupils",
            more_pupils_than_roll,
        ),
        case(
            "too_many_csv_rows",
            "too_large",
            f"{pupils_csv}, sheet pupils, row 10002",
            too_many_csv_rows,
        ),
        case("binary_csv", "unreadable_file", school_csv, binary_csv),
        case(
            "name_in_csv_ref",
            "personal_data_value",
            f"{pupils_csv}, {A2}",
            name_in_csv_ref,
            "Hartley",
            "Amelia",
        ),
        case(
            "enquiry_ref_with_name_and_birth_date",
            "personal_data_value",
            f"{enquiry_file}, sheet enquiries, row 2, column A (enquiry_ref)",
            lambda u: enquiries([enquiry_row("Amelia_Hartley_2016-04-09")]),
            "Amelia",
            "Hartley",
            kind="enquiries",
        ),
        case(
            "enquiry_outside_the_month",
            "enquiry_month",
            f"{enquiry_file}, sheet enquiries, row 3, column B (received_date)",
            lambda u: enquiries([enquiry_row(), enquiry_row("SIA-2024-1", "2024-05-01")]),
            kind="enquiries",
        ),
        case(
            "enquiry_urn_not_on_register",
            "not_on_register",
            f"{enquiry_file}, sheet enquiries, row 2, column C (urn)",
            lambda u: enquiries([enquiry_row(urn="999999")]),
            kind="enquiries",
        ),
        case(
            "enquiries_in_utf16",
            "csv_encoding",
            enquiry_file,
            lambda u: {
                k: v.decode().encode("utf-16") for k, v in enquiries([enquiry_row()]).items()
            },
            kind="enquiries",
        ),
    ]
    return cases


def valid_return(urn: str) -> dict[str, bytes]:
    """A tidy valid return, for the nights that mix good files with the corpus."""
    return {f"{stem(urn)}.xlsx": workbook(urn, pupils=[pupil_row(n) for n in range(1, 6)])}


def register_rows(extra: list[str]) -> str:
    urns = [str(n) for n in range(FIRST_URN, FIRST_URN + 200)] + extra
    lines = ["urn,school_name,phase,locality"]
    lines += [f"{urn},Test School {urn},primary,North" for urn in urns]
    return "\n".join(lines) + "\n"
