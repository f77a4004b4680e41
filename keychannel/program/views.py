"""Pages of the program app. Thin: parse, call one service or selector, render."""

from dataclasses import replace

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from keychannel.core.errors import ConflictError
from keychannel.core.exports import export_response
from keychannel.core.filters import ListFilters
from keychannel.core.forms import service_errors_to_form
from keychannel.core.partials import error_text, render_partial
from keychannel.core.policies import can, require
from keychannel.core.preferences import in_language_of
from keychannel.core.scoping import get_visible_or_404
from keychannel.core.tables import Column, Filter, Table

from . import forms, ical, levels, lifecycle, selectors, services, support_money
from .choices import EventKind, EventStatus, ProgramStatus, SupportKind, SupportStatus
from .filters import GOAL_FILTERS
from .models import CalendarFeed, Enrollment, EventInvitation, LedgerEntry, Milestone, ProgramRule


def _form_saved(request, form, save, success, back=None):
    """The POST half of a form page: a valid form goes to ``save(cleaned_data)``, a ValidationError lands on the
    form; saved, a redirect to ``back`` (default: what ``save`` returned) with ``success``. None: show the form."""
    if request.method == "POST" and form.is_valid():
        try:
            saved = save(form.cleaned_data)
        except ValidationError as exc:
            service_errors_to_form(form, exc)
        else:
            messages.success(request, success)
            return redirect(back or saved)
    return None


def _form_page(request, form, title, breadcrumbs):
    return render(request, "program/form.html", {"form": form, "title": title, "breadcrumbs": breadcrumbs})


def _post_action(request, obj, permission, service, success, /, *, form=None, invalid=None, fallback=None,
                 fields=None, back=None, **params):
    """One POSTed action on one record: the shape of every button on a detail page.

    Checks ``permission`` on ``obj`` (None: the view has checked), reads ``form`` if there is one and calls
    ``service(principal=..., **params, **form data)``; then redirects to ``back`` (default: the record's page)
    with ``success``, or with the refusal (ValidationError, ConflictError) as an error message, having changed
    nothing. A form that does not validate sends back to the record with ``invalid`` (default: the form's own
    errors) without calling the service, unless ``fallback`` gives the data to call it with instead.
    ``fields`` maps service keywords to form fields where the names differ (default: every field as it is).
    """
    principal = request.principal
    if permission is not None:
        require(principal, permission, obj)
    data = {}
    if form is not None:
        if form.is_valid():
            data = form.cleaned_data
        elif fallback is not None:
            data = fallback
        else:
            messages.error(request, invalid or " ".join(e for errors in form.errors.values() for e in errors))
            return redirect(obj)
        if fields is not None:
            data = {keyword: data[field] for keyword, field in fields.items()}
    try:
        service(principal=principal, **params, **data)
    except (ValidationError, ConflictError) as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, success)
    return redirect(back or obj.get_absolute_url())


def _chart_names():
    return {"actual": _("Actual"), "to_date": _("Target to date"), "target": _("Target")}


def _crumbs(program=None, *rest):
    out = [(_("Programs"), "program:program_list")]
    if program is not None:
        out.append((program.name, program.get_absolute_url()))
    return out + list(rest)


# --- programs ------------------------------------------------------------------------------------------------------

PROGRAM_TABLE = Table(
    columns=[
        Column("name", gettext_lazy("Program"), sort="name", link=True),
        Column("manager.get_full_name", gettext_lazy("Manager"), sort="manager__last_name"),
        Column("starts_on", gettext_lazy("From"), sort="starts_on"),
        Column("ends_on", gettext_lazy("To"), sort="ends_on"),
        Column("get_status_display", gettext_lazy("Status"), sort="status", badge=True),
    ],
    search_fields=["name", "strategy"],
    filters=[Filter("status", gettext_lazy("Status"), ProgramStatus.choices, "status")],
    default_sort="-starts_on",
)


def program_list(request):
    principal = request.principal
    # Programs live across years: the list filters by the year a program starts (the years that have one).
    years = Filter("year", gettext_lazy("Year"), lifecycle.year_choices(principal=principal), "starts_on__year")
    table = replace(PROGRAM_TABLE, filters=[*PROGRAM_TABLE.filters, years]).build(
        request, selectors.program_list(principal=principal))
    return render_partial(
        request, "program/program_list.html",
        {"table": table, "can_create": can(principal, "program.program.create"), "breadcrumbs": _crumbs()},
        partial="includes/table.html",
    )


@require_http_methods(["GET", "POST"])
def program_create(request):
    principal = request.principal
    require(principal, "program.program.create")
    form = forms.ProgramForm(request.POST or None, initial={"manager": principal.user_id})
    return (_form_saved(request, form, lambda data: services.program_create(principal=principal, **data),
                        _("Program created."))
            or _form_page(request, form, _("New program"), _crumbs(None, (_("New"), ""))))


def program_detail(request, pk):
    principal = request.principal
    program = selectors.program_get(principal=principal, pk=pk)
    context = {
        "program": program,
        "board": selectors.signoff_board(principal=principal, program=program) if principal.is_manufacturer else None,
        "can_edit": can(principal, "program.program.change", program) and program.status == ProgramStatus.DRAFT,
        "can_submit": can(principal, "program.program.submit", program) and program.status == ProgramStatus.DRAFT,
        "can_sign": can(principal, "program.signoff.decide", program) and program.status == ProgramStatus.AWAITING_SIGNOFF,
        "can_launch": can(principal, "program.program.launch", program) and program.status == ProgramStatus.AWAITING_SIGNOFF,
        "can_override": can(principal, "program.program.override", program),
        "can_close": can(principal, "program.program.close", program) and program.status == ProgramStatus.LAUNCHED,
        "can_revise": can(principal, "program.program.revise", program) and program.status == ProgramStatus.AWAITING_SIGNOFF,
        "can_withdraw": can(principal, "program.program.withdraw", program) and program.status in lifecycle.WITHDRAWABLE,
        "earlier_signoffs": lifecycle.signoff_history(principal=principal, program=program),
        "signoff_form": forms.SignoffForm(),
        "launch_form": forms.LaunchForm(),
        "revision_form": forms.RevisionForm(),
        "withdrawal_form": forms.WithdrawalForm(),
        "levels": program.levels.prefetch_related("criteria").all(),
        "can_edit_levels": can(principal, "program.level.change", program) and program.status not in (
            ProgramStatus.CLOSED, ProgramStatus.WITHDRAWN),
        "holders": levels.holders(principal=principal, program=program) if principal.is_manufacturer else None,
        "can_recompute": can(principal, "program.level.change", program) and program.status == ProgramStatus.LAUNCHED,
        "recompute_form": forms.LevelRecomputeForm(),
        "breadcrumbs": _crumbs(None, (program.name, "")),
    }
    return render(request, "program/program_detail.html", context)


@require_http_methods(["GET", "POST"])
def program_update(request, pk):
    principal = request.principal
    program = selectors.program_get(principal=principal, pk=pk)
    require(principal, "program.program.change", program)
    initial = {f: getattr(program, f) for f in ("name", "strategy", "manager", "starts_on", "ends_on")}
    form = forms.ProgramForm(request.POST or None, initial=initial)
    return (_form_saved(request, form, lambda data: services.program_update(principal=principal, program=program, **data),
                        _("Program saved."), back=program)
            or _form_page(request, form, _("Edit program"), _crumbs(program, (_("Edit"), ""))))


@require_POST
def program_submit(request, pk):
    program = selectors.program_get(principal=request.principal, pk=pk)
    return _post_action(request, program, "program.program.submit", services.program_submit,
                        _("Submitted: every executive has been asked to sign off."), program=program)


@require_POST
def program_signoff(request, pk):
    program = selectors.program_get(principal=request.principal, pk=pk)
    return _post_action(request, program, "program.signoff.decide", services.signoff_record, _("Your decision is recorded."),
                        form=forms.SignoffForm(request.POST), invalid=_("Choose approve or object."),
                        back=program.get_absolute_url() + "#signoff", program=program)


@require_POST
def program_launch(request, pk):
    program = selectors.program_get(principal=request.principal, pk=pk)
    return _post_action(request, program, "program.program.launch", services.program_launch, _("The program is launched."),
                        form=forms.LaunchForm(request.POST), fallback={"override_reason": ""}, program=program)


@require_POST
def program_close(request, pk):
    program = selectors.program_get(principal=request.principal, pk=pk)
    return _post_action(request, program, "program.program.close", services.program_close, _("The program is closed."),
                        program=program)


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
    return (_form_saved(request, form, lambda data: services.goal_create(principal=principal, program=program, **data),
                        _("Goal added."))
            or _form_page(request, form, _("New goal"), _crumbs(
                program, (_("Goals"), reverse("program:goal_list", args=[program.pk])), (_("New"), ""))))


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
    return (_form_saved(request, form, lambda data: services.goal_update(principal=principal, goal=goal, **data),
                        _("Goal saved."), back=goal)
            or _form_page(request, form, _("Edit goal"),
                          _crumbs(goal.program, (goal.name, goal.get_absolute_url()), (_("Edit"), ""))))


@require_POST
def milestone_create(request, pk):
    goal = selectors.goal_get(principal=request.principal, pk=pk)
    return _post_action(request, goal, "program.milestone.change", services.milestone_create, _("Milestone added."),
                        form=forms.MilestoneForm(request.POST),
                        invalid=_("The milestone needs a title, an expected result and a date."), goal=goal)


@require_POST
def milestone_achieve(request, pk):
    milestone = get_visible_or_404(Milestone, request.principal, pk=pk)
    return _post_action(request, milestone, "program.milestone.change", services.milestone_achieve,
                        _("Milestone marked as achieved."), back=milestone.goal.get_absolute_url(), milestone=milestone)


# --- rules and acknowledgement ------------------------------------------------------------------------------------


def rule_list(request, pk):
    principal = request.principal
    program = selectors.program_get(principal=principal, pk=pk)
    rules = list(selectors.rule_list(principal=principal, program=program).order_by("code", "-version"))
    acknowledged = set()
    if principal.is_distributor_user and principal.own_distributor_id:
        from .models import Acknowledgement

        acknowledged = set(Acknowledgement.objects.filter(distributor_id=principal.own_distributor_id, rule__in=rules)
                           .values_list("rule_id", flat=True))
    return render(request, "program/rule_list.html", {
        "program": program, "rules": rules, "acknowledged": acknowledged,
        "can_edit": can(principal, "program.rule.change", program),
        "can_ack": principal.has_role("dist_head"),
        "breadcrumbs": _crumbs(program, (_("Rules"), "")),
    })


@require_http_methods(["GET", "POST"])
def rule_create(request, pk):
    principal = request.principal
    program = selectors.program_get(principal=principal, pk=pk)
    require(principal, "program.rule.change", program)
    form = forms.RuleForm(request.POST or None, initial={"code": request.GET.get("code", "")})
    rules_url = reverse("program:rule_list", kwargs={"pk": program.pk})
    return (_form_saved(request, form, lambda data: services.rule_create(principal=principal, program=program, **data),
                        _("Draft rule saved."), back=rules_url)
            or _form_page(request, form, _("New rule version"), _crumbs(program, (_("Rules"), rules_url), (_("New"), ""))))


@require_POST
def rule_publish(request, pk):
    rule = selectors.rule_get(principal=request.principal, pk=pk)
    return _post_action(request, rule, "program.rule.publish", services.rule_publish,
                        _("Published: every distributor head has been asked to acknowledge it."),
                        back=reverse("program:rule_list", args=[rule.program_id]), rule=rule)


@require_POST
def rule_acknowledge(request, pk):
    rule = selectors.rule_get(principal=request.principal, pk=pk)
    if not request.principal.has_role("dist_head"):
        raise PermissionDenied
    return _post_action(request, rule, None, services.rule_acknowledge, _("Thank you: the rule is acknowledged."),
                        back=reverse("program:rule_list", args=[rule.program_id]), rule=rule)


def ack_dashboard(request, pk):
    principal = request.principal
    program = selectors.program_get(principal=principal, pk=pk)
    if not principal.is_manufacturer:
        raise PermissionDenied
    return render(request, "program/ack_dashboard.html", {
        "program": program, "board": selectors.acknowledgement_board(principal=principal, program=program),
        "breadcrumbs": _crumbs(program, (_("Acknowledgements"), "")),
    })


# --- a distributor in the program: level, goals, statement, ledger, awards ------------------------------------------


def distributor_overview(request, pk):
    principal = request.principal
    distributor = selectors.distributor_for_overview(principal=principal, pk=pk)
    # One page per program year: the current program by default, any launched or closed one on request.
    program = lifecycle.page_program(principal=principal, wanted=request.GET.get("program"))
    years = [row for row in lifecycle.programs_by_year(principal=principal)
             if row["program"].status in (ProgramStatus.LAUNCHED, ProgramStatus.CLOSED)]
    context = {"distributor": distributor, "program": program, "years": years,
               "awards": selectors.award_list(principal=principal, distributor=distributor),
               "breadcrumbs": [(_("Programs"), "program:program_list"), (distributor.code, "")]}
    if program is not None:
        goals = selectors.goal_list(principal=principal).filter(program=program, distributor=distributor)
        context.update(
            progress=selectors.goal_progress(goals),
            level=levels.level_state(principal=principal, program=program, distributor=distributor),
            pending_rules=[r for r in selectors.pending_rules_for(principal=principal, distributor=distributor)
                           if r.program_id == program.pk],
        )
        if not principal.has_role("dist_sales"):
            context["statement"] = selectors.incentive_statement(principal=principal, program=program, distributor=distributor)
    if not principal.has_role("dist_sales"):
        context["budgets"] = selectors.budgets_with_remaining(selectors.budget_list(principal=principal, filters={"distributor_id": distributor.pk}))
        context["ledger"] = selectors.ledger_list(principal=principal, distributor=distributor)
        context["support_returns"] = support_money.distributor_returns(principal=principal, distributor=distributor)
    context.update(
        can_apply=can(principal, "program.ledger.apply", distributor),
        can_award=can(principal, "program.award.grant", distributor),
        can_decide_appeal=can(principal, "program.ledger.decide_appeal"),
        is_head=principal.has_role("dist_head"),
        appeal_form=forms.AppealForm(), decision_form=forms.AppealDecisionForm(),
    )
    return render(request, "program/distributor_overview.html", context)


def statement_csv(request, pk):
    principal = request.principal
    if principal.has_role("dist_sales"):
        raise PermissionDenied
    distributor = selectors.distributor_for_overview(principal=principal, pk=pk)
    program = lifecycle.page_program(principal=principal, wanted=request.GET.get("program"))
    if program is None:
        raise Http404
    statement = selectors.incentive_statement(principal=principal, program=program, distributor=distributor)
    header = [_("Kind"), _("Rule"), _("Metric"), _("Target"), _("Actual"), _("Above target"), _("Amount (RON)")]
    rows = [[_("Incentive"), line["rule"], line["metric"], line["target"],
             line["actual"] if line["actual"] is not None else _("not available"), line["excess"], line["amount"]]
            for line in statement["lines"]]
    rows += [[entry.get_kind_display(), entry.rule, entry.evidence, None, None, None, entry.amount]
             for entry in statement["ledger"]]
    rows.append([_("Net"), None, None, None, None, None, statement["net"]])
    return export_response(request.GET.get("format"), f"statement-{distributor.code}-{statement['on']}", header, rows)


@require_http_methods(["GET", "POST"])
def ledger_create(request, pk):
    principal = request.principal
    distributor = selectors.distributor_for_overview(principal=principal, pk=pk)
    require(principal, "program.ledger.apply", distributor)
    rules = ProgramRule.objects.visible_to(principal).filter(status="published")
    form = forms.LedgerForm(request.POST or None, rules=rules, initial={"applied_on": None})
    overview_url = reverse("program:distributor_overview", kwargs={"pk": distributor.pk})
    return (_form_saved(request, form, lambda data: services.ledger_apply(principal=principal, distributor=distributor, **data),
                        _("Ledger entry recorded; the distributor head is notified."), back=overview_url)
            or _form_page(request, form, _("Apply a rule to %(name)s") % {"name": distributor.legal_name},
                          [(distributor.code, overview_url), (_("Ledger"), "")]))


@require_POST
def ledger_appeal(request, pk):
    entry = get_visible_or_404(LedgerEntry, request.principal, pk=pk)
    return _post_action(request, entry, "program.ledger.appeal", services.ledger_appeal, _("Appeal sent."),
                        form=forms.AppealForm(request.POST), fallback={"text": ""}, entry=entry)


@require_POST
def ledger_decide(request, pk):
    entry = get_visible_or_404(LedgerEntry, request.principal, pk=pk)
    return _post_action(request, entry, "program.ledger.decide_appeal", services.ledger_decide_appeal, _("Appeal decided."),
                        form=forms.AppealDecisionForm(request.POST), fallback={"granted": False, "decision": ""},
                        entry=entry)


@require_http_methods(["GET", "POST"])
def award_create(request, pk):
    principal = request.principal
    distributor = selectors.distributor_for_overview(principal=principal, pk=pk)
    require(principal, "program.award.grant", distributor)
    form = forms.AwardForm(request.POST or None)
    overview_url = reverse("program:distributor_overview", kwargs={"pk": distributor.pk})
    return (_form_saved(request, form, lambda data: services.award_grant(
                principal=principal, distributor=distributor, program=selectors.current_program(principal=principal), **data),
                        _("Award granted."), back=overview_url)
            or _form_page(request, form, _("Award for %(name)s") % {"name": distributor.legal_name},
                          [(distributor.code, overview_url), (_("Award"), "")]))


# --- events and the calendar feed -----------------------------------------------------------------------------------

EVENT_TABLE = Table(
    columns=[
        Column("starts_at", gettext_lazy("Starts"), sort="starts_at"),
        Column("title", gettext_lazy("Event"), sort="title", link=True),
        Column("get_kind_display", gettext_lazy("Kind"), sort="kind", badge=True),
        Column("location", gettext_lazy("Location"), sort="location"),
        Column("get_status_display", gettext_lazy("Status"), sort="status"),
    ],
    search_fields=["title", "location"],
    filters=[Filter("kind", gettext_lazy("Kind"), EventKind.choices, "kind"),
             Filter("status", gettext_lazy("Status"), EventStatus.choices, "status")],
    default_sort="starts_at",
)


def event_list(request):
    principal = request.principal
    table = EVENT_TABLE.build(request, selectors.event_list(principal=principal))
    return render_partial(request, "program/event_list.html", {
        "table": table, "can_create": can(principal, "program.event.change"),
        "breadcrumbs": [(_("Events"), "")],
    }, partial="includes/table.html")


def _event_form_save(request, event=None):
    principal = request.principal
    initial = {}
    if event is not None:
        initial = {f: getattr(event, f) for f in ("title", "kind", "starts_at", "ends_at", "location", "description",
                                                   "status", "open_to_all")}
    form = forms.EventForm(request.POST or None, initial=initial)

    def save(data):
        if event is None:
            return services.event_create(principal=principal, program=selectors.current_program(principal=principal), **data)
        services.event_update(principal=principal, event=event, **data)
        return event

    return (_form_saved(request, form, save, _("Event saved."))
            or _form_page(request, form, _("Edit event") if event else _("New event"),
                          [(_("Events"), "program:event_list"), (str(event) if event else _("New"), "")]))


@require_http_methods(["GET", "POST"])
def event_create(request):
    require(request.principal, "program.event.change")
    return _event_form_save(request)


@require_http_methods(["GET", "POST"])
def event_update(request, pk):
    event = selectors.event_get(principal=request.principal, pk=pk)
    require(request.principal, "program.event.change", event)
    return _event_form_save(request, event)


def event_detail(request, pk):
    principal = request.principal
    event = selectors.event_get(principal=principal, pk=pk)
    invitations = list(selectors.invitation_list(principal=principal, event=event))
    mine = EventInvitation.objects.filter(event=event, user_id=principal.user_id).first()
    return render(request, "program/event_detail.html", {
        "event": event, "invitations": invitations, "mine": mine,
        "can_edit": can(principal, "program.event.change", event),
        "invite_form": forms.InviteForm(principal=principal) if can(principal, "program.event.change", event) else None,
        "rsvp_form": forms.RsvpForm(initial={"rsvp": mine.rsvp if mine else None}),
        "breadcrumbs": [(_("Events"), "program:event_list"), (event.title, "")],
    })


@require_POST
def event_invite(request, pk):
    principal = request.principal
    event = selectors.event_get(principal=principal, pk=pk)
    return _post_action(request, event, "program.event.change", services.event_invite, _("Invitations sent."),
                        form=forms.InviteForm(request.POST, principal=principal),
                        invalid=_("Choose distributors or people to invite."), event=event)


@require_POST
def event_rsvp(request, pk):
    principal = request.principal
    event = selectors.event_get(principal=principal, pk=pk)
    invitation = get_object_or_404(EventInvitation, event=event, user_id=principal.user_id)
    return _post_action(request, event, None, services.event_rsvp, _("Your answer is recorded."),
                        form=forms.RsvpForm(request.POST), fallback={"rsvp": ""}, invitation=invitation)


@require_POST
def event_attendance(request, pk):
    event = selectors.event_get(principal=request.principal, pk=pk)
    ids = [v for v in request.POST.getlist("attended") if v.isdigit()]
    return _post_action(request, event, "program.event.attendance", services.event_attendance, _("Attendance recorded."),
                        event=event, attended_user_ids=ids)


def calendar(request):
    principal = request.principal
    feed = services.calendar_feed_ensure(principal=principal)
    url = request.build_absolute_uri(reverse("program:calendar_feed", args=[feed.token]))
    events, mine = selectors.calendar_events_for_user(principal.user)
    return render(request, "program/calendar.html", {
        "feed_url": url, "events": events[:50], "mine": mine, "breadcrumbs": [(_("Events"), "program:event_list"), (_("Calendar feed"), "")],
    })


@require_POST
def calendar_rotate(request):
    services.calendar_feed_rotate(principal=request.principal)
    messages.success(request, _("A new feed address was made; the old one no longer works."))
    return redirect("program:calendar")


@login_not_required
def calendar_feed(request, token):
    """The one login-free page: the secret token is the credential. A wrong token is a plain 404."""
    feed = CalendarFeed.objects.select_related("user").filter(token=token, user__is_active=True).first()
    if feed is None:
        raise Http404
    events, mine = selectors.calendar_events_for_user(feed.user)
    with in_language_of(feed.user):  # a calendar app sends no useful Accept-Language: the owner's language
        body = ical.render(events, mine, name=_("keychannel program events"))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    return response


# --- support ---------------------------------------------------------------------------------------------------------

SUPPORT_TABLE = Table(
    columns=[
        Column("created_at", gettext_lazy("Asked"), sort="created_at"),
        Column("distributor.code", gettext_lazy("Distributor"), sort="distributor__code"),
        Column("title", gettext_lazy("Request"), sort="title", link=True),
        Column("get_kind_display", gettext_lazy("Kind"), sort="kind", badge=True),
        Column("amount_requested", gettext_lazy("Asked (RON)"), sort="amount_requested"),
        Column("amount_approved", gettext_lazy("Approved (RON)"), sort="amount_approved"),
        Column("amount_claimed", gettext_lazy("Claimed (RON)"), sort="amount_claimed"),
        Column("get_status_display", gettext_lazy("Status"), sort="status", badge=True),
    ],
    search_fields=["title", "description", "distributor__code", "distributor__legal_name"],
    filters=[Filter("kind", gettext_lazy("Kind"), SupportKind.choices, "kind"),
             Filter("status", gettext_lazy("Status"), SupportStatus.choices, "status")],
    default_sort="-created_at",
)


def _support_reader(principal):
    if principal.has_role("dist_sales"):
        raise PermissionDenied


def support_list(request):
    principal = request.principal
    _support_reader(principal)
    table = SUPPORT_TABLE.build(request, selectors.support_list(principal=principal))
    budgets = selectors.budgets_with_remaining(selectors.budget_list(principal=principal).order_by("-year", "distributor__code")[:100])
    return render_partial(request, "program/support_list.html", {
        "table": table, "budgets": budgets,
        "can_request": principal.has_role("dist_head", "admin", "program_manager"),
        "can_budget": can(principal, "program.budget.change"),
        "breadcrumbs": [(_("Support"), "")],
    }, partial="includes/table.html")


@require_http_methods(["GET", "POST"])
def support_create(request):
    principal = request.principal
    _support_reader(principal)
    if not principal.has_role("dist_head", "admin", "program_manager"):
        raise PermissionDenied
    form = forms.SupportRequestForm(request.POST or None, principal=principal)
    return (_form_saved(request, form, lambda data: services.support_request_create(
                principal=principal, **{**data, "amount_requested": data.get("amount_requested") or 0}),
                        _("Support requested."))
            or _form_page(request, form, _("Ask for support"), [(_("Support"), "program:support_list"), (_("New"), "")]))


def support_detail(request, pk):
    principal = request.principal
    support = selectors.support_get(principal=principal, pk=pk)
    budget = selectors.budgets_with_remaining([support.budget])[0] if support.budget_id else None
    return render(request, "program/support_detail.html", {
        "support": support, "budget": budget, "returns": support_money.support_return(principal=principal, request=support),
        "claimable": support_money.claimable(support),
        "can_decide": can(principal, "program.support.decide", support),
        "can_claim": can(principal, "program.support.claim", support),
        "can_pay": can(principal, "program.support.pay", support),
        "decision_form": forms.SupportDecisionForm(initial={"amount_approved": support.amount_requested}),
        "claim_form": forms.SupportClaimForm(initial={"amount_claimed": support_money.claimable(support)}),
        "breadcrumbs": [(_("Support"), "program:support_list"), (support.title, "")],
    })


@require_POST
def support_decide(request, pk):
    support = selectors.support_get(principal=request.principal, pk=pk)
    return _post_action(request, support, "program.support.decide", services.support_decide, _("Decision recorded."),
                        form=forms.SupportDecisionForm(request.POST), invalid=_("Choose approve or reject."),
                        request=support)


@require_POST
def support_claim(request, pk):
    support = selectors.support_get(principal=request.principal, pk=pk)
    return _post_action(request, support, "program.support.claim", support_money.support_claim, _("Claim recorded."),
                        form=forms.SupportClaimForm(request.POST, request.FILES),
                        fields={"amount": "amount_claimed", "proof": "proof", "final": "final"}, request=support)


@require_POST
def support_pay(request, pk):
    support = selectors.support_get(principal=request.principal, pk=pk)
    return _post_action(request, support, "program.support.pay", services.support_pay, _("Marked as paid."),
                        request=support)


@require_POST
def support_complete(request, pk):
    support = selectors.support_get(principal=request.principal, pk=pk)
    return _post_action(request, support, "program.support.decide", services.support_complete, _("Marked as done."),
                        request=support)


def support_proof(request, pk):
    """The proof file, only to those who may see the request (never from the media URL)."""
    support = selectors.support_get(principal=request.principal, pk=pk)
    if not support.proof:
        raise Http404
    return FileResponse(support.proof.open("rb"), content_type=support.proof_content_type or "application/octet-stream",
                        as_attachment=True, filename=support.proof.name.rsplit("/", 1)[-1])


@require_http_methods(["GET", "POST"])
def budget_set(request):
    principal = request.principal
    require(principal, "program.budget.change")
    form = forms.BudgetForm(request.POST or None, principal=principal)
    return (_form_saved(request, form, lambda data: levels.budget_apply(principal=principal, **data), _("Budget saved."),
                        back="program:support_list")
            or _form_page(request, form, _("Support budget"), [(_("Support"), "program:support_list"), (_("Budget"), "")]))


# --- learning ---------------------------------------------------------------------------------------------------------


def course_list(request):
    principal = request.principal
    courses = list(selectors.course_list(principal=principal))
    mine = {e.course_id: e for e in Enrollment.objects.filter(user_id=principal.user_id)}
    return render(request, "program/course_list.html", {
        "courses": courses, "mine": mine, "resources": selectors.resource_list(principal=principal),
        "completion": selectors.completion_by_distributor(principal=principal) if not principal.has_role("dist_sales") else [],
        "can_edit": can(principal, "program.learning.change"),
        "breadcrumbs": [(_("Learning"), "")],
    })


def course_detail(request, pk):
    principal = request.principal
    course = selectors.course_get(principal=principal, pk=pk)
    return render(request, "program/course_detail.html", {
        "course": course, "modules": course.modules.all(),
        "enrollments": selectors.enrollment_list(principal=principal, course=course),
        "mine": Enrollment.objects.filter(course=course, user_id=principal.user_id).first(),
        "can_complete": can(principal, "program.enrollment.complete"),
        "can_edit": can(principal, "program.learning.change", course),
        "breadcrumbs": [(_("Learning"), "program:course_list"), (course.title, "")],
    })


@require_POST
def course_enroll(request, pk):
    course = selectors.course_get(principal=request.principal, pk=pk)
    return _post_action(request, course, None, services.course_enroll, _("You are enrolled."), course=course)


@require_POST
def enrollment_complete(request, pk):
    enrollment = get_visible_or_404(Enrollment, request.principal, pk=pk)
    return _post_action(request, enrollment, "program.enrollment.complete", services.enrollment_complete,
                        _("Completion recorded."), back=enrollment.course.get_absolute_url(), enrollment=enrollment)


def resource_file(request, pk):
    resource = selectors.resource_get(principal=request.principal, pk=pk)
    if not resource.file:
        raise Http404
    return FileResponse(resource.file.open("rb"), content_type=resource.file_content_type or "application/octet-stream",
                        as_attachment=True, filename=resource.file.name.rsplit("/", 1)[-1])


# --- best practices and tiers -------------------------------------------------------------------------------------------


def bestpractice_list(request):
    return render(request, "program/bestpractice_list.html", {
        "practices": selectors.best_practice_list(principal=request.principal),
        "can_create": request.principal.has_role("admin", "program_manager", "dist_head"),
        "breadcrumbs": [(_("Best practices"), "")],
    })


@require_http_methods(["GET", "POST"])
def bestpractice_create(request):
    principal = request.principal
    if not principal.has_role("admin", "program_manager", "dist_head"):
        raise PermissionDenied
    form = forms.BestPracticeForm(request.POST or None, principal=principal)
    return (_form_saved(request, form, lambda data: services.best_practice_create(principal=principal, **data),
                        _("Story saved."))
            or _form_page(request, form, _("New success story"),
                          [(_("Best practices"), "program:bestpractice_list"), (_("New"), "")]))


def bestpractice_detail(request, pk):
    practice = selectors.best_practice_get(principal=request.principal, pk=pk)
    return render(request, "program/bestpractice_detail.html", {
        "practice": practice, "can_share": can(request.principal, "program.bestpractice.share", practice),
        "deal_visible": selectors.best_practice_deal_visible(principal=request.principal, practice=practice),
        "breadcrumbs": [(_("Best practices"), "program:bestpractice_list"), (practice.title, "")],
    })


@require_POST
def bestpractice_share(request, pk):
    practice = selectors.best_practice_get(principal=request.principal, pk=pk)
    return _post_action(request, practice, "program.bestpractice.share", services.best_practice_share,
                        _("Shared with the network."), practice=practice)


def tier_list(request):
    return render(request, "program/tier_list.html", {
        "tiers": selectors.tier_list(principal=request.principal),
        "contracts": selectors.tier_contracts(principal=request.principal),
        "breadcrumbs": [(_("Corporate program tiers"), "")],
    })
