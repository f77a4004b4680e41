"""Issue 16: staff record a survey answer given by phone or at a meeting, with who recorded it; the link stays."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from keychannel.clients.models import CorporateClient
from keychannel.sales import survey_services
from keychannel.sales.models import Survey, SurveyInvitation, SurveyResponse

pytestmark = pytest.mark.django_db
JSON = "application/json"
ANSWER = {"channel": "phone", "why_chose": "service", "will_continue": "yes", "recommend": 10, "comment": "Called"}


def _invitation(world, raw="tok-staff-0123456789abcdef"):
    survey = Survey.objects.create(name="Q4", distributor=world.own, closes_on=date.today() + timedelta(days=30))
    client = CorporateClient.objects.create(legal_name="Client SRL", distributor=world.own)
    return SurveyInvitation.objects.create(survey=survey, client=client, distributor=world.own, contact_name="Ana",
                                           token_hash=survey_services.hash_token(raw),
                                           expires_at=timezone.now() + timedelta(days=30))


def test_a_head_records_an_answer_given_by_phone_and_the_link_then_says_answered(world, api_as, client):
    invitation = _invitation(world)
    head = api_as(world.users["dist_head"])
    url = f"/api/v1/survey-invitations/{invitation.pk}/response"
    assert head.post(url, {**ANSWER, "channel": "web"}, content_type=JSON).status_code == 422
    assert api_as(world.users["dist_sales"]).post(url, ANSWER, content_type=JSON).status_code == 403
    made = head.post(url, ANSWER, content_type=JSON)
    assert made.status_code == 201
    assert (made.json()["channel"], made.json()["recorded_by_id"]) == ("phone", world.users["dist_head"].pk)
    assert head.post(url, ANSWER, content_type=JSON).status_code == 409
    assert SurveyResponse.objects.filter(invitation=invitation).count() == 1
    page = client.get(reverse("sales:survey_public", args=["tok-staff-0123456789abcdef"]))
    assert page.context["state"] == "answered"


def test_the_survey_page_records_an_answer_told_at_a_meeting(world, login):
    invitation = _invitation(world, raw="tok-meeting-0123456789abcdef")
    client = login(world.users["channel_manager"])
    assert client.get(reverse("sales:survey_answer_record", args=[invitation.pk])).status_code == 200
    response = client.post(reverse("sales:survey_answer_record", args=[invitation.pk]),
                           {**ANSWER, "channel": "meeting"})
    assert response.status_code == 302
    answer = SurveyResponse.objects.get(invitation=invitation)
    assert (answer.channel, answer.recorded_by) == ("meeting", world.users["channel_manager"])
