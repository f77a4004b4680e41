from django.db import models
from django.utils.translation import gettext_lazy as _


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Queued")
    SENDING = "sending", _("Sending")
    RETRYING = "retrying", _("Waiting to retry")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")
