"""Pages of the deals app: pipeline (table and kanban), deal page, activities, product tests, contracts, forecast."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from keychannel.clients.selectors import buying_centre_analysis
from keychannel.core.assignment import AssignmentRefused, form_refusal
from keychannel.core.exports import export_response
from keychannel.core.filters import many_choices
from keychannel.core.forms import service_errors_to_form
from keychannel.core.partials import error_text, htmx_error, is_htmx, render_partial
from keychannel.core.policies import can, require
from keychannel.core.tables import Column, Filter, Table

from . import forecast as forecasts
from . import selectors, services, signoff
from .cards import Card, card_html
from .choices import ContractStatus, ForecastDimension, Stage
from .forms import (
    ActivityForm,
    ApprovalForm,
    ContractForm,
    MoveForm,
    OpportunityCreateForm,
    OpportunityForm,
    ProductTestForm,
    SignoffForm,
)
from .tables import filter_choices, pipeline_filters, pipeline_table

FILTER_NAMES = ("q", "stage", "distributor_id", "distributor_q", "territory_id", "product_line_id", "owner_id",
                "close_month", "attention")
# Up to this many distributors the kanban offers them in a list; beyond, the user types a code or a name.
DISTRIBUTOR_SELECT_MAX = 50


def opportunity_list(request):
    principal = request.principal
    table = pipeline_table(principal).build(request, selectors.opportunity_table_rows(principal=principal))
    return render_partial(
        request, "deals/opportunity_list.html",
        {"table": table, "can_create": can(principal, "deals.opportunity.create"),
         "breadcrumbs": [(_("Deals"), "")]},
        partial="includes/table.html",
    )


def _board_filters(request):
    """The kanban's filters (the valid ones only) and the filter controls to show."""
    principal = request.principal
    filters = {name: request.GET.get(name, "").strip() for name in FILTER_NAMES}
    flts = pipeline_filters(principal)
    by_name = {f.name: f for f in flts}
    # a value is checked against its filter's choices only when given (the distributors are not read for nothing)
    active = {k: v for k, v in filters.items()
              if v and (k in ("q", "distributor_q") or (k in by_name and any(c[0] == v for c in by_name[k].choices)))}
    active["distributor_q"] = active.get("distributor_q", "")[:100]
    distributors = by_name["distributor_id"]
    typed = many_choices(distributors.choices, DISTRIBUTOR_SELECT_MAX)
    if typed:  # the long list becomes a text filter; a distributor chosen elsewhere (the table) is shown by code
        flts = [f for f in flts if f.name != "distributor_id"]
        if (chosen := active.pop("distributor_id", "")) and not active["distributor_q"]:
            active["distributor_q"] = dict(distributors.choices).get(chosen, "")
    else:
        active.pop("distributor_q")
    return {k: v for k, v in active.items() if v}, flts, typed


def pipeline(request):
    principal = request.principal
    active, flts, typed = _board_filters(request)
    columns = selectors.pipeline_board(principal=principal, filters=active)
    for column in columns:
        for card in column["cards"]:  # a card the user may not move cannot be picked up (pipeline.js)
            card.movable = can(principal, "deals.opportunity.change", card)
    return render_partial(
        request, "deals/pipeline.html",
        {"columns": columns, "filters": flts, "active": active, "distributor_typed": typed,
         "query": request.GET.urlencode(), "board_query": _board_query(active),
         "move_form": SimpleLazyObject(lambda: MoveForm(auto_id="move-dialog-%s")),  # read when not cached
         "can_create": can(principal, "deals.opportunity.create"), "breadcrumbs": [(_("Pipeline"), "")]},
        partial="deals/includes/board.html",
    )


def _board_query(active: dict) -> str:
    query = QueryDict(mutable=True)
    query.update(active)
    return query.urlencode()


@require_GET
def pipeline_column(request, stage):
    """More cards of one kanban column (HTMX): the next ``CARDS_PER_COLUMN`` after ``offset``, with the same
    filters as the board, and the button for the ones after them."""
    principal = request.principal
    if stage not in Stage.values:
        raise Http404
    try:
        offset = max(0, min(int(request.GET.get("offset", selectors.CARDS_PER_COLUMN)), 1_000_000))
        count = max(0, int(request.GET.get("count", 0)))
    except ValueError:
        offset, count = selectors.CARDS_PER_COLUMN, 0
    active, _flts, _typed = _board_filters(request)
    cards = selectors.board_cards(principal=principal, filters=active, stage=stage, offset=offset,
                                  limit=selectors.CARDS_PER_COLUMN + 1)
    more = len(cards) > selectors.CARDS_PER_COLUMN
    cards = cards[:selectors.CARDS_PER_COLUMN]
    for card in cards:
        card.movable = can(principal, "deals.opportunity.change", card)
    return render(request, "deals/includes/column_more.html", {
        "cards": cards, "stage": stage, "more": more, "next_offset": offset + len(cards), "count": count,
        "left": max(0, count - offset - len(cards)) if count else 0, "board_query": _board_query(active),
    })


def _test_panels(principal, opportunity, tests, errors=None):
    """Each product test with what its sign-off still needs and what this user may record on it, and the channel
    policy's "needs a manufacturer sign-off" (None: no test is open for sign-off, so the policy was not read: it
    was a statement on every deal page)."""
    can_edit = can(principal, "deals.opportunity.change", opportunity)
    can_sign = can(principal, "deals.producttest.signoff", opportunity) and opportunity.owner_id != principal.user_id
    panels = []
    needs_signoff = None
    for test in tests:
        open_for_signoff = test.result == "pending" and not test.contract_id
        signed = {s.signed_by_id for s in test.signoffs.all() if s.kind == "manufacturer"}
        if open_for_signoff and needs_signoff is None:
            needs_signoff = signoff.needs_manufacturer_signoff()
        panels.append({
            "test": test,
            "blockers": signoff.pass_blockers(test, needs_signoff=needs_signoff) if open_for_signoff else [],
            "approval_form": ApprovalForm(product_test=test, prefix=f"t{test.pk}")
            if can_edit and open_for_signoff else None,
            "can_sign": can_sign and open_for_signoff and principal.user_id not in signed,
            "error": (errors or {}).get(test.pk, ""),
        })
    return panels, needs_signoff


def _detail_context(request, opportunity, move_form=None, test_errors=None):
    principal = request.principal
    stakeholders = list(opportunity.client.stakeholders.prefetch_related("contacts"))
    analysis = buying_centre_analysis(client=opportunity.client, stakeholders=stakeholders)
    tests = selectors.deal_page_tests(opportunity=opportunity)
    history = selectors.stage_history(opportunity=opportunity)
    test_panels, needs_signoff = _test_panels(principal, opportunity, tests, test_errors)
    if move_form is None:
        move_form = MoveForm(initial={"stage": opportunity.stage}, principal=principal)
        # An unbound form is the same for every deal in this stage and every user given the same fields (the
        # override reasons follow the role): its widgets, a tenth of the page, are rendered once per language
        # and key (the template's {% cache %}). A form with errors is rendered as it is.
        move_form_key = "-".join((opportunity.stage, *move_form.fields))
    else:
        move_form_key = ""
    return {
        "opportunity": opportunity,
        "can_edit": can(principal, "deals.opportunity.change", opportunity),
        "move_form": move_form,
        "move_form_key": move_form_key,
        "history": history,
        "time_in_stages": selectors.time_in_stages(opportunity=opportunity, history=history),  # its moves read once
        "activities": selectors.deal_page_activities(opportunity=opportunity),
        "product_tests": tests,
        "test_panels": test_panels,
        "needs_manufacturer_signoff": needs_signoff,  # shown only beside a test's blockers, where it was read
        "stakeholders": stakeholders,
        "analysis": analysis,
        "today": timezone.localdate(),
        "breadcrumbs": [(_("Deals"), "deals:opportunity_list"), (opportunity.title, "")],
    }


def opportunity_detail(request, pk):
    opportunity = selectors.opportunity_detail_get(principal=request.principal, pk=pk)
    return render(request, "deals/opportunity_detail.html", _detail_context(request, opportunity))


@require_http_methods(["GET", "POST"])
def opportunity_create(request):
    principal = request.principal
    require(principal, "deals.opportunity.create")
    form = OpportunityCreateForm(request.POST or None, principal=principal,
                                 can_create_direct=can(principal, "deals.opportunity.create_direct"))
    registration_url = ""
    status = 200
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        client = data.pop("client")
        direct = data.pop("direct", False)
        if data.get("owner") is None:
            data["owner"] = principal.user
        try:
            opportunity = services.opportunity_create(
                principal=principal, client=client, distributor=None if direct else client.distributor, **data
            )
        except ValidationError as exc:
            registration_url = getattr(exc, "registration_url", "")
            service_errors_to_form(form, exc)
        except AssignmentRefused as exc:
            status = form_refusal(form, exc)
        else:
            messages.success(request, _("Deal opened."))
            return redirect(opportunity)
    elif request.method == "GET":
        form.initial.setdefault("owner", principal.user.pk)
        if client_id := request.GET.get("client"):
            form.initial["client"] = client_id
    return render(request, "deals/opportunity_form.html", {
        "form": form, "title": _("New deal"), "registration_url": registration_url,
        "breadcrumbs": [(_("Deals"), "deals:opportunity_list"), (_("New deal"), "")],
    }, status=status)


@require_http_methods(["GET", "POST"])
def opportunity_update(request, pk):
    principal = request.principal
    opportunity = selectors.opportunity_get(principal=principal, pk=pk)
    require(principal, "deals.opportunity.change", opportunity)
    form = OpportunityForm(request.POST or None, instance=opportunity, principal=principal,
                           can_reassign=can(principal, "deals.opportunity.reassign", opportunity))
    registration_url = ""
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.opportunity_update(principal=principal, opportunity=opportunity, **form.cleaned_data)
        except ValidationError as exc:
            registration_url = getattr(exc, "registration_url", "")
            service_errors_to_form(form, exc)
        except AssignmentRefused as exc:
            status = form_refusal(form, exc)
        else:
            messages.success(request, _("Deal saved."))
            return redirect(opportunity)
    return render(request, "deals/opportunity_form.html", {
        "form": form, "title": _("Edit deal"), "opportunity": opportunity, "registration_url": registration_url,
        "breadcrumbs": [(_("Deals"), "deals:opportunity_list"), (opportunity.title, opportunity.get_absolute_url()),
                        (_("Edit"), "")],
    }, status=status)


@require_POST
def opportunity_move(request, pk):
    """The one page endpoint for stage moves: the deal page's form and the kanban drag (HTMX) both post here."""
    principal = request.principal
    opportunity = selectors.opportunity_get(principal=principal, pk=pk)
    require(principal, "deals.opportunity.change", opportunity)
    form = MoveForm(request.POST, principal=principal)
    error = None
    if form.is_valid():
        try:
            opportunity = services.opportunity_move(
                principal=principal, opportunity=opportunity, stage=form.cleaned_data["stage"],
                lost_reason=form.cleaned_data["lost_reason"], lost_reason_code=form.cleaned_data["lost_reason_code"],
                gate_override_reason=form.cleaned_data.get("gate_override_reason", ""),
                test_override_reason=form.cleaned_data.get("test_override_reason", ""),
            )
        except ValidationError as exc:
            error = exc
            service_errors_to_form(form, exc)
    else:
        error = ValidationError(form.errors.get("stage") or _("Choose a stage from the list."))
    registration_url = getattr(error, "registration_url", "")
    if is_htmx(request):
        if error is not None:
            response = htmx_error(error_text(error), 422)
            if registration_url:
                response["X-Registration-Url"] = registration_url  # the kanban offers "register this deal"
            return response
        card = Card.of(selectors.opportunity_get(principal=principal, pk=pk))
        card.movable = True
        return HttpResponse(card_html(card))
    if error is not None:
        opportunity = selectors.opportunity_detail_get(principal=principal, pk=pk)
        context = _detail_context(request, opportunity, form)
        context["registration_url"] = registration_url
        return render(request, "deals/opportunity_detail.html", context, status=422)
    messages.success(request, _("Deal moved to %(stage)s.") % {"stage": opportunity.get_stage_display()})
    return redirect(opportunity)


@require_http_methods(["GET", "POST"])
def activity_create(request, pk):
    principal = request.principal
    opportunity = selectors.opportunity_get(principal=principal, pk=pk)
    require(principal, "deals.opportunity.change", opportunity)
    form = ActivityForm(request.POST or None, opportunity=opportunity, principal=principal,
                        initial={"occurred_on": timezone.localdate(), "kind": request.GET.get("kind", "meeting")})
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            services.activity_log(principal=principal, opportunity=opportunity, **data)
        except ValidationError as exc:
            service_errors_to_form(form, exc)
        else:
            messages.success(request, _("Activity logged."))
            return redirect(opportunity.get_absolute_url() + "#tab-activities")
    return render(request, "core/form.html", {
        "form": form, "title": _("Log an activity"), "cancel_url": opportunity.get_absolute_url(),
        "breadcrumbs": [(_("Deals"), "deals:opportunity_list"), (opportunity.title, opportunity.get_absolute_url()),
                        (_("Log an activity"), "")],
    })


@require_http_methods(["GET", "POST"])
def producttest_create(request, pk):
    principal = request.principal
    opportunity = selectors.opportunity_get(principal=principal, pk=pk)
    require(principal, "deals.opportunity.change", opportunity)
    form = ProductTestForm(request.POST or None, opportunity=opportunity,
                           initial={"starts_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            services.product_test_create(principal=principal, opportunity=opportunity, **data)
        except ValidationError as exc:
            service_errors_to_form(form, exc)
        else:
            messages.success(request, _("Product test planned."))
            return redirect(opportunity.get_absolute_url() + "#tab-tests")
    return render(request, "core/form.html", {
        "form": form, "title": _("Plan a product test"), "cancel_url": opportunity.get_absolute_url(),
        "breadcrumbs": [(_("Deals"), "deals:opportunity_list"), (opportunity.title, opportunity.get_absolute_url()),
                        (_("Plan a product test"), "")],
    })


@require_http_methods(["GET", "POST"])
def producttest_update(request, pk):
    principal = request.principal
    test = selectors.product_test_get(principal=principal, pk=pk)
    opportunity = test.opportunity
    require(principal, "deals.opportunity.change", opportunity)
    form = ProductTestForm(request.POST or None, instance=test, opportunity=opportunity)
    if request.method == "POST" and form.is_valid():
        try:
            services.product_test_update(principal=principal, product_test=selectors.product_test_get(
                principal=principal, pk=pk), **form.cleaned_data)
        except ValidationError as exc:
            service_errors_to_form(form, exc)
        else:
            messages.success(request, _("Product test saved."))
            return redirect(opportunity.get_absolute_url() + "#tab-tests")
    return render(request, "core/form.html", {
        "form": form, "title": _("Product test: %(title)s") % {"title": test.title},
        "cancel_url": opportunity.get_absolute_url(),
        "breadcrumbs": [(_("Deals"), "deals:opportunity_list"), (opportunity.title, opportunity.get_absolute_url()),
                        (test.title, "")],
    })


def _signoff_done(request, test, write):
    """Run one sign-off write; on a refusal show the deal page again with the message on the test (422)."""
    try:
        write()
    except ValidationError as exc:
        opportunity = selectors.opportunity_detail_get(principal=request.principal, pk=test.opportunity_id)
        context = _detail_context(request, opportunity, test_errors={test.pk: error_text(exc)})
        context["signoff_error"] = error_text(exc)  # the tests tab is not the one shown first
        return render(request, "deals/opportunity_detail.html", context, status=422)
    messages.success(request, _("Sign-off recorded."))
    return redirect(test.opportunity.get_absolute_url() + "#tab-tests")


@require_POST
def producttest_approve(request, pk):
    """Record a named client stakeholder's approval of the test's result."""
    principal = request.principal
    test = selectors.product_test_get(principal=principal, pk=pk)
    require(principal, "deals.opportunity.change", test.opportunity)
    form = ApprovalForm(request.POST, product_test=test, prefix=f"t{test.pk}")

    def write():
        if not form.is_valid():
            raise ValidationError(form.errors.get("stakeholder") or form.errors.get("note")
                                  or _("Choose a stakeholder named to sign this test off."))
        signoff.approval_record(principal=principal, product_test=test, stakeholder=form.cleaned_data["stakeholder"],
                                note=form.cleaned_data["note"])

    return _signoff_done(request, test, write)


@require_POST
def producttest_signoff(request, pk):
    """The user's own manufacturer sign-off of the test."""
    principal = request.principal
    test = selectors.product_test_get(principal=principal, pk=pk)
    require(principal, "deals.producttest.signoff", test.opportunity)
    form = SignoffForm(request.POST)

    def write():
        if not form.is_valid():
            raise ValidationError(form.errors.get("note"))
        signoff.manufacturer_signoff(principal=principal, product_test=test, note=form.cleaned_data["note"])

    return _signoff_done(request, test, write)


def _contract_table(principal):
    choices = filter_choices(principal)
    return Table(
        columns=[
            Column("client.legal_name", _("Client"), sort="client__legal_name", link=True),
            Column("distributor_display", _("Distributor"), sort="distributor__code"),
            Column("starts_on", _("Starts"), sort="starts_on"),
            Column("ends_on", _("Ends"), sort="ends_on"),
            Column("renewal_on", _("Renewal"), sort="renewal_on"),
            Column("volume_commitment", _("Volume commitment"), sort="volume_commitment"),
            Column("value", _("Value (RON)"), sort="value"),
            Column("tier.name", _("Tier"), sort="tier", badge=True),
            Column("get_status_display", _("Status"), sort="status", badge=True),
            Column("owner.get_full_name", _("Owner")),
        ],
        search_fields=["client__legal_name"],
        filters=[
            Filter("status", _("Status"), ContractStatus.choices, "status"),
            Filter("distributor_id", _("Distributor"), [c for c in choices["distributor_id"] if c[0] != "direct"],
                   "distributor_id"),
        ],
        default_sort="ends_on",
    )


EXPIRY_WINDOWS = (30, 60, 90, 180)


def contract_list(request):
    principal = request.principal
    qs = selectors.contract_list(principal=principal)
    days = request.GET.get("expiring_within", "")
    if days.isdigit() and int(days) in EXPIRY_WINDOWS:
        qs = qs.expiring_within(int(days))
    else:
        days = ""
    table = _contract_table(principal).build(request, qs)
    return render_partial(request, "deals/contract_list.html", {
        "table": table, "expiring_within": days, "windows": EXPIRY_WINDOWS,
        "breadcrumbs": [(_("Corporate contracts"), "")],
    }, partial="includes/table.html")


def contract_detail(request, pk):
    principal = request.principal
    contract = selectors.contract_get(principal=principal, pk=pk)
    return render(request, "deals/contract_detail.html", {
        "contract": contract,
        "opportunities": contract.opportunities.visible_to(principal).select_related("owner"),
        "product_tests": contract.product_tests.select_related("opportunity"),
        "can_edit": can(principal, "deals.contract.change", contract),
        "today": timezone.localdate(),
        "breadcrumbs": [(_("Corporate contracts"), "deals:contract_list"), (str(contract.client), "")],
    })


@require_http_methods(["GET", "POST"])
def contract_update(request, pk):
    principal = request.principal
    contract = selectors.contract_get(principal=principal, pk=pk)
    require(principal, "deals.contract.change", contract)
    form = ContractForm(request.POST or None, instance=contract, principal=principal)
    if request.method == "POST" and form.is_valid():
        try:
            services.contract_update(principal=principal, contract=selectors.contract_get(principal=principal, pk=pk),
                                     **form.cleaned_data)
        except ValidationError as exc:
            service_errors_to_form(form, exc)
        else:
            messages.success(request, _("Contract saved."))
            return redirect(contract)
    return render(request, "core/form.html", {
        "form": form, "title": _("Edit contract"), "cancel_url": contract.get_absolute_url(),
        "breadcrumbs": [(_("Corporate contracts"), "deals:contract_list"), (str(contract.client),
                        contract.get_absolute_url()), (_("Edit"), "")],
    })


FORECAST_FILTERS = ("from_month", "to_month", "distributor_id", "territory_id", "product_line_id", "owner_id")
_FORECAST_CHOICES = {"from_month": "close_month", "to_month": "close_month"}  # a filter's list, when not its name


def _forecast_request(request):
    """The forecast's grouping, its valid filters and the filters' choices. A value is checked against its list
    only when given, and a network-wide role types the distributor (a code, or part of a name: ``distributor_q``)
    instead of picking it from 2,000 (issue 22: reading and drawing that list was most of the admin's page), as
    on the kanban; a distributor chosen elsewhere (a link) is kept and shown by its code."""
    principal = request.principal
    by = request.GET.get("by", ForecastDimension.MONTH)
    if by not in ForecastDimension.values:
        by = ForecastDimension.MONTH
    choices = filter_choices(principal)
    filters = {k: v for k in FORECAST_FILTERS
               if (v := request.GET.get(k)) and any(c[0] == v for c in choices[_FORECAST_CHOICES.get(k, k)])}
    choices["distributor_typed"] = many_choices(choices["distributor_id"], DISTRIBUTOR_SELECT_MAX)
    if choices["distributor_typed"]:
        text = (request.GET.get("distributor_q") or "").strip()[:100]
        if text:  # what the box holds (it shows a chosen distributor's code: sent again, that code means it)
            filters.pop("distributor_id", None)
            filters["distributor_q"] = text
        chosen = filters.get("distributor_id")  # (its list was read to check it: its code is at hand)
        choices["distributor_text"] = text or (dict(choices["distributor_id"]).get(chosen, "") if chosen else "")
    return by, filters, choices


FORECAST_PAGE = 50  # rows on the page (by distributor there may be thousands); the export has them all


def forecast(request):
    by, filters, choices = _forecast_request(request)
    try:
        offset = max(0, int(request.GET.get("offset", 0)))
    except ValueError:
        offset = 0
    # One page, as the API reads it (issue 22): by distributor over the whole network, walked off the distributors
    # in order and not counted (``count`` is None but on the last page).
    table = forecasts.forecast_table(principal=request.principal, dimension=by, filters=filters,
                                     limit=FORECAST_PAGE, offset=offset)
    rows = table.rows
    if table.count is not None:
        offset = min(offset, table.count)
    pager = QueryDict(mutable=True)
    pager.update({"by": by, **filters})
    pages = {"count": table.count, "first": offset + 1 if rows else 0, "last": offset + len(rows),
             "previous": max(0, offset - FORECAST_PAGE) if offset else None, "next": table.next_offset,
             "query": pager.urlencode()}
    chart = {
        "labels": [r["label"] for r in rows],
        "weighted": [float(r["weighted"]) for r in rows],
        "won": [float(r["won"]) for r in rows],
        "pipeline": [float(r["pipeline"]) for r in rows],
        "series": {"weighted": _("Weighted pipeline"), "won": _("Won"), "pipeline": _("Open pipeline")},
    }
    return render(request, "deals/forecast.html", {
        "by": by, "dimensions": ForecastDimension.choices, "filters": filters, "choices": choices, "rows": rows,
        "totals": table.totals, "chart": chart, "query": request.GET.urlencode(),
        "pages": pages,
        "lost_reasons": forecasts.lost_reasons(principal=request.principal, filters=filters),
        "stage_settings": selectors.stage_settings(), "stages": Stage.choices,
        "breadcrumbs": [(_("Forecast"), "")],
    })


@require_GET
def forecast_export(request):
    by, filters, _choices = _forecast_request(request)
    rows = forecasts.forecast(principal=request.principal, dimension=by, filters=filters)
    header = [ForecastDimension(by).label, _("Open deals"), _("Open pipeline (RON)"), _("Weighted pipeline (RON)"),
              _("Won deals"), _("Won (RON)")]
    body = ([r["label"], r["open_count"], r["pipeline"], r["weighted"], r["won_count"], r["won"]] for r in rows)
    return export_response(request.GET.get("format"), f"forecast-{by}-{timezone.localdate().isoformat()}", header,
                           body, sheet_title=_("Forecast"))
