"""Issue 22 (kanban ≤ 5× bare): the board's cards are read as rows (``deals.cards.Card``), not as deals with their
client, distributor and owner objects, and draw the very markup the deals drew; the territory and product-line
filters of the kanban and the deals page are read in one statement."""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from keychannel.core.filters import choice_lists
from keychannel.core.policies import can
from keychannel.deals import selectors
from keychannel.deals.cards import Card, card_html
from keychannel.deals.choices import Stage
from keychannel.deals.models import Opportunity
from keychannel.deals.tests.factories import ClientFactory, OpportunityFactory
from keychannel.network.models import ProductLine, Territory
from keychannel.network.tests.factories import ProductLineFactory, TerritoryFactory

pytestmark = pytest.mark.django_db


def _board_world(world):
    """Cards in every column: the own distributor's and the other's, direct deals, escaped names, no next step,
    overdue steps, an owner without a first or last name, another with both."""
    today = timezone.localdate()
    own = ClientFactory(distributor=world.own, territory=world.territory, legal_name='Ana & "Co" <SRL>')
    other = ClientFactory(distributor=world.other, territory=world.territory)
    direct = ClientFactory(distributor=None, territory=world.territory)
    sales = world.user("dist_sales")
    sales.first_name, sales.last_name = "Ioana", "Pop"
    sales.save()
    owners = [sales, world.user("dist_head"), world.user("admin")]
    for index in range(3 * len(Stage.values)):
        stage = Stage.values[index % len(Stage.values)]
        client = (own, other, direct)[index % 3]
        OpportunityFactory(
            client=client, distributor=client.distributor, owner=owners[index % 3], stage=stage,
            title=f'Deal <{index}> "x"' if index % 4 else f"Deal {index}", value=Decimal(1000 * index) + Decimal("0.5"),
            next_step="" if index % 5 == 0 else "Send the quote to the buyer's purchasing office, then call",
            next_step_on=None if index % 7 == 0 else today + datetime.timedelta(days=(index % 3) - 1),
            lost_reason="Price" if stage == Stage.LOST else "")


def _cards_of_page(html: str) -> dict[str, str]:
    """Each column's cards (the dropzone's content) as drawn: from its opening to the end of its last card."""
    columns = {}
    for section in html.split('<section class="kc-column')[1:]:
        stage = re.search(r'<div class="kc-dropzone" data-stage="(\w+)"[^>]*>', section)
        body = section[stage.end():section.index("</section>")]
        columns[stage.group(1)] = body[:body.rindex("</div>\n</div>\n") + len("</div>\n</div>\n")].strip()
    return columns


@pytest.mark.parametrize("role", ["admin", "dist_head"])
def test_the_board_draws_the_cards_the_deals_drew(world, login, role):
    """Byte for byte: every column's cards as the page draws them from rows, and as drawn from the deals read as
    models (the client, distributor and owner objects the cards used to read), in the same order."""
    _board_world(world)
    principal = world.principal(role)
    answer = login(world.user(role)).get(reverse("deals:pipeline"))
    drawn = _cards_of_page(answer.content.decode())
    assert set(drawn) == set(Stage.values)
    visible = Opportunity.objects.visible_to(principal).select_related("client", "distributor", "owner")
    for stage in Stage.values:
        deals = list(visible.filter(stage=stage).order_by("-updated_at", "-pk")[:selectors.CARDS_PER_COLUMN])
        assert deals, stage  # cards in every column
        expected = []
        for deal in deals:
            card = Card.of(deal)
            card.movable = can(principal, "deals.opportunity.change", deal)
            expected.append(card_html(card))
        assert drawn[stage] == "".join(expected).strip(), stage
    if role == "dist_head":  # what a role sees is unchanged: no other distributor's nor direct deal
        board = answer.content.decode().split('id="kc-board"')[1]
        assert f" · {world.other.code}</div>" not in board and " · direct</div>" not in board


def test_a_card_of_a_deal_is_the_card_of_its_row(world):
    """``Card.of`` (the move answer) and the board's rows agree field by field, a direct deal included."""
    _board_world(world)
    principal = world.principal("admin")
    rows = {card.pk: card for stage in Stage.values
            for card in selectors.board_cards(principal=principal, filters={}, stage=stage, limit=100)}
    assert len(rows) == Opportunity.objects.count()
    for deal in Opportunity.objects.select_related("client", "distributor", "owner"):
        row, of = rows[deal.pk], Card.of(deal)
        assert {name: getattr(row, name) for name in Card.__slots__} == {name: getattr(of, name) for name in Card.__slots__}
        assert row.owner_name == (deal.owner.get_full_name() or deal.owner.username)
        assert row.attention() == deal.attention() and row.distributor_display() == deal.distributor_display()
        assert can(principal, "deals.opportunity.change", row) == can(principal, "deals.opportunity.change", deal)


@pytest.mark.parametrize("role", ["dist_head", "dist_sales", "channel_manager"])
def test_who_may_move_a_card_is_who_may_change_its_deal(world, role):
    _board_world(world)
    principal = world.principal(role)
    deals = {deal.pk: deal for deal in Opportunity.objects.all()}
    for stage in Stage.values:
        for card in selectors.board_cards(principal=principal, filters={}, stage=stage, limit=100):
            assert can(principal, "deals.opportunity.change", card) == can(
                principal, "deals.opportunity.change", deals[card.pk])


def test_the_board_builds_no_deal_objects(world, login):
    """The cards are rows: no deal, client or distributor model is built for them (issue 22: the ~70 model
    instances with three related objects each were a third of the kanban's Python)."""
    from django.db.models.signals import post_init

    _board_world(world)
    built = []

    def count(sender, **kwargs):
        built.append(sender.__name__)

    page = login(world.user("admin"))
    post_init.connect(count)
    try:
        assert page.get(reverse("deals:pipeline")).status_code == 200
    finally:
        post_init.disconnect(count)
    assert not {"Opportunity", "CorporateClient", "Distributor"} & set(built), built


def test_the_choice_lists_are_read_in_one_statement_in_each_lists_order(world):
    TerritoryFactory(name="Arad", code="arad-2")
    TerritoryFactory(name="Arad", code="arad-1")
    ProductLineFactory(name="Ànfora", code="anfora")
    with CaptureQueriesContext(connection) as queries:
        lists = choice_lists({"territory_id": (Territory.objects.all(), "name"),
                              "product_line_id": (ProductLine.objects.all(), "name")})
    assert len(queries.captured_queries) == 1
    assert lists == {
        "territory_id": [(str(pk), name) for pk, name in Territory.objects.values_list("pk", "name")],
        "product_line_id": [(str(pk), name) for pk, name in ProductLine.objects.values_list("pk", "name")],
    }
    assert choice_lists({"territory_id": (Territory.objects.none(), "name"),
                         "product_line_id": (ProductLine.objects.all(), "name")})["territory_id"] == []


@pytest.mark.parametrize("url_name", ["deals:pipeline", "deals:opportunity_list"])
def test_the_territories_and_product_lines_are_one_statement(world, login, url_name):
    page = login(world.user("dist_head"))
    page.get(reverse(url_name))
    with CaptureQueriesContext(connection) as queries:
        answer = page.get(reverse(url_name))
    reads = [q["sql"] for q in queries.captured_queries
             if 'FROM "network_territory"' in q["sql"] or 'FROM "network_productline"' in q["sql"]]
    assert len(reads) == 1 and "UNION ALL" in reads[0]
    html = answer.content.decode()
    assert f'<option value="{world.territory.pk}"' in html and f'<option value="{world.product_line.pk}"' in html


def test_the_next_step_is_cut_as_truncatechars_cuts_it():
    import random

    from django.template.defaultfilters import truncatechars

    from keychannel.deals.cards import _step_text

    rnd = random.Random(22)
    alphabet = "abc xyz ăîșțâ e\u0301 a\u0308 ﬁ 中文 <&>\""
    texts = ["", "x" * 39, "x" * 40, "x" * 41, "e\u0301" * 40, "e\u0301" * 21, "ﬁ" * 41]
    texts += ["".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 60))) for _ in range(500)]
    for text in texts:
        assert _step_text(text) == truncatechars(text, 40), text
