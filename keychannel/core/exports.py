"""CSV/XLSX exports: one guard against spreadsheet formula injection for every export."""

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value):
    """A text cell that starts like a formula gets a leading apostrophe; numbers and other values pass."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def safe_row(values) -> list:
    return [spreadsheet_safe(v if not hasattr(v, "__html__") and not _is_lazy(v) else str(v)) for v in values]


def _is_lazy(value) -> bool:
    from django.utils.functional import Promise

    return isinstance(value, Promise)
