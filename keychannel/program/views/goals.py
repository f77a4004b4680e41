"""Goal pages: the goal tree and its filters, a goal with its chart and milestones."""

from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from keychannel.core.filters import ListFilters
from keychannel.core.policies import can, require
from keychannel.core.scoping import get_visible_or_404
from keychannel.core.views import form_page, post_action

from .. import forms, selectors, services
from ..filters import GOAL_FILTERS
from ..models import Milestone
from .common import _chart_names, _crumbs

# --- goals ------------------------------------------------------------------------------------------------------


def goal_list(request, pk):
    principal = request.principal
    program = selectors.program_get(principal=principal, pk=pk)
    controls = GOAL_FILTERS.page_controls(principal)
    filters = GOAL_FILTERS.from_query(request.GET, principal, controls)
    tree = selectors.goal_tree(principal=principal, program=program, filters=filters)
    rows = selectors.flatten(tree)
    progress = [r["progress"] for r in rows]
    chart_goal = None
    if (wanted := request.GET.get("chart")) and wanted.isdigit():
        chart_goal = next((p.goal for p in progress if p.goal.pk == int(wanted)), None)
    if chart_goal is None and progress:
        chart_goal = progress[0].goal
    chart = selectors.goal_series(chart_goal) if chart_goal else None
    if chart is not None:
        chart["title"] = str(chart_goal)
    bars = [{"name": p.goal.name, "target": float(p.goal.target), "to_date": float(p.target_to_date),
             "actual": float(p.actual) if p.actual is not None else None, "metric": str(p.goal.metric_label)}
            for p in progress if p.goal.level == "distributor"][:60]
    return render(request, "program/goal_list.html", {
        "program": program, "rows": rows, "summary": selectors.level_summary(progress), "chart": chart,
        "chart_goal": chart_goal, "bars": bars, "chart_names": _chart_names(), "can_edit": can(principal, "program.goal.change", program),
        "bars_height": max(300, 90 + 26 * len(bars)),  # one readable row per goal, never squeezed
        "filter_controls": controls, "filter_values": ListFilters.page_values(request.GET, controls),
        "breadcrumbs": _crumbs(program, (_("Goals"), "")),
    })


@require_http_methods(["GET", "POST"])
def goal_create(request, pk):
    principal = request.principal
    program = selectors.program_get(principal=principal, pk=pk)
    require(principal, "program.goal.change", program)
    form = forms.GoalForm(request.POST or None, program=program, principal=principal,
                          initial={"parent": request.GET.get("parent"), "starts_on": program.starts_on,
                                   "ends_on": program.ends_on})
    return form_page(request, form, title=_("New goal"),
                     breadcrumbs=_crumbs(program, (_("Goals"), reverse("program:goal_list", args=[program.pk])),
                                         (_("New"), "")),
                     save=lambda data: services.goal_create(principal=principal, program=program, **data),
                     success=_("Goal added."))


def goal_detail(request, pk):
    principal = request.principal
    goal = selectors.goal_get(principal=principal, pk=pk)
    progress = selectors.goal_progress([goal])[0]
    chart = selectors.goal_series(goal)
    chart["title"] = str(goal)
    return render(request, "program/goal_detail.html", {
        "goal": goal, "progress": progress, "chart": chart, "chart_names": _chart_names(),
        "children": selectors.goal_progress(selectors.goal_list(principal=principal).filter(parent=goal)),
        "milestones": selectors.milestone_list(principal=principal, goal=goal),
        "can_edit": can(principal, "program.goal.change", goal),
        "milestone_form": forms.MilestoneForm(),
        "breadcrumbs": _crumbs(goal.program, (_("Goals"), reverse("program:goal_list", args=[goal.program_id])),
                               (goal.name, "")),
    })


@require_http_methods(["GET", "POST"])
def goal_update(request, pk):
    principal = request.principal
    goal = selectors.goal_get(principal=principal, pk=pk)
    require(principal, "program.goal.change", goal)
    initial = {f: getattr(goal, f) for f in ("name", "target", "starts_on", "ends_on")}
    form = forms.GoalUpdateForm(request.POST or None, initial=initial)
    return form_page(request, form, title=_("Edit goal"),
                     breadcrumbs=_crumbs(goal.program, (goal.name, goal.get_absolute_url()), (_("Edit"), "")),
                     save=lambda data: services.goal_update(principal=principal, goal=goal, **data),
                     success=_("Goal saved."), back=goal)


@require_POST
def milestone_create(request, pk):
    goal = selectors.goal_get(principal=request.principal, pk=pk)
    return post_action(request, goal, "program.milestone.change", services.milestone_create, _("Milestone added."),
                       form=forms.MilestoneForm(request.POST),
                       invalid=_("The milestone needs a title, an expected result and a date."), goal=goal)


@require_POST
def milestone_achieve(request, pk):
    milestone = get_visible_or_404(Milestone, request.principal, pk=pk)
    return post_action(request, milestone, "program.milestone.change", services.milestone_achieve,
                       _("Milestone marked as achieved."), back=milestone.goal.get_absolute_url(), milestone=milestone)
