"""Pages to add and edit a program's levels and their criteria (issue 16); services in level_edit.py."""

from django import forms
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from keychannel.core.forms import StyledFormMixin
from keychannel.core.policies import require

from . import level_edit, metrics, selectors
from .models import ProgramLevel
from .views import _form_saved


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


def _page(request, form, title, breadcrumbs, save):
    response = _form_saved(request, form, lambda data: save(form.service_data()), _("Level saved."))
    if response is not None:
        return response
    return render(request, "program/form.html", {"form": form, "title": title, "breadcrumbs": breadcrumbs},
                  status=422 if request.method == "POST" else 200)


@require_http_methods(["GET", "POST"])
def level_create(request, pk):
    principal = request.principal
    program = selectors.program_get(principal=principal, pk=pk)
    require(principal, "program.level.change", program)
    form = LevelForm(request.POST or None, instance=ProgramLevel(program=program))
    return _page(request, form, _("New level"),
                 [(_("Program"), "program:program_list"), (program.name, program.get_absolute_url()), (_("New level"), "")],
                 lambda data: level_edit.level_create(principal=principal, program=program, **data))


@require_http_methods(["GET", "POST"])
def level_update(request, pk):
    principal = request.principal
    level = get_object_or_404(ProgramLevel.objects.visible_to(principal).select_related("program"), pk=pk)
    require(principal, "program.level.change", level.program)
    form = LevelForm(request.POST or None, instance=ProgramLevel.objects.get(pk=pk))
    program = level.program
    return _page(request, form, _("Edit %(name)s") % {"name": level.name},
                 [(_("Program"), "program:program_list"), (program.name, program.get_absolute_url()), (level.name, "")],
                 lambda data: level_edit.level_update(principal=principal, level=level, **data))
