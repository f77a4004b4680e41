"""Access matrix of the service app. "own" objects belong to distributor A's client, "other" ones to distributor B's.
The mentor and the embedded KAM reach A (tests/world.py hooks); the executive reads only."""

from tests.access import Route, anon_api, anon_page, expect

OWN_ONLY = {"own": 200, "other": 404}
REACH = ["channel_manager", "mentor", "embedded_kam", "dist_head", "dist_sales"]
TXT = b"keychannel test attachment\n"


def _client(w, side):
    from keychannel.deals.tests.factories import ClientFactory

    return w.once(f"service-client-{side}", lambda: ClientFactory(distributor=w.distributor(side),
                                                                  territory=w.territory))


def _case(w, side):
    from keychannel.service.tests.factories import open_case

    return w.once(f"service-case-{side}", lambda: open_case(w, side, client=_client(w, side)))


def _stored(name: str, content: bytes) -> str:
    """A file in the media storage under a fixed name, written once (tests never pile up copies)."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    if not default_storage.exists(name):
        default_storage.save(name, ContentFile(content))
    return name


def _message(w, side):
    from keychannel.service.models import CaseMessage

    return w.once(f"service-message-{side}", lambda: CaseMessage.objects.create(
        case=_case(w, side), kind="internal", author=w.users["program_manager"], body="Photo",
        attachment=_stored("service-cases/test/kc-test-note.txt", TXT), attachment_content_type="text/plain"))


def _case_token(w, side):
    from keychannel.service import tokens

    return tokens.case_token(_case(w, side))


def _link_token(w, side):
    from keychannel.service import tokens
    from keychannel.service.models import IntakeLink

    return w.once(f"service-link-{side}", lambda: tokens.intake_token(IntakeLink.objects.create(
        client=_client(w, side))))


def _pk(make, name="pk"):
    return lambda w, side: {name: make(w, side).pk}


def read(anon):
    return expect(200, **{r: OWN_ONLY for r in REACH}, **anon)


def work(ok, anon):
    """Program office everywhere; the executive reads only; the others within their reach."""
    return expect({"own": ok, "other": ok}, executive=403, **{r: {"own": ok, "other": 404} for r in REACH}, **anon)


def assign(ok, anon):
    return expect({"own": ok, "other": ok}, executive=403, **{r: {"own": ok, "other": 404} for r in REACH[:-1]},
                  dist_sales={"own": 403, "other": 404}, **anon)


def takeover(ok, anon):
    return expect({"own": ok, "other": ok}, executive=403, channel_manager={"own": ok, "other": 404},
                  **{r: {"own": 403, "other": 404} for r in ("mentor", "embedded_kam", "dist_head", "dist_sales")},
                  **anon)


def _assignee(w, side):
    return (w.users if side == "own" else w.other_users)["dist_sales"].pk


CREATORS = expect(200, executive=403, **anon_page())
REPORT = expect(200, dist_sales=403, **anon_page())

ROUTES = [
    Route(name="service:case_list", expect=expect(200, **anon_page())),
    Route(name="service:case_create", expect=CREATORS),
    Route(name="service:report", expect=REPORT),
    Route(name="service:case_detail", params=_pk(_case), expect=read(anon_page())),
    Route(name="service:case_message", method="POST", params=_pk(_case),
          body=lambda w, s: {"kind": "internal", "body": "Checked the logs"}, expect=work(302, anon_page())),
    Route(name="service:case_status", method="POST", params=_pk(_case), body=lambda w, s: {"status": "in_progress"},
          expect=work(302, anon_page())),
    Route(name="service:case_assign", method="POST", params=_pk(_case),
          body=lambda w, s: {"assignee": _assignee(w, s)}, expect=assign(302, anon_page())),
    Route(name="service:case_takeover", method="POST", params=_pk(_case), body=lambda w, s: {"reason": "Key account"},
          expect=takeover(302, anon_page())),
    Route(name="service:message_attachment", params=_pk(_message), expect=read(anon_page())),
    Route(name="service:client_service", params=_pk(_client, "client_id"), expect=read(anon_page())),
    Route(name="service:client_panel", params=_pk(_client, "client_id"), expect=read(anon_page())),
    # Manufacturer roles see every distributor (its figures count only the cases they may see); a distributor
    # user only its own.
    Route(name="service:distributor_panel", params=lambda w, side: {"distributor_id": w.distributor(side).pk},
          expect=expect(200, dist_head=OWN_ONLY, dist_sales=OWN_ONLY, **anon_page())),
    # Satisfaction from case ratings (NPS-style): every role, over the cases it may see.
    Route(name="service:segment_panel", params=lambda w, side: {"year": 2026}, expect=expect(200, **anon_page())),
    Route(name="service:intake_link_create", method="POST", params=_pk(_client, "client_id"),
          expect=work(302, anon_page())),
    # The client contact's pages need no login: the signed token is the key (a forged one answers 404).
    Route(name="service:intake_public", params=lambda w, s: {"token": _link_token(w, s)}, expect=expect(200)),
    Route(name="service:case_public", params=lambda w, s: {"token": _case_token(w, s)}, expect=expect(200)),

    Route(api="GET /api/v1/cases", expect=expect(200, **anon_api())),
    Route(api="POST /api/v1/cases", body=lambda w, s: {
        "client_id": _client(w, "own").pk, "title": "Pump stops", "description": "After an hour",
        "contact_name": "Ana", "contact_email": "ana@client.example"}, expect=expect(201, executive=403, **anon_api())),
    Route(api="GET /api/v1/cases/{case_id}", params=_pk(_case, "case_id"), expect=read(anon_api())),
    Route(api="PATCH /api/v1/cases/{case_id}", params=_pk(_case, "case_id"), body=lambda w, s: {"site": "Plant 2"},
          expect=work(200, anon_api())),
    Route(api="GET /api/v1/cases/{case_id}/messages", params=_pk(_case, "case_id"), expect=read(anon_api())),
    Route(api="POST /api/v1/cases/{case_id}/messages", params=_pk(_case, "case_id"),
          body=lambda w, s: {"kind": "internal", "body": "Checked"}, expect=work(201, anon_api())),
    Route(api="POST /api/v1/cases/{case_id}/status", params=_pk(_case, "case_id"),
          body=lambda w, s: {"status": "in_progress"}, expect=work(200, anon_api())),
    Route(api="POST /api/v1/cases/{case_id}/assign", params=_pk(_case, "case_id"),
          body=lambda w, s: {"assignee_id": _assignee(w, s)}, expect=assign(200, anon_api())),
    Route(api="POST /api/v1/cases/{case_id}/takeover", params=_pk(_case, "case_id"),
          body=lambda w, s: {"reason": "Key account"}, expect=takeover(200, anon_api())),
    Route(api="GET /api/v1/service-report/attainment", expect=expect(200, dist_sales=403, **anon_api())),
    Route(api="GET /api/v1/clients/{client_id}/service-health", params=_pk(_client, "client_id"),
          expect=read(anon_api())),
    Route(api="GET /api/v1/service-satisfaction", expect=expect(200, **anon_api())),
    Route(api="POST /api/v1/clients/{client_id}/service-links", params=_pk(_client, "client_id"),
          expect=work(201, anon_api())),
]
