"""External ids: the key another system (an ERP, a CRM) gives a record, so it can find and update it again.

A record's external id belongs to the organisation that owns the record. Clients, deals and contracts belong to
their distributor (or, when direct, to the manufacturer): their external id is unique per distributor, and the
manufacturer's direct records form one more scope of their own. So distributor A's "C-100" and distributor B's
"C-100" are two different records, a collision can only happen inside one's own scope, and a lookup by external
id only ever searches the caller's own scope (docs/api.md, "Sync"). Distributors belong to the manufacturer:
their external id is unique in the network.

Empty means "none" and is stored as NULL, so any number of records may have none.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

MAX_LENGTH = 100


def external_id_field():
    return models.CharField(
        _("external id"), max_length=MAX_LENGTH, null=True, blank=True,
        help_text=_("This record's key in your own system (ERP, CRM): unique within its distributor."),
    )


def per_distributor_constraints(prefix: str) -> list[models.UniqueConstraint]:
    """Unique (distributor, external_id) for distributors' records, unique external_id among direct ones."""
    return [
        models.UniqueConstraint(
            fields=["distributor", "external_id"], condition=Q(external_id__isnull=False, distributor__isnull=False),
            name=f"{prefix}_external_id_per_distributor",
        ),
        models.UniqueConstraint(
            fields=["external_id"], condition=Q(external_id__isnull=False, distributor__isnull=True),
            name=f"{prefix}_external_id_direct",
        ),
    ]


def clean(value):
    """Surrounding blanks dropped; empty → None (no external id)."""
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def check_free(instance, *, scope: str | None = "distributor") -> None:
    """A field error when another record of the same scope already has this external id (one's own scope only:
    the records compared are those of the instance's distributor, so nothing about another distributor shows)."""
    from django.core.exceptions import ValidationError

    instance.external_id = clean(instance.external_id)
    if instance.external_id is None:
        return
    others = type(instance)._base_manager.filter(external_id=instance.external_id)
    if scope is not None:
        others = others.filter(**{f"{scope}_id": getattr(instance, f"{scope}_id")})
    if instance.pk is not None:
        others = others.exclude(pk=instance.pk)
    if others.exists():
        raise ValidationError({"external_id": _("Another record of this book already has this external id.")})
