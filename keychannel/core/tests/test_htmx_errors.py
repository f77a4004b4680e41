"""One answer for refused HTMX actions: a short text in the user's language (403/409/422), never an HTML page."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import RequestFactory

from keychannel.core.choices import Role
from keychannel.core.errors import ConflictError
from keychannel.core.models import Membership
from keychannel.core.partials import HtmxErrorMiddleware, error_text
from keychannel.core.tests.factories import make_user
from keychannel.deals.tests.factories import ClientFactory, OpportunityFactory

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


def _colleagues_deal(world):
    colleague = make_user(Role.DIST_SALES, world.own.organization, username="w-da-sales-2")
    client = ClientFactory(distributor=world.own, territory=world.territory)
    return OpportunityFactory(client=client, owner=colleague)


def test_a_refused_htmx_move_answers_a_sentence_and_the_page_keeps_its_403_page(world, client):
    deal = _colleagues_deal(world)
    client.force_login(world.users["dist_sales"])
    response = client.post(f"/deals/{deal.pk}/move/", {"stage": "consultation"}, **HX)
    assert response.status_code == 403
    assert response["Content-Type"].startswith("text/plain") and response["X-KC-Error"] == "1"
    assert response.content.decode() == "Your role may not do this."
    page = client.post(f"/deals/{deal.pk}/move/", {"stage": "consultation"})
    assert page.status_code == 403 and page["Content-Type"].startswith("text/html") and 'id="forbidden"' in page.content.decode()


def test_the_refusal_follows_the_users_language(world, client):
    deal = _colleagues_deal(world)
    user = world.users["dist_sales"]
    Membership.objects.filter(user=user).update(language="ro")
    client.force_login(user)
    response = client.post(f"/deals/{deal.pk}/move/", {"stage": "consultation"}, **HX)
    assert response.status_code == 403 and response["Content-Language"] == "ro"


def test_a_refused_rule_answers_422_with_the_services_message(world, client):
    client_row = ClientFactory(distributor=world.own, territory=world.territory)
    deal = OpportunityFactory(client=client_row, owner=world.users["dist_sales"])
    client.force_login(world.users["dist_sales"])
    response = client.post(f"/deals/{deal.pk}/move/", {"stage": "won"}, **HX)
    assert response.status_code == 422 and response["X-KC-Error"] == "1"
    assert "<" not in response.content.decode() and response.content.decode().strip()


@pytest.mark.parametrize("exc, status, text", [
    (PermissionDenied("deals.opportunity.change"), 403, "Your role may not do this."),
    (PermissionDenied("Only the manufacturer's people may see this."), 403, "Only the manufacturer's people may see this."),
    (ConflictError("Someone else changed this deal: reload it."), 409, "Someone else changed this deal: reload it."),
    (ValidationError({"stage": ["Choose a stage."]}), 422, "Choose a stage."),
])
def test_middleware_turns_refusals_of_htmx_requests_into_text(exc, status, text):
    middleware = HtmxErrorMiddleware(lambda request: None)
    response = middleware.process_exception(RequestFactory().post("/x/", **HX), exc)
    assert (response.status_code, response.content.decode()) == (status, text)
    assert middleware.process_exception(RequestFactory().post("/x/"), exc) is None  # pages: unchanged
    assert middleware.process_exception(RequestFactory().post("/api/v1/x", **HX), exc) is None  # API: its own format
    assert error_text(exc) == text
