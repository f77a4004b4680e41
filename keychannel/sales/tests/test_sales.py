import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from keychannel.clients.models import CorporateClient
from keychannel.sales import parsing, services, survey_services
from keychannel.sales.choices import AbcClass, NpsClass, ReportStatus, SegmentLabel
from keychannel.sales.models import ClientSegment, ColumnMapping, SalesLine, SalesReport, SurveyResponse
from keychannel.sales.tests.factories import SAMPLES, csv_file, map_samples, sample

pytestmark = pytest.mark.django_db

SAMPLE_LINES = {"cp1250": 240, "utf8bom": 180, "xlsx": 150}
SAMPLE_TOTALS = {"cp1250": Decimal("2734160.53"), "utf8bom": Decimal("1650619.08"), "xlsx": Decimal("1616317.12")}


def _import(world, name, role="dist_head", **kw):
    return services.report_import(principal=world.principal(role), distributor=world.own, data=sample(name),
                                  file_name=SAMPLES[name], **kw)


def _total(distributor):
    return SalesLine.objects.filter(distributor=distributor).aggregate(s=Sum("amount"))["s"] or Decimal(0)


# ---------------------------------------------------------------------------------------- parsing


@pytest.mark.parametrize(("name", "encoding", "delimiter", "header_row"), [
    ("cp1250", "cp1250", ";", 1), ("utf8bom", "utf-8-sig", ",", 1), ("xlsx", "", "", 3),
])
def test_reads_every_sample_shape(name, encoding, delimiter, header_row):
    table = parsing.read_table(sample(name), SAMPLES[name])
    assert (table.encoding, table.delimiter, table.header_row) == (encoding, delimiter, header_row)
    mapping = parsing.suggest_mapping(table.headers)
    assert parsing.missing_fields(mapping) == []
    assert mapping["amount"] == "Valoare fără TVA (RON)" and mapping["date"] == "Data factură"
    result = parsing.validate_rows(table, mapping, find_client=lambda t, c: 1, find_product=lambda c: 1)
    assert result.ok and len(result.lines) == SAMPLE_LINES[name]
    assert sum(line.amount for line in result.lines) == SAMPLE_TOTALS[name]


def test_tab_separated_and_utf8_without_bom():
    data = "Data factură\tCUI client\tCod produs\tCantitate\tValoare fără TVA (RON)\n2026-10-02\tRO49668380\tX\t1\t1.234,50\n"
    table = parsing.read_table(data.encode("utf-8"))
    assert (table.encoding, table.delimiter) == ("utf-8", "\t")
    result = parsing.validate_rows(table, parsing.suggest_mapping(table.headers), find_client=lambda t, c: 1,
                                   find_product=lambda c: 1)
    assert result.lines[0].amount == Decimal("1234.50") and result.lines[0].tax_id == "49668380"


@pytest.mark.parametrize(("text", "value"), [
    ("1125,14", Decimal("1125.14")), ("1.234,5", Decimal("1234.5")), ("1,234.5", Decimal("1234.5")),
    ("2 492.76", Decimal("2492.76")), (12, Decimal(12)), (13197.47, Decimal("13197.47")),
])
def test_parse_decimal(text, value):
    assert parsing.parse_decimal(text) == value


@pytest.mark.parametrize("bad", ["", "abc", "1,2,3x", "nan", True])
def test_parse_decimal_rejects(bad):
    with pytest.raises(ValueError):
        parsing.parse_decimal(bad)


def test_parse_dates_and_cui():
    assert parsing.parse_date("27.10.2026") == date(2026, 10, 27)
    assert parsing.parse_date("2026-09-11") == date(2026, 9, 11)
    with pytest.raises(ValueError):
        parsing.parse_date("31.02.2026")
    assert parsing.cui_is_valid("49668380") and parsing.cui_is_valid("204353502")
    assert not parsing.cui_is_valid("397287235")


# ---------------------------------------------------------------------------------------- import


@pytest.mark.parametrize("name", ["cp1250", "utf8bom", "xlsx"])
def test_the_three_shared_samples_import(world, name):
    map_samples(world.own)
    report = _import(world, name)
    assert report.status == ReportStatus.APPLIED, report.errors[:3]
    assert report.line_count == SAMPLE_LINES[name] == SalesLine.objects.filter(report=report).count()
    assert _total(world.own) == SAMPLE_TOTALS[name] == report.total_amount
    assert ClientSegment.objects.filter(distributor=world.own, year=2026).exists()
    # The mapping is saved as the distributor's default template, reused next time.
    assert ColumnMapping.objects.get(distributor=world.own, is_default=True).columns == report.mapping


def test_the_same_file_twice_does_not_double(world):
    map_samples(world.own)
    first = _import(world, "cp1250")
    again = _import(world, "cp1250")
    assert again.status == ReportStatus.DUPLICATE and again.duplicate_of == first and again.line_count == 0
    assert _total(world.own) == SAMPLE_TOTALS["cp1250"]
    assert SalesLine.objects.count() == SAMPLE_LINES["cp1250"]


def test_an_import_killed_half_way_writes_nothing(world, monkeypatch):
    """Killed while its lines stream in (PostgreSQL: into COPY; SQLite: gathered), nothing stays."""
    map_samples(world.own)
    real_write = services.LineWriter.write

    def write_half_then_die(self, lines):
        real_write(self, lines[: len(lines) // 2])
        raise RuntimeError("killed")

    monkeypatch.setattr(services.LineWriter, "write", write_half_then_die)
    with pytest.raises(RuntimeError):
        _import(world, "cp1250")
    assert SalesLine.objects.count() == 0
    assert SalesReport.objects.count() == 0
    assert ClientSegment.objects.count() == 0


def test_an_import_killed_after_its_lines_are_written_writes_nothing(world, monkeypatch):
    map_samples(world.own)
    real_keep = services.LineWriter.keep

    def keep_then_die(self):
        real_keep(self)
        assert SalesLine.objects.count() == SAMPLE_LINES["cp1250"]  # every line really was written in the transaction
        raise RuntimeError("killed")

    monkeypatch.setattr(services.LineWriter, "keep", keep_then_die)
    with pytest.raises(RuntimeError):
        _import(world, "cp1250")
    assert SalesLine.objects.count() == 0
    assert SalesReport.objects.count() == 0
    assert ClientSegment.objects.count() == 0


def test_three_bad_rows_are_reported_and_nothing_is_imported_then_the_fix_applies(world):
    map_samples(world.own)
    bad = _import(world, "bad")
    assert bad.status == ReportStatus.REJECTED
    assert [(e["row"], e["reason"]) for e in bad.errors] == [(6, "bad_date"), (10, "negative"), (15, "bad_tax_id")]
    assert {e["column"] for e in bad.errors} == {"Data factură", "Cantitate", "CUI client"}
    assert SalesLine.objects.count() == 0 and not ClientSegment.objects.exists()
    fixed = _import(world, "cp1250")
    assert fixed.status == ReportStatus.APPLIED
    assert ClientSegment.objects.filter(distributor=world.own).count() > 0


def test_a_corrected_file_supersedes_only_when_asked(world):
    map_samples(world.own)
    first = _import(world, "cp1250")
    table = parsing.read_table(sample("cp1250"))
    corrected = sample("cp1250").replace(b";1125,14\r\n", b";1000,00\r\n")
    assert corrected != sample("cp1250") and table.rows
    waiting = services.report_import(principal=world.principal("dist_head"), distributor=world.own, data=corrected,
                                     file_name="fix.csv")
    assert waiting.status == ReportStatus.CONFLICT and _total(world.own) == SAMPLE_TOTALS["cp1250"]
    applied = services.report_reprocess(principal=world.principal("dist_head"), report=waiting, supersede=True)
    assert applied.status == ReportStatus.APPLIED and applied.supersedes == first
    first.refresh_from_db()
    assert first.status == ReportStatus.SUPERSEDED
    assert _total(world.own) == SAMPLE_TOTALS["cp1250"] - Decimal("125.14")


def test_unmatched_clients_are_listed_then_mapped_or_created(world):
    skip = {"49668380", "301014698"}
    map_samples(world.own, skip_tax_ids=skip)
    principal = world.principal("dist_head")
    report = _import(world, "cp1250")
    assert report.status == ReportStatus.REJECTED
    assert {u["tax_id"] for u in report.unmatched_clients} == skip
    assert {e["reason"] for e in report.errors} == {"unknown_client"}
    existing = CorporateClient.objects.create(legal_name="Univers Retail Group", tax_id="", distributor=world.own)
    services.client_mapping_set(principal=principal, distributor=world.own, source_key="49668380", client=existing)
    with pytest.raises(ValidationError):  # the duplicate check stops a second "Univers Retail" ...
        services.client_create_from_report(principal=principal, report=report, tax_id="49668380",
                                           legal_name="Univers Retail Group S.R.L.")
    services.client_create_from_report(principal=principal, report=report, tax_id="301014698",
                                       legal_name="Metal Forja Reşiţa SA")
    applied = services.report_reprocess(principal=principal, report=report)
    assert applied.status == ReportStatus.APPLIED and applied.line_count == SAMPLE_LINES["cp1250"]
    assert SalesLine.objects.filter(client=existing).exists()


def test_unknown_product_codes_and_missing_columns(world):
    map_samples(world.own)
    data = csv_file([("02.10.2026", "49668380", "Univers", "NEW-1", "1", "10")])
    report = services.report_import(principal=world.principal("admin"), distributor=world.own, data=data, file_name="n.csv")
    assert [e["reason"] for e in report.errors] == ["unknown_product"] and report.unknown_products[0]["code"] == "NEW-1"
    weird = b"Zi;Fiscal;Articol;Buc;Lei\r\n02.10.2026;49668380;SNS-12;1;10\r\n"
    report = services.report_import(principal=world.principal("admin"), distributor=world.own, data=weird, file_name="w.csv")
    assert report.status == ReportStatus.REJECTED and {e["reason"] for e in report.errors} == {"missing_column"}
    mapping = {"date": "Zi", "tax_id": "Fiscal", "product_code": "Articol", "quantity": "Buc", "amount": "Lei"}
    applied = services.report_reprocess(principal=world.principal("admin"), report=report, mapping=mapping, save_as="ERP")
    assert applied.status == ReportStatus.APPLIED
    assert ColumnMapping.objects.get(distributor=world.own, name="ERP").columns == mapping


def test_who_may_upload(world):
    map_samples(world.own)
    for role in ("executive", "mentor", "embedded_kam", "dist_sales"):
        with pytest.raises(PermissionDenied):
            _import(world, "cp1250", role=role)
    with pytest.raises(PermissionDenied):
        services.report_import(principal=world.principal("dist_head"), distributor=world.other, data=b"x", file_name="x")
    assert _import(world, "cp1250", role="channel_manager").status == ReportStatus.APPLIED


def test_bad_input_changes_nothing(world):
    with pytest.raises(ValidationError):
        services.report_import(principal=world.principal("admin"), distributor=world.own, data=b"", file_name="e.csv")
    with pytest.raises(ValidationError):
        services.report_import(principal=world.principal("admin"), distributor=world.own, data=b"a", file_name="e.csv",
                               period="10/2026")
    assert not SalesReport.objects.exists()


# ---------------------------------------------------------------------------------------- API, pages, command


def test_api_upload_detail_and_error_file(world, api_as):
    map_samples(world.own)
    head = api_as(world.user("dist_head"))
    bad = head.post("/api/v1/sales-reports", {"file": io.BytesIO(sample("bad")), "period": "2026-10"})
    assert bad.status_code == 422
    body = bad.json()
    assert [d["loc"][1] for d in body["detail"]] == [6, 10, 15] and body["report"]["status"] == "rejected"
    report_id = body["report"]["id"]
    detail = head.get(f"/api/v1/sales-reports/{report_id}").json()
    assert detail["error_count"] == 3 and detail["errors"][0]["row"] == 6
    errors = b"".join(head.get(f"/api/v1/sales-reports/{report_id}/errors.csv").streaming_content).decode("utf-8-sig")
    assert errors.splitlines()[0] == "row,column,reason,value,message" and len(errors.splitlines()) == 4
    good = head.post("/api/v1/sales-reports", {"file": io.BytesIO(sample("cp1250"))})
    assert good.status_code == 201 and good.json()["line_count"] == 240
    again = head.post("/api/v1/sales-reports", {"file": io.BytesIO(sample("cp1250"))})
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert head.post("/api/v1/sales-reports", {"file": io.BytesIO(sample("cp1250")), "distributor": "db"}).status_code == 422
    sales = api_as(world.user("dist_sales"))
    assert sales.post("/api/v1/sales-reports", {"file": io.BytesIO(sample("cp1250"))}).status_code == 403
    lines = sales.get("/api/v1/sales-lines?limit=5").json()
    assert (lines["count"], lines["count_is_capped"], len(lines["items"])) == (240, False, 5)
    from keychannel.core.pagination import CappedCountPagination

    CappedCountPagination.COUNT_CAP, cap = 100, CappedCountPagination.COUNT_CAP
    try:  # beyond the cap the count says "at least", and the page is still the right one
        capped = sales.get("/api/v1/sales-lines?limit=5&offset=200").json()
    finally:
        CappedCountPagination.COUNT_CAP = cap
    assert (capped["count"], capped["count_is_capped"], len(capped["items"])) == (100, True, 5)
    assert capped["items"][0]["id"] == SalesLine.objects.order_by("-date", "-id")[200].pk
    assert api_as(world.user("channel_manager")).get("/api/v1/segments").json()["count"] > 0
    other_head = api_as(world.other_users["dist_head"])
    assert other_head.get("/api/v1/sales-lines").json()["count"] == 0
    assert other_head.get(f"/api/v1/sales-reports/{report_id}").status_code == 404


def test_csv_export_is_formula_safe(world, login):
    map_samples(world.own)
    client = CorporateClient.objects.get(tax_id="49668380")
    client.legal_name = "=HYPERLINK(\"http://x\")"
    client.save()
    _import(world, "cp1250")
    response = login(world.user("dist_sales")).get(reverse("sales:line_export"))
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "\n=HYPERLINK" not in text and ",=HYPERLINK" not in text
    assert len(text.strip().splitlines()) == 241


def test_ui_upload_with_htmx_redirects_to_the_report(world, login):
    map_samples(world.own)
    page = login(world.user("dist_head"))
    assert b"upload-progress" in page.get(reverse("sales:report_upload")).content
    upload = io.BytesIO(sample("bad"))
    upload.name = "bad.csv"
    response = page.post(reverse("sales:report_upload"), {"distributor": world.own.pk, "file": upload},
                         HTTP_HX_REQUEST="true")
    assert response.status_code == 204
    report = SalesReport.objects.get()
    assert response["HX-Redirect"] == report.get_absolute_url()
    detail = page.get(report.get_absolute_url())
    assert detail.status_code == 200 and b'id="row-6"' in detail.content and b'id="row-15"' in detail.content
    assert page.post(reverse("sales:report_upload"), {"distributor": world.other.pk}).status_code == 422


def test_command_line_import(world, tmp_path):
    map_samples(world.own)
    path = tmp_path / SAMPLES["utf8bom"]
    path.write_bytes(sample("utf8bom"))
    out = io.StringIO()
    call_command("import_sales", str(path), "--distributor", "da", "--period", "2026-09", "--as", "w-admin", stdout=out)
    assert "applied" in out.getvalue() and SalesLine.objects.count() == 180
    bad = tmp_path / "bad.csv"
    bad.write_bytes(sample("bad"))
    errors = tmp_path / "errors.csv"
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("import_sales", str(bad), "--distributor", "da", "--as", "w-admin", "--errors", str(errors),
                     stdout=io.StringIO())
    assert len(errors.read_text(encoding="utf-8-sig").splitlines()) == 4


# ---------------------------------------------------------------------------------------- segments


def test_segments_abc_small_batches_and_labels(world):
    principal = world.principal("admin")
    line = world.product_line
    from keychannel.sales.models import ProductMapping

    ProductMapping.objects.create(distributor=world.own, product_code="P", product_line=line)
    big = CorporateClient.objects.create(legal_name="Big SA", tax_id="49668380", distributor=world.own,
                                         potential_annual_volume=Decimal("100000"), is_key_account=True)
    small_key = CorporateClient.objects.create(legal_name="Small Key SA", tax_id="204353502", distributor=world.own,
                                               potential_annual_volume=Decimal("1000000"), is_key_account=True)
    tail = CorporateClient.objects.create(legal_name="Tail SRL", tax_id="35162919", distributor=world.own)
    rows = [("05.01.2026", big.tax_id, "", "P", 1, 8000), ("05.01.2026", small_key.tax_id, "", "P", 1, 1500),
            ("05.01.2026", tail.tax_id, "", "P", 1, 500)]
    services.report_import(principal=principal, distributor=world.own, data=csv_file(rows), file_name="jan.csv")
    segments = {s.client_id: s for s in ClientSegment.objects.filter(year=2026)}
    assert segments[big.pk].abc_class == AbcClass.A and segments[big.pk].label == SegmentLabel.STRATEGIC
    assert segments[small_key.pk].abc_class == AbcClass.B
    assert segments[small_key.pk].small_batches and segments[small_key.pk].label == SegmentLabel.GROW
    # 8000/month annualised = 96 000 of 100 000 potential
    assert segments[big.pk].share_of_potential == Decimal("0.9600")
    assert segments[tail.pk].abc_class == AbcClass.C and segments[tail.pk].share_of_potential is None
    # The next month the big client stops buying and the tail one drops: recompute moves them, in place.
    rows = [("05.06.2026", small_key.tax_id, "", "P", 1, 1500)]
    services.report_import(principal=principal, distributor=world.own, data=csv_file(rows), file_name="jun.csv")
    big_segment = ClientSegment.objects.get(client=big, year=2026)
    assert big_segment.pk == segments[big.pk].pk and big_segment.label == SegmentLabel.DORMANT
    assert big_segment.history.count() == 2
    assert services.segment_recompute(principal=principal) == 0  # nothing changed since


def test_segment_api_filters_and_recompute_validation(world, api_as):
    map_samples(world.own, potential=Decimal("50000000"), key_accounts={"49668380"})
    _import(world, "cp1250")
    api = api_as(world.user("program_manager"))
    body = api.get("/api/v1/segments?year=2026&small_batches=true").json()
    assert body["count"] == 1 and body["items"][0]["label"] == "grow"
    assert api.get("/api/v1/segments?label=bogus").status_code == 422
    assert api.post("/api/v1/segments/recompute", {"year": 1800}, content_type="application/json").status_code == 422
    assert api.post("/api/v1/segments/recompute", {"distributor_id": world.own.pk},
                    content_type="application/json").json() == {"updated": 0}


# ---------------------------------------------------------------------------------------- surveys


def test_survey_link_answers_once_and_feeds_segments(world, client, api_as):
    map_samples(world.own)
    _import(world, "cp1250")
    target = CorporateClient.objects.get(tax_id="49668380")
    api = api_as(world.user("dist_head"))
    survey = api.post("/api/v1/surveys", {"name": "Q4", "distributor_id": world.own.pk,
                                          "closes_on": (date.today() + timedelta(days=10)).isoformat()},
                      content_type="application/json").json()
    invite = api.post(f"/api/v1/surveys/{survey['id']}/invitations",
                      {"client_id": target.pk, "contact_name": "Ana Pop", "contact_email": "ana@example.invalid"},
                      content_type="application/json")
    assert invite.status_code == 201
    link = invite.json()["link"]
    path = link[link.index("/sales/"):]
    assert client.get(path).status_code == 200  # anonymous, no login
    bad = client.post(path, {"why_chose": "quality", "will_continue": "yes", "recommend": 11})
    assert bad.status_code == 422 and not SurveyResponse.objects.exists()
    answer = {"why_chose": "service", "will_continue": "yes", "recommend": 3, "expected_volume": "120000", "comment": "Slow"}
    assert b'id="thanks"' in client.post(path, answer).content
    assert b'id="already-answered"' in client.post(path, answer).content
    assert SurveyResponse.objects.count() == 1
    segment = ClientSegment.objects.get(client=target, year=2026)
    assert segment.nps_class == NpsClass.DETRACTOR and segment.label == SegmentLabel.AT_RISK
    detail = api.get(f"/api/v1/surveys/{survey['id']}").json()
    assert detail["results"]["nps"] == -100 and detail["response_total"] == 1
    # Another distributor's client cannot be invited into this campaign.
    other_client = CorporateClient.objects.create(legal_name="Elsewhere SA", distributor=world.other)
    admin = api_as(world.user("admin"))
    assert admin.post(f"/api/v1/surveys/{survey['id']}/invitations", {"client_id": other_client.pk, "contact_name": "X"},
                      content_type="application/json").status_code == 422


def test_expired_survey_link(world, client):
    target = CorporateClient.objects.create(legal_name="Late SA", distributor=world.own)
    survey = survey_services.survey_create(principal=world.principal("admin"), name="Old", closes_on=date.today())
    invitation, raw = survey_services.survey_invite(principal=world.principal("admin"), survey=survey, client=target,
                                             contact_name="Ion")
    invitation.expires_at = timezone.now() - timedelta(minutes=1)
    invitation.save()
    assert client.get(reverse("sales:survey_public", args=[raw])).status_code == 410
    assert client.get(reverse("sales:survey_public", args=["nope"])).status_code == 404


# ---------------------------------------------------------------------------------------- query counts


def test_list_query_counts_do_not_grow(world, api_as, login):
    map_samples(world.own)
    api = api_as(world.user("admin"))
    page = login(world.user("admin"))
    api.get("/api/v1/me")
    urls_api = ["/api/v1/sales-reports", "/api/v1/sales-lines", "/api/v1/segments", "/api/v1/survey-responses"]
    urls_page = [reverse("sales:report_list"), reverse("sales:line_list"), reverse("sales:segment_list"),
                 reverse("sales:survey_list")]

    def counts():
        out = []
        for url in urls_api:
            with CaptureQueriesContext(connection) as ctx:
                assert api.get(url).status_code == 200
            out.append(len(ctx.captured_queries))
        for url in urls_page:
            with CaptureQueriesContext(connection) as ctx:
                assert page.get(url).status_code == 200
            out.append(len(ctx.captured_queries))
        return out

    _import(world, "utf8bom")
    small = counts()
    _import(world, "cp1250")
    _import(world, "xlsx")
    assert counts() == small


def test_api_line_and_report_pages_read_only_the_columns_their_rows_answer(world, api_as):
    """Issue 22: the sales-lines page read every column of each line's distributor, client and product line (the
    rows answer the client's name only), and the reports page every column of the distributor and the uploader."""
    map_samples(world.own)
    _import(world, "utf8bom")
    api = api_as(world.user("admin"))
    api.get("/api/v1/me")
    for url, table, answered, unread in [
        ("/api/v1/sales-lines?limit=5", "sales_salesline",
         ['"clients_corporateclient"."legal_name"'], ["network_distributor", "network_productline", '"tax_id"']),
        ("/api/v1/sales-reports?limit=5", "sales_salesreport",
         ['"network_distributor"."code"'], ["auth_user", '"network_distributor"."legal_name"', '"content"']),
    ]:
        with CaptureQueriesContext(connection) as ctx:
            body = api.get(url).json()
        assert body["items"]
        page = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("SELECT") and f'FROM "{table}"' in q["sql"]
                and "COUNT(" not in q["sql"]]
        assert len(page) == 1, page
        assert all(column in page[0] for column in answered) and not any(name in page[0] for name in unread), page[0]
    line = api.get("/api/v1/sales-lines?limit=1").json()["items"][0]
    assert line["client_name"] == SalesLine.objects.select_related("client").get(pk=line["id"]).client.legal_name
    report = api.get("/api/v1/sales-reports?limit=1").json()["items"][0]
    assert report["distributor_code"] == world.own.code


def test_sample_file_with_three_bad_rows_then_fixed(world, login):
    clients = map_samples(world.own)
    expected = min(len(clients), 20)
    page = login(world.user("dist_head"))
    bad = page.get(reverse("sales:report_sample") + f"?distributor={world.own.pk}&bad=1")
    good = page.get(reverse("sales:report_sample") + f"?distributor={world.own.pk}")
    assert bad.status_code == good.status_code == 200
    rejected = services.report_import(principal=world.principal("dist_head"), distributor=world.own, data=bad.content,
                                      file_name="bad.csv")
    assert [(e["row"], e["reason"]) for e in rejected.errors] == [(3, "bad_date"), (5, "negative"), (8, "bad_tax_id")]
    assert not SalesLine.objects.exists() and not ClientSegment.objects.exists()
    applied = services.report_import(principal=world.principal("dist_head"), distributor=world.own, data=good.content,
                                     file_name="good.csv")
    assert applied.status == ReportStatus.APPLIED and applied.line_count == expected
    assert ClientSegment.objects.filter(distributor=world.own).count() == expected
    # The other distributor's head cannot ask for our sample.
    other = login(world.other_users["dist_head"]).get(reverse("sales:report_sample") + f"?distributor={world.own.pk}")
    assert other.status_code == 404


def test_sales_line_page_counts_up_to_the_cap(world, login, monkeypatch):
    from keychannel.core.pagination import CappedCountPagination

    map_samples(world.own)
    _import(world, "cp1250")
    page = login(world.user("dist_head"))
    assert "240 rows" in page.get(reverse("sales:line_list")).content.decode()
    monkeypatch.setattr(CappedCountPagination, "COUNT_CAP", 100)
    body = page.get(reverse("sales:line_list") + "?page=3").content.decode()
    assert "more than 100 rows" in body and "Page 3 of 2" not in body
