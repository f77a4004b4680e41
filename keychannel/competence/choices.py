from django.db import models
from django.utils.translation import gettext_lazy as _


class KamDuty(models.TextChoices):
    """The four duties of an embedded key-account manager (the seed's fig. 2)."""

    SELL_TO_LARGE_CLIENTS = "sell", _("Sell to large clients")
    CONCLUDE_CORPORATE_CONTRACTS = "contracts", _("Conclude corporate contracts with existing and potential clients")
    FIND_WAYS_TO_MAJOR_CLIENTS = "access", _("Find ways to interact with major clients")
    CONSULT_INSIDE_DISTRIBUTOR = "consult", _("Consult inside the distributor")


class TaskPriority(models.IntegerChoices):
    """Higher numbers come first in a KAM's list."""

    LOW = 1, _("Low")
    NORMAL = 2, _("Normal")
    HIGH = 3, _("High")
    URGENT = 4, _("Urgent")


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    BLOCKED = "blocked", _("Blocked")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


# What the KAM may set; cancelling is the manufacturer's decision.
KAM_STATUSES = (TaskStatus.OPEN, TaskStatus.IN_PROGRESS, TaskStatus.BLOCKED, TaskStatus.DONE)
OPEN_TASK_STATUSES = (TaskStatus.OPEN, TaskStatus.IN_PROGRESS, TaskStatus.BLOCKED)


class ConsultationStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    CONVERTED = "converted", _("Turned into a KAM task")


class MentorshipScope(models.TextChoices):
    DISTRIBUTOR = "distributor", _("Whole distributor")
    CLIENT = "client", _("One client")
    DEAL = "deal", _("One deal")
