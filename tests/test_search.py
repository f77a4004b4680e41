"""Global search (issue 17 part 3, core/search.py): accent-insensitive, typo-tolerant, scoped per source.

Runs on SQLite (kc_fold in Python, rapidfuzz ranking) and on PostgreSQL (kc_fold in SQL, pg_trgm, full text).
"""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from keychannel.channel.models import Conflict, DealRegistration
from keychannel.channel.tests.factories import make_conflict, make_registration
from keychannel.clients.models import CorporateClient, Stakeholder
from keychannel.clients.tests.factories import ClientFactory, StakeholderFactory
from keychannel.core.models import Membership
from keychannel.core.search import parse_query, search, source_keys
from keychannel.core.tests.factories import make_user
from keychannel.deals.models import Opportunity
from keychannel.deals.tests.factories import OpportunityFactory
from keychannel.network.models import Distributor, DistributorPerson
from keychannel.program.choices import BestPracticeStatus, EventKind, EventStatus, ResourceKind
from keychannel.program.models import BestPractice, Course, Event, EventInvitation, LearningResource
from tests.world import ROLES

SOURCES = ["clients", "stakeholders", "deals", "distributors", "people", "registrations", "conflicts", "events",
           "documents"]


def titles(groups, key=None):
    return {hit.title for group in groups if key is None or group.key == key for hit in group.hits}


def test_every_source_is_registered():
    assert source_keys() == SOURCES


def test_query_is_folded_and_too_short_is_refused():
    assert parse_query("  Braşov Ţară ").folded == "brasov tara"
    assert parse_query("Brașov Țară").folded == "brasov tara"  # comma below and cedilla fold alike
    assert parse_query("ÎNCĂ Â").words == ("inca", "a")
    assert parse_query("a") is None and parse_query("  ..  ") is None and parse_query("") is None


# --- finding -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["Tehnoplsat Brasov", "tehnoplast brasvo", "TEHNOPLAST BRAȘOV", "Tehnoplast Braşov",
                                   "tehnoplas", "brasov"])
def test_finds_a_client_by_a_misspelled_name_without_diacritics(world, typed):
    """The issue's scenario: "Tehnoplast Brașov" found when typed without diacritics and with a typo."""
    wanted = ClientFactory(legal_name="Tehnoplast Brașov SRL", distributor=world.own)
    ClientFactory(legal_name="Agroplant Cluj SRL", distributor=world.own)
    ClientFactory(legal_name="Metalica Iași SA", distributor=world.own)
    groups = search(world.principal("admin"), typed, types=["clients"])
    assert groups and groups[0].key == "clients"
    assert groups[0].hits[0].title == wanted.legal_name, [h.title for h in groups[0].hits]
    assert groups[0].hits[0].url == wanted.get_absolute_url()
    assert "Metalica Iași SA" not in titles(groups)


def test_finds_a_client_with_swapped_letters_in_its_first_word_among_look_alikes(world):
    """The bench's typo (issue 17): "Temro Lituvi" for "Termo Lituvi", among clients sharing the other word. The
    typo costs the first word most of its trigrams: word similarity 0.54, under pg_trgm's 0.6, found nothing."""
    wanted = ClientFactory(legal_name="Termo Lituvi SRL", distributor=world.own)
    for name in ("Beton Lituvi SCS", "Callatis Lituvi SNC", "Histria Lituvi SRL", "Vranceana Prod Lituvi SRL"):
        ClientFactory(legal_name=name, distributor=world.own)
    ClientFactory(legal_name="Termo Lituvi Nord SRL", distributor=world.other)
    for who in ("admin", "dist_head"):
        groups = search(world.principal(who), "Temro Lituvi", types=["clients"])
        assert groups and groups[0].hits[0].title == wanted.legal_name, (who, titles(groups))
    assert "Termo Lituvi Nord SRL" not in titles(search(world.principal("dist_head"), "Temro Lituvi"))


def test_finds_a_client_by_code_and_tax_id(world):
    wanted = ClientFactory(legal_name="Zăvoi Industrie SRL", distributor=world.own, code="ZV-17", tax_id="41234567")
    principal = world.principal("dist_head")
    assert titles(search(principal, "zv-17", types=["clients"])) == {wanted.legal_name}
    assert titles(search(principal, "RO41234567", types=["clients"])) == {wanted.legal_name}


def test_cedilla_and_comma_below_find_each_other(world):
    client = ClientFactory(legal_name="Ţesătoria Mureş SA", distributor=world.own)  # cedilla forms stored
    person = StakeholderFactory(client=client, full_name="Ștefan Țîrlea")  # comma-below forms stored
    principal = world.principal("dist_sales")
    assert titles(search(principal, "Țesătoria Mureș", types=["clients"])) == {client.legal_name}
    assert titles(search(principal, "Şefan Ţîrlea", types=["stakeholders"])) == {person.full_name}  # and a typo
    assert titles(search(principal, "stefan tirlea", types=["stakeholders"])) == {person.full_name}


def test_long_text_matches_below_a_title(world):
    """Documents: a word of a best practice's story finds it, ranked below a title match."""
    BestPractice.objects.create(distributor=world.own, title="Câștigat la Dacia", story="Am folosit demonstrația.",
                                status=BestPracticeStatus.SHARED, author=world.users["dist_head"])
    BestPractice.objects.create(distributor=world.own, title="Demonstrația la client", story="Text.",
                                status=BestPracticeStatus.SHARED, author=world.users["dist_head"])
    groups = search(world.principal("admin"), "demonstratia", types=["documents"])
    assert [h.title for h in groups[0].hits] == ["Demonstrația la client", "Câștigat la Dacia"]


def test_nothing_for_a_stranger_word(world):
    ClientFactory(legal_name="Tehnoplast Brașov SRL", distributor=world.own)
    assert search(world.principal("admin"), "qwxzy") == []


# --- scoping: per source, every role, against the model's own visible_to --------------------------------------------

NAME = "Zarzavat"


def _records(world):
    """Two or more records per source named NAME…, in the world's own and other distributor (and network-wide)."""
    made = {}
    clients = {side: ClientFactory(legal_name=f"{NAME} {side} SRL", distributor=world.distributor(side))
               for side in ("own", "other")}
    clients["direct"] = ClientFactory(legal_name=f"{NAME} direct SRL", distributor=None)
    made["clients"] = clients
    made["stakeholders"] = {side: StakeholderFactory(client=c, full_name=f"Ion {NAME} {side}") for side, c in clients.items()}
    made["deals"] = {side: OpportunityFactory(client=c, title=f"{NAME} deal {side}", owner=world.users["admin"] if
                                              side == "direct" else (world.users if side == "own" else world.other_users)["dist_sales"])
                     for side, c in clients.items()}
    for side in ("own", "other"):
        Distributor.objects.filter(pk=world.distributor(side).pk).update(city=f"{NAME}eni")
    made["distributors"] = {"own": world.own, "other": world.other}
    made["people"] = {
        "own-user": make_user("dist_sales", world.own.organization, username="own-z", first_name="Ana",
                              last_name=f"{NAME}"),
        "other-user": make_user("dist_sales", world.other.organization, username="other-z", first_name="Maria",
                                last_name=f"{NAME}"),
        "maker-user": make_user("mentor", world.manufacturer, username="maker-z", first_name="Dan", last_name=f"{NAME}"),
        "own-person": DistributorPerson.objects.create(distributor=world.own, full_name=f"Vasile {NAME}", level="owner"),
        "other-person": DistributorPerson.objects.create(distributor=world.other, full_name=f"Gheorghe {NAME}",
                                                         level="owner"),
    }
    registrations = {
        side: make_registration(distributor=world.distributor(side), client=clients[side],
                                user=(world.users if side == "own" else world.other_users)["dist_sales"],
                                title=f"{NAME} fleet {side}")
        for side in ("own", "other")
    }
    made["registrations"] = registrations
    made["conflicts"] = {side: make_conflict(registration=r) for side, r in registrations.items()}
    start = timezone.now() + datetime.timedelta(days=3)
    events = {}
    for key, status, open_to_all in (("open", EventStatus.PUBLISHED, True), ("own", EventStatus.PUBLISHED, False),
                                     ("other", EventStatus.PUBLISHED, False), ("draft", EventStatus.DRAFT, True)):
        events[key] = Event.objects.create(title=f"{NAME} {key} workshop", kind=EventKind.WORKSHOP, starts_at=start,
                                           ends_at=start + datetime.timedelta(hours=2), status=status,
                                           open_to_all=open_to_all)
    for side in ("own", "other"):
        EventInvitation.objects.create(event=events[side], distributor=world.distributor(side),
                                       user=(world.users if side == "own" else world.other_users)["dist_head"])
    made["events"] = events
    head = world.users["dist_head"]
    made["documents"] = {
        "resource": LearningResource.objects.create(title=f"{NAME} guide", kind=ResourceKind.LINK,
                                                    url="https://example.com/", published=True),
        "draft-resource": LearningResource.objects.create(title=f"{NAME} draft guide", kind=ResourceKind.LINK,
                                                          url="https://example.com/", published=False),
        "course": Course.objects.create(code="z-course", title=f"{NAME} course", published=True),
        "own-practice": BestPractice.objects.create(distributor=world.own, title=f"{NAME} own story", story="x",
                                                    author=head),
        "other-practice": BestPractice.objects.create(distributor=world.other, title=f"{NAME} other story", story="x",
                                                      author=world.other_users["dist_head"]),
        "shared-practice": BestPractice.objects.create(distributor=world.other, title=f"{NAME} shared story",
                                                       story="x", status=BestPracticeStatus.SHARED,
                                                       author=world.other_users["dist_head"]),
    }
    return made


def _visible_titles(key, principal):
    """What the list pages show the principal, from each model's visible_to: the search must answer exactly this."""
    def names(qs, attr):
        return {getattr(o, attr) for o in qs if NAME.lower() in getattr(o, attr).lower()}

    if key == "clients":
        return names(CorporateClient.objects.visible_to(principal), "legal_name")
    if key == "stakeholders":
        return names(Stakeholder.objects.visible_to(principal), "full_name")
    if key == "deals":
        return names(Opportunity.objects.visible_to(principal), "title")
    if key == "distributors":
        return {d.legal_name for d in Distributor.objects.visible_to(principal)}
    if key == "people":
        users = {m.user.get_full_name() for m in Membership.objects.visible_to(principal).select_related("user")
                 if m.user.last_name == NAME}
        return users | names(DistributorPerson.objects.visible_to(principal), "full_name")
    if key == "registrations":
        return names(DealRegistration.objects.visible_to(principal), "title")
    if key == "conflicts":
        return names(Conflict.objects.visible_to(principal), "client_name")
    if key == "events":
        return names(Event.objects.visible_to(principal), "title")
    return (names(LearningResource.objects.visible_to(principal), "title")
            | names(Course.objects.visible_to(principal), "title")
            | names(BestPractice.objects.visible_to(principal), "title"))


@pytest.mark.parametrize("key", SOURCES)
def test_each_source_answers_exactly_what_the_role_may_see(world, key):
    _records(world)
    for role in ROLES:
        principal = world.principal(role)
        groups = search(principal, f"{NAME.lower()}", types=[key], limit=25)
        expected = _visible_titles(key, principal)
        assert titles(groups) == expected, (role, key)
        if role in ("dist_head", "dist_sales"):
            assert expected, (role, key)  # a distributor user finds its own records (and only those, above)


def test_a_distributor_user_never_gets_the_other_distributors_records(world):
    """All sources at once, as each distributor user: nothing of distributor B, whatever the word."""
    _records(world)
    for role in ("dist_head", "dist_sales"):
        found = titles(search(world.principal(role), NAME, limit=25))
        assert found
        leaked = {t for t in found if "other" in t.lower() and t != f"{NAME} shared story"} | \
                 ({"Beta Industrial SA", "Maria Zarzavat", f"Gheorghe {NAME}"} & found)
        assert not leaked, (role, leaked)


def test_the_client_record_behind_a_conflict_is_searched_for_the_manufacturer_only(world):
    """A manufacturer-only field: the conflict's client record (channel/redaction.py hides it from the parties).
    The client was renamed after the registration; the party finds the conflict by the name it registered."""
    foreign = ClientFactory(legal_name="Gutuie Metal SRL", distributor=world.other)
    registration = make_registration(distributor=world.own, client=foreign, user=world.users["dist_sales"],
                                     title="Pompe")
    registration.client_name = "Pere Vechi SRL"
    registration.save()
    conflict = make_conflict(registration=registration)
    assert titles(search(world.principal("admin"), "gutuie metal", types=["conflicts"])) == {conflict.client_name}
    assert titles(search(world.principal("admin"), "gutuie metal", types=["registrations"])) == {"Pompe"}
    for role in ("dist_head", "dist_sales"):
        principal = world.principal(role)
        assert search(principal, "gutuie metal") == [], role
        assert titles(search(principal, "pere vechi", types=["conflicts"])) == {conflict.client_name}


def test_the_distributor_assessment_is_never_searched(world):
    """Distributors match by name, code and city only: the stance value ("hostile") finds nothing for anybody."""
    Distributor.objects.filter(pk=world.own.pk).update(stance="hostile")
    for role in ("admin", "dist_head"):
        assert search(world.principal(role), "hostile", types=["distributors"]) == []


# --- cost ------------------------------------------------------------------------------------------------------------


def _statements():
    """The search's statements: one on SQLite; on PostgreSQL the bounded branches, then the others (prepared)."""
    return 2 if connection.vendor == "postgresql" else 1


def test_one_statement_for_every_type_whatever_the_rows(world):
    """Every type in ONE statement (a UNION ALL of the scoped branches, each ranked and limited on its own; two on
    PostgreSQL, see core.search._run), for every role, whatever the number of rows and hits. A principal's scope
    is read once and kept on it (auth), so the searches after the first are the statement alone."""
    _records(world)
    for role in ROLES:
        principal = world.principal(role)
        search(principal, NAME)
        with CaptureQueriesContext(connection) as few:
            search(principal, NAME)
        assert len(few.captured_queries) == _statements(), (role, [q["sql"][:120] for q in few.captured_queries])
        unions = sum(q["sql"].count("UNION ALL") for q in few.captured_queries)
        assert unions >= 11 - _statements(), role  # 12 branches for the manufacturer
    principal = world.principal("admin")
    search(principal, NAME)
    for n in range(6):
        client = ClientFactory(legal_name=f"{NAME} extra {n} SRL", distributor=world.own)
        StakeholderFactory(client=client, full_name=f"Ana {NAME} {n}")
        OpportunityFactory(client=client, title=f"{NAME} extra deal {n}", owner=world.users["dist_sales"])
    with CaptureQueriesContext(connection) as more:
        groups = search(principal, NAME)
    assert len(more.captured_queries) == _statements()
    assert sum(len(g.hits) for g in groups) > 20


def test_the_api_answers_with_one_statement_beside_its_authentication(world, api_as):
    """``GET /api/v1/search`` costs what a refused query costs (the token, the rate limit), the principal's reach
    (read once per request, ``Principal.distributor_ids``) and ONE statement over every searched table (two on
    PostgreSQL)."""
    _records(world)
    client = api_as(world.users["dist_head"])
    client.get("/api/v1/search", {"q": NAME})
    with CaptureQueriesContext(connection) as refused:
        assert client.get("/api/v1/search", {"q": "z"}).status_code == 422
    with CaptureQueriesContext(connection) as answered:
        response = client.get("/api/v1/search", {"q": NAME})
    assert response.status_code == 200 and response.json()["groups"]
    statements = [q["sql"] for q in answered.captured_queries]
    searched = [sql for sql in statements if "kc_branch" in sql]
    assert len(searched) == _statements() and "UNION ALL" in searched[0], [sql[:120] for sql in statements]
    assert len(statements) <= len(refused.captured_queries) + 1 + _statements(), [sql[:120] for sql in statements]


def test_each_branch_is_limited_on_its_own(world):
    """A type with many matches cannot crowd another out: every branch is ranked and cut in the statement."""
    for n in range(30):
        ClientFactory(legal_name=f"{NAME} crowd {n} SRL", distributor=world.own)
    OpportunityFactory(client=ClientFactory(legal_name="Other SRL", distributor=world.own), title=f"{NAME} lone deal",
                       owner=world.users["dist_sales"])
    groups = {g.key: g for g in search(world.principal("admin"), NAME, types=["clients", "deals"], limit=5)}
    assert len(groups["clients"].hits) == 5
    assert [h.title for h in groups["deals"].hits] == [f"{NAME} lone deal"]


def test_hits_per_type_are_bounded(world):
    for n in range(12):
        ClientFactory(legal_name=f"{NAME} bounded {n} SRL", distributor=world.own)
    groups = search(world.principal("admin"), NAME, types=["clients"], limit=5)
    assert len(groups[0].hits) == 5


# --- the page and the API ---------------------------------------------------------------------------------------------


def test_page_groups_hits_by_type_and_links_them(world, login):
    made = _records(world)
    response = login(world.users["dist_head"]).get(reverse("core:search"), {"q": "zarzavat"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="search-group-clients"' in html and 'id="search-group-deals"' in html
    assert made["clients"]["own"].get_absolute_url() in html
    assert made["clients"]["other"].legal_name not in html
    assert made["deals"]["other"].title not in html
    assert "Beta Industrial SA" not in html
    only = login(world.users["dist_head"]).get(reverse("core:search"), {"q": "zarzavat", "type": "deals"})
    assert 'id="search-group-deals"' in only.content.decode()
    assert 'id="search-group-clients"' not in only.content.decode()


def test_page_says_when_the_query_is_too_short_or_finds_nothing(world, login):
    client = login(world.users["admin"])
    assert 'id="search-too-short"' in client.get(reverse("core:search"), {"q": "a"}).content.decode()
    assert 'id="search-empty"' in client.get(reverse("core:search"), {"q": "qwxzy"}).content.decode()
    # The top bar's box is on every page, with its Ctrl-K script (a static file, under the CSP).
    home = client.get(reverse("core:home")).content.decode()
    assert 'id="kc-search-q"' in home and "js/kc-search.js" in home


def test_api_answers_the_same_selector_scoped(world, api_as):
    made = _records(world)
    response = api_as(world.users["dist_sales"]).get("/api/v1/search", {"q": "Zarzavăt", "types": "clients,deals"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["types"] == ["clients", "deals"]
    assert [g["type"] for g in body["groups"]] == ["clients", "deals"]
    found = {hit["title"] for g in body["groups"] for hit in g["hits"]}
    assert made["clients"]["own"].legal_name in found and made["deals"]["own"].title in found
    assert made["clients"]["other"].legal_name not in found and made["deals"]["other"].title not in found
    assert all(hit["url"].startswith("/") for g in body["groups"] for hit in g["hits"])
    admin = api_as(world.users["admin"]).get("/api/v1/search", {"q": "zarzavat", "types": "clients", "limit": 2})
    assert len(admin.json()["groups"][0]["hits"]) == 2


def test_api_refuses_bad_input_clearly(world, api_as):
    client = api_as(world.users["admin"])
    bad_type = client.get("/api/v1/search", {"q": "zarzavat", "types": "clients,invoices"})
    assert bad_type.status_code == 422
    assert "invoices" in bad_type.json()["detail"][0]["msg"]
    short = client.get("/api/v1/search", {"q": "z"})
    assert short.status_code == 422 and short.json()["detail"][0]["loc"] == ["query", "q"]
    assert client.get("/api/v1/search").status_code == 422
    assert client.get("/api/v1/search", {"q": "zz", "limit": 500}).status_code == 422
