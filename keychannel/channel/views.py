"""Pages of the channel app: registration and conflict queues, decisions, leads, figures."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from keychannel.core.errors import ConflictError
from keychannel.core.forms import service_errors_to_form
from keychannel.core.partials import render_partial
from keychannel.core.policies import can, require
from keychannel.core.tables import Column, Table
from keychannel.core.views import form_page, form_saved

from . import selectors, services
from .checks import describe_checks
from .choices import ConflictKind
from .filters import CONFLICT_FILTERS, LEAD_FILTERS, PRECEDENT_FILTERS, REGISTRATION_FILTERS
from .forms import (
    CommentForm,
    DecisionForm,
    LeadAssignForm,
    LeadForm,
    LeadResponseForm,
    RegistrationForm,
    ResolveForm,
)

# --- registrations ---------------------------------------------------------------------------------------------

REGISTRATION_TABLE = Table(
    columns=[
        Column("client_name", gettext_lazy("Client"), sort="client_name", link=True),
        Column("distributor.code", gettext_lazy("Distributor"), sort="distributor__code"),
        Column("title", gettext_lazy("Deal")),
        Column("get_effective_status_display", gettext_lazy("Status"), sort="status", badge=True),
        Column("holds_claim", gettext_lazy("First")),
        Column("submitted_on", gettext_lazy("Submitted"), sort="submitted_on"),
        Column("age_days", gettext_lazy("Age (days)")),
        Column("protected_until", gettext_lazy("Protected until"), sort="protected_until"),
        Column("estimated_value", gettext_lazy("Value (RON)"), sort="estimated_value"),
    ],
    search_fields=["client_name", "title"],
    filters=REGISTRATION_FILTERS,
    default_sort="-submitted_on",
)


def registration_list(request):
    principal = request.principal
    mine = request.GET.get("mine") == "1"
    qs = selectors.registration_list(principal=principal, filters={**REGISTRATION_TABLE.filter_values(request), "mine": mine})
    table = REGISTRATION_TABLE.build(request, qs)
    title = _("My registrations") if principal.is_distributor_user or mine else _("Registrations queue")
    return render_partial(
        request,
        "channel/registration_list.html",
        {
            "table": table, "title": title, "mine": mine,
            "can_register": can(principal, "channel.registration.create"),
            "breadcrumbs": [(title, "")],
        },
        partial="includes/table.html",
    )


@require_http_methods(["GET", "POST"])
def registration_create(request):
    principal = request.principal
    require(principal, "channel.registration.create")
    form = RegistrationForm(request.POST or None, principal=principal)
    if request.method == "GET":
        _prefill_registration(form, request.GET)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            registration = services.registration_submit(
                principal=principal, distributor=data["distributor"], client=data.get("client"),
                legal_name=data.get("legal_name", ""), tax_id=data.get("tax_id", ""), territory=data.get("territory"),
                title=data["title"], product_lines=list(data["product_lines"]), estimated_value=data["estimated_value"],
                expected_close_on=data["expected_close_on"], notes=data.get("notes", ""),
                opportunity=data.get("opportunity"),
            )
        except ValidationError as exc:
            service_errors_to_form(form, exc)
        except ConflictError as exc:
            form.add_error(None, exc.message)
        else:
            if registration.checks:
                messages.warning(request, _("Registered, with conflicts to decide: see the reasons below."))
            else:
                messages.success(request, _("Registered: every automatic check passed."))
            return redirect(registration)
    return render(
        request,
        "channel/registration_form.html",
        {"form": form, "breadcrumbs": [(_("Registrations"), "channel:registration_list"), (_("Register a client"), "")]},
        status=422 if form.errors else 200,
    )


def _prefill_registration(form, query) -> None:
    """The registration gate's "register this deal" link fills the form from the deal (only valid choices)."""
    for name in ("client", "opportunity"):
        value = query.get(name, "")
        if value.isdigit() and form.fields[name].queryset.filter(pk=value).exists():
            form.initial[name] = int(value)
    lines = [v for v in query.getlist("product_lines") if v.isdigit()]
    if lines:
        form.initial["product_lines"] = list(
            form.fields["product_lines"].queryset.filter(pk__in=lines).values_list("pk", flat=True))
    for name, limit in (("title", 200), ("estimated_value", 20), ("expected_close_on", 10)):
        if value := query.get(name, "").strip():
            form.initial[name] = value[:limit]


def _registration_page(request, registration, *, decision_form=None, status=200):
    principal = request.principal
    return render(
        request,
        "channel/registration_detail.html",
        {
            "registration": registration,
            "reasons": describe_checks(registration.checks),
            "conflicts": selectors.registration_conflicts(principal=principal, registration=registration),
            "can_decide": can(principal, "channel.registration.decide", registration),
            "decision_form": decision_form or DecisionForm(),
            "breadcrumbs": [(_("Registrations"), "channel:registration_list"), (registration.client_name, "")],
        },
        status=status,
    )


def registration_detail(request, pk):
    return _registration_page(request, selectors.registration_get(principal=request.principal, pk=pk))


@require_POST
def registration_decide(request, pk):
    principal = request.principal
    registration = selectors.registration_get(principal=principal, pk=pk)
    require(principal, "channel.registration.decide", registration)
    form = DecisionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if data["action"] == "approve":
                services.registration_approve(principal=principal, registration=registration,
                                              protected_until=data["protected_until"], reason=data["reason"])
            elif data["action"] == "reject":
                services.registration_reject(principal=principal, registration=registration, reason=data["reason"])
            else:
                services.registration_extend(principal=principal, registration=registration, days=data["days"],
                                             reason=data["reason"])
        except ValidationError as exc:
            service_errors_to_form(form, exc)
        except ConflictError as exc:
            form.add_error(None, exc.message)
            return _registration_page(request, registration, decision_form=form, status=409)
        else:
            messages.success(request, _("Decision recorded; the registrant is notified."))
            return redirect(registration)
    return _registration_page(request, registration, decision_form=form, status=422)


# --- conflicts -------------------------------------------------------------------------------------------------

CONFLICT_COLUMNS = [
    Column("pk", gettext_lazy("#"), sort="id", link=True),
    Column("get_kind_display", gettext_lazy("Kind"), sort="kind", badge=True),
    Column("client_name", gettext_lazy("Client"), sort="client_name", link=True),
    Column("territory", gettext_lazy("Territory"), sort="territory__name"),
    Column("get_status_display", gettext_lazy("Status"), sort="status"),
    Column("due_on", gettext_lazy("Due"), sort="due_on"),
    Column("age_days", gettext_lazy("Age (days)")),
    Column("get_resolution_display", gettext_lazy("Resolution"), sort="resolution"),
]

CONFLICT_TABLE = Table(
    columns=CONFLICT_COLUMNS,
    search_fields=["client_name", "reason"],
    filters=CONFLICT_FILTERS,
    default_sort="due_on",
)


def conflict_list(request):
    principal = request.principal
    overdue = request.GET.get("overdue") == "1"
    filters = {**CONFLICT_TABLE.filter_values(request), "overdue": overdue}
    table = CONFLICT_TABLE.build(request, selectors.conflict_list(principal=principal, filters=filters))
    return render_partial(
        request,
        "channel/conflict_list.html",
        {"table": table, "overdue": overdue, "can_resolve_any": can(principal, "channel.conflict.resolve"),
         "breadcrumbs": [(_("Conflicts queue"), "")]},
        partial="includes/table.html",
    )


PRECEDENT_TABLE = Table(
    columns=[*CONFLICT_COLUMNS[:4], Column("decision_note", gettext_lazy("Decision")),
             Column("decided_at", gettext_lazy("Decided"), sort="decided_at"), CONFLICT_COLUMNS[-1]],
    search_fields=["client_name", "reason", "decision_note"],
    filters=PRECEDENT_FILTERS,
    default_sort="-decided_at",
)


def precedent_list(request):
    principal = request.principal
    qs = selectors.precedent_list(principal=principal, filters=PRECEDENT_TABLE.filter_values(request))
    table = PRECEDENT_TABLE.build(request, qs)
    return render_partial(
        request,
        "channel/precedent_list.html",
        {"table": table, "breadcrumbs": [(_("Conflicts"), "channel:conflict_list"), (_("Precedents"), "")]},
        partial="includes/table.html",
    )


def _conflict_page(request, conflict, *, comment_form=None, resolve_form=None, status=200):
    principal = request.principal
    can_resolve = can(principal, "channel.conflict.resolve", conflict)
    return render(
        request,
        "channel/conflict_detail.html",
        {
            "conflict": conflict,
            "sides": selectors.conflict_sides(principal=principal, conflict=conflict),
            "comments": selectors.conflict_comments(principal=principal, conflict=conflict),
            "can_comment": can(principal, "channel.conflict.comment", conflict),
            "can_resolve": can_resolve and conflict.is_open,
            "comment_form": comment_form or CommentForm(principal=principal),
            "resolve_form": resolve_form or (ResolveForm(conflict=conflict) if can_resolve else None),
            "award_label": selectors.conflict_award_label(principal=principal, conflict=conflict),
            "breadcrumbs": [(_("Conflicts"), "channel:conflict_list"), (f"#{conflict.pk}", "")],
        },
        status=status,
    )


def conflict_detail(request, pk):
    return _conflict_page(request, selectors.conflict_get(principal=request.principal, pk=pk))


@require_POST
def conflict_comment(request, pk):
    principal = request.principal
    conflict = selectors.conflict_get(principal=principal, pk=pk)
    require(principal, "channel.conflict.comment", conflict)
    form = CommentForm(request.POST, principal=principal)
    saved = form_saved(request, form, lambda data: services.conflict_comment(
        principal=principal, conflict=conflict, body=data["body"], internal=data.get("internal", False),
    ), _("Comment added."), back=conflict.get_absolute_url() + "#comments")
    if saved is not None:
        return saved
    return _conflict_page(request, conflict, comment_form=form, status=422)


@require_POST
def conflict_review(request, pk):
    principal = request.principal
    conflict = selectors.conflict_get(principal=principal, pk=pk)
    require(principal, "channel.conflict.resolve", conflict)
    try:
        services.conflict_start_review(principal=principal, conflict=conflict)
    except ConflictError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The conflict is under review."))
    return redirect(conflict)


@require_POST
def conflict_resolve(request, pk):
    principal = request.principal
    conflict = selectors.conflict_get(principal=principal, pk=pk)
    require(principal, "channel.conflict.resolve", conflict)
    form = ResolveForm(request.POST, conflict=conflict)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.conflict_resolve(
                principal=principal, conflict=conflict, resolution=data["resolution"], note=data["note"],
                awarded_to_id=data["awarded_to"], shares=form.shares(),
                out_of_scope_reason=data["out_of_scope_reason"], notice_days=data["notice_days"],
                in_flight=data["in_flight"], grace_until=data["grace_until"], compensation=data["compensation"],
                grace_days=data["grace_days"], hand_over_ids=data.get("hand_over") or [],
                end_contract=data["end_contract"], end_contract_reason=data["end_contract_reason"],
            )
        except ValidationError as exc:
            service_errors_to_form(form, exc)
        except ConflictError as exc:
            form.add_error(None, exc.message)
            return _conflict_page(request, conflict, resolve_form=form, status=409)
        else:
            messages.success(request, _("Conflict decided; the parties are notified."))
            return redirect(conflict)
    return _conflict_page(request, conflict, resolve_form=form, status=422)


def figures(request):
    principal = request.principal
    require(principal, "channel.figures.view")
    data = selectors.queue_figures(principal=principal)
    kinds = dict(ConflictKind.choices)
    chart = {
        "kinds": [str(kinds[k]) for k in ConflictKind.values],
        "kind_counts": [data["by_kind"].get(k, 0) for k in ConflictKind.values],
        "territories": [row["territory__name"] or _("(none)") for row in data["by_territory"]],
        "territory_open": [row["open"] for row in data["by_territory"]],
        "territory_resolved": [row["resolved"] for row in data["by_territory"]],
        "labels": {"open": _("Open"), "resolved": _("Resolved"), "by_kind": _("Open conflicts by kind")},
    }
    return render(
        request,
        "channel/figures.html",
        {"chart": chart, "figures": data, "breadcrumbs": [(_("Channel figures"), "")]},
    )


# --- leads -----------------------------------------------------------------------------------------------------

LEAD_TABLE = Table(
    columns=[
        Column("company_name", gettext_lazy("Company"), sort="company_name", link=True),
        Column("territory", gettext_lazy("Territory"), sort="territory__name"),
        Column("get_source_display", gettext_lazy("Source")),
        Column("get_status_display", gettext_lazy("Status"), sort="status", badge=True),
        Column("estimated_value", gettext_lazy("Value (RON)"), sort="estimated_value"),
        Column("created_at", gettext_lazy("Passed on"), sort="created_at"),
    ],
    search_fields=["company_name"],
    filters=LEAD_FILTERS,
    default_sort="-created_at",
)


def lead_list(request):
    principal = request.principal
    table = LEAD_TABLE.build(request, selectors.lead_list(principal=principal, filters=LEAD_TABLE.filter_values(request)))
    return render_partial(
        request,
        "channel/lead_list.html",
        {"table": table, "can_create": can(principal, "channel.lead.create"), "breadcrumbs": [(_("Leads"), "")]},
        partial="includes/table.html",
    )


@require_http_methods(["GET", "POST"])
def lead_create(request):
    principal = request.principal
    require(principal, "channel.lead.create")
    form = LeadForm(request.POST or None, principal=principal)

    def save(data):
        return services.lead_create(
            principal=principal, company_name=data["company_name"], tax_id=data["tax_id"],
            territory=data["territory"], product_lines=list(data["product_lines"]),
            estimated_value=data["estimated_value"], source=data["source"], contact_name=data["contact_name"],
            contact_email=data["contact_email"], notes=data["notes"],
        )

    return form_page(request, form, title=_("Pass a lead"), template="channel/lead_form.html", save=save,
                     success=lambda lead: _("Lead passed on: %(s)s.") % {"s": lead.get_status_display()},
                     breadcrumbs=[(_("Leads"), "channel:lead_list"), (_("Pass a lead"), "")])


def _lead_page(request, lead, *, form=None, assign_form=None, status=200):
    principal = request.principal
    offer = selectors.open_offer_for(principal=principal, lead=lead)
    can_assign = lead.status == "unassigned" and can(principal, "channel.lead.assign", lead)
    return render(
        request,
        "channel/lead_detail.html",
        {
            "lead": lead,
            "offers": selectors.lead_offers(principal=principal, lead=lead),
            "offer": offer,
            "can_respond": offer is not None and can(principal, "channel.lead.respond", offer),
            "form": form or LeadResponseForm(),
            "can_assign": can_assign,
            "assign_form": assign_form or (LeadAssignForm(principal=principal) if can_assign else None),
            "breadcrumbs": [(_("Leads"), "channel:lead_list"), (lead.company_name, "")],
        },
        status=status,
    )


def lead_detail(request, pk):
    return _lead_page(request, selectors.lead_get(principal=request.principal, pk=pk))


@require_POST
def lead_respond(request, pk):
    principal = request.principal
    lead = selectors.lead_get(principal=principal, pk=pk)
    offer = selectors.open_offer_for(principal=principal, lead=lead)
    require(principal, "channel.lead.respond", offer)
    form = LeadResponseForm(request.POST)
    if form.is_valid():
        try:
            if form.cleaned_data["action"] == "accept":
                services.lead_accept(principal=principal, offer=offer)
                messages.success(request, _("Lead accepted: it is now your registration and opportunity."))
            else:
                services.lead_decline(principal=principal, offer=offer, reason=form.cleaned_data["reason"])
                messages.success(request, _("Lead declined; it goes to the next eligible distributor."))
        except ValidationError as exc:
            service_errors_to_form(form, exc)
        except ConflictError as exc:
            form.add_error(None, exc.message)
            return _lead_page(request, lead, form=form, status=409)
        else:
            return redirect(lead)
    return _lead_page(request, lead, form=form, status=422)


@require_POST
def lead_assign(request, pk):
    """The manufacturer hands a lead nobody took to a distributor and a person there (services.leads.lead_assign)."""
    principal = request.principal
    lead = selectors.lead_get(principal=principal, pk=pk)
    require(principal, "channel.lead.assign", lead)
    form = LeadAssignForm(request.POST, principal=principal)
    if form.is_valid():
        try:
            services.lead_assign(principal=principal, lead=lead, **form.cleaned_data)
        except ValidationError as exc:
            service_errors_to_form(form, exc)
        except ConflictError as exc:
            form.add_error(None, exc.message)
            return _lead_page(request, lead, assign_form=form, status=409)
        else:
            messages.success(request, _("Lead assigned: the distributor is asked to take it."))
            return redirect(lead)
    return _lead_page(request, lead, assign_form=form, status=422)


# --- the channel policy ----------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def channel_policy(request):
    """The registration gate's rules, readable by everyone; its settings changed by the program office."""
    from .forms import ChannelPolicyForm
    from .gate import channel_policy_update
    from .models import ChannelPolicy

    principal = request.principal
    policy = ChannelPolicy.current()
    can_change = can(principal, "channel.policy.change")
    if request.method == "POST":
        require(principal, "channel.policy.change")
    form = ChannelPolicyForm(request.POST or None, initial={
        "key_accounts_need_registration": policy.key_accounts_need_registration,
        "registration_value_threshold": policy.registration_value_threshold,
        "out_of_scope_grace_days": policy.out_of_scope_grace_days,
        "product_test_needs_manufacturer_signoff": policy.product_test_needs_manufacturer_signoff,
    })
    saved = form_saved(request, form, lambda data: channel_policy_update(principal=principal, **data),
                       _("Channel policy saved."), back="channel:policy")
    if saved is not None:
        return saved
    return render(request, "channel/policy.html", {
        "policy": policy, "form": form, "can_change": can_change,
        "breadcrumbs": [(_("Registrations"), "channel:registration_list"), (_("Channel policy"), "")],
    }, status=422 if form.errors else 200)
