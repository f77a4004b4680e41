"""Rule pages: versions, publishing, acknowledgements and the acknowledgement board."""

from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from keychannel.core.policies import can, require
from keychannel.core.views import form_page, post_action

from .. import forms, selectors, services
from ..models import Acknowledgement
from .common import _crumbs

# --- rules and acknowledgement ------------------------------------------------------------------------------------


def rule_list(request, pk):
    principal = request.principal
    program = selectors.program_get(principal=principal, pk=pk)
    rules = list(selectors.rule_list(principal=principal, program=program).order_by("code", "-version"))
    acknowledged = set()
    if principal.is_distributor_user and principal.own_distributor_id:
        acknowledged = set(Acknowledgement.objects.filter(distributor_id=principal.own_distributor_id, rule__in=rules)
                           .values_list("rule_id", flat=True))
    return render(request, "program/rule_list.html", {
        "program": program, "rules": rules, "acknowledged": acknowledged,
        "can_edit": can(principal, "program.rule.change", program),
        "can_ack": can(principal, "program.rule.acknowledge"),
        "breadcrumbs": _crumbs(program, (_("Rules"), "")),
    })


@require_http_methods(["GET", "POST"])
def rule_create(request, pk):
    principal = request.principal
    program = selectors.program_get(principal=principal, pk=pk)
    require(principal, "program.rule.change", program)
    form = forms.RuleForm(request.POST or None, initial={"code": request.GET.get("code", "")})
    rules_url = reverse("program:rule_list", kwargs={"pk": program.pk})
    return form_page(request, form, title=_("New rule version"),
                     breadcrumbs=_crumbs(program, (_("Rules"), rules_url), (_("New"), "")),
                     save=lambda data: services.rule_create(principal=principal, program=program, **data),
                     success=_("Draft rule saved."), back=rules_url)


@require_POST
def rule_publish(request, pk):
    rule = selectors.rule_get(principal=request.principal, pk=pk)
    return post_action(request, rule, "program.rule.publish", services.rule_publish,
                       _("Published: every distributor head has been asked to acknowledge it."),
                       back=reverse("program:rule_list", args=[rule.program_id]), rule=rule)


@require_POST
def rule_acknowledge(request, pk):
    rule = selectors.rule_get(principal=request.principal, pk=pk)
    # The service asks the policy (the caller's own distributor); a refusal is a 403.
    return post_action(request, rule, None, services.rule_acknowledge, _("Thank you: the rule is acknowledged."),
                       back=reverse("program:rule_list", args=[rule.program_id]), rule=rule)


def ack_dashboard(request, pk):
    principal = request.principal
    program = selectors.program_get(principal=principal, pk=pk)
    require(principal, "program.acknowledgement.view", program)
    return render(request, "program/ack_dashboard.html", {
        "program": program, "board": selectors.acknowledgement_board(principal=principal, program=program),
        "breadcrumbs": _crumbs(program, (_("Acknowledgements"), "")),
    })
