"""Pages of the clients app: client book, duplicate check, buying centre (HTMX inline), risk, account plans."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from keychannel.core.assignment import AssignmentRefused, form_refusal, offer_assignable
from keychannel.core.errors import ConflictError
from keychannel.core.forms import service_errors_to_form
from keychannel.core.partials import is_htmx, render_partial
from keychannel.core.policies import can, require
from keychannel.core.ratelimit import throttle_page
from keychannel.core.scoping import USER_NAME_COLUMNS, own_and_related_columns
from keychannel.core.tables import Column, Table

from . import selectors, services
from .buying_centre import buying_centre_context, client_page_get
from .filters import CLIENT_FILTERS, RISK_FILTERS
from .forms import (
    PLAN_ITEM_FORMS,
    AccountPlanForm,
    ClientForm,
    ContactForm,
    LinkForm,
    MergeForm,
    StakeholderForm,
)
from .models import ClientMerge

CLIENT_COLUMNS = [
    Column("legal_name", gettext_lazy("Legal name"), sort="normalized_name", link=True),
    Column("tax_id", gettext_lazy("Tax id"), sort="tax_id"),
    Column("distributor.code", gettext_lazy("Distributor"), sort="distributor__code"),
    Column("territory", gettext_lazy("Territory"), sort="territory__name"),
    Column("get_status_display", gettext_lazy("Status"), sort="status", badge=True),
    Column("key_account_label", gettext_lazy("Key account"), sort="is_key_account"),
    Column("potential_annual_volume", gettext_lazy("Potential (RON)"), sort="potential_annual_volume"),
    Column("coverage_score", gettext_lazy("Coverage"), sort="coverage_score"),
    Column("risk_flag_count", gettext_lazy("Risk flags"), sort="risk_flag_count"),
]
CLIENT_TABLE = Table(columns=CLIENT_COLUMNS, filters=CLIENT_FILTERS, default_sort="legal_name")
RISK_TABLE = Table(columns=CLIENT_COLUMNS, filters=RISK_FILTERS, default_sort="coverage_score")


def _crumbs(*extra):
    return [(_("Clients"), "clients:client_list"), *extra]


def _delete(request, delete, **kwargs) -> None:
    """Run a delete service; a refusal (other records point at it) is shown as a message, not a 500."""
    try:
        delete(principal=request.principal, **kwargs)
    except ConflictError as exc:
        messages.error(request, exc.message)


def _searched(request, qs):
    """The table's search box searches the normalised name and tax id (not a plain icontains)."""
    return qs.filter(selectors.client_search_filter(request.GET.get("q", "")))


def client_list(request):
    principal = request.principal
    qs = selectors.client_list(principal=principal, filters=CLIENT_TABLE.filter_values(request))
    table = CLIENT_TABLE.build(request, _searched(request, qs))
    return render_partial(
        request,
        "clients/client_list.html",
        {"table": table, "breadcrumbs": _crumbs(), "can_create": _can_create_any(principal)},
        partial="includes/table.html",
    )


def at_risk(request):
    principal = request.principal
    qs = selectors.clients_at_risk(principal=principal, filters=RISK_TABLE.filter_values(request))
    table = RISK_TABLE.build(request, _searched(request, qs))
    return render_partial(
        request,
        "clients/at_risk.html",
        {"table": table, "breadcrumbs": _crumbs((_("At risk"), ""))},
        partial="includes/table.html",
    )


def _writable_distributors(principal):
    """Books a manufacturer role may create clients in (None: distributor users get their own)."""
    from keychannel.network.models import Distributor

    if not can(principal, "clients.corporateclient.choose_book"):
        return None
    ids = [d.pk for d in Distributor.objects.visible_to(principal) if can(principal, "clients.corporateclient.create", d)]
    return Distributor.objects.filter(pk__in=ids).order_by("code")


def _can_create_any(principal):
    if not can(principal, "clients.corporateclient.choose_book"):
        return can(principal, "clients.corporateclient.create", principal.own_distributor_id)
    return can(principal, "clients.corporateclient.create", None) or _writable_distributors(principal).exists()


@require_http_methods(["GET", "POST"])
def client_create(request):
    principal = request.principal
    if not _can_create_any(principal):
        raise PermissionDenied("clients.corporateclient.create")
    distributors = _writable_distributors(principal)
    check = None
    form = ClientForm(request.POST or None, principal=principal, distributors=distributors,
                      show_confirm=bool(request.POST.get("confirm_step")))
    if request.method == "POST":
        limited = throttle_page(request, "duplicate-check", "KEYCHANNEL_DUPLICATE_CHECK_RATE_LIMIT")
        if limited is not None:
            return limited
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        confirm = data.pop("confirm_not_duplicate", False)
        try:
            client = services.client_create(principal=principal, confirm_not_duplicate=confirm, **data)
        except services.DuplicateClientError as exc:
            check = exc.check
            form = ClientForm(request.POST, principal=principal, distributors=distributors,
                              show_confirm=not check.exact)
            form.is_valid()
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Client created."))
            return redirect(client)
    return render(request, "clients/client_form.html", {
        "form": form, "check": check, "breadcrumbs": _crumbs((_("New client"), "")), "creating": True,
    })


def duplicate_check(request):
    """HTMX: the candidates for what is being typed in the client form (rate limited like the API's)."""
    limited = throttle_page(request, "duplicate-check", "KEYCHANNEL_DUPLICATE_CHECK_RATE_LIMIT")
    if limited is not None:
        return limited
    check = selectors.client_find_duplicates(
        principal=request.principal,
        legal_name=request.GET.get("legal_name", "")[:200],
        tax_id=request.GET.get("tax_id", "")[:20],
        exclude_id=request.GET.get("exclude_id") if (request.GET.get("exclude_id") or "").isdigit() else None,
    )
    return render(request, "clients/_duplicates.html", {"check": check})


def client_detail(request, pk):
    principal = request.principal
    client = client_page_get(principal=principal, pk=pk)
    context = buying_centre_context(principal, client)
    context.update({
        "can_edit": can(principal, "clients.corporateclient.change", client),
        "can_delete": can(principal, "clients.corporateclient.delete", client),
        "can_archive": can(principal, "clients.corporateclient.archive", client),
        "can_merge": can(principal, "clients.corporateclient.merge", client),
        # read (through its scope, as before) only when some merge into the client exists: none is the rule
        "merges": selectors.merge_history(principal=principal, client=client).only(
            *own_and_related_columns(ClientMerge, merged_by=USER_NAME_COLUMNS)) if client.has_merges else [],
        "breadcrumbs": _crumbs((client.legal_name, "")),
    })
    return render(request, "clients/client_detail.html", context)


@require_http_methods(["GET", "POST"])
def client_update(request, pk):
    principal = request.principal
    client = selectors.client_get(principal=principal, pk=pk)
    require(principal, "clients.corporateclient.change", client)
    distributors = _writable_distributors(principal) if can(principal, "clients.corporateclient.move", client) else None
    form = ClientForm(request.POST or None, instance=client, principal=principal, distributors=distributors)
    if request.method == "POST" and form.is_valid():
        try:
            services.client_update(principal=principal, client=client, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Client saved."))
            return redirect(client)
    return render(request, "clients/client_form.html", {
        "form": form, "client": client, "breadcrumbs": _crumbs((client.legal_name, client.get_absolute_url()), (_("Edit"), "")),
    })


@require_http_methods(["GET", "POST"])
def client_delete(request, pk):
    principal = request.principal
    client = selectors.client_get(principal=principal, pk=pk)
    require(principal, "clients.corporateclient.delete", client)
    error = ""
    if request.method == "POST":
        try:
            services.client_delete(principal=principal, client=client)
        except ConflictError as exc:
            error = exc.message
        else:
            messages.success(request, _("Client deleted."))
            return redirect("clients:client_list")
    return render(request, "clients/client_confirm_delete.html", {
        "client": client, "error": error, "can_archive": can(principal, "clients.corporateclient.archive", client),
        "breadcrumbs": _crumbs((client.legal_name, client.get_absolute_url()), (_("Delete"), "")),
    })


@require_POST
def client_archive(request, pk):
    principal = request.principal
    client = selectors.client_get(principal=principal, pk=pk)
    services.client_archive(principal=principal, client=client)
    messages.success(request, _("Client archived: it no longer shows in the lists; everything that points at it stays."))
    return redirect(client)


@require_POST
def client_restore(request, pk):
    principal = request.principal
    client = selectors.client_get(principal=principal, pk=pk)
    services.client_restore(principal=principal, client=client)
    messages.success(request, _("Client restored to the lists."))
    return redirect(client)


@require_http_methods(["GET", "POST"])
def client_merge(request, pk):
    principal = request.principal
    client = selectors.client_get(principal=principal, pk=pk)
    require(principal, "clients.corporateclient.merge", client)
    check = selectors.client_find_duplicates(principal=principal, legal_name=client.legal_name, tax_id=client.tax_id,
                                             exclude_id=client.pk, limit=25)
    candidate_ids = [c.client_id for c in check.candidates]
    if request.GET.get("q"):
        candidate_ids += list(
            _searched(request, selectors.client_list(principal=principal)).exclude(pk=client.pk).values_list("pk", flat=True)[:25]
        )
    candidates = selectors.client_list(principal=principal).filter(pk__in=candidate_ids + [int(request.POST.get("duplicate") or 0)]).exclude(pk=client.pk)
    form = MergeForm(request.POST or None, candidates=candidates)
    if request.method == "POST" and form.is_valid():
        try:
            record = services.client_merge(principal=principal, survivor=client, duplicate=form.cleaned_data["duplicate"])
        except (ValidationError, ConflictError) as exc:
            form.add_error(None, getattr(exc, "message", None) or exc)
        else:
            messages.success(request, _("%(name)s was merged into this client.") % {"name": record.merged_legal_name})
            return redirect(client)
    return render(request, "clients/client_merge.html", {
        "client": client, "form": form, "check": check,
        "breadcrumbs": _crumbs((client.legal_name, client.get_absolute_url()), (_("Merge"), "")),
    })


# ------------------------------------------------------------------------- buying centre (HTMX inline)


def _section(request, principal, client, status=200):
    """The whole buying-centre section (table, links, analysis, chart data), for HTMX swaps."""
    if not is_htmx(request):
        return redirect(reverse("clients:client_detail", args=[client.pk]) + "#tab-buying-centre")
    response = render(request, "clients/_buying_centre.html", buying_centre_context(principal, client), status=status)
    response["HX-Retarget"] = "#buying-centre"
    response["HX-Reswap"] = "outerHTML"
    return response


@require_POST
def stakeholder_create(request, pk):
    principal = request.principal
    client = selectors.client_get(principal=principal, pk=pk)
    require(principal, "clients.stakeholder.change", client)
    form = StakeholderForm(request.POST, client=client, prefix="new")
    if form.is_valid():
        try:
            services.stakeholder_create(principal=principal, client=client, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
    if form.errors:
        if not is_htmx(request):
            messages.error(request, _("The person was not added: %(errors)s") % {"errors": form.errors.as_text()})
            return _section(request, principal, client)
        context = buying_centre_context(principal, client)
        context["stakeholder_form"] = form
        context["open_new"] = True
        response = render(request, "clients/_buying_centre.html", context)
        response["HX-Retarget"] = "#buying-centre"
        response["HX-Reswap"] = "outerHTML"
        return response
    return _section(request, principal, client)


@require_GET
def stakeholder_new_form(request, pk):
    """The fields of the client page's "Add a person" form (HTMX), loaded when the user opens that section."""
    principal = request.principal
    client = selectors.client_get(principal=principal, pk=pk)
    require(principal, "clients.stakeholder.change", client)
    people = list(selectors.stakeholder_list(principal=principal, client=client))
    return render(request, "clients/_stakeholder_fields.html",
                  {"form": StakeholderForm(client=client, prefix="new", people=people)})


def stakeholder_row(request, pk):
    principal = request.principal
    stakeholder = selectors.stakeholder_get(principal=principal, pk=pk)
    context = buying_centre_context(principal, stakeholder.client)
    context["s"] = next(s for s in context["stakeholders"] if s.pk == stakeholder.pk)
    return render(request, "clients/_stakeholder_row.html", context)


@require_http_methods(["GET", "POST"])
def stakeholder_edit(request, pk):
    principal = request.principal
    stakeholder = selectors.stakeholder_get(principal=principal, pk=pk)
    client = stakeholder.client
    require(principal, "clients.stakeholder.change", client)
    form = StakeholderForm(request.POST or None, instance=stakeholder, client=client, prefix=f"s{pk}")
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        expected_version = fields.pop("version", None)
        try:
            services.stakeholder_update(principal=principal, stakeholder=stakeholder,
                                        expected_version=expected_version, **fields)
        except ValidationError as exc:
            form.add_error(None, exc)
        except ConflictError as exc:
            form.add_error(None, exc.message)
        else:
            return _section(request, principal, client)
    if request.method == "POST" and not is_htmx(request):
        messages.error(request, _("Not saved: %(errors)s") % {"errors": form.errors.as_text()})
        return _section(request, principal, client)
    return render(request, "clients/_stakeholder_edit_row.html", {"form": form, "s": stakeholder})


@require_POST
def stakeholder_delete(request, pk):
    principal = request.principal
    stakeholder = selectors.stakeholder_get(principal=principal, pk=pk)
    client = stakeholder.client
    _delete(request, services.stakeholder_delete, stakeholder=stakeholder)
    return _section(request, principal, client)


@require_POST
def contact_add(request, pk):
    principal = request.principal
    stakeholder = selectors.stakeholder_get(principal=principal, pk=pk)
    client = stakeholder.client
    require(principal, "clients.stakeholder.change", client)
    form = ContactForm(request.POST, people=selectors.our_people_for(client))
    if form.is_valid():
        try:
            services.stakeholder_contact_set(principal=principal, stakeholder=stakeholder, **form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        except AssignmentRefused as exc:  # the section is swapped by HTMX, which swaps no 4xx: say it there
            messages.error(request, exc.message)
    else:
        messages.error(request, _("Choose one of our people and the relationship levels."))
    return _section(request, principal, client)


@require_POST
def contact_delete(request, pk):
    principal = request.principal
    contact = selectors.contact_get(principal=principal, pk=pk)
    client = contact.stakeholder.client
    _delete(request, services.stakeholder_contact_delete, contact=contact)
    return _section(request, principal, client)


@require_POST
def link_create(request, pk):
    principal = request.principal
    client = selectors.client_get(principal=principal, pk=pk)
    require(principal, "clients.stakeholder.change", client)
    form = LinkForm(request.POST, client=client)
    if form.is_valid():
        try:
            services.stakeholder_link_create(principal=principal, **form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    else:
        messages.error(request, _("Choose two people and the kind of link."))
    return _section(request, principal, client)


@require_POST
def link_delete(request, pk):
    principal = request.principal
    link = selectors.link_get(principal=principal, pk=pk)
    client = link.source.client
    _delete(request, services.stakeholder_link_delete, link=link)
    return _section(request, principal, client)


# ---------------------------------------------------------------------------------------- account plan


def _plan_context(principal, client):
    if not client.is_key_account:
        raise Http404("not a key account")
    plan = selectors.account_plan_get(principal=principal, client=client)
    stakeholders = list(selectors.stakeholder_list(principal=principal, client=client))
    return {
        "client": client,
        "plan": plan,
        "space": selectors.whitespace(client=client),
        "analysis": selectors.buying_centre_analysis(client=client, stakeholders=stakeholders),
        "key_people": sorted(
            (s for s in stakeholders if selectors.is_key_person(s) or selectors.is_opponent(s)),
            key=lambda s: (-s.influence, s.full_name),
        )[:12],
    }


@require_http_methods(["GET", "POST"])
def account_plan(request, pk):
    principal = request.principal
    client = selectors.client_get(principal=principal, pk=pk)
    context = _plan_context(principal, client)
    editable = can(principal, "clients.accountplan.change", client)
    people = selectors.our_people_for(client)
    plan = context["plan"]
    form = None
    status = 200
    if request.method == "POST":
        require(principal, "clients.accountplan.change", client)
        form = AccountPlanForm(request.POST, instance=plan, people=people)
        if form.is_valid():
            try:
                services.account_plan_update(principal=principal, client=client, **form.cleaned_data)
            except AssignmentRefused as exc:
                status = form_refusal(form, exc)
            else:
                messages.success(request, _("Account plan saved."))
                return redirect("clients:account_plan", pk=client.pk)
    if editable:
        form = form or AccountPlanForm(instance=plan, people=people)
        offer_assignable(form.fields["owner"], principal, getattr(plan, "owner_id", None))
        context["item_forms"] = {
            kind: cls(people=people, plan=plan, prefix=kind) for kind, cls in PLAN_ITEM_FORMS.items()
        }
        for item_form in context["item_forms"].values():
            if "owner" in item_form.fields:
                offer_assignable(item_form.fields["owner"], principal)
    context.update({"form": form, "can_edit": editable, "breadcrumbs": _crumbs(
        (client.legal_name, client.get_absolute_url()), (_("Account plan"), ""))})
    return render(request, "clients/account_plan.html", context, status=status)


def account_plan_print(request, pk):
    principal = request.principal
    client = selectors.client_get(principal=principal, pk=pk)
    return render(request, "clients/account_plan_print.html", _plan_context(principal, client))


@require_POST
def account_plan_item_add(request, pk, kind):
    principal = request.principal
    client = selectors.client_get(principal=principal, pk=pk)
    if kind not in PLAN_ITEM_FORMS or not client.is_key_account:
        raise Http404
    require(principal, "clients.accountplan.change", client)
    plan = selectors.account_plan_get(principal=principal, client=client)
    form = PLAN_ITEM_FORMS[kind](request.POST, people=selectors.our_people_for(client), plan=plan, prefix=kind)
    if form.is_valid():
        create = {
            "objective": services.account_objective_create,
            "action": services.account_action_create,
            "competitor": services.account_competitor_create,
        }[kind]
        data = dict(form.cleaned_data)
        first = "name" if kind == "competitor" else "title"
        try:
            create(principal=principal, client=client, **{first: data.pop(first)}, **data)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        except AssignmentRefused as exc:
            messages.error(request, exc.message)
            return redirect("clients:account_plan", pk=client.pk)
    else:
        messages.error(request, _("Not added: %(errors)s") % {"errors": form.errors.as_text()})
    return redirect("clients:account_plan", pk=client.pk)


def _plan_item(principal, client, kind, item_pk):
    plan = selectors.account_plan_get(principal=principal, client=client)
    if plan is None or kind not in PLAN_ITEM_FORMS:
        raise Http404
    related = {"objective": plan.objectives, "action": plan.actions, "competitor": plan.competitors}[kind]
    item = related.filter(pk=item_pk).first()
    if item is None:
        raise Http404
    return plan, item


@require_http_methods(["GET", "POST"])
def account_plan_item_edit(request, pk, kind, item_pk):
    """Edit one objective, action or competitor in place: status, owner, due date, result (issue 16)."""
    principal = request.principal
    client = selectors.client_get(principal=principal, pk=pk)
    plan, item = _plan_item(principal, client, kind, item_pk)
    require(principal, "clients.accountplan.change", client)
    people = selectors.our_people_for(client)
    form = PLAN_ITEM_FORMS[kind](request.POST or None, instance=type(item).objects.get(pk=item.pk), people=people,
                                 plan=plan)
    if "owner" in form.fields:
        offer_assignable(form.fields["owner"], principal, getattr(item, "owner_id", None))
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                services.account_item_update(principal=principal, item=item, **form.cleaned_data)
            except AssignmentRefused as exc:
                status = form_refusal(form, exc)
            except ValidationError as exc:
                service_errors_to_form(form, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect(reverse("clients:account_plan", args=[client.pk]) + f"#{kind}-{item.pk}")
    return render(request, "clients/account_plan_item.html", {
        "client": client, "item": item, "kind": kind, "form": form,
        "history_model": type(item)._meta.model_name,
        "breadcrumbs": _crumbs((client.legal_name, client.get_absolute_url()),
                               (_("Account plan"), reverse("clients:account_plan", args=[client.pk])), (str(item), "")),
    }, status=status)


@require_POST
def account_plan_item_delete(request, pk, kind, item_pk):
    principal = request.principal
    client = selectors.client_get(principal=principal, pk=pk)
    plan = selectors.account_plan_get(principal=principal, client=client)
    if plan is None or kind not in PLAN_ITEM_FORMS:
        raise Http404
    related = {"objective": plan.objectives, "action": plan.actions, "competitor": plan.competitors}[kind]
    item = related.filter(pk=item_pk).first()
    if item is None:
        raise Http404
    _delete(request, services.account_item_delete, item=item)
    return redirect("clients:account_plan", pk=client.pk)


