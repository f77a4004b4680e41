"""A principal's reach passed to an ``__in`` filter goes through ``core.scoping.in_lookup`` everywhere: a channel
manager with more distributors than ``KEYCHANNEL_REACH_INLINE_MAX`` is selected by the subquery their reach came from
(not one parameter a distributor) and reads exactly the rows the literal ids read, in every list, form, filter and
page that narrows to the reach by hand (issue 21, end-of-stop review of stop 18)."""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from keychannel.channel.forms import LeadAssignForm
from keychannel.competence.selectors import channel_structure
from keychannel.core.scoping import Principal
from keychannel.deals.tables import filter_choices
from keychannel.network.tests.factories import DistributorFactory
from keychannel.program import cockpit_selectors
from keychannel.program.filters import _distributor_choices
from keychannel.program.forms import SupportRequestForm
from keychannel.program.models import BestPractice, Event
from keychannel.program.scorecard import scorecard_rows
from keychannel.sales import rollups
from keychannel.sales.api import _visible_distributor
from keychannel.sales.models import SalesRollup
from keychannel.sales.selectors import distributors_for_upload
from keychannel.sales.views import _distributor_filter
from keychannel.service.forms import assignable_people
from tests.cockpit_data import busy

pytestmark = pytest.mark.django_db


def this_year() -> int:
    return timezone.localdate().year  # read at the test, not at import (a run may cross New Year)


def _pks(qs):
    return list(qs.order_by("pk").values_list("pk", flat=True))


# label -> (what the site answers for a principal, the table of the statement that must select the reach by subquery)
SITES = {
    "sales: distributor filter": (lambda p: _distributor_filter(None, p).choices, "network_distributor"),
    "sales: distributors to upload for": (lambda p: _pks(distributors_for_upload(p)), "network_distributor"),
    "sales API: a distributor by code": (lambda p: _visible_distributor(p, "tidy-b").pk, "network_distributor"),
    "sales: revenue from the roll-up": (
        lambda p: rollups.revenue(p.distributor_ids, datetime.date(this_year(), 1, 1), datetime.date(this_year(), 12, 31),
                                  grouped=True), "sales_salesrollup"),
    "channel: lead assignment form": (
        lambda p: _pks(LeadAssignForm(principal=p).fields["distributor"].queryset), "network_distributor"),
    "program: support request form": (
        lambda p: _pks(SupportRequestForm(principal=p).fields["distributor"].queryset), "network_distributor"),
    "program: scorecard rows": (lambda p: scorecard_rows(principal=p), "network_distributor"),
    "program: distributor filter": (_distributor_choices, "network_distributor"),
    "program: rules not yet acknowledged": (
        lambda p: [(i.label, i.detail, str(i.badge))
                   for i in cockpit_selectors.acknowledgements_missing(p, timezone.localdate()).items],
        "network_distributor"),
    "competence: channel structure": (lambda p: channel_structure(principal=p), "network_distributor"),
    "deals: pipeline filter choices (distributors)": (lambda p: filter_choices(p), "network_distributor"),
    "deals: pipeline filter choices (owners)": (lambda p: filter_choices(p), "auth_user"),
    "service: assignable people": (lambda p: _pks(assignable_people(p)), "auth_user"),
}


@pytest.fixture
def wide_reach(world):
    """The busy world whose channel manager manages three distributors (own and two more), the inline limit one:
    their reach is past it."""
    busy(world)
    manager = world.user("channel_manager")
    for code in ("tidy-a", "tidy-b"):
        extra = DistributorFactory(code=code, legal_name=f"Distribuitor {code}", territory=world.territory,
                                   channel_manager=manager)
        SalesRollup.objects.create(distributor=extra, month=datetime.date(this_year(), 3, 1), line_count=2,
                                   amount=Decimal("120.50"))
    for side in ("own", "other"):  # drafts: each read by its own distributor only
        BestPractice.objects.create(distributor=world.distributor(side), title=f"Story {side}", story="We won.",
                                    author=world.user("program_manager"))
    return world


def _selects_reach_by_subquery(captured, table, marker):
    """Whether a statement reading ``table`` selects the reach by its subquery: ``marker`` (the provider's filter)
    on a table Django aliased inside a subquery (``U0."channel_manager_id" = 7``). The statement may read other
    lists beside it (core.filters.choice_lists reads a page's filter lists as one UNION ALL)."""
    pattern = re.compile(r'\b[A-Z]\d+\.' + re.escape(marker))
    return any(f'FROM "{table}"' in q["sql"] and pattern.search(q["sql"]) for q in captured)


def _both_ways(settings, principal, read, *, limit):
    settings.KEYCHANNEL_REACH_INLINE_MAX = 10**6  # every reach as literal ids
    literal = read(principal)
    settings.KEYCHANNEL_REACH_INLINE_MAX = limit  # past the limit: the subquery the reach came from
    with CaptureQueriesContext(connection) as captured:
        by_subquery = read(principal)
    return literal, by_subquery, captured.captured_queries


@pytest.mark.parametrize("site", sorted(SITES))
def test_a_channel_manager_past_the_inline_limit_reads_the_same_rows_by_subquery(wide_reach, settings, site):
    read, table = SITES[site]
    principal = Principal.for_user(wide_reach.user("channel_manager"))
    assert len(principal.distributor_ids) == 3 and principal.distributor_ids.query is not None
    literal, by_subquery, captured = _both_ways(settings, principal, read, limit=1)
    assert literal, "nothing to compare: the site reads no rows in this world"
    assert by_subquery == literal
    marker = f'"channel_manager_id" = {principal.user_id}'
    assert _selects_reach_by_subquery(captured, table, marker), [q["sql"] for q in captured]


def _page(client, url):
    response = client.get(url)
    assert response.status_code == 200
    body = response.content.decode()
    return re.sub(r"[A-Za-z0-9]{64}|nonce=\"[^\"]*\"", "", body)  # CSRF tokens and CSP nonces change per response


@pytest.mark.parametrize("url_name", ["sales:report_sample", "sales:mapping_list"])
def test_a_channel_managers_sales_pages_are_the_same_by_subquery(wide_reach, settings, login, url_name):
    client = login(wide_reach.user("channel_manager"))
    settings.KEYCHANNEL_REACH_INLINE_MAX = 10**6
    literal = _page(client, reverse(url_name))
    settings.KEYCHANNEL_REACH_INLINE_MAX = 1
    with CaptureQueriesContext(connection) as captured:
        by_subquery = _page(client, reverse(url_name))
    assert by_subquery == literal
    marker = f'"channel_manager_id" = {wide_reach.user("channel_manager").pk}'
    assert _selects_reach_by_subquery(captured.captured_queries, "network_distributor", marker)


@pytest.mark.parametrize("model", [BestPractice, Event], ids=["best practices", "events"])
def test_a_distributor_users_learning_and_events_are_the_same_by_subquery(wide_reach, settings, model):
    principal = Principal.for_user(wide_reach.user("dist_head"))
    literal, by_subquery, captured = _both_ways(settings, principal, lambda p: _pks(model.objects.visible_to(p)),
                                                limit=0)
    assert literal and by_subquery == literal
    marker = f'"organization_id" = {wide_reach.own.organization_id}'
    assert _selects_reach_by_subquery(captured, model._meta.db_table, marker), [q["sql"] for q in captured]
