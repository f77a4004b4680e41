"""A distributor's sell-out file names a client another distributor serves (issue 22, the import isolation gap).

Clients are served by one distributor each (DESIGN.md §2: a distributor sees only its own clients; tax id and
client code are unique in the network). A sales line belongs to the report's distributor and shows its client's
name to that distributor's people, so the import matches a row only to a client *the report's distributor
serves*: a tax id or code of a client served elsewhere (or direct) is an unknown client like any other, the
report is rejected whole, and nothing of the other client (name, id) is shown: not on the page, the API, the
job, or as a suggestion to map to. Every path ends in ``services._process``; each is replayed here.
"""

import io
import json

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from keychannel.clients.models import CorporateClient
from keychannel.sales import fixes, imports, selectors, services
from keychannel.sales.choices import ReportStatus
from keychannel.sales.models import (
    ClientMapping,
    ClientSegment,
    ImportJob,
    ProductMapping,
    SalesLine,
    SalesReport,
)
from keychannel.sales.tests.factories import csv_file

pytestmark = pytest.mark.django_db

THEIR_TAX_ID = "49668380"
SECRET = "Secretissimo Beta Client"
ROW = ("02.10.2026", THEIR_TAX_ID, "Univers din fișier", "SNS-12", "3", "1500")


@pytest.fixture
def theirs(world):
    """A client only the other distributor serves, and our distributor's product code mapped."""
    ProductMapping.objects.create(distributor=world.own, product_code="SNS-12", product_line=world.product_line)
    return CorporateClient.objects.create(legal_name=SECRET, tax_id=THEIR_TAX_ID, code="BETA-77",
                                          distributor=world.other, status="active")


def _named(data, name="oct.csv"):
    upload = io.BytesIO(data)
    upload.name = name
    return upload


def _nothing_linked(world, theirs):
    assert not SalesLine.objects.filter(client=theirs).exists()
    assert not SalesLine.objects.filter(distributor=world.own).exists()
    assert not ClientSegment.objects.filter(client=theirs).exists()


def _unknown(report):
    assert report.status == ReportStatus.REJECTED
    assert {e["reason"] for e in report.errors} == {"unknown_client"}
    assert [u["tax_id"] for u in report.unmatched_clients] == [THEIR_TAX_ID]


def test_the_service_does_not_match_a_client_served_elsewhere(world, theirs):
    for role in ("dist_head", "admin", "channel_manager"):  # the report's distributor decides, not the uploader's reach
        report = services.report_import(principal=world.principal(role), distributor=world.own,
                                        data=csv_file([ROW]), file_name=f"{role}.csv")
        _unknown(report)
        _nothing_linked(world, theirs)
        assert SECRET not in json.dumps([report.errors, report.unmatched_clients, report.message])
    # By client code too (codes are unique in the network like tax ids).
    by_code = csv_file([("02.10.2026", "", "BETA-77", "SNS-12", "3", "1500")],
                       header=("Data factură", "CUI client", "Cod client", "Cod produs", "Cantitate",
                               "Valoare fără TVA (RON)"))
    report = services.report_import(principal=world.principal("admin"), distributor=world.own, data=by_code,
                                    file_name="code.csv")
    assert report.status == ReportStatus.REJECTED and {e["reason"] for e in report.errors} == {"unknown_client"}
    _nothing_linked(world, theirs)


def test_a_direct_client_is_not_matched_either(world, theirs):
    CorporateClient.objects.filter(pk=theirs.pk).update(distributor=None)
    report = services.report_import(principal=world.principal("admin"), distributor=world.own, data=csv_file([ROW]),
                                    file_name="direct.csv")
    _unknown(report)
    _nothing_linked(world, theirs)


def test_the_api_job_and_problems_name_nothing_of_the_other_client(world, theirs, api_as):
    head = api_as(world.user("dist_head"))
    job = head.post("/api/v1/sales-imports", {"file": _named(csv_file([ROW]))})
    assert job.status_code == 202 and job.json()["report"]["status"] == "rejected"
    base = f"/api/v1/sales-imports/{job.json()['id']}"
    answers = [job, head.get(base), head.get(f"{base}/problems"),
               head.get(f"/api/v1/sales-reports/{job.json()['report_id']}"),
               head.get("/api/v1/sales-lines"), head.get("/api/v1/segments")]
    for answer in answers:
        assert answer.status_code == 200 or answer is job
        assert SECRET not in answer.content.decode() and str(theirs.pk) not in json.dumps(
            [c.get("suggestions") for c in answer.json().get("clients", [])])
    assert head.get("/api/v1/sales-lines").json()["count"] == 0
    _nothing_linked(world, theirs)
    # The deprecated one-shot upload the same.
    old = head.post("/api/v1/sales-reports", {"file": _named(csv_file([ROW]), "old.csv"), "period": "2026-10"})
    assert old.status_code == 422 and SECRET not in old.content.decode()
    _nothing_linked(world, theirs)


def test_the_upload_page_and_report_page_name_nothing_of_the_other_client(world, theirs, login):
    page = login(world.user("dist_head"))
    page.post(reverse("sales:report_upload"), {"distributor": world.own.pk, "file": _named(csv_file([ROW]))})
    report = ImportJob.objects.get().report
    _unknown(report)
    shown = page.get(report.get_absolute_url())
    assert shown.status_code == 200 and SECRET not in shown.content.decode()
    assert SECRET not in page.get(reverse("sales:line_list")).content.decode()
    _nothing_linked(world, theirs)


def test_the_worker_path_matches_the_same_way(world, theirs, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.TASKS_BACKEND = "database"
    job = imports.import_job_create(principal=world.principal("dist_head"), distributor=world.own,
                                    data=csv_file([ROW]), file_name="w.csv")
    assert imports.import_job_run(job.pk) == "done"
    job.refresh_from_db()
    _unknown(job.report)
    _nothing_linked(world, theirs)


def test_no_suggestion_or_mapping_to_a_client_served_elsewhere(world, theirs, api_as):
    # Even the admin (who sees every client) is not offered the other distributor's client for this report...
    admin = world.principal("admin")
    report = services.report_import(principal=admin, distributor=world.own, data=csv_file([ROW]), file_name="a.csv")
    plan = selectors.report_fix_plan(principal=admin, report=report)
    assert all(s.pk != theirs.pk for c in plan["clients"] for s in c["suggestions"])
    assert plan["clients"][0]["action"] == "create"
    # ... and may not map to it: the lines would show that client to our distributor.
    with pytest.raises(ValidationError) as refused:
        services.client_mapping_set(principal=admin, distributor=world.own, source_key=THEIR_TAX_ID, client=theirs)
    assert "client_id" in refused.value.message_dict or "client" in refused.value.message_dict
    with pytest.raises(ValidationError):
        fixes.report_fix(principal=admin, report=report, create=[],
                         map_clients=[{"key": THEIR_TAX_ID, "client": theirs.pk}], map_products=[])
    assert not ClientMapping.objects.exists()
    # Creating it for our distributor is refused by the clients app's duplicate check (one client per tax id),
    # and the head is told only that it is served elsewhere.
    with pytest.raises(ValidationError) as created:
        services.client_create_from_report(principal=world.principal("dist_head"), report=report,
                                           tax_id=THEIR_TAX_ID, legal_name="Univers din fișier")
    assert SECRET not in json.dumps(created.value.message_dict)


def test_a_mapping_left_over_to_another_distributors_client_is_ignored(world, theirs):
    # A mapping stored before the rule (or the client moved to another distributor since): never followed.
    ClientMapping.objects.create(distributor=world.own, source_key="7777773", client=theirs)
    row = ("02.10.2026", "", "Univers", "SNS-12", "3", "1500")
    data = csv_file([row[:1] + ("7777773",) + row[2:]])
    report = services.report_import(principal=world.principal("dist_head"), distributor=world.own, data=data,
                                    file_name="alias.csv")
    assert report.status == ReportStatus.REJECTED
    _nothing_linked(world, theirs)
    assert not SalesReport.objects.filter(status=ReportStatus.APPLIED).exists()
