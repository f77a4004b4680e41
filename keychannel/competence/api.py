"""JSON API of the competence app: mentorships, embedded assignments, KAM tasks, consultations, coverage gaps."""

from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from keychannel.core import api_refs
from keychannel.core.pagination import BoundedPagination, paginate
from keychannel.core.policies import require
from keychannel.core.schemas import WRITE_ERRORS, ErrorOut

from . import selectors, services
from .schemas import (
    AssignmentFilter,
    AssignmentIn,
    AssignmentOut,
    CommentIn,
    CommentOut,
    ConsultationAnswerIn,
    ConsultationConvertIn,
    ConsultationFilter,
    ConsultationIn,
    ConsultationOut,
    CoverageGapOut,
    GapAssignIn,
    KamTaskBulkIn,
    KamTaskCancelIn,
    KamTaskFilter,
    KamTaskIn,
    KamTaskOut,
    KamTaskPatch,
    KamTaskStatusIn,
    MentorshipFilter,
    MentorshipIn,
    MentorshipOut,
    SessionIn,
    SessionOut,
    WorkloadRowOut,
)

router = Router(tags=["competence"])



def _distributor(principal, pk, field="distributor_id"):
    from keychannel.network.models import Distributor

    return api_refs.visible(principal, Distributor, pk, field=field)


def _client(principal, pk, field="client_id"):
    if pk is None:
        return None
    from keychannel.clients.models import CorporateClient

    return api_refs.optional(principal, CorporateClient, pk, field=field)


def _deal(principal, pk, field="opportunity_id"):
    if pk is None:
        return None
    from keychannel.deals.models import Opportunity

    return api_refs.optional(principal, Opportunity, pk, field=field)


# ---- mentorships --------------------------------------------------------------------------------------------

@router.get("/mentorships", response=list[MentorshipOut], summary="Mentorships the caller may see")
@paginate(BoundedPagination)
def mentorship_list(request, filters: Query[MentorshipFilter]):
    return selectors.mentorship_list(principal=request.principal, filters=filters.model_dump()).order_by(
        "-starts_on", "pk"
    )


@router.post("/mentorships", response={201: MentorshipOut, **WRITE_ERRORS})
def mentorship_create(request, payload: MentorshipIn):
    principal = request.principal
    require(principal, "competence.mentorship.manage")  # before looking anything up
    distributor = _distributor(principal, payload.distributor_id)
    mentorship = services.mentorship_create(
        principal=principal, mentor=api_refs.active_user(payload.mentor_id, field="mentor_id"), distributor=distributor,
        client=_client(principal, payload.client_id), opportunity=_deal(principal, payload.opportunity_id),
        starts_on=payload.starts_on, ends_on=payload.ends_on, focus=payload.focus,
    )
    return Status(201, selectors.mentorship_get(principal=principal, pk=mentorship.pk))


@router.get("/mentorships/{int:mentorship_id}", response={200: MentorshipOut, 404: ErrorOut})
def mentorship_detail(request, mentorship_id: int):
    return selectors.mentorship_get(principal=request.principal, pk=mentorship_id)


class MentorshipEndIn(Schema):
    ends_on: date | None = Field(None, description="Default: today.")


@router.post("/mentorships/{int:mentorship_id}/end", response={200: MentorshipOut, **WRITE_ERRORS},
             summary="End a mentorship (as the mentorship page does)")
def mentorship_end(request, mentorship_id: int, payload: MentorshipEndIn):
    mentorship = selectors.mentorship_get(principal=request.principal, pk=mentorship_id)
    services.mentorship_end(principal=request.principal, mentorship=mentorship, ends_on=payload.ends_on)
    return selectors.mentorship_get(principal=request.principal, pk=mentorship_id)


@router.get("/mentorships/{int:mentorship_id}/sessions", response={200: list[SessionOut], 404: ErrorOut})
def session_list(request, mentorship_id: int):
    mentorship = selectors.mentorship_get(principal=request.principal, pk=mentorship_id)
    return Status(200, list(selectors.session_list(principal=request.principal, mentorship=mentorship)[:500]))


@router.post("/mentorships/{int:mentorship_id}/sessions", response={201: SessionOut, **WRITE_ERRORS})
def session_create(request, mentorship_id: int, payload: SessionIn):
    mentorship = selectors.mentorship_get(principal=request.principal, pk=mentorship_id)
    session = services.coaching_session_record(principal=request.principal, mentorship=mentorship,
                                               **payload.model_dump())
    return Status(201, session)


@router.get("/mentor-workload", response={200: list[WorkloadRowOut], 403: ErrorOut},
            summary="Distributors, deals and sessions per mentor (manufacturer)")
def mentor_workload(request, months: int = 6):
    require(request.principal, "competence.workload.view")
    data = selectors.mentor_workload(principal=request.principal, months=max(1, min(months, 24)))
    return Status(200, [
        {**row, "sessions_per_month": {m.strftime("%Y-%m"): n for m, n in zip(data["months"], row["sessions"],
                                                                              strict=True)}}
        for row in data["rows"]
    ])


# ---- embedded assignments -----------------------------------------------------------------------------------

@router.get("/embedded-assignments", response=list[AssignmentOut], summary="KAM stations, with their charter")
@paginate(BoundedPagination)
def assignment_list(request, filters: Query[AssignmentFilter]):
    return selectors.assignment_list(principal=request.principal, filters=filters.model_dump()).order_by(
        "-starts_on", "pk"
    )


@router.post("/embedded-assignments", response={201: AssignmentOut, **WRITE_ERRORS})
def assignment_create(request, payload: AssignmentIn):
    principal = request.principal
    require(principal, "competence.assignment.manage")
    assignment = services.embedded_assignment_create(
        principal=principal, kam=api_refs.active_user(payload.kam_id, field="kam_id"), distributor=_distributor(principal, payload.distributor_id),
        starts_on=payload.starts_on, ends_on=payload.ends_on, charter=payload.charter,
    )
    return Status(201, selectors.assignment_get(principal=principal, pk=assignment.pk))


@router.get("/embedded-assignments/{int:assignment_id}", response={200: AssignmentOut, 404: ErrorOut})
def assignment_detail(request, assignment_id: int):
    return selectors.assignment_get(principal=request.principal, pk=assignment_id)


# ---- KAM tasks ----------------------------------------------------------------------------------------------

def _task_fields(principal, payload: KamTaskIn) -> dict:
    distributor = _distributor(principal, payload.distributor_id)
    return {
        "distributor": distributor, "kam": api_refs.active_user(payload.kam_id, field="kam_id"), "duty": payload.duty,
        "title": payload.title, "description": payload.description, "priority": payload.priority,
        "due_on": payload.due_on, "client": _client(principal, payload.client_id),
    }


def _task_for_write(request, task_id: int, action: str):
    """Distributor users get 403 and a security event before any lookup; others fetch through their scope."""
    services.refuse_distributor_write(principal=request.principal, request=request, action=action,
                                      detail=f"KamTask#{task_id}")
    return selectors.kam_task_get(principal=request.principal, pk=task_id)


@router.get("/kam-tasks", response=list[KamTaskOut], summary="KAM tasks the caller may see")
@paginate(BoundedPagination)
def kam_task_list(request, filters: Query[KamTaskFilter]):
    return selectors.kam_task_list(principal=request.principal, filters=filters.model_dump())


@router.post("/kam-tasks", response={201: KamTaskOut, **WRITE_ERRORS}, summary="Give a stationed KAM a task (manufacturer)")
def kam_task_create(request, payload: KamTaskIn):
    principal = request.principal
    services.refuse_distributor_write(principal=principal, request=request, action="competence.kamtask.create",
                                      detail=payload.title[:200])
    task = services.kam_task_create(principal=principal, request=request, **_task_fields(principal, payload))
    return Status(201, selectors.kam_task_get(principal=principal, pk=task.pk))


@router.post("/kam-tasks/bulk", response={201: list[KamTaskOut], **WRITE_ERRORS},
             summary="Create many KAM tasks, all or nothing")
def kam_task_bulk_create(request, payload: KamTaskBulkIn):
    principal = request.principal
    services.refuse_distributor_write(principal=principal, request=request, action="competence.kamtask.bulk_create",
                                      detail=f"{len(payload.tasks)} rows")
    rows, errors = [], {}
    for index, row in enumerate(payload.tasks):
        try:
            rows.append(_task_fields(principal, row))
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors[f"rows.{index}.{field}"] = messages
    if errors:
        raise ValidationError(errors)
    tasks = services.kam_task_bulk_create(principal=principal, request=request, rows=rows)
    return Status(201, list(selectors.kam_task_list(principal=principal).filter(pk__in=[t.pk for t in tasks]).order_by("pk")))


@router.get("/kam-tasks/{int:task_id}", response={200: KamTaskOut, 404: ErrorOut})
def kam_task_detail(request, task_id: int):
    return selectors.kam_task_get(principal=request.principal, pk=task_id)


@router.patch("/kam-tasks/{int:task_id}", response={200: KamTaskOut, **WRITE_ERRORS},
              summary="Re-assign, re-prioritise or edit a task (manufacturer)")
def kam_task_patch(request, task_id: int, payload: KamTaskPatch):
    principal = request.principal
    task = _task_for_write(request, task_id, "competence.kamtask.manage")
    fields = payload.model_dump(exclude_unset=True)
    if "kam_id" in fields:
        fields["kam"] = api_refs.active_user(fields.pop("kam_id"), field="kam_id")
        if fields["kam"] is None:
            raise ValidationError({"kam_id": _("A task needs a KAM.")})
    if "client_id" in fields:
        fields["client"] = _client(principal, fields.pop("client_id"))
    nulls = [k for k in ("duty", "title", "priority", "description") if k in fields and fields[k] is None]
    if nulls:
        raise ValidationError({k: _("May not be empty.") for k in nulls})
    services.kam_task_update(principal=principal, request=request, task=task, **fields)
    return selectors.kam_task_get(principal=principal, pk=task_id)


@router.post("/kam-tasks/{int:task_id}/status", response={200: KamTaskOut, **WRITE_ERRORS},
             summary="The KAM moves the task: open, in progress, blocked, done")
def kam_task_status(request, task_id: int, payload: KamTaskStatusIn):
    task = _task_for_write(request, task_id, "competence.kamtask.status")
    services.kam_task_set_status(principal=request.principal, request=request, task=task, status=payload.status,
                                 comment=payload.comment)
    return selectors.kam_task_get(principal=request.principal, pk=task_id)


@router.post("/kam-tasks/{int:task_id}/cancel", response={200: KamTaskOut, **WRITE_ERRORS})
def kam_task_cancel(request, task_id: int, payload: KamTaskCancelIn):
    task = _task_for_write(request, task_id, "competence.kamtask.cancel")
    services.kam_task_cancel(principal=request.principal, request=request, task=task, reason=payload.reason)
    return selectors.kam_task_get(principal=request.principal, pk=task_id)


@router.get("/kam-tasks/{int:task_id}/comments", response={200: list[CommentOut], 404: ErrorOut})
def kam_task_comment_list(request, task_id: int):
    task = selectors.kam_task_get(principal=request.principal, pk=task_id)
    return Status(200, list(selectors.kam_task_comments(principal=request.principal, task=task)[:500]))


@router.post("/kam-tasks/{int:task_id}/comments", response={201: CommentOut, **WRITE_ERRORS})
def kam_task_comment_create(request, task_id: int, payload: CommentIn):
    task = _task_for_write(request, task_id, "competence.kamtask.comment")
    return Status(201, services.kam_task_comment_add(principal=request.principal, request=request, task=task,
                                              body=payload.body))


# ---- consultations ------------------------------------------------------------------------------------------

@router.get("/consultations", response=list[ConsultationOut], summary="Consultation requests the caller may see")
@paginate(BoundedPagination)
def consultation_list(request, filters: Query[ConsultationFilter]):
    return selectors.consultation_list(principal=request.principal, filters=filters.model_dump())


@router.post("/consultations", response={201: ConsultationOut, **WRITE_ERRORS},
             summary="Ask the stationed KAM or your mentor for help (distributor staff)")
def consultation_create(request, payload: ConsultationIn):
    principal = request.principal
    require(principal, "competence.consultation.create")
    consultation = services.consultation_create(
        principal=principal, recipient=api_refs.active_user(payload.recipient_id, field="recipient_id"), subject=payload.subject,
        message=payload.message, client=_client(principal, payload.client_id),
    )
    return Status(201, selectors.consultation_get(principal=principal, pk=consultation.pk))


@router.get("/consultations/{int:consultation_id}", response={200: ConsultationOut, 404: ErrorOut})
def consultation_detail(request, consultation_id: int):
    return selectors.consultation_get(principal=request.principal, pk=consultation_id)


@router.post("/consultations/{int:consultation_id}/accept", response={200: ConsultationOut, **WRITE_ERRORS})
def consultation_accept(request, consultation_id: int, payload: ConsultationAnswerIn):
    consultation = selectors.consultation_get(principal=request.principal, pk=consultation_id)
    services.consultation_respond(principal=request.principal, consultation=consultation, accept=True,
                                  response=payload.response)
    return selectors.consultation_get(principal=request.principal, pk=consultation_id)


@router.post("/consultations/{int:consultation_id}/decline", response={200: ConsultationOut, **WRITE_ERRORS})
def consultation_decline(request, consultation_id: int, payload: ConsultationAnswerIn):
    consultation = selectors.consultation_get(principal=request.principal, pk=consultation_id)
    services.consultation_respond(principal=request.principal, consultation=consultation, accept=False,
                                  response=payload.response)
    return selectors.consultation_get(principal=request.principal, pk=consultation_id)


@router.post("/consultations/{int:consultation_id}/convert", response={201: KamTaskOut, **WRITE_ERRORS},
             summary="Turn an accepted request into a KAM task (manufacturer)")
def consultation_convert(request, consultation_id: int, payload: ConsultationConvertIn):
    principal = request.principal
    services.refuse_distributor_write(principal=principal, request=request, action="competence.consultation.convert",
                                      detail=f"ConsultationRequest#{consultation_id}")
    consultation = selectors.consultation_get(principal=principal, pk=consultation_id)
    task = services.consultation_convert(
        principal=principal, request=request, consultation=consultation, duty=payload.duty,
        kam=api_refs.active_user(payload.kam_id, field="kam_id"), priority=payload.priority, due_on=payload.due_on, title=payload.title,
    )
    return Status(201, selectors.kam_task_get(principal=principal, pk=task.pk))


# ---- coverage gaps ------------------------------------------------------------------------------------------

def _gap_out(gap):
    client = gap["client"]
    return {
        "client": client, "distributor": gap["distributor"],
        "territory": str(client.territory) if client.territory_id else None,
        "is_key_account": client.is_key_account, "employees": client.employees,
        "revenue_band": client.revenue_band, "suggested_mentor": gap["suggested_mentor"],
    }


@router.get("/coverage-gaps", response={200: list[CoverageGapOut], 403: ErrorOut},
            summary="Key and large clients of small distributors with no mentor and no KAM")
def coverage_gap_list(request, territory_id: int | None = None):
    require(request.principal, "competence.gap.view")
    return Status(200, [_gap_out(g) for g in selectors.coverage_gap_list(principal=request.principal,
                                                                 territory_id=territory_id)])


@router.post("/coverage-gaps/{int:client_id}/assign", response={201: MentorshipOut, **WRITE_ERRORS},
             summary="Put the suggested (or the given) mentor on a coverage gap")
def coverage_gap_assign(request, client_id: int, payload: GapAssignIn):
    principal = request.principal
    client = selectors.gap_client_get(principal=principal, pk=client_id)
    mentorship = services.coverage_gap_assign(principal=principal, client=client,
                                              mentor=api_refs.active_user(payload.mentor_id, field="mentor_id"))
    return Status(201, selectors.mentorship_get(principal=principal, pk=mentorship.pk))
