"""Pages of program mechanics run on demand: levels recomputed, rule conditions checked (penalties by rule)."""

from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from keychannel.core.views import post_action

from .. import forms, levels, rule_conditions, selectors


@require_POST
def level_recompute(request, pk):
    program = selectors.program_get(principal=request.principal, pk=pk)
    return post_action(request, program, "program.level.change", _recompute, _("Levels recomputed from the data."),
                        form=forms.LevelRecomputeForm(request.POST), program=program)


def _recompute(*, principal, program, reason=""):
    levels.recompute_levels(principal=principal, program=program, reason=reason)


@require_POST
def rule_conditions_apply(request, pk):
    """The program office raises now what the conditional rules call for (the same check the schedule runs)."""
    program = selectors.program_get(principal=request.principal, pk=pk)
    return post_action(request, program, "program.ledger.apply", _apply_conditions,
                       _("Rule conditions checked: the ledger entries they call for are raised."),
                       back=reverse("program:rule_list", args=[program.pk]), program=program)


def _apply_conditions(*, principal, program):
    rule_conditions.apply_rule_conditions(principal=principal, program=program)
