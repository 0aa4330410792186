"""Reading mapping spreadsheets as finance saves them, and writing them back safely.

CSV comes from Excel and accounting tools in several shapes: UTF-8 with or without a BOM,
Windows-1252 ("CSV (Comma delimited)" in Excel), UTF-16 ("Unicode text"), and comma,
semicolon (European locales) or tab delimiters. Every reading problem becomes an
`ImportFileError` whose message a finance person can act on; the rows keep the numbers the
spreadsheet shows (header = row 1), blank rows included, so messages point at the right row.
"""

from __future__ import annotations

import csv
import io
import zipfile

import tablib
from import_export.formats.base_formats import CSV, XLSX

MAX_IMPORT_BYTES = 10 * 1024 * 1024
MAX_IMPORT_ROWS = 50_000
DELIMITERS = (",", ";", "\t")
# OWASP CSV injection: a cell starting with one of these is a formula to a spreadsheet.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


class ImportFileError(ValueError):
    """The file cannot be read; the message says why in words finance understands."""


def _decode(data: bytes) -> str:
    if not data.strip():
        raise ImportFileError("The file is empty.")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise ImportFileError("The file is not readable text.") from None
    if b"\x00" in data[:4096]:
        raise ImportFileError(
            "This is not a CSV file (it contains binary data). "
            "Save the spreadsheet as CSV or choose the XLSX format."
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        # Excel's "CSV (Comma delimited)" on Windows.
        return data.decode("cp1252")
    except UnicodeDecodeError:
        raise ImportFileError(
            "The file's characters could not be read: save it as 'CSV UTF-8' from Excel."
        ) from None


def _delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in DELIMITERS}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _unescape(value: str) -> str:
    """Undo our own export escaping ('=1 -> =1) so that an export re-imports unchanged."""
    if len(value) > 1 and value[0] == "'" and value[1] in FORMULA_TRIGGERS:
        return value[1:]
    return value


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        # Excel stores typed-in codes such as 200 as numbers.
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return _unescape(str(value).strip())


def _dataset(rows) -> tablib.Dataset:
    """rows: iterable of (spreadsheet row number, list of cells); the first one is the header."""
    rows = iter(rows)
    try:
        _, header = next(rows)
    except StopIteration:
        raise ImportFileError("The file is empty.") from None
    header = [_cell(h) for h in header]
    while header and not header[-1]:
        header.pop()
    if not any(header):
        raise ImportFileError("The first row must hold the column names; it is empty.")
    dataset = tablib.Dataset(headers=header)
    numbers = []
    width = len(header)
    for number, raw in rows:
        cells = [_cell(c) for c in raw]
        if not any(cells):
            continue
        if number > MAX_IMPORT_ROWS + 1:
            raise ImportFileError(
                f"The file has more than {MAX_IMPORT_ROWS:,} rows: split it into smaller files."
            )
        extra = [c for c in cells[width:] if c]
        if extra:
            raise ImportFileError(
                f"Row {number} has more cells than the header has columns "
                f"({len(cells)} for {width}): check the delimiter and quotes on that row."
            )
        dataset.append((cells + [""] * width)[:width])
        numbers.append(number)
    if not numbers:
        raise ImportFileError("The file has column names but no rows below them.")
    dataset.hx_row_numbers = numbers
    return dataset


def dataset_from_csv(data: bytes) -> tablib.Dataset:
    text = _decode(data)
    delimiter = _delimiter(text.split("\n", 1)[0])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return _dataset((number, cells) for number, cells in enumerate(reader, start=1))
    except csv.Error as error:
        raise ImportFileError(
            f"The CSV file is malformed near line {reader.line_num}: {error}."
        ) from None


def dataset_from_xlsx(data: bytes) -> tablib.Dataset:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    if not data:
        raise ImportFileError("The file is empty.")
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError):
        raise ImportFileError(
            "This is not an Excel workbook (.xlsx). Save it from Excel as .xlsx, "
            "or choose the CSV format for a CSV file."
        ) from None
    try:
        sheet = book.worksheets[0]
        return _dataset(enumerate(sheet.iter_rows(values_only=True), start=1))
    finally:
        book.close()


def formula_escape(value):
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def _escaped(dataset: tablib.Dataset) -> tablib.Dataset:
    rows = [tuple(formula_escape(cell) for cell in row) for row in dataset]
    return tablib.Dataset(*rows, headers=dataset.headers, title=dataset.title)


class MappingCSV(CSV):
    """Read as bytes (we detect the encoding ourselves); write UTF-8 with a BOM for Excel."""

    def is_binary(self):
        return True

    def get_read_mode(self):
        return "rb"

    def create_dataset(self, in_stream, **kwargs):
        if isinstance(in_stream, str):
            in_stream = in_stream.encode("utf-8")
        return dataset_from_csv(in_stream)

    def export_data(self, dataset, **kwargs):
        return "\ufeff" + _escaped(dataset).export("csv", **kwargs)


class MappingXLSX(XLSX):
    def create_dataset(self, in_stream):
        return dataset_from_xlsx(in_stream)

    def export_data(self, dataset, **kwargs):
        return super().export_data(_escaped(dataset), **kwargs)
