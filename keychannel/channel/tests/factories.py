"""Test helpers of the channel app (plain ORM: the rules under test live in services)."""

import datetime
import itertools
from decimal import Decimal

from django.utils import timezone

from keychannel.clients.models import CorporateClient
from keychannel.network.models import Coverage

from ..choices import ConflictKind, PartyRole, RegistrationStatus
from ..models import Conflict, ConflictParty, DealRegistration

# 5xxxxxxx: the deals, clients and network factories use 7…, 3… and 1… (two tests making clients with both once collided).
_seq = itertools.count(1)


def make_client(*, distributor, territory, legal_name=None, tax_id=None, **fields) -> CorporateClient:
    n = next(_seq)
    return CorporateClient.objects.create(
        legal_name=legal_name or f"Client Test Nr{n} Holding SRL", tax_id=tax_id if tax_id is not None else f"5{n:07d}",
        distributor=distributor, territory=territory, **fields,
    )


def cover(distributor, territory, product_line, *, exclusive=False, valid_from=None, valid_to=None) -> Coverage:
    return Coverage.objects.create(
        distributor=distributor, territory=territory, product_line=product_line, exclusive=exclusive,
        valid_from=valid_from or datetime.date(2020, 1, 1), valid_to=valid_to,
    )


def make_registration(*, distributor, client, user, status=RegistrationStatus.PENDING, holds_claim=True,
                      protected_until=None, product_lines=(), **fields) -> DealRegistration:
    registration = DealRegistration.objects.create(
        distributor=distributor, client=client, registered_by=user, client_name=client.legal_name,
        title=fields.pop("title", "Compressor fleet"), estimated_value=fields.pop("estimated_value", Decimal("250000")),
        expected_close_on=fields.pop("expected_close_on", timezone.localdate() + datetime.timedelta(days=60)),
        status=status, holds_claim=holds_claim, protected_until=protected_until, **fields,
    )
    if product_lines:
        registration.product_lines.set(product_lines)
    return registration


def make_conflict(*, registration, kind=ConflictKind.DOUBLE_REGISTRATION, other=None, other_registration=None) -> Conflict:
    conflict = Conflict.objects.create(
        kind=kind, client=registration.client, client_name=registration.client_name,
        territory_id=registration.client.territory_id, registration=registration, reason="test",
        due_on=timezone.localdate() + datetime.timedelta(days=5),
    )
    ConflictParty.objects.create(conflict=conflict, distributor=registration.distributor, role=PartyRole.CLAIMANT,
                                 registration=registration)
    if other is not None:
        ConflictParty.objects.create(conflict=conflict, distributor=other, role=PartyRole.HOLDER,
                                     registration=other_registration)
    return conflict
