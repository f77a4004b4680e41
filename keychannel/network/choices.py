from django.db import models
from django.utils.translation import gettext_lazy as _


class TerritoryLevel(models.TextChoices):
    COUNTRY = "country", _("Country")
    REGION = "region", _("Region")
    COUNTY = "county", _("County")
    CITY = "city", _("City")


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
