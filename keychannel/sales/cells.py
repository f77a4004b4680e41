"""Parsing one cell of a sales report: dates (text or Excel serials), numbers in Romanian and English notation, Romanian tax ids (CUI check digit) and text."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

from django.utils.translation import gettext_lazy as _

from keychannel.core.text import has_bad_text

from .choices import ErrorReason

# ---------------------------------------------------------------- value parsing

DATE_FORMATS = ["%d.%m.%Y", "%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%y", "%Y/%m/%d"]
EXCEL_EPOCH = date(1899, 12, 30)


def parse_date(value) -> date:
    if type(value) is str:  # a CSV cell: the common case first
        return _parse_date_cell(value)
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and 20_000 < value < 80_000:  # an Excel serial date stored as a number
        return EXCEL_EPOCH + timedelta(days=int(value))
    text = str(value or "").strip()
    if " " in text:  # "2026-09-11 00:00:00"
        text = text.split(" ", 1)[0]
    return _parse_date_text(text)


@lru_cache(maxsize=4096)
def _parse_date_cell(value: str) -> date:
    text = value.strip()
    if " " in text:  # "2026-09-11 00:00:00"
        text = text.split(" ", 1)[0]
    return _parse_date_text(text)


@lru_cache(maxsize=4096)
def _parse_date_text(text: str) -> date:
    """A report has a few dozen distinct dates in thousands of rows: each is parsed once (strptime is slow)."""
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


def parse_decimal(value) -> Decimal:
    """1234.5, "1234,50", "1.234,50", "1,234.50", "1 234,50" → Decimal."""
    if type(value) is str:  # a CSV cell: the common case first
        return _parse_decimal_text(value)
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, Decimal):
        return value
    return _parse_decimal_text(str(value or ""))


@lru_cache(maxsize=4096)  # the slow path only (plain numbers skip it): what a worker keeps after an import
def _parse_decimal_text(value: str) -> Decimal:
    text = value.strip().replace("\u00a0", "").replace(" ", "").replace("'", "")
    if not text:
        raise ValueError(value)
    if "," in text and "." in text:
        if text.rfind(",") > text.rfind("."):
            text = text.replace(".", "").replace(",", ".")
        else:
            text = text.replace(",", "")
    elif "," in text:
        text = text.replace(",", ".") if text.count(",") == 1 else text.replace(",", "")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError(value) from None
    if not number.is_finite():
        raise ValueError(value)
    return number


CUI_KEY = "753217532"


@lru_cache(maxsize=4096)  # bounded: a worker keeps it after an import (each file memoises its own values)
def cui_is_valid(digits: str) -> bool:
    """Romanian fiscal code check digit (2 to 10 digits, RO prefix already stripped)."""
    if not digits.isdigit() or not 2 <= len(digits) <= 10:
        return False
    body = digits[:-1].rjust(9, "0")
    total = sum(int(d) * int(k) for d, k in zip(body, CUI_KEY, strict=True))
    check = total * 10 % 11
    return (0 if check == 10 else check) == int(digits[-1])


def normalize_tax_id(value) -> str:
    if isinstance(value, str):
        return _tax_id_digits(value)
    if isinstance(value, float) and value.is_integer():
        return _tax_id_digits(str(int(value)))
    return _tax_id_digits(str(value if value is not None else ""))


@lru_cache(maxsize=4096)  # bounded: a worker keeps it after an import (each file memoises its own values)
def _tax_id_digits(text: str) -> str:
    text = text.strip().upper()
    if text.startswith("RO"):
        text = text[2:]
    return "".join(ch for ch in text if ch.isdigit())


def _text(value) -> str:
    if type(value) is str:
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _bad_text_position(cells) -> int | None:
    for position, value in enumerate(cells):
        if isinstance(value, str) and has_bad_text(value):
            return position
    return None


@lru_cache(maxsize=4096)  # a few dozen distinct dates per file
def _month(d: date) -> date:
    return d.replace(day=1)


LIMIT = Decimal("1e12")


def _bad_number(error, number, name, raw, value) -> bool:
    """Report a parsed quantity or amount that is negative or too large (the rare path of validate_rows)."""
    if value < 0:
        error(number, name, ErrorReason.NEGATIVE, raw, _("Must not be negative (send returns as a separate credit report)."))
    else:
        error(number, name, ErrorReason.NOT_A_NUMBER, raw, _("Too large."))
    return True


def _number_text(error, number, name, raw, places: int) -> str | None:
    """The slow path of a quantity or amount: parsed, range-checked, rounded to the column's ``places`` as the
    database rounds (half away from zero), written back as plain text; None (and the error reported) when it is not
    a number, negative or too large. Rounded here, the sums the import keeps (the report's totals, the sales
    roll-up) are the sums of the stored values."""
    try:
        value = parse_decimal(raw)
    except ValueError:
        error(number, name, ErrorReason.NOT_A_NUMBER, raw, _("Not a number."))
        return None
    if not (0 <= value < LIMIT):
        _bad_number(error, number, name, raw, value)
        return None
    if value.as_tuple().exponent < -places:
        value = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return format(value, "f")
