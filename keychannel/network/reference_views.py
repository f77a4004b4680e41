"""Pages that keep the network's reference data (issue 16): new distributors, territories, product lines."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from keychannel.core.policies import require

from . import reference, services
from .forms import DistributorCreateForm, ProductLineForm, TerritoryForm
from .models import ProductLine, Territory


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
        "network/simple_form.html",
        {
            "form": form,
            "title": _("New distributor"),
            "subtitle": _("After saving, invite the distributor's head from its page."),
            "cancel_url": reverse("network:distributor_list"),
            "breadcrumbs": [(_("Distributors"), "network:distributor_list"), (_("New"), "")],
        },
        status=status,
    )


def _reference_form(request, *, form, save, title, cancel, breadcrumbs, done):
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                obj = save(form.cleaned_data)
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, done)
                return redirect(obj)
        status = 422
    return render(request, "network/simple_form.html", {
        "form": form, "title": title, "cancel_url": cancel, "breadcrumbs": breadcrumbs}, status=status)


def _add_errors(form, exc):
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, errors in exc.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)


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
