"""Reach of mentors and embedded KAMs: the distributors they mentor, or where they are stationed, today."""

from .models import EmbeddedAssignment, Mentorship


def distributors_mentored_by(principal):
    """Distributor and client mentorships; a deal mentorship reaches the deal only (the deals app sees to that)."""
    return (
        Mentorship.objects.active_on().filter(mentor_id=principal.user_id, opportunity__isnull=True)
        .values_list("distributor_id", flat=True)
    )


def distributors_stationed(principal):
    return (
        EmbeddedAssignment.objects.active_on().filter(kam_id=principal.user_id).values_list("distributor_id", flat=True)
    )
