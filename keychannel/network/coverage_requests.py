"""Coverage change requests (issue 16): a distributor head asks, its channel manager decides; an approval changes
the coverage through the same checks as the program office's coverage form (exclusive rights, the agreement).

Asking: ``network.coverage.request`` (the head of that distributor). Deciding: ``network.coverage.decide`` (the
distributor's channel manager, admin, program manager). One decision per request (row lock); a refused change
leaves the request waiting and the coverage as it was.
"""

import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from keychannel.core.choices import Role
from keychannel.core.errors import ConflictError
from keychannel.core.policies import require
from keychannel.core.services import notification_send

from .models import Coverage
from .request_models import CoverageRequest, CoverageRequestKind, RequestStatus
from .services import _check_coverage


def _deciders(distributor):
    if distributor.channel_manager_id and distributor.channel_manager.is_active:
        return [distributor.channel_manager]
    return list(get_user_model().objects.filter(membership__role=Role.PROGRAM_MANAGER, is_active=True))


@transaction.atomic
def coverage_request_create(*, principal, distributor, kind: str, reason: str, territory=None, product_line=None,
                            valid_from=None, valid_to=None, coverage=None) -> CoverageRequest:
    require(principal, "network.coverage.request", distributor)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why: the channel manager decides on it.")})
    if kind == CoverageRequestKind.ADD:
        if territory is None or product_line is None:
            raise ValidationError({"territory": _("Choose the territory and the product line.")})
        valid_from = valid_from or timezone.localdate()
        if valid_to is not None and valid_to < valid_from:
            raise ValidationError({"valid_to": _("The end comes before the start.")})
        if not distributor.product_lines.filter(pk=product_line.pk).exists():
            raise ValidationError({"product_line": _("This product line is not in the distributor's agreement.")})
        coverage = None
    elif kind == CoverageRequestKind.END:
        if coverage is None or coverage.distributor_id != distributor.pk:
            raise ValidationError({"coverage": _("Choose one of your coverages.")})
        valid_to = valid_to or timezone.localdate()
        if valid_to < coverage.valid_from:
            raise ValidationError({"valid_to": _("A coverage cannot end before it starts.")})
        territory, product_line, valid_from = coverage.territory, coverage.product_line, None
    else:
        raise ValidationError({"kind": _("Choose what to ask for.")})
    request = CoverageRequest.objects.create(
        distributor=distributor, kind=kind, territory=territory, product_line=product_line, valid_from=valid_from,
        valid_to=valid_to, coverage=coverage, reason=reason, requested_by=principal.user)
    for user in _deciders(distributor):
        notification_send(recipient=user, event="coverage.changed", sender=principal.user,
                          title=lambda: _("Coverage request to decide: %(code)s") % {"code": distributor.code},
                          body=lambda: f"{request.get_kind_display()}: {territory} · {product_line}\n{reason}",
                          url=request.get_absolute_url())
    return request


def _apply(request: CoverageRequest) -> Coverage:
    if request.kind == CoverageRequestKind.ADD:
        coverage = Coverage(distributor=request.distributor, territory=request.territory,
                            product_line=request.product_line, valid_from=request.valid_from,
                            valid_to=request.valid_to, note=_("Requested by the distributor (request %(n)s)")
                            % {"n": request.pk})
    else:
        if request.coverage is None:
            raise ValidationError({"coverage": _("The coverage to end no longer exists.")})
        coverage = Coverage.objects.select_for_update().get(pk=request.coverage_id)
        coverage.valid_to = request.valid_to
    _check_coverage(coverage)
    coverage.save()
    return coverage


@transaction.atomic
def coverage_request_decide(*, principal, request: CoverageRequest, approve: bool, note: str = "") -> CoverageRequest:
    request = CoverageRequest.objects.select_for_update().select_related("distributor").get(pk=request.pk)
    require(principal, "network.coverage.decide", request.distributor)
    if request.status != RequestStatus.PENDING:
        raise ConflictError(_("This request has been decided already."))
    note = (note or "").strip()
    if not approve and not note:
        raise ValidationError({"note": _("Say why the request is rejected.")})
    if approve:
        request.coverage = _apply(request)
    request.status = RequestStatus.APPROVED if approve else RequestStatus.REJECTED
    request.decided_by, request.decided_at, request.decision_note = principal.user, timezone.now(), note
    request.save()
    if request.requested_by is not None:
        notification_send(recipient=request.requested_by, event="coverage.changed", sender=principal.user,
                          title=lambda: _("Coverage request %(status)s") % {"status": request.get_status_display().lower()},
                          body=note, url=request.get_absolute_url())
    return request


def coverage_request_list(*, principal, status: str = ""):
    qs = CoverageRequest.objects.visible_to(principal).select_related(
        "distributor", "territory", "product_line", "coverage", "requested_by", "decided_by")
    if principal.has_role(Role.DIST_SALES):
        return qs.none()
    if status:
        qs = qs.filter(status=status)
    return qs


def parse_date(value, field):
    if value in (None, ""):
        return None
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        raise ValidationError({field: _("Enter a date as YYYY-MM-DD.")}) from None


# --- the head keeps its company's contact details (partner self-service) --------------------------------------------

PROFILE_FIELDS = ("city", "address", "phone", "email", "website", "about", "employees")


@transaction.atomic
def distributor_profile_update(*, principal, distributor, **fields):
    """Contact details the head keeps itself; its channel manager is told what changed. Legal name, tax id, agreement
    and coverage stay the manufacturer's (coverage: ask with a coverage request)."""
    from .models import Distributor

    require(principal, "network.distributor.profile", distributor)
    unknown = set(fields) - set(PROFILE_FIELDS)
    if unknown:
        raise ValidationError({name: _("This field cannot be changed here.") for name in sorted(unknown)})
    current = Distributor.objects.select_for_update().get(pk=distributor.pk)
    changed = []
    for name, value in fields.items():
        value = value.strip() if isinstance(value, str) else value
        if getattr(current, name) != value:
            setattr(current, name, value)
            changed.append(name)
    if not changed:
        return current
    current.full_clean()
    current.save(update_fields=[*fields, "updated_at"])
    for user in _deciders(current):
        notification_send(recipient=user, event="coverage.changed", sender=principal.user,
                          title=lambda: _("%(code)s updated its contact details") % {"code": current.code},
                          body=lambda: ", ".join(str(Distributor._meta.get_field(name).verbose_name) for name in changed),
                          url=current.get_absolute_url())
    return current
