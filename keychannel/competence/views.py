"""Pages of the competence app: mentorships and coaching, mentor workload, KAM stations and tasks,
consultation requests, coverage gaps and the channel-structure graph. Thin: parse, call, render."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from keychannel.core.errors import ConflictError
from keychannel.core.forms import service_errors_to_form
from keychannel.core.partials import render_partial
from keychannel.core.policies import can, require
from keychannel.core.tables import Column, Filter, Table

from . import selectors, services
from .choices import ConsultationStatus, KamDuty, TaskPriority, TaskStatus
from .forms import (
    CancelForm,
    CommentForm,
    ConsultationAnswerForm,
    ConsultationConvertForm,
    ConsultationForm,
    KamTaskForm,
    KamTaskImportForm,
    KamTaskStatusForm,
    KamTaskUpdateForm,
    MentorshipForm,
    SessionForm,
)


def _managed_distributors(principal):
    from keychannel.network.models import Distributor

    qs = Distributor.objects.visible_to(principal).filter(active=True).only("pk", "channel_manager_id")
    return Distributor.objects.filter(pk__in=[d.pk for d in qs if can(principal, "competence.distributor.manage", d)]
                                      ).order_by("code")


def _clients(principal, distributor_id=None):
    from keychannel.clients.models import CorporateClient

    qs = CorporateClient.objects.visible_to(principal).exclude(distributor__isnull=True)
    if distributor_id:
        qs = qs.filter(distributor_id=distributor_id)
    return qs.order_by("legal_name")


def _open_deals(principal):
    from keychannel.deals.choices import OPEN_STAGES
    from keychannel.deals.models import Opportunity

    return Opportunity.objects.visible_to(principal).filter(stage__in=OPEN_STAGES, distributor__isnull=False).order_by(
        "title", "pk")


# ---- mentorships --------------------------------------------------------------------------------------------

MENTORSHIP_TABLE = Table(
    columns=[
        Column("mentor.get_full_name", gettext_lazy("Mentor"), sort="mentor__last_name", link=True),
        Column("distributor.code", gettext_lazy("Distributor"), sort="distributor__code"),
        Column("get_scope_display", gettext_lazy("Scope"), badge=True),
        Column("client", gettext_lazy("Client"), sort="client__legal_name"),
        Column("opportunity", gettext_lazy("Deal"), sort="opportunity__title"),
        Column("starts_on", gettext_lazy("From"), sort="starts_on"),
        Column("ends_on", gettext_lazy("To"), sort="ends_on"),
        Column("session_count", gettext_lazy("Sessions"), sort="session_count"),
    ],
    search_fields=["mentor__last_name", "mentor__username", "distributor__code", "distributor__legal_name",
                   "client__legal_name", "focus"],
    default_sort="-starts_on",
)


def mentorship_list(request):
    principal = request.principal
    table = MENTORSHIP_TABLE.build(request, selectors.mentorship_list(principal=principal))
    return render_partial(
        request, "competence/mentorship_list.html",
        {"table": table, "can_create": can(principal, "competence.mentorship.manage"),
         "breadcrumbs": [(_("Mentorships"), "")]},
        partial="includes/table.html",
    )


@require_http_methods(["GET", "POST"])
def mentorship_create(request):
    principal = request.principal
    require(principal, "competence.mentorship.manage")
    form = MentorshipForm(
        request.POST or None, initial={"starts_on": timezone.localdate()}, mentors=selectors.mentors(),
        distributors=_managed_distributors(principal), clients=_clients(principal), deals=_open_deals(principal),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            mentorship = services.mentorship_create(
                principal=principal, mentor=data["mentor"], distributor=data["distributor"], client=data["client"],
                opportunity=data["opportunity"], starts_on=data["starts_on"], ends_on=data["ends_on"], focus=data["focus"],
            )
        except ValidationError as exc:
            service_errors_to_form(form, exc)
        else:
            messages.success(request, _("Mentorship created."))
            return redirect(mentorship)
    return render(request, "core/form.html", {
        "form": form, "title": _("New mentorship"), "cancel_url": "competence:mentorship_list",
        "breadcrumbs": [(_("Mentorships"), "competence:mentorship_list"), (_("New"), "")],
    })


@require_http_methods(["GET", "POST"])
def mentorship_detail(request, pk):
    principal = request.principal
    mentorship = selectors.mentorship_get(principal=principal, pk=pk)
    can_record = can(principal, "competence.session.record", mentorship)
    form = SessionForm(request.POST or None, initial={"held_on": timezone.localdate()})
    if request.method == "POST":
        require(principal, "competence.session.record", mentorship)
        if form.is_valid():
            try:
                services.coaching_session_record(principal=principal, mentorship=mentorship, **form.cleaned_data)
            except ValidationError as exc:
                service_errors_to_form(form, exc)
            else:
                messages.success(request, _("Coaching session recorded."))
                return redirect(mentorship)
    return render(request, "competence/mentorship_detail.html", {
        "mentorship": mentorship, "sessions": selectors.session_list(principal=principal, mentorship=mentorship),
        "form": form if can_record else None,
        "can_end": can(principal, "competence.mentorship.manage", mentorship.distributor) and mentorship.ends_on is None,
        "breadcrumbs": [(_("Mentorships"), "competence:mentorship_list"), (str(mentorship), "")],
    })


@require_POST
def mentorship_end(request, pk):
    principal = request.principal
    mentorship = selectors.mentorship_get(principal=principal, pk=pk)
    try:
        services.mentorship_end(principal=principal, mentorship=mentorship)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Mentorship ended."))
    return redirect(mentorship)


def mentor_workload(request):
    principal = request.principal
    require(principal, "competence.workload.view")
    data = selectors.mentor_workload(principal=principal)
    chosen = request.GET.get("mentor")
    return render(request, "competence/mentor_workload.html", {
        "months": data["months"], "rows": data["rows"], "chosen": int(chosen) if (chosen or "").isdigit() else None,
        "breadcrumbs": [(_("Mentor workload"), "")],
    })


# ---- embedded assignments -----------------------------------------------------------------------------------

ASSIGNMENT_TABLE = Table(
    columns=[
        Column("kam.get_full_name", gettext_lazy("Key-account manager"), sort="kam__last_name", link=True),
        Column("distributor", gettext_lazy("Distributor"), sort="distributor__code"),
        Column("starts_on", gettext_lazy("From"), sort="starts_on"),
        Column("ends_on", gettext_lazy("To"), sort="ends_on"),
        Column("open_tasks", gettext_lazy("Open tasks"), sort="open_tasks"),
    ],
    search_fields=["kam__last_name", "kam__username", "distributor__code", "distributor__legal_name", "charter"],
    default_sort="-starts_on",
)


def assignment_list(request):
    table = ASSIGNMENT_TABLE.build(request, selectors.assignment_list(principal=request.principal))
    return render_partial(request, "competence/assignment_list.html", {
        "table": table, "duties": KamDuty.choices, "breadcrumbs": [(_("Embedded KAMs"), "")],
    }, partial="includes/table.html")


def assignment_detail(request, pk):
    principal = request.principal
    assignment = selectors.assignment_get(principal=principal, pk=pk)
    tasks = selectors.kam_task_list(principal=principal, filters={
        "kam_id": assignment.kam_id, "distributor_id": assignment.distributor_id})
    return render(request, "competence/assignment_detail.html", {
        "assignment": assignment, "duties": KamDuty.choices, "tasks": tasks[:200],
        "can_create_task": can(principal, "competence.kamtask.create", assignment.distributor),
        "breadcrumbs": [(_("Embedded KAMs"), "competence:assignment_list"), (str(assignment), "")],
    })


# ---- KAM tasks ----------------------------------------------------------------------------------------------

TASK_TABLE = Table(
    columns=[
        Column("title", gettext_lazy("Task"), sort="title", link=True),
        Column("get_duty_display", gettext_lazy("Duty"), sort="duty", badge=True),
        Column("kam.get_full_name", gettext_lazy("KAM"), sort="kam__last_name"),
        Column("distributor.code", gettext_lazy("Distributor"), sort="distributor__code"),
        Column("get_priority_display", gettext_lazy("Priority"), sort="priority"),
        Column("get_status_display", gettext_lazy("Status"), sort="status", badge=True),
        Column("due_on", gettext_lazy("Due"), sort="due_on"),
        Column("client", gettext_lazy("Client"), sort="client__legal_name"),
    ],
    search_fields=["title", "description", "kam__last_name", "distributor__code"],
    filters=[
        Filter("status", gettext_lazy("Status"), TaskStatus.choices, "status"),
        Filter("duty", gettext_lazy("Duty"), KamDuty.choices, "duty"),
        Filter("priority", gettext_lazy("Priority"), [(str(v), label) for v, label in TaskPriority.choices],
               "priority"),
    ],
    default_sort="-priority",
)


def kamtask_list(request):
    principal = request.principal
    table = TASK_TABLE.build(request, selectors.kam_task_list(principal=principal))
    return render_partial(request, "competence/kamtask_list.html", {
        "table": table, "can_create": can(principal, "competence.kamtask.create"),
        "counts": selectors.kam_task_counts_by_status(principal=principal), "statuses": TaskStatus.choices,
        "breadcrumbs": [(_("KAM tasks"), "")],
    }, partial="includes/table.html")


def _refuse_distributor_post(request, action, detail=""):
    if request.method == "POST":
        services.refuse_distributor_write(principal=request.principal, request=request, action=action, detail=detail)


def _require_task_right(request, rule, obj=None, action=""):
    """403 unless allowed; a refused POST (a write attempt) is recorded as a security event."""
    if not can(request.principal, rule, obj):
        if request.method == "POST":
            services.record_forbidden(principal=request.principal, request=request, action=action or rule,
                                      detail=str(obj or "")[:200])
        raise PermissionDenied(rule)


@require_http_methods(["GET", "POST"])
def kamtask_create(request):
    principal = request.principal
    _refuse_distributor_post(request, "competence.kamtask.create", request.POST.get("title", "")[:200])
    _require_task_right(request, "competence.kamtask.create")
    initial = {k: request.GET[k] for k in ("distributor", "kam", "client") if request.GET.get(k, "").isdigit()}
    form = KamTaskForm(request.POST or None, initial=initial, distributors=_managed_distributors(principal),
                       kams=selectors.kams(), clients=_clients(principal))
    if request.method == "POST" and form.is_valid():
        try:
            task = services.kam_task_create(principal=principal, request=request, **form.cleaned_data)
        except ValidationError as exc:
            service_errors_to_form(form, exc)
        else:
            messages.success(request, _("Task assigned."))
            return redirect(task)
    return render(request, "core/form.html", {
        "form": form, "title": _("New KAM task"), "cancel_url": "competence:kamtask_list",
        "breadcrumbs": [(_("KAM tasks"), "competence:kamtask_list"), (_("New"), "")],
    })


@require_http_methods(["GET", "POST"])
def kamtask_import(request):
    """The bulk path: a CSV of tasks, applied whole or not at all, through the same service and policy."""
    principal = request.principal
    _refuse_distributor_post(request, "competence.kamtask.bulk_create", "CSV import")
    _require_task_right(request, "competence.kamtask.create", action="competence.kamtask.bulk_create")
    form = KamTaskImportForm(request.POST or None, request.FILES or None)
    row_errors = []
    if request.method == "POST" and form.is_valid():
        raw = form.cleaned_data["file"].read()
        try:
            text = raw.decode("utf-8-sig")
            rows = services.kam_task_rows_from_csv(principal=principal, text=text)
            tasks = services.kam_task_bulk_create(principal=principal, request=request, rows=rows)
        except UnicodeDecodeError:
            form.add_error("file", _("Save the file as UTF-8 CSV."))
        except ValidationError as exc:
            row_errors = sorted((k, " ".join(v)) for k, v in exc.message_dict.items())
            form.add_error(None, _("Nothing was imported: fix the rows below and upload again."))
        else:
            messages.success(request, _("%(n)d tasks imported.") % {"n": len(tasks)})
            return redirect("competence:kamtask_list")
    return render(request, "competence/kamtask_import.html", {
        "form": form, "row_errors": row_errors, "columns": services.CSV_COLUMNS, "duties": KamDuty.choices,
        "breadcrumbs": [(_("KAM tasks"), "competence:kamtask_list"), (_("Import"), "")],
    })


def kamtask_detail(request, pk):
    principal = request.principal
    task = selectors.kam_task_get(principal=principal, pk=pk)
    return render(request, "competence/kamtask_detail.html", {
        "task": task, "comments": selectors.kam_task_comments(principal=principal, task=task),
        "status_form": KamTaskStatusForm(initial={"status": task.status})
        if can(principal, "competence.kamtask.update_status", task) else None,
        "comment_form": CommentForm() if can(principal, "competence.kamtask.comment", task) else None,
        "can_manage": can(principal, "competence.kamtask.manage", task) and not task.is_closed,
        "cancel_form": CancelForm(),
        "breadcrumbs": [(_("KAM tasks"), "competence:kamtask_list"), (task.title, "")],
    })


def _task_for_write(request, pk, action):
    _refuse_distributor_post(request, action, f"KamTask#{pk}")
    return selectors.kam_task_get(principal=request.principal, pk=pk)


@require_http_methods(["GET", "POST"])
def kamtask_update(request, pk):
    principal = request.principal
    task = _task_for_write(request, pk, "competence.kamtask.manage")
    _require_task_right(request, "competence.kamtask.manage", task)
    initial = {"kam": task.kam_id, "duty": task.duty, "title": task.title, "description": task.description,
               "priority": task.priority, "due_on": task.due_on}
    form = KamTaskUpdateForm(request.POST or None, initial=initial, kams=selectors.kams())
    if request.method == "POST" and form.is_valid():
        changed = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            services.kam_task_update(principal=principal, request=request, task=task, **changed)
        except ValidationError as exc:
            service_errors_to_form(form, exc)
        except ConflictError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Task saved."))
            return redirect(task)
    return render(request, "core/form.html", {
        "form": form, "title": _("Edit task"), "cancel_url": task.get_absolute_url(),
        "breadcrumbs": [(_("KAM tasks"), "competence:kamtask_list"), (task.title, task.get_absolute_url()),
                        (_("Edit"), "")],
    })


def _task_action(request, pk, action, call):
    task = _task_for_write(request, pk, action)
    try:
        call(task)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except ConflictError as exc:
        messages.error(request, exc.message)
    return redirect(task)


@require_POST
def kamtask_status(request, pk):
    form = KamTaskStatusForm(request.POST)

    def call(task):
        if not form.is_valid():
            raise ValidationError(_("Choose a status."))
        services.kam_task_set_status(principal=request.principal, request=request, task=task,
                                     **form.cleaned_data)
        messages.success(request, _("Status updated."))

    return _task_action(request, pk, "competence.kamtask.status", call)


@require_POST
def kamtask_comment(request, pk):
    def call(task):
        services.kam_task_comment_add(principal=request.principal, request=request, task=task,
                                      body=request.POST.get("body", ""))
        messages.success(request, _("Comment added."))

    return _task_action(request, pk, "competence.kamtask.comment", call)


@require_POST
def kamtask_cancel(request, pk):
    def call(task):
        services.kam_task_cancel(principal=request.principal, request=request, task=task,
                                 reason=request.POST.get("reason", ""))
        messages.success(request, _("Task cancelled."))

    return _task_action(request, pk, "competence.kamtask.cancel", call)


# ---- consultations ------------------------------------------------------------------------------------------

CONSULTATION_TABLE = Table(
    columns=[
        Column("subject", gettext_lazy("Subject"), sort="subject", link=True),
        Column("distributor.code", gettext_lazy("Distributor"), sort="distributor__code"),
        Column("requested_by.get_full_name", gettext_lazy("Asked by"), sort="requested_by__last_name"),
        Column("recipient.get_full_name", gettext_lazy("Asked"), sort="recipient__last_name"),
        Column("client", gettext_lazy("Client"), sort="client__legal_name"),
        Column("get_status_display", gettext_lazy("Status"), sort="status", badge=True),
        Column("created_at", gettext_lazy("Asked on"), sort="created_at"),
    ],
    search_fields=["subject", "message", "distributor__code", "client__legal_name"],
    filters=[Filter("status", gettext_lazy("Status"), ConsultationStatus.choices, "status")],
    default_sort="-created_at",
)


def consultation_list(request):
    principal = request.principal
    table = CONSULTATION_TABLE.build(request, selectors.consultation_list(principal=principal))
    return render_partial(request, "competence/consultation_list.html", {
        "table": table, "can_create": can(principal, "competence.consultation.create"),
        "breadcrumbs": [(_("Consultations"), "")],
    }, partial="includes/table.html")


@require_http_methods(["GET", "POST"])
def consultation_create(request):
    from keychannel.network.models import Distributor

    principal = request.principal
    require(principal, "competence.consultation.create")
    distributor = Distributor.objects.visible_to(principal).filter(pk=principal.own_distributor_id).first()
    if distributor is None:
        raise Http404
    form = ConsultationForm(request.POST or None, initial={"client": request.GET.get("client")},
                            recipients=get_user_model().objects.filter(
                                pk__in=[u.pk for u in services.consultation_recipients(distributor)]),
                            clients=_clients(principal, distributor.pk))
    if request.method == "POST" and form.is_valid():
        try:
            consultation = services.consultation_create(principal=principal, **form.cleaned_data)
        except ValidationError as exc:
            service_errors_to_form(form, exc)
        else:
            messages.success(request, _("Request sent."))
            return redirect(consultation)
    return render(request, "core/form.html", {
        "form": form, "title": _("Ask for a consultation"), "cancel_url": "competence:consultation_list",
        "breadcrumbs": [(_("Consultations"), "competence:consultation_list"), (_("New"), "")],
    })


def consultation_detail(request, pk):
    principal = request.principal
    consultation = selectors.consultation_get(principal=principal, pk=pk)
    can_convert = can(principal, "competence.consultation.convert", consultation)
    convert_form = None
    if can_convert:
        convert_form = ConsultationConvertForm(kams=selectors.kams(), initial={
            "kam": consultation.recipient_id, "title": consultation.subject, "duty": KamDuty.CONSULT_INSIDE_DISTRIBUTOR})
    return render(request, "competence/consultation_detail.html", {
        "consultation": consultation,
        "answer_form": ConsultationAnswerForm() if can(principal, "competence.consultation.respond", consultation)
        else None,
        "convert_form": convert_form,
        "breadcrumbs": [(_("Consultations"), "competence:consultation_list"), (consultation.subject, "")],
    })


@require_POST
def consultation_respond(request, pk):
    principal = request.principal
    consultation = selectors.consultation_get(principal=principal, pk=pk)
    decision = request.POST.get("decision")
    if decision not in ("accept", "decline"):
        messages.error(request, _("Accept or decline the request."))
        return redirect(consultation)
    try:
        services.consultation_respond(principal=principal, consultation=consultation, accept=decision == "accept",
                                      response=request.POST.get("response", ""))
    except ConflictError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Answer sent."))
    return redirect(consultation)


@require_http_methods(["GET", "POST"])
def consultation_convert(request, pk):
    principal = request.principal
    _refuse_distributor_post(request, "competence.consultation.convert", f"ConsultationRequest#{pk}")
    consultation = selectors.consultation_get(principal=principal, pk=pk)
    _require_task_right(request, "competence.consultation.convert", consultation)
    form = ConsultationConvertForm(request.POST or None, kams=selectors.kams(),
                                   initial={"kam": consultation.recipient_id, "title": consultation.subject})
    if request.method == "POST" and form.is_valid():
        try:
            task = services.consultation_convert(principal=principal, request=request, consultation=consultation,
                                                 **form.cleaned_data)
        except ValidationError as exc:
            service_errors_to_form(form, exc)
        else:
            messages.success(request, _("The request is now a KAM task."))
            return redirect(task)
    return render(request, "core/form.html", {
        "form": form, "title": _("Turn the request into a KAM task"), "cancel_url": consultation.get_absolute_url(),
        "breadcrumbs": [(_("Consultations"), "competence:consultation_list"),
                        (consultation.subject, consultation.get_absolute_url()), (_("Make a task"), "")],
    })


# ---- coverage gaps ------------------------------------------------------------------------------------------

def _territory_filter(request):
    from keychannel.network.models import Territory

    territories = Territory.objects.visible_to(request.principal).filter(level__in=["region", "county"]).order_by(
        "level", "name")
    raw = request.GET.get("territory", "")
    return territories, int(raw) if raw.isdigit() else None


def coverage_gaps(request):
    principal = request.principal
    require(principal, "competence.gap.view")
    territories, territory_id = _territory_filter(request)
    return render(request, "competence/coverage_gaps.html", {
        "gaps": selectors.coverage_gap_list(principal=principal, territory_id=territory_id),
        "territories": territories, "territory_id": territory_id,
        "can_assign": can(principal, "competence.gap.assign"),
        "breadcrumbs": [(_("Coverage gaps"), "")],
    })


@require_POST
def coverage_gap_assign(request, client_pk):
    principal = request.principal
    client = selectors.gap_client_get(principal=principal, pk=client_pk)
    mentor = None
    if (raw := request.POST.get("mentor", "")).isdigit():
        mentor = selectors.mentors().filter(pk=raw).first()
    try:
        mentorship = services.coverage_gap_assign(principal=principal, client=client, mentor=mentor)
    except (ValidationError, ConflictError) as exc:
        messages.error(request, getattr(exc, "message", None) or " ".join(exc.messages))
    else:
        messages.success(request, _("%(mentor)s now mentors %(client)s.") % {
            "mentor": mentorship.mentor.get_full_name() or mentorship.mentor.username, "client": client.legal_name})
    return redirect("competence:coverage_gaps")


# ---- channel-structure graph --------------------------------------------------------------------------------

def structure(request):
    principal = request.principal
    require(principal, "competence.structure.view")
    territories, territory_id = _territory_filter(request)
    graph = selectors.channel_structure(principal=principal, territory_id=territory_id)
    categories = [
        _("Manufacturer"), _("Mentor"), _("Embedded KAM"), _("Fig. 1: centralised competence"),
        _("Fig. 2: combined channel"), _("Fig. 1 and fig. 2"), _("No mentor or KAM"), _("Key client"),
    ]
    return render(request, "competence/structure.html", {
        "graph": {**graph, "categories": [{"name": str(c)} for c in categories]},
        "territories": territories, "territory_id": territory_id,
        "breadcrumbs": [(_("Channel structure"), "")],
    })
