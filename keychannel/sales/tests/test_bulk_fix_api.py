"""The bulk fix through the API, on the import job (docs/api.md): the problems grouped by reason, the clients
created and the codes mapped in bulk, the re-run as a new job; and POST /sales-reports answers as deprecated."""

import io
import json

import pytest
from django.urls import reverse

from keychannel.clients.models import CorporateClient
from keychannel.core import ratelimit
from keychannel.sales.models import ImportJob
from keychannel.sales.tests.factories import SAMPLES, sample

pytestmark = pytest.mark.django_db


def _upload(api, name="cp1250", url="/api/v1/sales-imports"):
    upload = io.BytesIO(sample(name))
    upload.name = SAMPLES[name]
    return api.post(url, {"file": upload})


def _post(api, url, body):
    return api.post(url, json.dumps(body), content_type="application/json")


def test_an_api_caller_fixes_a_first_file_in_four_calls(world, api_as):
    head = api_as(world.user("dist_head"))
    job = _upload(head).json()
    assert job["status"] == "done" and job["report"]["status"] == "rejected" and job["report"]["error_count"] >= 300
    base = f"/api/v1/sales-imports/{job['id']}"
    problems = head.get(f"{base}/problems").json()
    assert {g["reason"] for g in problems["groups"]} == {"unknown_client", "unknown_product"}
    assert sum(g["count"] for g in problems["groups"]) == problems["error_count"] and problems["file_kept"]
    # The other distributor sees nothing of it.
    assert api_as(world.other_users["dist_head"]).get(f"{base}/problems").status_code == 404
    created = _post(head, f"{base}/clients", {"clients": [{"key": c["key"]} for c in problems["clients"]]})
    assert created.status_code == 201 and len(created.json()["created"]) == len(problems["clients"])
    mapped = _post(head, f"{base}/product-mappings", {"products": [
        {"code": p["code"], "product_line_id": p["product_line_id"] or world.product_line.pk}
        for p in problems["products"]]})
    assert mapped.status_code == 200 and mapped.json() == {"mapped": len(problems["products"])}
    rerun = _post(head, f"{base}/rerun", {})
    assert rerun.status_code == 202
    again = rerun.json()
    assert again["id"] != job["id"] and again["report_id"] == job["report_id"]
    assert again["status"] == "done" and again["report"]["status"] == "applied"
    assert again["report"]["line_count"] == again["report"]["row_count"] == 240
    # Nothing is left to fix: a second re-run is refused.
    assert _post(head, f"{base}/rerun", {}).status_code == 409


def test_bad_items_change_nothing_and_say_which(world, api_as):
    head = api_as(world.user("dist_head"))
    job = _upload(head).json()
    base = f"/api/v1/sales-imports/{job['id']}"
    theirs = CorporateClient.objects.create(legal_name="Secret Other Client SRL", tax_id="", distributor=world.other)
    problems = head.get(f"{base}/problems").json()
    key = problems["clients"][0]["key"]
    answer = _post(head, f"{base}/client-mappings", {"clients": [{"key": key, "client_id": theirs.pk}]})
    assert answer.status_code == 422 and answer.json()["detail"][0]["loc"] == ["body", f"clients.{key}"]
    assert "Secret" not in answer.content.decode()
    answer = _post(head, f"{base}/product-mappings", {"products": [{"code": "NOPE", "product_line_id": 1}]})
    assert answer.status_code == 422
    # A salesperson reads but may not fix.
    sales = api_as(world.user("dist_sales"))
    assert sales.get(f"{base}/problems").status_code == 200
    assert _post(sales, f"{base}/rerun", {}).status_code == 403


def test_bulk_creation_counts_against_the_duplicate_check_limit(world, api_as, settings, monkeypatch):
    monkeypatch.setattr(ratelimit, "_now", lambda: 1_800_000_020.0)
    settings.KEYCHANNEL_DUPLICATE_CHECK_RATE_LIMIT = "1/m"
    head = api_as(world.user("dist_head"))
    job = _upload(head).json()
    base = f"/api/v1/sales-imports/{job['id']}"
    assert _post(head, f"{base}/clients", {"clients": [{"key": "nope"}]}).status_code == 422
    assert _post(head, f"{base}/clients", {"clients": [{"key": "nope"}]}).status_code == 429


def test_sales_reports_still_works_and_says_it_is_deprecated(world, api_as):
    head = api_as(world.user("dist_head"))
    answer = _upload(head, url="/api/v1/sales-reports")
    assert answer.status_code == 422 and answer.json()["report"]["status"] == "rejected"
    assert answer["Deprecation"].startswith("@") and 'rel="successor-version"' in answer["Link"]
    assert "/api/v1/sales-imports" in answer["Link"]
    schema = head.get("/api/v1/openapi.json").json()
    assert schema["paths"]["/api/v1/sales-reports"]["post"]["deprecated"] is True
    assert not ImportJob.objects.exists()


def test_the_page_fixes_everything_in_one_submit(world, login):
    page = login(world.user("dist_head"))
    upload = io.BytesIO(sample("utf8bom"))
    upload.name = SAMPLES["utf8bom"]
    page.post(reverse("sales:report_upload"), {"distributor": world.own.pk, "file": upload})
    report = ImportJob.objects.get().report
    shown = page.get(report.get_absolute_url())
    assert b'id="problem-groups"' in shown.content and b'id="bulk-fix"' in shown.content
    form = {}
    for index, entry in enumerate(report.unmatched_clients):
        form[f"c{index}-key"], form[f"c{index}"] = entry["key"], "create"
    for index, entry in enumerate(report.unknown_products):
        form[f"p{index}-code"], form[f"p{index}"] = entry["code"], ""
    form["all_products"] = str(world.product_line.pk)
    done = page.post(reverse("sales:report_fix", args=[report.pk]), form)
    report.refresh_from_db()
    assert done.status_code == 302 and done["Location"] == report.get_absolute_url()
    assert report.status == "applied" and report.line_count == 180


def test_a_confirmed_look_alike_created_in_bulk_is_watched(world, api_as, login):
    """Clients created in bulk go through the clients service: a look-alike served elsewhere is refused unless
    confirmed, never named, and once confirmed the channel manager gets a possible-duplicate case (API and page)."""
    from keychannel.channel.choices import ConflictKind
    from keychannel.channel.models import Conflict

    head = api_as(world.user("dist_head"))
    job = _upload(head).json()
    base = f"/api/v1/sales-imports/{job['id']}"
    first, second = head.get(f"{base}/problems").json()["clients"][:2]
    for entry in (first, second):
        CorporateClient.objects.create(legal_name=entry["name"], tax_id="", distributor=world.other)
    refused = _post(head, f"{base}/clients", {"clients": [{"key": first["key"]}]})
    assert refused.status_code == 422 and first["name"] not in refused.content.decode()
    created = _post(head, f"{base}/clients", {"clients": [{"key": first["key"], "confirm_not_duplicate": True}]})
    assert created.status_code == 201
    assert Conflict.objects.filter(kind=ConflictKind.POSSIBLE_DUPLICATE, client_id=created.json()["created"][0]["id"]).exists()
    # The page's one form: "create it, not a duplicate" for the second.
    report = ImportJob.objects.get(pk=job["id"]).report
    index = next(i for i, e in enumerate(report.unmatched_clients) if e["key"] == second["key"])
    page = login(world.user("dist_head"))
    answer = page.post(reverse("sales:report_fix", args=[report.pk]),
                       {f"c{index}-key": second["key"], f"c{index}": "confirm"})
    assert answer.status_code == 302
    made = CorporateClient.objects.get(distributor=world.own, tax_id=second["tax_id"])
    assert Conflict.objects.filter(kind=ConflictKind.POSSIBLE_DUPLICATE, client=made).exists()
