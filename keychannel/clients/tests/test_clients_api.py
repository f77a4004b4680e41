import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext

from keychannel.clients import services
from keychannel.clients.models import ClientMerge, CorporateClient, Stakeholder
from keychannel.clients.tests.factories import ClientFactory, StakeholderFactory

pytestmark = pytest.mark.django_db


def _post(client, url, body):
    return client.post(url, body, content_type="application/json")


def test_sales_creates_client_in_own_book(world, api_as):
    api = api_as(world.user("dist_sales"))
    response = _post(api, "/api/v1/clients", {"legal_name": "Fabrica de Lapte Cluj SRL", "tax_id": "RO 1234567",
                                               "distributor_id": world.other.pk})
    # A distributor user cannot name another distributor: the id is not visible to them.
    assert response.status_code == 422
    response = _post(api, "/api/v1/clients", {"legal_name": "Fabrica de Lapte Cluj SRL", "tax_id": "RO 1234567"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["distributor_id"] == world.own.pk and body["tax_id"] == "1234567"
    client = CorporateClient.objects.get(pk=body["id"])
    assert client.created_by == world.user("dist_sales") and client.history.count() == 1
    # The creator may correct their client; the head may too.
    assert api.patch(f"/api/v1/clients/{client.pk}", {"city": "Cluj"}, content_type="application/json").status_code == 200


def test_duplicate_in_own_book_is_shown_with_details(world, api_as):
    ClientFactory(legal_name="S.C. Ştefănescu Transport S.R.L.", tax_id="RO 5550001", distributor=world.own)
    api = api_as(world.user("dist_sales"))
    check = _post(api, "/api/v1/clients/duplicate-check", {"legal_name": "Stefanescu Transport SA"}).json()
    assert check["served_elsewhere"] is False
    assert [c["legal_name"] for c in check["candidates"]] == ["S.C. Ştefănescu Transport S.R.L."]
    assert check["candidates"][0]["reason"] == "name" and check["candidates"][0]["score"] == 100
    refused = _post(api, "/api/v1/clients", {"legal_name": "Stefanescu Transport SA"})
    assert refused.status_code == 409 and refused.json()["candidates"][0]["tax_id"] == "5550001"
    assert CorporateClient.objects.count() == 1
    confirmed = _post(api, "/api/v1/clients", {"legal_name": "Stefanescu Transport SA", "confirm_not_duplicate": True})
    assert confirmed.status_code == 201


def test_duplicate_in_other_book_reveals_nothing(world, api_as):
    ClientFactory(legal_name="Beta Secret Logistics SRL", tax_id="7770001", distributor=world.other, city="Arad",
                  industry="Logistics")
    api = api_as(world.user("dist_sales"))
    for body in ({"legal_name": "Beta Secret Logistic"}, {"legal_name": "Anything", "tax_id": "RO7770001"}):
        response = _post(api, "/api/v1/clients/duplicate-check", body)
        text = response.content.decode()
        assert response.json()["served_elsewhere"] is True and response.json()["candidates"] == []
        for secret in ("Beta Secret", "7770001", "Arad", "Logistics", world.other.legal_name, str(world.other.pk)):
            assert secret not in text.replace('"RO7770001"', "")
        assert "already served in the network" in response.json()["message"]
    refused = _post(api, "/api/v1/clients", {"legal_name": "Beta Secret Logistic", "confirm_not_duplicate": False})
    assert refused.status_code == 409 and refused.json()["served_elsewhere"] and not refused.json()["candidates"]
    assert "Beta Secret" not in refused.content.decode()
    # The same tax id is never created twice, confirmation or not.
    again = _post(api, "/api/v1/clients", {"legal_name": "Other name", "tax_id": "7770001", "confirm_not_duplicate": True})
    assert again.status_code == 409 and again.json()["exact"] is True
    assert CorporateClient.objects.count() == 1
    # Direct (manufacturer-led) clients are equally hidden.
    ClientFactory(legal_name="Directa Energie SA", tax_id="8880001", distributor=None)
    assert _post(api, "/api/v1/clients/duplicate-check", {"legal_name": "Directa Energie"}).json()["served_elsewhere"]
    # The program office sees the details.
    admin = api_as(world.user("admin"))
    check = _post(admin, "/api/v1/clients/duplicate-check", {"legal_name": "Beta Secret Logistic"}).json()
    assert check["candidates"][0]["distributor_name"] == world.other.legal_name and not check["served_elsewhere"]


def test_bad_input_is_422_and_changes_nothing(world, api_as):
    api = api_as(world.user("admin"))
    for body in ({"legal_name": ""}, {"legal_name": "X SRL", "potential_annual_volume": -5},
                 {"legal_name": "X SRL", "status": "bogus"}, {"legal_name": "SRL", "territory_id": 999999},
                 {"legal_name": "X SRL", "employees": -1}):
        assert _post(api, "/api/v1/clients", body).status_code == 422, body
    assert CorporateClient.objects.count() == 0
    client = ClientFactory(distributor=world.own, legal_name="Keep Me SRL")
    assert api.patch(f"/api/v1/clients/{client.pk}", {"legal_name": None}, content_type="application/json").status_code == 422
    assert api.patch(f"/api/v1/clients/{client.pk}", {"legal_name": "..."}, content_type="application/json").status_code == 422
    client.refresh_from_db()
    assert client.legal_name == "Keep Me SRL"
    assert api.get("/api/v1/clients?status=bogus").status_code == 422


def test_searched_list_pages_in_name_order_by_offset_and_cursor(world, api_as):
    """``?search=`` reads the matching ids first (PostgreSQL) and sorts only those: the order, the count and the
    cursor pages are those of the plain list."""
    for name in ("Termo Delta SRL", "Alfa Termo SA", "Zeta Termoplast SRL", "Beta Termo SCS", "Omega Foods SRL"):
        ClientFactory(legal_name=name, distributor=world.own)
    api = api_as(world.user("admin"))
    wanted = ["Alfa Termo SA", "Beta Termo SCS", "Termo Delta SRL", "Zeta Termoplast SRL"]
    for sort, expected in (("name", wanted), ("-name", wanted[::-1])):
        first = api.get(f"/api/v1/clients?search=termo&sort={sort}&limit=3").json()
        assert first["count"] == 4 and [c["legal_name"] for c in first["items"]] == expected[:3]
        rest = api.get(f"/api/v1/clients?search=termo&sort={sort}&limit=3&cursor={first['next_cursor']}").json()
        assert [c["legal_name"] for c in rest["items"]] == expected[3:] and rest["next_cursor"] is None
        offset = api.get(f"/api/v1/clients?search=termo&sort={sort}&limit=3&offset=3").json()
        assert [c["legal_name"] for c in offset["items"]] == expected[3:]


@pytest.mark.postgres_suite
def test_searched_list_reads_the_names_that_start_with_the_term_as_a_range(world, api_as):
    """PostgreSQL: ordered by the name column with the search's ``LIKE`` alone, the planner walked the name index
    testing each client (clustered matches: 790 ms at 200,000 clients); reading every match off the whole-name
    trigram index to sort them grew with the matches (issue 22). Every statement ordered by the name column is now
    bounded on both sides by the range of the names that start with the term, and no statement matches the whole
    name with ``LIKE '%…%'`` (the other matches come through the tail's trigram index)."""
    for n in range(5):
        ClientFactory(legal_name=f"Termo {n} SRL", distributor=world.own)
    api = api_as(world.user("admin"))
    with CaptureQueriesContext(connection) as captured:
        assert api.get("/api/v1/clients?search=termo&limit=3").json()["count"] == 5
    clients = [q["sql"] for q in captured.captured_queries if 'FROM "clients_corporateclient"' in q["sql"]]
    ordered = [sql for sql in clients if 'ORDER BY "clients_corporateclient"."normalized_name"' in sql]
    assert ordered, clients
    assert all("\"normalized_name\" >= 'termo'" in sql and "\"normalized_name\" < 'termp'" in sql for sql in ordered)
    assert not any("\"normalized_name\"::text LIKE '%termo%'" in sql for sql in clients), clients


def test_search_sort_filters(world, api_as):
    ClientFactory(legal_name="Ţesătoria Mureş S.A.", tax_id="1110001", distributor=world.own, status="active")
    ClientFactory(legal_name="Zeta Foods SRL", tax_id="1110002", distributor=world.own, is_key_account=True)
    ClientFactory(legal_name="Alfa Direct SA", tax_id="1110003", distributor=None)
    api = api_as(world.user("admin"))
    names = lambda url: [c["legal_name"] for c in api.get(url).json()["items"]]  # noqa: E731
    assert names("/api/v1/clients?search=tesatoria mures srl") == ["Ţesătoria Mureş S.A."]
    assert names("/api/v1/clients?search=RO1110002") == ["Zeta Foods SRL"]
    assert names("/api/v1/clients?is_key_account=true") == ["Zeta Foods SRL"]
    assert names("/api/v1/clients?direct=true") == ["Alfa Direct SA"]
    assert names("/api/v1/clients?status=active") == ["Ţesătoria Mureş S.A."]
    assert names("/api/v1/clients?sort=-name") == ["Zeta Foods SRL", "Ţesătoria Mureş S.A.", "Alfa Direct SA"]
    assert names("/api/v1/clients?limit=1&offset=1") == ["Ţesătoria Mureş S.A."]
    sales = api_as(world.user("dist_sales"))
    assert [c["legal_name"] for c in sales.get("/api/v1/clients").json()["items"]] == ["Zeta Foods SRL", "Ţesătoria Mureş S.A."][::-1]


def test_list_and_search_query_count_is_constant(world, api_as):
    api = api_as(world.user("admin"))
    api.get("/api/v1/me")

    def count(url):
        with CaptureQueriesContext(connection) as ctx:
            assert api.get(url).status_code == 200
        return len(ctx.captured_queries)

    urls = ["/api/v1/clients", "/api/v1/clients?search=industrie", "/api/v1/clients/at-risk"]
    ClientFactory(distributor=world.own)
    small = [count(u) for u in urls]
    for i in range(40):
        ClientFactory(distributor=world.own if i % 2 else world.other, territory=world.territory,
                      is_key_account=True, coverage_score=10)
    large = [count(u) for u in urls]
    assert small == large


def test_merge_repoints_everything_and_keeps_history(world, api_as):
    keep = ClientFactory(legal_name="Gamma Prod SRL", tax_id="", distributor=world.own)
    dup = ClientFactory(legal_name="Gama Prod S.R.L.", tax_id="4440001", distributor=world.own, industry="Food")
    person = StakeholderFactory(client=dup, full_name="Ana Pop")
    head = api_as(world.user("dist_head"))
    assert _post(head, f"/api/v1/clients/{keep.pk}/merge", {"duplicate_id": dup.pk}).status_code == 403
    admin = api_as(world.user("admin"))
    assert _post(admin, f"/api/v1/clients/{keep.pk}/merge", {"duplicate_id": keep.pk}).status_code == 422
    response = _post(admin, f"/api/v1/clients/{keep.pk}/merge", {"duplicate_id": dup.pk})
    assert response.status_code == 200, response.content
    assert response.json()["repointed"] == {"clients.stakeholder.client": 1}
    person.refresh_from_db()
    keep.refresh_from_db()
    assert person.client == keep and keep.tax_id == "4440001" and keep.industry == "Food"
    assert not CorporateClient.objects.filter(pk=dup.pk).exists()
    assert CorporateClient.history.filter(id=dup.pk, history_type="-").exists()
    assert ClientMerge.objects.get().merged_legal_name == "Gama Prod S.R.L."


def test_make_direct_takes_client_out_of_scope(world):
    client = ClientFactory(distributor=world.own)
    with pytest.raises(PermissionDenied):
        services.client_make_direct(principal=world.principal("dist_head"), client=client, reason="x")
    services.client_make_direct(principal=world.principal("program_manager"), client=client, reason="conflict 7")
    client.refresh_from_db()
    assert client.distributor is None and client.out_of_scope and client.out_of_scope_since is not None
    assert not CorporateClient.objects.visible_to(world.principal("dist_head")).filter(pk=client.pk).exists()
    assert client.history.first().history_change_reason == "conflict 7"


def test_record_contact_keeps_the_later_date(world):
    import datetime

    a = StakeholderFactory(client=ClientFactory(distributor=world.own), last_contact_on=datetime.date(2026, 5, 1))
    b = StakeholderFactory(client=a.client, last_contact_on=None)
    changed = services.stakeholders_record_contact(stakeholder_ids=[a.pk, b.pk], on_date=datetime.date(2026, 4, 1))
    a.refresh_from_db()
    b.refresh_from_db()
    assert changed == 1 and a.last_contact_on == datetime.date(2026, 5, 1) and b.last_contact_on == datetime.date(2026, 4, 1)
    assert b.history.count() == 2


def test_stakeholder_api_validation(world, api_as):
    client = ClientFactory(distributor=world.own)
    other_person = StakeholderFactory(client=ClientFactory(distributor=world.own))
    api = api_as(world.user("dist_sales"))
    url = f"/api/v1/clients/{client.pk}/stakeholders"
    for body in ({"full_name": "A", "influence": 6}, {"full_name": "A", "attitude": -3},
                 {"full_name": "A", "buying_roles": ["king"]}, {"full_name": "A", "reports_to_id": other_person.pk},
                 {"full_name": "A", "email": "nope"}, {"full_name": ""}):
        assert _post(api, url, body).status_code == 422, body
    assert Stakeholder.objects.filter(client=client).count() == 0
    boss = _post(api, url, {"full_name": "Maria Ionescu", "level": "executive", "buying_roles": ["decision_maker"]}).json()
    me = _post(api, url, {"full_name": "Dan Pop", "reports_to_id": boss["id"], "buying_roles": ["champion", "user"]})
    assert me.status_code == 201 and me.json()["buying_roles"] == ["user", "champion"]
    # No reporting loops.
    loop = api.patch(f"/api/v1/stakeholders/{boss['id']}", {"reports_to_id": me.json()["id"]}, content_type="application/json")
    assert loop.status_code == 422
    contact = _post(api, f"/api/v1/stakeholders/{boss['id']}/contacts", {"user_id": world.other_users["dist_sales"].pk})
    assert contact.status_code == 422  # another distributor's salesperson cannot "know" our stakeholder
    ok = _post(api, f"/api/v1/stakeholders/{boss['id']}/contacts", {"user_id": world.user("dist_sales").pk})
    assert ok.status_code == 200 and ok.json()["known_by"][0]["current_level"] == "acquainted"
    link = _post(api, f"/api/v1/clients/{client.pk}/stakeholder-links",
                 {"source_id": me.json()["id"], "target_id": boss["id"], "kind": "influences"})
    assert link.status_code == 201
    dup = _post(api, f"/api/v1/clients/{client.pk}/stakeholder-links",
                {"source_id": me.json()["id"], "target_id": boss["id"], "kind": "influences"})
    assert dup.status_code == 422
