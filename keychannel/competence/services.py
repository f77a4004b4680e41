"""Writes of the competence app. Every write checks its policy first and runs in one transaction.

Forbidden KAM-task writes are recorded as security events *after* the failed transaction has rolled back,
so the trace survives while the write leaves nothing behind.
"""

from __future__ import annotations

import functools
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from keychannel.core.choices import Role, SecurityEventKind
from keychannel.core.errors import ConflictError
from keychannel.core.events import emit
from keychannel.core.policies import require
from keychannel.core.services import notification_send, security_event_record
from keychannel.deals.choices import CLOSED_STAGES

from .choices import KAM_STATUSES, ConsultationStatus, KamDuty, TaskPriority, TaskStatus
from .models import (
    CoachingSession,
    ConsultationRequest,
    EmbeddedAssignment,
    KamTask,
    KamTaskComment,
    Mentorship,
)


def record_forbidden(*, principal, request=None, action: str, detail: str = "") -> None:
    security_event_record(
        kind=SecurityEventKind.FORBIDDEN_WRITE, request=request, principal=principal, action=action, detail=detail
    )


def refuse_distributor_write(*, principal, request=None, action: str, detail: str = "") -> None:
    """Distributor users never write KAM tasks: answer 403 (before any lookup, so nothing is revealed) and record."""
    if principal.is_distributor_user or not principal.is_authenticated:
        record_forbidden(principal=principal, request=request, action=action, detail=detail)
        raise PermissionDenied(action)


def guarded(action: str):
    """One transaction per call; a PermissionDenied is recorded once the transaction has been rolled back."""

    def decorate(fn):
        atomic_fn = transaction.atomic(fn)

        @functools.wraps(fn)
        def wrapper(*, principal, request=None, **kwargs):
            try:
                return atomic_fn(principal=principal, **kwargs)
            except PermissionDenied:
                detail = ", ".join(f"{k}={_describe(v)}" for k, v in sorted(kwargs.items()))[:1000]
                record_forbidden(principal=principal, request=request, action=action, detail=detail)
                raise

        return wrapper

    return decorate


def _describe(value) -> str:
    if hasattr(value, "pk"):
        return f"{type(value).__name__}#{value.pk}"
    if isinstance(value, list):
        return f"{len(value)} rows"
    return str(value)[:80]


# ---- validation helpers -------------------------------------------------------------------------------------

def _role_of(user) -> str | None:
    membership = getattr(user, "membership", None)
    return membership.role if membership is not None else None


def _check_kam_stationed(kam, distributor, field="kam_id"):
    if kam is None or _role_of(kam) != Role.EMBEDDED_KAM:
        raise ValidationError({field: _("Choose an embedded key-account manager.")})
    if not EmbeddedAssignment.objects.active_on().filter(kam=kam, distributor=distributor).exists():
        raise ValidationError({field: _("This KAM is not stationed at %(code)s.") % {"code": distributor.code}})


def _check_client(client, distributor, field="client_id"):
    if client is not None and client.distributor_id != distributor.pk:
        raise ValidationError({field: _("The client is not served by this distributor.")})


def _check_choice(value, choices, field):
    if value not in {c for c, _label in choices}:
        raise ValidationError({field: _("Not a valid choice.")})


# ---- KAM tasks ----------------------------------------------------------------------------------------------

def kam_task_validate(*, distributor, kam, duty, title, priority, client=None, suffix="_id") -> None:
    """The rules a task must meet, also used by the admin form to show field errors before saving."""
    if not (title or "").strip():
        raise ValidationError({"title": _("Give the task a title.")})
    _check_choice(duty, KamDuty.choices, "duty")
    _check_choice(int(priority), TaskPriority.choices, "priority")
    _check_kam_stationed(kam, distributor, field=f"kam{suffix}")
    _check_client(client, distributor, field=f"client{suffix}")


def _task_create(*, principal, distributor, kam, duty, title, description="", priority=TaskPriority.NORMAL,
                 due_on=None, client=None) -> KamTask:
    require(principal, "competence.kamtask.create", distributor)
    kam_task_validate(distributor=distributor, kam=kam, duty=duty, title=title, priority=priority, client=client)
    title = title.strip()
    task = KamTask(
        distributor=distributor, kam=kam, duty=duty, title=title, description=description or "",
        priority=int(priority), due_on=due_on, client=client, created_by=principal.user,
    )
    task.full_clean()
    task.save()
    notification_send(
        recipient=kam, event="kam_task.changed", sender=principal.user,
        title=lambda: _("New task: %(title)s") % {"title": task.title},
        body=lambda: _("Assigned by %(who)s.") % {"who": principal.user.get_full_name() or principal.user.get_username()},
        url=task.get_absolute_url(),
    )
    emit("kam_task.changed", task)
    return task


@guarded("competence.kamtask.create")
def kam_task_create(*, principal, **fields) -> KamTask:
    return _task_create(principal=principal, **fields)


MANAGED_FIELDS = {"kam", "duty", "title", "description", "priority", "due_on", "client"}


@guarded("competence.kamtask.manage")
def kam_task_update(*, principal, task: KamTask, **fields) -> KamTask:
    """Re-assign (``kam``), re-prioritise (``priority``) or edit a task; only the manufacturer may."""
    require(principal, "competence.kamtask.manage", task)
    unknown = set(fields) - MANAGED_FIELDS
    if unknown:
        raise ValidationError({name: _("This field cannot be changed here.") for name in sorted(unknown)})
    task = KamTask.objects.select_for_update().get(pk=task.pk)
    if task.is_closed:
        raise ConflictError(_("The task is closed and can no longer be changed."))
    previous_kam_id = task.kam_id
    if "kam" in fields:
        _check_kam_stationed(fields["kam"], task.distributor)
    if "client" in fields:
        _check_client(fields["client"], task.distributor)
    if "duty" in fields:
        _check_choice(fields["duty"], KamDuty.choices, "duty")
    if "priority" in fields:
        _check_choice(int(fields["priority"]), TaskPriority.choices, "priority")
        fields["priority"] = int(fields["priority"])
    if "title" in fields:
        fields["title"] = (fields["title"] or "").strip()
        if not fields["title"]:
            raise ValidationError({"title": _("Give the task a title.")})
    for name, value in fields.items():
        setattr(task, name, value)
    task.full_clean()
    task.save()
    if task.kam_id != previous_kam_id:
        notification_send(
            recipient=task.kam, event="kam_task.changed", sender=principal.user,
            title=lambda: _("Task re-assigned to you: %(title)s") % {"title": task.title},
            url=task.get_absolute_url(),
        )
    emit("kam_task.changed", task)
    return task


@guarded("competence.kamtask.cancel")
def kam_task_cancel(*, principal, task: KamTask, reason: str = "") -> KamTask:
    require(principal, "competence.kamtask.manage", task)
    task = KamTask.objects.select_for_update().get(pk=task.pk)
    if task.status == TaskStatus.CANCELLED:
        return task
    if task.status == TaskStatus.DONE:
        raise ConflictError(_("The task is done; it cannot be cancelled."))
    task.status = TaskStatus.CANCELLED
    task.cancel_reason = (reason or "").strip()[:250]
    task.closed_at = timezone.now()
    task.save()
    notification_send(recipient=task.kam, event="kam_task.changed", sender=principal.user,
                      title=lambda: _("Task cancelled: %(title)s") % {"title": task.title},
                      body=task.cancel_reason, url=task.get_absolute_url())
    emit("kam_task.changed", task)
    return task


@guarded("competence.kamtask.status")
def kam_task_set_status(*, principal, task: KamTask, status: str, comment: str = "") -> KamTask:
    """The KAM's own move: open, in progress, blocked, done. Cancelling is the manufacturer's (kam_task_cancel)."""
    require(principal, "competence.kamtask.update_status", task)
    if status not in KAM_STATUSES:
        raise ValidationError({"status": _("Choose open, in progress, blocked or done.")})
    task = KamTask.objects.select_for_update().get(pk=task.pk)
    if task.status == TaskStatus.CANCELLED:
        raise ConflictError(_("The task was cancelled."))
    task.status = status
    task.closed_at = timezone.now() if status == TaskStatus.DONE else None
    task.save()
    if (comment or "").strip():
        KamTaskComment.objects.create(task=task, author=principal.user, body=comment.strip())
    emit("kam_task.changed", task)
    return task


@guarded("competence.kamtask.comment")
def kam_task_comment_add(*, principal, task: KamTask, body: str) -> KamTaskComment:
    require(principal, "competence.kamtask.comment", task)
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("Write a comment.")})
    return KamTaskComment.objects.create(task=task, author=principal.user, body=body)


@guarded("competence.kamtask.bulk_create")
def kam_task_bulk_create(*, principal, rows: list[dict]) -> list[KamTask]:
    """Create many tasks at once, all or nothing. ``rows`` hold model instances (distributor, kam, client).

    Every bad row is reported (``rows.<n>.<field>``) and nothing is created.
    """
    require(principal, "competence.kamtask.create")
    if not rows:
        raise ValidationError({"rows": _("Give at least one task.")})
    created, errors = [], {}
    for index, row in enumerate(rows):
        try:
            with transaction.atomic():
                created.append(_task_create(principal=principal, **row))
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors[f"rows.{index}.{field}"] = messages
    if errors:
        raise ValidationError(errors)
    return created


# ---- mentorships and coaching -------------------------------------------------------------------------------

def _overlaps(qs, starts_on, ends_on):
    qs = qs.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=starts_on))
    if ends_on is not None:
        qs = qs.filter(starts_on__lte=ends_on)
    return qs


@transaction.atomic
def mentorship_create(*, principal, mentor, distributor, client=None, opportunity=None,
                      starts_on: date | None = None, ends_on: date | None = None, focus: str = "") -> Mentorship:
    """Mentor a whole distributor, one of its clients, or one deal (which then names the mentor too)."""
    require(principal, "competence.mentorship.manage", distributor)
    if mentor is None or _role_of(mentor) != Role.MENTOR:
        raise ValidationError({"mentor_id": _("Choose a mentor.")})
    _check_client(client, distributor)
    if opportunity is not None:
        if opportunity.distributor_id != distributor.pk:
            raise ValidationError({"opportunity_id": _("The deal is not this distributor's.")})
        if opportunity.stage in CLOSED_STAGES:
            raise ValidationError({"opportunity_id": _("The deal is closed.")})
        client = opportunity.client
    starts_on = starts_on or timezone.localdate()
    if ends_on is not None and ends_on < starts_on:
        raise ValidationError({"ends_on": _("The end must not be before the start.")})
    same = Mentorship.objects.filter(mentor=mentor, distributor=distributor, client=client, opportunity=opportunity)
    if _overlaps(same, starts_on, ends_on).exists():
        raise ValidationError({"mentor_id": _("This mentor already has this mentorship for that period.")})
    mentorship = Mentorship(mentor=mentor, distributor=distributor, client=client, opportunity=opportunity,
                            starts_on=starts_on, ends_on=ends_on, focus=focus or "")
    mentorship.full_clean()
    mentorship.save()
    if opportunity is not None and opportunity.mentor_id != mentor.pk:
        from keychannel.deals.services import opportunity_update

        opportunity_update(principal=principal, opportunity=opportunity, mentor=mentor)
    notification_send(recipient=mentor, event="mentorship.started", sender=principal.user,
                      title=lambda: _("New mentorship: %(what)s") % {"what": str(mentorship)},
                      url=mentorship.get_absolute_url())
    return mentorship


@transaction.atomic
def mentorship_end(*, principal, mentorship: Mentorship, ends_on: date | None = None) -> Mentorship:
    require(principal, "competence.mentorship.manage", mentorship.distributor)
    ends_on = ends_on or timezone.localdate()
    if ends_on < mentorship.starts_on:
        raise ValidationError({"ends_on": _("The end must not be before the start.")})
    mentorship.ends_on = ends_on
    mentorship.save()
    return mentorship


@transaction.atomic
def coaching_session_record(*, principal, mentorship: Mentorship, held_on: date, participants: str, topic: str,
                            outcome: str = "", next_step: str = "", next_step_due: date | None = None
                            ) -> CoachingSession:
    require(principal, "competence.session.record", mentorship)
    errors = {}
    if not (participants or "").strip():
        errors["participants"] = _("Say who took part.")
    if not (topic or "").strip():
        errors["topic"] = _("Give the topic.")
    if next_step_due is not None and held_on is not None and next_step_due < held_on:
        errors["next_step_due"] = _("The next step cannot be due before the session.")
    if errors:
        raise ValidationError(errors)
    session = CoachingSession(
        mentorship=mentorship, held_on=held_on, participants=participants.strip(), topic=topic.strip(),
        outcome=outcome or "", next_step=next_step or "", next_step_due=next_step_due, recorded_by=principal.user,
    )
    session.full_clean()
    session.save()
    return session


@transaction.atomic
def embedded_assignment_create(*, principal, kam, distributor, starts_on: date | None = None,
                               ends_on: date | None = None, charter: str = "") -> EmbeddedAssignment:
    require(principal, "competence.assignment.manage", distributor)
    if kam is None or _role_of(kam) != Role.EMBEDDED_KAM:
        raise ValidationError({"kam_id": _("Choose an embedded key-account manager.")})
    starts_on = starts_on or timezone.localdate()
    if ends_on is not None and ends_on < starts_on:
        raise ValidationError({"ends_on": _("The end must not be before the start.")})
    # A KAM sits at one distributor at a time.
    if _overlaps(EmbeddedAssignment.objects.filter(kam=kam), starts_on, ends_on).exists():
        raise ValidationError({"kam_id": _("This KAM is already stationed somewhere in that period.")})
    assignment = EmbeddedAssignment(kam=kam, distributor=distributor, starts_on=starts_on, ends_on=ends_on,
                                    charter=charter or "")
    assignment.full_clean()
    assignment.save()
    return assignment


# ---- consultations ------------------------------------------------------------------------------------------

def consultation_recipients(distributor):
    """Who a distributor may ask: the KAMs stationed there and its mentors, today."""
    from django.contrib.auth import get_user_model

    kam_ids = EmbeddedAssignment.objects.active_on().filter(distributor=distributor).values("kam_id")
    mentor_ids = Mentorship.objects.active_on().filter(distributor=distributor).values("mentor_id")
    return (
        get_user_model().objects.filter(pk__in=kam_ids).union(get_user_model().objects.filter(pk__in=mentor_ids))
    )


def _is_recipient(user, distributor) -> bool:
    return (
        EmbeddedAssignment.objects.active_on().filter(distributor=distributor, kam=user).exists()
        or Mentorship.objects.active_on().filter(distributor=distributor, mentor=user).exists()
    )


@transaction.atomic
def consultation_create(*, principal, recipient, subject: str, message: str, client=None) -> ConsultationRequest:
    from keychannel.network.models import Distributor

    distributor = Distributor.objects.filter(pk=principal.own_distributor_id).first()
    require(principal, "competence.consultation.create", distributor)
    errors = {}
    if recipient is None or not _is_recipient(recipient, distributor):
        errors["recipient_id"] = _("Ask the KAM stationed at your company or your mentor.")
    if client is not None and client.distributor_id != distributor.pk:
        errors["client_id"] = _("The client is not served by your company.")
    if not (subject or "").strip():
        errors["subject"] = _("Give a subject.")
    if not (message or "").strip():
        errors["message"] = _("Say what help you need.")
    if errors:
        raise ValidationError(errors)
    consultation = ConsultationRequest.objects.create(
        distributor=distributor, requested_by=principal.user, recipient=recipient, client=client,
        subject=subject.strip()[:200], message=message.strip(),
    )
    notification_send(recipient=recipient, event="consultation.changed", sender=principal.user,
                      title=lambda: _("Consultation request: %(s)s") % {"s": consultation.subject},
                      body=consultation.message[:500], url=consultation.get_absolute_url())
    return consultation


@transaction.atomic
def consultation_respond(*, principal, consultation: ConsultationRequest, accept: bool, response: str = ""
                         ) -> ConsultationRequest:
    consultation = ConsultationRequest.objects.select_for_update().get(pk=consultation.pk)
    if consultation.recipient_id == principal.user_id and consultation.status != ConsultationStatus.PENDING:
        raise ConflictError(_("This request has already been answered."))
    require(principal, "competence.consultation.respond", consultation)
    consultation.status = ConsultationStatus.ACCEPTED if accept else ConsultationStatus.DECLINED
    consultation.response = (response or "").strip()
    consultation.responded_at = timezone.now()
    consultation.save()
    notification_send(
        recipient=consultation.requested_by, event="consultation.changed", sender=principal.user,
        title=lambda: (_("Accepted: %(s)s") if accept else _("Declined: %(s)s")) % {"s": consultation.subject},
        body=consultation.response, url=consultation.get_absolute_url(),
    )
    return consultation


@guarded("competence.consultation.convert")
def consultation_convert(*, principal, consultation: ConsultationRequest, duty: str, kam=None,
                         priority=TaskPriority.NORMAL, due_on=None, title: str = "") -> KamTask:
    """An accepted request becomes a KAM task only when a manufacturer role makes it one."""
    consultation = ConsultationRequest.objects.select_for_update().get(pk=consultation.pk)
    require(principal, "competence.consultation.convert", consultation)
    if kam is None and _role_of(consultation.recipient) == Role.EMBEDDED_KAM:
        kam = consultation.recipient
    task = _task_create(
        principal=principal, distributor=consultation.distributor, kam=kam, duty=duty,
        title=title or consultation.subject, description=consultation.message, priority=priority, due_on=due_on,
        client=consultation.client,
    )
    consultation.status = ConsultationStatus.CONVERTED
    consultation.task = task
    consultation.save()
    return task


# ---- coverage gaps ------------------------------------------------------------------------------------------

@transaction.atomic
def coverage_gap_assign(*, principal, client, mentor=None) -> Mentorship:
    """One click: put a mentor (the suggested one unless given) on a client that has neither mentor nor KAM."""
    from . import selectors

    require(principal, "competence.gap.assign", client)
    gap = selectors.coverage_gap_for(principal=principal, client=client)
    if gap is None:
        raise ConflictError(_("This client is no longer a coverage gap."))
    mentor = mentor or gap["suggested_mentor"]
    if mentor is None:
        raise ValidationError({"mentor_id": _("There is no mentor to suggest; choose one.")})
    return mentorship_create(
        principal=principal, mentor=mentor, distributor=client.distributor, client=client,
        focus=_("Coverage gap: lead the distributor into %(client)s.") % {"client": client.legal_name},
    )


# ---- bulk import (CSV) --------------------------------------------------------------------------------------

CSV_COLUMNS = ["distributor", "kam", "duty", "title", "priority", "due", "description"]


def kam_task_rows_from_csv(*, principal, text: str) -> list[dict]:
    """Turn a CSV (see CSV_COLUMNS) into rows for kam_task_bulk_create; every bad row is reported at once."""
    import csv
    import io

    from django.contrib.auth import get_user_model

    from keychannel.network.models import Distributor

    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = {"distributor", "kam", "duty", "title"} - set(header)
    if missing:
        raise ValidationError({"file": _("Missing columns: %(cols)s") % {"cols": ", ".join(sorted(missing))}})
    raw = [{(k or "").strip().lower(): (v or "").strip() for k, v in row.items()} for row in reader]
    if not raw:
        raise ValidationError({"file": _("The file has no rows.")})
    if len(raw) > 500:
        raise ValidationError({"file": _("At most 500 rows per file.")})
    distributors = {d.code: d for d in Distributor.objects.visible_to(principal).filter(
        code__in={r.get("distributor", "").lower() for r in raw})}
    users = {u.username: u for u in get_user_model().objects.select_related("membership").filter(
        username__in={r.get("kam", "") for r in raw})}
    rows, errors = [], {}
    duty_by_label = {str(label).lower(): code for code, label in KamDuty.choices}
    for number, row in enumerate(raw, start=2):  # line 1 is the header
        problems = {}
        distributor = distributors.get(row.get("distributor", "").lower())
        if distributor is None:
            problems["distributor"] = _("Unknown distributor code.")
        kam = users.get(row.get("kam", ""))
        if kam is None:
            problems["kam"] = _("Unknown user.")
        duty = row.get("duty", "")
        duty = duty if duty in KamDuty.values else duty_by_label.get(duty.lower(), "")
        if not duty:
            problems["duty"] = _("Use one of: %(codes)s") % {"codes": ", ".join(KamDuty.values)}
        priority = row.get("priority") or str(int(TaskPriority.NORMAL))
        if not priority.isdigit() or int(priority) not in TaskPriority.values:
            problems["priority"] = _("Use 1 (low) to 4 (urgent).")
        due_on = None
        if row.get("due"):
            try:
                due_on = date.fromisoformat(row["due"])
            except ValueError:
                problems["due"] = _("Use YYYY-MM-DD.")
        if not row.get("title"):
            problems["title"] = _("Give the task a title.")
        if problems:
            for field, message in problems.items():
                errors[f"line {number}: {field}"] = [str(message)]
            continue
        rows.append({"distributor": distributor, "kam": kam, "duty": duty, "title": row["title"],
                     "priority": int(priority), "due_on": due_on, "description": row.get("description", "")})
    if errors:
        raise ValidationError(errors)
    return rows
