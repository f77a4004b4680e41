"""Where a distributor stands in a program's levels, read for a page."""

from __future__ import annotations

from datetime import date

from django.utils import timezone

from ..models import ProgramLevel

# --- levels -----------------------------------------------------------------------------------------------------


def distributor_level(*, principal, program, distributor, on: date | None = None) -> dict:
    """Which level the data qualifies the distributor for, what the next level needs and how far it is."""
    from ..levels import qualify  # levels imports services, which read these selectors

    on = on or timezone.localdate()
    levels = list(
        ProgramLevel.objects.visible_to(principal).filter(program=program).prefetch_related("criteria").order_by("rank")
    )
    return qualify(levels, program, distributor.pk, on)
