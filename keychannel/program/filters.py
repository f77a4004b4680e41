"""The filters of the goal list, defined once (docs/development.md, "Adding a list"): the selector applies them, the
goals page draws the level, metric and distributor selects, the API takes them all (``schemas.GoalFilter``)."""

from django.utils.translation import gettext_lazy

from keychannel.core.filters import FilterSpec, ListFilters
from keychannel.core.scoping import in_lookup

from . import metrics
from .choices import GoalLevel


def _distributor_choices(principal):
    from keychannel.network.models import Distributor

    qs = Distributor.objects.visible_to(principal).filter(active=True).order_by("code")
    if principal.distributor_ids is not None:
        qs = qs.filter(pk__in=in_lookup(principal.distributor_ids))
    return [(d.pk, f"{d.code} · {d.legal_name}") for d in qs.only("pk", "code", "legal_name")]


GOAL_FILTERS = ListFilters(
    FilterSpec("level", gettext_lazy("Level"), lookup="level", choices=GoalLevel.choices),
    FilterSpec("metric", gettext_lazy("Metric"), lookup="metric", choices=lambda _principal: metrics.metric_choices()),
    FilterSpec("distributor_id", gettext_lazy("Distributor"), lookup="distributor_id", choices=_distributor_choices),
    FilterSpec("program_id", lookup="program_id"),
    FilterSpec("parent_id", lookup="parent_id"),
)
