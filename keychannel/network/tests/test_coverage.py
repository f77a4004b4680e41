"""Coverage rules: who may sell where and when, the tree walk, exclusivity, sole channel, the matrix."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from keychannel.network import selectors, services
from keychannel.network.choices import TerritoryLevel
from keychannel.network.models import Coverage
from keychannel.network.tests.factories import DistributorFactory, ProductLineFactory, TerritoryFactory

pytestmark = pytest.mark.django_db

D = date(2026, 6, 1)


@pytest.fixture
def tree():
    country = TerritoryFactory(name="Country", code="c", level=TerritoryLevel.COUNTRY)
    region = TerritoryFactory(name="Region", code="r", level=TerritoryLevel.REGION, parent=country)
    county = TerritoryFactory(name="County", code="k", level=TerritoryLevel.COUNTY, parent=region)
    city = TerritoryFactory(name="City", code="t", level=TerritoryLevel.CITY, parent=county)
    other_county = TerritoryFactory(name="Other county", code="o", level=TerritoryLevel.COUNTY, parent=region)
    return {"country": country, "region": region, "county": county, "city": city, "other_county": other_county}


def _dist(*lines, **kw):
    d = DistributorFactory(**kw)
    d.product_lines.add(*lines)
    return d


def cover(distributor, territory, line, start=date(2026, 1, 1), end=None, exclusive=False):
    return Coverage.objects.create(
        distributor=distributor, territory=territory, product_line=line, valid_from=start, valid_to=end, exclusive=exclusive
    )


def codes(qs):
    return sorted(d.code for d in qs)


def test_coverage_of_a_region_reaches_its_counties_and_cities(tree):
    line = ProductLineFactory()
    a, b = _dist(line, code="a"), _dist(line, code="b")
    cover(a, tree["region"], line)
    cover(b, tree["county"], line)
    assert codes(selectors.eligible_distributors(territory=tree["city"], product_line=line, on_date=D)) == ["a", "b"]
    assert codes(selectors.eligible_distributors(territory=tree["county"], product_line=line, on_date=D)) == ["a", "b"]
    assert codes(selectors.eligible_distributors(territory=tree["other_county"], product_line=line, on_date=D)) == ["a"]
    # Coverage reaches down, never up: a county distributor does not cover the whole region.
    assert codes(selectors.eligible_distributors(territory=tree["region"], product_line=line, on_date=D)) == ["a"]
    assert codes(selectors.eligible_distributors(territory=tree["country"], product_line=line, on_date=D)) == []


def test_dates_bound_coverage_inclusively(tree):
    line = ProductLineFactory()
    a = _dist(line, code="a")
    cover(a, tree["county"], line, start=date(2026, 1, 1), end=date(2026, 3, 31))
    at = lambda d: codes(selectors.eligible_distributors(territory=tree["city"], product_line=line, on_date=d))  # noqa: E731
    assert at(date(2025, 12, 31)) == []
    assert at(date(2026, 1, 1)) == ["a"]
    assert at(date(2026, 3, 31)) == ["a"]
    assert at(date(2026, 4, 1)) == []


def test_product_line_and_inactive_distributors(tree):
    line, other_line = ProductLineFactory(), ProductLineFactory()
    a = _dist(line, other_line, code="a")
    gone = _dist(line, code="z", active=False)
    cover(a, tree["county"], line)
    cover(gone, tree["county"], line)
    assert codes(selectors.eligible_distributors(territory=tree["county"], product_line=line, on_date=D)) == ["a"]
    assert codes(selectors.eligible_distributors(territory=tree["county"], product_line=other_line, on_date=D)) == []


def test_exclusive_rights_shut_out_shared_coverage(tree):
    line = ProductLineFactory()
    a, b = _dist(line, code="a"), _dist(line, code="b")
    cover(a, tree["region"], line)
    cover(b, tree["county"], line, exclusive=True)
    assert codes(selectors.eligible_distributors(territory=tree["city"], product_line=line, on_date=D)) == ["b"]
    assert codes(selectors.eligible_distributors(territory=tree["other_county"], product_line=line, on_date=D)) == ["a"]
    assert selectors.distributor_covers(distributor=a, territory=tree["city"], product_lines=[line], on_date=D) == [line]
    cells = selectors.coverage_cells(on_date=D)
    assert cells[(tree["city"].pk, line.pk)].state == "conflict"


def test_distributor_covers_returns_the_missing_lines(tree):
    covered, uncovered, expired = ProductLineFactory(name="A"), ProductLineFactory(name="B"), ProductLineFactory(name="C")
    a = _dist(covered, uncovered, expired, code="a")
    cover(a, tree["region"], covered)
    cover(a, tree["region"], expired, end=date(2026, 2, 1))
    assert selectors.distributor_covers(distributor=a, territory=tree["city"], product_lines=[covered], on_date=D) == []
    assert selectors.distributor_covers(
        distributor=a, territory=tree["city"], product_lines=[covered, uncovered, expired], on_date=D
    ) == [uncovered, expired]
    # ids work as well as objects, and an empty request is covered
    assert selectors.distributor_covers(
        distributor=a.pk, territory=tree["city"].pk, product_lines=[uncovered.pk], on_date=D
    ) == [uncovered]
    assert selectors.distributor_covers(distributor=a, territory=tree["city"], product_lines=[], on_date=D) == []


def test_sole_channel_cells(tree):
    line, other_line = ProductLineFactory(), ProductLineFactory()
    a, b = _dist(line, other_line, code="a"), _dist(line, code="b")
    cover(a, tree["region"], line)
    cover(a, tree["other_county"], other_line)
    cover(b, tree["county"], line)
    cover(b, tree["other_county"], line, end=date(2026, 2, 1))  # expired: a is alone there again
    sole = selectors.sole_channel_cells(distributor=a, on_date=D)
    # Leaves: city (under county) and other county. In the city b overlaps on `line`.
    assert {(c.territory.code, c.product_line.pk) for c in sole} == {("o", line.pk), ("o", other_line.pk)}
    assert selectors.sole_channel_cells(distributor=b, on_date=D) == []
    assert selectors.sole_channel_distributor_ids(on_date=D) == {a.pk}
    assert {(c.territory.code, c.product_line.pk) for c in selectors.sole_channel_cells(distributor=a, on_date=date(2026, 1, 15))} == {
        ("o", other_line.pk)
    }


def test_sole_channel_cells_are_the_sole_cells_of_the_whole_network_computation(tree):
    """The distributor page works out only the cells under the distributor's own coverage (issue 22): the answer
    is the one the whole network's cells give, for every distributor, over random coverage."""
    import random

    rng = random.Random(22)
    lines = [ProductLineFactory() for _ in range(3)]
    dists = [_dist(*lines, code=f"x{i}") for i in range(5)]
    places = list(tree.values())
    made = set()
    for _ in range(25):
        key = (rng.choice(dists), rng.choice(places), rng.choice(lines), date(2026, rng.randint(1, 8), 1))
        if key not in made:
            made.add(key)
            cover(*key[:3], start=key[3], end=rng.choice([None, date(2026, 9, 1)]), exclusive=rng.random() < 0.3)
    for on_date in (date(2026, 2, 1), D, date(2026, 10, 1)):
        everything = selectors.coverage_cells(on_date=on_date)
        for d in dists:
            expected = sorted((c.territory.pk, c.product_line.pk) for c in everything.values()
                               if c.state == "sole" and c.distributors[0].pk == d.pk)
            got = sorted((c.territory.pk, c.product_line.pk)
                         for c in selectors.sole_channel_cells(distributor=d, on_date=on_date))
            assert got == expected, (d.code, on_date)
            # The distributor page passes the rows it read (every one of the distributor's, any date).
            rows = list(Coverage.objects.filter(distributor=d).select_related("product_line"))
            assert sorted((c.territory.pk, c.product_line.pk) for c in selectors.sole_channel_cells(
                distributor=d, on_date=on_date, own_coverages=rows)) == expected, (d.code, on_date)
            # The API's one-distributor index answers as the whole network's for it and its coverage rows.
            whole, own = (selectors.SoleChannelIndex.build(on_date=on_date),
                          selectors.SoleChannelIndex.build(on_date=on_date, distributor=d))
            assert own.distributor_is_sole(d.pk) == whole.distributor_is_sole(d.pk) == bool(expected)
            for coverage in Coverage.objects.filter(distributor=d):
                assert own.coverage_is_sole(coverage) == whole.coverage_is_sole(coverage), (d.code, coverage.pk)


def test_matrix_marks_gaps_overlaps_and_sole(world, tree):
    line = world.product_line
    cover(world.own, tree["region"], line)
    cover(world.other, tree["county"], line)
    matrix = selectors.coverage_matrix(principal=world.principal("admin"), on_date=D)
    states = {(row["territory"].code, cell.product_line.pk): cell.state for row in matrix["rows"] for cell in row["cells"]}
    assert states[("t", line.pk)] == "overlap"
    assert states[("o", line.pk)] == "sole"
    assert states[("cluj", line.pk)] == "gap"


def test_service_validates_and_changes_nothing_on_bad_input(world, tree):
    from django.core.exceptions import PermissionDenied, ValidationError

    admin = world.principal("admin")
    stranger = ProductLineFactory()
    with pytest.raises(ValidationError):
        services.coverage_create(principal=admin, distributor=world.own, territory=tree["county"], product_line=stranger,
                                 valid_from=D)
    with pytest.raises(ValidationError):
        services.coverage_create(principal=admin, distributor=world.own, territory=tree["county"],
                                 product_line=world.product_line, valid_from=D, valid_to=date(2026, 1, 1))
    services.coverage_create(principal=admin, distributor=world.own, territory=tree["county"],
                             product_line=world.product_line, valid_from=D, exclusive=True)
    with pytest.raises(ValidationError):
        services.coverage_create(principal=admin, distributor=world.other, territory=tree["county"],
                                 product_line=world.product_line, valid_from=D)
    with pytest.raises(PermissionDenied):
        services.coverage_create(principal=world.principal("channel_manager"), distributor=world.own,
                                 territory=tree["city"], product_line=world.product_line, valid_from=D)
    assert Coverage.objects.count() == 1


def test_api_create_validation_and_eligible(world, api_as, tree):
    client = api_as(world.user("program_manager"))
    body = {"distributor_id": world.own.pk, "territory_id": tree["region"].pk, "product_line_id": world.product_line.pk,
            "valid_from": "2026-01-01", "valid_to": "2025-01-01"}
    assert client.post("/api/v1/coverage", body, content_type="application/json").status_code == 422
    assert client.post("/api/v1/coverage", {**body, "territory_id": 999999, "valid_to": None},
                       content_type="application/json").status_code == 422
    assert Coverage.objects.count() == 0
    created = client.post("/api/v1/coverage", {**body, "valid_to": None}, content_type="application/json")
    assert created.status_code == 201
    cov_id = created.json()["id"]
    assert client.patch(f"/api/v1/coverage/{cov_id}", {"valid_from": None}, content_type="application/json").status_code == 422
    url = f"/api/v1/coverage/eligible?territory_id={tree['city'].pk}&product_line_id={world.product_line.pk}&on_date=2026-06-01"
    answer = client.get(url).json()
    assert [d["code"] for d in answer["distributors"]] == ["da"]
    listed = client.get(f"/api/v1/coverage?distributor_id={world.other.pk}").json()
    assert listed["count"] == 0
    head = api_as(world.user("dist_head")).get("/api/v1/coverage").json()
    assert [c["distributor_id"] for c in head["items"]] == [world.own.pk]


def test_matrix_and_coverage_list_query_counts_do_not_grow(world, login, api_as, tree):
    admin_page = login(world.user("admin"))
    api = api_as(world.user("admin"))
    api.get("/api/v1/me")

    def count(fn):
        with CaptureQueriesContext(connection) as ctx:
            assert fn().status_code == 200
        return len(ctx.captured_queries)

    def measure():
        return (
            count(lambda: admin_page.get(reverse("network:coverage_matrix"))),
            count(lambda: api.get("/api/v1/coverage")),
            count(lambda: admin_page.get(reverse("network:distributor_detail", args=[world.own.pk]))),
        )

    cover(world.own, tree["county"], world.product_line)
    small = measure()
    for n in range(15):
        county = TerritoryFactory(parent=tree["region"])
        line = ProductLineFactory()
        d = _dist(line, world.product_line)
        cover(d, county, line)
        cover(world.own, county, world.product_line, start=date(2026, 1, 1 + n))
    assert measure() == small


def test_quadrant_chart_data_and_filters(world, login, tree):
    import json

    world.other.shares_goals = world.other.shares_methods = "no"
    world.other.stance = "resistant"
    world.other.save()
    cover(world.own, tree["county"], world.product_line, start=date(2020, 1, 1))
    client = login(world.user("executive"))
    page = client.get(reverse("network:distributor_quadrant"))
    data = json.loads(page.content.decode().split('id="quadrant-data" type="application/json">')[1].split("</script>")[0])
    points = {p["code"]: p for p in data["points"]}
    assert set(points) == {"da", "db"}
    assert points["da"]["sole_channel"] is True and points["db"]["sole_channel"] is False
    assert points["db"]["x"] < 0.5 and points["db"]["y"] < 0.5  # "neither" sits bottom-left
    assert points["da"]["url"] == world.own.get_absolute_url()
    filtered = client.get(reverse("network:distributor_quadrant") + "?stance=resistant")
    assert filtered.context["chart"]["points"][0]["code"] == "db" and len(filtered.context["chart"]["points"]) == 1


def test_playbook_follows_quadrant_and_sole_channel(world, login, tree):
    world.own.shares_goals = world.own.shares_methods = "no"
    world.own.save()
    admin = login(world.user("admin"))
    page = admin.get(reverse("network:distributor_detail", args=[world.own.pk]))
    assert page.context["playbook"].quadrant == "neither" and not page.context["playbook"].sole_channel
    cover(world.own, tree["county"], world.product_line, start=date(2020, 1, 1))
    page = admin.get(reverse("network:distributor_detail", args=[world.own.pk]))
    assert page.context["playbook"].sole_channel and page.context["sole_cells"]
    head = login(world.user("dist_head")).get(reverse("network:distributor_detail", args=[world.own.pk]))
    assert b'id="playbook"' not in head.content


def test_playbook_edit_by_program_manager_only(world, login):
    from keychannel.network.models import Playbook

    playbook = Playbook.objects.get(quadrant="partner", sole_channel=False)
    url = reverse("network:playbook_update", args=[playbook.pk])
    assert login(world.user("channel_manager")).post(url, {"title": "x", "approach": "y"}).status_code == 403
    client = login(world.user("program_manager"))
    assert client.post(url, {"title": "", "approach": "y"}).status_code == 422  # form error, nothing saved
    assert client.post(url, {"title": "Lead with partners", "approach": "First leads go to them.", "actions": "a\nb"}).status_code == 302
    playbook.refresh_from_db()
    assert playbook.title == "Lead with partners" and playbook.action_list == ["a", "b"]
    assert playbook.history.first().title == "Lead with partners"  # audited


def test_the_distributor_page_works_out_its_sole_cells_from_the_coverage_rows_it_shows(world, login, tree):
    """Issue 22: the distributor page read the distributor's coverage rows again, and its product lines, to work out
    where it is the only channel, and every other coverage row with its distributor's thirty columns. Now from the
    rows it shows, two statements fewer, the other rows with their distributor's code only; an inactive product
    line or distributor is sole nowhere, as before."""
    line, retired = ProductLineFactory(), ProductLineFactory(active=False)
    world.own.product_lines.add(line, retired)
    cover(world.own, tree["other_county"], line)
    cover(world.own, tree["other_county"], retired)
    cover(world.other, tree["county"], line)
    page = login(world.user("dist_head"))
    url = reverse("network:distributor_detail", args=[world.own.pk])
    page.get(url)
    with CaptureQueriesContext(connection) as ctx:
        answer = page.get(url)
    assert [(c.territory.code, c.product_line.pk) for c in answer.context["sole_cells"]] == [("o", line.pk)]
    coverage_reads = [q["sql"] for q in ctx.captured_queries if 'FROM "network_coverage"' in q["sql"]]
    assert len(coverage_reads) == 2  # the page's rows, then the other distributors' rows of the same lines
    assert '"network_distributor"."legal_name"' not in coverage_reads[1]
    assert not any('FROM "network_productline"' in q["sql"] and "network_distributor_product_lines" not in q["sql"]
                   for q in ctx.captured_queries)  # only the profile's lines, no second read for the cells
    world.own.active = False
    world.own.save()
    assert login(world.user("admin")).get(url).context["sole_cells"] == []
