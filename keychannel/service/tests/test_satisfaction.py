"""Satisfaction feeds the client view (issue 20, part 3): case ratings read NPS-style (5 promoter, 4 passive, 1–3
detractor) on the client page, the distributor scorecard, the segments page and in the API — all through
service/satisfaction.py."""

import pytest
from django.urls import reverse
from django.utils import timezone

from keychannel.deals.tests.factories import ClientFactory
from keychannel.service import satisfaction, selectors, services, tokens
from keychannel.service.choices import CaseStatus, MessageKind
from keychannel.service.tests.factories import open_case

pytestmark = pytest.mark.django_db


def _rated(world, client, rating, side="own"):
    case = open_case(world, side, client=client, title=f"Case rated {rating}")
    head = world.principal("dist_head") if side == "own" else world.principal("program_manager")
    services.message_add(principal=head, case=case, body="Done", kind=MessageKind.PUBLIC)
    services.case_set_status(principal=head, case=case, status=CaseStatus.RESOLVED)
    return services.case_rate(token=tokens.case_token(case), rating=rating)


@pytest.fixture
def rated(world):
    """Own distributor: a promoter client (5 then 5), a detractor one (5 then 2), a passive one (4).
    The other distributor: one detractor (1)."""
    clients = {name: ClientFactory(distributor=world.own, territory=world.territory, legal_name=name)
               for name in ("Promoter SA", "Turned SA", "Passive SA")}
    for name, ratings in (("Promoter SA", [5, 5]), ("Turned SA", [5, 2]), ("Passive SA", [4])):
        for rating in ratings:
            _rated(world, clients[name], rating)
    far = ClientFactory(distributor=world.other, territory=world.territory, legal_name="Far SA")
    _rated(world, far, 1, side="other")
    return clients, far


def test_case_ratings_read_as_nps(world, rated):
    assert [satisfaction.class_of(n) for n in range(1, 6)] == ["detractor"] * 3 + ["passive", "promoter"]
    manager = world.principal("program_manager")
    year = timezone.localdate().year
    everything = satisfaction.for_year(manager, year=year)
    # 6 ratings: 5, 5, 5, 2, 4, 1 → 3 promoters, 1 passive, 2 detractors → (3 − 2) / 6 = +17
    assert (everything["ratings"], everything["promoters"], everything["passives"], everything["detractors"]) == (6, 3, 1, 2)
    assert everything["nps"] == 17 and everything["histogram"] == [1, 1, 0, 1, 3]
    own = satisfaction.for_year(world.principal("dist_head"), year=year)
    assert own["ratings"] == 5 and own["nps"] == 40  # a head counts only its own clients' cases
    clients, far = rated
    latest = satisfaction.by_client(manager, client_ids=[c.pk for c in clients.values()] + [far.pk], year=year)
    assert {pk: v["class"] for pk, v in latest.items()} == {
        clients["Promoter SA"].pk: "promoter", clients["Turned SA"].pk: "detractor",
        clients["Passive SA"].pk: "passive", far.pk: "detractor"}


def test_the_client_page_and_the_scorecard_read_the_same_selector(world, login, rated):
    clients, _far = rated
    manager = world.principal("program_manager")
    client_health = selectors.client_service_health(principal=manager, client=clients["Turned SA"])
    assert client_health["satisfaction"] == satisfaction.summary(
        selectors.ServiceCase.objects.filter(client=clients["Turned SA"]))
    assert (client_health["satisfaction"]["nps"], client_health["satisfaction"]["ratings"]) == (0, 2)
    card = selectors.service_health_for_distributor(manager, world.own)
    assert card["satisfaction"]["ratings"] == 5 and card["satisfaction"]["nps"] == 40
    panel = login(world.user("program_manager")).get(
        reverse("service:distributor_panel", args=[world.own.pk])).content.decode()
    assert 'id="service-nps"' in panel and "+40" in panel
    page = login(world.user("executive")).get(reverse("service:client_panel", args=[clients["Turned SA"].pk]))
    assert 'id="service-nps"' in page.content.decode() and "1 promoters · 0 passives · 1 detractors" in page.content.decode()


def test_segments_page_shows_the_service_nps_and_each_clients_class(world, login, rated):
    year = timezone.localdate().year
    client = login(world.user("program_manager"))
    page = client.get(reverse("sales:segment_list"), {"year": year}).content.decode()
    assert reverse("service:segment_panel", args=[year]) in page  # the page loads the panel
    panel = client.get(reverse("service:segment_panel", args=[year])).content.decode()
    assert 'id="segment-service-nps">+17<' in panel
    assert panel.index("Turned SA") < panel.index("Passive SA") < panel.index("Promoter SA")  # detractors first
    head_panel = login(world.user("dist_head")).get(reverse("service:segment_panel", args=[year])).content.decode()
    assert "Far SA" not in head_panel and 'id="segment-service-nps">+40<' in head_panel


def test_segment_rows_carry_the_clients_service_rating(world, login, rated):
    from decimal import Decimal

    from keychannel.sales.models import ClientSegment

    clients, _far = rated
    year = timezone.localdate().year
    for client in clients.values():
        ClientSegment.objects.create(distributor=world.own, client=client, year=year, volume=Decimal(1000),
                                     quantity=1, months_active=1, months_covered=1, label="grow")
    page = login(world.user("program_manager")).get(reverse("sales:segment_list"), {"year": year})
    labels = {row.client.legal_name: row.service_label for row in page.context["table"].rows}
    assert labels == {"Promoter SA": "5/5 · promoter", "Turned SA": "2/5 · detractor", "Passive SA": "4/5 · passive"}


def test_the_api_gives_the_same_figures_within_the_callers_reach(world, api_as, rated):
    clients, far = rated
    year = timezone.localdate().year
    body = api_as(world.user("program_manager")).get("/api/v1/service-satisfaction", {"year": year}).json()
    expected = satisfaction.for_year(world.principal("program_manager"), year=year)
    assert {k: v for k, v in body["summary"].items() if k != "average"} == {
        k: v for k, v in expected.items() if k != "average"}
    assert body["summary"]["average"] in ("3.67", 3.67)
    assert body["summary"]["nps"] == 17 and [c["client_name"] for c in body["clients"]][:2] == ["Far SA", "Turned SA"]
    head = api_as(world.user("dist_head"))
    mine = head.get("/api/v1/service-satisfaction", {"year": year}).json()
    assert mine["summary"]["nps"] == 40 and "Far SA" not in {c["client_name"] for c in mine["clients"]}
    assert head.get("/api/v1/service-satisfaction", {"client_id": far.pk}).status_code == 404
    assert head.get("/api/v1/service-satisfaction", {"distributor_id": world.other.pk}).status_code == 404
    assert head.get("/api/v1/service-satisfaction", {"year": "soon"}).status_code == 422
    one = head.get("/api/v1/service-satisfaction", {"client_id": clients["Turned SA"].pk, "year": year}).json()
    assert one["summary"]["ratings"] == 2 and one["clients"][0]["nps_class"] == "detractor"
    health = head.get(f"/api/v1/clients/{clients['Turned SA'].pk}/service-health").json()
    assert health["satisfaction"]["nps"] == 0 and health["satisfaction"]["ratings"] == 2
