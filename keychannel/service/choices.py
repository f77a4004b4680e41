from django.db import models
from django.utils.translation import gettext_lazy as _

from keychannel.deals.choices import ServicePriority  # noqa: F401  (one list of priorities, with the tiers)


class CaseType(models.TextChoices):
    INCIDENT = "incident", _("Incident")
    REQUEST = "request", _("Request")
    COMPLAINT = "complaint", _("Complaint")
    WARRANTY = "warranty", _("Warranty")
    TRAINING = "training", _("Training")


class CaseStatus(models.TextChoices):
    NEW = "new", _("New")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING_CLIENT = "waiting_client", _("Waiting on the client")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


OPEN_STATUSES = (CaseStatus.NEW, CaseStatus.IN_PROGRESS, CaseStatus.WAITING_CLIENT)


class CaseSource(models.TextChoices):
    STAFF = "staff", _("Opened by staff")
    PUBLIC_FORM = "public_form", _("Client's public form")
    EMAIL = "email", _("E-mail to the client's service address")


class MessageKind(models.TextChoices):
    PUBLIC = "public", _("Public reply")
    INTERNAL = "internal", _("Internal note")
    MANUFACTURER = "manufacturer", _("Manufacturer-only note")


class CaseEventKind(models.TextChoices):
    NEAR_BREACH = "near_breach", _("Near breach: distributor head notified")
    RESPONSE_BREACH = "response_breach", _("First response target breached")
    RESOLUTION_BREACH = "resolution_breach", _("Resolution target breached")
    TAKEOVER = "takeover", _("Taken over by the manufacturer")
    PAUSED = "paused", _("Waiting on the client: SLA paused")
    RESUMED = "resumed", _("SLA resumed")


class Risk(models.TextChoices):
    ON_TRACK = "on_track", _("On track")
    AT_RISK = "at_risk", _("At risk")
    BREACHED = "breached", _("Breached")
    PAUSED = "paused", _("Paused")
    MET = "met", _("Met")
