"""Reading return files (XLSX workbooks and CSV files) into raw sheets, within bounds.

Nothing is evaluated: formulas are reported, text that starts with ``=`` is kept
as text. Headers are normalised (case, spaces) and wholly blank rows and columns
are dropped, as contract section 6 allows.

A delivered file is untrusted. Every read is bounded by :class:`Limits`, so what
one file costs does not depend on what it claims about itself:

* the file's size is checked before anything is read;
* a workbook's parts are checked against their declared sizes and compression
  ratios before any is decompressed (Python's zipfile never inflates a part
  beyond its declared size: a part that lies fails its checksum);
* sheets are streamed row by row with lxml, never materialised, and the declared
  dimension, rows and columns are checked while streaming;
* XML entities are never expanded and a document type declaration (which Excel
  never writes) rejects the file, so "billion laughs" costs nothing;
* sheets outside the contract are only inspected (for personal data), not kept.

Anything that goes wrong while reading is an :class:`UnreadableFile` with a reason
a school can act on.
"""

from __future__ import annotations

import csv
import io
import posixpath
import re
import zipfile
import zlib
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
from openpyxl.utils.datetime import from_excel

from sendwatch.problems import Problem, column_letter
from sendwatch.settings import Limits
from sendwatch.values import cell_text, is_blank

CSV_ENCODINGS = ("utf-8-sig", "cp1252")
OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
RELATIONSHIP_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
PACKAGE_RELATIONSHIP = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
RATIO_CHECKED_ABOVE = 1024 * 1024  # small parts may compress very well without harm
MAX_PARTS = 5_000
CELL_REFERENCE = re.compile(r"^([A-Z]{1,3})(\d+)$")
DIMENSION = re.compile(r"^\$?([A-Z]{1,3})?\$?(\d+)?(?::\$?([A-Z]{1,3})\$?(\d+))?$")

# Called with (sheet title, row number, cells) for every row of every sheet, kept or
# not; returns problems (personal data found). Lets the validator look at sheets the
# contract ignores without the reader keeping them.
RowInspector = Callable[[str, int, list[Any]], list[Problem]]


class UnreadableFile(Exception):
    """The file cannot be read (at all, or within the limits)."""

    def __init__(
        self,
        file_name: str,
        message: str,
        rule_id: str = "unreadable_file",
        sheet: str | None = None,
        row: int | None = None,
        column_letter: str | None = None,
    ) -> None:
        super().__init__(message)
        self.file_name = file_name
        self.message = message
        self.rule_id = rule_id
        self.sheet = sheet
        self.row = row
        self.column_letter = column_letter

    def problem(self) -> Problem:
        return Problem(
            self.file_name,
            self.rule_id,
            self.message,
            sheet=self.sheet,
            row=self.row,
            column_letter=self.column_letter,
        )


@dataclass
class RawSheet:
    """A sheet as sent: normalised headings, raw cells, spreadsheet row numbers."""

    file_name: str
    name: str
    headers: list[str]
    rows: list[tuple[int, list[Any]]]
    problems: list[Problem] = field(default_factory=list)
    encoding: str = ""
    title: str = ""  # the sheet's name as the school typed it
    header_row: int = 1


def normalise_header(raw: Any) -> str:
    text = cell_text(raw).replace("\ufeff", "").strip().lower()
    return re.sub(r"[\s\-]+", "_", text)


def _tidy(file_name: str, sheet: str, grid: list[tuple[int, list[Any]]]) -> RawSheet:
    """Turn rows of cells (the first is the header) into a RawSheet."""
    grid = [(number, cells) for number, cells in grid if not all(is_blank(c) for c in cells)]
    if not grid:
        return RawSheet(file_name, sheet, [], [])
    header_row, header_cells = grid[0]
    headers = [normalise_header(cell) for cell in header_cells]
    while headers and headers[-1] == "":
        headers.pop()
    sheet_out = RawSheet(file_name, sheet, headers, [], header_row=header_row)
    for index, header in enumerate(headers):
        if header == "":
            sheet_out.problems.append(
                Problem(
                    file_name,
                    "unknown_column",
                    "this column has no heading",
                    sheet=sheet,
                    row=header_row,
                    column_letter=column_letter(index),
                )
            )
    width = len(headers)
    for number, cells in grid[1:]:
        extra = [c for c in cells[width:] if not is_blank(c)]
        if extra:
            sheet_out.problems.append(
                Problem(
                    file_name,
                    "ragged_row",
                    f"this row has {width + len(cells[width:])} cells but only {width} headings",
                    sheet=sheet,
                    row=number,
                    column_letter=column_letter(width),
                )
            )
        padded = list(cells[:width]) + [None] * (width - len(cells[:width]))
        sheet_out.rows.append((number, padded))
    return sheet_out


def oversize(size: int, limits: Limits) -> str | None:
    """Why a file of ``size`` bytes is not read at all, or None if it may be."""
    if size <= limits.max_file_bytes:
        return None
    return (
        f"the file is {size / 1024 / 1024:,.1f} MB; sendwatch takes files of up to "
        f"{limits.max_file_mb:g} MB"
    )


def _check_file_size(file_name: str, data: bytes, limits: Limits) -> None:
    message = oversize(len(data), limits)
    if message:
        raise UnreadableFile(file_name, message, "too_large")
    if not data.strip():
        raise UnreadableFile(file_name, "the file is empty")


# --- CSV -----------------------------------------------------------------------------


def decode_csv(file_name: str, data: bytes) -> tuple[str, str]:
    """Text and encoding of a CSV file: UTF-8 (BOM or not), else Windows-1252."""
    head = data[:4096]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or _looks_like_utf16(head):
        raise UnreadableFile(
            file_name,
            "the file is saved as UTF-16 ('Unicode text'), not as UTF-8 or Windows-1252",
            "csv_encoding",
        )
    for encoding in CSV_ENCODINGS:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise UnreadableFile(file_name, "the file is not text in UTF-8 or Windows-1252", "csv_encoding")


def _looks_like_utf16(head: bytes) -> bool:
    """Text saved as UTF-16 without a byte-order mark: every other byte is zero."""
    if len(head) < 8:
        return False
    zeros_even = head[0::2].count(0) / len(head[0::2])
    zeros_odd = head[1::2].count(0) / len(head[1::2])
    return max(zeros_even, zeros_odd) > 0.4 and min(zeros_even, zeros_odd) < 0.1


def _check_delimiter(file_name: str, text: str) -> None:
    first = next((line for line in text.splitlines() if line.strip()), "")
    if "," in first:
        return
    for delimiter, label in ((";", "semicolons (;)"), ("\t", "tabs"), ("|", "bars (|)")):
        if first.count(delimiter) >= 2:
            raise UnreadableFile(
                file_name,
                f"the columns are separated by {label}, not commas",
                "csv_delimiter",
                row=1,
            )


def read_csv(file_name: str, data: bytes, sheet: str, limits: Limits | None = None) -> RawSheet:
    limits = limits or Limits()
    _check_file_size(file_name, data, limits)
    if b"\x00" in data[:4096] and not _looks_like_utf16(data[:4096]):
        raise UnreadableFile(file_name, "the file is not a CSV text file (it contains binary data)")
    text, encoding = decode_csv(file_name, data)
    if "\x00" in text:
        raise UnreadableFile(file_name, "the file is not a CSV text file (it contains binary data)")
    _check_delimiter(file_name, text)
    reader = csv.reader(io.StringIO(text, newline=""))
    grid: list[tuple[int, list[Any]]] = []
    try:
        for number, cells in enumerate(reader, start=1):
            _check_bounds(file_name, sheet, number, len(cells), limits, cells)
            grid.append((number, list(cells)))
    except csv.Error as error:
        raise UnreadableFile(
            file_name, f"the CSV cannot be read near line {reader.line_num}: {error}"
        ) from None
    raw = _tidy(file_name, sheet, grid)
    raw.encoding = encoding
    return raw


def _check_bounds(
    file_name: str, sheet: str, number: int, width: int, limits: Limits, cells: list[Any]
) -> None:
    """Stop reading as soon as a sheet goes past the limits (blank cells do not count)."""
    if width > limits.max_columns and any(not is_blank(c) for c in cells[limits.max_columns :]):
        raise UnreadableFile(
            file_name,
            f"this row has values beyond column {column_letter(limits.max_columns - 1)}; "
            f"a return has at most {limits.max_columns} columns",
            "too_large",
            sheet=sheet,
            row=number,
        )
    if number > limits.max_rows + 1 and any(not is_blank(c) for c in cells):
        raise UnreadableFile(
            file_name,
            f"the sheet goes on past row {limits.max_rows + 1}; a return has at most "
            f"{limits.max_rows} rows a sheet",
            "too_large",
            sheet=sheet,
            row=number,
        )


# --- XLSX ----------------------------------------------------------------------------


def sniff_workbook(file_name: str, data: bytes) -> None:
    """Say what a file that is not an .xlsx workbook is, with what to do about it."""
    if data.startswith(OLE2_SIGNATURE):
        if ENCRYPTED_PACKAGE in data:
            raise UnreadableFile(
                file_name, "the workbook is protected with a password", "encrypted_workbook"
            )
        raise UnreadableFile(
            file_name,
            "the file is an old Excel 97-2003 workbook (.xls) named .xlsx",
            "old_excel_format",
        )
    if not data.startswith(b"PK"):
        kind = "a PDF document" if data.startswith(b"%PDF") else "not an Excel workbook"
        if kind.startswith("not") and _is_text(data[:4096]):
            kind = "text (perhaps a CSV file), not an Excel workbook"
        raise UnreadableFile(file_name, f"the file is not an Excel .xlsx workbook: it is {kind}")


def _is_text(head: bytes) -> bool:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return b"\x00" not in head


def _check_parts(file_name: str, archive: zipfile.ZipFile, limits: Limits) -> None:
    """Check every part's declared size and ratio before anything is decompressed."""
    parts = archive.infolist()
    if len(parts) > MAX_PARTS:
        raise UnreadableFile(file_name, f"the workbook has {len(parts)} parts", "too_large")
    names = {part.filename for part in parts}
    if "mimetype" in names:
        raise UnreadableFile(
            file_name,
            "the file is an OpenDocument spreadsheet (.ods), not an Excel .xlsx workbook",
            "old_excel_format",
        )
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        raise UnreadableFile(
            file_name, "the workbook contains macros (it is macro-enabled)", "macro_workbook"
        )
    total = 0
    for part in parts:
        if part.flag_bits & 0x1:
            raise UnreadableFile(
                file_name, "a part of the workbook is encrypted", "encrypted_workbook"
            )
        total += part.file_size
        ratio = part.file_size / max(part.compress_size, 1)
        too_big = part.file_size > limits.max_inflated_bytes
        too_packed = part.file_size > RATIO_CHECKED_ABOVE and ratio > limits.max_ratio
        if too_big or too_packed:
            raise UnreadableFile(
                file_name,
                f"a part of the workbook ({part.filename}) would take "
                f"{part.file_size / 1024 / 1024:,.0f} MB once decompressed"
                + (f", {ratio:,.0f} times its packed size" if too_packed else "")
                + f"; sendwatch takes parts of up to {limits.max_inflated_mb:g} MB "
                f"and {limits.max_ratio} times",
                "too_large",
            )
    if total > 2 * limits.max_inflated_bytes:
        raise UnreadableFile(
            file_name,
            f"the workbook would take {total / 1024 / 1024:,.0f} MB once decompressed",
            "too_large",
        )


def _xml_events(
    archive: zipfile.ZipFile, member: str, tags: tuple[str, ...]
) -> Iterator[etree._Element]:
    """The elements named ``tags`` of one part, as they end, cleared behind us.

    Entities are never resolved, nothing is fetched, and a document type
    declaration (Excel never writes one) stops the read.
    """
    with archive.open(member) as stream:
        events = etree.iterparse(
            stream,
            events=("end",),
            tag=tags,
            resolve_entities=False,
            load_dtd=False,
            no_network=True,
            huge_tree=False,
        )
        checked = False
        for _, element in events:
            if not checked:
                docinfo = element.getroottree().docinfo
                if docinfo.internalDTD is not None or docinfo.doctype:
                    raise _DocumentType(member)
                checked = True
            yield element
            element.clear(keep_tail=True)
            parent = element.getparent()
            while element.getprevious() is not None and parent is not None:
                del parent[0]


class _DocumentType(Exception):
    """A part declares a DTD."""


def _member(path: str, base: str = "xl") -> str:
    if path.startswith("/"):
        return path.lstrip("/")
    return posixpath.normpath(posixpath.join(base, path))


class _Workbook:
    """The parts of an .xlsx package this reader needs, read within the limits."""

    def __init__(self, file_name: str, archive: zipfile.ZipFile, limits: Limits) -> None:
        self.file_name = file_name
        self.archive = archive
        self.limits = limits
        self.names = set(archive.namelist())

    def sheets(self) -> list[tuple[str, str]]:
        """(title, part) of each worksheet, in workbook order."""
        if "xl/workbook.xml" not in self.names:
            raise UnreadableFile(
                self.file_name,
                "the file is a zip package but not an Excel workbook (it has no xl/workbook.xml)",
            )
        targets: dict[str, str] = {}
        rels = "xl/_rels/workbook.xml.rels"
        if rels in self.names:
            for rel in _xml_events(self.archive, rels, (PACKAGE_RELATIONSHIP,)):
                if rel.get("Type", "").endswith("/worksheet"):
                    targets[rel.get("Id", "")] = _member(rel.get("Target", ""))
        found = []
        for sheet in _xml_events(self.archive, "xl/workbook.xml", (f"{MAIN}sheet",)):
            target = targets.get(sheet.get(RELATIONSHIP_ID, ""))
            if target is not None:  # chart sheets and the like hold no cells
                if target not in self.names:
                    raise UnreadableFile(
                        self.file_name, f"the sheet '{sheet.get('name')}' is missing its part"
                    )
                found.append((sheet.get("name", ""), target))
        return found

    def shared_strings(self) -> list[str]:
        member = "xl/sharedStrings.xml"
        if member not in self.names:
            return []
        strings: list[str] = []
        most = self.limits.max_rows * self.limits.max_columns
        for item in _xml_events(self.archive, member, (f"{MAIN}si",)):
            strings.append(_text_of(item))
            if len(strings) > most:
                raise UnreadableFile(
                    self.file_name, "the workbook holds more text than a return can", "too_large"
                )
        return strings

    def date_styles(self) -> set[int]:
        """Indexes of the cell styles that show a number as a date."""
        member = "xl/styles.xml"
        if member not in self.names:
            return set()
        formats = dict(BUILTIN_FORMATS)
        styles: list[int] = []
        tags = (f"{MAIN}numFmt", f"{MAIN}xf")
        for element in _xml_events(self.archive, member, tags):
            if element.tag == f"{MAIN}numFmt":
                formats[int(element.get("numFmtId", "0"))] = element.get("formatCode", "")
            elif element.getparent() is not None and element.getparent().tag == f"{MAIN}cellXfs":
                styles.append(int(element.get("numFmtId", "0")))
        return {
            index
            for index, format_id in enumerate(styles)
            if is_date_format(formats.get(format_id, "")) or 14 <= format_id <= 22
        }


def _text_of(item: etree._Element) -> str:
    """Text of a shared or inline string, rich text runs joined, phonetic runs left out."""
    return "".join(
        node.text or ""
        for node in item.iter(f"{MAIN}t")
        if node.getparent() is None or node.getparent().tag != f"{MAIN}rPh"
    )


def _column_index(letters: str) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + (ord(letter) - 64)
    return index - 1


class _SheetReader:
    """Streams one worksheet's rows within the limits."""

    def __init__(
        self,
        book: _Workbook,
        title: str,
        member: str,
        shared: list[str],
        date_styles: set[int],
    ) -> None:
        self.book = book
        self.title = title
        self.name = title.strip().lower()
        self.member = member
        self.shared = shared
        self.date_styles = date_styles
        self.formulas: list[Problem] = []

    def fail(self, message: str, rule: str = "damaged_file", row: int | None = None,
             column: int | None = None) -> UnreadableFile:  # fmt: skip
        return UnreadableFile(
            self.book.file_name,
            message,
            rule,
            sheet=self.name,
            row=row,
            column_letter=column_letter(column) if column is not None else None,
        )

    def rows(self) -> Iterator[tuple[int, list[Any]]]:
        limits = self.book.limits
        previous = 0
        tags = (f"{MAIN}dimension", f"{MAIN}row")
        for element in _xml_events(self.book.archive, self.member, tags):
            if element.tag == f"{MAIN}dimension":
                self._check_dimension(element.get("ref", ""))
                continue
            number = self._row_number(element, previous)
            previous = number
            cells = self._cells(element, number)
            _check_bounds(self.book.file_name, self.name, number, len(cells), limits, cells)
            yield number, cells

    def _check_dimension(self, ref: str) -> None:
        """The sheet's declared size, checked before a single row is read."""
        match = DIMENSION.match(ref.upper())
        if not match:
            return
        last_column = match[3] or match[1]
        last_row = match[4] or match[2]
        limits = self.book.limits
        columns = _column_index(last_column) + 1 if last_column else 0
        rows = int(last_row) if last_row else 0
        if columns > limits.max_columns or rows > limits.max_rows + 1:
            raise self.fail(
                f"the sheet says it spans {ref} ({rows:,} rows, {columns:,} columns); a return "
                f"has at most {limits.max_rows:,} rows and {limits.max_columns} columns a sheet",
                "too_large",
            )

    def _row_number(self, element: etree._Element, previous: int) -> int:
        raw = element.get("r")
        if raw is None:
            return previous + 1
        if not raw.isdigit() or int(raw) <= previous:
            raise self.fail("the rows of the sheet are out of order or misnumbered")
        return int(raw)

    def _cells(self, row: etree._Element, number: int) -> list[Any]:
        cells: list[Any] = []
        max_columns = self.book.limits.max_columns
        next_index = 0
        for cell in row.iter(f"{MAIN}c"):
            index = self._cell_index(cell, number, next_index)
            next_index = index + 1
            value = self._value(cell, number, index)
            if value is None:
                continue
            if index >= max_columns:
                cells.extend([None] * (max_columns + 1 - len(cells)))
                cells[max_columns] = value
                return cells  # _check_bounds rejects the row
            cells.extend([None] * (index + 1 - len(cells)))
            cells[index] = value
        return cells

    def _cell_index(self, cell: etree._Element, number: int, next_index: int) -> int:
        reference = cell.get("r")
        if reference is None:
            return next_index
        match = CELL_REFERENCE.match(reference)
        if not match or int(match[2]) != number:
            raise self.fail(f"a cell of row {number} has the reference '{reference[:12]}'",
                            row=number)  # fmt: skip
        return _column_index(match[1])

    def _value(self, cell: etree._Element, number: int, index: int) -> Any:
        kind = cell.get("t", "n")
        formula = cell.find(f"{MAIN}f")
        text = cell.findtext(f"{MAIN}v")
        if formula is not None:
            formula_text = "=" + (formula.text or "")
            self.formulas.append(
                Problem(
                    self.book.file_name,
                    "formula",
                    f"this cell holds the formula '{formula_text[:60]}'",
                    sheet=self.name,
                    row=number,
                    column_letter=column_letter(index),
                    value=formula_text[:60],
                )
            )
            return None
        if kind == "inlineStr":
            inline = cell.find(f"{MAIN}is")
            return _text_of(inline) if inline is not None else None
        if text is None:
            return None
        if kind == "s":
            try:
                return self.shared[int(text)]
            except (ValueError, IndexError):
                raise self.fail(
                    "a cell refers to a piece of text the workbook does not have",
                    row=number,
                    column=index,
                ) from None
        if kind == "b":
            return text.strip() == "1"
        if kind in ("str", "e", "d"):
            return text
        return self._number(cell, text, number, index)

    def _number(self, cell: etree._Element, text: str, number: int, index: int) -> Any:
        stripped = text.strip()
        try:
            value: int | float = (
                int(stripped) if re.fullmatch(r"-?\d+", stripped) else float(stripped)
            )
        except ValueError:
            raise self.fail(
                "a cell marked as a number does not hold a number", row=number, column=index
            ) from None
        style = cell.get("s")
        if style and style.isdigit() and int(style) in self.date_styles:
            try:
                return from_excel(value)
            except (ValueError, OverflowError, TypeError):
                return value
        return value


def read_workbook(
    file_name: str,
    data: bytes,
    limits: Limits | None = None,
    keep: Collection[str] | None = None,
    inspect_row: RowInspector | None = None,
) -> dict[str, RawSheet]:
    """The sheets of a workbook named in ``keep`` (all if None), by normalised name.

    Every sheet is streamed and passed row by row to ``inspect_row``; sheets not in
    ``keep`` come back with no rows, only the problems found in them.
    """
    limits = limits or Limits()
    _check_file_size(file_name, data, limits)
    sniff_workbook(file_name, data)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as error:
        raise UnreadableFile(
            file_name, f"the file is not an Excel .xlsx workbook ({error})"
        ) from None
    try:
        with archive:
            _check_parts(file_name, archive, limits)
            return _read_sheets(_Workbook(file_name, archive, limits), keep, inspect_row)
    except _DocumentType as error:
        raise UnreadableFile(
            file_name,
            f"a part of the workbook ({error}) declares a document type, which Excel never "
            "writes; sendwatch does not read such files",
            "damaged_file",
        ) from None
    except etree.XMLSyntaxError as error:
        raise UnreadableFile(
            file_name,
            f"the workbook is damaged: a part of it is not complete, valid XML (line "
            f"{error.lineno})",
            "damaged_file",
        ) from None
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, KeyError) as error:
        raise UnreadableFile(
            file_name,
            f"the workbook is damaged: a part of it cannot be unpacked ({type(error).__name__})",
            "damaged_file",
        ) from None


def _read_sheets(
    book: _Workbook, keep: Collection[str] | None, inspect_row: RowInspector | None
) -> dict[str, RawSheet]:
    shared = book.shared_strings()
    date_styles = book.date_styles()
    sheets: dict[str, RawSheet] = {}
    for title, member in book.sheets():
        reader = _SheetReader(book, title, member, shared, date_styles)
        kept = keep is None or reader.name in keep
        grid: list[tuple[int, list[Any]]] = []
        found: list[Problem] = []
        for number, cells in reader.rows():
            if inspect_row is not None:
                found.extend(inspect_row(reader.name, number, cells))
            if kept:
                grid.append((number, cells))
        raw = (
            _tidy(book.file_name, reader.name, grid)
            if kept
            else RawSheet(book.file_name, reader.name, [], [])
        )
        raw.title = title
        raw.problems[:0] = reader.formulas if kept else []
        raw.problems.extend(found)
        sheets[reader.name] = raw
    return sheets
