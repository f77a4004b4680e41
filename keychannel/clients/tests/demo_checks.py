"""The demo's client book; called by tests/test_demo.py on the one seeded demo (it was a test of its own that seeded
part of the demo, twice; seeding twice changes nothing is checked for every model there)."""

from keychannel.clients.models import CorporateClient, Stakeholder
from keychannel.clients.selectors import client_find_duplicates
from keychannel.core.scoping import Principal


def check_client_book(ctx) -> None:
    key_accounts = ctx.data["key_accounts"]
    assert CorporateClient.objects.count() >= 300 and len(ctx.data["clients"]) == 300
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
