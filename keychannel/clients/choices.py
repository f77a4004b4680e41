from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class RevenueBand(models.TextChoices):
    UNDER_10M = "lt10m", _("Under 10 M RON")
    FROM_10M = "10m_50m", _("10–50 M RON")
    FROM_50M = "50m_250m", _("50–250 M RON")
    FROM_250M = "250m_1b", _("250 M – 1 bn RON")
    OVER_1B = "gt1b", _("Over 1 bn RON")


class ClientStatus(models.TextChoices):
    PROSPECT = "prospect", _("Prospect")
    ACTIVE = "active", _("Active")
    DORMANT = "dormant", _("Dormant")
    LOST = "lost", pgettext_lazy("client status", "Lost")  # not the deal stage: see deals.choices.Stage


class StakeholderLevel(models.TextChoices):
    BOARD = "board", _("Board")
    EXECUTIVE = "executive", _("Executive")
    VP = "vp", _("Vice-president")
    DIRECTOR = "director", _("Director")
    MIDDLE_MANAGER = "middle_manager", _("Middle manager")
    JUNIOR = "junior", _("Junior staff")
    END_USER = "end_user", _("End user")


# Levels that count as "executive level" for the coverage flags.
EXECUTIVE_LEVELS = frozenset({StakeholderLevel.BOARD, StakeholderLevel.EXECUTIVE, StakeholderLevel.VP})


class BuyingRole(models.TextChoices):
    DECISION_MAKER = "decision_maker", _("Decision maker")
    ECONOMIC_BUYER = "economic_buyer", _("Economic buyer")
    INFLUENCER = "influencer", _("Influencer")
    TECHNICAL_EVALUATOR = "technical_evaluator", _("Technical evaluator")
    USER = "user", _("User")
    GATEKEEPER = "gatekeeper", _("Gatekeeper")
    CHAMPION = "champion", _("Champion")
    OPPONENT = "opponent", _("Opponent")


class Attitude(models.IntegerChoices):
    HOSTILE = -2, _("Hostile")
    SCEPTICAL = -1, _("Sceptical")
    NEUTRAL = 0, _("Neutral")
    FAVOURABLE = 1, _("Favourable")
    SUPPORTER = 2, _("Supporter")


class RelationshipLevel(models.TextChoices):
    NONE = "none", _("None")
    ACQUAINTED = "acquainted", _("Acquainted")
    PROFESSIONAL = "professional", _("Professional")
    TRUSTED = "trusted", _("Trusted")
    ADVOCATE = "advocate", _("Trusted advisor")


RELATIONSHIP_RANK = {level: rank for rank, level in enumerate(RelationshipLevel.values)}


class StakeholderLinkKind(models.TextChoices):
    INFLUENCES = "influences", _("influences")
    CONFLICT = "conflict", _("is in conflict with")


class ObjectiveStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ON_TRACK = "on_track", _("On track")
    AT_RISK = "at_risk", _("At risk")
    ACHIEVED = "achieved", _("Achieved")
    DROPPED = "dropped", _("Dropped")


class ActionStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class CompetitorPosition(models.TextChoices):
    INCUMBENT = "incumbent", _("Incumbent supplier")
    SHARED = "shared", _("Shares the account with us")
    CHALLENGER = "challenger", _("Challenging us")
    FORMER = "former", _("Former supplier")
