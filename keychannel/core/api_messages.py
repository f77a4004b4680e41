"""The API's input-validation messages (pydantic's "Field required", …) in the caller's language.

django-ninja answers a body, query or path value that does not fit its schema with pydantic's English sentence.
``translate(errors)`` rewrites each error's ``msg`` through gettext from its ``type`` and ``ctx`` (the language is
the caller's: their profile's for a token or a session, Accept-Language otherwise — core/api_auth.py); ``loc``,
``type`` and ``ctx`` stay as pydantic gave them, so a program can still read them. An error type without a
sentence here keeps pydantic's.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import ngettext


def _n(ctx, name) -> int:
    try:
        return int(ctx.get(name))
    except (TypeError, ValueError):
        return 0


def _expected(ctx) -> str:
    return str(ctx.get("expected", ""))


MESSAGES = {
    "missing": lambda ctx: _("This field is required."),
    "int_parsing": lambda ctx: _("Enter a whole number."),
    "int_type": lambda ctx: _("Enter a whole number."),
    "int_from_float": lambda ctx: _("Enter a whole number."),
    "float_parsing": lambda ctx: _("Enter a number."),
    "float_type": lambda ctx: _("Enter a number."),
    "decimal_parsing": lambda ctx: _("Enter a number."),
    "decimal_type": lambda ctx: _("Enter a number."),
    "finite_number": lambda ctx: _("Enter a number."),
    "decimal_max_digits": lambda ctx: ngettext(
        "Enter a number of at most %(max_digits)s digit.", "Enter a number of at most %(max_digits)s digits.",
        _n(ctx, "max_digits")) % {"max_digits": _n(ctx, "max_digits")},
    "decimal_max_places": lambda ctx: ngettext(
        "Enter a number with at most %(decimal_places)s decimal.",
        "Enter a number with at most %(decimal_places)s decimals.",
        _n(ctx, "decimal_places")) % {"decimal_places": _n(ctx, "decimal_places")},
    "decimal_whole_digits": lambda ctx: ngettext(
        "Enter a number with at most %(whole_digits)s digit before the decimal point.",
        "Enter a number with at most %(whole_digits)s digits before the decimal point.",
        _n(ctx, "whole_digits")) % {"whole_digits": _n(ctx, "whole_digits")},
    "bool_parsing": lambda ctx: _("Enter true or false."),
    "bool_type": lambda ctx: _("Enter true or false."),
    "string_type": lambda ctx: _("Enter a text."),
    "string_too_short": lambda ctx: ngettext(
        "Enter at least %(min_length)s character.", "Enter at least %(min_length)s characters.",
        _n(ctx, "min_length")) % {"min_length": _n(ctx, "min_length")},
    "string_too_long": lambda ctx: ngettext(
        "Enter at most %(max_length)s character.", "Enter at most %(max_length)s characters.",
        _n(ctx, "max_length")) % {"max_length": _n(ctx, "max_length")},
    "string_pattern_mismatch": lambda ctx: _("Enter a value in the expected format (%(pattern)s).") % {
        "pattern": ctx.get("pattern", "")},
    "greater_than_equal": lambda ctx: _("Enter a value greater than or equal to %(limit)s.") % {"limit": ctx.get("ge")},
    "greater_than": lambda ctx: _("Enter a value greater than %(limit)s.") % {"limit": ctx.get("gt")},
    "less_than_equal": lambda ctx: _("Enter a value less than or equal to %(limit)s.") % {"limit": ctx.get("le")},
    "less_than": lambda ctx: _("Enter a value less than %(limit)s.") % {"limit": ctx.get("lt")},
    "enum": lambda ctx: _("Choose one of: %(choices)s.") % {"choices": _expected(ctx)},
    "literal_error": lambda ctx: _("Choose one of: %(choices)s.") % {"choices": _expected(ctx)},
    "date_parsing": lambda ctx: _("Enter a valid date (YYYY-MM-DD)."),
    "date_from_datetime_parsing": lambda ctx: _("Enter a valid date (YYYY-MM-DD)."),
    "date_from_datetime_inexact": lambda ctx: _("Enter a valid date (YYYY-MM-DD)."),
    "date_type": lambda ctx: _("Enter a valid date (YYYY-MM-DD)."),
    "datetime_parsing": lambda ctx: _("Enter a valid date and time (ISO 8601, e.g. 2026-03-01T09:30:00+02:00)."),
    "datetime_from_date_parsing": lambda ctx: _(
        "Enter a valid date and time (ISO 8601, e.g. 2026-03-01T09:30:00+02:00)."),
    "datetime_type": lambda ctx: _("Enter a valid date and time (ISO 8601, e.g. 2026-03-01T09:30:00+02:00)."),
    "list_type": lambda ctx: _("Enter a list."),
    "too_short": lambda ctx: ngettext(
        "Give at least %(min_length)s item.", "Give at least %(min_length)s items.",
        _n(ctx, "min_length")) % {"min_length": _n(ctx, "min_length")},
    "too_long": lambda ctx: ngettext(
        "Give at most %(max_length)s item.", "Give at most %(max_length)s items.",
        _n(ctx, "max_length")) % {"max_length": _n(ctx, "max_length")},
    "dict_type": lambda ctx: _("Enter an object (a JSON dictionary)."),
    "model_type": lambda ctx: _("Enter an object (a JSON dictionary)."),
    "model_attributes_type": lambda ctx: _("Enter an object (a JSON dictionary)."),
    "json_invalid": lambda ctx: _("The request body is not valid JSON."),
    "json_type": lambda ctx: _("The request body is not valid JSON."),
    "extra_forbidden": lambda ctx: _("This field is not accepted here."),
    "uuid_parsing": lambda ctx: _("Enter a valid UUID."),
    "uuid_type": lambda ctx: _("Enter a valid UUID."),
}


def translate(errors: list[dict]) -> list[dict]:
    """The errors with each ``msg`` in the active language (pydantic's own for a type not listed above)."""
    out = []
    for error in errors:
        error = dict(error)
        render = MESSAGES.get(error.get("type", ""))
        if render is not None:
            error["msg"] = render(error.get("ctx") or {})
        out.append(error)
    return out
