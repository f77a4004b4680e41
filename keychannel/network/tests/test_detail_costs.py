"""Issue 22 (pages): the distributor page reads, per statement, the columns it shows and joins only the rows it
names (the shared list selectors joined the distributor itself, its organisation and every user's every column,
and ordered by the distributor's code), and shows the same for each role as before: the profile, the agreement,
the people and relationships, readiness and reviews, with the internal assessment for the manufacturer only."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from keychannel.network import services
from keychannel.network.models import (
    ActionItem,
    ComplianceReview,
    Coverage,
    DistributorPerson,
    Interaction,
    ReadinessQuestion,
    Relationship,
)
from keychannel.network.tests.factories import TerritoryFactory

pytestmark = pytest.mark.django_db


def _page_data(world):
    """One of each thing the page shows, on the world's own distributor."""
    today = timezone.localdate()
    county = TerritoryFactory(name="Turda county", parent=world.territory)
    Coverage.objects.create(distributor=world.own, territory=county, product_line=world.product_line,
                            valid_from=date(2020, 1, 1), exclusive=True)
    Coverage.objects.create(distributor=world.own, territory=world.territory, product_line=world.product_line,
                            valid_from=date(2019, 1, 1), valid_to=date(2019, 12, 31))
    buyer = DistributorPerson.objects.create(distributor=world.own, full_name="Ioana Buyer", level="top_manager",
                                             title="Purchasing director", email="ioana@example.com")
    relationship = Relationship.objects.create(person=buyer, manufacturer_user=world.user("executive"),
                                               manufacturer_level="top", last_interaction=today, strength=4,
                                               note="Trusts us")
    Interaction.objects.create(relationship=relationship, occurred_on=today, summary="Dinner after the fair")
    answers = {q.code: 3 for q in ReadinessQuestion.objects.filter(questionnaire__version=1)}
    assessment = services.readiness_assess(principal=world.principal("mentor"), distributor=world.own,
                                           assessed_on=date(2026, 3, 1), answers=answers)
    ActionItem.objects.create(assessment=assessment, title="Name a CRM owner", owner=world.user("mentor"),
                              due_on=date(2026, 4, 1))
    ComplianceReview.objects.create(distributor=world.own, period="2026 H1", reviewed_on=date(2026, 2, 1),
                                    reviewer=world.user("program_manager"), findings="Stock reports late")


def _get(page, url):
    with CaptureQueriesContext(connection) as queries:
        answer = page.get(url)
    assert answer.status_code == 200
    return answer.content.decode(), [q["sql"] for q in queries.captured_queries]


@pytest.mark.parametrize(("role", "internal"), [("admin", True), ("program_manager", True), ("dist_head", False)])
def test_the_distributor_page_reads_only_what_it_shows(world, login, role, internal):
    _page_data(world)
    page = login(world.user(role))
    url = reverse("network:distributor_detail", args=[world.own.pk])
    page.get(url)
    html, statements = _get(page, url)
    # what the page shows, for each role as before
    shown = ["Alfa Distribuție SRL", "Cluj", world.user("channel_manager").get_full_name(), "Compressors",
             "Turda county", "not in force today", "Ioana Buyer", "Purchasing director", "ioana@example.com",
             world.user("executive").get_full_name(), "Name a CRM owner", world.user("mentor").get_full_name(),
             "2026 H1", world.user("program_manager").get_full_name(), "Stock reports late", ">v1<"]
    assert [text for text in shown if text not in html] == []
    # the internal assessment (stance, strengths, the relationship map, our notes) for the manufacturer only
    for text in ("Dinner after the fair", 'id="relationship-map-data"', 'id="health-flags"', "bi-star-fill"):
        assert (text in html) is internal, text
    # no statement reads a user's every column, the organisation, or joins the distributor to order one's rows
    whole_users = [s for s in statements if '"auth_user"."password"' in s]
    assert len(whole_users) == 1 and 'FROM "auth_user" WHERE "auth_user"."id" = ' in whole_users[0]  # the session's
    assert not [s for s in statements if "core_organization" in s and "core_membership" not in s]
    # the page's own rows (its coverage, people, relationships, readiness, reviews) do not join the distributor
    # (the sole-channel cells join the other distributors covering its lines, for their codes)
    own = [s for s in statements if any(f'FROM "network_{table}"' in s for table in (
        "distributorperson", "relationship", "interaction", "readinessassessment", "actionitem", "compliancereview"))
        or '"network_coverage"."note"' in s]
    assert len(own) == 6 + internal, own
    scoped = "" if internal else '"network_coverage"."note"'  # a distributor user's coverage: its organisation's
    assert not [s for s in own if 'JOIN "network_distributor" ' in s and not (scoped and scoped in s)], own


def test_the_distributor_page_statements_do_not_grow_with_its_rows(world, login):
    page = login(world.user("admin"))
    url = reverse("network:distributor_detail", args=[world.own.pk])
    _page_data(world)
    page.get(url)
    few = len(_get(page, url)[1])
    for n in range(4):
        person = DistributorPerson.objects.create(distributor=world.own, full_name=f"Person {n}", level="middle_manager")
        relationship = Relationship.objects.create(person=person, manufacturer_user=world.user(("mentor", "embedded_kam")[n % 2]),
                                                   manufacturer_level="middle")
        Interaction.objects.create(relationship=relationship, occurred_on=date(2026, 1, 1 + n), summary=f"Call {n}")
    assert len(_get(page, url)[1]) == few


@pytest.mark.parametrize("role", ["admin", "dist_head"])
def test_the_distributor_page_reads_its_product_lines_with_the_distributor(world, login, role):
    """Issue 22: the product lines' names were a prefetch, a statement of their own; they come in the distributor's
    row now, in the product lines' order (name, then id), and a distributor with none shows "None"."""
    from keychannel.network.models import ProductLine
    from keychannel.network.tests.factories import ProductLineFactory

    world.own.product_lines.add(ProductLineFactory(name="Air dryers"), ProductLineFactory(name="Zeolite filters"))
    page = login(world.user(role))
    url = reverse("network:distributor_detail", args=[world.own.pk])
    page.get(url)
    html, statements = _get(page, url)
    assert not [s for s in statements if 'FROM "network_productline"' in s and "network_coverage" not in s]
    names = list(world.own.product_lines.order_by("name", "id").values_list("name", flat=True))
    assert len(names) >= 3 and names == sorted(names)
    listed = html.index("<ul><li>Air dryers</li>")
    assert html[listed:html.index("</ul>", listed)] == "<ul>" + "".join(f"<li>{n}</li>" for n in names)
    world.own.product_lines.clear()
    assert ProductLine.objects.exists()
    html, _statements = _get(page, url)
    assert '<ul><li class="text-secondary">None</li></ul>' in html


def test_the_administrator_invites_the_head_first_asked_with_the_distributor(world, login):
    """Issue 22: whether the distributor's organisation has a head (the "invite a person" link's role) was a
    statement of its own on the administrator's distributor page; it comes with the distributor's row now."""
    from keychannel.core.models import Membership

    page = login(world.user("admin"))
    url = reverse("network:distributor_detail", args=[world.own.pk])
    page.get(url)
    html, statements = _get(page, url)
    assert not [s for s in statements if s.startswith('SELECT 1 AS "a" FROM "core_membership"')
                or (s.startswith("SELECT %s AS") and "core_membership" in s)]
    assert Membership.objects.filter(organization_id=world.own.organization_id, role="dist_head").exists()
    assert f"?organization={world.own.organization_id}&amp;role=dist_sales" in html
    Membership.objects.filter(organization_id=world.own.organization_id, role="dist_head").update(role="dist_sales")
    html, _statements = _get(page, url)
    assert f"?organization={world.own.organization_id}&amp;role=dist_head" in html
