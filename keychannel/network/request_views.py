"""Pages of coverage change requests (issue 16): the head asks from its distributor page, the channel manager
decides on the requests list. Services in coverage_requests.py."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from keychannel.core.errors import ConflictError
from keychannel.core.forms import StyledFormMixin, service_errors_to_form
from keychannel.core.policies import can, require

from . import coverage_requests, selectors
from .models import Coverage, ProductLine, Territory
from .request_models import CoverageRequestKind, RequestStatus


class CoverageRequestForm(StyledFormMixin, forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Request"), choices=CoverageRequestKind.choices)
    territory = forms.ModelChoiceField(label=gettext_lazy("Territory"), queryset=Territory.objects.none(),
                                       required=False)
    product_line = forms.ModelChoiceField(label=gettext_lazy("Product line"), queryset=ProductLine.objects.none(),
                                          required=False)
    valid_from = forms.DateField(label=gettext_lazy("From"), required=False,
                                 widget=forms.DateInput(attrs={"type": "date"}))
    coverage = forms.ModelChoiceField(label=gettext_lazy("Coverage to end"), queryset=Coverage.objects.none(),
                                      required=False)
    valid_to = forms.DateField(label=gettext_lazy("Until / end on"), required=False,
                               widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label=gettext_lazy("Reason"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, distributor, principal, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["territory"].queryset = Territory.objects.visible_to(principal)
        self.fields["product_line"].queryset = distributor.product_lines.filter(active=True)
        self.fields["coverage"].queryset = Coverage.objects.visible_to(principal).filter(
            distributor=distributor).select_related("territory", "product_line")


@require_http_methods(["GET", "POST"])
def coverage_request_create(request, pk):
    principal = request.principal
    distributor = selectors.distributor_get(principal=principal, pk=pk)
    require(principal, "network.coverage.request", distributor)
    form = CoverageRequestForm(request.POST or None, distributor=distributor, principal=principal)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                coverage_requests.coverage_request_create(principal=principal, distributor=distributor,
                                                          **form.cleaned_data)
            except ValidationError as exc:
                service_errors_to_form(form, exc)
            else:
                messages.success(request, _("Request sent: your channel manager decides on it."))
                return redirect("network:coverage_request_list")
        status = 422
    return render(request, "core/form.html", {
        "form": form, "title": _("Ask for a coverage change"), "cancel_url": distributor.get_absolute_url(),
        "subtitle": _("Your channel manager is notified and decides; you are told the decision."),
        "breadcrumbs": [(_("Distributors"), "network:distributor_list"), (distributor.code, distributor.get_absolute_url()),
                        (_("Coverage request"), "")],
    }, status=status)


def coverage_request_list(request):
    principal = request.principal
    require(principal, "network.coverage_request.list")
    status = request.GET.get("status", "")
    rows = [{"request": r, "can_decide": r.status == RequestStatus.PENDING
             and can(principal, "network.coverage.decide", r.distributor)}
            for r in coverage_requests.coverage_request_list(principal=principal, status=status)[:300]]
    return render(request, "network/coverage_request_list.html", {
        "rows": rows, "status": status, "statuses": RequestStatus.choices,
        "breadcrumbs": [(_("Coverage"), "network:coverage_matrix") if can(principal, "network.coverage.matrix")
                        else (_("Distributors"), "network:distributor_list"), (_("Coverage requests"), "")],
    })


@require_POST
def coverage_request_decide(request, pk):
    principal = request.principal
    item = get_object_or_404(coverage_requests.coverage_request_list(principal=principal), pk=pk)
    approve = request.POST.get("decision") == "approve"
    try:
        coverage_requests.coverage_request_decide(principal=principal, request=item, approve=approve,
                                                  note=request.POST.get("note", ""))
    except (ValidationError, ConflictError) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(getattr(exc, "message", exc))])))
    else:
        messages.success(request, _("Approved: the coverage is changed.") if approve else _("Rejected."))
    return redirect("network:coverage_request_list")


class ProfileForm(StyledFormMixin, forms.Form):
    city = forms.CharField(label=gettext_lazy("City"), max_length=120, required=False)
    address = forms.CharField(label=gettext_lazy("Address"), max_length=250, required=False)
    phone = forms.CharField(label=gettext_lazy("Phone"), max_length=40, required=False)
    email = forms.EmailField(label=gettext_lazy("E-mail"), required=False)
    website = forms.URLField(label=gettext_lazy("Website"), required=False, assume_scheme="https")
    about = forms.CharField(label=gettext_lazy("About the company"), required=False, max_length=4000,
                            widget=forms.Textarea(attrs={"rows": 4}))
    employees = forms.IntegerField(label=gettext_lazy("Employees"), min_value=0, max_value=10_000_000)


@require_http_methods(["GET", "POST"])
def distributor_profile(request, pk):
    """The head keeps its company's contact details; the rest of the profile is the manufacturer's."""
    principal = request.principal
    distributor = selectors.distributor_get(principal=principal, pk=pk)
    require(principal, "network.distributor.profile", distributor)
    form = ProfileForm(request.POST or None, initial={f: getattr(distributor, f)
                                                      for f in coverage_requests.PROFILE_FIELDS})
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                coverage_requests.distributor_profile_update(principal=principal, distributor=distributor,
                                                             **form.cleaned_data)
            except ValidationError as exc:
                service_errors_to_form(form, exc)
            else:
                messages.success(request, _("Contact details saved; your channel manager is told."))
                return redirect(distributor)
    return render(request, "core/form.html", {
        "form": form, "title": _("Company contact details"), "cancel_url": distributor.get_absolute_url(),
        "subtitle": _("Legal name, tax id, agreement and coverage are the manufacturer's: ask your channel manager, "
                      "or ask for a coverage change."),
        "breadcrumbs": [(_("Distributors"), "network:distributor_list"), (distributor.code, distributor.get_absolute_url()),
                        (_("Contact details"), "")],
    }, status=status)
