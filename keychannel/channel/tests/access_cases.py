import datetime

from django.utils import timezone

from tests.access import DISTRIBUTOR, Route, anon_api, anon_page, expect

from ..choices import RegistrationStatus

VIS = {"own": 200, "other": 404}
NO = {"own": 403, "other": 404}  # sees it, may not write it; the other side stays hidden


def _sales(w, side):
    return w.users["dist_sales"] if side == "own" else w.other_users["dist_sales"]


def _client(w, side):
    from .factories import make_client

    return w.once(f"client-{side}", lambda: make_client(distributor=w.distributor(side), territory=w.territory))


def _registration(w, side):
    from .factories import make_registration

    return w.once(f"registration-{side}", lambda: make_registration(
        distributor=w.distributor(side), client=_client(w, side), user=_sales(w, side), product_lines=[w.product_line]))


def _approved(w, side):
    from .factories import make_client, make_registration

    return w.once(f"approved-{side}", lambda: make_registration(
        distributor=w.distributor(side), client=make_client(distributor=w.distributor(side), territory=w.territory),
        user=_sales(w, side), status=RegistrationStatus.APPROVED,
        protected_until=timezone.localdate() + datetime.timedelta(days=30)))


def _conflict(w, side):
    from .factories import make_conflict

    return w.once(f"conflict-{side}", lambda: make_conflict(registration=_registration(w, side)))


def _lead(w, side):
    def make():
        from ..models import Lead, LeadOffer

        lead = Lead.objects.create(company_name=f"Lead {side} Industries SA", territory=w.territory, status="offered")
        lead.product_lines.set([w.product_line])
        LeadOffer.objects.create(lead=lead, distributor=w.distributor(side),
                                 respond_by=timezone.localdate() + datetime.timedelta(days=5))
        return lead

    return w.once(f"lead-{side}", make)


def _unassigned(w, side):
    """A lead nobody took: own = passed by the channel manager (who follows it), other = passed by the admin."""
    def make():
        from ..models import Lead

        creator = w.users["channel_manager"] if side == "own" else w.users["admin"]
        lead = Lead.objects.create(company_name=f"Orphan {side} SA", territory=w.territory, status="unassigned",
                                   created_by=creator)
        lead.product_lines.set([w.product_line])
        return lead

    return w.once(f"unassigned-{side}", make)


def _assign_body(w, s):
    return {"distributor": w.own.pk, "assignee": w.users["dist_sales"].pk,
            "distributor_id": w.own.pk, "assignee_id": w.users["dist_sales"].pk}


# The program office and the channel manager hand out a lead nobody took; the others see it (403) or not (404).
ASSIGN = {"executive": 403, "channel_manager": {"own": "ok", "other": 404}, "mentor": 404, "embedded_kam": 404,
          **{r: 404 for r in DISTRIBUTOR}}


def _assign(ok):
    table = {k: ({s: (ok if v == "ok" else v) for s, v in val.items()} if isinstance(val, dict) else val)
             for k, val in ASSIGN.items()}
    return table


def reg_page(w, s):
    return {"pk": _registration(w, s).pk}


def reg_api(w, s):
    return {"registration_id": _registration(w, s).pk}


def conflict_page(w, s):
    return {"pk": _conflict(w, s).pk}


def conflict_api(w, s):
    return {"conflict_id": _conflict(w, s).pk}


def lead_page(w, s):
    return {"pk": _lead(w, s).pk}


def lead_api(w, s):
    return {"lead_id": _lead(w, s).pk}


def _new_registration_body(w, s):
    return {
        "distributor_id": w.own.pk, "client_id": _client(w, "own").pk, "title": "Compressor fleet",
        "product_line_ids": [w.product_line.pk], "estimated_value": "100000",
        "expected_close_on": (timezone.localdate() + datetime.timedelta(days=30)).isoformat(),
    }


# Who decides: program office everywhere, the channel manager for the distributors they manage (own).
DECIDE_PAGE = expect(NO, admin=302, program_manager=302, executive=403,
                     channel_manager={"own": 302, "other": 404}, **anon_page())
DECIDE_API = expect(NO, admin=200, program_manager=200, executive=403,
                    channel_manager={"own": 200, "other": 404}, **anon_api())
READ_SCOPED_PAGE = expect(VIS, admin=200, program_manager=200, executive=200, **anon_page())
READ_SCOPED_API = expect(VIS, admin=200, program_manager=200, executive=200, **anon_api())
# The lead's distributor answers (its people, or its embedded KAM); the manufacturer who sees it may not.
RESPOND_PAGE = expect(NO, admin=403, program_manager=403, executive=403, embedded_kam={"own": 302, "other": 404},
                      **{r: {"own": 302, "other": 404} for r in DISTRIBUTOR}, **anon_page())
RESPOND_API = expect(NO, admin=403, program_manager=403, executive=403, embedded_kam={"own": 200, "other": 404},
                     **{r: {"own": 200, "other": 404} for r in DISTRIBUTOR}, **anon_api())

ROUTES = [
    Route(name="channel:registration_list", expect=expect(200, **anon_page())),
    Route(name="channel:registration_create", expect=expect(403, embedded_kam=200, dist_head=200, dist_sales=200,
                                                            **anon_page())),
    Route(name="channel:registration_detail", params=reg_page, expect=READ_SCOPED_PAGE),
    Route(name="channel:registration_decide", method="POST", params=reg_page, body=lambda w, s: {"action": "approve"},
          expect=DECIDE_PAGE),
    Route(name="channel:conflict_list", expect=expect(200, **anon_page())),
    Route(name="channel:precedent_list", expect=expect(200, **anon_page())),
    Route(name="channel:conflict_detail", params=conflict_page, expect=READ_SCOPED_PAGE),
    Route(name="channel:conflict_comment", method="POST", params=conflict_page, body=lambda w, s: {"body": "Our view."},
          expect=expect(NO, admin=302, program_manager=302, executive=403, channel_manager={"own": 302, "other": 404},
                        **{r: {"own": 302, "other": 404} for r in DISTRIBUTOR}, **anon_page())),
    Route(name="channel:conflict_review", method="POST", params=conflict_page, expect=DECIDE_PAGE),
    Route(name="channel:conflict_resolve", method="POST", params=conflict_page,
          body=lambda w, s: {"resolution": "rejected", "note": "Outside the rules."}, expect=DECIDE_PAGE),
    Route(name="channel:figures", expect=expect(403, admin=200, program_manager=200, executive=200, channel_manager=200,
                                                **anon_page())),
    Route(name="channel:policy", expect=expect(200, **anon_page())),
    Route(api="GET /api/v1/channel-policy", expect=expect(200, **anon_api())),
    Route(api="PATCH /api/v1/channel-policy", body=lambda w, s: {"registration_value_threshold": "400000"},
          expect=expect(403, admin=200, program_manager=200, **anon_api())),
    Route(name="channel:lead_list", expect=expect(200, **anon_page())),
    Route(name="channel:lead_create", expect=expect(403, admin=200, program_manager=200, channel_manager=200,
                                                    **anon_page())),
    Route(name="channel:lead_detail", params=lead_page, expect=READ_SCOPED_PAGE),
    Route(name="channel:lead_respond", method="POST", params=lead_page,
          body=lambda w, s: {"action": "decline", "reason": "No capacity this quarter."}, expect=RESPOND_PAGE),
    # --- API ---
    Route(api="GET /api/v1/registrations", expect=expect(200, **anon_api())),
    Route(api="POST /api/v1/registrations", body=_new_registration_body,
          expect=expect(403, embedded_kam=201, dist_head=201, dist_sales=201, **anon_api())),
    Route(api="GET /api/v1/registrations/{registration_id}", params=reg_api, expect=READ_SCOPED_API),
    Route(api="POST /api/v1/registrations/{registration_id}/approve", params=reg_api, body=lambda w, s: {},
          expect=DECIDE_API),
    Route(api="POST /api/v1/registrations/{registration_id}/reject", params=reg_api,
          body=lambda w, s: {"reason": "No budget."}, expect=DECIDE_API),
    Route(api="POST /api/v1/registrations/{registration_id}/extend",
          params=lambda w, s: {"registration_id": _approved(w, s).pk}, body=lambda w, s: {"days": 10}, expect=DECIDE_API),
    Route(api="GET /api/v1/conflicts", expect=expect(200, **anon_api())),
    Route(api="GET /api/v1/conflicts/precedents", expect=expect(200, **anon_api())),
    Route(api="POST /api/v1/conflicts",
          body=lambda w, s: {"kind": "pricing", "client_id": _client(w, "own").pk, "reason": "Price below list.",
                             "distributor_ids": [w.own.pk]},
          expect=expect(403, admin=201, program_manager=201, channel_manager=201, **anon_api())),
    Route(api="GET /api/v1/conflicts/{conflict_id}", params=conflict_api, expect=READ_SCOPED_API),
    Route(api="POST /api/v1/conflicts/{conflict_id}/review", params=conflict_api, expect=DECIDE_API),
    Route(api="POST /api/v1/conflicts/{conflict_id}/resolve", params=conflict_api,
          body=lambda w, s: {"resolution": "rejected", "note": "Outside the rules."}, expect=DECIDE_API),
    Route(api="GET /api/v1/conflicts/{conflict_id}/comments", params=conflict_api, expect=READ_SCOPED_API),
    Route(api="POST /api/v1/conflicts/{conflict_id}/comments", params=conflict_api, body=lambda w, s: {"body": "Hi."},
          expect=expect(NO, admin=201, program_manager=201, executive=403, channel_manager={"own": 201, "other": 404},
                        **{r: {"own": 201, "other": 404} for r in DISTRIBUTOR}, **anon_api())),
    Route(api="GET /api/v1/leads", expect=expect(200, **anon_api())),
    Route(api="POST /api/v1/leads",
          body=lambda w, s: {"company_name": "Nova Logistic SA", "territory_id": w.territory.pk,
                             "product_line_ids": [w.product_line.pk]},
          expect=expect(403, admin=201, program_manager=201, channel_manager=201, **anon_api())),
    Route(api="GET /api/v1/leads/{lead_id}", params=lead_api, expect=READ_SCOPED_API),
    Route(name="channel:lead_assign", method="POST", params=lambda w, s: {"pk": _unassigned(w, s).pk},
          body=_assign_body, expect=expect(302, **_assign(302), **anon_page())),
    Route(api="POST /api/v1/leads/{lead_id}/assign", params=lambda w, s: {"lead_id": _unassigned(w, s).pk},
          body=_assign_body, expect=expect(200, **_assign(200), **anon_api())),
    Route(api="POST /api/v1/leads/{lead_id}/accept", params=lead_api, body=lambda w, s: {}, expect=RESPOND_API),
    Route(api="POST /api/v1/leads/{lead_id}/decline", params=lead_api, body=lambda w, s: {"reason": "Busy."},
          expect=RESPOND_API),
]
