import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils.timezone import localdate as today  # read at the test: a run may cross midnight

from keychannel.channel import services
from keychannel.channel.choices import ConflictKind, ConflictStatus, RegistrationStatus, Resolution
from keychannel.channel.models import Conflict, DealRegistration
from keychannel.channel.tests.factories import cover, make_client
from keychannel.clients.models import CorporateClient
from keychannel.core.errors import ConflictError
from keychannel.core.models import Notification
from keychannel.core.scoping import Principal

pytestmark = pytest.mark.django_db



@pytest.fixture
def dispute(world):
    """own holds a client (first registration); other registers the same tax id and gets a conflict."""
    cover(world.own, world.territory, world.product_line)
    cover(world.other, world.territory, world.product_line)
    client = make_client(distributor=world.own, territory=world.territory, tax_id="20202020",
                         legal_name="Carpathia Foods SA")
    common = dict(title="Cold chain", product_lines=[world.product_line], expected_close_on=today() + datetime.timedelta(days=40))
    first = services.registration_submit(principal=world.principal("dist_sales"), distributor=world.own, client=client,
                                         estimated_value=Decimal("777000"), notes="OWN-SECRET-NOTE", **common)
    other_sales = Principal.for_user(world.other_users["dist_sales"])
    second = services.registration_submit(principal=other_sales, distributor=world.other, legal_name="Carpathia Foods",
                                          tax_id="20202020", estimated_value=Decimal("555000"), notes="OTHER-SECRET", **common)
    conflict = Conflict.objects.get(registration=second)
    world.cache.update(client=client, first=first, second=second, conflict=conflict)
    return world


def test_each_party_sees_the_conflict_and_its_own_side_only(dispute, api_as):
    w = dispute
    conflict, first, second = w.cache["conflict"], w.cache["first"], w.cache["second"]
    services.conflict_comment(principal=w.principal("program_manager"), conflict=conflict, body="INTERNAL-NOTE", internal=True)
    services.conflict_comment(principal=w.principal("program_manager"), conflict=conflict, body="Public note")
    services.conflict_comment(principal=Principal.for_user(w.other_users["dist_head"]), conflict=conflict,
                              body="OTHER-PARTY-COMMENT")
    own_head = api_as(w.user("dist_head"))
    body = own_head.get(f"/api/v1/conflicts/{conflict.pk}").json()
    assert body["kind"] == ConflictKind.DOUBLE_REGISTRATION
    mine = [s for s in body["sides"] if s["mine"]]
    theirs = [s for s in body["sides"] if not s["mine"]]
    assert mine[0]["registration_id"] == first.pk and mine[0]["distributor_id"] == w.own.pk
    assert theirs == [{"role": "claimant", "mine": False, "distributor_id": None, "distributor_name": None,
                       "registration_id": None, "share_percent": None}]
    raw = own_head.get(f"/api/v1/conflicts/{conflict.pk}").content.decode()
    assert "555000" not in raw and "OTHER-SECRET" not in raw and w.other.legal_name not in raw
    comments = [c["body"] for c in own_head.get(f"/api/v1/conflicts/{conflict.pk}/comments").json()]
    assert comments == ["Public note"]
    # the other party's registration stays hidden
    assert own_head.get(f"/api/v1/registrations/{second.pk}").status_code == 404
    # the manufacturer reads everything
    pm_comments = [c["body"] for c in api_as(w.user("program_manager")).get(f"/api/v1/conflicts/{conflict.pk}/comments").json()]
    assert pm_comments == ["INTERNAL-NOTE", "Public note", "OTHER-PARTY-COMMENT"]


def test_conflict_page_hides_the_other_party(dispute, login):
    w = dispute
    conflict = w.cache["conflict"]
    services.conflict_comment(principal=w.principal("program_manager"), conflict=conflict, body="INTERNAL-NOTE", internal=True)
    page = login(w.other_users["dist_sales"]).get(conflict.get_absolute_url()).content.decode()
    assert "Carpathia" in page and "INTERNAL-NOTE" not in page
    assert w.own.legal_name not in page and "777" not in page and "OWN-SECRET-NOTE" not in page


def test_salesperson_sees_only_conflicts_on_own_registrations(dispute, api_as):
    from keychannel.core.tests.factories import make_user

    colleague = make_user("dist_sales", dispute.own.organization, username="w-da-sales-2")
    assert api_as(colleague).get(f"/api/v1/conflicts/{dispute.cache['conflict'].pk}").status_code == 404
    assert api_as(dispute.user("dist_head")).get(f"/api/v1/conflicts/{dispute.cache['conflict'].pk}").status_code == 200


def test_award_closes_the_losers_registration_and_notifies(dispute):
    w = dispute
    conflict = services.conflict_resolve(principal=w.principal("program_manager"), conflict=w.cache["conflict"],
                                         resolution=Resolution.AWARDED, awarded_to_id=w.own.pk, note="First came first.")
    assert conflict.status == ConflictStatus.RESOLVED and conflict.awarded_to_id == w.own.pk
    second = DealRegistration.objects.get(pk=w.cache["second"].pk)
    assert second.status == RegistrationStatus.REJECTED
    assert Notification.objects.filter(recipient=w.other_users["dist_sales"], title__icontains="decided").exists()
    # the first registration can now be approved
    services.registration_approve(principal=w.principal("program_manager"), registration=w.cache["first"])
    with pytest.raises(ConflictError):
        services.conflict_resolve(principal=w.principal("program_manager"), conflict=conflict,
                                  resolution=Resolution.REJECTED, note="again")


def test_award_to_the_claimant_moves_the_client_and_the_claim(dispute):
    w = dispute
    services.conflict_resolve(principal=w.principal("program_manager"), conflict=w.cache["conflict"],
                              resolution=Resolution.AWARDED, awarded_to_id=w.other.pk)
    second = DealRegistration.objects.get(pk=w.cache["second"].pk)
    assert second.holds_claim and second.status == RegistrationStatus.PENDING
    assert CorporateClient.objects.get(pk=w.cache["client"].pk).distributor_id == w.other.pk
    assert DealRegistration.objects.get(pk=w.cache["first"].pk).status == RegistrationStatus.REJECTED


def test_share_needs_percentages_adding_up_to_100(dispute):
    w = dispute
    pm = w.principal("program_manager")
    for shares in ({w.own.pk: 50, w.other.pk: 40}, {w.own.pk: 100}, {w.own.pk: 120, w.other.pk: -20}):
        with pytest.raises(ValidationError):
            services.conflict_resolve(principal=pm, conflict=w.cache["conflict"], resolution=Resolution.SHARED, shares=shares)
    assert Conflict.objects.get(pk=w.cache["conflict"].pk).status == ConflictStatus.OPEN
    services.conflict_resolve(principal=pm, conflict=w.cache["conflict"], resolution=Resolution.SHARED,
                              shares={w.own.pk: 60, w.other.pk: 40})
    assert dict(w.cache["conflict"].parties.values_list("distributor_id", "share_percent")) == {w.own.pk: 60, w.other.pk: 40}


def test_take_out_of_scope(dispute, api_as):
    w = dispute
    pm = w.principal("program_manager")
    with pytest.raises(ValidationError) as exc:
        services.conflict_resolve(principal=pm, conflict=w.cache["conflict"], resolution=Resolution.OUT_OF_SCOPE,
                                  note="x", in_flight="grace_period")
    # the grace period defaults to the channel policy's (test_out_of_scope.py)
    assert {"out_of_scope_reason", "notice_days"} <= set(exc.value.message_dict)
    conflict = services.conflict_resolve(
        principal=pm, conflict=w.cache["conflict"], resolution=Resolution.OUT_OF_SCOPE, note="Strategic account.",
        out_of_scope_reason="strategic_account", notice_days=30, in_flight="grace_period",
        grace_until=today() + datetime.timedelta(days=60),
    )
    client = CorporateClient.objects.get(pk=w.cache["client"].pk)
    assert client.out_of_scope and client.distributor_id is None
    project = conflict.project_opportunity
    assert project.origin == "out_of_scope_project" and project.distributor_id is None
    assert project.client_id == client.pk and project.source_reference == f"conflict:{conflict.pk}"
    assert set(DealRegistration.objects.values_list("status", flat=True)) == {RegistrationStatus.REJECTED}
    # distributors lose the client and its new data; they still see the outcome
    for user in (w.user("dist_head"), w.other_users["dist_head"]):
        api = api_as(user)
        assert api.get(f"/api/v1/clients/{client.pk}").status_code == 404
        assert api.get(f"/api/v1/conflicts/{conflict.pk}").json()["resolution"] == "out_of_scope"
    # and nobody can register it again
    with pytest.raises(ValidationError):
        services.registration_submit(principal=w.principal("dist_head"), distributor=w.own, client=client, title="again",
                                     product_lines=[w.product_line], estimated_value=1,
                                     expected_close_on=today() + datetime.timedelta(days=5))


def test_review_then_decide_and_validation_via_api(dispute, api_as):
    w = dispute
    api = api_as(w.user("channel_manager"))  # manages own, a party
    url = f"/api/v1/conflicts/{w.cache['conflict'].pk}"
    assert api.post(f"{url}/review", content_type="application/json").json()["status"] == "under_review"
    assert api.post(f"{url}/review", content_type="application/json").status_code == 409
    bad = api.post(f"{url}/resolve", {"resolution": "awarded", "awarded_to_id": 999999}, content_type="application/json")
    assert bad.status_code == 422
    assert api.post(f"{url}/resolve", {"resolution": "bogus"}, content_type="application/json").status_code == 422
    assert Conflict.objects.get(pk=w.cache["conflict"].pk).status == ConflictStatus.UNDER_REVIEW
    ok = api.post(f"{url}/resolve", {"resolution": "rejected", "note": "Registered a held client."},
                  content_type="application/json")
    assert ok.status_code == 200 and ok.json()["status"] == "resolved"
    assert DealRegistration.objects.get(pk=w.cache["second"].pk).status == RegistrationStatus.REJECTED
    # precedents find it by kind and decision
    found = api_as(w.user("program_manager")).get("/api/v1/conflicts/precedents?kind=double_registration&resolution=rejected")
    assert [c["id"] for c in found.json()["items"]] == [w.cache["conflict"].pk]


def test_distributor_cannot_post_internal_comments(dispute, api_as):
    url = f"/api/v1/conflicts/{dispute.cache['conflict'].pk}/comments"
    response = api_as(dispute.user("dist_head")).post(url, {"body": "x", "internal": True}, content_type="application/json")
    assert response.status_code == 422


def test_due_date_by_kind(dispute, settings):
    assert dispute.cache["conflict"].due_on == today() + datetime.timedelta(days=5)
    settings.KEYCHANNEL_CONFLICT_DUE_DAYS = {"pricing": 2}
    conflict = services.conflict_open(principal=dispute.principal("program_manager"), kind="pricing",
                                      client=dispute.cache["client"], reason="Below list price.",
                                      distributor_ids=[dispute.own.pk, dispute.other.pk])
    assert conflict.due_on == today() + datetime.timedelta(days=2)


def test_the_conflict_page_says_who_won_as_the_declared_redaction_allows(dispute, client):
    # The page used to spell the awarded-to rule again in its template; it now reads the one redaction.
    from django.urls import reverse

    w = dispute
    services.conflict_resolve(principal=w.principal("program_manager"), conflict=w.cache["conflict"],
                              resolution=Resolution.AWARDED, awarded_to_id=w.own.pk, note="First came first.")
    url = reverse("channel:conflict_detail", args=[w.cache["conflict"].pk])
    seen = {}
    for key, user in [("manager", w.user("program_manager")), ("winner", w.user("dist_head")),
                      ("loser", w.other_users["dist_head"])]:
        client.force_login(user)
        seen[key] = client.get(url).content.decode()
    assert str(w.own) in seen["manager"]
    assert "to you" in seen["winner"]
    assert "to another party" in seen["loser"] and str(w.own) not in seen["loser"]
