"""Pages to add and edit a program's levels and their criteria (issue 16); services in level_edit.py."""

from django import forms
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from keychannel.core.forms import StyledFormMixin
from keychannel.core.policies import require
from keychannel.core.views import form_page

from .. import level_edit, metrics, selectors
from ..models import ProgramLevel


class LevelForm(StyledFormMixin, forms.ModelForm):
    """The level and, per metric, the threshold it requires (empty: not required)."""

    class Meta:
        model = ProgramLevel
        fields = ["name", "rank", "support_budget_share", "protection_days", "benefits"]
        widgets = {"benefits": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        current = {c.metric: c.threshold for c in self.instance.criteria.all()} if self.instance.pk else {}
        for key, label in metrics.metric_choices():
            self.fields[f"criterion_{key}"] = forms.DecimalField(
                label=_("Required: %(metric)s") % {"metric": label}, required=False, min_value=0, max_digits=16,
                decimal_places=2, initial=current.get(key), help_text=_("Empty: not required for this level."),
                widget=forms.NumberInput(attrs={"class": "form-control", "step": "any"}))

    def validate_unique(self):
        """The service checks the rank."""

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        criteria = {key: data.pop(f"criterion_{key}", None) for key, _label in metrics.metric_choices()}
        return {**data, "criteria": criteria}


@require_http_methods(["GET", "POST"])
def level_create(request, pk):
    principal = request.principal
    program = selectors.program_get(principal=principal, pk=pk)
    require(principal, "program.level.change", program)
    form = LevelForm(request.POST or None, instance=ProgramLevel(program=program))
    return form_page(request, form, title=_("New level"), success=_("Level saved."), breadcrumbs=[
        (_("Program"), "program:program_list"), (program.name, program.get_absolute_url()), (_("New level"), "")],
        save=lambda data: level_edit.level_create(principal=principal, program=program, **form.service_data()))


@require_http_methods(["GET", "POST"])
def level_update(request, pk):
    principal = request.principal
    level = get_object_or_404(ProgramLevel.objects.visible_to(principal).select_related("program"), pk=pk)
    require(principal, "program.level.change", level.program)
    form = LevelForm(request.POST or None, instance=ProgramLevel.objects.get(pk=pk))
    program = level.program
    return form_page(request, form, title=_("Edit %(name)s") % {"name": level.name}, success=_("Level saved."),
                     breadcrumbs=[(_("Program"), "program:program_list"), (program.name, program.get_absolute_url()),
                                  (level.name, "")],
                     save=lambda data: level_edit.level_update(principal=principal, level=level, **form.service_data()))
