"""Issue 16: the demo network overlaps as a real one does, and the sole-channel flag says so correctly.

Sole channel (DESIGN.md): the only distributor that may sell a product line in a territory. Checked against a
direct computation from the coverage rows, for every distributor of the demo, on the flag the API gives."""

import pytest
from django.test import Client
from django.utils import timezone

from keychannel.core import services as core_services
from keychannel.core.scoping import Principal
from keychannel.demo.seed import seed_demo
from keychannel.network.models import Coverage, Distributor, ProductLine, Territory

pytestmark = pytest.mark.django_db
SOLE_IN_THE_DEMO = 14  # of 24: the others share every cell they sell in with a neighbour or a national wholesaler


def _direct_sole_ids(today):
    """Per county × active line: the active coverages of the county and every territory above it; exclusive holders
    win; sole where exactly one distributor remains."""
    territories = {t.pk: t for t in Territory.objects.all()}
    leaves = [t for t in territories.values() if not any(o.parent_id == t.pk for o in territories.values())]
    rows = [c for c in Coverage.objects.filter(distributor__active=True)
            if c.valid_from <= today and (c.valid_to is None or c.valid_to >= today)]
    sole = set()
    for leaf in leaves:
        chain, node = set(), leaf
        while node is not None:
            chain.add(node.pk)
            node = territories.get(node.parent_id)
        for line in ProductLine.objects.filter(active=True):
            here = [c for c in rows if c.territory_id in chain and c.product_line_id == line.pk]
            exclusive = {c.distributor_id for c in here if c.exclusive}
            holders = exclusive or {c.distributor_id for c in here}
            if len(holders) == 1 and not (exclusive and {c.distributor_id for c in here} - exclusive):
                sole |= holders
    return sole


def test_the_demo_has_overlapping_coverage_and_a_true_sole_channel_flag(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    seed_demo(password="demo-pass", progress=lambda *_: None)
    today = timezone.localdate()
    expected = _direct_sole_ids(today)
    assert 0 < len(expected) < Distributor.objects.count() == 24
    assert len(expected) == SOLE_IN_THE_DEMO
    from keychannel.core.models import Membership

    user = Membership.objects.filter(role="admin").select_related("user").first().user
    _token, raw = core_services.api_token_create(principal=Principal.for_user(user), name="sole")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    items = api.get("/api/v1/distributors?limit=100").json()["items"]
    assert {d["id"] for d in items if d["sole_channel"]} == expected
    coverage = api.get("/api/v1/coverage?limit=500").json()["items"]
    assert {c["distributor_id"] for c in coverage if c["sole_channel"]} == expected
    # National wholesale and neighbouring counties exist in the demo.
    assert Coverage.objects.filter(territory__code="ro").exists()
    assert Coverage.objects.filter(note="Neighbouring county").exists()
