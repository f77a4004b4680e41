from django.db import models
from django.utils.translation import gettext_lazy as _


class RegistrationStatus(models.TextChoices):
    PENDING = "pending", _("Pending decision")
    APPROVED = "approved", _("Approved (protected)")
    REJECTED = "rejected", _("Rejected")
    EXPIRED = "expired", _("Expired")


# A registration in one of these states still claims its client.
ACTIVE_REGISTRATION_STATUSES = (RegistrationStatus.PENDING, RegistrationStatus.APPROVED)


class ConflictKind(models.TextChoices):
    TERRITORY = "territory", _("Territory")
    PRODUCT_RANGE = "product_range", _("Product range")
    DOUBLE_REGISTRATION = "double_registration", _("Double registration")
    CLIENT_OWNERSHIP = "client_ownership", _("Client ownership")
    PRICING = "pricing", _("Pricing")
    # A client created past a "served elsewhere" duplicate warning (docs/rules.md, "Watched duplicates").
    POSSIBLE_DUPLICATE = "possible_duplicate", _("Possible duplicate client")


class ConflictStatus(models.TextChoices):
    OPEN = "open", _("Open")
    UNDER_REVIEW = "under_review", _("Under review")
    RESOLVED = "resolved", _("Resolved")


OPEN_CONFLICT_STATUSES = (ConflictStatus.OPEN, ConflictStatus.UNDER_REVIEW)


class Resolution(models.TextChoices):
    AWARDED = "awarded", _("Awarded to one party")
    SHARED = "shared", _("Shared between parties")
    OUT_OF_SCOPE = "out_of_scope", _("Taken out of scope")
    REJECTED = "rejected", _("Rejected")


class PartyRole(models.TextChoices):
    CLAIMANT = "claimant", _("Claimant (registered now)")
    HOLDER = "holder", _("Holder (registered or serves the client)")


class OutOfScopeReason(models.TextChoices):
    STRATEGIC_ACCOUNT = "strategic_account", _("Strategic account for the manufacturer")
    UNRESOLVED_TERRITORY = "unresolved_territory", _("Territory dispute that the parties cannot settle")
    UNRESOLVED_RANGE = "unresolved_range", _("Product range outside every agreement")
    CAPACITY = "capacity", _("No distributor can serve the client's needs")
    CLIENT_REQUEST = "client_request", _("The client asked to deal with the manufacturer")
    OTHER = "other", _("Other")


class InFlightHandling(models.TextChoices):
    GRACE_PERIOD = "grace_period", _("Grace period: the distributor closes its deals in flight")
    COMPENSATION = "compensation", _("Compensation for the deals in flight")
    NONE = "none", _("No deals in flight")


class LeadStatus(models.TextChoices):
    NEW = "new", _("New (not offered yet)")
    OFFERED = "offered", _("Offered to a distributor")
    ACCEPTED = "accepted", _("Accepted")
    UNASSIGNED = "unassigned", _("No eligible distributor left")


class LeadSource(models.TextChoices):
    MARKETING = "marketing", _("Manufacturer marketing")
    CORPORATE_PROGRAM = "corporate_program", _("Corporate program")
    INBOUND = "inbound", _("Inbound request")
    EVENT = "event", _("Event or fair")


class OfferStatus(models.TextChoices):
    OFFERED = "offered", _("Waiting for an answer")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    TIMED_OUT = "timed_out", _("Not answered in time")
