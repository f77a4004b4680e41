from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Stage(models.TextChoices):
    DISCUSSION = "discussion", _("Discussion")
    CONSULTATION = "consultation", _("Consultation")
    PRODUCT_TESTING = "product_testing", _("Product testing")
    PROPOSAL = "proposal", _("Proposal")
    NEGOTIATION = "negotiation", _("Negotiation")
    WON = "won", _("Won")
    # "Lost" is also a client status (clients.ClientStatus): a language may say the two differently.
    LOST = "lost", pgettext_lazy("deal stage", "Lost")


class LostReason(models.TextChoices):
    """Why a deal was lost: asked from this list on every move to lost (deal page, kanban, API) and reported on
    the forecast page. "Other" needs the details written out."""

    PRICE = "price", _("Price")
    COMPETITOR = "competitor", _("Went with a competitor")
    INCUMBENT = "incumbent", _("Kept the current supplier")
    BUDGET = "budget", _("No budget")
    TECHNICAL = "technical", _("Did not meet the technical requirements")
    TIMING = "timing", _("Project postponed or cancelled")
    OTHER = "other", _("Other")


OPEN_STAGES = (Stage.DISCUSSION, Stage.CONSULTATION, Stage.PRODUCT_TESTING, Stage.PROPOSAL, Stage.NEGOTIATION)
CLOSED_STAGES = (Stage.WON, Stage.LOST)
# Stages from which a deal may be won: a proposal has been made.
WINNABLE_STAGES = (Stage.PROPOSAL, Stage.NEGOTIATION)
DEFAULT_PROBABILITY = {
    Stage.DISCUSSION: 10,
    Stage.CONSULTATION: 20,
    Stage.PRODUCT_TESTING: 40,
    Stage.PROPOSAL: 60,
    Stage.NEGOTIATION: 80,
    Stage.WON: 100,
    Stage.LOST: 0,
}


class Origin(models.TextChoices):
    MANUAL = "manual", _("Entered by hand")
    REGISTRATION = "registration", _("Deal registration")
    LEAD = "lead", _("Lead")
    OUT_OF_SCOPE_PROJECT = "out_of_scope_project", _("Out-of-scope project (manufacturer-led)")


class ActivityKind(models.TextChoices):
    MEETING = "meeting", _("Meeting")
    CALL = "call", _("Call")
    CONSULTATION = "consultation", _("Consultation")
    PRESENTATION = "presentation", _("Presentation")
    PRODUCT_TEST = "product_test", _("Product test")


class TestResult(models.TextChoices):
    PENDING = "pending", _("Pending")
    PASSED = "passed", _("Passed")
    FAILED = "failed", _("Failed")


class SignoffKind(models.TextChoices):
    STAKEHOLDER = "stakeholder", _("Client stakeholder approved")
    MANUFACTURER = "manufacturer", _("Manufacturer sign-off")


class ContractStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    EXPIRED = "expired", _("Expired")
    TERMINATED = "terminated", _("Terminated")


class Attention(models.TextChoices):
    NO_NEXT_STEP = "no_next_step", _("No next step")
    OVERDUE = "overdue", _("Next step overdue")


def attention_flags(stage: str, next_step: str, next_step_on, today=None) -> list[str]:
    """Flags for open deals nobody is pushing: no next step, or its date has passed. One rule for a deal
    (``Opportunity.attention``) and a kanban card read as a row (``deals.cards.Card``)."""
    if stage not in OPEN_STAGES:
        return []
    if not next_step or next_step_on is None:
        return [Attention.NO_NEXT_STEP]
    if next_step_on < (today or timezone.localdate()):
        return [Attention.OVERDUE]
    return []


class ForecastDimension(models.TextChoices):
    MONTH = "month", _("Month")
    DISTRIBUTOR = "distributor", _("Distributor")
    TERRITORY = "territory", _("Territory")
    PRODUCT_LINE = "product_line", _("Product line")


class ServicePriority(models.TextChoices):
    """Priority of a service case; a tier's service level sets targets per priority."""

    CRITICAL = "critical", _("Critical")
    HIGH = "high", _("High")
    NORMAL = "normal", _("Normal")
    LOW = "low", _("Low")
