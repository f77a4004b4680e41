from django.db import models
from django.utils.translation import gettext_lazy as _


class KamDuty(models.TextChoices):
    """The four duties of an embedded key-account manager (the seed's fig. 2)."""

    SELL_TO_LARGE_CLIENTS = "sell", _("Sell to large clients")
    CONCLUDE_CORPORATE_CONTRACTS = "contracts", _("Conclude corporate contracts with existing and potential clients")
    FIND_WAYS_TO_MAJOR_CLIENTS = "access", _("Find ways to interact with major clients")
    CONSULT_INSIDE_DISTRIBUTOR = "consult", _("Consult inside the distributor")
