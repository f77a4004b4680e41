"""Issue 18.7, import without the click marathon: a distributor head's first real file names clients and product
codes the book does not know. The problems are grouped by reason; the unmatched clients are created (through the
clients service's duplicate check) or mapped in bulk, the codes mapped in bulk, and the report re-runs as a job,
whole or not at all (docs/sales.md, "Fixing a rejected file in bulk")."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from keychannel.channel.choices import ConflictKind
from keychannel.channel.models import Conflict
from keychannel.clients.models import CorporateClient
from keychannel.core.errors import ConflictError
from keychannel.jobs.choices import JobStatus
from keychannel.sales import fixes, imports, selectors, services
from keychannel.sales.choices import ErrorReason, ReportStatus
from keychannel.sales.models import ClientMapping, ImportJob, ProductMapping, SalesLine
from keychannel.sales.tests.factories import SAMPLES, sample

pytestmark = pytest.mark.django_db


def _first_import(world, name="utf8bom", role="dist_head"):
    return services.report_import(principal=world.principal(role), distributor=world.own, data=sample(name),
                                  file_name=SAMPLES[name])


def _fix_everything(world, report, role="dist_head"):
    plan = selectors.report_fix_plan(principal=world.principal(role), report=report)
    return fixes.report_fix(
        principal=world.principal(role), report=report,
        create=[{"key": c["key"]} for c in plan["clients"] if c["action"] == "create"],
        map_clients=[{"key": c["key"], "client": int(c["action"][4:])} for c in plan["clients"] if c["action"] != "create"],
        map_products=[{"code": p["code"], "product_line": world.product_line.pk} for p in plan["products"]])


def test_a_first_real_file_has_hundreds_of_row_problems_and_a_handful_of_causes(world):
    report = _first_import(world)
    assert report.status == ReportStatus.REJECTED and report.error_count >= 300
    groups = selectors.report_problems(report)
    assert {g["reason"] for g in groups} == {ErrorReason.UNKNOWN_CLIENT, ErrorReason.UNKNOWN_PRODUCT}
    assert sum(g["count"] for g in groups) == report.error_count
    by_reason = {g["reason"]: g for g in groups}
    codes = {v["value"] for v in by_reason[ErrorReason.UNKNOWN_PRODUCT]["values"]}
    assert codes == {"SNS-12", "CTL-7", "FLT-3", "VLV-25", "PMP-100"} and by_reason[ErrorReason.UNKNOWN_PRODUCT]["value_total"] == len(codes)
    clients = by_reason[ErrorReason.UNKNOWN_CLIENT]
    assert clients["value_total"] == len(report.unmatched_clients) < 60
    assert sum(v["count"] for v in clients["values"]) == clients["count"]


def test_create_the_clients_map_the_codes_and_the_rerun_applies_the_whole_file(world):
    report = _first_import(world)
    codes = {p["code"] for p in report.unknown_products}
    given = {(e["tax_id"], e["name"]) for e in report.unmatched_clients}
    counts = _fix_everything(world, report)
    assert counts["created"] == len(report.unmatched_clients) and counts["products"] == len(report.unknown_products)
    made = CorporateClient.objects.filter(distributor=world.own)
    assert made.count() == counts["created"] and set(made.values_list("status", flat=True)) == {"active"}
    assert set(made.values_list("tax_id", "legal_name")) == given  # name and tax id as the file gives them
    job = imports.import_job_rerun(principal=world.principal("dist_head"), report=report)
    job.refresh_from_db()
    report.refresh_from_db()
    assert job.status == JobStatus.DONE and job.report_id == report.pk and job.uploaded_by == world.user("dist_head")
    assert report.status == ReportStatus.APPLIED and report.line_count == report.row_count == 180
    # The codes are remembered for the distributor: the next month's file matches them (its own new clients aside).
    nxt = _first_import(world, "cp1250")
    assert not nxt.unknown_products
    assert set(ProductMapping.objects.filter(distributor=world.own).values_list("product_code", flat=True)) == codes


def test_a_look_alike_in_reach_is_suggested_and_mapped_in_bulk(world):
    report = _first_import(world)
    entry = report.unmatched_clients[0]
    mine = CorporateClient.objects.create(legal_name=entry["name"] + " Grup", tax_id="", distributor=world.own)
    plan = selectors.report_fix_plan(principal=world.principal("dist_head"), report=report)
    planned = next(c for c in plan["clients"] if c["key"] == entry["key"])
    assert planned["action"] == f"map:{mine.pk}" and planned["suggestions"] == [mine]
    _fix_everything(world, report)
    assert ClientMapping.objects.get(distributor=world.own, source_key=entry["key"]).client == mine
    imports.import_job_rerun(principal=world.principal("dist_head"), report=report)
    report.refresh_from_db()
    assert report.status == ReportStatus.APPLIED
    assert SalesLine.objects.filter(report=report, client=mine).count() == entry["row_total"]


def test_a_look_alike_served_elsewhere_refuses_the_whole_batch_without_naming_it(world):
    report = _first_import(world)
    entry = report.unmatched_clients[0]
    theirs = CorporateClient.objects.create(legal_name=entry["name"], tax_id="", distributor=world.other)
    before = CorporateClient.objects.count()
    items = [{"key": c["key"]} for c in report.unmatched_clients]
    with pytest.raises(ValidationError) as refused:
        fixes.report_clients_create(principal=world.principal("dist_head"), report=report, items=items)
    text = " ".join(refused.value.messages)
    assert theirs.legal_name not in text and world.other.code not in text.lower().split()
    assert "served in the network" in text
    assert list(refused.value.message_dict) == [f"clients.{entry['key']}"]
    assert CorporateClient.objects.count() == before  # all or none
    # Confirmed as another company: created, and watched like any confirmed look-alike (clients service).
    items[0]["confirm_not_duplicate"] = True
    created = fixes.report_clients_create(principal=world.principal("dist_head"), report=report, items=items)
    assert len(created) == len(items)
    assert Conflict.objects.filter(kind=ConflictKind.POSSIBLE_DUPLICATE, client=created[0]).exists()


def test_only_who_may_map_fixes_and_only_a_rejected_report_reruns(world):
    report = _first_import(world)
    with pytest.raises(PermissionDenied):
        fixes.report_products_map(principal=world.principal("dist_sales"), report=report,
                                  items=[{"code": "SNS-12", "product_line": world.product_line.pk}])
    with pytest.raises(ValidationError):  # a code not in the report, and nothing mapped
        fixes.report_products_map(principal=world.principal("dist_head"), report=report,
                                  items=[{"code": "SNS-12", "product_line": world.product_line.pk},
                                         {"code": "NOT-IN-FILE", "product_line": world.product_line.pk}])
    assert not ProductMapping.objects.exists()
    with pytest.raises(PermissionDenied):
        imports.import_job_rerun(principal=world.principal("dist_sales"), report=report)
    _fix_everything(world, report)
    imports.import_job_rerun(principal=world.principal("dist_head"), report=report)
    with pytest.raises(ConflictError):
        imports.import_job_rerun(principal=world.principal("dist_head"), report=report)


def test_one_rerun_at_a_time(world, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.TASKS_BACKEND = "database"
    report = _first_import(world)
    _fix_everything(world, report)
    job = imports.import_job_rerun(principal=world.principal("dist_head"), report=report)
    assert job.status == JobStatus.QUEUED
    with pytest.raises(ConflictError):
        imports.import_job_rerun(principal=world.principal("dist_head"), report=report)
    assert imports.import_job_run(job.pk) == "done"
    assert ImportJob.objects.get(pk=job.pk).report.status == ReportStatus.APPLIED
