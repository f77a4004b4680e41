"""CSV/XLSX exports: one guard against spreadsheet formula injection and one way to write a file, for every export.

``export_response(fmt, filename, header, rows)`` answers a download of ``rows`` (any iterable, read once):
- CSV streams through a ``StreamingHttpResponse`` while the rows are read, so a table of a million rows never sits
  in memory; UTF-8 with a byte-order mark (spreadsheet programs then read the diacritics right);
- XLSX is written by openpyxl's write-only workbook (rows go to a temporary file as they are appended: constant
  memory), then the finished file streams from disk.

Values are written for a spreadsheet, not for a page: dates and times in ISO form (real dates in XLSX), numbers
as numbers, yes/no in the user's language, a related record by its name, text through ``spreadsheet_safe``.
"""

from __future__ import annotations

import csv
import datetime
import tempfile
from collections.abc import Iterable
from decimal import Decimal

from django.db.models import Model
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone, translation
from django.utils.functional import Promise

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
FORMATS = ("csv", "xlsx")
CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def spreadsheet_safe(value):
    """A text cell that starts like a formula gets a leading apostrophe; numbers and other values pass."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def safe_row(values) -> list:
    return [spreadsheet_safe(v if not hasattr(v, "__html__") and not _is_lazy(v) else str(v)) for v in values]


def _is_lazy(value) -> bool:
    return isinstance(value, Promise)


def export_format(value) -> str:
    """The asked format, "csv" for anything else."""
    return value if value in FORMATS else "csv"


def cell_value(value, *, xlsx: bool = False):
    """One value as a spreadsheet cell: ISO dates, plain numbers, labels in the active language, safe text."""
    from keychannel.core.templatetags.kc_format import yesno_label

    if value is None:
        return None if xlsx else ""
    if isinstance(value, bool):
        return str(yesno_label(value))
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        value = value.replace(tzinfo=None, microsecond=0)
        return value if xlsx else value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, datetime.date):
        return value if xlsx else value.isoformat()
    if isinstance(value, (int, float, Decimal)):
        return value
    if isinstance(value, Model):
        value = str(value)
    return spreadsheet_safe(str(value))


class _Echo:
    """A file-like object that gives back what csv.writer writes (one line at a time, for streaming)."""

    def write(self, value):
        return value


def csv_stream(header: Iterable, rows: Iterable[Iterable], language: str | None = None):
    """CSV lines (formula-safe), the header first with a byte-order mark; ``language`` for labels read lazily."""
    language = language or translation.get_language()
    writer = csv.writer(_Echo())
    with translation.override(language):
        yield "\ufeff" + writer.writerow([cell_value(h) for h in header])
        for row in rows:
            yield writer.writerow([cell_value(v) for v in row])


def xlsx_file(header: Iterable, rows: Iterable[Iterable], sheet_title: str = ""):
    """An XLSX workbook of one sheet in a temporary file (rewound), written row by row in constant memory."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    # Characters Excel refuses in a sheet title.
    title = "".join(c for c in str(sheet_title or "Export") if c not in "[]:*?/\\")[:31] or "Export"
    sheet = workbook.create_sheet(title)
    sheet.append([cell_value(h, xlsx=True) for h in header])
    for row in rows:
        sheet.append([cell_value(v, xlsx=True) for v in row])
    out = tempfile.TemporaryFile()
    workbook.save(out)
    out.seek(0)
    return out


def export_response(fmt: str, filename: str, header: Iterable, rows: Iterable[Iterable], *, sheet_title: str = ""):
    """The download of ``rows`` under ``header`` as ``filename``.csv or .xlsx (``fmt``); see the module docstring."""
    fmt = export_format(fmt)
    header = [str(h) for h in header]  # in the request's language, now
    if fmt == "xlsx":
        return FileResponse(xlsx_file(header, rows, sheet_title or filename), as_attachment=True,
                            filename=f"{filename}.xlsx", content_type=XLSX_TYPE)
    response = StreamingHttpResponse(csv_stream(header, rows), content_type=CSV_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response
