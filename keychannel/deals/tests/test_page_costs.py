"""Issue 22 (pages): the kanban reads its columns' cards in one statement on PostgreSQL (a query per column
before), and the deals page reads only the relations its columns show (the API's product lines, mentor and KAM
cost a query and two joins per page the table never drew)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from keychannel.core.filters import TYPED_FROM
from keychannel.deals import selectors
from keychannel.deals.choices import Stage
from keychannel.deals.tests.factories import ClientFactory, OpportunityFactory
from keychannel.network.models import Distributor
from keychannel.network.tests.factories import DistributorFactory

pytestmark = pytest.mark.django_db


def _deals(world, n):
    clients = [ClientFactory(distributor=world.own, territory=world.territory) for _ in range(2)]
    for index in range(n):
        deal = OpportunityFactory(client=clients[index % 2], owner=world.user("dist_sales"),
                                  stage=Stage.values[index % len(Stage.values)],
                                  lost_reason="Price" if Stage.values[index % len(Stage.values)] == Stage.LOST else "")
        deal.product_lines.add(world.product_line)


@pytest.mark.parametrize("role", ["admin", "dist_head"])
def test_the_board_reads_every_column_at_once_and_as_each_column_alone(world, role):
    _deals(world, 3 * len(Stage.values))
    principal = world.principal(role)
    principal.distributor_ids  # noqa: B018 - the principal's reach, read once per request
    with CaptureQueriesContext(connection) as queries:
        columns = selectors.board_first_cards(principal=principal, filters={}, limit=2)
    one_statement = connection.features.supports_slicing_ordering_in_compound  # PostgreSQL
    # the cards joined to the union of the columns' first ids: one statement (the ids were one of their own)
    assert len(queries.captured_queries) == (1 if one_statement else len(Stage.values))
    for stage in Stage.values:
        alone = selectors.board_cards(principal=principal, filters={}, stage=stage, limit=2)
        assert [card.pk for card in columns[stage]] == [card.pk for card in alone]
        assert all(card.client_name and card.owner_name for card in columns[stage])  # no query per card after


def _statements(page, url):
    with CaptureQueriesContext(connection) as queries:
        assert page.get(url).status_code == 200
    return [q["sql"] for q in queries.captured_queries]


def test_the_board_statements_do_not_grow_with_the_deals(world, login):
    page = login(world.user("admin"))
    url = reverse("deals:pipeline")
    _deals(world, len(Stage.values))
    page.get(url)
    few = len(_statements(page, url))
    _deals(world, 4 * len(Stage.values))
    assert len(_statements(page, url)) == few


def test_the_deals_page_reads_what_its_columns_show(world, login):
    page = login(world.user("admin"))
    url = reverse("deals:opportunity_list")
    _deals(world, 3)
    page.get(url)
    few = _statements(page, url)
    _deals(world, 12)
    many = _statements(page, url)
    assert len(many) == len(few)
    assert not any("deals_opportunity_product_lines" in sql for sql in many)
    rows = next(sql for sql in many if 'FROM "deals_opportunity"' in sql and "COUNT(" not in sql.upper())
    assert '"kam_id" = ' not in rows and '"mentor_id" = ' not in rows  # no join to the mentor or KAM
    counts = [sql for sql in many if "COUNT(" in sql.upper() and "deals_opportunity" in sql]
    assert counts and all("LIMIT 10001" in sql for sql in counts)  # capped, as the API's list
    # the columns the table shows, not every column of the deal, its client, distributor and owner (issue 22)
    for column in ('"auth_user"."password"', '"clients_corporateclient"."tax_id"', '"network_distributor"."name"',
                   '"deals_opportunity"."lost_reason"', '"deals_opportunity"."created_at"'):
        assert column not in rows, column


def _owner_choices(users):
    return [(str(pk), f"{first} {last}".strip() or username) for pk, username, first, last
            in users.order_by("last_name", "username").values_list("pk", "username", "first_name", "last_name")]


@pytest.mark.parametrize("role", ["admin", "dist_head", "channel_manager"])
def test_the_filter_lists_are_read_in_one_statement(world, role):
    """Issue 22: the owners, and the few distributors a select offers, were a statement each besides the territories
    and product lines (four on a head's kanban): one union now, each list in its own order and labels."""
    from django.contrib.auth import get_user_model

    from keychannel.core.filters import QueryChoices
    from keychannel.deals.tables import filter_choices

    make = get_user_model().objects.create_user
    for username, first, last in (("w-zed", "", "Ionescu"), ("w-amy", "Ana", "Ionescu"), ("w-bare", "", ""),
                                  ("w-tab", "Éva", "Álmos")):
        user = make(username)
        user.first_name, user.last_name = first, last
        user.save()
        world.user("dist_sales").membership.__class__.objects.create(
            user=user, organization=world.own.organization, role="dist_sales")
    principal = world.principal(role)
    principal.distributor_ids  # noqa: B018 - the principal's reach, read once per request
    with CaptureQueriesContext(connection) as queries:
        choices = filter_choices(principal)
    assert len(queries.captured_queries) == 1, [q["sql"] for q in queries.captured_queries]
    users = get_user_model().objects.filter(membership__isnull=False, is_active=True)
    if role == "dist_head":
        users = users.filter(membership__organization_id=principal.organization_id)
    elif principal.distributor_ids is not None:
        from django.db.models import Q

        users = users.filter(Q(membership__organization__kind="manufacturer")
                             | Q(membership__organization__distributor__in=principal.distributor_ids))
    assert choices["owner_id"] == _owner_choices(users)
    labels = {label for _pk, label in choices["owner_id"]}
    assert "Ana Ionescu" in labels and "w-amy" not in labels and "w-bare" in labels  # full name, else username
    distributors = choices["distributor_id"]
    if principal.distributor_ids is None:
        assert isinstance(distributors, QueryChoices)
    else:
        reach = Distributor.objects.filter(pk__in=principal.distributor_ids).order_by("code")
        head = [("direct", "Direct")] if principal.is_manufacturer else []
        assert list(distributors) == head + [(str(d.pk), d.code) for d in reach]


def test_the_first_cards_compile_one_part_for_every_column(world):
    """Issue 22: the kanban's union of each column's first ids compiled the scope and the filters once per column
    (seven times); one part is compiled and its stage set per part. The same cards (see the test above)."""
    import cProfile
    import pstats

    if not connection.features.supports_slicing_ordering_in_compound:
        pytest.skip("SQLite reads a column at a time")
    _deals(world, 2 * len(Stage.values))
    principal = world.principal("dist_head")
    principal.distributor_ids  # noqa: B018
    profile = cProfile.Profile()
    profile.enable()
    columns = selectors.board_first_cards(principal=principal, filters={"q": "a"}, limit=2)
    profile.disable()
    compiled = sum(stats[1] for (path, _line, name), stats in pstats.Stats(profile).stats.items()
                   if name == "as_sql" and path.endswith("sql/compiler.py"))
    assert compiled <= 3 < len(Stage.values)  # one column's part and the cards' rows, not a part per column
    for stage in Stage.values:
        alone = selectors.board_cards(principal=principal, filters={"q": "a"}, stage=stage, limit=2)
        assert [card.pk for card in columns[stage]] == [card.pk for card in alone]


def test_the_board_draws_its_cards_without_a_template_per_card(world, login):
    """Seventy cards drawn through an include each were most of the kanban's time at size (issue 22): the cards
    are built in Python (deals/cards.py), so the templates the board renders do not grow with its cards."""
    page = login(world.user("admin"))
    url = reverse("deals:pipeline")
    _deals(world, len(Stage.values))
    page.get(url)  # the move dialog, rendered once per language
    few = len(page.get(url).templates)
    _deals(world, 2 * len(Stage.values))
    answer = page.get(url)
    assert len(answer.templates) == few
    assert answer.content.decode().count('class="card kc-card') == 3 * len(Stage.values)


def test_a_card_is_the_markup_the_template_drew(world):
    from datetime import date

    from keychannel.deals.cards import Card, card_html

    client = ClientFactory(distributor=world.own, territory=world.territory, legal_name="Ana & Co <SRL>")
    deal = OpportunityFactory(client=client, owner=world.user("dist_sales"), stage=Stage.DISCUSSION,
                              title='Pumps "A" <b>', value=12345, next_step="Call the buyer about the quote",
                              next_step_on=date(2020, 1, 2))
    card = Card.of(deal)
    card.movable = True
    owner = deal.owner.get_full_name() or deal.owner.username
    assert card_html(card) == (
        f'<div class="card kc-card mb-2 shadow-sm" id="card-{deal.pk}" data-id="{deal.pk}" '
        f'data-move-url="/deals/{deal.pk}/move/">\n'
        '  <div class="card-body p-2 small">\n'
        f'    <a class="fw-semibold text-decoration-none d-block" href="/deals/{deal.pk}/">Pumps &quot;A&quot; '
        '&lt;b&gt;</a>\n'
        f'    <div class="text-secondary">Ana &amp; Co &lt;SRL&gt; · {world.own.code}</div>\n'
        '    <div class="d-flex justify-content-between mt-1">\n'
        '      <span>12,345 RON</span>\n'
        f'      <span class="text-secondary">{owner}</span>\n'
        '    </div>\n'
        '    <div class="text-secondary">Next: Call the buyer about the quote · 2 Jan 2020</div>\n'
        '    <button type="button" class="btn btn-sm btn-outline-secondary py-0 px-1 mt-1 kc-move" '
        'data-title="Pumps &quot;A&quot; &lt;b&gt;" data-stage="discussion"><i class="bi bi-arrow-left-right" '
        'aria-hidden="true"></i> Move<span class="visually-hidden"> “Pumps &quot;A&quot; &lt;b&gt;”</span></button>\n'
        '    <span class="badge text-bg-warning mt-1 kc-flag-overdue">Next step overdue</span>\n'
        '  </div>\n</div>\n')
    card.movable = False
    locked = card_html(card)
    assert locked.startswith(f'<div class="card kc-card mb-2 shadow-sm kc-locked" id="card-{deal.pk}" '
                             f'data-id="{deal.pk}" title="You may not move this deal.">')
    assert "kc-move" not in locked


def test_the_deal_page_reads_its_moves_once_for_the_history_and_the_time_in_stages(world, login):
    """Issue 22: the deal page read the deal's stage changes twice, once for its history and once for the time it
    spent in each stage; the second is computed from the first."""
    deal = OpportunityFactory(client=ClientFactory(distributor=world.own, territory=world.territory),
                              owner=world.user("dist_sales"), stage=Stage.DISCUSSION)
    page = login(world.user("admin"))
    with CaptureQueriesContext(connection) as queries:
        answer = page.get(reverse("deals:opportunity_detail", args=[deal.pk]))
    assert answer.status_code == 200
    assert len([q for q in queries.captured_queries if 'FROM "deals_stagechange"' in q["sql"]]) == 1
    expected = selectors.time_in_stages(opportunity=deal, now=None)
    assert [row["stage"] for row in answer.context["time_in_stages"]] == [row["stage"] for row in expected]


def _distributor_lists(statements):
    """Statements that read the distributors' codes as a list (not a count of them, nor one of them)."""
    return [sql for sql in statements if 'FROM "network_distributor"' in sql and '"network_distributor"."code"' in sql
            and "COUNT(" not in sql.upper() and " LIMIT " not in sql]


@pytest.mark.parametrize("url_name", ["deals:pipeline", "deals:opportunity_list"])
def test_the_board_and_the_deals_page_type_the_distributor_without_reading_every_distributor(world, login, url_name):
    """Issue 22 (scenario: the admin's kanban and deals page at 2,000 distributors): both read every distributor's
    code to find out that the filter is typed, not a list. Now they count up to the list's limit and read the codes
    only to look up a chosen one."""
    for i in range(TYPED_FROM + 1):
        DistributorFactory(code=f"dx{i:03d}", territory=world.territory)
    page = login(world.user("admin"))
    statements = _statements(page, reverse(url_name))
    assert _distributor_lists(statements) == []
    assert any('FROM "network_distributor"' in sql and "COUNT(" in sql.upper() for sql in statements)
    chosen = Distributor.objects.get(code="dx007")
    answer = page.get(reverse(url_name) + f"?distributor_id={chosen.pk}")
    assert answer.status_code == 200 and 'value="dx007"' in answer.content.decode()  # shown by its code, typed


@pytest.mark.parametrize("role", ["admin", "dist_head"])
def test_a_board_card_reads_only_what_it_shows(world, login, role):
    """Issue 22: the board's cards read every column of the deal, its client and its distributor (the client's
    dozens of columns for its name). Now the cards' own columns (deals.cards.CARD_FIELDS), and no query per
    card after (the rules and the flags ask only those)."""
    _deals(world, 2 * len(Stage.values))
    page = login(world.user(role))
    url = reverse("deals:pipeline")
    page.get(url)
    statements = _statements(page, url)
    cards = [sql for sql in statements if '"deals_opportunity"."title"' in sql and "clients_corporateclient" in sql]
    # one statement on PostgreSQL, one per column on SQLite (board_first_cards); a head's, one on both (_own_board)
    one = role == "dist_head" or connection.features.supports_slicing_ordering_in_compound
    assert len(cards) == (1 if one else len(Stage.values))
    for column in ('"clients_corporateclient"."tax_id"', '"network_distributor"."legal_name"',
                   '"deals_opportunity"."lost_reason"', '"auth_user"."password"'):
        assert not any(column in sql for sql in cards), column
    few = len(statements)
    _deals(world, 3 * len(Stage.values))
    assert len(_statements(page, url)) == few


def test_the_move_dialog_is_rendered_once_per_language(world, login):
    """The dialog is the same for everyone (an unbound form of fixed choices): its widgets were 5 % of the kanban
    (issue 22). A later page shows the same dialog without rendering a widget; another language its own."""
    from django.core.cache import cache
    from django.utils import translation

    from keychannel.core.models import Membership

    cache.clear()
    page = login(world.user("admin"))
    url = reverse("deals:pipeline")
    first = page.get(url)
    dialog = _dialog(first)
    assert any(t.name.startswith("django/forms/widgets/") for t in first.templates)
    again = page.get(url)
    assert _dialog(again) == dialog and 'name="stage"' in dialog and 'name="lost_reason_code"' in dialog
    assert not any(t.name.startswith("django/forms/widgets/") for t in again.templates)
    Membership.objects.filter(user=world.user("admin")).update(language="ro")
    with translation.override("en"):  # the page activates Romanian: not for the tests after this one
        romanian = page.get(url)
    assert "Anulează" in _dialog(romanian) and "Anulează" not in dialog


def _dialog(answer) -> str:
    html = answer.content.decode()
    start = html.index('<div class="modal fade" id="move-dialog"')
    return html[start:html.index("</form>", start)]


@pytest.mark.parametrize("role", ["admin"])
def test_the_board_reads_its_totals_and_stage_probabilities_in_one_statement(world, role):
    """Issue 22 (kanban): the stage probabilities were a statement of their own; they come with the totals now (the
    roll-up's for the admin, the deals' aggregate for a head), the stored one where set, else the default."""
    from decimal import Decimal

    from keychannel.deals.models import StageSetting

    _deals(world, 2 * len(Stage.values))
    StageSetting.objects.update_or_create(stage=Stage.PROPOSAL, defaults={"probability": 37})
    principal = world.principal(role)
    principal.distributor_ids  # noqa: B018 - the principal's reach, read once per request
    with CaptureQueriesContext(connection) as queries:
        columns = selectors.pipeline_board(principal=principal, filters={})
    cards = 1 if connection.features.supports_slicing_ordering_in_compound else len(Stage.values)  # board_first_cards
    assert len(queries.captured_queries) == 1 + cards
    stored = selectors.stage_settings()
    assert {c["stage"]: c["probability"] for c in columns} == {stage: stored[stage] for stage in Stage.values}
    assert next(c for c in columns if c["stage"] == Stage.PROPOSAL)["probability"] == 37
    totals = selectors.board_totals(principal=principal, filters={})
    zero = (0, Decimal("0"), Decimal("0"))
    assert {c["stage"]: (c["count"], c["total"], c["weighted"]) for c in columns} == {
        stage: totals.get(stage, zero) for stage in Stage.values}
    assert sum(c["count"] for c in columns) >= 2 * len(Stage.values)


@pytest.mark.parametrize("role", ["dist_head", "dist_sales"])
def test_a_distributor_board_reads_its_totals_with_its_cards(world, role):
    """Issue 22 (a head's kanban, 7× bare): a distributor user's totals and first cards come in one statement over
    its own deals (window functions), the stage probabilities in a second; before, three statements on PostgreSQL
    (totals, first ids, cards), eight on SQLite. The same totals and cards as the shared path, and the deals of a
    client taken out of scope stay hidden unless kept (the reason the pipeline roll-up cannot answer a head)."""
    import datetime
    from decimal import Decimal

    from django.utils import timezone

    from keychannel.deals.models import StageSetting

    _deals(world, 3 * len(Stage.values))
    gone = ClientFactory(distributor=world.own, territory=world.territory, out_of_scope=True)
    hidden = OpportunityFactory(client=gone, owner=world.user("dist_sales"), stage=Stage.DISCUSSION)
    kept = OpportunityFactory(client=gone, owner=world.user("dist_sales"), stage=Stage.PROPOSAL)
    type(kept).objects.filter(pk=kept.pk).update(kept_until=timezone.localdate() + datetime.timedelta(days=3))
    StageSetting.objects.update_or_create(stage=Stage.PROPOSAL, defaults={"probability": 37})
    principal = world.principal(role)
    principal.distributor_ids  # noqa: B018 - the principal's reach, read once per request
    with CaptureQueriesContext(connection) as queries:
        columns = selectors.pipeline_board(principal=principal, filters={}, per_column=2)
    assert len(queries.captured_queries) == 2
    assert next(c for c in columns if c["stage"] == Stage.PROPOSAL)["probability"] == 37
    totals = selectors.board_totals(principal=principal, filters={})
    zero = (0, Decimal("0"), Decimal("0"))
    assert {c["stage"]: (c["count"], c["total"], c["weighted"]) for c in columns} == {
        stage: totals.get(stage, zero) for stage in Stage.values}
    first = selectors.board_first_cards(principal=principal, filters={}, limit=2)
    assert {c["stage"]: [card.pk for card in c["cards"]] for c in columns} == {
        stage: [card.pk for card in cards] for stage, cards in first.items()}
    shown = {card.pk for c in columns for card in c["cards"]}
    assert kept.pk in shown and hidden.pk not in shown  # the two most recent of their columns
    assert all(c["more"] == c["count"] - len(c["cards"]) for c in columns)
    filtered = selectors.pipeline_board(principal=principal, filters={"stage": Stage.WON}, per_column=2)
    assert [c["count"] for c in filtered if c["stage"] != Stage.WON] == [0] * (len(Stage.values) - 1)
