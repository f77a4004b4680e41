from django.db import models
from django.utils.translation import gettext_lazy as _


class TerritoryLevel(models.TextChoices):
    COUNTRY = "country", _("Country")
    REGION = "region", _("Region")
    COUNTY = "county", _("County")
    CITY = "city", _("City")


class DistributorKind(models.TextChoices):
    """What kind of company the distributor is: decides how it reaches corporate clients."""

    WHOLESALER = "wholesaler", _("Wholesaler")
    INTEGRATOR = "integrator", _("Integrator")
    RETAIL_CHAIN = "retail_chain", _("Retailer chain")
    SERVICE_PARTNER = "service_partner", _("Service partner")


class SizeTier(models.TextChoices):
    LARGE = "large", _("Large")
    MEDIUM = "medium", _("Medium")
    SMALL = "small", _("Small")


class ContractStrength(models.TextChoices):
    STRONG = "strong", _("Strong")
    WEAK = "weak", _("Weak")


class Stance(models.TextChoices):
    ACTIVE = "active", _("Active")
    CAUTIOUS = "cautious", _("Cautious")
    RESISTANT = "resistant", _("Resistant")


class Sharing(models.TextChoices):
    YES = "yes", _("Yes")
    PARTLY = "partly", _("Partly")
    NO = "no", _("No")


class AlignmentQuadrant(models.TextChoices):
    PARTNER = "partner", _("Partner: shares goals and methods")
    GOALS_NOT_METHODS = "goals_not_methods", _("Shares goals, not methods")
    METHODS_NOT_GOALS = "methods_not_goals", _("Shares methods, not goals")
    NEITHER = "neither", _("Shares neither")


class ChannelType(models.TextChoices):
    DIRECT_OFFICE = "direct_office", _("Direct office")
    DISTRIBUTOR = "distributor", _("Distributor")
    FRANCHISE = "franchise", _("Franchise")
    DIRECT_SELLERS = "direct_sellers", _("Direct sellers")


class PersonLevel(models.TextChoices):
    FIRST_PERSON = "first_person", _("First person")
    TOP_MANAGER = "top_manager", _("Top manager")
    MIDDLE_MANAGER = "middle_manager", _("Middle manager")
    SALES = "sales", _("Sales")


class RelationshipLevel(models.TextChoices):
    """The tier a person sits at, on either side, for pairing manufacturer and distributor people."""

    TOP = "top", _("Top")
    MIDDLE = "middle", _("Middle")
    OPERATIONAL = "operational", _("Operational")


# Where a distributor person sits for pairing purposes.
PERSON_TIER = {
    PersonLevel.FIRST_PERSON: RelationshipLevel.TOP,
    PersonLevel.TOP_MANAGER: RelationshipLevel.TOP,
    PersonLevel.MIDDLE_MANAGER: RelationshipLevel.MIDDLE,
    PersonLevel.SALES: RelationshipLevel.OPERATIONAL,
}


class InteractionKind(models.TextChoices):
    MEETING = "meeting", _("Meeting")
    CALL = "call", _("Call")
    VISIT = "visit", _("Visit")
    EVENT = "event", _("Event / workshop")
    MESSAGE = "message", _("E-mail or message")


class ActionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    DROPPED = "dropped", _("Dropped")


class ReviewStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    FOLLOW_UP = "follow_up", _("Follow-up due")
    CLOSED = "closed", _("Closed")


class Severity(models.TextChoices):
    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")
