"""Pages of the network app: distributors, territories, product lines."""

import dataclasses
import math
from datetime import date

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from keychannel.core.assignment import offer_assignable
from keychannel.core.partials import render_partial
from keychannel.core.policies import can, require
from keychannel.core.tables import Column, Filter, Table
from keychannel.core.views import form_page

from . import page_selectors, selectors, services
from .choices import AlignmentQuadrant, ContractStrength, DistributorKind, Sharing, SizeTier, Stance
from .forms import (
    ActionItemForm,
    CoverageForm,
    DistributorForm,
    InteractionForm,
    PersonForm,
    PlaybookForm,
    ReadinessForm,
    RelationshipForm,
    ReviewForm,
)
from .models import (
    ActionItem,
    ComplianceReview,
    Coverage,
    DistributorPerson,
    Playbook,
    ReadinessAssessment,
    Relationship,
)
from .redaction import DISTRIBUTOR_INTERNAL_FIELDS, distributor_hidden_fields

DISTRIBUTOR_TABLE = Table(
    columns=[
        Column("code", gettext_lazy("Code"), sort="code", link=True),
        Column("legal_name", gettext_lazy("Legal name"), sort="legal_name", link=True),
        Column("territory", gettext_lazy("Territory"), sort="territory__name"),
        Column("get_kind_display", gettext_lazy("Kind"), sort="kind"),
        Column("get_size_tier_display", gettext_lazy("Size"), sort="size_tier", badge=True),
        Column("get_contract_strength_display", gettext_lazy("Contract"), sort="contract_strength"),
        Column("get_stance_display", gettext_lazy("Stance"), sort="stance", badge=True),
        Column("get_alignment_quadrant_display", gettext_lazy("Alignment")),
        Column("channel_manager.get_full_name", gettext_lazy("Channel manager"), sort="channel_manager__last_name"),
    ],
    search_fields=["legal_name", "code", "tax_id", "city"],
    filters=[
        Filter("kind", gettext_lazy("Kind"), DistributorKind.choices, "kind"),
        Filter("size_tier", gettext_lazy("Size"), SizeTier.choices, "size_tier"),
        Filter("contract_strength", gettext_lazy("Contract"), ContractStrength.choices, "contract_strength"),
        Filter("stance", gettext_lazy("Stance"), Stance.choices, "stance"),
        Filter("shares_goals", gettext_lazy("Shares goals"), Sharing.choices, "shares_goals"),
        Filter("shares_methods", gettext_lazy("Shares methods"), Sharing.choices, "shares_methods"),
    ],
    default_sort="code",
)
# Distributor users' list: without the columns and filters of the manufacturer's internal assessment (a filter on
# stance would tell the stance by the rows it keeps).
_INTERNAL_COLUMNS = {"get_stance_display", "get_alignment_quadrant_display"}
PARTNER_DISTRIBUTOR_TABLE = dataclasses.replace(
    DISTRIBUTOR_TABLE,
    columns=[c for c in DISTRIBUTOR_TABLE.columns if c.key not in _INTERNAL_COLUMNS],
    filters=[f for f in DISTRIBUTOR_TABLE.filters if f.name not in DISTRIBUTOR_INTERNAL_FIELDS],
)


# What the list's columns (and its exports) read of a distributor: the API's product lines (a prefetch of some 400
# rows per page), organisation and other columns were half of the page's Python (issue 22).
LIST_COLUMNS = ("code", "legal_name", "organization_id", "kind", "size_tier", "contract_strength", "stance",
                "shares_goals", "shares_methods", "territory__name", "channel_manager__username",
                "channel_manager__first_name", "channel_manager__last_name")


def _listed(distributors):
    return (distributors.prefetch_related(None).select_related(None).select_related("territory", "channel_manager")
            .only(*LIST_COLUMNS))


def distributor_list(request):
    principal = request.principal
    table_spec = PARTNER_DISTRIBUTOR_TABLE if distributor_hidden_fields(principal, None) else DISTRIBUTOR_TABLE
    table = table_spec.build(request, _listed(selectors.distributor_list(principal=principal)))
    return render_partial(
        request,
        "network/distributor_list.html",
        {"table": table, "can_create": can(request.principal, "network.distributor.create"),
         "breadcrumbs": [(_("Distributors"), "")]},
        partial="includes/table.html",
    )


def _invite_url(principal, distributor) -> str:
    """The "invite a person" link: the administrator's form comes pre-filled (the head first, then salespeople)."""
    from urllib.parse import urlencode

    from keychannel.core.models import Membership

    if not can(principal, "core.user.invite"):
        return ""
    url = reverse("core:user_invite")
    if can(principal, "core.user.invite_anywhere"):
        has_head = getattr(distributor, "has_head", None)  # the distributor page reads it with the distributor
        if has_head is None:
            has_head = Membership.objects.filter(organization_id=distributor.organization_id, role="dist_head").exists()
        query = {"organization": distributor.organization_id, "role": "dist_sales" if has_head else "dist_head"}
        return f"{url}?{urlencode(query)}"
    return url if principal.organization_id == distributor.organization_id else ""


def distributor_detail(request, pk):
    principal = request.principal
    distributor = page_selectors.distributor_page_get(principal=principal, pk=pk,
                                                      asks_head=can(principal, "core.user.invite_anywhere"))
    context = page_selectors.distributor_overview(principal=principal, distributor=distributor, on_date=timezone.localdate())
    context.update(
        {
            "distributor": distributor,
            "can_edit": can(principal, "network.distributor.change", distributor),
            "invite_url": _invite_url(principal, distributor),
            "can_edit_coverage": can(principal, "network.coverage.change", distributor),
            "can_request_coverage": can(principal, "network.coverage.request", distributor),
            "can_edit_profile": can(principal, "network.distributor.profile", distributor),
            "can_decide_coverage": can(principal, "network.coverage.decide", distributor),
            "can_edit_people": can(principal, "network.person.change", distributor),
            "can_edit_relationships": can(principal, "network.relationship.change", distributor),
            "can_assess": can(principal, "network.readiness.change", distributor),
            "can_review": can(principal, "network.review.change", distributor),
            "can_edit_actions": can(principal, "network.action_item.change", distributor),
            "reaches": principal.reaches(distributor.pk),
            "breadcrumbs": [(_("Distributors"), "network:distributor_list"), (distributor.code, "")],
        }
    )
    return render(request, "network/distributor_detail.html", context)


@require_http_methods(["GET", "POST"])
def distributor_update(request, pk):
    principal = request.principal
    distributor = selectors.distributor_get(principal=principal, pk=pk)
    require(principal, "network.distributor.change", distributor)
    allowed = None if can(principal, "network.distributor.change_terms", distributor) else services.SEGMENT_FIELDS
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
        {"tree": selectors.territory_tree(principal=request.principal), "breadcrumbs": [(_("Territories"), "")],
         "can_edit": can(request.principal, "network.reference.change")},
    )


def productline_list(request):
    return render(
        request,
        "network/productline_list.html",
        {
            "product_lines": selectors.product_line_list(principal=request.principal),
            "can_edit": can(request.principal, "network.reference.change"),
            "breadcrumbs": [(_("Product lines"), "")],
        },
    )


def _date_param(request, name="on") -> date:
    try:
        return parse_date(request.GET.get(name, "")) or timezone.localdate()
    except ValueError:
        return timezone.localdate()


def coverage_matrix(request):
    principal = request.principal
    require(principal, "network.coverage.matrix")
    on_date = _date_param(request)
    try:
        region_id = int(request.GET.get("region") or 0) or None
    except ValueError:
        region_id = None
    matrix = selectors.coverage_matrix(principal=principal, on_date=on_date, region_id=region_id)
    return render(
        request,
        "network/coverage_matrix.html",
        {**matrix, "on_date": on_date, "region_id": region_id, "breadcrumbs": [(_("Coverage"), "")],
         "can_edit_presence": can(request.principal, "network.presence.change")},
    )


def _coverage_form_page(request, *, distributor, coverage=None):
    principal = request.principal
    require(principal, "network.coverage.change", distributor)
    form = CoverageForm(request.POST or None, instance=coverage, distributor=distributor)

    def save(data):
        if coverage is None:
            return services.coverage_create(principal=principal, distributor=distributor, **data)
        return services.coverage_update(principal=principal, coverage=coverage, **data)

    return _form_page(request, form=form, save=save, title=_("Edit coverage") if coverage else _("Add coverage"),
                      distributor=distributor, crumb=_("Coverage"), message=_("Coverage saved."),
                      success_url=distributor.get_absolute_url() + "#tab-agreement")


@require_http_methods(["GET", "POST"])
def coverage_create(request, pk):
    distributor = selectors.distributor_get(principal=request.principal, pk=pk)
    return _coverage_form_page(request, distributor=distributor)


@require_http_methods(["GET", "POST"])
def coverage_update(request, pk):
    from keychannel.core.scoping import get_visible_or_404

    coverage = get_visible_or_404(Coverage.objects.select_related("distributor"), request.principal, pk=pk)
    return _coverage_form_page(request, distributor=coverage.distributor, coverage=coverage)


STANCE_COLOURS = {Stance.ACTIVE: "#198754", Stance.CAUTIOUS: "#fd7e14", Stance.RESISTANT: "#dc3545"}
SHARING_AXIS = {Sharing.NO: 0, Sharing.PARTLY: 1, Sharing.YES: 2}


QUADRANT_CELL_SPAN = 0.7  # the share of a cell (one answer × one answer) its points may use


def quadrant_positions(distributors) -> dict[int, tuple[float, float, float]]:
    """Where each distributor sits on the quadrant: in the cell of its two answers, the cell's distributors on a
    small grid (largest revenue first), so no two points and no two code labels fall on each other; the third
    value is the room a point has (axis units), which caps its drawn size. A hashed jitter used to put
    distributors with the same answers on top of one another."""
    cells: dict[tuple[int, int], list] = {}
    for d in distributors:
        cells.setdefault((SHARING_AXIS[d.shares_methods], SHARING_AXIS[d.shares_goals]), []).append(d)
    positions = {}
    for (x, y), members in cells.items():
        members.sort(key=lambda d: (-float(d.annual_revenue), d.code))
        columns = math.ceil(math.sqrt(len(members)))
        rows = math.ceil(len(members) / columns)
        step_x, step_y = QUADRANT_CELL_SPAN / columns, QUADRANT_CELL_SPAN / rows
        for index, d in enumerate(members):
            row, column = divmod(index, columns)
            positions[d.pk] = (round(x - QUADRANT_CELL_SPAN / 2 + step_x * (column + 0.5), 3),
                               round(y + QUADRANT_CELL_SPAN / 2 - step_y * (row + 0.5), 3),
                               round(min(step_x, step_y), 3))
    return positions


def distributor_quadrant(request):
    """The alignment quadrant: each distributor a point (methods × goals), sized by revenue, coloured by stance."""
    principal = request.principal
    require(principal, "network.alignment.view")
    filters = {name: request.GET.get(name) for name in FILTER_NAMES if request.GET.get(name)}
    distributors = list(selectors.distributor_list(principal=principal, filters=filters))
    sole_ids = selectors.sole_channel_distributor_ids(on_date=timezone.localdate())
    top = max((float(d.annual_revenue) for d in distributors), default=1.0) or 1.0
    positions = quadrant_positions(distributors)
    points = []
    for d in distributors:
        x, y, room = positions[d.pk]
        points.append(
            {
                "id": d.pk,
                "code": d.code,
                "name": d.legal_name,
                "x": x,
                "y": y,
                "room": room,
                "size": round(26 + 18 * math.sqrt(float(d.annual_revenue) / top), 1),
                "revenue": float(d.annual_revenue),
                "stance": d.stance,
                "stance_label": str(d.get_stance_display()),
                "quadrant": str(d.get_alignment_quadrant_display()),
                "sole_channel": d.pk in sole_ids,
                "url": d.get_absolute_url(),
            }
        )
    chart = {
        "points": points,
        "stances": [{"key": k, "label": str(label), "colour": STANCE_COLOURS[k]} for k, label in Stance.choices],
        "axis": [str(label) for _k, label in sorted(Sharing.choices, key=lambda c: SHARING_AXIS[c[0]])],
        "ticks": sorted(SHARING_AXIS.values()),
        "labels": {
            "x": _("Shares our methods"),
            "y": _("Shares our goals"),
            "revenue": _("Annual revenue (RON)"),
            "sole": _("Sole channel somewhere"),
            "quadrants": {k: str(label) for k, label in AlignmentQuadrant.choices},
        },
    }
    counts = {}
    for d in distributors:
        counts[d.alignment_quadrant] = counts.get(d.alignment_quadrant, 0) + 1
    return render(
        request,
        "network/distributor_quadrant.html",
        {
            "chart": chart,
            "filters": DISTRIBUTOR_TABLE.filters,
            "active": filters,
            "quadrant_counts": [(label, counts.get(k, 0)) for k, label in AlignmentQuadrant.choices],
            "breadcrumbs": [(_("Distributors"), "network:distributor_list"), (_("Alignment quadrant"), "")],
        },
    )


FILTER_NAMES = ("size_tier", "contract_strength", "stance", "shares_goals", "shares_methods")


def playbook_list(request):
    principal = request.principal
    require(principal, "network.playbook.view")
    return render(
        request,
        "network/playbook_list.html",
        {
            "playbooks": selectors.playbook_list(principal=principal),
            "can_edit": can(principal, "network.playbook.change"),
            "breadcrumbs": [(_("Playbooks"), "")],
        },
    )


@require_http_methods(["GET", "POST"])
def playbook_update(request, pk):
    from keychannel.core.scoping import get_visible_or_404

    principal = request.principal
    playbook = get_visible_or_404(Playbook, principal, pk=pk)
    require(principal, "network.playbook.change", playbook)
    form = PlaybookForm(request.POST or None, instance=playbook)
    return form_page(
        request, form, title=_("Edit playbook"), subtitle=playbook.get_quadrant_display(),
        cancel_url=playbook.get_absolute_url(), breadcrumbs=[(_("Playbooks"), "network:playbook_list"), (playbook.title, "")],
        save=lambda data: services.playbook_update(principal=principal, playbook=playbook, **{
            k: data[k] for k in ("title", "approach", "actions")
        }),
        success=_("Playbook saved."), back="network:playbook_list",
    )


# --- people, relationships, readiness, reviews: form pages --------------------------------------------------------


def _form_page(request, *, form, save, title, distributor, success_url, message, section="", crumb=None):
    """A form page under a distributor (core.views.form_page): its crumbs, its name under the title, Cancel to its tab."""
    return form_page(
        request, form, title=title, subtitle=distributor.legal_name, cancel_url=distributor.get_absolute_url() + section,
        breadcrumbs=[(_("Distributors"), "network:distributor_list"), (distributor.code, distributor.get_absolute_url()),
                     (crumb or title, "")],
        save=save, success=message, back=success_url,
    )


def _visible(model_or_qs, request, pk):
    from keychannel.core.scoping import get_visible_or_404

    return get_visible_or_404(model_or_qs, request.principal, pk=pk)


@require_http_methods(["GET", "POST"])
def person_create(request, pk):
    principal = request.principal
    distributor = selectors.distributor_get(principal=principal, pk=pk)
    require(principal, "network.person.change", distributor)
    return _form_page(
        request, form=PersonForm(request.POST or None), distributor=distributor, title=_("Add a person"),
        save=lambda data: services.person_create(principal=principal, distributor=distributor, **data),
        success_url=distributor.get_absolute_url() + "#tab-people", message=_("Person saved."), section="#tab-people",
    )


@require_http_methods(["GET", "POST"])
def person_update(request, pk):
    principal = request.principal
    person = _visible(DistributorPerson.objects.select_related("distributor"), request, pk)
    require(principal, "network.person.change", person.distributor)
    return _form_page(
        request, form=PersonForm(request.POST or None, instance=person), distributor=person.distributor,
        title=_("Edit person"), save=lambda data: services.person_update(principal=principal, person=person, **data),
        success_url=person.get_absolute_url(), message=_("Person saved."), section="#tab-people",
    )


@require_http_methods(["GET", "POST"])
def relationship_create(request, pk):
    principal = request.principal
    distributor = selectors.distributor_get(principal=principal, pk=pk)
    require(principal, "network.relationship.change", distributor)
    initial = {"manufacturer_user": principal.user_id}
    if person_id := request.GET.get("person"):
        initial["person"] = person_id
    form = RelationshipForm(request.POST or None, distributor=distributor, initial=initial)

    def save(data):
        data = dict(data)
        person = data.pop("person")
        services.relationship_create(principal=principal, person=person, **data)

    return _form_page(
        request, form=form, distributor=distributor, title=_("Add a relationship"), save=save,
        success_url=distributor.get_absolute_url() + "#tab-people", message=_("Relationship saved."),
        section="#tab-people",
    )


@require_http_methods(["GET", "POST"])
def relationship_update(request, pk):
    principal = request.principal
    relationship = _visible(Relationship.objects.select_related("person__distributor", "manufacturer_user"), request, pk)
    distributor = relationship.person.distributor
    require(principal, "network.relationship.change", distributor)
    form = RelationshipForm(request.POST or None, instance=relationship, distributor=distributor)
    return _form_page(
        request, form=form, distributor=distributor, title=_("Edit relationship"),
        save=lambda data: services.relationship_update(principal=principal, relationship=relationship, **data),
        success_url=relationship.get_absolute_url(), message=_("Relationship saved."), section="#tab-people",
    )


@require_http_methods(["GET", "POST"])
def interaction_create(request, pk):
    principal = request.principal
    relationship = _visible(Relationship.objects.select_related("person__distributor", "manufacturer_user"), request, pk)
    distributor = relationship.person.distributor
    require(principal, "network.relationship.change", distributor)
    form = InteractionForm(request.POST or None, initial={"occurred_on": timezone.localdate()})
    return _form_page(
        request, form=form, distributor=distributor,
        title=_("Log an interaction: %(relationship)s") % {"relationship": relationship},
        save=lambda data: services.interaction_record(principal=principal, relationship=relationship, **data),
        success_url=relationship.get_absolute_url(), message=_("Interaction recorded."), section="#tab-people",
    )


def relationship_health(request):
    principal = request.principal
    require(principal, "network.relationship.health")
    # No value: the installation's setting (KEYCHANNEL_RELATIONSHIP_STALE_DAYS, 180 by default). A value that is
    # not a whole number of days from 1 is refused with a message and the setting is used, never "1 day" (which
    # used to open the page and flag every distributor as stale).
    default_days = selectors.stale_days_setting()
    stale_days, error = default_days, ""
    if (given := request.GET.get("stale_days", "").strip()) != "":
        try:
            stale_days = int(given)
        except ValueError:
            stale_days = 0
        if stale_days < 1:
            stale_days, error = default_days, _("Enter a whole number of days, at least 1.")
    rows = selectors.relationship_health_overview(principal=principal, on_date=timezone.localdate(), stale_days=stale_days)
    return render(
        request,
        "network/relationship_health.html",
        {
            "rows": rows,
            "stale_days": stale_days,
            "default_stale_days": default_days,
            "stale_days_error": error,
            "flagged": sum(1 for r in rows if r["flags"]),
            "breadcrumbs": [(_("Relationship health"), "")],
        },
    )


@require_http_methods(["GET", "POST"])
def readiness_create(request, pk):
    principal = request.principal
    distributor = selectors.distributor_get(principal=principal, pk=pk)
    require(principal, "network.readiness.change", distributor)
    questionnaire = selectors.active_questionnaire()
    if questionnaire is None:
        messages.error(request, _("No readiness questionnaire is in use."))
        return redirect(distributor.get_absolute_url() + "#tab-readiness")
    form = ReadinessForm(request.POST or None, questionnaire=questionnaire, initial={"assessed_on": timezone.localdate()})
    created = {}

    def save(data):
        created["assessment"] = services.readiness_assess(
            principal=principal, distributor=distributor, assessed_on=data["assessed_on"], summary=data["summary"],
            answers=form.answers(), questionnaire=questionnaire,
        )

    response = _form_page(
        request, form=form, distributor=distributor, title=_("Assess readiness"), save=save,
        success_url=distributor.get_absolute_url() + "#tab-readiness", message=_("Assessment saved."),
        section="#tab-readiness",
    )
    if "assessment" in created:
        return redirect(created["assessment"])
    return response


def readiness_detail(request, pk):
    principal = request.principal
    assessment = _visible(selectors.readiness_list(principal=principal), request, pk)
    distributor = assessment.distributor
    items = list(selectors.action_item_list(principal=principal, assessment_ids=[assessment.pk]))
    return render(
        request,
        "network/readiness_detail.html",
        {
            "assessment": assessment,
            "distributor": distributor,
            "items": items,
            "can_add_actions": can(principal, "network.action_item.change", distributor),
            "breadcrumbs": [
                (_("Distributors"), "network:distributor_list"),
                (distributor.code, distributor.get_absolute_url()),
                (_("Readiness %(date)s") % {"date": assessment.assessed_on}, ""),
            ],
        },
    )


@require_http_methods(["GET", "POST"])
def action_item_create(request, pk):
    principal = request.principal
    assessment = _visible(ReadinessAssessment.objects.select_related("distributor"), request, pk)
    distributor = assessment.distributor
    require(principal, "network.action_item.change", distributor)
    form = ActionItemForm(request.POST or None, distributor=distributor)
    offer_assignable(form.fields["owner"], principal)
    return _form_page(
        request, form=form, distributor=distributor, title=_("Add an action"),
        save=lambda data: services.action_item_create(principal=principal, assessment=assessment, **data),
        success_url=assessment.get_absolute_url(), message=_("Action saved."),
    )


@require_http_methods(["GET", "POST"])
def action_item_update(request, pk):
    principal = request.principal
    item = _visible(ActionItem.objects.select_related("assessment__distributor"), request, pk)
    distributor = item.assessment.distributor
    require(principal, "network.action_item.change", distributor)
    form = ActionItemForm(request.POST or None, instance=item, distributor=distributor)
    offer_assignable(form.fields["owner"], principal, item.owner_id)
    return _form_page(
        request, form=form, distributor=distributor, title=_("Edit action"),
        save=lambda data: services.action_item_update(principal=principal, item=item, **data),
        success_url=item.assessment.get_absolute_url(), message=_("Action saved."),
    )


@require_http_methods(["GET", "POST"])
def review_create(request, pk):
    principal = request.principal
    distributor = selectors.distributor_get(principal=principal, pk=pk)
    require(principal, "network.review.change", distributor)
    form = ReviewForm(request.POST or None, initial={"reviewed_on": timezone.localdate()})
    return _form_page(
        request, form=form, distributor=distributor, title=_("New compliance review"),
        save=lambda data: services.review_create(principal=principal, distributor=distributor, **data),
        success_url=distributor.get_absolute_url() + "#tab-reviews", message=_("Review saved."), section="#tab-reviews",
    )


@require_http_methods(["GET", "POST"])
def review_update(request, pk):
    principal = request.principal
    review = _visible(ComplianceReview.objects.select_related("distributor"), request, pk)
    require(principal, "network.review.change", review.distributor)
    form = ReviewForm(request.POST or None, instance=review)
    return _form_page(
        request, form=form, distributor=review.distributor, title=_("Edit compliance review"),
        save=lambda data: services.review_update(principal=principal, review=review, **data),
        success_url=review.get_absolute_url(), message=_("Review saved."), section="#tab-reviews",
    )
