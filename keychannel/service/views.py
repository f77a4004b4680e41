"""Pages of the service app: case list and detail (conversation, status, assignment, take-over), opening a case,
a client's service page (public form links, health), the SLA report, and the client contact's public pages."""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from keychannel.clients.models import CorporateClient
from keychannel.core.assignment import AssignmentRefused, form_refusal
from keychannel.core.errors import ConflictError
from keychannel.core.forms import service_errors_to_form
from keychannel.core.partials import render_partial
from keychannel.core.policies import can
from keychannel.core.ratelimit import throttle_page
from keychannel.core.scoping import get_visible_or_404
from keychannel.core.tables import Column, Table
from keychannel.network.models import Distributor

from . import mailin, satisfaction, selectors, services, tokens
from .filters import CASE_FILTERS
from .forms import (
    AssignForm,
    CaseCreateForm,
    MessageForm,
    PublicCaseForm,
    PublicReplyForm,
    RatingForm,
    StatusForm,
    TakeoverForm,
)
from .models import CaseMessage
from .report import report_context

PUBLIC_RATE = "KEYCHANNEL_SERVICE_PUBLIC_RATE_LIMIT"

TABLE = Table(
    columns=[
        Column("reference", _("Case"), link=True),
        Column("title", _("Subject"), sort="title"),
        Column("client.legal_name", _("Client"), sort="client__legal_name"),
        Column("distributor.code", _("Distributor"), sort="distributor__code"),
        Column("get_priority_display", _("Priority"), sort="priority", badge=True),
        Column("get_status_display", _("Status"), sort="status", badge=True),
        Column("resolution_due_at", _("Resolution due"), sort="resolution_due_at"),
        Column("assignee.get_full_name", _("Assignee")),
    ],
    search_fields=["title", "client__legal_name"],
    filters=CASE_FILTERS,
    default_sort="-opened_at",
)


def case_list(request):
    principal = request.principal
    qs = selectors.case_list(principal=principal, filters=TABLE.filter_values(request))
    return render_partial(request, "service/case_list.html", {
        "table": TABLE.build(request, qs),
        "can_create": can(principal, "service.case.create"),
        "breadcrumbs": [(_("Service cases"), "")],
    }, partial="includes/table.html")


@require_http_methods(["GET", "POST"])
def case_create(request):
    principal = request.principal
    if not can(principal, "service.case.create"):
        raise PermissionDenied
    initial = {"client": request.GET.get("client")} if request.GET.get("client") else None
    form = CaseCreateForm(request.POST or None, principal=principal, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                case = services.case_open(principal=principal, **data)
            except ValidationError as exc:
                service_errors_to_form(form, exc)
            except AssignmentRefused as exc:
                form_refusal(form, exc)
            else:
                messages.success(request, _("Case %(ref)s opened.") % {"ref": case.reference})
                return redirect(case)
        status = 422
    return render(request, "core/form.html", {
        "form": form, "title": _("New service case"), "cancel_url": "service:case_list",
        "breadcrumbs": [(_("Service cases"), "service:case_list"), (_("New"), "")],
    }, status=status)


def _detail_context(request, case, **extra):
    principal = request.principal
    context = {
        "case": case,
        "risk": selectors.with_risk([case])[0].risk,
        "messages_list": selectors.message_list(principal=principal, case=case),
        "events": selectors.event_list(principal=principal, case=case),
        "can_work": can(principal, "service.case.work", case),
        "can_assign": can(principal, "service.case.assign", case),
        "can_takeover": can(principal, "service.case.takeover", case) and case.taken_over_at is None and case.is_open,
        "message_form": MessageForm(manufacturer=can(principal, "service.case.manufacturer_note", case)),
        "status_form": StatusForm(initial={"status": case.status}),
        "assign_form": AssignForm(principal=principal, current_id=case.assignee_id,
                                  initial={"assignee": case.assignee_id}),
        "takeover_form": TakeoverForm(),
        "public_url": tokens.case_public_url(case),
        "now": timezone.now(),
        "breadcrumbs": [(_("Service cases"), "service:case_list"), (case.reference, "")],
    }
    context.update(extra)
    return context


def case_detail(request, pk):
    case = selectors.case_get(principal=request.principal, pk=pk)
    return render(request, "service/case_detail.html", _detail_context(request, case))


def _post(request, pk, form, run, done):
    """Run one write from the detail page; a refusal re-renders the page with the form's errors (422)."""
    principal = request.principal
    case = selectors.case_get(principal=principal, pk=pk)
    if form.is_valid():
        try:
            run(principal, case, form.cleaned_data)
        except ValidationError as exc:
            service_errors_to_form(form, exc)
        except AssignmentRefused as exc:
            form_refusal(form, exc)
        except ConflictError as exc:
            form.add_error(None, str(exc))
            return render(request, "service/case_detail.html", _detail_context(request, case, **{form.kc_name: form}),
                          status=409)
        else:
            messages.success(request, done)
            return redirect(case)
    case.refresh_from_db()
    return render(request, "service/case_detail.html", _detail_context(request, case, **{form.kc_name: form}),
                  status=422)


@require_POST
def case_message(request, pk):
    # Every kind is a choice here: message_add asks the policy (a manufacturer note from a distributor user is a 403).
    form = MessageForm(request.POST, request.FILES, manufacturer=True)
    form.kc_name = "message_form"
    return _post(request, pk, form, lambda p, case, d: services.message_add(
        principal=p, case=case, kind=d["kind"], body=d["body"], attachment=d.get("attachment")), _("Message added."))


@require_POST
def case_status(request, pk):
    form = StatusForm(request.POST)
    form.kc_name = "status_form"
    return _post(request, pk, form, lambda p, case, d: services.case_set_status(
        principal=p, case=case, status=d["status"], note=d.get("note", "")), _("Status changed."))


@require_POST
def case_assign(request, pk):
    principal = request.principal
    form = AssignForm(request.POST, principal=principal)
    form.kc_name = "assign_form"
    return _post(request, pk, form, lambda p, case, d: services.case_assign(
        principal=p, case=case, assignee=d.get("assignee")), _("Assignee changed."))


@require_POST
def case_takeover(request, pk):
    form = TakeoverForm(request.POST)
    form.kc_name = "takeover_form"
    return _post(request, pk, form, lambda p, case, d: services.case_takeover(
        principal=p, case=case, reason=d.get("reason", "")), _("The manufacturer leads this case now."))


def message_attachment(request, pk):
    """An attachment, only to those who may read its message (never from the media URL)."""
    message = get_visible_or_404(CaseMessage.objects.select_related("case"), request.principal, pk=pk)
    if not message.attachment:
        raise Http404
    return FileResponse(message.attachment.open("rb"), as_attachment=True,
                        content_type=message.attachment_content_type or "application/octet-stream",
                        filename=message.attachment.name.rsplit("/", 1)[-1])


def client_service(request, client_id):
    """A client's service page: its health, its open cases, the public case-form link."""
    principal = request.principal
    client = get_visible_or_404(CorporateClient, principal, pk=client_id)
    return render(request, "service/client_service.html", {
        "client": client,
        "health": selectors.client_service_health(principal=principal, client=client),
        "links": selectors.intake_links(principal=principal, client=client),
        "new_link": request.session.pop(f"service-link-{client.pk}", ""),
        "new_address": request.session.pop(f"service-address-{client.pk}", ""),
        "can_create": can(principal, "service.case.create", client),
        "breadcrumbs": [(_("Service cases"), "service:case_list"), (client.legal_name, "")],
    })


def client_panel(request, client_id):
    """The service-health panel on the client's page (a fragment the page loads)."""
    principal = request.principal
    client = get_visible_or_404(CorporateClient, principal, pk=client_id)
    return render(request, "service/_client_panel.html", {
        "client": client, "health": selectors.client_service_health(principal=principal, client=client)})


def distributor_panel(request, distributor_id):
    """The service-health panel of a distributor's scorecard (a fragment the scorecard page loads)."""
    principal = request.principal
    distributor = get_visible_or_404(Distributor, principal, pk=distributor_id)
    return render(request, "service/_distributor_panel.html", {
        "distributor": distributor,
        "health": selectors.service_health_for_distributor(principal, distributor)})


def segment_panel(request, year):
    """Satisfaction from case ratings on the segments page (a fragment the page loads for its year): the service NPS
    and each rated client's class, detractors first (satisfaction.py)."""
    report = satisfaction.report(request.principal, year=year)
    return render(request, "service/_segment_panel.html", {
        "report": report, "shown": report["clients"][:12], "year": year})


@require_POST
def intake_link_create(request, client_id):
    principal = request.principal
    client = get_visible_or_404(CorporateClient, principal, pk=client_id)
    link, url = services.intake_link_create(principal=principal, client=client)
    request.session[f"service-link-{client.pk}"] = request.build_absolute_uri(url)
    request.session[f"service-address-{client.pk}"] = mailin.intake_address(link)
    messages.success(request, _("Public case form link created: send it to the client's contact."))
    return redirect("service:client_service", client_id=client.pk)


def report(request):
    principal = request.principal
    if not can(principal, "service.report.view"):
        raise PermissionDenied
    return render(request, "service/report.html", report_context(request, principal))


# ---------------------------------------------------------------------------------------------- public pages


@login_not_required
@require_http_methods(["GET", "POST"])
def intake_public(request, token):
    """The client's contact opens a case: no account, reveals nothing but the client's name."""
    limited = throttle_page(request, "service-public", PUBLIC_RATE)
    if limited is not None:
        return limited
    link = tokens.intake_for_token(token)
    if link is None:
        return render(request, "service/public.html", {"state": "invalid"}, status=404)
    form = PublicCaseForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if form.is_valid():
            data = dict(form.cleaned_data)
            attachment = data.pop("attachment", None)
            try:
                case = services.case_open_public(token=token, attachment=attachment, **data)
            except ValidationError as exc:
                service_errors_to_form(form, exc)
            else:
                return redirect("service:case_public", token=tokens.case_token(case))
        return render(request, "service/public.html", {"state": "form", "link": link, "form": form}, status=422)
    return render(request, "service/public.html", {"state": "form", "link": link, "form": form})


@login_not_required
@require_http_methods(["GET", "POST"])
def case_public(request, token):
    """The contact's page of one case: public replies only, a reply box, and the rating once resolved."""
    limited = throttle_page(request, "service-public", PUBLIC_RATE)
    if limited is not None:
        return limited
    case = tokens.case_for_token(token)
    if case is None:
        return render(request, "service/public.html", {"state": "invalid"}, status=404)
    reply_form, rating_form, status = PublicReplyForm(), RatingForm(), 200
    if request.method == "POST":
        try:
            if "rating" in request.POST:
                rating_form = RatingForm(request.POST)
                if rating_form.is_valid():
                    services.case_rate(token=token, **rating_form.cleaned_data)
                    return redirect("service:case_public", token=token)
            else:
                reply_form = PublicReplyForm(request.POST, request.FILES)
                if reply_form.is_valid():
                    services.public_reply(token=token, **reply_form.cleaned_data)
                    return redirect("service:case_public", token=token)
            status = 422
        except ValidationError as exc:
            service_errors_to_form(rating_form if "rating" in request.POST else reply_form, exc)
            status = 422
        except ConflictError as exc:
            (rating_form if "rating" in request.POST else reply_form).add_error(None, str(exc))
            status = 409
        case.refresh_from_db()
    return render(request, "service/public.html", {
        "state": "case", "case": case, "messages_list": selectors.public_messages(case),
        "reply_form": reply_form, "rating_form": rating_form,
    }, status=status)
