"""What a list page's rows cost (issue 22, part 3): a row that answers only the ids of its product lines reads them
from one statement of the link table's ids for the page (core.api_rows.with_related_ids), not every column of every
line behind a related manager built per row, nor a product line object per link; and the page's statements do not
grow with its rows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from keychannel.channel.models import DealRegistration
from keychannel.channel.tests.factories import make_client, make_registration
from keychannel.core.api_rows import related_ids_sql
from keychannel.network.models import Distributor
from keychannel.network.tests.factories import DistributorFactory, ProductLineFactory

pytestmark = pytest.mark.django_db


def _statements(api, path):
    with CaptureQueriesContext(connection) as queries:
        body = api.get(path).json()
    return body, [q["sql"] for q in queries.captured_queries]


def _counting_product_lines(built: list):
    from django.db.models.signals import post_init

    from keychannel.network.models import ProductLine

    def count(sender, **kwargs):
        built.append(sender)

    post_init.connect(count, sender=ProductLine, weak=False)
    return lambda: post_init.disconnect(count, sender=ProductLine)


def _line_reads(statements):
    return [sql for sql in statements if "network_productline" in sql and "product_lines" in sql]


@pytest.mark.parametrize("path", ["/api/v1/distributors?limit=50", "/api/v1/registrations?limit=50"])
def test_a_page_reads_its_rows_product_line_ids_in_one_narrow_statement(world, api_as, path):
    """Scenario (issue 22): the distributors and registrations lists built a related manager and a full product
    line record per link on every row (a fifth of the distributors list's Python). Now one statement reads the
    lines' ids for the page, and ten more rows cost no statement more."""
    lines = [world.product_line, ProductLineFactory(name="Pumps", code="pumps")]
    admin = api_as(world.user("admin"))
    user = world.user("dist_sales")

    def add(n):
        distributor = DistributorFactory(code=f"rc{n:02d}", territory=world.territory)
        distributor.product_lines.set(lines[: 1 + n % 2])
        client = make_client(distributor=world.own, territory=world.territory)
        make_registration(distributor=world.own, client=client, user=user, product_lines=lines[: 1 + n % 2])

    add(0)
    admin.get(path)  # the whole network's sole-channel index is built again after a change: measured warm
    first, before = _statements(admin, path)
    for n in range(1, 11):
        add(n)
    admin.get(path)
    built = []
    stop = _counting_product_lines(built)
    try:
        body, after = _statements(admin, path)
    finally:
        stop()
    assert built == []  # ids only: no product line object per link (a prefetch built one each)
    assert len(body["items"]) >= len(first["items"]) + 10
    assert len(after) == len(before), after
    reads = _line_reads(after)
    assert len(reads) == 1, reads
    # The link's two keys only: no name, code or timestamps of the lines.
    selected = reads[0].split(" FROM ")[0]
    assert selected.count(",") == 1 and 'l."productline_id"' in selected, selected
    assert '"name"' not in selected and '"created_at"' not in selected
    # Written out once (core.api_rows.related_ids_sql), the one way of every value-row list: the ORM built and
    # compiled it on every page (about 15 % of the registrations list's CPU).
    model = Distributor if "distributors" in path else DealRegistration
    assert reads[0].startswith(related_ids_sql(model, "product_lines").split("{ids}")[0]), reads[0]
    # In the lines' order (by name: Compressors, then Pumps), as the related manager gave them.
    both = [row["product_line_ids"] for row in body["items"] if len(row["product_line_ids"]) == 2]
    assert both and all(ids == [lines[0].pk, lines[1].pk] for ids in both)


def test_a_detail_still_reads_its_product_lines_without_the_list_prefetch(world, api_as):
    body = api_as(world.user("admin")).get(f"/api/v1/distributors/{world.own.pk}").json()
    assert body["product_line_ids"] == [world.product_line.pk]


def test_the_distributors_list_builds_no_record_and_blanks_the_internal_assessment(world, api_as):
    """Scenario (issue 22, wave 13): the distributors list built a Distributor and a User record per row and
    redacted each (a fifth of its Python at full size) for a few plain columns. It now reads value rows
    (network/distributor_rows.py): no record built, the same answer, the manufacturer's internal assessment still
    blank for a distributor's user (as ``core.redaction`` blanks it on records)."""
    from django.contrib.auth import get_user_model
    from django.db.models.signals import post_init

    from keychannel.network.models import Distributor

    manager = world.user("channel_manager")
    manager.first_name, manager.last_name = "Ioana", "Pop"
    manager.save()
    Distributor.objects.filter(pk=world.own.pk).update(channel_manager=manager, stance="resistant",
                                                       shares_goals="yes", shares_methods="no")
    built = []

    def count(sender, **kwargs):
        built.append(sender)

    for model in (Distributor, get_user_model()):
        post_init.connect(count, sender=model, weak=False)
    try:
        ours = api_as(world.user("admin")).get(f"/api/v1/distributors?limit=50&q={world.own.code}").json()
        theirs = api_as(world.user("dist_head")).get("/api/v1/distributors?limit=50").json()
    finally:
        for model in (Distributor, get_user_model()):
            post_init.disconnect(count, sender=model)
    assert [model.__name__ for model in built if model is Distributor] == []
    row = next(item for item in ours["items"] if item["id"] == world.own.pk)
    assert (row["stance"], row["shares_goals"], row["shares_methods"]) == ("resistant", "yes", "no")
    assert row["alignment_quadrant"] == world.own.__class__.objects.get(pk=world.own.pk).alignment_quadrant
    assert row["alignment_quadrant"] == "goals_not_methods"
    assert row["channel_manager"] == {"id": manager.pk, "username": manager.username, "full_name": "Ioana Pop"}
    [own] = theirs["items"]
    assert own["id"] == world.own.pk
    assert (own["stance"], own["shares_goals"], own["shares_methods"], own["alignment_quadrant"]) == (None,) * 4
    assert own["channel_manager"]["full_name"] == "Ioana Pop"


@pytest.mark.parametrize("first,last", [("Ioana", "Pop"), ("", "Pop"), ("Ioana", ""), ("", ""), (" Ana ", "Ene")])
def test_a_value_rows_full_name_is_the_users_own(first, last):
    from django.contrib.auth import get_user_model

    from keychannel.core.scoping import user_full_name

    assert user_full_name(first, last) == get_user_model()(first_name=first, last_name=last).get_full_name()


@pytest.mark.parametrize("who", ["channel_manager", "dist_head", None])
def test_a_value_rows_user_reference_is_what_the_schemas_read_of_the_user(world, who):
    """One way from a user's columns to the API's user reference (``core.api_rows.user_ref``, ``user_refs``), for
    the value-row lists (distributors' channel manager, deals' people), as ``UserRefOut`` / ``UserRef`` answer it
    from the user record."""
    from keychannel.core.api_rows import user_ref, user_refs
    from keychannel.deals.schemas import UserRef
    from keychannel.network.schemas import UserRefOut

    if who is None:
        assert user_ref(None, "", "", "") is None and user_refs(connection, [None]) == {}
        return
    user = world.user(who)
    row = user_ref(user.pk, user.username, user.first_name, user.last_name)
    for schema in (UserRefOut, UserRef):
        assert schema.model_validate(row).model_dump() == schema.from_orm(user).model_dump()
    assert user_refs(connection, [user.pk, None, user.pk]) == {user.pk: row}


def test_the_registrations_list_builds_no_record_and_answers_as_the_detail(world, api_as):
    """Scenario (issue 22, wave 13): the registrations list built a DealRegistration record per row (3.1× a bare /me
    at full size) for plain columns. It now reads value rows (channel/registration_rows.py): no registration nor
    user record built, each row the detail's answer (the status as of today, the failed checks, the lines), and a
    distributor's user still lists its own registrations only."""
    import datetime

    from django.contrib.auth import get_user_model
    from django.db.models.signals import post_init
    from django.utils import timezone

    from keychannel.channel.choices import RegistrationStatus
    from keychannel.channel.models import DealRegistration

    today = timezone.localdate()
    admin, sales = world.user("admin"), world.user("dist_sales")
    lines = [world.product_line, ProductLineFactory(name="Pumps", code="pumps")]
    mine = [
        make_registration(distributor=world.own, client=make_client(distributor=world.own, territory=world.territory),
                          user=sales, product_lines=lines, checks=[{"kind": "warning", "code": "no_tax_id"}]),
        make_registration(distributor=world.own, client=make_client(distributor=world.own, territory=world.territory),
                          user=sales, status=RegistrationStatus.APPROVED, protected_until=today - datetime.timedelta(1),
                          decided_by=admin, decided_at=timezone.now(), decision_reason="ok", product_lines=lines[:1]),
        make_registration(distributor=world.own, client=make_client(distributor=world.own, territory=world.territory),
                          user=sales, status=RegistrationStatus.APPROVED, protected_until=today, decided_by=admin,
                          decided_at=timezone.now(), product_lines=lines[1:]),
    ]
    theirs = make_registration(distributor=world.other, client=make_client(distributor=world.other,
                                                                           territory=world.territory),
                               user=world.other_users["dist_sales"], product_lines=lines[:1])
    built = []

    def count(sender, **kwargs):
        built.append(sender)

    def records(path):
        del built[:]
        for model in (DealRegistration, get_user_model()):
            post_init.connect(count, sender=model, weak=False)
        try:
            bodies = [api_as(user).get(path).json() for user in (admin, world.user("dist_head"))]
        finally:
            for model in (DealRegistration, get_user_model()):
                post_init.disconnect(count, sender=model)
        return bodies, [model.__name__ for model in built]

    _, login = records("/api/v1/me")
    (ours, own), listed = records("/api/v1/registrations?limit=50")
    assert listed == login  # the callers' own users (the login's): no registration nor user record per row
    assert {row["id"] for row in ours["items"]} >= {r.pk for r in mine} | {theirs.pk}
    assert {row["id"] for row in own["items"]} == {r.pk for r in mine}
    statuses = {row["id"]: row["status"] for row in own["items"]}
    assert [statuses[r.pk] for r in mine] == ["pending", "expired", "approved"]
    for user, body in ((admin, ours), (world.user("dist_head"), own)):
        api = api_as(user)
        for row in body["items"]:
            assert row == api.get(f"/api/v1/registrations/{row['id']}").json()


def test_the_registrations_value_rows_page_by_cursor_and_by_change_time(world, api_as):
    """The value rows carry the keys a cursor is made of: the list's order (submitted on, id) and, followed by change
    time (updated_since), the change time's."""
    sales = world.user("dist_sales")
    made = [make_registration(distributor=world.own, client=make_client(distributor=world.own,
                                                                        territory=world.territory), user=sales)
            for _ in range(3)]
    api = api_as(world.user("admin"))
    for query in ("limit=1", "limit=1&updated_since=2000-01-01T00:00:00Z"):
        seen, path = [], f"/api/v1/registrations?{query}"
        while path:
            body = api.get(path).json()
            seen += [row["id"] for row in body["items"]]
            path = body["next_cursor"] and f"/api/v1/registrations?{query}&cursor={body['next_cursor']}"
        assert set(seen) >= {r.pk for r in made} and len(seen) == len(set(seen)), (query, seen)


@pytest.mark.parametrize("query", ["limit=1", "limit=1&sort=-annual_revenue", "limit=1&sort=legal_name",
                                   "limit=1&updated_since=2000-01-01T00:00:00Z"])
def test_the_distributors_value_rows_page_by_cursor_in_every_order(world, api_as, query):
    """Found by the registrations' value rows (wave 13): the distributors' rows lacked ``updated_at``, so
    ``?updated_since=`` answered 500 (KeyError) as soon as a next page's cursor was made from a row. Every order
    the list offers now pages to its end, each distributor once."""
    made = [DistributorFactory(code=f"cur{n}", territory=world.territory) for n in range(3)]
    api = api_as(world.user("admin"))
    seen, path = [], f"/api/v1/distributors?{query}"
    while path:
        response = api.get(path)
        assert response.status_code == 200, response.content
        body = response.json()
        seen += [row["id"] for row in body["items"]]
        path = body["next_cursor"] and f"/api/v1/distributors?{query}&cursor={body['next_cursor']}"
    assert set(seen) >= {d.pk for d in made} and len(seen) == len(set(seen)), seen
