"""The shared scoped QuerySets of core/scoping.py: reference data, manufacturer-only rows, parts of a parent record.

Each base is tested on a real model that uses it; a structural test checks that every model on ``ParentScopedQuerySet``
names a parent that is itself scoped, and that no app grew its own copy of a base again.
"""

import ast
import datetime
from pathlib import Path

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from keychannel.core.choices import MANUFACTURER_ROLES, Role
from keychannel.core.scoping import (
    ANONYMOUS,
    ManufacturerOnlyQuerySet,
    ParentScopedQuerySet,
    ReferenceQuerySet,
    ScopedQuerySet,
    parent_scope,
)
from keychannel.deals.models import Activity, ContractNotice, CorporateContract, Opportunity
from keychannel.deals.tests.factories import ClientFactory, ContractFactory, OpportunityFactory
from keychannel.network.models import ChannelPresence, ProductLine, Territory
from tests.world import ROLES

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def _deal(world, side):
    client = ClientFactory(distributor=world.distributor(side), territory=world.territory)
    deal = OpportunityFactory(client=client, owner=world.user(Role.ADMIN))
    Activity.objects.create(opportunity=deal, subject=f"Visit {side}", occurred_on=timezone.localdate())
    return deal


def test_reference_data_is_read_by_every_signed_in_user_and_nobody_else(world):
    assert Territory.objects.visible_to(ANONYMOUS).count() == 0
    assert ProductLine.objects.visible_to(ANONYMOUS).count() == 0
    for role in ROLES:
        assert list(Territory.objects.visible_to(world.principal(role))) == [world.territory], role
        assert world.product_line in ProductLine.objects.visible_to(world.principal(role)), role


def test_manufacturer_only_rows_are_invisible_to_every_distributor_user(world):
    row = ChannelPresence.objects.create(territory=world.territory, channel_type="direct_office", count=2)
    for role in ROLES:
        seen = list(ChannelPresence.objects.visible_to(world.principal(role)))
        assert seen == ([row] if role in MANUFACTURER_ROLES else []), role
    from keychannel.core.scoping import Principal

    for user in world.other_users.values():
        assert not ChannelPresence.objects.visible_to(Principal.for_user(user)).exists()
    assert not ChannelPresence.objects.visible_to(ANONYMOUS).exists()


def test_a_part_is_visible_exactly_when_its_parent_is(world):
    own, other = _deal(world, "own"), _deal(world, "other")
    for role in ROLES:
        principal = world.principal(role)
        deals = set(Opportunity.objects.visible_to(principal).values_list("pk", flat=True))
        parts = set(Activity.objects.visible_to(principal).values_list("opportunity_id", flat=True))
        assert parts == deals & {own.pk, other.pk}, role
    head = world.principal(Role.DIST_HEAD)
    assert list(Activity.objects.visible_to(head).values_list("opportunity_id", flat=True)) == [own.pk]
    assert not Activity.objects.visible_to(ANONYMOUS).exists()


def test_a_part_of_a_part_follows_the_path_to_its_parent(world):
    own = ContractFactory(client=ClientFactory(distributor=world.own, territory=world.territory))
    other = ContractFactory(client=ClientFactory(distributor=world.other, territory=world.territory))
    for contract in (own, other):
        ContractNotice.objects.create(contract=contract, sent_on=timezone.localdate())
    head = world.principal(Role.DIST_HEAD)
    assert list(ContractNotice.objects.visible_to(head).values_list("contract_id", flat=True)) == [own.pk]
    assert ContractNotice.objects.visible_to(world.principal(Role.ADMIN)).count() == 2
    assert set(CorporateContract.objects.visible_to(head)) >= {own}


def test_a_network_wide_role_reads_parts_without_asking_for_the_parents(world):
    _deal(world, "own")
    _deal(world, "other")
    with CaptureQueriesContext(connection) as ctx:
        assert Activity.objects.visible_to(world.principal(Role.ADMIN)).count() == 2
    assert "deals_opportunity" not in ctx.captured_queries[-1]["sql"]
    with CaptureQueriesContext(connection) as ctx:
        assert Activity.objects.visible_to(world.principal(Role.DIST_HEAD)).count() == 1
    assert "deals_opportunity" in ctx.captured_queries[-1]["sql"]


def _scoped_models(base):
    return [m for m in apps.get_models() if isinstance(m._default_manager.all(), base)]


def test_every_parent_scoped_model_names_a_scoped_parent():
    models = _scoped_models(ParentScopedQuerySet)
    assert len(models) >= 10
    for model in models:
        path, parent, _nullable = parent_scope(model)
        assert isinstance(parent._default_manager.all(), ScopedQuerySet), f"{model.__name__}.{path}"


def test_a_parent_scoped_model_without_a_parent_path_is_refused():
    class NoParent:
        __name__ = "NoParent"

    with pytest.raises(TypeError):
        parent_scope(NoParent)


def test_the_bases_are_not_copied_back_into_the_apps():
    """A visible_to that only says "every signed-in user", "the manufacturer's people" or "when the parent is"
    belongs on the core base."""
    copies = []
    for path in sorted((ROOT / "keychannel").glob("*/**/*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if "/migrations/" in rel or "/tests/" in rel or rel.startswith("keychannel/core/"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.FunctionDef) and node.name == "visible_to"):
                continue
            body = [s for s in node.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
            if len(body) == 1 and isinstance(body[0], ast.Return):
                ret = ast.unparse(body[0].value)
                if ret in ("self.all() if principal.is_authenticated else self.none()",
                           "self.all() if principal.is_authenticated and principal.is_manufacturer else self.none()"):
                    copies.append(f"{rel}:{node.lineno}")
                elif ret.startswith("self.filter(") and ".objects.visible_to(principal)" in ret and "__in=" in ret:
                    copies.append(f"{rel}:{node.lineno}")
    assert not copies, f"use ReferenceQuerySet / ManufacturerOnlyQuerySet / ParentScopedQuerySet: {copies}"


def test_bases_are_in_use():
    assert _scoped_models(ReferenceQuerySet) and _scoped_models(ManufacturerOnlyQuerySet)


def test_update_through_the_queryset_moves_updated_at(world):
    """updated_since sync reads updated_at: a bulk update() must move it like save() does."""
    deal = _deal(world, "own")
    past = timezone.now() - datetime.timedelta(days=3)
    Opportunity.objects.filter(pk=deal.pk).update(updated_at=past)  # an explicit value is kept
    deal.refresh_from_db()
    assert deal.updated_at == past
    Opportunity.objects.filter(pk=deal.pk).update(next_step="Send the offer")
    deal.refresh_from_db()
    assert deal.updated_at > past + datetime.timedelta(days=2)
    assert deal.history.first().next_step == "Send the offer"
