"""Access matrix of the sales app (see tests/access.py).

Reads follow the reach rule: network-wide roles see both distributors; the channel manager, the mentor, the
KAM and the distributor users reach "own" only (other → 404). Writes (upload, mappings, recompute, surveys)
are for admin, program_manager, the channel manager of the distributor and the distributor head.
"""

from datetime import date, timedelta

from tests.access import Route, anon_api, anon_page, expect

READ = {"own": 200, "other": 404}
NETWORK = {"admin": 200, "program_manager": 200, "executive": 200}


def _read(**kw):
    return expect(READ, **NETWORK, **kw)


def _write(ok, **kw):
    """Uploaders write what they reach; the others get 403 where they see the object, 404 where they do not."""
    hidden = {"own": 403, "other": 404}
    return expect(hidden, admin=ok, program_manager=ok, executive=403, channel_manager={"own": ok, "other": 404},
                  dist_head={"own": ok, "other": 404}, **kw)


def _role_write(ok, **kw):
    return expect(403, admin=ok, program_manager=ok, channel_manager=ok, dist_head=ok, **kw)


def _client(w, side):
    from keychannel.clients.models import CorporateClient

    def make():
        return CorporateClient.objects.create(legal_name=f"Client {side} SRL", tax_id="", distributor=w.distributor(side))

    return w.once(("client", side), make)


def _report(w, side):
    from keychannel.sales.choices import ReportStatus
    from keychannel.sales.models import SalesReport

    def make():
        content = "Data factură;CUI client;Cod produs;Cantitate;Valoare fără TVA (RON)\r\nxx;1;A;1;1\r\n".encode()
        return SalesReport.objects.create(
            distributor=w.distributor(side), file_name="r.csv", file_hash=f"h-{side}", content=content,
            status=ReportStatus.REJECTED, error_count=1,
            errors=[{"row": 2, "column": "Data factură", "reason": "bad_date", "value": "xx", "message": "Not a date."}],
        )

    return w.once(("report", side), make)


def _import_job(w, side):
    """A failed import whose file is no longer kept: a retry answers 409 (page: 302 with the reason) every time."""
    from keychannel.sales.models import ImportJob

    return w.once(("import", side), lambda: ImportJob.objects.create(
        distributor=w.distributor(side), file_name="i.csv", content=b"", status="failed", error="Not a table."))


def _done_job(w, side):
    """A finished import whose report was rejected (the bulk fix works on it)."""
    from keychannel.sales.models import ImportJob

    return w.once(("done-import", side), lambda: ImportJob.objects.create(
        distributor=w.distributor(side), file_name="r.csv", content=b"", status="done", report=_report(w, side)))


def _product_mapping(w, side):
    from keychannel.sales.models import ProductMapping

    return w.once(("pm", side), lambda: ProductMapping.objects.create(
        distributor=w.distributor(side), product_code=f"P-{side}", product_line=w.product_line))


def _survey(w, side):
    from keychannel.sales.models import Survey

    return w.once(("survey", side), lambda: Survey.objects.create(
        name=f"Survey {side}", distributor=w.distributor(side), closes_on=date.today() + timedelta(days=30)))


def _token(w, side):
    from django.utils import timezone

    from keychannel.sales import survey_services
    from keychannel.sales.models import SurveyInvitation

    def make():
        raw = f"token-{side}-0123456789abcdef"
        SurveyInvitation.objects.create(
            survey=_survey(w, side), client=_client(w, side), distributor=w.distributor(side), contact_name="Ana",
            token_hash=survey_services.hash_token(raw), expires_at=timezone.now() + timedelta(days=30),
        )
        return raw

    return w.once(("token", side), make)


def _invitation(w, side):
    from keychannel.sales.models import SurveyInvitation

    _token(w, side)
    return SurveyInvitation.objects.get(survey=_survey(w, side))


ANSWER = {"channel": "phone", "why_chose": "quality", "will_continue": "yes", "recommend": 9}

ROUTES = [
    # Staff record an answer given by phone or at a meeting (issue 16): whoever may invite.
    Route(name="sales:survey_answer_record", params=lambda w, s: {"pk": _invitation(w, s).pk},
          expect=_write(200, **anon_page())),
    Route(api="POST /api/v1/survey-invitations/{invitation_id}/response",
          params=lambda w, s: {"invitation_id": _invitation(w, s).pk}, body=lambda w, s: ANSWER,
          expect=_write(201, **anon_api())),
    Route(name="sales:report_list", expect=expect(200, **anon_page())),
    Route(name="sales:report_upload", expect=_role_write(200, **anon_page())),
    # Every role reaches "own" (mentor and KAM through the competence app), so every role gets a file.
    Route(name="sales:report_sample", expect=expect(200, **anon_page())),
    Route(name="sales:report_detail", params=lambda w, s: {"pk": _report(w, s).pk}, expect=_read(**anon_page())),
    Route(name="sales:report_errors", params=lambda w, s: {"pk": _report(w, s).pk}, expect=_read(**anon_page())),
    Route(name="sales:report_revalidate", method="POST", params=lambda w, s: {"pk": _report(w, s).pk},
          expect=_write(302, **anon_page())),
    Route(name="sales:report_resolve_client", method="POST", params=lambda w, s: {"pk": _report(w, s).pk},
          expect=_write(302, **anon_page())),
    Route(name="sales:report_map_product", method="POST", params=lambda w, s: {"pk": _report(w, s).pk},
          expect=_write(302, **anon_page())),
    # Nothing chosen: nothing changes, and the report is validated again in the background (302 to it or its job).
    Route(name="sales:report_fix", method="POST", params=lambda w, s: {"pk": _report(w, s).pk},
          expect=_write(302, **anon_page())),
    Route(name="sales:import_detail", params=lambda w, s: {"pk": _import_job(w, s).pk}, expect=_read(**anon_page())),
    Route(name="sales:import_retry", method="POST", params=lambda w, s: {"pk": _import_job(w, s).pk},
          expect=_write(302, **anon_page())),
    Route(name="sales:line_list", expect=expect(200, **anon_page())),
    Route(name="sales:line_export", expect=expect(200, **anon_page())),
    Route(name="sales:mapping_list", expect=expect(200, **anon_page())),
    Route(name="sales:product_mapping_delete", method="POST", params=lambda w, s: {"pk": _product_mapping(w, s).pk},
          expect=_write(302, **anon_page())),
    Route(name="sales:segment_list", expect=expect(200, **anon_page())),
    Route(name="sales:segment_charts", expect=expect(200, **anon_page())),
    Route(name="sales:segment_recompute", method="POST", expect=_role_write(302, **anon_page())),
    Route(name="sales:survey_list", expect=expect(200, **anon_page())),
    Route(name="sales:survey_create", expect=_role_write(200, **anon_page())),
    Route(name="sales:survey_detail", params=lambda w, s: {"pk": _survey(w, s).pk}, expect=_read(**anon_page())),
    # The client contact's page needs no login: everyone, anonymous included, sees the form.
    Route(name="sales:survey_public", params=lambda w, s: {"token": _token(w, s)}, expect=expect(200)),
    Route(api="GET /api/v1/sales-reports", expect=expect(200, **anon_api())),
    # Without a file the allowed roles get 422; the role check comes first.
    Route(api="POST /api/v1/sales-reports", body=lambda w, s: {}, expect=_role_write(422, **anon_api())),
    Route(api="GET /api/v1/sales-reports/{report_id}", params=lambda w, s: {"report_id": _report(w, s).pk},
          expect=_read(**anon_api())),
    Route(api="GET /api/v1/sales-reports/{report_id}/errors.csv", params=lambda w, s: {"report_id": _report(w, s).pk},
          expect=_read(**anon_api())),
    # The stored file still has its bad row: the allowed roles get the row errors again (422).
    Route(api="POST /api/v1/sales-reports/{report_id}/revalidate", params=lambda w, s: {"report_id": _report(w, s).pk},
          body=lambda w, s: {}, expect=_write(422, **anon_api())),
    Route(api="GET /api/v1/sales-imports", expect=expect(200, **anon_api())),
    Route(api="POST /api/v1/sales-imports", body=lambda w, s: {}, expect=_role_write(422, **anon_api())),
    Route(api="GET /api/v1/sales-imports/{job_id}", params=lambda w, s: {"job_id": _import_job(w, s).pk},
          expect=_read(**anon_api())),
    Route(api="POST /api/v1/sales-imports/{job_id}/retry", params=lambda w, s: {"job_id": _import_job(w, s).pk},
          expect=_write(409, **anon_api())),
    Route(api="GET /api/v1/sales-imports/{job_id}/problems", params=lambda w, s: {"job_id": _done_job(w, s).pk},
          expect=_read(**anon_api())),
    Route(api="POST /api/v1/sales-imports/{job_id}/clients", params=lambda w, s: {"job_id": _done_job(w, s).pk},
          body=lambda w, s: {"clients": []}, expect=_write(201, **anon_api())),
    Route(api="POST /api/v1/sales-imports/{job_id}/client-mappings", params=lambda w, s: {"job_id": _done_job(w, s).pk},
          body=lambda w, s: {"clients": []}, expect=_write(200, **anon_api())),
    Route(api="POST /api/v1/sales-imports/{job_id}/product-mappings",
          params=lambda w, s: {"job_id": _done_job(w, s).pk}, body=lambda w, s: {"products": []},
          expect=_write(200, **anon_api())),
    Route(api="POST /api/v1/sales-imports/{job_id}/rerun", params=lambda w, s: {"job_id": _done_job(w, s).pk},
          body=lambda w, s: {}, expect=_write(202, **anon_api())),
    Route(api="GET /api/v1/sales-lines", expect=expect(200, **anon_api())),
    Route(api="GET /api/v1/sales-lines/export.csv", expect=expect(200, **anon_api())),
    Route(api="GET /api/v1/segments", expect=expect(200, **anon_api())),
    Route(api="POST /api/v1/segments/recompute", body=lambda w, s: {}, expect=_role_write(200, **anon_api())),
    Route(api="GET /api/v1/column-mappings", expect=expect(200, **anon_api())),
    Route(api="POST /api/v1/column-mappings", body=lambda w, s: {
        "distributor_id": w.own.pk, "name": "ERP",
        "columns": {"date": "D", "tax_id": "C", "product_code": "P", "quantity": "Q", "amount": "A"}},
          expect=_role_write(201, **anon_api())),
    Route(api="GET /api/v1/product-mappings", expect=expect(200, **anon_api())),
    Route(api="POST /api/v1/product-mappings", body=lambda w, s: {
        "distributor_id": w.own.pk, "product_code": "X-1", "product_line_id": w.product_line.pk},
          expect=_role_write(201, **anon_api())),
    Route(api="DELETE /api/v1/product-mappings/{mapping_id}", params=lambda w, s: {"mapping_id": _product_mapping(w, s).pk},
          expect=_write(204, **anon_api())),
    Route(api="POST /api/v1/client-mappings", body=lambda w, s: {
        "distributor_id": w.own.pk, "source_key": "12345678", "client_id": _client(w, "own").pk},
          expect=_role_write(201, **anon_api())),
    Route(api="GET /api/v1/surveys", expect=expect(200, **anon_api())),
    Route(api="POST /api/v1/surveys", body=lambda w, s: {
        "name": "Q4", "distributor_id": w.own.pk, "closes_on": (date.today() + timedelta(days=20)).isoformat()},
          expect=_role_write(201, **anon_api())),
    Route(api="GET /api/v1/surveys/{survey_id}", params=lambda w, s: {"survey_id": _survey(w, s).pk},
          expect=_read(**anon_api())),
    Route(api="POST /api/v1/surveys/{survey_id}/invitations", params=lambda w, s: {"survey_id": _survey(w, s).pk},
          body=lambda w, s: {"client_id": _client(w, s).pk, "contact_name": "Ana Pop"},
          expect=_write(201, **anon_api())),
    Route(api="GET /api/v1/survey-responses", expect=expect(200, **anon_api())),
]
