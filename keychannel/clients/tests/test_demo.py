import pytest

from keychannel.clients import demo as clients_demo
from keychannel.clients.models import CorporateClient, Stakeholder, StakeholderContact
from keychannel.clients.selectors import client_find_duplicates
from keychannel.core import demo as core_demo
from keychannel.core.scoping import Principal
from keychannel.demo.context import DemoContext
from keychannel.network import demo as network_demo

pytestmark = pytest.mark.django_db


def _seed():
    ctx = DemoContext(password="demo-pass")
    for module in (core_demo, network_demo, clients_demo):
        module.seed(ctx)
    return ctx


def test_demo_client_book(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    ctx = _seed()
    counts = (CorporateClient.objects.count(), Stakeholder.objects.count(), StakeholderContact.objects.count())
    key_accounts = ctx.data["key_accounts"]
    assert counts[0] >= 300 and len(ctx.data["clients"]) == 300
    assert CorporateClient.objects.filter(distributor__isnull=True).exists()
    sizes = [Stakeholder.objects.filter(client=c).count() for c in key_accounts]
    assert len(key_accounts) >= 24 and min(sizes) >= 8 and max(sizes) <= 40
    stored = CorporateClient.objects.filter(pk__in=[c.pk for c in key_accounts])
    at_risk = [c for c in stored if c.coverage_score < 50 or c.risk_flag_count >= 3]
    assert 0 < len(at_risk) < len(key_accounts)
    # The near-duplicates the demo plants are found by the duplicate check.
    planted = CorporateClient.objects.get(code="D0001")
    admin = Principal.for_user(ctx.users["admin"])
    check = client_find_duplicates(principal=admin, legal_name=planted.legal_name, exclude_id=planted.pk)
    assert check.candidates and check.candidates[0].client.code == "C00001"
    # Idempotent: a second run creates nothing new.
    _seed()
    assert (CorporateClient.objects.count(), Stakeholder.objects.count(), StakeholderContact.objects.count()) == counts
