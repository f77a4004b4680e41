"""Pages of program levels taking effect: the program office's on-demand recompute."""

from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import forms, levels, selectors
from .views import _post_action


@require_POST
def level_recompute(request, pk):
    program = selectors.program_get(principal=request.principal, pk=pk)
    return _post_action(request, program, "program.level.change", _recompute, _("Levels recomputed from the data."),
                        form=forms.LevelRecomputeForm(request.POST), program=program)


def _recompute(*, principal, program, reason=""):
    levels.recompute_levels(principal=principal, program=program, reason=reason)
