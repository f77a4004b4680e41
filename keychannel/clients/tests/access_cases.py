"""Access matrix of the clients app (DESIGN.md §2: clients and stakeholders follow distributor reach)."""

from keychannel.clients.models import CorporateClient, Stakeholder, StakeholderContact, StakeholderLink
from tests.access import Route, anon_api, anon_page, expect

OWN = {"own": 200, "other": 404}
REACH = ["channel_manager", "mentor", "embedded_kam"]


def reads(**kw):
    """Network-wide roles see both; everybody else only own (other → 404)."""
    return expect(200, **{r: OWN for r in [*REACH, "dist_head", "dist_sales"]}, **kw)


def writes(ok, *, sales=True, reach=True, head=True, anon=None, executive=403):
    """Program office writes both; executive is refused; reach roles and the head write own only."""
    return expect(
        ok,
        executive=executive,
        **{r: ({"own": ok, "other": 404} if reach else {"own": 403, "other": 404}) for r in REACH},
        dist_head={"own": ok, "other": 404} if head else {"own": 403, "other": 404},
        dist_sales={"own": ok, "other": 404} if sales else {"own": 403, "other": 404},
        **(anon or {}),
    )


def _client(w, side, key="main"):
    def make():
        return CorporateClient.objects.create(
            legal_name=f"Matrix {key} {side} Logistic SRL",
            distributor=w.distributor(side),
            tax_id=f"{9_000_000 + len(w.cache) * 10 + (side == 'other')}",
            is_key_account=True,
        )

    return w.once(f"client-{key}-{side}", make)


def _seller(w, side):
    """Somebody every writer may record as a contact: distributor users may not give manufacturer people work."""
    return (w.users if side == "own" else w.other_users)["dist_sales"]


def _stakeholder(w, side, key="a"):
    return w.once(f"stakeholder-{key}-{side}", lambda: Stakeholder.objects.create(
        client=_client(w, side), full_name=f"Person {key} {side}", level="director"))


def _contact(w, side):
    return w.once(f"contact-{side}", lambda: StakeholderContact.objects.create(
        stakeholder=_stakeholder(w, side), user=w.user("admin")))


def _link(w, side):
    return w.once(f"link-{side}", lambda: StakeholderLink.objects.create(
        source=_stakeholder(w, side, "a"), target=_stakeholder(w, side, "b"), kind="influences"))


def client_api(w, side):
    return {"client_id": _client(w, side).pk}


def client_page(w, side):
    return {"pk": _client(w, side).pk}


def stakeholder_api(w, side):
    return {"stakeholder_id": _stakeholder(w, side).pk}


def stakeholder_page(w, side):
    return {"pk": _stakeholder(w, side).pk}


def contact_api(w, side):
    contact = _contact(w, side)
    return {"stakeholder_id": contact.stakeholder_id, "user_id": contact.user_id}


def contact_page(w, side):
    return {"pk": _contact(w, side).pk}


def link_api(w, side):
    return {"link_id": _link(w, side).pk}


def link_page(w, side):
    return {"pk": _link(w, side).pk}


API = "/api/v1"

ROUTES = [
    Route(api=f"GET {API}/clients", expect=expect(200, **anon_api())),
    Route(api=f"GET {API}/clients/at-risk", expect=expect(200, **anon_api())),
    Route(api=f"POST {API}/clients/duplicate-check", body=lambda w, s: {"legal_name": "Matrix main own Logistic"},
          expect=expect(200, **anon_api())),
    Route(api=f"POST {API}/clients", body=lambda w, s: {"legal_name": "Nou Client Test SRL", "distributor_id": w.own.pk},
          note="distributor users always create in their own book",
          expect=expect(201, executive=403, **anon_api())),
    # Sync (docs/api.md): the external id is looked up in the caller's own book only, so "other" is a new id too.
    Route(api=f"PUT {API}/clients/by-external-id/{{external_id}}", params=lambda w, s: {"external_id": f"MX-{s}"},
          body=lambda w, s: {"legal_name": f"Sync {s} Client SRL", "distributor_id": w.own.pk},
          expect=expect(201, executive=403, **anon_api())),
    Route(api=f"POST {API}/clients/bulk",
          body=lambda w, s: {"items": [{"legal_name": "Bulk Client Unu SRL", "distributor_id": w.own.pk}]},
          expect=expect(200, executive=403, **anon_api())),
    Route(api=f"GET {API}/clients/{{client_id}}", params=client_api, expect=reads(**anon_api())),
    Route(api=f"PATCH {API}/clients/{{client_id}}", params=client_api, body=lambda w, s: {"industry": "Auto"},
          note="dist_sales edits only clients they created", expect=writes(200, sales=False, anon=anon_api())),
    Route(api=f"DELETE {API}/clients/{{client_id}}", params=client_api,
          expect=writes(204, sales=False, reach=False, anon=anon_api())),
    Route(api=f"POST {API}/clients/{{client_id}}/archive", params=client_api,
          note="archive and restore: whoever may delete", expect=writes(200, sales=False, reach=False, anon=anon_api())),
    Route(api=f"POST {API}/clients/{{client_id}}/restore", params=client_api,
          expect=writes(200, sales=False, reach=False, anon=anon_api())),
    Route(api=f"POST {API}/clients/{{client_id}}/merge", params=client_api,
          body=lambda w, s: {"duplicate_id": _client(w, s, "dup").pk},
          expect=writes(200, sales=False, reach=False, head=False, anon=anon_api())),
    Route(api=f"GET {API}/clients/{{client_id}}/analysis", params=client_api, expect=reads(**anon_api())),
    Route(api=f"GET {API}/clients/{{client_id}}/account-plan", params=client_api, expect=reads(**anon_api())),
    Route(api=f"PATCH {API}/clients/{{client_id}}/account-plan", params=client_api,
          body=lambda w, s: {"situation": "Two suppliers share the account"},
          expect=writes(200, sales=False, anon=anon_api())),
    Route(api=f"POST {API}/clients/{{client_id}}/account-plan/objectives", params=client_api,
          body=lambda w, s: {"title": "Frame contract 2027"}, expect=writes(201, sales=False, anon=anon_api())),
    Route(api=f"POST {API}/clients/{{client_id}}/account-plan/actions", params=client_api,
          body=lambda w, s: {"title": "Plant visit"}, expect=writes(201, sales=False, anon=anon_api())),
    Route(api=f"POST {API}/clients/{{client_id}}/account-plan/competitors", params=client_api,
          body=lambda w, s: {"name": "Matrix Rival"}, expect=writes(201, sales=False, anon=anon_api())),
    Route(api=f"PATCH {API}/account-plan/objectives/{{item_id}}", params=lambda w, s: _plan_part(w, s, "objectives"),
          body=lambda w, s: {"status": "achieved", "result": "Signed"}, expect=writes(200, sales=False, anon=anon_api())),
    Route(api=f"PATCH {API}/account-plan/actions/{{item_id}}", params=lambda w, s: _plan_part(w, s, "actions"),
          body=lambda w, s: {"status": "done"}, expect=writes(200, sales=False, anon=anon_api())),
    Route(api=f"PATCH {API}/account-plan/competitors/{{item_id}}", params=lambda w, s: _plan_part(w, s, "competitors"),
          body=lambda w, s: {"note": "Cheaper, slower"}, expect=writes(200, sales=False, anon=anon_api())),
    *[Route(api=f"DELETE {API}/account-plan/{kind}/{{item_id}}", params=lambda w, s, k=kind: _plan_part(w, s, k),
            expect=writes(204, sales=False, anon=anon_api())) for kind in ("objectives", "actions", "competitors")],
    Route(api=f"GET {API}/clients/{{client_id}}/stakeholders", params=client_api, expect=reads(**anon_api())),
    Route(api=f"POST {API}/clients/{{client_id}}/stakeholders", params=client_api,
          body=lambda w, s: {"full_name": "Ion Popescu", "level": "director", "buying_roles": ["influencer"]},
          expect=writes(201, anon=anon_api())),
    Route(api=f"GET {API}/stakeholders/{{stakeholder_id}}", params=stakeholder_api, expect=reads(**anon_api())),
    Route(api=f"PATCH {API}/stakeholders/{{stakeholder_id}}", params=stakeholder_api,
          body=lambda w, s: {"attitude": 1}, expect=writes(200, anon=anon_api())),
    Route(api=f"DELETE {API}/stakeholders/{{stakeholder_id}}", params=stakeholder_api,
          expect=writes(204, anon=anon_api())),
    Route(api=f"POST {API}/stakeholders/{{stakeholder_id}}/contacts", params=stakeholder_api,
          body=lambda w, s: {"user_id": _seller(w, s).pk, "current_level": "trusted"},
          expect=writes(200, anon=anon_api())),
    Route(api=f"DELETE {API}/stakeholders/{{stakeholder_id}}/contacts/{{user_id}}", params=contact_api,
          expect=writes(204, anon=anon_api())),
    Route(api=f"GET {API}/clients/{{client_id}}/stakeholder-links", params=client_api, expect=reads(**anon_api())),
    Route(api=f"POST {API}/clients/{{client_id}}/stakeholder-links", params=client_api,
          body=lambda w, s: {"source_id": _stakeholder(w, s, "a").pk, "target_id": _stakeholder(w, s, "b").pk,
                             "kind": "conflict"},
          expect=writes(201, anon=anon_api())),
    Route(api=f"DELETE {API}/stakeholder-links/{{link_id}}", params=link_api, expect=writes(204, anon=anon_api())),
]


def _plan_item(w, side):
    from keychannel.clients.models import AccountObjective, AccountPlan

    def make():
        plan, _ = AccountPlan.objects.get_or_create(client=_client(w, side))
        return AccountObjective.objects.create(plan=plan, title="Win the 2027 frame contract")

    item = w.once(f"objective-{side}", make)
    return {"pk": item.plan.client_id, "kind": "objective", "item_pk": item.pk}


def _plan_part(w, side, kind):
    """An objective, action or competitor of the side's plan (issue 16: edited in place, with a write API)."""
    from keychannel.clients.models import AccountAction, AccountCompetitor, AccountPlan

    def make():
        plan, _ = AccountPlan.objects.get_or_create(client=_client(w, side))
        if kind == "actions":
            return AccountAction.objects.create(plan=plan, title="Visit the plant")
        return AccountCompetitor.objects.create(plan=plan, name="Rival SA")

    if kind == "objectives":
        return {"item_id": _plan_item(w, side)["item_pk"]}
    return {"item_id": w.once(f"{kind}-{side}", make).pk}


def plan_kind(w, side):
    return {"pk": _client(w, side).pk, "kind": "objective"}


# Page writes answer a plain (non-HTMX) POST with a redirect.
PAGE_ROUTES = [
    Route(name="clients:client_list", expect=expect(200, **anon_page())),
    Route(name="clients:at_risk", expect=expect(200, **anon_page())),
    Route(name="clients:duplicate_check", expect=expect(200, **anon_page())),
    Route(name="clients:client_create", expect=expect(200, executive=403, **anon_page())),
    Route(name="clients:client_detail", params=client_page, expect=reads(**anon_page())),
    Route(name="clients:client_update", params=client_page,
          expect=writes(200, sales=False, anon=anon_page())),
    Route(name="clients:client_delete", params=client_page,
          expect=writes(200, sales=False, reach=False, anon=anon_page())),
    Route(name="clients:client_archive", method="POST", params=client_page,
          expect=writes(302, sales=False, reach=False, anon=anon_page())),
    Route(name="clients:client_restore", method="POST", params=client_page,
          expect=writes(302, sales=False, reach=False, anon=anon_page())),
    Route(name="clients:client_merge", params=client_page,
          expect=writes(200, sales=False, reach=False, head=False, anon=anon_page())),
    Route(name="clients:stakeholder_create", method="POST", params=client_page,
          body=lambda w, s: {"new-full_name": "Ion Pop", "new-level": "director", "new-influence": 3, "new-attitude": 0},
          expect=writes(302, anon=anon_page())),
    Route(name="clients:link_create", method="POST", params=client_page,
          body=lambda w, s: {"source": _stakeholder(w, s, "a").pk, "target": _stakeholder(w, s, "b").pk,
                             "kind": "influences"},
          expect=writes(302, anon=anon_page())),
    Route(name="clients:stakeholder_row", params=stakeholder_page, expect=reads(**anon_page())),
    Route(name="clients:stakeholder_edit", params=stakeholder_page, expect=writes(200, anon=anon_page())),
    Route(name="clients:stakeholder_new_form", params=client_page, expect=writes(200, anon=anon_page())),
    Route(name="clients:stakeholder_delete", method="POST", params=stakeholder_page, expect=writes(302, anon=anon_page())),
    Route(name="clients:contact_add", method="POST", params=stakeholder_page,
          body=lambda w, s: {"user": _seller(w, s).pk, "current_level": "acquainted", "desired_level": "trusted"},
          expect=writes(302, anon=anon_page())),
    Route(name="clients:contact_delete", method="POST", params=contact_page, expect=writes(302, anon=anon_page())),
    Route(name="clients:link_delete", method="POST", params=link_page, expect=writes(302, anon=anon_page())),
    Route(name="clients:account_plan", params=client_page, expect=reads(**anon_page())),
    Route(name="clients:account_plan_print", params=client_page, expect=reads(**anon_page())),
    Route(name="clients:account_plan_item_add", method="POST", params=plan_kind,
          body=lambda w, s: {"objective-title": "Pilot in plant 2", "objective-status": "open"},
          note="dist_sales reads the plan only", expect=writes(302, sales=False, anon=anon_page())),
    Route(name="clients:account_plan_item_delete", method="POST", params=_plan_item,
          expect=writes(302, sales=False, anon=anon_page())),
    Route(name="clients:account_plan_item_edit", params=_plan_item, expect=writes(200, sales=False, anon=anon_page())),
]
ROUTES += PAGE_ROUTES
