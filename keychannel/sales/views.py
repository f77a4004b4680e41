"""Pages of the sales app: reports (upload, detail, resolution), lines, mappings, segments, surveys."""

import json
from datetime import date, timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from keychannel.clients.models import CorporateClient
from keychannel.core.errors import ConflictError
from keychannel.core.exports import export_response
from keychannel.core.filters import TYPED_FROM, QueryChoices
from keychannel.core.pagination import CappedCountPagination
from keychannel.core.partials import is_htmx, render_partial
from keychannel.core.policies import can, require
from keychannel.core.satisfaction import client_satisfaction
from keychannel.core.scoping import get_visible_or_404, in_lookup
from keychannel.core.tables import Column, Filter, Table
from keychannel.jobs.choices import JobStatus
from keychannel.network.models import Distributor

from . import imports, parsing, selectors, services, survey_services
from .choices import AbcClass, NpsClass, ReportSource, ReportStatus, SegmentLabel
from .forms import InvitationForm, MappingForm, ProductMappingForm, SurveyAnswerForm, SurveyForm, UploadForm
from .models import ColumnMapping, ProductMapping
from .tasks import segment_recompute_queue

REPORT_TABLE = Table(
    columns=[
        Column("pk", gettext_lazy("No."), sort="id", link=True),
        Column("distributor.code", gettext_lazy("Distributor"), sort="distributor__code"),
        Column("period_label", gettext_lazy("Period"), sort="period"),
        Column("file_name", gettext_lazy("File"), sort="file_name", link=True),
        Column("get_status_display", gettext_lazy("Status"), sort="status", badge=True),
        Column("row_count", gettext_lazy("Rows"), sort="row_count"),
        Column("error_count", gettext_lazy("Errors"), sort="error_count"),
        Column("total_amount", gettext_lazy("Amount (RON)"), sort="total_amount"),
        Column("created_at", gettext_lazy("Uploaded"), sort="created_at"),
    ],
    search_fields=["file_name", "distributor__code", "distributor__legal_name"],
    filters=[Filter("status", gettext_lazy("Status"), ReportStatus.choices, "status")],
    default_sort="-created_at",
)


def _distributor_filter(request, principal):
    """The distributors of the principal's reach as filter choices (network-wide roles: every distributor)."""
    qs = Distributor.objects.visible_to(principal)
    if principal.distributor_ids is not None:
        qs = qs.filter(pk__in=in_lookup(principal.distributor_ids))
    if principal.distributor_ids is not None and len(principal.distributor_ids) <= TYPED_FROM:  # a select: read now
        choices = [(str(pk), code) for pk, code in qs.order_by("code").values_list("pk", "code")]
    else:  # typed past TYPED_FROM: the codes are read only to look a value up (issue 22)
        choices = QueryChoices(qs.order_by("code"), "code")
    return Filter("distributor", gettext_lazy("Distributor"), choices, "distributor_id")


def report_list(request):
    principal = request.principal
    table = Table(REPORT_TABLE.columns, REPORT_TABLE.search_fields,
                  [*REPORT_TABLE.filters, _distributor_filter(request, principal)], REPORT_TABLE.default_sort)
    state = table.build(request, selectors.report_list(principal=principal))
    return render_partial(request, "sales/report_list.html", {
        "table": state, "can_upload": can(principal, "sales.salesreport.upload"),
        "breadcrumbs": [(_("Sales reports"), "")],
    }, partial="includes/table.html")


@require_http_methods(["GET", "POST"])
def report_upload(request):
    principal = request.principal
    require(principal, "sales.salesreport.upload")
    distributors = selectors.distributors_for_upload(principal)
    templates = ColumnMapping.objects.visible_to(principal).filter(distributor__in=distributors).select_related("distributor")
    form = UploadForm(request.POST or None, request.FILES or None, distributors=distributors, templates=templates)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        upload = data["file"]
        try:
            services.check_upload_size(upload.size)  # before reading it into memory
            job = imports.import_job_create(
                principal=principal, distributor=data["distributor"], data=upload.read(), file_name=upload.name,
                period=data["period"] or "", mapping_name=data["mapping"] or "", supersede=data["supersede"],
                source=ReportSource.UPLOAD,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        except ConflictError as exc:
            form.add_error(None, exc.message)
        else:
            # A worker reads the file; the job page follows it. (With no queue — KEYCHANNEL_TASKS_BACKEND=immediate —
            # the job is finished already: its report, or the reason it failed, shows at once.)
            if job.status == JobStatus.FAILED and not job.content:
                form.add_error(None, job.error)
            else:
                target = job.report if job.status == JobStatus.DONE and job.report_id else job
                if target is job.report:
                    _announce(request, job.report)
                if is_htmx(request):
                    response = HttpResponse(status=204)
                    response["HX-Redirect"] = target.get_absolute_url()
                    return response
                return redirect(target)
    status = 422 if request.method == "POST" else 200
    return render_partial(request, "sales/report_upload.html", {
        "form": form, "sample_distributors": distributors[:30], "breadcrumbs": [(_("Sales reports"), "sales:report_list"), (_("Upload"), "")],
    }, partial="sales/upload_form.html", status=status)


def _announce(request, report):
    if report.status == ReportStatus.APPLIED:
        messages.success(request, _("Imported %(n)d lines for %(p)s.") % {"n": report.line_count, "p": report.period_label})
    elif report.status == ReportStatus.REJECTED:
        messages.error(request, report.message)
    else:
        messages.warning(request, report.message)


def report_detail(request, pk):
    report = selectors.report_get(principal=request.principal, pk=pk)
    return render(request, "sales/report_detail.html", report_detail_context(request, report))


def report_detail_context(request, report, *, chosen=None, fix_errors=None) -> dict:
    """The report page: the result, the problems grouped by reason and, to whoever may fix it, the bulk fix."""
    from .fix_views import fix_context

    principal = request.principal
    may_fix = can(principal, "sales.salesreport.upload", report.distributor) and report.status in (
        ReportStatus.REJECTED, ReportStatus.CONFLICT)
    context = {
        "report": report, "may_fix": may_fix, "errors": (report.errors or [])[:500], "file_kept": bool(report.content),
        "problems": selectors.report_problems(report),
        "breadcrumbs": [(_("Sales reports"), "sales:report_list"), (str(report.pk), "")],
        "totals": selectors.line_totals(selectors.line_list(principal=principal, filters={"report_id": report.pk})),
    }
    if may_fix:
        context["mapping_form"] = MappingForm(headers=report.headers or [], initial_mapping=report.mapping or {})
        context["missing_columns"] = any(e.get("reason") == "missing_column" for e in report.errors or [])
        context["may_map"] = can(principal, "sales.mapping.change", report.distributor)
        if context["may_map"] and (report.unmatched_clients or report.unknown_products) and report.content:
            context.update(fix_context(principal, report, chosen=chosen, fix_errors=fix_errors))
            context["others"] = list(CorporateClient.objects.visible_to(principal).filter(
                distributor_id=report.distributor_id).order_by("normalized_name").only("pk", "legal_name", "tax_id")[:100])
    return context


def report_sample(request):
    """A sample file for one distributor in reach (``?distributor=<id>``, ``&bad=1`` for three bad rows)."""
    principal = request.principal
    reach = Distributor.objects.visible_to(principal)
    if principal.distributor_ids is not None:
        reach = reach.filter(pk__in=in_lookup(principal.distributor_ids))
    chosen = request.GET.get("distributor", "")
    distributor = (reach.filter(pk=int(chosen)) if chosen.isdigit() and len(chosen) < 18 else reach).order_by("code").first()
    if distributor is None:
        raise Http404
    bad = request.GET.get("bad") == "1"
    month, rows = selectors.sample_report_rows(principal=principal, distributor=distributor, bad=bad)
    text = ";".join(selectors.SAMPLE_HEADER) + "\r\n" + "".join(";".join(r) + "\r\n" for r in rows)
    response = HttpResponse(text.encode("utf-8-sig"), content_type="text/csv; charset=utf-8")
    name = f"vanzari_{distributor.code}_{month:%Y-%m}{'_3-erori' if bad else ''}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def report_errors(request, pk):
    report = selectors.report_get(principal=request.principal, pk=pk)
    return export_response(request.GET.get("format"), f"report-{report.pk}-errors",
                           selectors.translated_header(selectors.ERROR_EXPORT_HEADER), selectors.report_error_rows(report))


@require_POST
def report_revalidate(request, pk):
    principal = request.principal
    report = selectors.report_get(principal=principal, pk=pk)
    require(principal, "sales.salesreport.upload", report.distributor)
    mapping, save_as = None, ""
    if request.POST.get("with_mapping"):
        form = MappingForm(request.POST, headers=report.headers or [], initial_mapping={})
        if not form.is_valid():
            messages.error(request, _("Map every required field."))
            return redirect(report)
        mapping, save_as = form.mapping(), form.cleaned_data["save_as"]
    try:
        report = services.report_reprocess(principal=principal, report=report, mapping=mapping, save_as=save_as,
                                           supersede=bool(request.POST.get("supersede")))
    except (ValidationError, ConflictError) as exc:
        messages.error(request, getattr(exc, "message", None) or "; ".join(exc.messages))
        return redirect(report)
    _announce(request, report)
    return redirect(report)


@require_POST
def report_resolve_client(request, pk):
    """Map an unmatched tax id / client code to an existing client, or create the client (duplicate check)."""
    principal = request.principal
    report = selectors.report_get(principal=principal, pk=pk)
    require(principal, "sales.mapping.change", report.distributor)
    key = request.POST.get("key", "")
    entry = next((e for e in report.unmatched_clients or [] if e.get("key") == key), None)
    if entry is None:
        messages.error(request, _("This client is not among the report's unmatched clients."))
        return redirect(report)
    try:
        if request.POST.get("action") == "create":
            client = services.client_create_from_report(
                principal=principal, report=report, tax_id=entry.get("tax_id", ""), client_code=entry.get("client_code", ""),
                legal_name=request.POST.get("legal_name") or entry.get("name", ""), force=bool(request.POST.get("force")),
            )
            messages.success(request, _("Client %(name)s created.") % {"name": client.legal_name})
        else:
            client_id = request.POST.get("client_id", "")
            if not client_id.isdigit():
                raise ValidationError({"client_id": _("Choose a client.")})
            client = get_visible_or_404(CorporateClient, principal, pk=int(client_id))
            services.client_mapping_set(principal=principal, distributor=report.distributor, source_key=key, client=client)
            messages.success(request, _("%(key)s now maps to %(name)s.") % {"key": key, "name": client.legal_name})
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    return redirect(report)


@require_POST
def report_map_product(request, pk):
    principal = request.principal
    report = selectors.report_get(principal=principal, pk=pk)
    require(principal, "sales.mapping.change", report.distributor)
    form = ProductMappingForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a product line for the code."))
        return redirect(report)
    try:
        services.product_mapping_set(principal=principal, distributor=report.distributor, **form.cleaned_data)
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    else:
        messages.success(request, _("Product code %(code)s mapped.") % {"code": form.cleaned_data["product_code"]})
    return redirect(report)


LINE_TABLE = Table(
    columns=[
        Column("date", gettext_lazy("Date"), sort="date"),
        Column("distributor.code", gettext_lazy("Distributor"), sort="distributor__code"),
        Column("client.legal_name", gettext_lazy("Client"), sort="client__legal_name"),
        Column("product_line.name", gettext_lazy("Product line"), sort="product_line__name"),
        Column("quantity", gettext_lazy("Quantity"), sort="quantity"),
        Column("amount", gettext_lazy("Amount"), sort="amount"),
        Column("currency", gettext_lazy("Currency")),
        Column("invoice", gettext_lazy("Invoice"), sort="invoice"),
    ],
    search_fields=["client__legal_name", "client__tax_id", "invoice"],
    default_sort="-date",
)


def _line_filters(request):
    params = request.GET
    out = {}
    for name in ("client_id", "product_line_id", "report_id"):
        if params.get(name, "").isdigit():
            out[name] = int(params[name])
    if params.get("distributor", "").isdigit():
        out["distributor_id"] = int(params["distributor"])
    for name in ("date_from", "date_to"):
        try:
            out[name] = date.fromisoformat(params.get(name, ""))
        except ValueError:
            pass
    return out


def line_list(request):
    principal = request.principal
    from keychannel.network.models import ProductLine

    lines = [(str(p.pk), p.name) for p in ProductLine.objects.visible_to(principal).only("pk", "name")]
    table = Table(LINE_TABLE.columns, LINE_TABLE.search_fields,
                  [_distributor_filter(request, principal), Filter("product_line", gettext_lazy("Product line"), lines, "product_line_id")],
                  LINE_TABLE.default_sort, count_cap=CappedCountPagination.COUNT_CAP)
    qs = selectors.line_list(principal=principal, filters=_line_filters(request))
    state = table.build(request, qs)
    return render_partial(request, "sales/line_list.html", {
        "table": state, "export_query": request.GET.urlencode(), "breadcrumbs": [(_("Sales lines"), "")],
    }, partial="includes/table.html")


def line_export(request):
    filters = _line_filters(request)
    if request.GET.get("product_line", "").isdigit():
        filters["product_line_id"] = int(request.GET["product_line"])
    filters["q"] = request.GET.get("q", "")
    qs = selectors.line_list(principal=request.principal, filters=filters)
    return export_response(request.GET.get("format"), "sales-lines",
                           selectors.translated_header(selectors.LINE_EXPORT_HEADER), selectors.line_export_rows(qs))


@require_http_methods(["GET", "POST"])
def mapping_list(request):
    """The mappings of one distributor: column templates, product codes, resolved clients."""
    principal = request.principal
    reach = Distributor.objects.visible_to(principal)
    if principal.distributor_ids is not None:
        reach = reach.filter(pk__in=in_lookup(principal.distributor_ids))
    distributors = list(reach.order_by("code").only("pk", "code", "legal_name"))
    chosen = request.GET.get("distributor") or request.POST.get("distributor") or ""
    distributor = next((d for d in distributors if str(d.pk) == chosen), distributors[0] if distributors else None)
    may_change = distributor is not None and can(principal, "sales.mapping.change", distributor)
    form = ProductMappingForm(request.POST or None)
    if request.method == "POST":
        if not may_change:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.product_mapping_set(principal=principal, distributor=distributor, **form.cleaned_data)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Product code mapped."))
                return redirect(reverse("sales:mapping_list") + f"?distributor={distributor.pk}")
    lists = selectors.mapping_lists(principal=principal, distributor=distributor) if distributor else {}
    return render(request, "sales/mapping_list.html", {
        "distributors": distributors, "distributor": distributor, "may_change": may_change, "form": form,
        "field_labels": parsing.FIELD_LABELS, **lists,
        "breadcrumbs": [(_("Sales reports"), "sales:report_list"), (_("Mappings"), "")],
    }, status=422 if request.method == "POST" else 200)


@require_POST
def product_mapping_delete(request, pk):
    principal = request.principal
    mapping = get_visible_or_404(ProductMapping.objects.select_related("distributor"), principal, pk=pk)
    services.product_mapping_delete(principal=principal, mapping=mapping)
    messages.success(request, _("Mapping removed."))
    return redirect(reverse("sales:mapping_list") + f"?distributor={mapping.distributor_id}")


SEGMENT_TABLE = Table(
    columns=[
        Column("client.legal_name", gettext_lazy("Client"), sort="client__legal_name"),
        Column("distributor.code", gettext_lazy("Distributor"), sort="distributor__code"),
        Column("volume", gettext_lazy("Volume (RON)"), sort="volume"),
        Column("abc_class", gettext_lazy("ABC"), sort="abc_class", badge=True),
        Column("trend_label", gettext_lazy("YoY")),
        Column("months_active", gettext_lazy("Months bought"), sort="months_active"),
        Column("recency_days", gettext_lazy("Days since last"), sort="recency_days"),
        Column("share_label", gettext_lazy("Share of potential")),
        Column("get_nps_class_display", gettext_lazy("NPS")),
        Column("service_label", gettext_lazy("Service rating")),
        Column("get_label_display", gettext_lazy("Segment"), sort="label", badge=True),
    ],
    search_fields=["client__legal_name", "client__tax_id"],
    filters=[
        Filter("label", gettext_lazy("Segment"), SegmentLabel.choices, "label"),
        Filter("abc", gettext_lazy("ABC"), AbcClass.choices, "abc_class"),
        Filter("nps", gettext_lazy("NPS"), NpsClass.choices, "nps_class"),
    ],
    default_sort="-volume",
)


# What SEGMENT_TABLE's columns (and so its export) show, and nothing else: a row built with every column of the
# segment, its client and its distributor set some 90 attributes the table never read (issue 22).
SEGMENT_PAGE_COLUMNS = (
    "client_id", "distributor_id", "volume", "abc_class", "trend", "months_active", "recency_days",
    "share_of_potential", "small_batches", "nps_class", "label", "client__legal_name", "distributor__code",
)


def _with_service_rating(principal, year):
    """Rows (a page, or an export's chunk) completed with the client's service rating of the year, NPS-style
    (docs/service.md): one query per page or chunk."""
    classes = {"promoter": _("promoter"), "passive": _("passive"), "detractor": _("detractor")}

    def prepare(rows, request):
        service = client_satisfaction(principal, client_ids={row.client_id for row in rows}, year=year)
        for row in rows:
            rated = service.get(row.client_id)
            row.service_label = f"{rated['rating']}/5 · {classes[rated['class']]}" if rated else "—"
        return rows

    return prepare


def _segment_year(request, principal):
    """The segments page's years, its year (the query string's, else the newest) and its distributor, if chosen."""
    years = selectors.segment_years(principal=principal)
    year = int(request.GET["year"]) if request.GET.get("year", "").isdigit() else (years[0] if years else date.today().year)
    distributor_id = int(request.GET["distributor"]) if request.GET.get("distributor", "").isdigit() else None
    return years, year, distributor_id


def segment_list(request):
    principal = request.principal
    years, year, distributor_id = _segment_year(request, principal)
    table = Table(SEGMENT_TABLE.columns, SEGMENT_TABLE.search_fields,
                  [*SEGMENT_TABLE.filters, _distributor_filter(request, principal),
                   Filter("year", gettext_lazy("Year"), [(str(y), str(y)) for y in years], "year")],
                  SEGMENT_TABLE.default_sort, prepare=_with_service_rating(principal, year))
    qs = selectors.segment_list(principal=principal, filters={"year": year}).only(*SEGMENT_PAGE_COLUMNS)
    state = table.build(request, qs)
    if is_htmx(request) and not request.headers.get("HX-Boosted"):
        return render(request, "includes/table.html", {"table": state})
    # The charts (the biggest clients summed and ranked over the year: most of the page's cost at size) load
    # after the page, from segment_charts (issue 22).
    charts_query = {"year": year, **({"distributor": distributor_id} if distributor_id else {})}
    return render(request, "sales/segment_list.html", {
        "table": state, "year": year, "years": years,
        "counts": selectors.segment_counts(principal=principal, year=year, distributor_id=distributor_id),
        "charts_url": f"{reverse('sales:segment_charts')}?{urlencode(charts_query)}",
        "can_recompute": can(principal, "sales.clientsegment.recompute"),
        "breadcrumbs": [(_("Segments"), "")],
    })


def segment_charts(request):
    """The segments page's three charts (Pareto, volume × share of potential, NPS) for its year and distributor: a
    fragment the page loads after itself."""
    principal = request.principal
    if request.GET.get("year", "").isdigit():  # as the page asks: the years need not be read again
        year, distributor_id = int(request.GET["year"]), None
        if request.GET.get("distributor", "").isdigit():
            distributor_id = int(request.GET["distributor"])
    else:
        _years, year, distributor_id = _segment_year(request, principal)
    charts = selectors.segment_charts(principal=principal, year=year, distributor_id=distributor_id)
    labels = {"volume": _("Volume (RON)"), "cumulative": _("Cumulative %"), "share": _("Share of potential %"),
              "answers": _("Answers"), "over": _("More than the recorded potential: the potential looks too low.")}
    return render(request, "sales/_segment_charts.html", {
        "charts": charts, "charts_json": json.dumps(charts, cls=DjangoJSONEncoder),
        "labels_json": json.dumps(labels, cls=DjangoJSONEncoder),
    })


@require_POST
def segment_recompute(request):
    principal = request.principal
    distributor = None
    if request.POST.get("distributor", "").isdigit():
        distributor = get_visible_or_404(Distributor, principal, pk=int(request.POST["distributor"]))
    segment_recompute_queue(principal=principal, distributor=distributor)
    messages.success(request, _("The segments are being recomputed in the background; reload the page in a moment."))
    return redirect("sales:segment_list")


def survey_list(request):
    principal = request.principal
    return render(request, "sales/survey_list.html", {
        "surveys": selectors.survey_list(principal=principal),
        "nps": selectors.nps_summary(principal=principal),
        "by_distributor": selectors.nps_by_distributor(principal=principal),
        "can_create": can(principal, "sales.salesreport.upload"),
        "breadcrumbs": [(_("Surveys"), "")],
    })


@require_http_methods(["GET", "POST"])
def survey_create(request):
    principal = request.principal
    require(principal, "sales.salesreport.upload")  # the roles that may run a campaign for some distributor
    network_wide = can(principal, "sales.survey.create")
    form = SurveyForm(request.POST or None, distributors=selectors.distributors_for_upload(principal),
                      network_wide=network_wide, initial={"closes_on": date.today() + timedelta(days=30)})
    if request.method == "POST" and form.is_valid():
        try:
            survey = survey_services.survey_create(principal=principal, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Survey created: now invite client contacts."))
            return redirect(survey)
    return render(request, "sales/survey_form.html", {
        "form": form, "breadcrumbs": [(_("Surveys"), "sales:survey_list"), (_("New"), "")],
    }, status=422 if request.method == "POST" else 200)


def _invitation_form(principal, survey, data=None):
    clients = CorporateClient.objects.visible_to(principal).only("pk", "legal_name")
    if survey.distributor_id:
        clients = clients.filter(distributor_id=survey.distributor_id)
    return InvitationForm(data, clients=clients)


@require_http_methods(["GET", "POST"])
def survey_detail(request, pk):
    principal = request.principal
    survey = selectors.survey_get(principal=principal, pk=pk)
    may_invite = can(principal, "sales.survey.change", survey)
    form = _invitation_form(principal, survey, request.POST or None) if may_invite else None
    new_link = None
    status = 200
    if request.method == "POST":
        if not may_invite:
            raise PermissionDenied
        if form.is_valid():
            try:
                invitation, raw = survey_services.survey_invite(principal=principal, survey=survey, request=request,
                                                         **form.cleaned_data)
            except ValidationError as exc:
                form.add_error(None, exc)
                status = 422
            else:
                new_link = request.build_absolute_uri(reverse("sales:survey_public", args=[raw]))
                messages.success(request, _("Invitation created for %(name)s.") % {"name": invitation.contact_name})
                form = _invitation_form(principal, survey)
        else:
            status = 422
    return render(request, "sales/survey_detail.html", {
        "survey": survey, "form": form, "new_link": new_link,
        "invitations": selectors.invitation_list(principal=principal, survey=survey),
        "responses": selectors.response_list(principal=principal, filters={"survey_id": survey.pk}),
        "nps": selectors.nps_summary(principal=principal, survey_id=survey.pk),
        "breadcrumbs": [(_("Surveys"), "sales:survey_list"), (survey.name, "")],
    }, status=status)


@require_http_methods(["GET", "POST"])
def survey_answer_record(request, pk):
    """A staff member records an answer a client contact gave by phone or at a meeting (sales/survey_answers.py)."""
    from .forms import RecordedAnswerForm
    from .models import SurveyInvitation
    from .survey_answers import survey_answer_record as record

    principal = request.principal
    invitation = get_visible_or_404(SurveyInvitation.objects.select_related("survey", "client"), principal, pk=pk)
    survey = selectors.survey_get(principal=principal, pk=invitation.survey_id)
    require(principal, "sales.survey.change", survey)
    form = RecordedAnswerForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                record(principal=principal, invitation=invitation, **form.cleaned_data)
            except ConflictError as exc:
                form.add_error(None, exc.message)
                status = 409
            except ValidationError as exc:
                form.add_error(None, exc)
                status = 422
            else:
                messages.success(request, _("Answer of %(name)s recorded.") % {"name": invitation.contact_name})
                return redirect(survey)
        else:
            status = 422
    return render(request, "sales/survey_answer_form.html", {
        "form": form, "invitation": invitation, "survey": survey,
        "breadcrumbs": [(_("Surveys"), "sales:survey_list"), (survey.name, survey.get_absolute_url()),
                        (_("Record an answer"), "")],
    }, status=status)


@login_not_required
@require_http_methods(["GET", "POST"])
def survey_public(request, token):
    """The client contact's page: no login, one answer per link, closed after the expiry date."""
    invitation = survey_services.invitation_for_token(token)
    if invitation is None:
        return render(request, "sales/survey_public.html", {"state": "invalid"}, status=404)
    if invitation.responded_at is not None:
        return render(request, "sales/survey_public.html", {"state": "answered", "invitation": invitation})
    if invitation.is_expired:
        return render(request, "sales/survey_public.html", {"state": "expired", "invitation": invitation}, status=410)
    form = SurveyAnswerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            survey_services.survey_respond(token=token, **form.cleaned_data)
        except ConflictError:
            return render(request, "sales/survey_public.html", {"state": "answered", "invitation": invitation})
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return render(request, "sales/survey_public.html", {"state": "thanks", "invitation": invitation})
    return render(request, "sales/survey_public.html", {"state": "open", "invitation": invitation, "form": form},
                  status=422 if request.method == "POST" else 200)


__all__ = ["get_object_or_404"]
