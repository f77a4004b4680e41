"""The set-based segment recompute against a plain Python reference, on random lines, on both databases.

The reference below is deliberately naive (one loop per client, Decimal arithmetic) and written from the
rules in docs/sales.md, so a mistake in the SQL of segmentation.py shows up as a field that differs.
"""

import random
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.utils import timezone

from keychannel.clients.models import CorporateClient
from keychannel.sales import segmentation, services
from keychannel.sales.choices import ReportStatus
from keychannel.sales.models import (
    ClientSegment,
    SalesLine,
    SalesReport,
    Survey,
    SurveyInvitation,
    SurveyResponse,
    nps_class_of,
)

pytestmark = pytest.mark.django_db

FOUR = Decimal("0.0001")


def _q(value: Decimal, places: Decimal) -> Decimal:
    return value.quantize(places, rounding=ROUND_HALF_UP)


def reference(lines, clients, nps, distributor_id, year):
    """What every segment of one distributor and year must hold, computed the slow, obvious way."""
    this = [ln for ln in lines if ln["distributor_id"] == distributor_id and ln["date"].year == year]
    if not this:
        return {}
    last_year = [ln for ln in lines if ln["distributor_id"] == distributor_id and ln["date"].year == year - 1]
    as_of = max(ln["date"] for ln in this)
    months_covered = len({ln["date"].month for ln in this})
    cutoff_month = as_of.month
    ids = {ln["client_id"] for ln in this} | {ln["client_id"] for ln in last_year}
    volume = {c: sum((ln["amount"] for ln in this if ln["client_id"] == c), Decimal(0)) for c in ids}
    total = sum(volume.values(), Decimal(0))
    ranked = sorted(ids, key=lambda c: (-volume[c], c))
    out, cumulative = {}, Decimal(0)
    for client_id in ranked:
        mine = [ln for ln in this if ln["client_id"] == client_id]
        before_mine = [ln for ln in last_year if ln["client_id"] == client_id]
        v = volume[client_id]
        before = cumulative
        cumulative += v
        abc = "A" if v and before < Decimal("0.80") * total else "B" if v and before < Decimal("0.95") * total else "C"
        potential, is_key = clients[client_id]
        share = _q(v * 12 / months_covered / potential, FOUR) if potential else None
        previous = sum((ln["amount"] for ln in before_mine if ln["date"].month <= cutoff_month), Decimal(0))
        trend = _q((v - previous) / previous, FOUR) if previous else None
        last = max(ln["date"] for ln in mine) if mine else max(ln["date"] for ln in before_mine)
        recency = (as_of - last).days
        score = nps.get(client_id)
        nps_class = nps_class_of(score)
        small = bool(is_key and share is not None and share < services.SMALL_BATCH_SHARE)
        if v == 0 or recency > services.DORMANT_DAYS:
            label = "dormant"
        elif (trend is not None and trend <= services.AT_RISK_TREND) or nps_class == "detractor":
            label = "at_risk"
        elif small:
            label = "grow"
        elif abc == "A" and (is_key or (share is not None and share >= services.STRATEGIC_SHARE)):
            label = "strategic"
        else:
            label = "maintain"
        out[client_id] = {
            "volume": v, "quantity": sum((ln["quantity"] for ln in mine), Decimal(0)), "previous_volume": previous,
            "trend": trend, "months_active": len({ln["date"].month for ln in mine}), "months_covered": months_covered,
            "last_purchase": last, "recency_days": recency, "share_of_potential": share, "small_batches": small,
            "abc_class": abc, "nps_class": nps_class, "recommend": score, "label": label,
        }
    return out


def stored(distributor_ids, years):
    fields = ["volume", "quantity", "previous_volume", "trend", "months_active", "months_covered", "last_purchase",
              "recency_days", "share_of_potential", "small_batches", "abc_class", "nps_class", "recommend", "label"]
    out = {}
    for segment in ClientSegment.objects.filter(distributor_id__in=distributor_ids, year__in=years):
        values = {f: getattr(segment, f) for f in fields}
        for name in ("trend", "share_of_potential"):
            if values[name] is not None:
                values[name] = _q(Decimal(values[name]), FOUR)
        out[(segment.distributor_id, segment.client_id, segment.year)] = values
    return out


def expected(lines, clients, nps, distributor_ids, years):
    out = {}
    for distributor_id in distributor_ids:
        for year in years:
            for client_id, values in reference(lines, clients, nps, distributor_id, year).items():
                out[(distributor_id, client_id, year)] = values
    return out


def _insert(lines, reports):
    SalesLine.objects.bulk_create([
        SalesLine(report=reports[(ln["distributor_id"], ln["date"].year, ln["date"].month)], **ln, currency="RON",
                  row=n + 2) for n, ln in enumerate(lines)])


@pytest.mark.parametrize("read_by_index", [True, False], ids=["few-distributors", "one-scan"])
def test_set_based_recompute_matches_the_reference(world, monkeypatch, read_by_index):
    monkeypatch.setattr(segmentation, "FEW_DISTRIBUTORS", 50 if read_by_index else 0)
    rng = random.Random(20261201)
    distributors = [world.own, world.other]
    clients = {}
    for d in distributors:
        for n in range(14):
            potential = Decimal(rng.choice([0, 5_000, 60_000, 400_000, 2_000_000]))
            client = CorporateClient.objects.create(
                legal_name=f"Seg {d.code} {n} SRL", distributor=d, potential_annual_volume=potential,
                is_key_account=n % 3 == 0, status="active")
            clients[client.pk] = (potential, client.is_key_account)
    by_distributor = {d.pk: [c.pk for c in CorporateClient.objects.filter(distributor=d, legal_name__startswith="Seg")]
                      for d in distributors}
    reports = {}
    for d in distributors:
        for year in (2025, 2026):
            for month in range(1, 13):
                reports[(d.pk, year, month)] = SalesReport.objects.create(
                    distributor=d, period=date(year, month, 1), file_name="x.csv", file_hash=f"{d.pk}-{year}-{month}",
                    content=b"", status=ReportStatus.APPLIED)
    lines = []
    for d in distributors:
        # The last year stops in October, so "the same months last year" is a real cut-off.
        for _n in range(220):
            year = rng.choice([2025, 2026])
            month = rng.randint(1, 10 if year == 2026 else 12)
            client_id = rng.choice(by_distributor[d.pk][: 10 if year == 2026 else 14])  # 4 clients stop buying
            lines.append({"distributor_id": d.pk, "client_id": client_id, "product_line_id": world.product_line.pk,
                          "date": date(year, month, rng.randint(1, 28)),
                          "quantity": Decimal(rng.randint(1, 40)),
                          "amount": Decimal(rng.randint(100, 900_000)) / 100})
    _insert(lines, reports)
    survey = Survey.objects.create(name="NPS", closes_on=timezone.localdate() + timedelta(days=30))
    nps = {}
    for n, client_id in enumerate(list(clients)[::4]):
        for score in (rng.randint(0, 10), rng.randint(0, 10)):  # the latest answer counts
            invitation = SurveyInvitation.objects.create(
                survey=survey, client_id=client_id, contact_name="C", token_hash=f"{n}-{score}-{rng.random()}",
                expires_at=timezone.now() + timedelta(days=30))
            SurveyResponse.objects.create(invitation=invitation, survey=survey, client_id=client_id,
                                          why_chose="quality", will_continue="yes", recommend=score)
            nps[client_id] = score
    ids, years = [d.pk for d in distributors], [2025, 2026, 2027]

    written = services.segments_refresh(distributor_ids=ids, years=None)
    want = expected(lines, clients, nps, ids, years)
    assert stored(ids, years) == want
    assert written == len(want) and written > 40
    assert {s.history.count() for s in ClientSegment.objects.all()} == {1}

    # Nothing changed: nothing written, no history.
    assert services.segments_refresh(distributor_ids=ids, years=None) == 0

    # One client stops buying altogether, another buys more: only their distributor-years move.
    gone = by_distributor[world.own.pk][1]
    more = by_distributor[world.other.pk][2]
    SalesLine.objects.filter(client_id=gone).delete()
    lines = [ln for ln in lines if ln["client_id"] != gone]
    extra = {"distributor_id": world.other.pk, "client_id": more, "product_line_id": world.product_line.pk,
             "date": date(2026, 10, 3), "quantity": Decimal(5), "amount": Decimal("123456.78")}
    _insert([extra], reports)
    lines.append(extra)
    before = ClientSegment.history.count()
    dropped = ClientSegment.objects.filter(client_id=gone).count()
    written = services.segments_refresh(distributor_ids=ids, years=[2025])  # 2025 and the year after
    assert stored(ids, years) == expected(lines, clients, nps, ids, years)
    assert dropped and not ClientSegment.objects.filter(client_id=gone).exists()
    assert ClientSegment.history.filter(client_id=gone, history_type="-").count() == dropped
    assert ClientSegment.history.count() - before == written + dropped  # one row per write and per deletion
    assert ClientSegment.history.filter(client_id=more, year=2026, history_type="~").exists()


def test_a_year_without_sales_loses_its_segments(world):
    client = CorporateClient.objects.create(legal_name="Lonely SRL", distributor=world.own, status="active")
    report = SalesReport.objects.create(distributor=world.own, period=date(2026, 3, 1), file_name="x.csv",
                                        file_hash="lonely", content=b"", status=ReportStatus.APPLIED)
    SalesLine.objects.create(report=report, distributor=world.own, client=client,
                             product_line=world.product_line, date=date(2026, 3, 9), quantity=1,
                             amount=Decimal("10.00"), currency="RON", row=2)
    assert services.segments_refresh(distributor_ids=[world.own.pk], years=[2026]) == 1
    segment = ClientSegment.objects.get(client=client)
    assert (segment.volume, segment.months_covered, segment.abc_class, segment.label) == (
        Decimal("10.00"), 1, "A", "maintain")
    SalesLine.objects.filter(report=report).delete()
    assert services.segments_refresh(distributor_ids=[world.own.pk], years=[2026]) == 0
    assert not ClientSegment.objects.filter(client=client).exists()
    assert ClientSegment.history.filter(client_id=client.pk, history_type="-").count() == 1
