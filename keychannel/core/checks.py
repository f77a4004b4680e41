"""System check: every model that holds distributor data must have a scoped default manager."""

from django.apps import apps
from django.core import checks

from .scoping import ScopedQuerySet


def _holds_distributor_data(model) -> bool:
    names = {f.name for f in model._meta.get_fields()}
    return "distributor" in names or hasattr(model, "distributor_path")


@checks.register(checks.Tags.models)
def check_scoped_managers(app_configs=None, **kwargs):
    errors = []
    for model in apps.get_models():
        if not model.__module__.startswith("keychannel.") or model._meta.abstract:
            continue
        if model.__name__.startswith("Historical") or not _holds_distributor_data(model):
            continue
        qs = model._default_manager.get_queryset()
        if not isinstance(qs, ScopedQuerySet) or type(qs).visible_to is ScopedQuerySet.visible_to:
            errors.append(
                checks.Error(
                    f"{model._meta.label} holds distributor data but its default manager is not scoped.",
                    hint="Give it a QuerySet deriving from ScopedQuerySet with visible_to(principal).",
                    obj=model,
                    id="keychannel.E001",
                )
            )
    return errors
