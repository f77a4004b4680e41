"""Access matrix of the deals app. "own" objects belong to distributor A (the own deal is owned by its
salesperson), "other" ones to distributor B."""


from django.utils import timezone

from tests.access import Route, anon_api, anon_page, expect

OWN_ONLY = {"own": 200, "other": 404}
REACH = ["channel_manager", "mentor", "embedded_kam", "dist_head", "dist_sales"]


def _client(w, side):
    from keychannel.deals.tests.factories import ClientFactory

    return w.once(f"deals-client-{side}", lambda: ClientFactory(distributor=w.distributor(side), territory=w.territory))


def _deal(w, side):
    from keychannel.deals.tests.factories import OpportunityFactory

    owner = w.users["dist_sales"] if side == "own" else w.other_users["dist_sales"]
    return w.once(f"deals-deal-{side}", lambda: OpportunityFactory(client=_client(w, side), owner=owner))


def _activity(w, side):
    from keychannel.deals.models import Activity

    return w.once(f"deals-activity-{side}", lambda: Activity.objects.create(
        opportunity=_deal(w, side), subject="Kick-off", occurred_on=timezone.localdate()))


def _test(w, side):
    from keychannel.deals.models import ProductTest

    return w.once(f"deals-test-{side}", lambda: ProductTest.objects.create(
        opportunity=_deal(w, side), title="Pilot", starts_on=timezone.localdate(), success_criteria="Runs a week"))


def _signer(w, side):
    from keychannel.deals.tests.factories import StakeholderFactory

    return w.once(f"deals-signer-{side}", lambda: StakeholderFactory(client=_client(w, side)))


def _signed_test(w, side):
    """A pending test naming one client stakeholder to sign it off (for the sign-off routes)."""
    from keychannel.deals.models import ProductTest

    def make():
        test = ProductTest.objects.create(opportunity=_deal(w, side), title="Pilot to sign",
                                          starts_on=timezone.localdate(), success_criteria="Runs a week")
        test.signoff_stakeholders.set([_signer(w, side)])
        return test

    return w.once(f"deals-signed-test-{side}", make)


def signoff_write(ok, anon):
    """The manufacturer's sign-off: manufacturer roles working the deal (never the distributor's people, and the
    executive reads only). The own deal is owned by the distributor's salesperson, so no signer here owns it."""
    return expect({"own": ok, "other": ok}, executive=403,
                  **{r: {"own": ok, "other": 404} for r in ("channel_manager", "mentor", "embedded_kam")},
                  **{r: {"own": 403, "other": 404} for r in ("dist_head", "dist_sales")}, **anon)


def _contract(w, side):
    from keychannel.deals.tests.factories import ContractFactory

    return w.once(f"deals-contract-{side}", lambda: ContractFactory(client=_client(w, side)))


def _pk(make):
    return lambda w, side: {"pk": make(w, side).pk}


def _api(name, make):
    return lambda w, side: {name: make(w, side).pk}


def read(anon):
    return expect(200, **{r: OWN_ONLY for r in REACH}, **anon)


def write(ok, anon):
    """Program office everywhere; the executive reads only; the others within their reach (the own deal is
    owned by the own salesperson, so dist_sales may write it)."""
    return expect({"own": ok, "other": ok}, executive=403, **{r: {"own": ok, "other": 404} for r in REACH}, **anon)


def contract_write(ok, anon):
    return expect(403, admin=ok, program_manager=ok, channel_manager={"own": ok, "other": 404},
                  dist_head={"own": ok, "other": 404},
                  **{r: {"own": 403, "other": 404} for r in ("mentor", "embedded_kam", "dist_sales")}, **anon)


TODAY = lambda: timezone.localdate().isoformat()  # noqa: E731
CREATORS = expect(200, executive=403, **anon_page())

ROUTES = [
    Route(name="deals:opportunity_list", expect=expect(200, **anon_page())),
    Route(name="deals:pipeline", expect=expect(200, **anon_page())),
    # More cards of a kanban column: everyone with the kanban, each seeing the cards they may see.
    Route(name="deals:pipeline_column", params=lambda w, s: {"stage": "discussion"}, expect=expect(200, **anon_page())),
    Route(name="deals:opportunity_create", expect=CREATORS),
    Route(name="deals:opportunity_detail", params=_pk(_deal), expect=read(anon_page())),
    Route(name="deals:opportunity_update", params=_pk(_deal), expect=write(200, anon_page())),
    Route(name="deals:opportunity_move", method="POST", params=_pk(_deal), body=lambda w, s: {"stage": "consultation"},
          expect=write(302, anon_page())),
    Route(name="deals:activity_create", params=_pk(_deal), expect=write(200, anon_page())),
    Route(name="deals:producttest_create", params=_pk(_deal), expect=write(200, anon_page())),
    Route(name="deals:producttest_update", params=_pk(_test), expect=write(200, anon_page())),
    Route(name="deals:producttest_approve", method="POST", params=_pk(_signed_test),
          body=lambda w, s: {f"t{_signed_test(w, s).pk}-stakeholder": _signer(w, s).pk},
          expect=write(302, anon_page())),
    Route(name="deals:producttest_signoff", method="POST", params=_pk(_signed_test), body=lambda w, s: {"note": "OK"},
          expect=signoff_write(302, anon_page())),
    Route(name="deals:contract_list", expect=expect(200, **anon_page())),
    Route(name="deals:contract_detail", params=_pk(_contract), expect=read(anon_page())),
    Route(name="deals:contract_update", params=_pk(_contract), expect=contract_write(200, anon_page())),
    Route(name="deals:forecast", expect=expect(200, **anon_page())),
    Route(name="deals:forecast_export", expect=expect(200, **anon_page())),
    # Everyone reads the stage probabilities; the program office changes them (POST: 403 for the others).
    Route(name="deals:stage_probabilities", expect=expect(200, **anon_page())),

    Route(api="GET /api/v1/opportunities", expect=expect(200, **anon_api())),
    Route(api="POST /api/v1/opportunities", body=lambda w, s: {"title": "New deal", "client_id": _client(w, "own").pk},
          expect=expect(201, executive=403, **anon_api())),
    # Sync (docs/api.md): looked up in the client's book only, so both external ids are new.
    Route(api="PUT /api/v1/opportunities/by-external-id/{external_id}", params=lambda w, s: {"external_id": f"DX-{s}"},
          body=lambda w, s: {"title": "Synced deal", "client_id": _client(w, "own").pk},
          expect=expect(201, executive=403, **anon_api())),
    Route(api="POST /api/v1/opportunities/bulk",
          body=lambda w, s: {"items": [{"title": "Bulk deal", "client_id": _client(w, "own").pk}]},
          expect=expect(200, executive=403, **anon_api())),
    Route(api="GET /api/v1/opportunities/{opportunity_id}", params=_api("opportunity_id", _deal),
          expect=read(anon_api())),
    Route(api="PATCH /api/v1/opportunities/{opportunity_id}", params=_api("opportunity_id", _deal),
          body=lambda w, s: {"next_step": "Send the offer"}, expect=write(200, anon_api())),
    Route(api="POST /api/v1/opportunities/{opportunity_id}/move", params=_api("opportunity_id", _deal),
          body=lambda w, s: {"stage": "consultation"}, expect=write(200, anon_api())),
    Route(api="GET /api/v1/opportunities/{opportunity_id}/activities", params=_api("opportunity_id", _deal),
          expect=read(anon_api())),
    Route(api="POST /api/v1/opportunities/{opportunity_id}/activities", params=_api("opportunity_id", _deal),
          body=lambda w, s: {"kind": "call", "subject": "Follow-up", "occurred_on": TODAY()},
          expect=write(201, anon_api())),
    Route(api="GET /api/v1/activities/{activity_id}", params=_api("activity_id", _activity), expect=read(anon_api())),
    Route(api="PATCH /api/v1/activities/{activity_id}", params=_api("activity_id", _activity),
          body=lambda w, s: {"outcome": "Agreed on a pilot"}, expect=write(200, anon_api())),
    Route(api="GET /api/v1/opportunities/{opportunity_id}/product-tests", params=_api("opportunity_id", _deal),
          expect=read(anon_api())),
    Route(api="POST /api/v1/opportunities/{opportunity_id}/product-tests", params=_api("opportunity_id", _deal),
          body=lambda w, s: {"title": "Pilot", "starts_on": TODAY(), "success_criteria": "Runs a week"},
          expect=write(201, anon_api())),
    Route(api="PATCH /api/v1/product-tests/{product_test_id}", params=_api("product_test_id", _test),
          body=lambda w, s: {"result": "failed"}, expect=write(200, anon_api())),
    Route(api="POST /api/v1/product-tests/{product_test_id}/approvals", params=_api("product_test_id", _signed_test),
          body=lambda w, s: {"stakeholder_id": _signer(w, s).pk}, expect=write(201, anon_api())),
    Route(api="POST /api/v1/product-tests/{product_test_id}/signoff", params=_api("product_test_id", _signed_test),
          body=lambda w, s: {"note": "Checked the measurements"}, expect=signoff_write(201, anon_api())),
    Route(api="GET /api/v1/contracts", expect=expect(200, **anon_api())),
    Route(api="GET /api/v1/contracts/{contract_id}", params=_api("contract_id", _contract), expect=read(anon_api())),
    Route(api="PATCH /api/v1/contracts/{contract_id}", params=_api("contract_id", _contract),
          body=lambda w, s: {"notes": "Renewal talks started"}, expect=contract_write(200, anon_api())),
    Route(api="GET /api/v1/forecast", expect=expect(200, **anon_api())),
    Route(api="GET /api/v1/stage-probabilities", expect=expect(200, **anon_api())),
    Route(api="PUT /api/v1/stage-probabilities/{stage}", params=lambda w, side: {"stage": "proposal"},
          body=lambda w, side: {"probability": 55}, expect=expect(403, admin=200, program_manager=200, **anon_api())),
]

