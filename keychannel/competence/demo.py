"""Demo mentorships and embedded KAM stations (the competence app's own generator extends this)."""

from datetime import date

from .models import EmbeddedAssignment, Mentorship


def seed(ctx):
    mentor, kam = ctx.users["mentor"], ctx.users["kam"]
    # The mentor works with small distributors (fig. 1); the KAM is stationed at a large one (fig. 2).
    small = [d for d in ctx.data["distributors"] if d.size_tier == "small"][:4]
    for distributor in small:
        Mentorship.objects.update_or_create(
            mentor=mentor, distributor=distributor, defaults={"starts_on": date(2026, 1, 1), "focus": "First corporate deals"}
        )
    station = next(d for d in ctx.data["distributors"] if d.size_tier == "large")
    EmbeddedAssignment.objects.update_or_create(
        kam=kam, distributor=station, defaults={"starts_on": date(2026, 1, 1)}
    )
    ctx.data["kam_station"] = station
    ctx.data["mentored"] = small
