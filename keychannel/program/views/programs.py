"""Program pages: the list, the program as a project (edit, submit, sign-off, launch, close)."""

from dataclasses import replace

from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from keychannel.core.partials import render_partial
from keychannel.core.policies import can, require
from keychannel.core.tables import Column, Filter, Table
from keychannel.core.views import form_page, post_action

from .. import forms, levels, lifecycle, selectors, services
from ..choices import ProgramStatus
from .common import _crumbs

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
    return form_page(request, form, title=_("New program"), breadcrumbs=_crumbs(None, (_("New"), "")),
                     save=lambda data: services.program_create(principal=principal, **data),
                     success=_("Program created."))


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
    return form_page(request, form, title=_("Edit program"), breadcrumbs=_crumbs(program, (_("Edit"), "")),
                     save=lambda data: services.program_update(principal=principal, program=program, **data),
                     success=_("Program saved."), back=program)


@require_POST
def program_submit(request, pk):
    program = selectors.program_get(principal=request.principal, pk=pk)
    return post_action(request, program, "program.program.submit", services.program_submit,
                       _("Submitted: every executive has been asked to sign off."), program=program)


@require_POST
def program_signoff(request, pk):
    program = selectors.program_get(principal=request.principal, pk=pk)
    return post_action(request, program, "program.signoff.decide", services.signoff_record, _("Your decision is recorded."),
                       form=forms.SignoffForm(request.POST), invalid=_("Choose approve or object."),
                       back=program.get_absolute_url() + "#signoff", program=program)


@require_POST
def program_launch(request, pk):
    program = selectors.program_get(principal=request.principal, pk=pk)
    return post_action(request, program, "program.program.launch", services.program_launch, _("The program is launched."),
                       form=forms.LaunchForm(request.POST), fallback={"override_reason": ""}, program=program)


@require_POST
def program_close(request, pk):
    program = selectors.program_get(principal=request.principal, pk=pk)
    return post_action(request, program, "program.program.close", services.program_close, _("The program is closed."),
                       program=program)
