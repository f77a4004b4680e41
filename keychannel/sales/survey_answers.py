"""Survey answers recorded by staff (issue 16): a client contact answers by phone or at a meeting, and whoever runs
the campaign records it, with who recorded it and how. The public link stays; both store through
``survey_services.answer_save``, so the rules are the same: one answer per invitation, none after the links expire."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from keychannel.core.errors import ConflictError
from keychannel.core.policies import require

from .choices import AnswerChannel
from .models import SurveyInvitation, SurveyResponse
from .survey_services import answer_save

STAFF_CHANNELS = (AnswerChannel.PHONE, AnswerChannel.MEETING)


@transaction.atomic
def survey_answer_record(*, principal, invitation: SurveyInvitation, channel: str, why_chose: str, will_continue: str,
                         recommend: int, expected_volume=None, comment: str = "") -> SurveyResponse:
    require(principal, "sales.survey.change", invitation.survey)
    if channel not in STAFF_CHANNELS:
        raise ValidationError({"channel": _("Say how the answer was given: by phone or at a meeting.")})
    invitation = SurveyInvitation.objects.select_for_update().select_related("survey").get(pk=invitation.pk)
    if invitation.is_expired:
        raise ValidationError({"invitation": _("This survey has closed.")})
    if invitation.responded_at is not None or SurveyResponse.objects.filter(invitation=invitation).exists():
        raise ConflictError(_("This contact has already answered."))
    return answer_save(invitation, why_chose=why_chose, will_continue=will_continue, recommend=recommend,
                       expected_volume=expected_volume, comment=comment, channel=channel, recorded_by=principal.user)
