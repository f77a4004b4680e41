"""Shared pieces of the program's models: money fields and the querysets several sub-domains scope by."""

from django.db.models import Q

from keychannel.core.scoping import (
    AuditedQuerySet,
    DistributorScopedQuerySet,
    ScopedQuerySet,
)

from ..choices import ProgramStatus

MONEY = {"max_digits": 16, "decimal_places": 2}
PUBLISHED_PROGRAM = [ProgramStatus.LAUNCHED, ProgramStatus.CLOSED]


class PublishedContentQuerySet(ScopedQuerySet, AuditedQuerySet):
    """Program content: every manufacturer role reads it all, distributor users only what is published.

    "Published" is the model's ``published`` flag; a model where it means something else says so with a
    static ``published_filter()`` returning a Q object.
    """

    def published_filter(self) -> Q:
        model_filter = getattr(self.model, "published_filter", None)
        return model_filter() if model_filter is not None else Q(published=True)

    def visible_to(self, principal):
        if not principal.is_authenticated:
            return self.none()
        if principal.is_manufacturer:
            return self.all()
        return self.filter(self.published_filter())


class HeadScopedQuerySet(DistributorScopedQuerySet):
    """Distributor business (support, ledger): reach for manufacturer roles, the head for the distributor side."""

    def visible_to(self, principal):
        if principal.is_authenticated and principal.has_role("dist_sales"):
            return self.none()
        return super().visible_to(principal)
