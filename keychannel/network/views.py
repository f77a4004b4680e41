"""Pages of the network app: distributors, territories, product lines."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from keychannel.core.partials import render_partial
from keychannel.core.policies import can, require
from keychannel.core.tables import Column, Filter, Table

from . import selectors, services
from .choices import ContractStrength, Sharing, SizeTier, Stance
from .forms import DistributorForm

DISTRIBUTOR_TABLE = Table(
    columns=[
        Column("code", gettext_lazy("Code"), sort="code", link=True),
        Column("legal_name", gettext_lazy("Legal name"), sort="legal_name", link=True),
        Column("territory", gettext_lazy("Territory"), sort="territory__name"),
        Column("get_size_tier_display", gettext_lazy("Size"), sort="size_tier", badge=True),
        Column("get_contract_strength_display", gettext_lazy("Contract"), sort="contract_strength"),
        Column("get_stance_display", gettext_lazy("Stance"), sort="stance", badge=True),
        Column("get_alignment_quadrant_display", gettext_lazy("Alignment")),
        Column("channel_manager.get_full_name", gettext_lazy("Channel manager"), sort="channel_manager__last_name"),
    ],
    search_fields=["legal_name", "code", "tax_id", "city"],
    filters=[
        Filter("size_tier", gettext_lazy("Size"), SizeTier.choices, "size_tier"),
        Filter("contract_strength", gettext_lazy("Contract"), ContractStrength.choices, "contract_strength"),
        Filter("stance", gettext_lazy("Stance"), Stance.choices, "stance"),
        Filter("shares_goals", gettext_lazy("Shares goals"), Sharing.choices, "shares_goals"),
        Filter("shares_methods", gettext_lazy("Shares methods"), Sharing.choices, "shares_methods"),
    ],
    default_sort="code",
)


def distributor_list(request):
    table = DISTRIBUTOR_TABLE.build(request, selectors.distributor_list(principal=request.principal))
    return render_partial(
        request,
        "network/distributor_list.html",
        {"table": table, "breadcrumbs": [(_("Distributors"), "")]},
        partial="includes/table.html",
    )


def distributor_detail(request, pk):
    principal = request.principal
    distributor = selectors.distributor_get(principal=principal, pk=pk)
    return render(
        request,
        "network/distributor_detail.html",
        {
            "distributor": distributor,
            "can_edit": can(principal, "network.distributor.change", distributor),
            "breadcrumbs": [(_("Distributors"), "network:distributor_list"), (distributor.code, "")],
        },
    )


@require_http_methods(["GET", "POST"])
def distributor_update(request, pk):
    principal = request.principal
    distributor = selectors.distributor_get(principal=principal, pk=pk)
    require(principal, "network.distributor.change", distributor)
    allowed = None if principal.has_role("admin", "program_manager") else services.SEGMENT_FIELDS
    form = DistributorForm(request.POST or None, instance=distributor, allowed_fields=allowed)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            services.distributor_update(principal=principal, distributor=distributor, **data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Distributor saved."))
            return redirect(distributor)
    return render(
        request,
        "network/distributor_form.html",
        {
            "form": form,
            "distributor": distributor,
            "breadcrumbs": [
                (_("Distributors"), "network:distributor_list"),
                (distributor.code, distributor.get_absolute_url()),
                (_("Edit"), ""),
            ],
        },
    )


def territory_list(request):
    return render(
        request,
        "network/territory_list.html",
        {"tree": selectors.territory_tree(principal=request.principal), "breadcrumbs": [(_("Territories"), "")]},
    )


def productline_list(request):
    return render(
        request,
        "network/productline_list.html",
        {
            "product_lines": selectors.product_line_list(principal=request.principal),
            "breadcrumbs": [(_("Product lines"), "")],
        },
    )
