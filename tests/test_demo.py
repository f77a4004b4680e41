"""The demo: every printed login works for its role, seeding twice changes nothing, and the network overlaps as a real
one does.

The demo is seeded once for the module (the ``demo`` fixture, in an outer transaction rolled back at its end) and
checked by one test (the sole-channel check is called from it), so it is seeded once per run and database whatever
xdist does; ``xdist_group`` (``make test-postgres`` runs ``--dist loadgroup``) keeps any test added here beside it."""

import json

import pytest
from django.apps import apps
from django.db import transaction
from django.test import Client
from django.utils import timezone

from keychannel.core import services as core_services
from keychannel.core.choices import Role
from keychannel.core.models import Membership
from keychannel.core.scoping import Principal
from keychannel.core.tests.api_rows_check import check_lists_answer_as_ninja
from keychannel.demo.seed import seed_demo
from keychannel.network.models import Coverage, Distributor, ProductLine, Territory
from tests.fast import fast_settings

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("demo")]


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), fast_settings():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield seed_demo(password="demo-pass", progress=lambda *_: None)
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def _row_counts():
    return {
        model._meta.label: model._base_manager.count()
        for model in apps.get_models()
        if model.__module__.startswith("keychannel.") and not model.__name__.startswith("Historical")
    }


def test_demo_is_idempotent_and_every_role_can_log_in(demo):
    # One test on the one seeding: xdist could otherwise hand the module's tests to two workers, each seeding it.
    check_the_sole_channel_flag()
    ctx = demo
    first = _row_counts()
    assert first["network.Distributor"] == 24
    # No demo deal violates the registration gate (docs/rules.md): registered, overridden, or needing nothing.
    from keychannel.channel.gate import deals_violating_gate

    assert deals_violating_gate() == []
    # Product tests in every state, and every won deal won on a signed-off test or with an override (issue 15).
    from keychannel.deals.models import Opportunity, ProductTest, ProductTestSignoff
    from keychannel.deals.signoff import deals_violating_signoff

    assert {"pending", "passed", "failed"} <= set(ProductTest.objects.values_list("result", flat=True))
    assert ProductTestSignoff.objects.filter(kind="manufacturer").exists()
    assert Opportunity.objects.filter(stage="won", test_override_at__isnull=False).exists()
    assert deals_violating_signoff() == []
    # One list of tiers (issue 15, part 4): every contract reaches its tier's threshold or carries an exception.
    from keychannel.deals.models import CorporateContract

    contracts = list(CorporateContract.objects.select_related("tier"))
    assert all(c.annual_volume() >= c.tier.min_annual_volume or c.tier_exception_reason for c in contracts)
    assert any(c.tier_exception_reason and c.tier_exception_by_id for c in contracts)
    # Service cases (issue 20): every state, breaches, ratings, a take-over.
    from keychannel.service.models import ServiceCase

    assert {"new", "in_progress", "waiting_client", "resolved", "closed"} <= set(
        ServiceCase.objects.values_list("status", flat=True))
    assert ServiceCase.objects.filter(resolution_breached=True).exists()
    assert ServiceCase.objects.filter(rating__isnull=False).exists()
    assert ServiceCase.objects.filter(taken_over_at__isnull=False).exists()
    # The demo tells the truth in time, and in Romanian where a Romanian user wrote (issue 18, part 8).
    from tests.demo_timeline_checks import check_romanian_texts, check_timeline

    check_timeline()
    check_romanian_texts()
    # Every role's bell has unread and read notifications (issue 17, part 6); the administrator is told only of the
    # disabled demo webhook it owns, so its one notice is unread.
    from keychannel.core.models import Notification

    for role in Role:
        users = Membership.objects.filter(role=role, user__username__in=list(ctx.users)).values_list("user_id", flat=True)
        notes = Notification.objects.filter(recipient_id__in=list(users))
        assert notes.filter(read_at__isnull=True).exists(), role
        assert role == Role.ADMIN or notes.filter(read_at__isnull=False).exists(), role
    seed_demo(password="demo-pass", progress=lambda *_: None)
    assert _row_counts() == first
    check_timeline()
    # The story's refused assignment (issue 14): d01's head tried to make the KAM a deal owner; the log kept it.
    from keychannel.core.models import SecurityEvent

    assert SecurityEvent.objects.filter(username="d01-head", action="assign:deals.opportunity.owner").count() == 1
    # Programs across years (issue 15, part 6): last year's closed, this year's current, next year's revised.
    from keychannel.program.tests.demo_checks import check_lifecycle_story, check_penalty_raised_by_condition

    check_lifecycle_story("demo-pass")
    check_penalty_raised_by_condition()
    check_lists_answer_as_ninja()  # issue 22: the fast list path answers ninja's bytes (keychannel/core/tests)

    usernames = {"admin", "program", "executive", "channel", "mentor", "kam", "d01-head", "d01-sales", "d24-head"}
    assert usernames <= {u for u, _, _ in ctx.logins}
    roles = set(Membership.objects.filter(user__username__in=usernames).values_list("role", flat=True))
    assert roles == {str(r) for r in Role}
    for username in sorted(usernames):
        client = Client()
        response = client.post("/login/", {"username": username, "password": "demo-pass"})
        assert response.status_code == 302, username
        assert client.get("/").status_code == 200
        me = client.get("/api/v1/me").json()
        assert me["username"] == username
    head = Client()
    head.post("/login/", {"username": "d01-head", "password": "demo-pass"})
    assert head.get("/api/v1/distributors").json()["count"] == 1

    # Every role's cockpit has something to act on (docs/cockpits.md).
    from django.contrib.auth import get_user_model

    from keychannel.core.cockpit import panels_for
    from keychannel.core.scoping import Principal

    for username in sorted(usernames):
        panels = panels_for(Principal.for_user(get_user_model().objects.get(username=username)))
        assert sum(len(p["items"]) for p in panels) >= 3, username

    # Issue 15: a funded activity's support page shows its spend and the won value attributed to it.
    from keychannel.program import support_money
    from keychannel.program.models import SupportRequest

    manager = Principal.for_user(get_user_model().objects.get(username="program"))
    funded = [support_money.support_return(principal=manager, request=r)
              for r in SupportRequest.objects.filter(status="paid", client__isnull=False)]
    shown = [r for r in funded if r is not None and r.won_value > 0 and r.spend > 0]
    assert shown
    office = Client()
    office.post("/login/", {"username": "program", "password": "demo-pass"})
    from django.urls import reverse

    page = office.get(reverse("program:support_detail", args=[shown[0].request.pk])).content.decode()
    assert 'id="support-spend"' in page and 'id="support-won"' in page

    # Cursor paging (core/keyset.py) on every list of the API, over the demo's data: following next_cursor gives
    # the same rows, in the same order, as offset pages of the same size (ties and NULLs in the orders included).
    _every_list_pages_alike_by_cursor_and_offset(office)

    # Each app's own story in the demo (they were tests that seeded parts of the demo again; wave 9).
    from keychannel.clients.tests.demo_checks import check_client_book
    from keychannel.competence.tests.demo_checks import check_competence_data
    from keychannel.program.tests.demo_checks import check_program_data

    check_program_data()
    check_client_book(ctx)
    check_competence_data(ctx)  # last: it assigns a coverage gap


def _every_list_pages_alike_by_cursor_and_offset(caller, size=7, pages=4):
    from keychannel.api import api

    schema = api.get_openapi_schema(path_prefix="/api/v1")
    walked = 0
    for path, operations in schema["paths"].items():
        get = operations.get("get")
        if "{" in path or not get or "cursor" not in {p["name"] for p in get.get("parameters", [])}:
            continue
        if caller.get(path, {"limit": 1}).status_code == 403:  # a list of another role (the admin's users)
            continue
        if "offset" not in {p["name"] for p in get.get("parameters", [])}:
            # Cursor only (the audit log: a union of every history table, which no offset pages cheaply): the walk
            # by cursor must never repeat a row.
            seen, cursor = [], None
            for _page in range(pages):
                page = caller.get(path, {"limit": size, **({"cursor": cursor} if cursor else {})}).json()
                seen += [json.dumps(item, sort_keys=True, default=str) for item in page["items"]]
                cursor = page["next_cursor"]
                if not cursor:
                    break
            assert len(seen) == len(set(seen)), path
            continue
        by_offset = [caller.get(path, {"limit": size, "offset": size * n}).json() for n in range(pages)]
        assert all(isinstance(page.get("count"), int) for page in by_offset), path
        by_cursor = [by_offset[0]]
        while len(by_cursor) < pages and by_cursor[-1]["next_cursor"]:
            page = caller.get(path, {"limit": size, "cursor": by_cursor[-1]["next_cursor"]}).json()
            assert page["count"] is None, path
            by_cursor.append(page)
        assert [page["items"] for page in by_cursor] == [page["items"] for page in by_offset[: len(by_cursor)]], path
        assert bool(by_cursor[-1]["next_cursor"]) == (len(by_cursor) == pages and len(by_offset[-1]["items"]) == size
                                                      and by_offset[0]["count"] > size * pages), path
        walked += len(by_cursor) > 1
    assert walked >= 10  # the demo has several pages in most lists


# ---- sole channel (issue 16) ---------------------------------------------------------------------------------
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


def check_the_sole_channel_flag():
    """Issue 16: sole channel (DESIGN.md) is the only distributor that may sell a product line in a territory; checked
    against a direct computation from the coverage rows, for every distributor of the demo, on the flag the API gives."""
    today = timezone.localdate()
    expected = _direct_sole_ids(today)
    assert 0 < len(expected) < Distributor.objects.count() == 24
    assert len(expected) == SOLE_IN_THE_DEMO
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
