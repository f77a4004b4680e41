"""Background tasks of the sales app (Django's task framework, keychannel/settings.py TASKS)."""

from django_tasks import task


@task
def import_run(job_id: int) -> str:
    """Apply one uploaded sales file (keychannel/sales/imports.py): whole or not at all, exactly once."""
    from .imports import import_job_run

    return import_job_run(job_id)


def segment_recompute_queue(*, principal, distributor=None, year: int | None = None) -> str:
    """Check the right now (403 in the request), recompute in the background; returns the task's id."""
    from keychannel.core.policies import require

    require(principal, "sales.clientsegment.recompute", distributor)
    result = segments_recompute_run.enqueue(principal.user.pk, getattr(distributor, "pk", None), year)
    return str(result.id)


@task
def segments_recompute_run(principal_user_id: int, distributor_id: int | None, year: int | None) -> int:
    """Recompute client segments off the request (the segments page, POST /api/v1/segments/recompute with
    ``background``): a network-wide recompute takes seconds at ten million lines. Runs as the user who asked."""
    from django.contrib.auth import get_user_model

    from keychannel.core.scoping import Principal
    from keychannel.network.models import Distributor

    from .services import segment_recompute

    user = get_user_model().objects.filter(pk=principal_user_id).first()
    distributor = Distributor.objects.get(pk=distributor_id) if distributor_id else None
    return segment_recompute(principal=Principal.for_user(user), distributor=distributor, year=year)
