"""Pages of a program's lifecycle: revise after an objection, withdraw with a reason (see lifecycle.py)."""

from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from keychannel.core.views import post_action

from .. import forms, lifecycle, selectors


@require_POST
def program_revise(request, pk):
    program = selectors.program_get(principal=request.principal, pk=pk)
    return post_action(request, program, "program.program.revise", lifecycle.program_revise,
                       _("A new version is in draft: change it and submit it for sign-off again."),
                       form=forms.RevisionForm(request.POST), program=program)


@require_POST
def program_withdraw(request, pk):
    program = selectors.program_get(principal=request.principal, pk=pk)
    return post_action(request, program, "program.program.withdraw", lifecycle.program_withdraw,
                       _("The program is withdrawn."), form=forms.WithdrawalForm(request.POST), program=program)
