"""Pages that keep the network's reference data (issue 16): new distributors, territories, product lines."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from keychannel.core.forms import service_errors_to_form
from keychannel.core.policies import require

from . import reference, services
from .forms import DistributorCreateForm, ProductLineForm, TerritoryForm
from .models import ProductLine, ReadinessQuestionnaire, Territory


@require_http_methods(["GET", "POST"])
def distributor_create(request):
    principal = request.principal
    require(principal, "network.distributor.create")
    form = DistributorCreateForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                distributor = services.distributor_create(principal=principal, **data)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Distributor added. Now invite its head: they set up the rest."))
                return redirect(distributor)
        status = 422
    return render(
        request,
        "core/form.html",
        {
            "form": form,
            "title": _("New distributor"),
            "subtitle": _("After saving, invite the distributor's head from its page."),
            "cancel_url": reverse("network:distributor_list"),
            "breadcrumbs": [(_("Distributors"), "network:distributor_list"), (_("New"), "")],
        },
        status=status,
    )


def _reference_form(request, *, form, save, title, cancel, breadcrumbs, done, redirect_to=None):
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                obj = save(form.cleaned_data)
            except ValidationError as exc:
                service_errors_to_form(form, exc)
            else:
                messages.success(request, done)
                return redirect(redirect_to or obj)
        status = 422
    return render(request, "core/form.html", {
        "form": form, "title": title, "cancel_url": cancel, "breadcrumbs": breadcrumbs}, status=status)


@require_http_methods(["GET", "POST"])
def territory_create(request):
    principal = request.principal
    require(principal, "network.reference.change")
    form = TerritoryForm(request.POST or None, initial={"parent": request.GET.get("parent")})
    return _reference_form(
        request, form=form, title=_("New territory"), cancel=reverse("network:territory_list"),
        save=lambda data: reference.territory_create(principal=principal, **data), done=_("Territory saved."),
        breadcrumbs=[(_("Territories"), "network:territory_list"), (_("New"), "")])


@require_http_methods(["GET", "POST"])
def territory_update(request, pk):
    principal = request.principal
    territory = get_object_or_404(Territory.objects.visible_to(principal), pk=pk)
    require(principal, "network.reference.change", territory)
    form = TerritoryForm(request.POST or None, instance=Territory.objects.get(pk=pk))
    return _reference_form(
        request, form=form, title=_("Edit %(name)s") % {"name": territory.name}, cancel=territory.get_absolute_url(),
        save=lambda data: reference.territory_update(principal=principal, territory=territory, **data),
        done=_("Territory saved."), breadcrumbs=[(_("Territories"), "network:territory_list"), (territory.name, "")])


@require_http_methods(["GET", "POST"])
def productline_create(request):
    principal = request.principal
    require(principal, "network.reference.change")
    form = ProductLineForm(request.POST or None)
    return _reference_form(
        request, form=form, title=_("New product line"), cancel=reverse("network:productline_list"),
        save=lambda data: reference.product_line_create(principal=principal, **data), done=_("Product line saved."),
        breadcrumbs=[(_("Product lines"), "network:productline_list"), (_("New"), "")])


@require_http_methods(["GET", "POST"])
def productline_update(request, pk):
    principal = request.principal
    line = get_object_or_404(ProductLine.objects.visible_to(principal), pk=pk)
    require(principal, "network.reference.change", line)
    form = ProductLineForm(request.POST or None, instance=ProductLine.objects.get(pk=pk))
    return _reference_form(
        request, form=form, title=_("Edit %(name)s") % {"name": line.name}, cancel=line.get_absolute_url(),
        save=lambda data: reference.product_line_update(principal=principal, product_line=line, **data),
        done=_("Product line saved."), breadcrumbs=[(_("Product lines"), "network:productline_list"), (line.name, "")])


# --- readiness questionnaire versions -----------------------------------------------------------------------------


class QuestionnaireForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=160)
    introduction = forms.CharField(label=gettext_lazy("Introduction"), required=False,
                                   widget=forms.Textarea(attrs={"rows": 2}))
    questions = forms.CharField(
        label=gettext_lazy("Questions"), widget=forms.Textarea(attrs={"rows": 12}),
        help_text=gettext_lazy("One question a line: code | question | what 0 and 4 mean (optional). The code may be "
                               "left empty: it is made from the question."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-control")

    def rows(self) -> list[tuple[str, str, str]]:
        rows = []
        for line in self.cleaned_data["questions"].splitlines():
            if not line.strip():
                continue
            parts = [p.strip() for p in line.split("|")]
            if len(parts) == 1:
                parts = ["", parts[0]]
            rows.append(tuple((parts + ["", ""])[:3]))
        return rows


def _questions_text(questionnaire) -> str:
    return "\n".join(" | ".join(p for p in (q.code, q.text, q.help_text) if p is not None).rstrip(" |")
                     for q in questionnaire.questions.all())


def questionnaire_list(request):
    principal = request.principal
    require(principal, "network.reference.change")
    versions = ReadinessQuestionnaire.objects.visible_to(principal).annotate(
        answered=Count("assessments", distinct=True), question_total=Count("questions", distinct=True))
    return render(request, "network/questionnaire_list.html", {
        "versions": versions,
        "breadcrumbs": [(_("Distributors"), "network:distributor_list"), (_("Readiness questionnaires"), "")],
    })


@require_http_methods(["GET", "POST"])
def questionnaire_create(request):
    principal = request.principal
    require(principal, "network.reference.change")
    current = ReadinessQuestionnaire.objects.order_by("-active", "-version").first()
    initial = {"title": current.title, "introduction": current.introduction,
               "questions": _questions_text(current)} if current else {}
    form = QuestionnaireForm(request.POST or None, initial=initial)
    return _reference_form(
        request, form=form, title=_("New questionnaire version"), cancel=reverse("network:questionnaire_list"),
        save=lambda data: reference.questionnaire_create(principal=principal, title=data["title"],
                                                         introduction=data["introduction"], questions=form.rows()),
        done=_("New version saved. Put it in use when it is ready."),
        breadcrumbs=[(_("Readiness questionnaires"), "network:questionnaire_list"), (_("New"), "")],
        redirect_to=reverse("network:questionnaire_list"))


@require_http_methods(["GET", "POST"])
def questionnaire_update(request, pk):
    principal = request.principal
    require(principal, "network.reference.change")
    questionnaire = get_object_or_404(ReadinessQuestionnaire.objects.visible_to(principal), pk=pk)
    form = QuestionnaireForm(request.POST or None, initial={
        "title": questionnaire.title, "introduction": questionnaire.introduction,
        "questions": _questions_text(questionnaire)})
    return _reference_form(
        request, form=form, title=str(questionnaire), cancel=reverse("network:questionnaire_list"),
        save=lambda data: reference.questionnaire_update(
            principal=principal, questionnaire=questionnaire, title=data["title"], introduction=data["introduction"],
            questions=form.rows()),
        done=_("Questionnaire saved."), redirect_to=reverse("network:questionnaire_list"),
        breadcrumbs=[(_("Readiness questionnaires"), "network:questionnaire_list"), (str(questionnaire), "")])


@require_POST
def questionnaire_activate(request, pk):
    principal = request.principal
    require(principal, "network.reference.change")
    questionnaire = get_object_or_404(ReadinessQuestionnaire.objects.visible_to(principal), pk=pk)
    try:
        reference.questionnaire_activate(principal=principal, questionnaire=questionnaire)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Version %(n)s is in use: new assessments answer it.") % {"n": questionnaire.version})
    return redirect("network:questionnaire_list")


# --- channel presence ------------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def presence_update(request, pk):
    from .choices import ChannelType
    from .models import ChannelPresence

    principal = request.principal
    territory = get_object_or_404(Territory.objects.visible_to(principal), pk=pk)
    require(principal, "network.presence.change", territory)
    current = {p.channel_type: p for p in ChannelPresence.objects.filter(territory=territory)}
    rows = [{"type": value, "label": label, "count": current[value].count if value in current else 0,
             "note": current[value].note if value in current else ""} for value, label in ChannelType.choices]
    error, status = "", 200
    if request.method == "POST":
        counts = {row["type"]: request.POST.get(f"count-{row['type']}", "0").strip() or "0" for row in rows}
        notes = {row["type"]: request.POST.get(f"note-{row['type']}", "") for row in rows}
        try:
            reference.presence_set(principal=principal, territory=territory, counts=counts, notes=notes)
        except ValidationError as exc:
            error, status = " ".join(exc.messages), 422
            for row in rows:
                row["count"], row["note"] = counts[row["type"]], notes[row["type"]]
        else:
            messages.success(request, _("Channel presence saved."))
            return redirect(reverse("network:coverage_matrix") + f"#presence-{territory.pk}")
    return render(request, "network/presence_form.html", {
        "territory": territory, "rows": rows, "error": error,
        "breadcrumbs": [(_("Coverage"), "network:coverage_matrix"), (territory.name, "")],
    }, status=status)
