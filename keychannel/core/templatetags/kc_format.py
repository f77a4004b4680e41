"""Numbers, money, percentages and yes/no in the active language (docs/i18n.md).

Loaded on every template (TEMPLATES builtins); ``{% load kc_format %}`` also works. Grouping and the decimal sign
follow the language: ``{{ 2205000|money }}`` is "2,205,000.00 RON" in English, "2.205.000,00 RON" in Romanian and
"2 205 000,00 RON" in Russian. None and "" print as an em dash, never as "None".
"""

import datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from django import template
from django.core.signals import setting_changed
from django.utils import translation
from django.utils.formats import date_format, get_format, number_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _

register = template.Library()

CURRENCY = "RON"
NBSP = "\u00a0"
EMPTY = "—"


def _decimal(value):
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return None


def format_number(value, decimals=None) -> str:
    """Grouped, in the active language; ``decimals`` None keeps up to two decimals and drops trailing zeros."""
    number = _decimal(value)
    if number is None:
        return EMPTY
    if decimals is None or decimals == "":
        number = number.quantize(Decimal("0.01"))
        decimals = 0 if number == number.to_integral_value() else 2
        if decimals and number * 10 == (number * 10).to_integral_value():
            decimals = 1
    decimals = int(decimals)
    number = number.quantize(Decimal(1).scaleb(-decimals)) if decimals >= 0 else number
    separators = _separators(get_language())
    if separators is None or decimals < 0 or not number.is_finite():
        return number_format(number, decimal_pos=decimals, use_l10n=True, force_grouping=True)
    # The same text as number_format, which looks up three formats per number (issue 22: a kanban formats 140).
    # number_format writes a zero without its sign ("-0.004" with no decimals is "0")
    return f"{number if number else number.copy_abs():,.{decimals}f}".translate(separators)


@lru_cache(maxsize=16)
def _separators(language) -> dict | None:
    """The active language's decimal sign and thousands separator as a translation of Python's "," and "."
    grouping, or None where the language does not group by threes (number_format does those)."""
    with translation.override(language):
        if get_format("NUMBER_GROUPING") != 3:
            return None
        return str.maketrans({",": get_format("THOUSAND_SEPARATOR"), ".": get_format("DECIMAL_SEPARATOR")})


def format_date(value: datetime.date, format_name: str = "DATE_FORMAT") -> str:
    """A date (a ``date``, not a ``datetime``: no time zone to apply) in the active language's ``format_name``, the
    text the template's localisation and the ``date`` filter write, kept per language and date (issue 22: Django's
    ``DateFormat`` is some 40 calls a date, and a list page or a kanban draws about a hundred)."""
    return _date_text(get_language(), format_name, value)


@lru_cache(maxsize=4096)
def _date_text(language, format_name, value) -> str:
    return str(date_format(value, format_name))


def _forget_formats(**kwargs) -> None:
    _date_text.cache_clear()
    _separators.cache_clear()


setting_changed.connect(_forget_formats)


def format_money(value, decimals=2) -> str:
    text = format_number(value, decimals)
    return text if text == EMPTY else f"{text} {CURRENCY}"


def format_percent(value, decimals=0) -> str:
    text = format_number(value, decimals)
    if text == EMPTY:
        return text
    # English writes 12%; Romanian and Russian put a (non-breaking) space before the sign.
    return f"{text}%" if (get_language() or "en").startswith("en") else f"{text}{NBSP}%"


@register.filter
def money(value, decimals=2):
    """An amount in RON: ``{{ deal.value|money }}``, ``{{ deal.value|money:0 }}`` without the bani."""
    return format_money(value, decimals)


@register.filter
def number(value, decimals=None):
    """A grouped number: ``{{ count|number }}``, ``{{ score|number:1 }}``."""
    return format_number(value, decimals)


@register.filter
def percent(value, decimals=0):
    """A percentage given in percent (12.5 → "12.5%" / "12,5 %")."""
    return format_percent(value, decimals)


@register.filter
def yesno_label(value):
    """Yes / No / — in the active language, never True/False/None."""
    if value is None or value == "":
        return EMPTY
    return _("Yes") if value else _("No")


@register.filter
def label_from(key, labels):
    """``{{ code|label_from:labels }}``: the label a dict gives a code (a code is never shown as such)."""
    try:
        return labels.get(key, key)
    except AttributeError:
        return key
