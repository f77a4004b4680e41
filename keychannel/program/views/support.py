"""Support pages: requests, decisions, claims, payment, proofs and budgets."""

from django.http import FileResponse, Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from keychannel.core.partials import render_partial
from keychannel.core.policies import can, require
from keychannel.core.tables import Column, Filter, Table
from keychannel.core.views import form_page, post_action

from .. import forms, levels, selectors, services, support_money
from ..choices import SupportKind, SupportStatus

# --- support ---------------------------------------------------------------------------------------------------------

SUPPORT_TABLE = Table(
    columns=[
        Column("created_at", gettext_lazy("Asked"), sort="created_at"),
        Column("distributor.code", gettext_lazy("Distributor"), sort="distributor__code"),
        Column("title", gettext_lazy("Request"), sort="title", link=True),
        Column("get_kind_display", gettext_lazy("Kind"), sort="kind", badge=True),
        Column("amount_requested", gettext_lazy("Asked (RON)"), sort="amount_requested"),
        Column("amount_approved", gettext_lazy("Approved (RON)"), sort="amount_approved"),
        Column("amount_claimed", gettext_lazy("Claimed (RON)"), sort="amount_claimed"),
        Column("get_status_display", gettext_lazy("Status"), sort="status", badge=True),
    ],
    search_fields=["title", "description", "distributor__code", "distributor__legal_name"],
    filters=[Filter("kind", gettext_lazy("Kind"), SupportKind.choices, "kind"),
             Filter("status", gettext_lazy("Status"), SupportStatus.choices, "status")],
    default_sort="-created_at",
)


def support_list(request):
    principal = request.principal
    require(principal, "program.business.view")
    table = SUPPORT_TABLE.build(request, selectors.support_list(principal=principal))
    budgets = selectors.budgets_with_remaining(selectors.budget_list(principal=principal).order_by("-year", "distributor__code")[:100])
    return render_partial(request, "program/support_list.html", {
        "table": table, "budgets": budgets,
        "can_request": can(principal, "program.support.request"),
        "can_budget": can(principal, "program.budget.change"),
        "breadcrumbs": [(_("Support"), "")],
    }, partial="includes/table.html")


@require_http_methods(["GET", "POST"])
def support_create(request):
    principal = request.principal
    require(principal, "program.support.request")
    form = forms.SupportRequestForm(request.POST or None, principal=principal)
    return form_page(request, form, title=_("Ask for support"),
                     breadcrumbs=[(_("Support"), "program:support_list"), (_("New"), "")],
                     save=lambda data: services.support_request_create(
                         principal=principal, **{**data, "amount_requested": data.get("amount_requested") or 0}),
                     success=_("Support requested."))


def support_detail(request, pk):
    principal = request.principal
    support = selectors.support_get(principal=principal, pk=pk)
    budget = selectors.budgets_with_remaining([support.budget])[0] if support.budget_id else None
    return render(request, "program/support_detail.html", {
        "support": support, "budget": budget, "returns": support_money.support_return(principal=principal, request=support),
        "claimable": support_money.claimable(support),
        "can_decide": can(principal, "program.support.decide", support),
        "can_claim": can(principal, "program.support.claim", support),
        "can_pay": can(principal, "program.support.pay", support),
        "decision_form": forms.SupportDecisionForm(initial={"amount_approved": support.amount_requested}),
        "claim_form": forms.SupportClaimForm(initial={"amount_claimed": support_money.claimable(support)}),
        "breadcrumbs": [(_("Support"), "program:support_list"), (support.title, "")],
    })


@require_POST
def support_decide(request, pk):
    support = selectors.support_get(principal=request.principal, pk=pk)
    return post_action(request, support, "program.support.decide", services.support_decide, _("Decision recorded."),
                       form=forms.SupportDecisionForm(request.POST), invalid=_("Choose approve or reject."),
                       request=support)


@require_POST
def support_claim(request, pk):
    support = selectors.support_get(principal=request.principal, pk=pk)
    return post_action(request, support, "program.support.claim", support_money.support_claim, _("Claim recorded."),
                       form=forms.SupportClaimForm(request.POST, request.FILES),
                       fields={"amount": "amount_claimed", "proof": "proof", "final": "final"}, request=support)


@require_POST
def support_pay(request, pk):
    support = selectors.support_get(principal=request.principal, pk=pk)
    return post_action(request, support, "program.support.pay", services.support_pay, _("Marked as paid."),
                       request=support)


@require_POST
def support_complete(request, pk):
    support = selectors.support_get(principal=request.principal, pk=pk)
    return post_action(request, support, "program.support.decide", services.support_complete, _("Marked as done."),
                       request=support)


def support_proof(request, pk):
    """The proof file, only to those who may see the request (never from the media URL)."""
    support = selectors.support_get(principal=request.principal, pk=pk)
    if not support.proof:
        raise Http404
    return FileResponse(support.proof.open("rb"), content_type=support.proof_content_type or "application/octet-stream",
                        as_attachment=True, filename=support.proof.name.rsplit("/", 1)[-1])


@require_http_methods(["GET", "POST"])
def budget_set(request):
    principal = request.principal
    require(principal, "program.budget.change")
    form = forms.BudgetForm(request.POST or None, principal=principal)
    return form_page(request, form, title=_("Support budget"),
                     breadcrumbs=[(_("Support"), "program:support_list"), (_("Budget"), "")],
                     save=lambda data: levels.budget_apply(principal=principal, **data),
                     success=_("Budget saved."), back="program:support_list")
