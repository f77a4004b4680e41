"""A form's choice among very many rows (core/choosers.py): typed with suggestions, scoped, resolved on post.

Scenario (wave 14, the lead's sweep of every page at the issue-10 size): the new mentorship form of the admin was a
24.8 MB page built in 577 s (every one of 200,000 clients and 300,000 deals an option), and the new deal form did
not answer within the server's 30 s. ``FORM_TYPED_FROM`` is lowered here so that a few rows stand for many.
"""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from keychannel.clients.models import CorporateClient
from keychannel.clients.tests.factories import ClientFactory
from keychannel.core import choosers
from keychannel.core.models import Membership
from keychannel.deals.models import Opportunity
from keychannel.deals.tests.factories import OpportunityFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def many(world, monkeypatch):
    """More clients at the world's own distributor than a select shows; one at the other distributor."""
    from keychannel.network.models import Coverage

    monkeypatch.setattr(choosers, "FORM_TYPED_FROM", 3)
    Coverage.objects.create(distributor=world.own, territory=world.territory, product_line=world.product_line,
                            valid_from=datetime.date(2020, 1, 1))
    names = ["Termo Lituvi SRL", "Termoplast Brașov SA", "Cimentul Nord SA", "Agro Vest SRL", "Ştefan Ţîrlea PFA"]
    own = [ClientFactory(distributor=world.own, territory=world.territory, legal_name=name, code=f"CX{n:03}")
           for n, name in enumerate(names)]
    other = ClientFactory(distributor=world.other, territory=world.territory, legal_name="Termo Ascuns SRL",
                          code="CX900")
    return own, other


def _new_deal(page, client_text):
    return page.post(reverse("deals:opportunity_create"), {
        "title": "Typed client", "client": client_text, "stage": "discussion", "origin": "manual",
        "value": "1000", "volume": "1"})


def test_a_form_with_many_clients_offers_a_typed_box_with_suggestions_not_every_client(world, login, many):
    own, other = many
    page = login(world.user("admin"))
    html = page.get(reverse("deals:opportunity_create")).content.decode()
    assert '<select name="client"' not in html
    assert 'name="client"' in html and 'list="id_client-options"' in html
    assert reverse("core:choose", args=["clients"]) + "?field=client" in html
    assert own[0].legal_name not in html and other.legal_name not in html  # no row is rendered


def test_a_form_with_few_clients_keeps_its_select(world, login, many, monkeypatch):
    monkeypatch.setattr(choosers, "FORM_TYPED_FROM", 200)
    html = login(world.user("admin")).get(reverse("deals:opportunity_create")).content.decode()
    assert '<select name="client"' in html and "Termo Lituvi SRL" in html


def test_a_picked_suggestion_a_code_or_a_unique_part_of_a_name_opens_the_deal(world, login, many):
    own, _other = many
    page = login(world.user("dist_sales"))
    for text, client in (("CX000 · Termo Lituvi SRL", own[0]), ("cx002", own[2]), ("stefan tirlea", own[4]),
                         (str(own[3].pk), own[3])):
        response = _new_deal(page, text)
        assert response.status_code == 302, (text, response.context["form"].errors)
        assert Opportunity.objects.order_by("-pk").first().client == client


def test_an_ambiguous_or_unknown_or_unseen_client_is_refused_and_nothing_is_opened(world, login, many):
    own, other = many
    page = login(world.user("dist_sales"))
    before = Opportunity.objects.count()
    ambiguous = _new_deal(page, "termo")
    errors = ambiguous.context["form"].errors["client"]
    assert "2 choices match “termo”" in errors[0] and "CX000 · Termo Lituvi SRL" in errors[0]
    assert 'value="termo"' in ambiguous.content.decode()  # the typed text stays in the box
    assert "Nothing you may choose here matches “nimic”" in _new_deal(page, "nimic").context["form"].errors["client"][0]
    # the other distributor's client, by its code, its label and its id: as if it did not exist
    for text in ("CX900", "CX900 · Termo Ascuns SRL", str(other.pk)):
        refused = _new_deal(page, text)
        assert refused.status_code == 200 and refused.context["form"].errors["client"], text
    assert Opportunity.objects.count() == before
    Membership.objects.filter(user=world.user("dist_sales")).update(language="ro")
    message = _new_deal(page, "nimic").context["form"].errors["client"][0]
    assert message == ("Nimic din ce puteți alege aici nu se potrivește cu „nimic”. Tastați un cod sau o parte din "
                       "nume și alegeți una dintre sugestii.")


def test_suggestions_are_scoped_to_what_the_user_may_see(world, login, many):
    own, other = many
    url = reverse("core:choose", args=["clients"]) + "?field=client&client=termo"
    head = login(world.user("dist_head")).get(url).content.decode()
    assert "CX000 · Termo Lituvi SRL" in head and "Termoplast" in head and "Termo Ascuns" not in head
    admin = login(world.user("admin")).get(url).content.decode()
    assert "CX900 · Termo Ascuns SRL" in admin
    assert login(world.user("admin")).get(reverse("core:choose", args=["nothing"])).status_code == 404
    assert login(world.user("admin")).get(reverse("core:choose", args=["clients"]) + "?field=client").content.strip() == b""


def test_the_form_page_reads_the_same_statements_for_few_or_many_more_clients(world, login, many):
    page = login(world.user("admin"))
    page.get(reverse("deals:opportunity_create"))
    with CaptureQueriesContext(connection) as few:
        page.get(reverse("deals:opportunity_create"))
    ClientFactory.create_batch(20, distributor=world.own, territory=world.territory)
    with CaptureQueriesContext(connection) as more:
        page.get(reverse("deals:opportunity_create"))
    assert len(more) == len(few)
    assert max(len(q["sql"]) for q in more) < 4000  # no statement lists the clients' ids


def test_a_deal_is_chosen_by_its_number_in_the_mentorship_form(world, login, many):
    own, _other = many
    deals = [OpportunityFactory(client=client, owner=world.user("dist_sales"), title=f"Compresoare {n}")
             for n, client in enumerate(own)]
    page = login(world.user("admin"))
    html = page.get(reverse("competence:mentorship_create")).content.decode()
    assert 'list="id_opportunity-options"' in html and "Compresoare 0" not in html
    suggested = page.get(reverse("core:choose", args=["deals"]) + "?field=opportunity&opportunity=compresoare 3")
    assert f"#{deals[3].pk} · Compresoare 3" in suggested.content.decode()
    field = _mentorship_field(world)
    assert field.clean(f"#{deals[1].pk} · Compresoare 1") == deals[1]
    assert field.clean(f"#{deals[2].pk}") == deals[2]


def _mentorship_field(world):
    from keychannel.competence.forms import MentorshipForm
    from keychannel.network.models import Distributor

    form = MentorshipForm(mentors=world.user("admin").__class__.objects.all(), distributors=Distributor.objects.all(),
                          clients=CorporateClient.objects.all(), deals=Opportunity.objects.all())
    return form.fields["opportunity"]


def test_distributors_and_organisations_are_typed_past_the_limit_and_a_hidden_choice_stays_hidden(world, login, many,
                                                                                                   monkeypatch):
    from keychannel.channel.forms import RegistrationForm
    from keychannel.clients.forms import ClientForm

    monkeypatch.setattr(choosers, "FORM_TYPED_FROM", 1)  # the world has a few distributors

    admin = login(world.user("admin"))
    html = admin.get(reverse("clients:client_create")).content.decode()
    assert 'list="id_distributor-options"' in html and '<select name="distributor"' not in html
    from keychannel.network.models import Distributor

    field = ClientForm(principal=world.principal("admin"), distributors=Distributor.objects.all()).fields["distributor"]
    assert field.clean(world.own.code) == world.own
    assert field.clean(f"{world.other.code} · {world.other.legal_name}") == world.other
    invite = admin.get(reverse("core:user_invite")).content.decode()
    assert 'list="id_organization-options"' in invite
    suggested = admin.get(reverse("core:choose", args=["distributors"]) + f"?field=distributor&distributor={world.own.code}")
    assert f"{world.own.code} · {world.own.legal_name}" in suggested.content.decode()
    # a distributor user registers for its own distributor: the field is hidden, whatever the count
    head = world.principal("dist_head")
    rendered = str(RegistrationForm(principal=head)["distributor"])
    assert 'type="hidden"' in rendered and "datalist" not in rendered
