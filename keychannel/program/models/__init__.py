"""The key-account program's models, one module per sub-domain; every model is importable from here.

programs (the program and its sign-off), goals, rules (rules, acknowledgements, ledger), levels, events,
support (budget, requests, awards), learning (resources, courses, best practices); base holds the shared querysets.
"""

from keychannel.deals.tiers import (  # the corporate program's tiers live in deals (contracts point at them)
    CorporateTier,
    ServiceLevel,
)

from .base import (
    MONEY,
    PUBLISHED_PROGRAM,
    HeadScopedQuerySet,
    PublishedContentQuerySet,
)
from .events import (
    CalendarFeed,
    CalendarFeedQuerySet,
    Event,
    EventInvitation,
    EventInvitationQuerySet,
    EventQuerySet,
)
from .goals import Goal, GoalQuerySet, Milestone
from .learning import BestPractice, BestPracticeQuerySet, Course, CourseModule, Enrollment, LearningResource
from .levels import DistributorLevel, LevelChange, LevelCriterion, ProgramLevel
from .programs import Program, Signoff
from .rules import Acknowledgement, LedgerEntry, ProgramRule
from .support import Award, SupportBudget, SupportRequest

__all__ = [
    "MONEY", "PUBLISHED_PROGRAM", "Acknowledgement", "Award", "BestPractice", "BestPracticeQuerySet", "CalendarFeed",
    "CalendarFeedQuerySet", "CorporateTier", "Course", "CourseModule", "DistributorLevel", "Enrollment", "Event",
    "EventInvitation", "EventInvitationQuerySet", "EventQuerySet", "Goal", "GoalQuerySet", "HeadScopedQuerySet",
    "LearningResource", "LedgerEntry", "LevelChange", "LevelCriterion", "Milestone",
    "Program", "ProgramLevel", "ProgramRule", "PublishedContentQuerySet", "ServiceLevel",
    "Signoff", "SupportBudget", "SupportRequest",
]
