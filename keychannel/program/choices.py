from django.db import models
from django.utils.translation import gettext_lazy as _


class ProgramStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    AWAITING_SIGNOFF = "awaiting_signoff", _("Awaiting sign-off")
    LAUNCHED = "launched", _("Launched")
    CLOSED = "closed", _("Closed")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class SignoffDecision(models.TextChoices):
    APPROVE = "approve", _("Approve")
    OBJECT = "object", _("Object")


class GoalLevel(models.TextChoices):
    PROGRAM = "program", _("Program")
    OFFICE = "office", _("Office")
    DEPARTMENT = "department", _("Department")
    DISTRIBUTOR = "distributor", _("Distributor")


class GoalStatus(models.TextChoices):
    AHEAD = "ahead", _("Ahead")
    ON_TRACK = "on_track", _("On track")
    BEHIND = "behind", _("Behind")
    NOT_AVAILABLE = "not_available", _("Not available")


class RuleKind(models.TextChoices):
    INCENTIVE = "incentive", _("Incentive")
    RESTRICTION = "restriction", _("Restriction")
    PENALTY = "penalty", _("Penalty")


class RuleStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    SUPERSEDED = "superseded", _("Superseded")


class LedgerKind(models.TextChoices):
    PENALTY = "penalty", _("Penalty")
    RESTRICTION = "restriction", _("Restriction")
    REWARD = "reward", _("Reward")


class AppealStatus(models.TextChoices):
    NONE = "none", _("Not appealed")
    APPEALED = "appealed", _("Appealed")
    UPHELD = "upheld", _("Appeal rejected: entry stands")
    GRANTED = "granted", _("Appeal granted: entry lifted")


class EventKind(models.TextChoices):
    WORKSHOP = "workshop", _("Workshop")
    MEETING = "meeting", _("Meeting")
    TRAINING = "training", _("Training")
    CONFERENCE = "conference", _("Conference")


class EventStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    CANCELLED = "cancelled", _("Cancelled")


class Rsvp(models.TextChoices):
    PENDING = "pending", _("No answer yet")
    YES = "yes", _("Attending")
    MAYBE = "maybe", _("Maybe")
    NO = "no", _("Not attending")


class SupportKind(models.TextChoices):
    FINANCIAL = "financial", _("Financial")
    METHODOLOGICAL = "methodological", _("Methodological")
    CO_SELLING = "co_selling", _("Co-selling visit")


class SupportStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    CLAIMED = "claimed", _("Claimed")
    PAID = "paid", _("Paid")
    DONE = "done", _("Done")


class ResourceKind(models.TextChoices):
    FILE = "file", _("File")
    LINK = "link", _("Link")


class BestPracticeStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SHARED = "shared", _("Shared with the network")
