"""Who may see what, in one place: the request-scoped Principal and the scoped QuerySets every model uses.

Domain apps register *reach providers* (which distributors a channel manager manages, which a mentor
mentors, where a KAM is stationed) so that core never imports a domain app.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property

from django.conf import settings
from django.db import connections, models
from django.http import Http404
from django.utils import timezone

from .choices import DISTRIBUTOR_ROLES, MANUFACTURER_ROLES, NETWORK_WIDE_ROLES, Role

ReachProvider = Callable[["Principal"], Iterable[int]]
_reach_providers: dict[str, list[ReachProvider]] = {}
# Roles whose one provider can also be read in the statement that reads the membership (``with_reach``).
_reach_in_statement: dict[str, Callable[[str], str]] = {}
REACH_COLUMN = "kc_reach"


def register_reach(role: str, provider: ReachProvider, *, in_statement: Callable[[str], str] | None = None) -> None:
    """Add distributor ids that ``role`` reaches; the union of every provider for a role is its reach.

    ``in_statement(membership)``: the same ids as the SQL of a ``SELECT id`` correlated to the membership table
    named ``membership`` (quoted): ``with_reach`` then reads them with the membership, in its statement. For a role
    with a few distributors (a distributor's own users): their reach was one more round trip on each request."""
    _reach_providers.setdefault(str(role), []).append(provider)
    if in_statement is not None:
        _reach_in_statement[str(role)] = in_statement


def with_reach(queryset):
    """PostgreSQL: ``queryset`` (of memberships, or of one row joined to its user's membership: the API token's)
    with the membership's reach as an array column (``REACH_COLUMN``) for the roles that declare one
    (``register_reach``), NULL for the others; ``Principal.for_membership`` takes it. Read in the statement that
    authenticates, so it is never older than the request (a distributor moved to another organisation leaves its
    old users' reach at once). Written out once (``_reach_sql``): built through the ORM (a ``Case`` of
    ``ArraySubquery``), it cost 1.2 ms of CPU on every request, more than the round trip it saves. Other databases
    read the reach as before, when it is first asked for."""
    if connections[queryset.db].vendor != "postgresql" or not _reach_in_statement:
        return queryset
    from django.contrib.postgres.fields import ArrayField  # PostgreSQL only (psycopg)
    from django.db.models.expressions import RawSQL

    sql, params = _reach_sql()
    if not sql:
        return queryset
    return queryset.annotate(**{REACH_COLUMN: RawSQL(sql, params, output_field=ArrayField(models.IntegerField()))})


@functools.cache
def _reach_sql() -> tuple[str, tuple]:
    """``CASE WHEN m.role IN (…) THEN ARRAY(…) … END`` over the membership table (by its name: the only join of it
    in the statements that read it), the roles of one provider grouped by their SQL."""
    from .models import Membership  # local: models import this module

    table = connections["default"].ops.quote_name(Membership._meta.db_table)
    by_sql: dict[str, list[str]] = {}
    for role, make in _reach_in_statement.items():
        if len(_reach_providers.get(role, ())) == 1:
            by_sql.setdefault(make(table), []).append(role)
    if not by_sql:
        return "", ()
    role = f"{table}.{connections['default'].ops.quote_name(Membership._meta.get_field('role').column)}"
    whens = " ".join(f"WHEN {role} IN ({', '.join(['%s'] * len(roles))}) THEN ARRAY({sql})"
                     for sql, roles in by_sql.items())
    return f"CASE {whens} END", tuple(role for roles in by_sql.values() for role in roles)


@dataclass
class Principal:
    """The acting user with their role and reach, computed once per request."""

    user: object | None
    role: str | None = None
    organization_id: int | None = None
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def for_user(cls, user) -> Principal:
        if user is None or not getattr(user, "is_authenticated", False):
            return cls(user=None)
        from .models import Membership  # local: models import this module

        # order_by("pk"): the model's ordering (organisation name, username) would join two tables for one row.
        membership = with_reach(Membership.objects.filter(user=user).only("role", "organization_id")).order_by("pk").first()
        return cls.for_membership(user, membership)

    @classmethod
    def for_membership(cls, user, membership) -> Principal:
        """The principal of a user whose membership the caller already read (e.g. joined to an API token)."""
        if membership is None:
            return cls(user=user)
        principal = cls(user=user, role=membership.role, organization_id=membership.organization_id)
        reach = getattr(membership, REACH_COLUMN, None)
        if reach is not None and principal.is_authenticated and not principal.sees_whole_network:
            principal.__dict__["distributor_ids"] = principal._reach([reach])  # read with it (``with_reach``)
        if type(membership).organization.is_cached(membership):  # joined (the API token's query): no second read
            principal.__dict__["organization"] = membership.organization
        return principal

    @property
    def is_authenticated(self) -> bool:
        return self.user is not None and self.role is not None

    @property
    def user_id(self) -> int | None:
        return getattr(self.user, "pk", None)

    @property
    def is_manufacturer(self) -> bool:
        return self.role in MANUFACTURER_ROLES

    @property
    def is_distributor_user(self) -> bool:
        return self.role in DISTRIBUTOR_ROLES

    @property
    def sees_whole_network(self) -> bool:
        return self.role in NETWORK_WIDE_ROLES

    @property
    def role_label(self) -> str:
        return str(Role(self.role).label) if self.role else ""

    def has_role(self, *roles: str) -> bool:
        return self.role in {str(r) for r in roles}

    @cached_property
    def organization(self):
        """The organisation the principal works for (None without one): read once, or taken from the membership
        when the caller loaded it joined (``for_membership``)."""
        if self.organization_id is None:
            return None
        from .models import Organization  # local: models import this module

        return Organization.objects.get(pk=self.organization_id)

    @cached_property
    def distributor_ids(self) -> frozenset[int] | None:
        """Distributors whose data this principal reaches; ``None`` means every distributor. When the role's one
        provider gives its ids as a QuerySet, the set keeps it: ``in_lookup`` passes that subquery to a large
        ``__in`` instead of every id (a channel manager's 1,000 distributors)."""
        if not self.is_authenticated:
            return frozenset()
        if self.sees_whole_network:
            return None
        return self._reach([provider(self) for provider in _reach_providers.get(self.role, [])])

    def _reach(self, answers: list) -> IdSet:
        ids: set[int] = set()
        for answer in answers:
            ids.update(answer)
        reach = IdSet(ids)
        if len(answers) == 1 and isinstance(answers[0], models.QuerySet):
            reach.query = answers[0]
        elif len(answers) == 1 and self.role in _reach_in_statement:  # read in the statement: the same subquery
            reach.query = _reach_providers[self.role][0](self)  # for in_lookup, built, not run
        return reach

    @cached_property
    def own_distributor_id(self) -> int | None:
        """The distributor a distributor user works for (None for manufacturer roles)."""
        if not self.is_distributor_user:
            return None
        ids = self.distributor_ids or frozenset()
        return next(iter(ids), None)

    def reaches(self, distributor_id: int | None) -> bool:
        if self.distributor_ids is None:
            return True
        return distributor_id is not None and distributor_id in self.distributor_ids


ANONYMOUS = Principal(user=None)


class IdSet(frozenset):
    """Ids that may also know the QuerySet selecting them (``query``), for ``in_lookup``."""

    query = None


def frozen_ids(ids):
    """``ids`` as a frozenset to key a cache with, keeping an ``IdSet`` (and the subquery it carries for
    ``in_lookup``) as it is; ``None`` (every distributor) stays ``None``."""
    return ids if ids is None or isinstance(ids, frozenset) else frozenset(ids)


def in_lookup(ids):
    """The value for an ``__in`` lookup over ``ids``: the ids themselves, or, past
    ``settings.KEYCHANNEL_REACH_INLINE_MAX`` of them, the subquery they came from (an ``IdSet``'s ``query``), so a
    statement does not carry 1,000 parameters (each one parsed by the driver and planned by the server)."""
    query = getattr(ids, "query", None)
    if query is not None and len(ids) > settings.KEYCHANNEL_REACH_INLINE_MAX:
        return query
    return list(ids)


class AuditedQuerySet(models.QuerySet):
    """Bulk writes that still leave an audit trail (django-simple-history only sees save() and delete())."""

    def _history_model(self):
        return getattr(self.model, "history", None)

    def update(self, **kwargs):
        # save() sets an auto_now field; update() does not, so a bulk change would be invisible to ``updated_since``.
        for f in self.model._meta.concrete_fields:
            if getattr(f, "auto_now", False) and f.name not in kwargs:
                kwargs[f.name] = timezone.now() if isinstance(f, models.DateTimeField) else datetime.date.today()
        history = self._history_model()
        if history is None:
            return super().update(**kwargs)
        pks = list(self.values_list("pk", flat=True))
        count = super().update(**kwargs)
        if pks:
            objs = list(self.model._base_manager.filter(pk__in=pks))
            self.model.history.bulk_history_create(objs, update=True)
        return count

    def bulk_create(self, objs, *args, **kwargs):
        created = super().bulk_create(objs, *args, **kwargs)
        if self._history_model() is not None and created and all(o.pk for o in created):
            self.model.history.bulk_history_create(created)
        return created

    # bulk_update() runs update() per batch, so it is audited through update() above.


class ScopedQuerySet(models.QuerySet):
    """Base for every model that holds data somebody must not see. Subclasses implement visible_to."""

    scoped = True

    def visible_to(self, principal: Principal):  # pragma: no cover - each subclass overrides
        raise TypeError(f"{self.model.__name__} does not define visible_to(principal)")


class DistributorScopedQuerySet(ScopedQuerySet, AuditedQuerySet):
    """Records owned by one distributor, found through ``Model.distributor_path`` (default ``distributor``).

    Records with no distributor (manufacturer-led / direct) are visible to network-wide roles only.
    """

    def visible_to(self, principal: Principal):
        if not principal.is_authenticated:
            return self.none()
        reach = principal.distributor_ids
        if reach is None:
            return self.all()
        path = getattr(self.model, "distributor_path", "distributor")
        return self.filter(**{f"{path}__in": in_lookup(reach)})


class ReferenceQuerySet(ScopedQuerySet, AuditedQuerySet):
    """Reference data every signed-in user may read (territories, product lines, the channel rules)."""

    def visible_to(self, principal: Principal):
        return self.all() if principal.is_authenticated else self.none()


class ManufacturerOnlyQuerySet(ScopedQuerySet, AuditedQuerySet):
    """Rows only the manufacturer's people read (channel presence, playbooks): no distributor user, any reach."""

    def visible_to(self, principal: Principal):
        return self.all() if principal.is_authenticated and principal.is_manufacturer else self.none()


def parent_scope(model) -> tuple[str, type[models.Model], bool]:
    """``model.parent_path`` resolved: the lookup path, the parent model, and whether a key on the way may be null."""
    path = getattr(model, "parent_path", None)
    if not path:
        raise TypeError(f"{model.__name__} uses ParentScopedQuerySet but names no parent_path")
    target, nullable = model, False
    for name in path.split("__"):
        field = target._meta.get_field(name)
        if not field.many_to_one and not field.one_to_one:
            raise TypeError(f"{model.__name__}.parent_path {path!r}: {name!r} is not a foreign key")
        nullable = nullable or field.null
        target = field.related_model
    return path, target, nullable


class ParentScopedQuerySet(ScopedQuerySet, AuditedQuerySet):
    """Parts of another record (a deal's activities, a case's messages): visible exactly when the parent is.

    The model names the foreign key (or a path of them) to the parent in ``parent_path = "opportunity"``; the
    parent's own ``visible_to`` decides. Subclasses narrow further with ``super().visible_to(principal)``.
    """

    def visible_to(self, principal: Principal):
        if not principal.is_authenticated:
            return self.none()
        path, parent, nullable = parent_scope(self.model)
        parents = parent._default_manager.visible_to(principal)
        if not nullable and not parents.query.where:
            return self.all()  # every parent is visible (a network-wide role): no subquery
        return self.filter(**{f"{path}__in": parents.values("pk")})


def get_visible_or_404(queryset_or_model, principal: Principal, **lookup):
    """Fetch one record the principal may see; missing and forbidden answer the same 404."""
    qs = queryset_or_model
    if isinstance(qs, type) and issubclass(qs, models.Model):
        qs = qs._default_manager.all()
    try:
        return qs.visible_to(principal).get(**lookup)
    except (qs.model.DoesNotExist, ValueError, TypeError):
        raise Http404("Not found") from None


# What a page shows of a person it names: get_full_name() and the username it falls back to.
USER_NAME_COLUMNS = ("id", "username", "first_name", "last_name")


def user_full_name(first_name: str, last_name: str) -> str:
    """``User.get_full_name()`` from the two columns, for value rows (a record per named person cost a model init
    each: 50 a page of the distributors or deals list). The user model is Django's own (``AUTH_USER_MODEL`` is not
    set); a test compares both."""
    return f"{first_name} {last_name}".strip()


def own_and_related_columns(model, **related) -> tuple[str, ...]:
    """``only()`` arguments for a detail page's record: every column of ``model`` and, for each joined relation,
    only the columns given (``client=("id", "legal_name")``): a joined row read whole cost its columns' Python in
    the statement's compilation and in every instance built from it (issue 22)."""
    return (*(f.name for f in model._meta.concrete_fields),
            *(f"{relation}__{column}" for relation, columns in related.items() for column in columns))


__all__ = [
    "ANONYMOUS",
    "AuditedQuerySet",
    "DistributorScopedQuerySet",
    "ManufacturerOnlyQuerySet",
    "ParentScopedQuerySet",
    "Principal",
    "ReferenceQuerySet",
    "Role",
    "ScopedQuerySet",
    "IdSet",
    "get_visible_or_404",
    "in_lookup",
    "register_reach",
    "with_reach",
]
