"""Satisfaction from service cases, NPS-style (docs/service.md, "Satisfaction").

A closed case asks the client's contact one question, answered 1–5. We read it the way NPS reads its 0–10 scale:
5 is a **promoter**, 4 a **passive**, 1–3 a **detractor**; the score is % promoters − % detractors (−100 … +100).
A client's class is the class of its latest rating in the period. The client page, the distributor scorecard,
the segments page and the API all read these functions (the health panels through selectors._health).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db.models import Count, Q
from django.utils import timezone

from .models import ServiceCase

PROMOTER_MIN = 5
PASSIVE_MIN = 4
PROMOTER, PASSIVE, DETRACTOR = "promoter", "passive", "detractor"  # the segments' NPS class codes (sales.NpsClass)


def class_of(rating: int | None) -> str | None:
    if rating is None:
        return None
    return PROMOTER if rating >= PROMOTER_MIN else PASSIVE if rating >= PASSIVE_MIN else DETRACTOR


def _rated(principal, *, since=None, year=None, distributor_id=None, client_id=None):
    qs = ServiceCase.objects.visible_to(principal).filter(rating__isnull=False)
    if since is not None:
        qs = qs.filter(rated_at__gte=since)
    if year:
        qs = qs.filter(rated_at__year=year)
    if distributor_id:
        qs = qs.filter(distributor_id=distributor_id)
    if client_id:
        qs = qs.filter(client_id=client_id)
    return qs


def summary(qs) -> dict:
    """NPS-style figures of the rated cases in ``qs``: one aggregate query."""
    figures = qs.aggregate(
        ratings=Count("pk", filter=Q(rating__isnull=False)),
        promoters=Count("pk", filter=Q(rating__gte=PROMOTER_MIN)),
        detractors=Count("pk", filter=Q(rating__lt=PASSIVE_MIN)),
        **{f"r{n}": Count("pk", filter=Q(rating=n)) for n in range(1, 6)},
    )
    total = figures["ratings"]
    histogram = [figures[f"r{n}"] for n in range(1, 6)]
    return {
        "ratings": total,
        "promoters": figures["promoters"],
        "passives": total - figures["promoters"] - figures["detractors"],
        "detractors": figures["detractors"],
        "nps": round((figures["promoters"] - figures["detractors"]) * 100 / total) if total else None,
        "average": (Decimal(sum(n * c for n, c in zip(range(1, 6), histogram, strict=True))) / total).quantize(
            Decimal("0.01")) if total else None,
        "histogram": histogram,
    }


def last_twelve_months(principal, *, distributor_id=None, client_id=None) -> dict:
    """The window of the service-health panels (client page, scorecard)."""
    since = timezone.now() - datetime.timedelta(days=365)
    return summary(_rated(principal, since=since, distributor_id=distributor_id, client_id=client_id))


def for_year(principal, *, year: int, distributor_id=None, client_id=None) -> dict:
    return summary(_rated(principal, year=year, distributor_id=distributor_id, client_id=client_id))


def by_client(principal, *, client_ids, year: int | None = None) -> dict[int, dict]:
    """{client_id: {"rating", "class", "ratings"}}: each client's latest rating (of ``year``) and its class. One query."""
    qs = _rated(principal, year=year).filter(client_id__in=list(client_ids)).order_by("client_id", "-rated_at", "-pk")
    out: dict[int, dict] = {}
    for client_id, rating in qs.values_list("client_id", "rating"):
        entry = out.setdefault(client_id, {"rating": rating, "class": class_of(rating), "ratings": 0})
        entry["ratings"] += 1
    return out


def report(principal, *, year: int | None = None, distributor_id=None, client_id=None) -> dict:
    """The satisfaction view of a year (segments page panel and ``GET /api/v1/service-satisfaction``): the NPS-style
    summary and every rated client's latest rating and class, detractors first. Two queries."""
    year = year or timezone.localdate().year
    qs = _rated(principal, year=year, distributor_id=distributor_id, client_id=client_id)
    latest: dict[int, dict] = {}
    for cid, name, rating in qs.order_by("client_id", "-rated_at", "-pk").values_list(
            "client_id", "client__legal_name", "rating"):
        entry = latest.setdefault(cid, {"client_id": cid, "client_name": name, "rating": rating,
                                        "nps_class": class_of(rating), "ratings": 0})
        entry["ratings"] += 1
    order = {DETRACTOR: 0, PASSIVE: 1, PROMOTER: 2}
    clients = sorted(latest.values(), key=lambda r: (order[r["nps_class"]], r["client_name"], r["client_id"]))
    return {"year": year, "summary": summary(qs), "clients": clients}
