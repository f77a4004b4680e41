"""Size limits of an imported file, checked before and while it is read, never after.

A sell-out report is a few thousand rows of about ten columns. The limits are far above that and far below
what exhausts a worker: a workbook may *declare* a million rows and 16,384 columns in a few hundred bytes, and
an XLSX is a zip whose members can inflate a thousandfold. So the zip directory and the sheet's declared
dimensions are checked before anything is parsed, and the rows are streamed (never padded to the declared
width) with the row, column and cell counts capped as they come. Every refusal names the limit.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator

from django.conf import settings
from django.utils.translation import gettext as _

MAX_ROWS = 200_000  # lines in the file, title and header rows included
MAX_COLUMNS = 1_024  # LibreOffice declares its full 1,024-column width on some sheets
MAX_CELLS = 1_000_000  # cells kept (a row's trailing blanks are not counted): 100,000 rows of ten columns
MAX_CELL_CHARS = 10_000
MAX_ZIP_MEMBERS = 1_000
UNCOMPRESSED_FACTOR = 5  # an XLSX may inflate to five times the upload cap, no more
# openpyxl spends Python time on every XML element, empty or not (about 20k a second on a busy 2-core host):
# a cell is at most three (<c><is><t>, <c><f><v>), plus one per row.
MAX_XML_ELEMENTS = 3 * MAX_CELLS + MAX_ROWS
SCAN_CHUNK = 1 << 20


class LimitError(Exception):
    """The file is over one of the limits above (the message names it)."""


def max_upload_bytes() -> int:
    return settings.KEYCHANNEL_MAX_UPLOAD_MB * 1024 * 1024


def too_large_message() -> str:
    return _("The file is larger than %(mb)d MB.") % {"mb": settings.KEYCHANNEL_MAX_UPLOAD_MB}


def check_size(size: int) -> None:
    if size > max_upload_bytes():
        raise LimitError(too_large_message())


def _too_many_rows() -> LimitError:
    return LimitError(_("The file has more than %(n)s rows, the most one report may have.") % {"n": f"{MAX_ROWS:,}"})


def _too_many_columns(row: int) -> LimitError:
    return LimitError(_("Row %(row)d has more than %(n)s columns, the most a report may have.") % {
        "row": row, "n": f"{MAX_COLUMNS:,}"})


def _too_many_cells() -> LimitError:
    return LimitError(_("The file has more than %(n)s filled cells, the most one report may have.") % {
        "n": f"{MAX_CELLS:,}"})


def _cell_too_long(row: int) -> LimitError:
    return LimitError(_("Row %(row)d has a cell longer than %(n)s characters.") % {"row": row, "n": f"{MAX_CELL_CHARS:,}"})


def check_zip(data: bytes) -> None:
    """Refuse a zip bomb from its directory, before a byte is inflated. (zipfile stops inflating a member at
    the size its directory entry declares, so a lying entry cannot get past this either.)"""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise LimitError(_("The workbook cannot be read: %(error)s") % {"error": exc}) from None
    if len(members) > MAX_ZIP_MEMBERS:
        raise LimitError(_("The workbook has more than %(n)s parts.") % {"n": f"{MAX_ZIP_MEMBERS:,}"})
    limit_mb = settings.KEYCHANNEL_MAX_UPLOAD_MB * UNCOMPRESSED_FACTOR
    if sum(member.file_size for member in members) > limit_mb * 1024 * 1024:
        raise LimitError(_("The workbook unpacks to more than %(mb)d MB, the most a report may take.") % {"mb": limit_mb})
    _check_element_count(archive, members)


def _check_element_count(archive: zipfile.ZipFile, members) -> None:
    """Count the XML elements of every part in one fast pass (inflate and count "<"), before openpyxl spends
    Python time on each: a small sheet of a million empty ``<c/>`` would otherwise take minutes."""
    elements = 0
    try:
        for member in members:
            if not member.filename.endswith((".xml", ".rels")):
                continue
            with archive.open(member) as part:
                while chunk := part.read(SCAN_CHUNK):
                    elements += chunk.count(b"<") - chunk.count(b"</")
                    if elements > MAX_XML_ELEMENTS:
                        raise LimitError(_("The workbook has more than %(n)s cells, the most one report may have.")
                                         % {"n": f"{MAX_CELLS:,}"})
    except (zipfile.BadZipFile, NotImplementedError, ValueError, OSError, EOFError) as exc:
        raise LimitError(_("The workbook cannot be read: %(error)s") % {"error": exc}) from None


def check_declared_dimensions(max_row, max_column) -> None:
    """The ``<dimension ref="A1:XFD1048576"/>`` a sheet declares, refused before its rows are read."""
    if max_row is not None and max_row > MAX_ROWS:
        raise LimitError(_("The sheet declares %(rows)s rows; a report may have %(n)s at most.") % {
            "rows": f"{max_row:,}", "n": f"{MAX_ROWS:,}"})
    if max_column is not None and max_column > MAX_COLUMNS:
        raise LimitError(_("The sheet declares %(cols)s columns; a report may have %(n)s at most.") % {
            "cols": f"{max_column:,}", "n": f"{MAX_COLUMNS:,}"})


def capped_rows(rows) -> Iterator[list]:
    """Each row of ``rows`` (the file's rows in order, gaps included) as a list without trailing blanks,
    refusing the file as soon as it passes a limit. A row is copied only when it has trailing blanks to drop or is
    not a list (a workbook's tuples): this runs once per line of every import."""
    cells = 0
    for number, row in enumerate(rows, start=1):
        if number > MAX_ROWS:
            raise _too_many_rows()
        width = len(row)
        if width > MAX_COLUMNS:
            raise _too_many_columns(number)
        if width and (row[-1] == "" or row[-1] is None):
            while width and row[width - 1] in (None, ""):
                width -= 1
            row = list(row[:width])
        elif type(row) is not list:
            row = list(row)
        cells += width
        if cells > MAX_CELLS:
            raise _too_many_cells()
        try:  # a CSV row: strings only, measured in one pass
            longest = max(map(len, row), default=0)
        except TypeError:  # a workbook row: numbers and dates too
            longest = max((len(value) for value in row if isinstance(value, str)), default=0)
        if longest > MAX_CELL_CHARS:
            raise _cell_too_long(number)
        yield row
