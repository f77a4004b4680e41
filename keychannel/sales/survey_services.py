"""Writes of the client surveys: a survey, its invitations (tokens kept only as hashes), and the answers a client
gives on the public survey page."""

from __future__ import annotations

import hashlib
import secrets
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from keychannel.clients.models import CorporateClient
from keychannel.core.errors import ConflictError
from keychannel.core.policies import require
from keychannel.core.tasks import mail_send

from .models import (
    ClientSegment,
    Survey,
    SurveyInvitation,
    SurveyResponse,
)
from .services import recompute_pairs

# ---------------------------------------------------------------------------------------- surveys

SURVEY_TOKEN_BYTES = 24


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def survey_create(*, principal, name: str, closes_on: date, distributor=None, intro: str = "") -> Survey:
    require(principal, "sales.survey.create", distributor)
    survey = Survey(name=(name or "").strip(), closes_on=closes_on, distributor=distributor, intro=intro or "",
                    created_by=principal.user)
    survey.full_clean()
    if closes_on < timezone.localdate():
        raise ValidationError({"closes_on": _("The closing date is in the past.")})
    if closes_on > timezone.localdate() + timedelta(days=730):
        raise ValidationError({"closes_on": _("A survey runs for two years at most.")})
    survey.save()
    return survey


@transaction.atomic
def survey_invite(*, principal, survey: Survey, client: CorporateClient, contact_name: str, contact_email: str = "",
                  request=None) -> tuple[SurveyInvitation, str]:
    """One tokenised link for one client contact. Returns the invitation and the raw link token (shown once)."""
    require(principal, "sales.survey.change", survey)
    if survey.distributor_id is not None and client.distributor_id != survey.distributor_id:
        raise ValidationError({"client": _("This campaign is for another distributor's clients.")})
    if not (contact_name or "").strip():
        raise ValidationError({"contact_name": _("Enter the contact's name.")})
    raw = secrets.token_urlsafe(SURVEY_TOKEN_BYTES)
    closes = timezone.make_aware(datetime.combine(survey.closes_on + timedelta(days=1), datetime.min.time()))
    invitation = SurveyInvitation(
        survey=survey, client=client, distributor_id=client.distributor_id, contact_name=contact_name.strip()[:150],
        contact_email=(contact_email or "").strip(), token_hash=hash_token(raw), expires_at=closes,
    )
    invitation.full_clean()
    invitation.save()
    if invitation.contact_email:
        path = reverse("sales:survey_public", args=[raw])
        link = request.build_absolute_uri(path) if request is not None else path
        subject = _("%(survey)s: your opinion, two minutes") % {"survey": survey.name}
        body = _("Dear %(name)s,\n\n%(intro)s\n\nAnswer here (the link works until %(date)s): %(link)s\n") % {
            "name": invitation.contact_name, "intro": survey.intro, "date": survey.closes_on, "link": link}
        # Sent by a worker once the invitation is committed (core.tasks.mail_send): no page waits on the mail server.
        recipients = [invitation.contact_email]
        transaction.on_commit(lambda: mail_send.enqueue(str(subject), str(body), recipients))
    return invitation, raw


def invitation_for_token(raw: str) -> SurveyInvitation | None:
    return SurveyInvitation.objects.select_related("survey", "client").filter(token_hash=hash_token(raw or "")).first()


@transaction.atomic
def survey_respond(*, token: str, why_chose: str, will_continue: str, recommend: int, expected_volume=None,
                   comment: str = "") -> SurveyResponse:
    """The public answer (no login): one per token, before the link expires; segments pick up the NPS at once."""
    invitation = SurveyInvitation.objects.select_for_update().filter(token_hash=hash_token(token or "")).first()
    if invitation is None:
        raise ValidationError({"token": _("This link is not valid.")})
    if invitation.is_expired:
        raise ValidationError({"token": _("This survey has closed.")})
    if invitation.responded_at is not None or SurveyResponse.objects.filter(invitation=invitation).exists():
        raise ConflictError(_("This link has already been used to answer."))
    return answer_save(invitation, why_chose=why_chose, will_continue=will_continue, recommend=recommend,
                       expected_volume=expected_volume, comment=comment)


def answer_save(invitation, *, why_chose, will_continue, recommend, expected_volume=None, comment="",
                channel="web", recorded_by=None) -> SurveyResponse:
    """Store one answer of a locked, open, unanswered invitation (the public link and staff recording share it)."""
    response = SurveyResponse(
        invitation=invitation, survey_id=invitation.survey_id, client_id=invitation.client_id,
        distributor_id=invitation.distributor_id, why_chose=why_chose, will_continue=will_continue,
        recommend=recommend, expected_volume=expected_volume, comment=(comment or "")[:2000],
        channel=channel, recorded_by=recorded_by,
    )
    response.full_clean(exclude=["invitation", "recorded_by"])
    response.save()
    invitation.responded_at = timezone.now()
    invitation.save(update_fields=["responded_at", "updated_at"])
    if invitation.distributor_id:
        years = list(ClientSegment.objects.filter(client_id=invitation.client_id, distributor_id=invitation.distributor_id)
                     .values_list("year", flat=True).order_by("-year")[:1])
        if years:
            recompute_pairs({invitation.distributor_id: {years[0]}})
    return response
