"""Reading distributors' sell-out files of every shape, with no database access.

``read_table(data, filename)`` turns the bytes of a CSV (UTF-8 with or without BOM, else Windows-1250;
``,`` ``;`` or tab) or an XLSX workbook into a header and numbered rows, finding the header below title
rows. ``suggest_mapping`` maps the file's headers to our fields; ``validate_rows`` checks every row and
returns the good lines and one error per bad cell (row number, column, reason).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from itertools import chain, islice

from django.utils.translation import gettext_lazy as _

from keychannel.core.text import BAD_TEXT, bad_text_message, has_bad_text, printable

from . import limits
from .cells import (  # noqa: F401  (re-exported: callers import them from here)
    CUI_KEY,
    DATE_FORMATS,
    EXCEL_EPOCH,
    LIMIT,
    _bad_number,
    _bad_text_position,
    _month,
    _number_text,
    _parse_date_cell,
    _parse_date_text,
    _parse_decimal_text,
    _tax_id_digits,
    _text,
    cui_is_valid,
    normalize_tax_id,
    parse_date,
    parse_decimal,
)
from .choices import ErrorReason

# Our fields, in the order the mapping form shows them; the first five are required.
REQUIRED_FIELDS = ["date", "tax_id", "product_code", "quantity", "amount"]
OPTIONAL_FIELDS = ["client_code", "client_name", "city", "invoice", "product_name", "currency"]
FIELDS = REQUIRED_FIELDS + OPTIONAL_FIELDS
FIELD_LABELS = {
    "date": _("Invoice date"),
    "tax_id": _("Client tax id (CUI)"),
    "client_code": _("Client code"),
    "client_name": _("Client name"),
    "city": _("Client city"),
    "invoice": _("Invoice number"),
    "product_code": _("Product code"),
    "product_name": _("Product name"),
    "quantity": _("Quantity"),
    "amount": _("Amount before VAT"),
    "currency": _("Currency"),
}

# Headers as distributors write them (folded: lower case, no diacritics, punctuation as spaces).
HEADER_ALIASES = {
    "date": ["data factura", "data facturii", "data", "data document", "invoice date", "date"],
    "invoice": ["nr factura", "numar factura", "nr document", "factura", "invoice", "invoice number", "invoice no"],
    "tax_id": ["cui client", "cui", "cif", "cif client", "cod fiscal", "cod fiscal client", "tax id", "vat id"],
    "client_code": ["cod client", "client code", "customer code"],
    "client_name": ["denumire client", "client", "nume client", "client name", "customer"],
    "city": ["localitate", "localitate client", "oras", "oras client", "city", "town"],
    "product_code": ["cod produs", "cod articol", "product code", "sku", "item code"],
    "product_name": ["denumire produs", "produs", "articol", "product", "product name"],
    "quantity": ["cantitate", "cant", "qty", "quantity"],
    "amount": ["valoare fara tva ron", "valoare fara tva", "valoare", "amount", "net amount", "value"],
    "currency": ["moneda", "valuta", "currency"],
}

XLSX_MAGIC = b"PK\x03\x04"
DELIMITERS = [";", ",", "\t"]
MAX_HEADER_SEARCH = 30


class FileFormatError(Exception):
    """The file cannot be read at all (not a table, empty, broken workbook)."""


@dataclass
class Table:
    headers: list[str]
    # (row number in the file, 1-based; cells). From ``open_table`` a CSV's rows are an iterator, read once, that
    # raises FileFormatError where the file stops being readable; everywhere else a list.
    rows: list[tuple[int, list]] | Iterator[tuple[int, list]]
    format: str  # "csv" or "xlsx"
    encoding: str = ""
    delimiter: str = ""
    header_row: int = 1
    bad_text: bool = False  # some cell holds a NUL or a lone surrogate: validate_rows looks cell by cell
    expected_rows: int = 0  # an iterator's rows at most (its line breaks): the total a progress bar shows


@dataclass
class RowError:
    row: int
    column: str
    reason: str
    value: str = ""
    message: str = ""

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "reason": self.reason, "value": self.value, "message": self.message}


@dataclass
class ParsedLine:
    row: int
    date: date
    tax_id: str
    client_code: str
    client_name: str
    product_code: str
    quantity: Decimal
    amount: Decimal
    currency: str
    invoice: str
    client_id: int | None = None
    product_line_id: int | None = None


@dataclass
class Validation:
    lines: list[ParsedLine] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    unmatched_clients: dict = field(default_factory=dict)  # key -> {"tax_id", "client_code", "name", "rows"}
    unknown_products: dict = field(default_factory=dict)  # code -> {"name", "rows"}
    period: date | None = None
    row_count: int = 0
    line_count: int = 0  # the good lines, and their totals: set when every row is good
    total_amount: Decimal = Decimal(0)
    total_quantity: Decimal = Decimal(0)

    @property
    def ok(self) -> bool:
        return not self.errors and self.row_count > 0


# ---------------------------------------------------------------- text helpers

_FOLD = str.maketrans({"ș": "s", "ş": "s", "Ș": "s", "Ş": "s", "ț": "t", "ţ": "t", "Ț": "t", "Ţ": "t"})


def fold_header(text) -> str:
    text = str(text or "").translate(_FOLD)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    return " ".join(re.split(r"[^a-z0-9]+", text)).strip()


def decode(data: bytes) -> tuple[str, str]:
    """UTF-8 (BOM stripped) when it decodes, else Windows-1250 (old Romanian accounting exports)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1250", errors="replace"), "cp1250"


def sniff_delimiter(text: str) -> str:
    """The separator that splits the header-like lines into the most columns (quotes respected)."""
    sample = [line for line in _first_lines(text, MAX_HEADER_SEARCH) if line.strip()]
    best, best_score = ",", -1
    for delimiter in DELIMITERS:
        widths = [len(r) for r in csv.reader(sample, delimiter=delimiter)]
        score = max(widths, default=0)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _first_lines(text: str, n: int) -> list[str]:
    """``text.splitlines()[:n]`` without splitting the whole file: a prefix holding more than n lines holds the
    first n whole."""
    lines = text[:SNIFF_CHARS].splitlines()
    if len(lines) > n or len(text) <= SNIFF_CHARS:
        return lines[:n]
    return text.splitlines()[:n]


SNIFF_CHARS = 64 * 1024


def _header_score(cells) -> int:
    known = {alias for aliases in HEADER_ALIASES.values() for alias in aliases}
    return sum(1 for c in cells if isinstance(c, str) and fold_header(c) in known)


def _find_header(rows: list[list]) -> int:
    """Index of the header row: the first of the top rows naming most known columns, else the first full row."""
    best_index, best_score = None, 1
    for index, cells in enumerate(rows[:MAX_HEADER_SEARCH]):
        score = _header_score(cells)
        if score > best_score:
            best_index, best_score = index, score
    if best_index is not None:
        return best_index
    for index, cells in enumerate(rows[:MAX_HEADER_SEARCH]):
        filled = [c for c in cells if c not in (None, "")]
        if len(filled) >= 3 and all(isinstance(c, str) for c in filled):
            return index
    raise FileFormatError(_("No header row found in the first %(n)d rows.") % {"n": MAX_HEADER_SEARCH})


def read_table(data: bytes, filename: str = "") -> Table:
    """The file's header and rows; FileFormatError when it is unreadable or over a limit (limits.py)."""
    table = open_table(data, filename)
    if not isinstance(table.rows, list):
        table.rows = list(table.rows)
    return table


def open_table(data: bytes, filename: str = "") -> Table:
    """``read_table``, except that a CSV's rows past its header are read as the caller iterates them: the import
    checks each row and sends it to the database while the rest of the file is still unread (issue 22: the
    server no longer waits for a whole-file read before the first line reaches it). A limit or a broken quote
    further down raises FileFormatError from the iteration."""
    if not data:
        raise FileFormatError(_("The file is empty."))
    try:
        limits.check_size(len(data))
        if data.startswith(XLSX_MAGIC) or filename.lower().endswith((".xlsx", ".xlsm")):
            return _read_xlsx(data)
        return _read_csv(data)
    except limits.LimitError as exc:
        raise FileFormatError(str(exc)) from None


def _read_csv(data: bytes) -> Table:
    text, encoding = decode(data)
    try:
        delimiter = sniff_delimiter(text)
        raw = limits.capped_rows(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
        head = list(islice(raw, MAX_HEADER_SEARCH))
    except csv.Error as exc:
        raise FileFormatError(_csv_error(exc)) from None
    header_index = _find_header(head)
    headers = _headers(head[header_index])
    rows = _csv_rows(chain(head[header_index + 1 :], raw), header_index + 2)
    # Decoded CSV text can hold NUL but no lone surrogate (invalid UTF-8 falls back to Windows-1250).
    return Table(headers, rows, "csv", encoding, delimiter, header_index + 1, bad_text="\x00" in text,
                 expected_rows=max(text.count("\n") - header_index, 1))


def _csv_error(exc) -> str:
    return _("The file is not a readable CSV table: %(error)s") % {"error": exc}


def _csv_rows(raw: Iterable[list], start: int) -> Iterator[tuple[int, list]]:
    """The numbered data rows, blank rows skipped; a broken quote or a limit passed is the file's error."""
    try:
        for number, cells in enumerate(raw, start=start):
            if cells and (cells[0].strip() or "".join(cells).strip()):  # csv cells are strings: blanks are no row
                yield number, cells
    except csv.Error as exc:
        raise FileFormatError(_csv_error(exc)) from None
    except limits.LimitError as exc:
        raise FileFormatError(str(exc)) from None


def _headers(cells) -> list[str]:
    headers = [str(h).strip() if h is not None else "" for h in cells]
    for header in headers:
        if has_bad_text(header):
            raise FileFormatError(_("A column header is not valid text: %(reason)s") % {"reason": bad_text_message(header)})
    return headers


def _read_xlsx(data: bytes) -> Table:
    import openpyxl

    limits.check_zip(data)
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken workbook
        raise FileFormatError(_("The workbook cannot be read: %(error)s") % {"error": exc}) from None
    try:
        if not workbook.worksheets:
            raise FileFormatError(_("The workbook has no worksheet."))
        sheet = workbook.worksheets[0]
        limits.check_declared_dimensions(sheet.max_row, sheet.max_column)
        # Stream the rows at their own width: with the declared dimensions kept, openpyxl pads every row
        # (and every missing one) to the declared width, 16,384 cells a row for "A1:XFD1048576".
        sheet.reset_dimensions()
        raw = list(limits.capped_rows(sheet.iter_rows(values_only=True)))
    except (limits.LimitError, FileFormatError):
        raise
    except Exception as exc:  # a sheet broken past its header (bad XML, bad cell types)
        raise FileFormatError(_("The workbook cannot be read: %(error)s") % {"error": exc}) from None
    finally:
        workbook.close()
    if not raw:
        raise FileFormatError(_("The file is empty."))
    header_index = _find_header(raw)
    headers = _headers(raw[header_index])
    rows = [
        (number, cells)
        for number, cells in enumerate(raw[header_index + 1 :], start=header_index + 2)
        if any(c not in (None, "") for c in cells)
    ]
    bad_text = any(isinstance(c, str) and BAD_TEXT.search(c) for _n, cells in rows for c in cells)
    return Table(headers, rows, "xlsx", "", "", header_index + 1, bad_text=bad_text)


def suggest_mapping(headers: list[str], saved: dict | None = None) -> dict:
    """field -> header. A saved template wins for the headers the file still has; aliases fill the rest."""
    present = {h for h in headers if h}
    mapping = {f: h for f, h in (saved or {}).items() if f in FIELDS and h in present}
    folded = {fold_header(h): h for h in headers if h}
    for name in FIELDS:
        if name in mapping:
            continue
        for alias in HEADER_ALIASES[name]:
            if alias in folded and folded[alias] not in mapping.values():
                mapping[name] = folded[alias]
                break
    return mapping


def missing_fields(mapping: dict) -> list[str]:
    return [f for f in REQUIRED_FIELDS if not mapping.get(f)]


# ---------------------------------------------------------------- validation

SINK_BATCH = 2_000  # good lines handed to the caller's sink at a time


PROGRESS_EVERY = 500


def validate_rows(
    table: Table,
    mapping: dict,
    *,
    find_client: Callable[[str, str], int | None],
    find_product: Callable[[str], int | None],
    period: date | None = None,
    default_currency: str = "RON",
    max_errors: int = 10_000,
    progress: Callable[[int, int], None] | None = None,
    sink: Callable[[list[tuple]], None] | None = None,
) -> Validation:
    """Check every row; ``find_client(tax_id, client_code)`` and ``find_product(code)`` return ids or None.

    Without ``sink`` the good lines are returned as ``result.lines`` (``ParsedLine``). With one, they are streamed
    to it while the file is checked, in lists of up to SINK_BATCH tuples ``(client_id, product_line_id, date,
    quantity, amount, currency, invoice, row)`` (quantity and amount as plain decimal text), and only while no
    row is bad: ``result.ok`` says whether every line was sent (else the caller throws away what it got).

    ``period`` (first day of a month) rejects rows dated outside it; when None it is the month most rows
    fall in. Errors are capped at ``max_errors`` so a wrong file does not fill memory. ``progress(done, total)``
    hears how many rows were checked, every PROGRESS_EVERY rows (a background import shows it).
    """
    result = Validation()
    index = {h: i for i, h in enumerate(table.headers) if h}
    columns = {name: index[header] for name, header in mapping.items() if header in index}
    for name in missing_fields(mapping):
        result.errors.append(RowError(table.header_row, str(FIELD_LABELS[name]), ErrorReason.MISSING_COLUMN, "",
                                      str(_("No column is mapped to this field."))))
    if result.errors:
        return result

    # Per-row work is the import's cost (issue 22): the columns' positions are read once, a row as wide as the
    # mapped columns is read by index, and a narrower one (a short line) is padded once.
    # A required field mapped to a header the file lacks reads as an empty cell (the slot past the row's end).
    width = max(columns.values(), default=-1) + 1
    if any(name not in columns for name in REQUIRED_FIELDS):
        columns = {**{name: width for name in REQUIRED_FIELDS}, **columns}
        width += 1
    p_date, p_quantity, p_amount, p_tax = columns["date"], columns["quantity"], columns["amount"], columns["tax_id"]
    p_code, p_name, p_product = columns.get("client_code"), columns.get("client_name"), columns["product_code"]
    p_currency, p_invoice, p_city = columns.get("currency"), columns.get("invoice"), columns.get("city")
    p_product_name = columns.get("product_name")

    def header(name):
        return mapping[name]

    def error(row, name, reason, value, message):
        if len(result.errors) < max_errors:
            result.errors.append(RowError(row, header(name), reason, _text(value)[:200], str(message)))

    def line_error(row, column, reason, value, message):
        if len(result.errors) < max_errors:
            result.errors.append(RowError(row, column, reason, value, str(message)))

    # Per distinct raw value, computed once (a file repeats a few dozen dates, its clients and its products).
    dates: dict = {}
    tax_ids: dict = {}
    clients: dict = {}
    products: dict = {}
    currencies: dict = {}
    months: dict[date, int] = {}
    good: list[tuple[int, date]] = []  # (row, date) of every good line: the period is chosen after the last row
    lines = [] if sink is None else None
    batch: list[tuple] = []
    first_seen: dict[tuple, int] = {}
    total = len(table.rows) if isinstance(table.rows, list) else table.expected_rows
    total_amount = total_quantity = Decimal(0)
    errors = result.errors
    bad_text = table.bad_text
    count = 0
    for number, cells in table.rows:
        count += 1
        if progress is not None and count % PROGRESS_EVERY == 0:
            progress(count, max(total, count))
        if bad_text and (position := _bad_text_position(cells)) is not None:
            value = cells[position]
            column = table.headers[position] if position < len(table.headers) and table.headers[position] else f"#{position + 1}"
            line_error(number, column, ErrorReason.BAD_TEXT, printable(value)[:200], bad_text_message(value))
            continue
        # An exact repeat of an earlier line is refused, not imported twice (docs/sales.md: repeated lines).
        first = first_seen.setdefault(tuple(cells), number)
        if first != number:
            line_error(number, "", ErrorReason.REPEATED_LINE, "",
                       _("Line %(n)d repeats line %(m)d exactly; remove it or merge the two into one line.") % {
                           "n": number, "m": first})
            continue
        if len(cells) < width:
            cells = [*cells, *([None] * (width - len(cells)))]
        bad = False
        raw_date = cells[p_date]
        day = dates.get(raw_date)  # (date, its month)
        if day is None:
            try:
                when = parse_date(raw_date)
                day = dates[raw_date] = (when, when.replace(day=1))
            except (ValueError, TypeError):
                error(number, "date", ErrorReason.BAD_DATE, raw_date, _("Not a date (expected dd.mm.yyyy or yyyy-mm-dd)."))
                bad = True
        raw = cells[p_quantity]
        # A plain number ("12", "1234,50") within the column's decimals is checked by one pattern and handed to the
        # database as text; anything else (thousands separators, signs, workbook numbers, more decimals) goes
        # through parse_decimal and is rounded as the column stores it, so the totals below are the stored sums.
        if type(raw) is str and _plain_quantity(raw) is not None:
            quantity = raw.strip().replace(",", ".")
        else:
            quantity = _number_text(error, number, "quantity", raw, QUANTITY_PLACES)
            bad = bad or quantity is None
        raw = cells[p_amount]
        if type(raw) is str and _plain_amount(raw) is not None:
            amount = raw.strip().replace(",", ".")
        else:
            amount = _number_text(error, number, "amount", raw, AMOUNT_PLACES)
            bad = bad or amount is None
        raw_tax = cells[p_tax]
        tax = tax_ids.get(raw_tax)
        if tax is None:
            digits = normalize_tax_id(raw_tax)
            tax = tax_ids[raw_tax] = (digits, not digits or cui_is_valid(digits))
        tax_id = tax[0]
        code = cells[p_code] if p_code is not None else ""
        client_code = code.strip() if type(code) is str else _text(code)
        if not tax_id and not client_code:
            error(number, "tax_id", ErrorReason.MISSING_VALUE, raw_tax, _("Neither a tax id nor a client code."))
            bad = True
        elif not tax[1]:
            error(number, "tax_id", ErrorReason.BAD_TAX_ID, raw_tax, _("The CUI check digit is wrong."))
            bad = True
            tax_id = ""
        raw_product = cells[p_product]
        product = products.get(raw_product)
        if product is None:
            product_code = _text(raw_product)
            product = products[raw_product] = (product_code, find_product(product_code) if product_code else None)
        product_code = product[0]
        if not product_code:
            error(number, "product_code", ErrorReason.MISSING_VALUE, "", _("No product code."))
            bad = True
        if p_currency is None:
            currency = default_currency
        else:
            raw = cells[p_currency]
            currency = currencies.get(raw)
            if currency is None:
                currency = currencies[raw] = (_text(raw) or default_currency).upper()
            if currency != default_currency:
                error(number, "currency", ErrorReason.BAD_CURRENCY, currency, _("Only %(c)s is accepted.") % {"c": default_currency})
                bad = True
        if bad:
            continue
        key = (tax_id, client_code)
        client_id = clients.get(key)
        if client_id is None and key not in clients:
            client_id = clients[key] = find_client(tax_id, client_code)
        if client_id is None:
            key = tax_id or f"code:{client_code}"
            entry = result.unmatched_clients.setdefault(
                key, {"tax_id": tax_id, "client_code": client_code, "name": _text(cells[p_name]) if p_name is not None else "",
                      "city": (_text(cells[p_city]) if p_city is not None else "")[:100], "rows": []}
            )
            entry["rows"].append(number)
            error(number, "tax_id" if tax_id else "client_code", ErrorReason.UNKNOWN_CLIENT,
                  tax_id or client_code, _("No client with this tax id or client code."))
            bad = True
        product_line_id = product[1]
        if product_line_id is None:
            entry = result.unknown_products.setdefault(
                product_code, {"name": _text(cells[p_product_name]) if p_product_name is not None else "", "rows": []})
            entry["rows"].append(number)
            error(number, "product_code", ErrorReason.UNKNOWN_PRODUCT, product_code,
                  _("This product code is not mapped to a product line."))
            bad = True
        if bad:
            continue
        if p_invoice is None:
            invoice = ""
        else:
            invoice = cells[p_invoice]
            invoice = (invoice.strip() if type(invoice) is str else _text(invoice))[:60]
        when, month = day
        months[month] = months.get(month, 0) + 1
        good.append((number, when))
        total_quantity += Decimal(quantity)
        total_amount += Decimal(amount)
        if lines is not None:
            lines.append(ParsedLine(
                number, when, tax_id, client_code, _text(cells[p_name]) if p_name is not None else "", product_code,
                Decimal(quantity), Decimal(amount), currency, invoice, client_id, product_line_id))
        elif not errors:  # once a row is bad nothing will be applied: stop sending lines
            batch.append((client_id, product_line_id, when, quantity, amount, currency, invoice, number))
            if len(batch) == SINK_BATCH:
                sink(batch)
                batch = []

    result.row_count = count
    if period is None:
        period = max(months, key=lambda m: (months[m], m)) if months else None
    result.period = period
    if period is not None and any(month != period for month in months):
        message = str(_("The date is outside the report period %(p)s.") % {"p": period.strftime("%Y-%m")})
        for number, when in good:
            if _month(when) != period and len(result.errors) < max_errors:
                result.errors.append(RowError(number, header("date"), ErrorReason.OUT_OF_PERIOD, when.isoformat(), message))
    if result.row_count == 0:
        result.errors.append(RowError(table.header_row, "", ErrorReason.MISSING_VALUE, "", str(_("The file has no data rows."))))
    if lines is not None:
        result.lines = [line for line in lines if _month(line.date) == period]
    if not result.errors:
        result.line_count, result.total_amount, result.total_quantity = len(good), total_amount, total_quantity
        if batch:
            sink(batch)
    result.errors.sort(key=lambda e: (e.row, e.column))
    return result


# The decimals of SalesLine.quantity and .amount: a plain number with no more is stored exactly as written.
QUANTITY_PLACES, AMOUNT_PLACES = 3, 2
_plain_quantity = re.compile(rf"\s*\d{{1,12}}(?:[.,]\d{{1,{QUANTITY_PLACES}}})?\s*").fullmatch
_plain_amount = re.compile(rf"\s*\d{{1,12}}(?:[.,]\d{{1,{AMOUNT_PLACES}}})?\s*").fullmatch
