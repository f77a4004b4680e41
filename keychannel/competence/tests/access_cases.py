"""Access matrix of the competence app. "own" objects sit at distributor A (the world's users reach it),
"other" objects at distributor B, with a second mentor and a second KAM who work there."""

from datetime import date

from tests.access import Route, anon_api, anon_page, expect

OWN_ONLY = {"own": 200, "other": 404}
NONE = {"own": 404, "other": 404}
DIST = ["dist_head", "dist_sales"]


def _user(w, username, role):
    from keychannel.core.tests.factories import make_user

    return w.once(f"user-{username}", lambda: make_user(role, w.manufacturer, username=username))


def kam_other(w):
    from keychannel.competence.models import EmbeddedAssignment

    def make():
        kam = _user(w, "w-kam-b", "embedded_kam")
        EmbeddedAssignment.objects.create(kam=kam, distributor=w.other, starts_on=date(2020, 1, 1))
        return kam

    return w.once("kam-other", make)


def mentor_other(w):
    from keychannel.competence.models import Mentorship

    def make():
        mentor = _user(w, "w-mentor-b", "mentor")
        Mentorship.objects.create(mentor=mentor, distributor=w.other, starts_on=date(2020, 1, 1))
        return mentor

    return w.once("mentor-other", make)


def kam_of(w, side):
    return w.users["embedded_kam"] if side == "own" else kam_other(w)


def task(w, side):
    from keychannel.competence.models import KamTask

    return w.once(f"task-{side}", lambda: KamTask.objects.create(
        distributor=w.distributor(side), kam=kam_of(w, side), duty="sell", title=f"Task {side}",
        created_by=w.users["admin"]))


def mentorship(w, side):
    from keychannel.competence.models import Mentorship

    if side == "own":
        return Mentorship.objects.get(mentor=w.users["mentor"], distributor=w.own)
    mentor_other(w)
    return Mentorship.objects.get(mentor__username="w-mentor-b", distributor=w.other)


def assignment(w, side):
    from keychannel.competence.models import EmbeddedAssignment

    return EmbeddedAssignment.objects.get(kam=kam_of(w, side), distributor=w.distributor(side))


def consultation(w, side, status="pending"):
    from keychannel.competence.models import ConsultationRequest

    def make():
        asker = w.users["dist_head"] if side == "own" else w.other_users["dist_head"]
        return ConsultationRequest.objects.create(
            distributor=w.distributor(side), requested_by=asker, recipient=kam_of(w, side),
            subject=f"Help {side}", message="Please help", status=status)

    return w.once(f"consultation-{side}-{status}", make)


def gap_client(w, side):
    from keychannel.clients.models import CorporateClient

    def make():
        from keychannel.network.models import Distributor

        distributor = w.distributor(side)
        # An update, not save(): the world's objects are shared by every case of the matrix.
        Distributor.objects.filter(pk=distributor.pk).update(size_tier="small")
        return CorporateClient.objects.create(legal_name=f"Gap Client {side} SA", distributor=distributor,
                                              territory=w.territory, is_key_account=True)

    return w.once(f"gap-{side}", make)


def _task_body(w, side):
    return {"distributor_id": w.distributor(side).pk, "kam_id": kam_of(w, side).pk, "duty": "sell",
            "title": "Win the Cluj plant"}


def _tid(w, side):
    return {"task_id": task(w, side).pk}


def _mid(w, side):
    return {"mentorship_id": mentorship(w, side).pk}


def _aid(w, side):
    return {"assignment_id": assignment(w, side).pk}


def _cid(w, side):
    return {"consultation_id": consultation(w, side).pk}


def _cid_accepted(w, side):
    return {"consultation_id": consultation(w, side, "accepted").pk}


TASK_READ = expect({"own": 200, "other": 200}, channel_manager=OWN_ONLY, mentor=OWN_ONLY, embedded_kam=OWN_ONLY,
                   dist_head=OWN_ONLY, dist_sales=NONE, **anon_api())
# Distributor users are refused with 403 before any lookup, whatever the task; the rest see 404 out of reach.
TASK_MANAGE = expect(403, admin=200, program_manager=200, channel_manager={"own": 200, "other": 404},
                     mentor={"own": 403, "other": 404}, embedded_kam={"own": 403, "other": 404}, **anon_api())
TASK_KAM_WRITE = expect(403, admin=200, program_manager=200, channel_manager={"own": 200, "other": 404},
                        mentor={"own": 403, "other": 404}, embedded_kam={"own": 200, "other": 404}, **anon_api())
TASK_CREATE = expect(403, admin=201, program_manager=201, channel_manager={"own": 201, "other": 403}, **anon_api())
SCOPED_READ = expect({"own": 200, "other": 200}, channel_manager=OWN_ONLY, mentor=OWN_ONLY, embedded_kam=OWN_ONLY,
                     dist_head=OWN_ONLY, dist_sales=OWN_ONLY, **anon_api())

API_ROUTES = [
    Route(api="GET /api/v1/kam-tasks", expect=expect(200, **anon_api())),
    Route(api="POST /api/v1/kam-tasks", params=lambda w, s: {}, body=_task_body, expect=TASK_CREATE),
    Route(api="POST /api/v1/kam-tasks/bulk", params=lambda w, s: {},
          body=lambda w, s: {"tasks": [_task_body(w, s), _task_body(w, s)]}, expect=TASK_CREATE),
    Route(api="GET /api/v1/kam-tasks/{task_id}", params=_tid, expect=TASK_READ),
    Route(api="PATCH /api/v1/kam-tasks/{task_id}", params=_tid, body=lambda w, s: {"priority": 4}, expect=TASK_MANAGE),
    Route(api="POST /api/v1/kam-tasks/{task_id}/status", params=_tid, body=lambda w, s: {"status": "in_progress"},
          expect=TASK_KAM_WRITE),
    Route(api="POST /api/v1/kam-tasks/{task_id}/cancel", params=_tid, body=lambda w, s: {"reason": "Dropped"},
          expect=TASK_MANAGE),
    Route(api="GET /api/v1/kam-tasks/{task_id}/comments", params=_tid, expect=TASK_READ),
    Route(api="POST /api/v1/kam-tasks/{task_id}/comments", params=_tid, body=lambda w, s: {"body": "Called them"},
          expect=expect(403, admin=201, program_manager=201, channel_manager={"own": 201, "other": 404},
                        mentor={"own": 403, "other": 404}, embedded_kam={"own": 201, "other": 404}, **anon_api())),
    Route(api="GET /api/v1/mentorships", expect=expect(200, **anon_api())),
    Route(api="POST /api/v1/mentorships", params=lambda w, s: {},
          body=lambda w, s: {"mentor_id": (mentor_other(w) if s == "own" else w.users["mentor"]).pk,
                             "distributor_id": w.distributor(s).pk, "focus": "First deals"},
          expect=expect(403, admin=201, program_manager=201, channel_manager={"own": 201, "other": 403},
                        **anon_api())),
    Route(api="GET /api/v1/mentorships/{mentorship_id}", params=_mid, expect=SCOPED_READ),
    Route(api="POST /api/v1/mentorships/{mentorship_id}/end", params=_mid, body=lambda w, s: {},
          expect=expect(403, admin=200, program_manager=200, channel_manager={"own": 200, "other": 404},
                        mentor={"own": 403, "other": 404}, embedded_kam={"own": 403, "other": 404},
                        dist_head={"own": 403, "other": 404}, dist_sales={"own": 403, "other": 404}, **anon_api())),
    Route(api="GET /api/v1/mentorships/{mentorship_id}/sessions", params=_mid, expect=SCOPED_READ),
    Route(api="POST /api/v1/mentorships/{mentorship_id}/sessions", params=_mid,
          body=lambda w, s: {"held_on": "2026-03-02", "participants": "Sales team", "topic": "Buying centre"},
          expect=expect(403, admin=201, program_manager=201, executive=403,
                        channel_manager={"own": 201, "other": 404}, mentor={"own": 201, "other": 404},
                        embedded_kam={"own": 403, "other": 404}, dist_head={"own": 403, "other": 404},
                        dist_sales={"own": 403, "other": 404}, **anon_api())),
    Route(api="GET /api/v1/mentor-workload", expect=expect(200, dist_head=403, dist_sales=403, **anon_api())),
    Route(api="GET /api/v1/embedded-assignments", expect=expect(200, **anon_api())),
    Route(api="POST /api/v1/embedded-assignments", params=lambda w, s: {},
          body=lambda w, s: {"kam_id": _user(w, "w-kam-spare", "embedded_kam").pk, "distributor_id": w.distributor(s).pk},
          expect=expect(403, admin=201, program_manager=201, **anon_api())),
    Route(api="GET /api/v1/embedded-assignments/{assignment_id}", params=_aid, expect=SCOPED_READ),
    Route(api="GET /api/v1/consultations", expect=expect(200, **anon_api())),
    Route(api="POST /api/v1/consultations", params=lambda w, s: {},
          body=lambda w, s: {"recipient_id": kam_of(w, s).pk, "subject": "Tender at Cluj plant",
                             "message": "Can you join the meeting?"},
          # Distributor staff ask their own KAM; the KAM of another distributor is not theirs to ask.
          expect=expect(403, dist_head={"own": 201, "other": 422}, dist_sales={"own": 201, "other": 422},
                        **anon_api())),
    Route(api="GET /api/v1/consultations/{consultation_id}", params=_cid,
          expect=expect({"own": 200, "other": 200}, channel_manager=OWN_ONLY, mentor=OWN_ONLY, embedded_kam=OWN_ONLY,
                        dist_head=OWN_ONLY, dist_sales=NONE, **anon_api())),
    *[
        Route(api=f"POST /api/v1/consultations/{{consultation_id}}/{verb}", params=_cid, body=lambda w, s: {},
              expect=expect(403, channel_manager={"own": 403, "other": 404}, mentor={"own": 403, "other": 404},
                            embedded_kam={"own": 200, "other": 404}, dist_head={"own": 403, "other": 404},
                            dist_sales=NONE, **anon_api()))
        for verb in ("accept", "decline")
    ],
    Route(api="POST /api/v1/consultations/{consultation_id}/convert", params=_cid_accepted,
          body=lambda w, s: {"duty": "consult"},
          expect=expect(403, admin=201, program_manager=201, channel_manager={"own": 201, "other": 404},
                        mentor={"own": 403, "other": 404}, embedded_kam={"own": 403, "other": 404}, **anon_api())),
    Route(api="GET /api/v1/coverage-gaps", expect=expect(200, dist_head=403, dist_sales=403, **anon_api())),
    Route(api="POST /api/v1/coverage-gaps/{client_id}/assign", params=lambda w, s: {"client_id": gap_client(w, s).pk},
          body=lambda w, s: {},
          # "own" has a mentor already (409 for those who may assign); "other" is a real gap.
          expect=expect(403, admin={"own": 409, "other": 201}, program_manager={"own": 409, "other": 201},
                        channel_manager={"own": 409, "other": 404}, mentor={"own": 403, "other": 404},
                        embedded_kam={"own": 403, "other": 404}, dist_head={"own": 403, "other": 404},
                        dist_sales={"own": 403, "other": 404}, **anon_api())),
]


def _pk(fn):
    return lambda w, side: {"pk": fn(w, side).pk}


MANAGERS_PAGE = expect(403, admin=200, program_manager=200, channel_manager=200, **anon_page())
MANUFACTURER_PAGE = expect(200, dist_head=403, dist_sales=403, **anon_page())
SCOPED_PAGE = expect({"own": 200, "other": 200}, channel_manager=OWN_ONLY, mentor=OWN_ONLY, embedded_kam=OWN_ONLY,
                     dist_head=OWN_ONLY, dist_sales=OWN_ONLY, **anon_page())
TASK_PAGE_READ = expect({"own": 200, "other": 200}, channel_manager=OWN_ONLY, mentor=OWN_ONLY, embedded_kam=OWN_ONLY,
                        dist_head=OWN_ONLY, dist_sales=NONE, **anon_page())
TASK_PAGE_KAM_WRITE = expect(403, admin=302, program_manager=302, channel_manager={"own": 302, "other": 404},
                             mentor={"own": 403, "other": 404}, embedded_kam={"own": 302, "other": 404}, **anon_page())

PAGE_ROUTES = [
    Route(name="competence:mentorship_list", expect=expect(200, **anon_page())),
    Route(name="competence:mentorship_create", expect=MANAGERS_PAGE),
    Route(name="competence:mentorship_detail", params=_pk(mentorship), expect=SCOPED_PAGE),
    Route(name="competence:mentorship_end", method="POST", params=_pk(mentorship),
          expect=expect(403, admin=302, program_manager=302, channel_manager={"own": 302, "other": 404},
                        mentor={"own": 403, "other": 404}, embedded_kam={"own": 403, "other": 404},
                        dist_head={"own": 403, "other": 404}, dist_sales={"own": 403, "other": 404}, **anon_page())),
    Route(name="competence:mentor_workload", expect=MANUFACTURER_PAGE),
    Route(name="competence:assignment_list", expect=expect(200, **anon_page())),
    Route(name="competence:assignment_detail", params=_pk(assignment), expect=SCOPED_PAGE),
    Route(name="competence:kamtask_list", expect=expect(200, **anon_page())),
    Route(name="competence:kamtask_create", expect=MANAGERS_PAGE),
    Route(name="competence:kamtask_import", expect=MANAGERS_PAGE),
    Route(name="competence:kamtask_detail", params=_pk(task), expect=TASK_PAGE_READ),
    Route(name="competence:kamtask_update", params=_pk(task),
          expect=expect(403, admin=200, program_manager=200, channel_manager={"own": 200, "other": 404},
                        mentor={"own": 403, "other": 404}, embedded_kam={"own": 403, "other": 404},
                        dist_head={"own": 403, "other": 404}, dist_sales=NONE, **anon_page())),
    Route(name="competence:kamtask_status", method="POST", params=_pk(task), body=lambda w, s: {"status": "blocked"},
          expect=TASK_PAGE_KAM_WRITE),
    Route(name="competence:kamtask_comment", method="POST", params=_pk(task), body=lambda w, s: {"body": "Met them"},
          expect=TASK_PAGE_KAM_WRITE),
    Route(name="competence:kamtask_cancel", method="POST", params=_pk(task), body=lambda w, s: {"reason": "Dropped"},
          expect=expect(403, admin=302, program_manager=302, channel_manager={"own": 302, "other": 404},
                        mentor={"own": 403, "other": 404}, embedded_kam={"own": 403, "other": 404}, **anon_page())),
    Route(name="competence:consultation_list", expect=expect(200, **anon_page())),
    Route(name="competence:consultation_create", expect=expect(403, dist_head=200, dist_sales=200, **anon_page())),
    Route(name="competence:consultation_detail", params=_pk(consultation),
          expect=expect({"own": 200, "other": 200}, channel_manager=OWN_ONLY, mentor=OWN_ONLY, embedded_kam=OWN_ONLY,
                        dist_head=OWN_ONLY, dist_sales=NONE, **anon_page())),
    Route(name="competence:consultation_respond", method="POST", params=_pk(consultation),
          body=lambda w, s: {"decision": "accept"},
          expect=expect(403, channel_manager={"own": 403, "other": 404}, mentor={"own": 403, "other": 404},
                        embedded_kam={"own": 302, "other": 404}, dist_head={"own": 403, "other": 404},
                        dist_sales=NONE, **anon_page())),
    Route(name="competence:consultation_convert", params=lambda w, s: {"pk": consultation(w, s, "accepted").pk},
          expect=expect(403, admin=200, program_manager=200, channel_manager={"own": 200, "other": 404},
                        mentor={"own": 403, "other": 404}, embedded_kam={"own": 403, "other": 404},
                        dist_head={"own": 403, "other": 404}, dist_sales=NONE, **anon_page())),
    Route(name="competence:coverage_gaps", expect=MANUFACTURER_PAGE),
    Route(name="competence:coverage_gap_assign", method="POST", params=lambda w, s: {"client_pk": gap_client(w, s).pk},
          expect=expect(403, admin=302, program_manager=302, channel_manager={"own": 302, "other": 404},
                        mentor={"own": 403, "other": 404}, embedded_kam={"own": 403, "other": 404},
                        dist_head={"own": 403, "other": 404}, dist_sales={"own": 403, "other": 404}, **anon_page())),
    Route(name="competence:structure", expect=MANUFACTURER_PAGE),
]

ROUTES = [*API_ROUTES, *PAGE_ROUTES]
