"""A distributor in the program: its overview (level, goals, statement, ledger, awards), the ledger's buttons."""

from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from keychannel.core.exports import export_response
from keychannel.core.policies import can, require
from keychannel.core.scoping import get_visible_or_404
from keychannel.core.views import form_page, post_action

from .. import forms, levels, lifecycle, selectors, services, support_money
from ..choices import ProgramStatus
from ..models import LedgerEntry, ProgramRule

# --- a distributor in the program: level, goals, statement, ledger, awards ------------------------------------------


def distributor_overview(request, pk):
    principal = request.principal
    distributor = selectors.distributor_for_overview(principal=principal, pk=pk)
    # One page per program year: the current program by default, any launched or closed one on request.
    program = lifecycle.page_program(principal=principal, wanted=request.GET.get("program"))
    years = [row for row in lifecycle.programs_by_year(principal=principal)
             if row["program"].status in (ProgramStatus.LAUNCHED, ProgramStatus.CLOSED)]
    context = {"distributor": distributor, "program": program, "years": years,
               "awards": selectors.award_list(principal=principal, distributor=distributor),
               "breadcrumbs": [(_("Programs"), "program:program_list"), (distributor.code, "")]}
    if program is not None:
        goals = selectors.goal_list(principal=principal).filter(program=program, distributor=distributor)
        context.update(
            progress=selectors.goal_progress(goals),
            level=levels.level_state(principal=principal, program=program, distributor=distributor),
            pending_rules=[r for r in selectors.pending_rules_for(principal=principal, distributor=distributor)
                           if r.program_id == program.pk],
        )
        if can(principal, "program.business.view"):
            context["statement"] = selectors.incentive_statement(principal=principal, program=program, distributor=distributor)
    if can(principal, "program.business.view"):
        context["budgets"] = selectors.budgets_with_remaining(selectors.budget_list(principal=principal, filters={"distributor_id": distributor.pk}))
        context["ledger"] = selectors.ledger_list(principal=principal, distributor=distributor)
        context["support_returns"] = support_money.distributor_returns(principal=principal, distributor=distributor)
    context.update(
        can_apply=can(principal, "program.ledger.apply", distributor),
        can_award=can(principal, "program.award.grant", distributor),
        can_decide_appeal=can(principal, "program.ledger.decide_appeal"),
        is_head=principal.has_role("dist_head"),
        appeal_form=forms.AppealForm(), decision_form=forms.AppealDecisionForm(),
    )
    return render(request, "program/distributor_overview.html", context)


def statement_csv(request, pk):
    principal = request.principal
    require(principal, "program.business.view")
    distributor = selectors.distributor_for_overview(principal=principal, pk=pk)
    program = lifecycle.page_program(principal=principal, wanted=request.GET.get("program"))
    if program is None:
        raise Http404
    statement = selectors.incentive_statement(principal=principal, program=program, distributor=distributor)
    header = [_("Kind"), _("Rule"), _("Metric"), _("Target"), _("Actual"), _("Above target"), _("Amount (RON)")]
    rows = [[_("Incentive"), line["rule"], line["metric"], line["target"],
             line["actual"] if line["actual"] is not None else _("not available"), line["excess"], line["amount"]]
            for line in statement["lines"]]
    rows += [[entry.get_kind_display(), entry.rule, entry.evidence, None, None, None, entry.amount]
             for entry in statement["ledger"]]
    rows.append([_("Net"), None, None, None, None, None, statement["net"]])
    return export_response(request.GET.get("format"), f"statement-{distributor.code}-{statement['on']}", header, rows)


@require_http_methods(["GET", "POST"])
def ledger_create(request, pk):
    principal = request.principal
    distributor = selectors.distributor_for_overview(principal=principal, pk=pk)
    require(principal, "program.ledger.apply", distributor)
    rules = ProgramRule.objects.visible_to(principal).filter(status="published")
    form = forms.LedgerForm(request.POST or None, rules=rules, initial={"applied_on": None})
    overview_url = reverse("program:distributor_overview", kwargs={"pk": distributor.pk})
    return form_page(request, form, title=_("Apply a rule to %(name)s") % {"name": distributor.legal_name},
                     breadcrumbs=[(distributor.code, overview_url), (_("Ledger"), "")],
                     save=lambda data: services.ledger_apply(principal=principal, distributor=distributor, **data),
                     success=_("Ledger entry recorded; the distributor head is notified."), back=overview_url)


@require_POST
def ledger_appeal(request, pk):
    entry = get_visible_or_404(LedgerEntry, request.principal, pk=pk)
    return post_action(request, entry, "program.ledger.appeal", services.ledger_appeal, _("Appeal sent."),
                       form=forms.AppealForm(request.POST), fallback={"text": ""}, entry=entry)


@require_POST
def ledger_decide(request, pk):
    entry = get_visible_or_404(LedgerEntry, request.principal, pk=pk)
    return post_action(request, entry, "program.ledger.decide_appeal", services.ledger_decide_appeal, _("Appeal decided."),
                       form=forms.AppealDecisionForm(request.POST), fallback={"granted": False, "decision": ""},
                       entry=entry)


@require_http_methods(["GET", "POST"])
def award_create(request, pk):
    principal = request.principal
    distributor = selectors.distributor_for_overview(principal=principal, pk=pk)
    require(principal, "program.award.grant", distributor)
    form = forms.AwardForm(request.POST or None)
    overview_url = reverse("program:distributor_overview", kwargs={"pk": distributor.pk})
    return form_page(request, form, title=_("Award for %(name)s") % {"name": distributor.legal_name},
                     breadcrumbs=[(distributor.code, overview_url), (_("Award"), "")],
                     save=lambda data: services.award_grant(
                         principal=principal, distributor=distributor,
                         program=selectors.current_program(principal=principal), **data),
                     success=_("Award granted."), back=overview_url)
