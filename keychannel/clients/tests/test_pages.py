import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from keychannel.clients.models import AccountObjective, CorporateClient, Stakeholder
from keychannel.clients.tests.factories import ClientFactory, ContactFactory, StakeholderFactory

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


def test_salesperson_creates_client_with_duplicate_warnings(world, login):
    mine = ClientFactory(legal_name="Carpați Mobila S.R.L.", tax_id="2220001", distributor=world.own, city="Dej")
    ClientFactory(legal_name="Hidden Foods Company SRL", tax_id="2220002", distributor=world.other)
    page = login(world.user("dist_sales"))
    # As they type: the own-book match with its details, the other book's without any.
    own = page.get(reverse("clients:duplicate_check"), {"legal_name": "carpati mobila"}, **HX).content.decode()
    assert "Carpați Mobila S.R.L." in own and "2220001" in own and world.own.legal_name in own
    other = page.get(reverse("clients:duplicate_check"), {"legal_name": "Hidden Foods Co"}, **HX).content.decode()
    assert "already served in the network" in other
    assert "Hidden" not in other.replace("Hidden Foods Co", "") and "2220002" not in other
    # Saving: stopped at a confirm step, nothing created, what was typed kept.
    url = reverse("clients:client_create")
    data = {"legal_name": "Carpati Mobila SA", "tax_id": "", "status": "prospect", "potential_annual_volume": "1000"}
    response = page.post(url, data)
    assert response.status_code == 200 and CorporateClient.objects.count() == 2
    html = response.content.decode()
    assert "Carpați Mobila S.R.L." in html and 'name="confirm_not_duplicate"' in html and 'value="Carpati Mobila SA"' in html
    response = page.post(url, {**data, "confirm_step": "1", "confirm_not_duplicate": "on"})
    assert response.status_code == 302
    created = CorporateClient.objects.get(legal_name="Carpati Mobila SA")
    assert created.distributor == world.own and created.created_by == world.user("dist_sales")
    # Bad input: form errors and nothing changed.
    bad = page.post(url, {**data, "legal_name": "", "potential_annual_volume": "-1"})
    assert bad.status_code == 200 and b"invalid-feedback" in bad.content and CorporateClient.objects.count() == 3
    assert mine.pk


def test_same_tax_id_cannot_be_confirmed(world, login):
    ClientFactory(legal_name="Whatever SRL", tax_id="6660001", distributor=world.other)
    page = login(world.user("dist_head"))
    data = {"legal_name": "Totally New SRL", "tax_id": "RO6660001", "status": "prospect",
            "potential_annual_volume": "0", "confirm_step": "1", "confirm_not_duplicate": "on"}
    response = page.post(reverse("clients:client_create"), data)
    assert response.status_code == 200 and CorporateClient.objects.count() == 1
    assert "Whatever" not in response.content.decode() and 'name="confirm_not_duplicate"' not in response.content.decode()


def test_list_page_query_count_is_constant_and_search_normalises(world, login):
    page = login(world.user("admin"))

    def count(params):
        with CaptureQueriesContext(connection) as ctx:
            assert page.get(reverse("clients:client_list"), params).status_code == 200
        return len(ctx.captured_queries)

    ClientFactory(legal_name="Ştefan Oţel S.A.", distributor=world.own)
    small = (count({}), count({"q": "stefan otel srl"}), count({"status": "prospect", "sort": "-risk_flag_count"}))
    for i in range(30):
        ClientFactory(distributor=world.own if i % 2 else world.other, territory=world.territory)
    large = (count({}), count({"q": "stefan otel srl"}), count({"status": "prospect", "sort": "-risk_flag_count"}))
    assert small == large
    found = page.get(reverse("clients:client_list"), {"q": "stefan otel srl"}).content.decode()
    assert "Ştefan Oţel S.A." in found and "Client 3 " not in found


def test_inline_stakeholder_editing(world, login):
    client = ClientFactory(distributor=world.own, is_key_account=True)
    boss = StakeholderFactory(client=client, full_name="Maria Boss", level="executive")
    page = login(world.user("dist_sales"))
    edit = page.get(reverse("clients:stakeholder_edit", args=[boss.pk]), **HX)
    assert edit.status_code == 200 and b'name="s%d-full_name"' % boss.pk in edit.content
    bad = page.post(reverse("clients:stakeholder_edit", args=[boss.pk]),
                    {f"s{boss.pk}-full_name": "Maria Boss", f"s{boss.pk}-level": "executive",
                     f"s{boss.pk}-influence": "9", f"s{boss.pk}-attitude": "0"}, **HX)
    assert bad.status_code == 200 and b"invalid-feedback" in bad.content
    boss.refresh_from_db()
    assert boss.influence == 3
    ok = page.post(reverse("clients:stakeholder_edit", args=[boss.pk]),
                   {f"s{boss.pk}-full_name": "Maria Boss", f"s{boss.pk}-level": "executive",
                    f"s{boss.pk}-influence": "5", f"s{boss.pk}-attitude": "2",
                    f"s{boss.pk}-buying_roles": ["decision_maker", "champion"]}, **HX)
    assert ok.status_code == 200 and ok["HX-Retarget"] == "#buying-centre"
    boss.refresh_from_db()
    assert boss.influence == 5 and boss.buying_roles == ["decision_maker", "champion"]
    added = page.post(reverse("clients:stakeholder_create", args=[client.pk]),
                      {"new-full_name": "Dan Middle", "new-level": "middle_manager", "new-influence": "4",
                       "new-attitude": "1", "new-reports_to": boss.pk}, **HX)
    assert added.status_code == 200 and b"Dan Middle" in added.content
    dan = Stakeholder.objects.get(full_name="Dan Middle")
    assert dan.reports_to == boss
    page.post(reverse("clients:contact_add", args=[dan.pk]),
              {"user": world.user("dist_sales").pk, "current_level": "trusted", "desired_level": "advocate"}, **HX)
    assert dan.contacts.get().current_level == "trusted"
    assert Stakeholder.history.filter(id=boss.pk).count() == 2


def test_org_chart_data_is_escaped_and_complete(world, login):
    client = ClientFactory(distributor=world.own, is_key_account=True)
    ceo = StakeholderFactory(client=client, full_name="<script>alert(1)</script>", level="executive", influence=5)
    for i in range(59):
        StakeholderFactory(client=client, full_name=f"Person {i:02d}", reports_to=ceo, attitude=(i % 5) - 2)
    ContactFactory(stakeholder=ceo, user=world.user("dist_head"))
    html = login(world.user("dist_head")).get(reverse("clients:client_detail", args=[client.pk])).content.decode()
    assert "<script>alert(1)</script>" not in html
    raw = html.split('<script id="org-chart-data" type="application/json">', 1)[1].split("</script>", 1)[0]
    chart = json.loads(raw)
    top = chart["tree"]["children"][0]
    assert top["name"] == "<script>alert(1)</script>" and len(top["children"]) == 59 and top["known_by"]


def test_account_plan_and_print(world, login):
    client = ClientFactory(distributor=world.own, is_key_account=True)
    world.own.product_lines.add(world.product_line)
    page = login(world.user("dist_head"))
    response = page.post(reverse("clients:account_plan_item_add", args=[client.pk, "objective"]),
                         {"objective-title": "Frame contract 2027", "objective-status": "open",
                          "objective-owner": world.user("dist_head").pk, "objective-due_on": "2027-03-31"})
    assert response.status_code == 302
    assert AccountObjective.objects.get().owner == world.user("dist_head")
    page.post(reverse("clients:account_plan", args=[client.pk]), {"ambition": "Sole supplier by 2028"})
    printed = page.get(reverse("clients:account_plan_print", args=[client.pk])).content.decode()
    assert "Frame contract 2027" in printed and "Sole supplier by 2028" in printed and world.product_line.name in printed
    assert "@media print" in printed
    sales = login(world.user("dist_sales"))
    assert sales.get(reverse("clients:account_plan", args=[client.pk])).status_code == 200
    not_key = ClientFactory(distributor=world.own)
    assert page.get(reverse("clients:account_plan", args=[not_key.pk])).status_code == 404


def test_merge_page(world, login):
    keep = ClientFactory(legal_name="Delta Grup SRL", distributor=world.own)
    dup = ClientFactory(legal_name="Delta Grup S.A.", distributor=world.other)
    StakeholderFactory(client=dup)
    page = login(world.user("program_manager"))
    form = page.get(reverse("clients:client_merge", args=[keep.pk])).content.decode()
    assert "Delta Grup S.A." in form
    assert page.post(reverse("clients:client_merge", args=[keep.pk]), {"duplicate": dup.pk}).status_code == 302
    assert keep.stakeholders.count() == 1 and not CorporateClient.objects.filter(pk=dup.pk).exists()


@pytest.mark.parametrize("role", ["program_manager", "dist_head"])
def test_the_client_page_reads_its_merge_history_only_when_it_has_one(world, login, role):
    """Issue 22: the merge history was a statement on every client page; the client's row says whether any merge
    into it exists, and only then is the history read (through its scope, as before) and shown."""
    keep = ClientFactory(legal_name="Delta Grup SRL", distributor=world.own)
    page = login(world.user(role))
    url = reverse("clients:client_detail", args=[keep.pk])
    page.get(url)
    with CaptureQueriesContext(connection) as ctx:
        html = page.get(url).content.decode()
    history = 'SELECT "clients_clientmerge"."id"'  # the history's own statement (the client's row asks EXISTS)
    assert not [q["sql"] for q in ctx.captured_queries if q["sql"].startswith(history)]
    assert "Merged duplicates" not in html
    dup = ClientFactory(legal_name="Delta Grup S.A.", tax_id="RO99887766", distributor=world.own)
    merger = login(world.user("program_manager"))
    assert merger.post(reverse("clients:client_merge", args=[keep.pk]), {"duplicate": dup.pk}).status_code == 302
    with CaptureQueriesContext(connection) as ctx:
        html = page.get(url).content.decode()
    assert len([q for q in ctx.captured_queries if q["sql"].startswith(history)]) == 1
    assert "Delta Grup S.A." in html[html.index("Merged duplicates"):]


def test_client_page_query_count_does_not_grow_with_the_buying_centre(world, login):
    client = ClientFactory(distributor=world.own, is_key_account=True)
    boss = StakeholderFactory(client=client, level="executive")
    ContactFactory(stakeholder=boss, user=world.user("dist_head"))
    StakeholderFactory(client=client, reports_to=boss)
    page = login(world.user("dist_head"))
    url = reverse("clients:client_detail", args=[client.pk])

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert page.get(url).status_code == 200
        return len(ctx.captured_queries)

    small = count()
    for i in range(25):
        person = StakeholderFactory(client=client, reports_to=boss, buying_roles=["user"])
        ContactFactory(stakeholder=person, user=world.user("dist_sales" if i % 2 else "mentor"))
    assert count() == small


def test_client_page_reads_its_buying_centre_once_for_the_table_and_the_three_selects(world, login):
    """Issue 22: the stakeholder, link and "reports to" selects each re-ran a query over the client's stakeholders;
    the page now reads them once, and each row's "our person" options are joined once, not looped per row."""
    client = ClientFactory(distributor=world.own, is_key_account=True)
    boss = StakeholderFactory(client=client, full_name="Zoe Boss", level="executive")
    StakeholderFactory(client=client, full_name="Ana Buyer", reports_to=boss)
    page = login(world.user("dist_head"))
    with CaptureQueriesContext(connection) as ctx:
        answer = page.get(reverse("clients:client_detail", args=[client.pk]))
    html = answer.content.decode()
    assert len([q for q in ctx.captured_queries if 'FROM "clients_stakeholder" ' in q["sql"]]) == 1
    # the "Add a person" form's fields come when its section is opened (stakeholder_new_form)
    fields = page.get(reverse("clients:stakeholder_new_form", args=[client.pk]), **HX).content.decode()
    for name, text in (("new-reports_to", fields), ("source", html), ("target", html)):
        select = text[text.index(f'name="{name}"'):]
        select = select[:select.index("</select>")]
        assert select.index("Ana Buyer") < select.index("Zoe Boss"), name  # by name, as before
    head = world.user("dist_head")
    person = f'<option value="{head.pk}">{head.get_full_name() or head.username}</option>'
    assert html.count(person) == 2  # in both rows' "our person" select


def test_the_add_a_person_form_is_drawn_when_its_section_is_opened(world, login):
    """Issue 22: the client page drew the "Add a person" form (fourteen widgets, a fifth of the page's time) in a
    section closed by default. Now the section loads its fields when opened; a refused one comes back bound and
    open, with what was typed."""
    client = ClientFactory(distributor=world.own, is_key_account=True)
    boss = StakeholderFactory(client=client, full_name="Zoe Boss", level="executive")
    page = login(world.user("dist_head"))
    url = reverse("clients:client_detail", args=[client.pk])
    html = page.get(url).content.decode()
    form_url = reverse("clients:stakeholder_new_form", args=[client.pk])
    assert 'name="new-full_name"' not in html and 'name="new-buying_roles"' not in html
    # into its own box (the form around it targets the whole buying centre: htmx would inherit that)
    assert f'hx-get="{form_url}" hx-trigger="toggle once from:#new-stakeholder" hx-target="this"' in html
    with CaptureQueriesContext(connection) as ctx:
        fields = page.get(form_url, **HX)
    assert fields.status_code == 200
    body = fields.content.decode()
    assert 'name="new-full_name"' in body and 'name="new-buying_roles"' in body and "<html" not in body
    assert f'<option value="{boss.pk}">Zoe Boss</option>' in body  # reports to: the client's people
    assert len([q for q in ctx.captured_queries if 'FROM "clients_stakeholder"' in q["sql"]]) == 1
    refused = page.post(reverse("clients:stakeholder_create", args=[client.pk]),
                        {"new-full_name": "Dan Typed", "new-level": "middle_manager", "new-influence": "9",
                         "new-attitude": "1"}, **HX)
    text = refused.content.decode()
    assert refused.status_code == 200 and '<details open id="new-stakeholder">' in text
    assert 'value="Dan Typed"' in text and "hx-trigger=\"toggle once" not in text
    assert not Stakeholder.objects.filter(full_name="Dan Typed").exists()


def test_the_buying_centre_rows_reverse_no_url_each(world, login, monkeypatch):
    """Issue 22: six ``{% url %}`` per stakeholder row (edit, delete, add a contact, remove one, history) and the
    level options looped per row were a fifth of the client page's template; the links now come from URL patterns
    reversed once, the options joined once. The same links and options as before."""
    import django.urls

    from keychannel.core import tables

    client = ClientFactory(distributor=world.own, is_key_account=True)
    boss = StakeholderFactory(client=client, level="executive")
    contact = ContactFactory(stakeholder=boss, user=world.user("dist_head"))
    StakeholderFactory(client=client, reports_to=boss)  # two: the page shows the "link two people" form
    page = login(world.user("dist_head"))
    url = reverse("clients:client_detail", args=[client.pk])
    calls = []
    for module in (django.urls, tables):  # ``{% url %}`` imports django.urls.reverse when it renders
        real = module.reverse
        monkeypatch.setattr(module, "reverse", lambda *a, _real=real, **k: calls.append(a) or _real(*a, **k))

    def reversed_on_page():
        calls.clear()
        html = page.get(url).content.decode()
        return len(calls), html

    reversed_on_page()  # the patterns reversed once per process
    few, _html = reversed_on_page()
    for _n in range(6):
        ContactFactory(stakeholder=StakeholderFactory(client=client, reports_to=boss), user=world.user("mentor"))
    many, html = reversed_on_page()
    assert many == few, " ".join(c[0] for c in calls)
    for link in (reverse("clients:stakeholder_edit", args=[boss.pk]), reverse("clients:stakeholder_delete", args=[boss.pk]),
                 reverse("clients:contact_add", args=[boss.pk]), reverse("clients:contact_delete", args=[contact.pk]),
                 reverse("core:history", args=["clients", "stakeholder", boss.pk])):
        assert f'"{link}"' in html, link
    assert html.count('<option value="acquainted" selected>') == 8 and html.count('<option value="trusted" selected>') == 8


def test_the_buying_centre_reads_the_people_it_names_by_name(world, login):
    """Issue 22: each stakeholder's manager, each contact's user, each link's two people and our people were read
    with every column (a user's password among them) for a name. The same page."""
    from keychannel.clients.models import StakeholderLink

    client = ClientFactory(distributor=world.own, is_key_account=True)
    boss = StakeholderFactory(client=client, level="executive", full_name="Ada <Boss>")
    aide = StakeholderFactory(client=client, reports_to=boss, full_name="Bo & Aide")
    ContactFactory(stakeholder=boss, user=world.user("dist_head"))
    StakeholderLink.objects.create(source=aide, target=boss, kind="influences", note="weekly")
    page = login(world.user("dist_head"))
    with CaptureQueriesContext(connection) as queries:
        answer = page.get(reverse("clients:client_detail", args=[client.pk]))
    assert answer.status_code == 200
    statements = [q["sql"] for q in queries.captured_queries]
    whole_users = [s for s in statements if '"auth_user"."password"' in s]
    assert len(whole_users) == 1 and 'FROM "auth_user" WHERE "auth_user"."id" = ' in whole_users[0]  # the session's
    assert not [s for s in statements if 'FROM "clients_stakeholder' in s and s.count('"job_title"') > 1]
    html = answer.content.decode()
    head = world.user("dist_head")
    for text in ("Ada &lt;Boss&gt;", "Bo &amp; Aide", "weekly", head.get_full_name() or head.username):
        assert text in html, text
    assert html.count(f'<option value="{boss.pk}">Ada &lt;Boss&gt;</option>') == 2  # the link form's two selects


@pytest.mark.parametrize("language", ["en", "ro"])
def test_the_link_form_is_what_django_drew_and_draws_no_template_per_person(world, login, language):
    """Issue 22: the "link two people" form drew two option templates (each with its attributes' include) per
    person and select; its fields are drawn once per language and each person's option joined in. The same
    markup as the form draws."""
    from django.template.loader import render_to_string
    from django.utils import translation

    from keychannel.clients.buying_centre import _forget_link_fields
    from keychannel.clients.forms import LinkForm

    client = ClientFactory(distributor=world.own, is_key_account=True)
    StakeholderFactory(client=client, full_name='Ana "A" <b> & Co')
    StakeholderFactory(client=client, full_name="Ţurcanu Ştefan")
    page = login(world.user("dist_head"))
    url = reverse("clients:client_detail", args=[client.pk])
    _forget_link_fields()

    def drawn():
        answer = page.get(url, HTTP_ACCEPT_LANGUAGE=language)
        return answer, answer.content.decode()

    with translation.override(language):
        page.cookies["django_language"] = language
        drawn()
        answer, html = drawn()
        people = list(Stakeholder.objects.filter(client=client).order_by("full_name", "pk"))
        expected = render_to_string("clients/_link_fields.html",
                                    {"link_form": LinkForm(client=client, people=people)})
    assert expected in html and 'name="kind"' in expected
    assert expected.count('<option value="') == 2 * (len(people) + 1) + 2
    few = len(answer.templates)
    for n in range(4):
        StakeholderFactory(client=client, full_name=f"Person {n}")
    with translation.override(language):  # the page activates the user's language: restored after it
        answer, html = drawn()
        people = list(Stakeholder.objects.filter(client=client).order_by("full_name", "pk"))
        assert render_to_string("clients/_link_fields.html", {"link_form": LinkForm(client=client, people=people)}) in html
    assert len(answer.templates) == few  # no template per person (rows in Python) nor per option
    assert answer.wsgi_request.LANGUAGE_CODE == language
