from django.db import models
from django.utils.translation import gettext_lazy as _


class ReportStatus(models.TextChoices):
    REJECTED = "rejected", _("Rejected: rows to fix")
    APPLIED = "applied", _("Applied")
    DUPLICATE = "duplicate", _("Duplicate of an applied file")
    SUPERSEDED = "superseded", _("Superseded by a corrected file")
    CONFLICT = "conflict", _("Waiting: a report for this period exists")


class ReportSource(models.TextChoices):
    UPLOAD = "upload", _("Upload")
    API = "api", _("API")
    COMMAND = "command", _("Command line")
    DEMO = "demo", _("Demo data")


class ErrorReason(models.TextChoices):
    MISSING_COLUMN = "missing_column", _("Column not mapped")
    MISSING_VALUE = "missing_value", _("Missing value")
    BAD_DATE = "bad_date", _("Bad date")
    NOT_A_NUMBER = "not_a_number", _("Not a number")
    NEGATIVE = "negative", _("Negative value")
    BAD_TAX_ID = "bad_tax_id", _("Wrong CUI check digit")
    BAD_CURRENCY = "bad_currency", _("Unsupported currency")
    UNKNOWN_CLIENT = "unknown_client", _("Unknown client")
    UNKNOWN_PRODUCT = "unknown_product", _("Unknown product line")
    OUT_OF_PERIOD = "out_of_period", _("Outside the report period")
    BAD_TEXT = "bad_text", _("Not valid text (NUL or unpaired surrogate)")
    REPEATED_LINE = "repeated_line", _("Repeats an earlier line")


class AbcClass(models.TextChoices):
    # xgettext:no-python-format (a percent sign, not a placeholder)
    A = "A", _("A (top 80 % of volume)")
    B = "B", _("B (next 15 %)")
    C = "C", _("C (last 5 %)")


class NpsClass(models.TextChoices):
    PROMOTER = "promoter", _("Promoter (9–10)")
    PASSIVE = "passive", _("Passive (7–8)")
    DETRACTOR = "detractor", _("Detractor (0–6)")
    NONE = "none", _("No answer")


class SegmentLabel(models.TextChoices):
    STRATEGIC = "strategic", _("Strategic")
    GROW = "grow", _("Grow (small batches)")
    MAINTAIN = "maintain", _("Maintain")
    AT_RISK = "at_risk", _("At risk")
    DORMANT = "dormant", _("Dormant")


class AnswerChannel(models.TextChoices):
    """How a survey answer reached us: the client's own link, or told to a staff member who recorded it."""

    WEB = "web", _("Public link")
    PHONE = "phone", _("By phone")
    MEETING = "meeting", _("At a meeting")


class WhyChose(models.TextChoices):
    QUALITY = "quality", _("Product quality")
    PRICE = "price", _("Price")
    SERVICE = "service", _("Service and support")
    DELIVERY = "delivery", _("Delivery times")
    RELATIONSHIP = "relationship", _("Relationship with the distributor")
    RANGE = "range", _("Product range")
    OTHER = "other", _("Other")


class WillContinue(models.TextChoices):
    YES = "yes", _("Yes")
    MAYBE = "maybe", _("Maybe")
    NO = "no", _("No")
